import should from 'should';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import { DEFAULT_CREDENTIALS, FROM_NUMBER, helper, TestFlow, TO_NUMBER, useTwilioApi } from '../support/flow';

const MESSAGES_PATH = `/2010-04-01/Accounts/${SANDBOX_ACCOUNT.accountSid}/Messages.json`;
const BASIC_AUTH = `Basic ${Buffer.from(`${SANDBOX_ACCOUNT.accountSid}:${SANDBOX_ACCOUNT.authToken}`).toString('base64')}`;

describe('twilio-sms-binding in Node-RED against the local Twilio API', function () {
  const sandbox = useTwilioApi();
  let api: TwilioApi;
  beforeEach(() => {
    api = sandbox.api;
  });

  describe('the request', () => {
    it('POSTs To, From and Body with Basic auth to the account Messages resource', async () => {
      const flow = await TestFlow.load(api.url);
      const outcome = await flow.run({ payload: 'Hello from Node-RED', metadata: { toNumber: TO_NUMBER } });
      should(outcome.kind).equal('sent');
      should(api.requests).have.length(1);
      const [request] = api.requests;
      should(request?.method).equal('POST');
      should(request?.path).equal(MESSAGES_PATH);
      should(request?.headers.authorization).equal(BASIC_AUTH);
      should(request?.headers['content-type']).match(/^application\/x-www-form-urlencoded/);
      should(request?.form).deepEqual({ To: TO_NUMBER, From: FROM_NUMBER, Body: 'Hello from Node-RED' });
    });

    it("sends to the config's toNumber, which msg.metadata cannot override", async () => {
      const flow = await TestFlow.load(api.url, {
        credentials: { ...DEFAULT_CREDENTIALS, toNumber: '+14155550111' },
      });
      await flow.run({ payload: 'x', metadata: { toNumber: '+14155550199' } });
      should(api.requests[0]?.form.To).equal('+14155550111');
    });

    it('lets msg.metadata.toNumber win when the binding allows the override', async () => {
      const flow = await TestFlow.load(api.url, {
        credentials: { ...DEFAULT_CREDENTIALS, toNumber: '+14155550111' },
        binding: { allowRecipientOverride: true },
      });
      await flow.run({ payload: 'x', metadata: { toNumber: '+14155550199' } });
      await flow.run({ payload: 'y' });
      should(api.requests.map((r) => r.form.To)).deepEqual(['+14155550199', '+14155550111']);
    });

    const bodies: [string, unknown, string][] = [
      ['a number', 42, '42'],
      ['a boolean', true, 'true'],
      ['an object', { alarm: 'door', open: true }, '{"alarm":"door","open":true}'],
      ['an array', ['a', 1], '["a",1]'],
      ['a Buffer', Buffer.from('Grüße 👋'), 'Grüße 👋'],
    ];
    for (const [what, payload, body] of bodies) {
      it(`sends ${what} payload as its text`, async () => {
        const flow = await TestFlow.load(api.url);
        await flow.run({ payload, metadata: { toNumber: TO_NUMBER } });
        should(api.requests[0]?.form.Body).equal(body);
      });
    }

    it('reads a Dapr bindings request, as an object and as JSON text, unquoting string data', async () => {
      const flow = await TestFlow.load(api.url, { binding: { inputFormat: 'dapr' } });
      const request = { data: 'from Dapr', metadata: { toNumber: TO_NUMBER }, operation: 'create' };
      await flow.run({ payload: request });
      await flow.run({ payload: JSON.stringify({ ...request, data: 42 }) });
      await flow.run({ payload: JSON.stringify({ ...request, data: { level: 'high' } }) });
      should(api.requests.map((r) => r.form.Body)).deepEqual(['from Dapr', '42', '{"level":"high"}']);
    });
  });

  describe('the output msg', () => {
    it('is the created message resource in the SDK camelCase form, keeping every other property', async () => {
      const flow = await TestFlow.load(api.url);
      const req = { marker: 'http in request' };
      const outcome = await flow.run({
        payload: 'Resource please',
        metadata: { toNumber: TO_NUMBER, traceparent: '00-abc' },
        topic: 'alerts',
        req,
      });
      should(outcome.kind).equal('sent');
      const { msg } = outcome;
      const created = api.messages[0];
      should(created).be.ok();
      const resource = msg.payload as Record<string, unknown>;
      should(resource.sid)
        .equal(created?.sid)
        .and.match(/^SM[0-9a-f]{32}$/);
      should(resource).containEql({
        accountSid: SANDBOX_ACCOUNT.accountSid,
        to: TO_NUMBER,
        from: FROM_NUMBER,
        body: 'Resource please',
        status: 'queued',
        numSegments: '1',
        direction: 'outbound-api',
        errorCode: null,
      });
      should(resource.dateCreated).be.instanceOf(Date);
      should(Object.getPrototypeOf(resource)).equal(Object.prototype);
      should(msg.metadata).deepEqual({ toNumber: TO_NUMBER, traceparent: '00-abc' });
      should(msg.topic).equal('alerts');
      should(msg.req).deepEqual(req);
      should(msg._msgid).be.a.String();
    });

    it('shows a green dot, and completes each msg exactly once', async () => {
      const flow = await TestFlow.load(api.url);
      const completed: unknown[] = [];
      const completedNode = helper.getNode('completed');
      const nextCompletion = (): Promise<void> =>
        new Promise((resolve) =>
          completedNode.once('input', () => {
            resolve();
          }),
        );
      completedNode.on('input', (msg: { _msgid: string }) => completed.push(msg._msgid));
      const ids: unknown[] = [];
      for (const payload of ['first', 'second']) {
        const completion = nextCompletion();
        const outcome = await flow.run({ payload, metadata: { toNumber: TO_NUMBER } });
        await completion;
        ids.push(outcome.msg._msgid);
        should(flow.lastStatus()).deepEqual({ fill: 'green', shape: 'dot', text: 'sent' });
      }
      // A second done() for the first msg would have reached the Complete node before the second msg's.
      should(completed).deepEqual(ids);
    });
  });

  describe('local failures, before anything is sent', () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
      [
        'an empty body',
        {},
        { payload: '', metadata: { toNumber: TO_NUMBER } },
        'ERR_EMPTY_BODY',
        /body is empty/,
      ],
      ['no recipient', {}, { payload: 'x' }, 'ERR_NO_TO_NUMBER', /missing "toNumber"/],
      [
        'another operation',
        {},
        { payload: 'x', operation: 'delete', metadata: { toNumber: TO_NUMBER } },
        'ERR_BAD_OPERATION',
        /unsupported operation "delete"; supported operations: create/,
      ],
      [
        'a Dapr request without an operation',
        { inputFormat: 'dapr' },
        { payload: { data: 'x', metadata: { toNumber: TO_NUMBER } } },
        'ERR_NO_OPERATION',
        /operation field is missing from request/,
      ],
      [
        'malformed Dapr JSON',
        { inputFormat: 'dapr' },
        { payload: '{"data":' },
        'ERR_BAD_REQUEST',
        /not a Dapr/,
      ],
      [
        'metadata that is not an object',
        {},
        { payload: 'x', metadata: 'oops' },
        'ERR_BAD_REQUEST',
        /metadata/,
      ],
    ];
    for (const [what, binding, msg, code, message] of cases) {
      it(`fails ${what} with ${code} through Catch and a red ring`, async () => {
        const flow = await TestFlow.load(api.url, { binding });
        const outcome = await flow.run(msg);
        should(outcome.kind).equal('failed');
        const error = outcome.msg.error as { message: string; code: unknown; source: { id: string } };
        should(error.code).equal(code);
        should(error.message).match(message);
        should(error.source.id).equal('sms');
        should(flow.lastStatus()).deepEqual({ fill: 'red', shape: 'ring', text: code });
        should(api.requests).have.length(0);
      });
    }
  });

  describe('Twilio errors', () => {
    it('reports 400 / 21211 with its code, status and more_info link', async () => {
      const flow = await TestFlow.load(api.url);
      const outcome = await flow.run({ payload: 'x', metadata: { toNumber: '+15005550001' } });
      should(outcome.kind).equal('failed');
      const error = outcome.msg.error as { message: string; code: unknown };
      should(error.code).equal(21211);
      // Twilio's message, with the phone number masked as in every message that may reach a log.
      should(error.message).match(/'To' number \+1\*\*\*\*\*\*0001 is not a valid phone number/);
      should(error.message).match(/HTTP 400/);
      should(error.message).match(/Twilio error 21211/);
      should(error.message).match(/https:\/\/www\.twilio\.com\/docs\/errors\/21211/);
      should(flow.lastStatus()).deepEqual({ fill: 'red', shape: 'ring', text: 'error 21211' });
      should(api.requests).have.length(1);
    });

    it('reports 401 / 20003 for a wrong auth token, without the token in the error', async () => {
      const wrongToken = 'ffffffffffffffffffffffffffffffff';
      const flow = await TestFlow.load(api.url, {
        credentials: { ...DEFAULT_CREDENTIALS, authToken: wrongToken },
      });
      const outcome = await flow.run({ payload: 'x', metadata: { toNumber: TO_NUMBER } });
      const error = outcome.msg.error as { message: string; code: unknown };
      should(error.code).equal(20003);
      should(error.message).match(/HTTP 401/);
      should(JSON.stringify(outcome.msg)).not.containEql(wrongToken);
    });

    it("reports a 5xx as ERR_MAYBE_SENT, with Twilio's code in msg.error.cause", async () => {
      const flow = await TestFlow.load(api.url);
      api.inject({ status: 503, message: 'Service Unavailable' });
      const outcome = await flow.run({ payload: 'x', metadata: { toNumber: TO_NUMBER } });
      const error = outcome.msg.error as { message: string; code: unknown; cause: { code: unknown } };
      should(error.code).equal('ERR_MAYBE_SENT');
      should(error.cause.code).equal(20500);
      should(error.message).match(
        /HTTP 503, Twilio error 20500.*; the message may have been sent \(1 attempt\)$/,
      );
      should(api.requests).have.length(1);
    });
  });

  describe('network failures', () => {
    it('fails with ERR_MAYBE_SENT (cause ERR_TIMEOUT) when the answer comes after the timeout, once', async () => {
      const flow = await TestFlow.load(api.url, { config: { timeout: '1s' } });
      api.inject({ delayMs: 3000 });
      const outcome = await flow.run({ payload: 'slow', metadata: { toNumber: TO_NUMBER } });
      const error = outcome.msg.error as { message: string; code: unknown; cause: { code: unknown } };
      should(error.code).equal('ERR_MAYBE_SENT');
      should(error.cause.code).equal('ERR_TIMEOUT');
      should(error.message).match(/within 1000 ms; the message may have been sent \(1 attempt\)$/);
      should(api.requests).have.length(1);
    });

    it('fails with ERR_MAYBE_SENT (cause ERR_NETWORK) when the connection drops, without credentials', async () => {
      const flow = await TestFlow.load(api.url);
      api.inject({ drop: true });
      const outcome = await flow.run({ payload: 'x', metadata: { toNumber: TO_NUMBER } });
      const error = outcome.msg.error as { message: string; code: unknown; cause: { code: unknown } };
      should(error.code).equal('ERR_MAYBE_SENT');
      should(error.cause.code).equal('ERR_NETWORK');
      should(error.message).match(/connection to the Twilio API broke/);
      should(api.requests).have.length(1);
      should(JSON.stringify(outcome.msg)).not.containEql(SANDBOX_ACCOUNT.authToken);
      should(JSON.stringify(outcome.msg)).not.containEql(BASIC_AUTH.slice(6));
    });

    it('fails with ERR_CONNECT when nothing listens at the API URL', async () => {
      const closed = await TwilioApi.start();
      const url = closed.url;
      await closed.close();
      const flow = await TestFlow.load(url, { config: { retries: '0' } });
      const outcome = await flow.run({ payload: 'x', metadata: { toNumber: TO_NUMBER } });
      const error = outcome.msg.error as { message: string; code: unknown };
      should(error.code).equal('ERR_CONNECT');
      should(error.message).equal('cannot connect to the Twilio API (ECONNREFUSED) (1 attempt)');
    });
  });

  describe('the config node', () => {
    it('takes credentials written as ${NAME} from the environment', async () => {
      process.env.TEST_TWILIO_SID = SANDBOX_ACCOUNT.accountSid;
      process.env.TEST_TWILIO_TOKEN = SANDBOX_ACCOUNT.authToken;
      process.env.TEST_TWILIO_FROM = '+15005550006';
      process.env.TEST_TWILIO_TO = '+14155550122';
      try {
        const flow = await TestFlow.load(api.url, {
          credentials: {
            accountSid: '${TEST_TWILIO_SID}',
            authToken: '${TEST_TWILIO_TOKEN}',
            fromNumber: '${TEST_TWILIO_FROM}',
            toNumber: '${TEST_TWILIO_TO}',
          },
        });
        const outcome = await flow.run({ payload: 'from the environment' });
        should(outcome.kind).equal('sent');
        should(api.requests[0]?.headers.authorization).equal(BASIC_AUTH);
        should(api.requests[0]?.form).containEql({ From: '+15005550006', To: '+14155550122' });
      } finally {
        for (const name of ['TEST_TWILIO_SID', 'TEST_TWILIO_TOKEN', 'TEST_TWILIO_FROM', 'TEST_TWILIO_TO']) {
          Reflect.deleteProperty(process.env, name);
        }
      }
    });

    const invalid: [string, Record<string, string>, Record<string, unknown>, RegExp][] = [
      ['no fromNumber', { ...DEFAULT_CREDENTIALS, fromNumber: '' }, {}, /^"fromNumber" is a required field$/],
      ['no accountSid', { ...DEFAULT_CREDENTIALS, accountSid: '' }, {}, /^"accountSid" is a required field$/],
      ['no authToken', { ...DEFAULT_CREDENTIALS, authToken: '' }, {}, /^"authToken" is a required field$/],
      ['a malformed accountSid', { ...DEFAULT_CREDENTIALS, accountSid: 'AC42' }, {}, /"accountSid" must be/],
      ['an unparseable timeout', DEFAULT_CREDENTIALS, { timeout: 'soon' }, /"timeout" must be a duration/],
      [
        'an unset environment variable',
        { ...DEFAULT_CREDENTIALS, authToken: '${NO_SUCH_VAR_HERE}' },
        {},
        /^"authToken" names the environment variable NO_SUCH_VAR_HERE, which is not set$/,
      ],
    ];
    for (const [what, credentials, config, message] of invalid) {
      it(`with ${what}: red status on the binding node, each msg fails with ERR_BAD_CONFIG, nothing is sent`, async () => {
        const flow = await TestFlow.load(api.url, { credentials, config });
        should(flow.lastStatus()).deepEqual({ fill: 'red', shape: 'ring', text: 'ERR_BAD_CONFIG' });
        const outcome = await flow.run({ payload: 'x', metadata: { toNumber: TO_NUMBER } });
        should(outcome.kind).equal('failed');
        const error = outcome.msg.error as { message: string; code: unknown };
        should(error.code).equal('ERR_BAD_CONFIG');
        should(error.message).match(message);
        should(api.requests).have.length(0);
        const configNode = helper.getNode('account');
        should(
          (configNode.error as unknown as { calledWithMatch: (m: RegExp) => boolean }).calledWithMatch(
            message,
          ),
        ).be.true();
      });
    }

    it('fails each msg with ERR_NO_CONFIG when the binding has no config node', async () => {
      const flow = await TestFlow.load(api.url, { binding: { account: '' } });
      should(flow.lastStatus()).deepEqual({ fill: 'red', shape: 'ring', text: 'ERR_NO_CONFIG' });
      const outcome = await flow.run({ payload: 'x', metadata: { toNumber: TO_NUMBER } });
      should((outcome.msg.error as { code: unknown }).code).equal('ERR_NO_CONFIG');
    });
  });
});
