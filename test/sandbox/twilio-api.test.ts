import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import should from 'should';
import twilio from 'twilio';
import {
  SANDBOX_ACCOUNT,
  TwilioApi,
  type RecordedRequest,
  type SandboxAccount,
  type SandboxMessage,
  type TwilioApiOptions,
} from '../../sandbox/twilio-api';

const SID = SANDBOX_ACCOUNT.accountSid;
const TOKEN = SANDBOX_ACCOUNT.authToken;
const OTHER: SandboxAccount = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'fedcba9876543210fedcba9876543210',
};
const MESSAGES = `/2010-04-01/Accounts/${SID}/Messages.json`;
const FROM = '+15005550006';
const TO = '+14155550100';
const RFC_2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

const AUTH = basic(SID, TOKEN);

type Form = Record<string, string | string[]>;

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

let servers: TwilioApi[] = [];
let api: TwilioApi;

async function start(options?: TwilioApiOptions): Promise<TwilioApi> {
  const started = await TwilioApi.start(options);
  servers.push(started);
  return started;
}

function encode(form: Form): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return params.toString();
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  { form, auth = AUTH, on = api }: { form?: Form; auth?: string | null; on?: TwilioApi } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.Authorization = auth;
  if (form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(on.url + path, {
    method,
    headers,
    body: form === undefined ? undefined : encode(form),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

function send(form: Form, options?: { auth?: string | null; on?: TwilioApi }): Promise<Reply> {
  return call('POST', MESSAGES, { form, ...options });
}

function shouldBeTwilioError(reply: Reply, status: number, code: number, message?: string): void {
  reply.status.should.equal(status);
  should(reply.headers.get('content-type')).equal('application/json');
  reply.json.should.have.properties({
    code,
    status,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
  });
  if (message !== undefined) reply.json.should.have.property('message', message);
}

describe('TwilioApi', () => {
  beforeEach(async () => {
    api = await start();
  });

  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });

  describe('start', () => {
    it('listens on 127.0.0.1 at a free port', () => {
      api.url.should.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      api.url.should.not.equal('http://127.0.0.1:0');
    });

    it('refuses an account whose SID is not an Account SID', async () => {
      await TwilioApi.start({ accounts: [{ accountSid: 'nope', authToken: 'x' }] }).should.be.rejectedWith(
        /not an Account SID/,
      );
    });

    it('fails to start on a port already in use', async () => {
      const port = Number(new URL(api.url).port);
      await TwilioApi.start({ port }).should.be.rejectedWith({ code: 'EADDRINUSE' });
    });
  });

  describe('authentication', () => {
    it('answers 401 Authenticate with a Basic challenge without credentials', async () => {
      const reply = await send({ To: TO, From: FROM, Body: 'hi' }, { auth: null });
      shouldBeTwilioError(reply, 401, 20003, 'Authenticate');
      should(reply.headers.get('www-authenticate')).equal('Basic realm="Twilio API"');
      api.messages.should.be.empty();
    });

    it('answers 401 for a wrong token', async () => {
      shouldBeTwilioError(
        await send({ To: TO, From: FROM, Body: 'hi' }, { auth: basic(SID, 'wrong') }),
        401,
        20003,
      );
    });

    it('answers 401 for an account it does not know', async () => {
      const reply = await send(
        { To: TO, From: FROM, Body: 'hi' },
        { auth: basic(OTHER.accountSid, OTHER.authToken) },
      );
      shouldBeTwilioError(reply, 401, 20003);
    });

    it('answers 401 for a malformed Authorization header', async () => {
      shouldBeTwilioError(await send({ To: TO, Body: 'hi' }, { auth: 'Bearer abc' }), 401, 20003);
      shouldBeTwilioError(await send({ To: TO, Body: 'hi' }, { auth: 'Basic bm9jb2xvbg==' }), 401, 20003);
    });

    it('authenticates before routing', async () => {
      shouldBeTwilioError(await call('GET', '/nowhere', { auth: null }), 401, 20003);
    });

    it('answers 401 when the path names another known account than the credentials', async () => {
      const both = await start({ accounts: [SANDBOX_ACCOUNT, OTHER] });
      const path = `/2010-04-01/Accounts/${OTHER.accountSid}/Messages.json`;
      const reply = await call('POST', path, { form: { To: TO, From: FROM, Body: 'hi' }, on: both });
      shouldBeTwilioError(reply, 401, 20003);
      const own = await call('POST', path, {
        form: { To: TO, From: FROM, Body: 'hi' },
        auth: basic(OTHER.accountSid, OTHER.authToken),
        on: both,
      });
      own.status.should.equal(201);
      own.json.should.have.property('account_sid', OTHER.accountSid);
    });

    it('answers 404 for a path whose AccountSid is malformed', async () => {
      const path = '/2010-04-01/Accounts/ACnothex/Messages.json';
      const reply = await call('POST', path, { form: { To: TO, From: FROM, Body: 'hi' } });
      shouldBeTwilioError(reply, 404, 20404, `The requested resource ${path} was not found`);
    });
  });

  describe('create validation', () => {
    const cases: [string, Form, number, string][] = [
      ['no To', { From: FROM, Body: 'hi' }, 21604, "A 'To' phone number is required."],
      ['an empty To', { To: '', From: FROM, Body: 'hi' }, 21604, "A 'To' phone number is required."],
      ['no To before a bad From', { From: 'bad!', Body: 'hi' }, 21604, "A 'To' phone number is required."],
      ['a To without +', { To: '14155550100', From: FROM, Body: 'hi' }, 21211, fmt21211('14155550100')],
      ['a To with a leading 0', { To: '+0415555', From: FROM, Body: 'hi' }, 21211, fmt21211('+0415555')],
      [
        'a To of 16 digits',
        { To: '+1234567890123456', From: FROM, Body: 'hi' },
        21211,
        fmt21211('+1234567890123456'),
      ],
      ['an alphanumeric To', { To: 'MyShop', From: FROM, Body: 'hi' }, 21211, fmt21211('MyShop')],
      [
        'neither From nor MessagingServiceSid',
        { To: TO, Body: 'hi' },
        21603,
        "A 'From' phone number is required.",
      ],
      [
        'a malformed MessagingServiceSid',
        { To: TO, MessagingServiceSid: 'MG123', Body: 'hi' },
        21705,
        'The Messaging Service Sid MG123 is invalid.',
      ],
      ['a From with punctuation', { To: TO, From: 'bad!', Body: 'hi' }, 21212, fmt21212('bad!')],
      ['a 4-digit From', { To: TO, From: '1234', Body: 'hi' }, 21212, fmt21212('1234')],
      ['a 7-digit From', { To: TO, From: '1234567', Body: 'hi' }, 21212, fmt21212('1234567')],
      [
        'a 12-character sender ID',
        { To: TO, From: 'ABCDEFGHIJKL', Body: 'hi' },
        21212,
        fmt21212('ABCDEFGHIJKL'),
      ],
      [
        'a whatsapp: To from an SMS sender',
        { To: `whatsapp:${TO}`, From: FROM, Body: 'hi' },
        21910,
        "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel",
      ],
      [
        'an SMS To from a whatsapp: sender',
        { To: TO, From: `whatsapp:${FROM}`, Body: 'hi' },
        21910,
        "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel",
      ],
      ['no Body, MediaUrl or ContentSid', { To: TO, From: FROM }, 21602, 'Message body is required.'],
      ['an empty Body', { To: TO, From: FROM, Body: '' }, 21602, 'Message body is required.'],
      [
        'a Body of 1601 characters',
        { To: TO, From: FROM, Body: 'a'.repeat(1601) },
        21617,
        'The concatenated message body exceeds the 1600 character limit.',
      ],
      ['magic +15005550001', { To: '+15005550001', From: FROM, Body: 'hi' }, 21211, fmt21211('+15005550001')],
      [
        'magic +15005550002',
        { To: '+15005550002', From: FROM, Body: 'hi' },
        21612,
        `The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number: ${FROM} via SMS.`,
      ],
      [
        'magic +15005550002 through a Messaging Service',
        { To: '+15005550002', MessagingServiceSid: `MG${'a'.repeat(32)}`, Body: 'hi' },
        21612,
        "The 'To' phone number: +15005550002, is not currently reachable via SMS.",
      ],
      [
        'magic +15005550003',
        { To: '+15005550003', From: FROM, Body: 'hi' },
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550003.",
      ],
      [
        'magic +15005550004',
        { To: '+15005550004', From: FROM, Body: 'hi' },
        21610,
        'Attempt to send to unsubscribed recipient',
      ],
      [
        'magic +15005550009',
        { To: '+15005550009', From: FROM, Body: 'hi' },
        21614,
        'To number: +15005550009, is not a mobile number',
      ],
    ];

    for (const [name, form, code, message] of cases) {
      it(`answers 400 ${code} for ${name}`, async () => {
        shouldBeTwilioError(await send(form), 400, code, message);
        api.messages.should.be.empty();
      });
    }

    it('accepts a Body of exactly 1600 characters', async () => {
      const reply = await send({ To: TO, From: FROM, Body: 'a'.repeat(1600) });
      reply.status.should.equal(201);
      reply.json.should.have.property('num_segments', '11');
    });

    for (const from of ['12345', '123456', 'MyShop', 'My Shop 24', 'A', '+447700900123']) {
      it(`accepts the sender ${from}`, async () => {
        const reply = await send({ To: TO, From: from, Body: 'hi' });
        reply.status.should.equal(201);
        reply.json.should.have.property('from', from);
      });
    }

    it('accepts a whatsapp: pair', async () => {
      const reply = await send({ To: `whatsapp:${TO}`, From: `whatsapp:${FROM}`, Body: 'hi' });
      reply.status.should.equal(201);
      reply.json.should.have.properties({ to: `whatsapp:${TO}`, from: `whatsapp:${FROM}` });
    });

    it('accepts a ContentSid without a Body', async () => {
      const reply = await send({ To: TO, From: FROM, ContentSid: `HX${'b'.repeat(32)}` });
      reply.status.should.equal(201);
      reply.json.should.have.property('body', '');
    });
  });

  describe('created messages', () => {
    it('answers 201 with the message resource and keeps it', async () => {
      const events: SandboxMessage[] = [];
      api.on('message', (message) => events.push(message));
      const reply = await send({ To: TO, From: FROM, Body: 'Hello' });

      reply.status.should.equal(201);
      should(reply.headers.get('content-type')).equal('application/json');
      const message = reply.json;
      Object.keys(message)
        .sort()
        .should.eql([
          'account_sid',
          'api_version',
          'body',
          'date_created',
          'date_sent',
          'date_updated',
          'direction',
          'error_code',
          'error_message',
          'from',
          'messaging_service_sid',
          'num_media',
          'num_segments',
          'price',
          'price_unit',
          'sid',
          'status',
          'subresource_uris',
          'to',
          'uri',
        ]);
      const sid = message.sid as string;
      sid.should.match(/^SM[0-9a-f]{32}$/);
      message.should.have.properties({
        account_sid: SID,
        api_version: '2010-04-01',
        body: 'Hello',
        date_sent: null,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: FROM,
        messaging_service_sid: null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        status: 'queued',
        to: TO,
        uri: `/2010-04-01/Accounts/${SID}/Messages/${sid}.json`,
        subresource_uris: {
          media: `/2010-04-01/Accounts/${SID}/Messages/${sid}/Media.json`,
          feedback: `/2010-04-01/Accounts/${SID}/Messages/${sid}/Feedback.json`,
        },
      });
      (message.date_created as string).should.match(RFC_2822);
      message.should.have.property('date_updated', message.date_created);
      api.messages.should.eql([message]);
      events.should.eql([message]);
    });

    it('gives every message its own sid', async () => {
      const first = await send({ To: TO, From: FROM, Body: 'one' });
      const second = await send({ To: TO, From: FROM, Body: 'two' });
      should(first.json.sid).be.a.String().and.not.equal(second.json.sid);
    });

    it('counts segments of the body', async () => {
      (await send({ To: TO, From: FROM, Body: 'a'.repeat(160) })).json.should.have.property(
        'num_segments',
        '1',
      );
      (await send({ To: TO, From: FROM, Body: 'a'.repeat(161) })).json.should.have.property(
        'num_segments',
        '2',
      );
      (await send({ To: TO, From: FROM, Body: 'ж'.repeat(70) })).json.should.have.property(
        'num_segments',
        '1',
      );
      (await send({ To: TO, From: FROM, Body: 'ж'.repeat(71) })).json.should.have.property(
        'num_segments',
        '2',
      );
    });

    it('answers status accepted, from null, for a Messaging Service without a From', async () => {
      const serviceSid = `MG${'0123456789abcdef'.repeat(2)}`;
      const reply = await send({ To: TO, MessagingServiceSid: serviceSid, Body: 'hi' });
      reply.status.should.equal(201);
      reply.json.should.have.properties({
        from: null,
        messaging_service_sid: serviceSid,
        status: 'accepted',
      });
    });

    it('takes repeated MediaUrl as a list and needs no Body with media', async () => {
      const media = ['https://example.com/a.png', 'https://example.com/b.png'];
      const reply = await send({ To: TO, From: FROM, MediaUrl: media });
      reply.status.should.equal(201);
      reply.json.should.have.properties({ num_media: '2', body: '' });
      at(api.requests, 0).form.should.eql({ To: TO, From: FROM, MediaUrl: media });
    });

    it('fetches a message created here', async () => {
      const created = await send({ To: TO, From: FROM, Body: 'fetch me' });
      const fetched = await call(
        'GET',
        `/2010-04-01/Accounts/${SID}/Messages/${created.json.sid as string}.json`,
      );
      fetched.status.should.equal(200);
      fetched.json.should.eql(created.json);
    });

    it('answers 404 for a message it did not create', async () => {
      const path = `/2010-04-01/Accounts/${SID}/Messages/SM${'0'.repeat(32)}.json`;
      shouldBeTwilioError(
        await call('GET', path),
        404,
        20404,
        `The requested resource ${path} was not found`,
      );
    });

    it("answers 404 for another account's message", async () => {
      const both = await start({ accounts: [SANDBOX_ACCOUNT, OTHER] });
      const created = await send({ To: TO, From: FROM, Body: 'mine' }, { on: both });
      const path = `/2010-04-01/Accounts/${OTHER.accountSid}/Messages/${created.json.sid as string}.json`;
      const reply = await call('GET', path, { auth: basic(OTHER.accountSid, OTHER.authToken), on: both });
      shouldBeTwilioError(reply, 404, 20404);
    });
  });

  describe('other routes', () => {
    it('answers the account resource', async () => {
      const reply = await call('GET', `/2010-04-01/Accounts/${SID}.json`);
      reply.status.should.equal(200);
      reply.json.should.have.properties({
        sid: SID,
        friendly_name: 'Local sandbox',
        status: 'active',
        type: 'Full',
        auth_token: TOKEN,
        owner_account_sid: SID,
        uri: `/2010-04-01/Accounts/${SID}.json`,
      });
      (reply.json.date_created as string).should.match(RFC_2822);
      (reply.json.date_updated as string).should.match(RFC_2822);
    });

    it('names an account without a friendly name by its SID', async () => {
      const other = await start({ accounts: [OTHER] });
      const reply = await call('GET', `/2010-04-01/Accounts/${OTHER.accountSid}.json`, {
        auth: basic(OTHER.accountSid, OTHER.authToken),
        on: other,
      });
      reply.json.should.have.property('friendly_name', OTHER.accountSid);
    });

    it('answers 404 for unknown routes and methods', async () => {
      for (const [method, path] of [
        ['GET', `/2010-04-01/Accounts/${SID}/Calls.json`],
        ['GET', MESSAGES],
        ['POST', `/2010-04-01/Accounts/${SID}.json`],
        ['GET', '/'],
      ] as const) {
        shouldBeTwilioError(
          await call(method, path),
          404,
          20404,
          `The requested resource ${path} was not found`,
        );
      }
    });

    it('routes on the path without its query string', async () => {
      const reply = await call('POST', `${MESSAGES}?x=1`, { form: { To: TO, From: FROM, Body: 'hi' } });
      reply.status.should.equal(201);
      at(api.requests, 0).path.should.equal(`${MESSAGES}?x=1`);
    });

    it('answers 413 to a body over 1 MB and records nothing', async () => {
      const reply = await send({ To: TO, From: FROM, Body: 'a'.repeat(1024 * 1024) });
      shouldBeTwilioError(reply, 413, 413);
      api.requests.should.be.empty();
      api.inFlight.should.equal(0);
    });
  });

  describe('recording', () => {
    it('records each request with its decoded auth, form, arrival time and answered status', async () => {
      const seen: RecordedRequest[] = [];
      api.on('request', (request) => seen.push({ ...request }));
      const before = Date.now();
      await send({ To: TO, From: FROM, Body: 'hi' });
      const after = Date.now();

      api.requests.should.have.length(1);
      const request = at(api.requests, 0);
      request.should.have.properties({
        method: 'POST',
        path: MESSAGES,
        auth: { username: SID, password: TOKEN },
        form: { To: TO, From: FROM, Body: 'hi' },
        status: 201,
      });
      request.headers.should.have.property('content-type', 'application/x-www-form-urlencoded');
      request.receivedAt.should.be.within(before, after);
      // The event comes before the answer, so its status is not known yet.
      seen.should.have.length(1);
      should(at(seen, 0).status).be.undefined();
    });

    it('keeps nothing with record: false, still emitting events', async () => {
      const quiet = await start({ record: false });
      let created = 0;
      quiet.on('message', () => (created += 1));
      const replies = await Promise.all(
        [1, 2, 3].map(() => send({ To: TO, From: FROM, Body: 'hi' }, { on: quiet })),
      );
      replies.map((reply) => reply.status).should.eql([201, 201, 201]);
      created.should.equal(3);
      quiet.requests.should.be.empty();
      quiet.messages.should.be.empty();
      const path = `/2010-04-01/Accounts/${SID}/Messages/${at(replies, 0).json.sid as string}.json`;
      shouldBeTwilioError(await call('GET', path, { on: quiet }), 404, 20404);
      await quiet.waitForRequests(1).should.be.rejectedWith(/record: true/);
    });

    it('reset() forgets requests, messages and faults', async () => {
      api.inject({ status: 500, count: 5 });
      await send({ To: TO, From: FROM, Body: 'hi' });
      await send({ To: TO, From: FROM, Body: 'hi' });
      api.maxInFlight.should.equal(1);
      api.reset();
      api.requests.should.be.empty();
      api.messages.should.be.empty();
      api.maxInFlight.should.equal(0);
      (await send({ To: TO, From: FROM, Body: 'hi' })).status.should.equal(201);
      const fetched = await call(
        'GET',
        `/2010-04-01/Accounts/${SID}/Messages/${at(api.messages, 0).sid}.json`,
      );
      fetched.status.should.equal(200);
      api.reset();
      shouldBeTwilioError(
        await call('GET', `/2010-04-01/Accounts/${SID}/Messages/${fetched.json.sid as string}.json`),
        404,
        20404,
      );
    });
  });

  describe('waitForRequests', () => {
    it('resolves once the requests have arrived', async () => {
      const waiting = api.waitForRequests(2);
      await send({ To: TO, From: FROM, Body: 'one' });
      api.requests.should.have.length(1);
      await send({ To: TO, From: FROM, Body: 'two' });
      const requests = await waiting;
      requests.map((request) => request.form.Body).should.eql(['one', 'two']);
    });

    it('resolves at once when enough have arrived already', async () => {
      await send({ To: TO, From: FROM, Body: 'one' });
      (await api.waitForRequests(1)).should.have.length(1);
    });

    it('rejects after its timeout', async () => {
      await api.waitForRequests(1, 20).should.be.rejectedWith('expected 1 request(s) within 20 ms, got 0');
    });

    it('rejects when the server closes', async () => {
      const waiting = api.waitForRequests(1);
      await api.close();
      await waiting.should.be.rejectedWith(/closed/);
    });
  });

  describe('faults', () => {
    it('answers an injected status for count requests, then normally', async () => {
      api.inject({ status: 503, retryAfter: 2, count: 2 });
      for (let i = 0; i < 2; i++) {
        const reply = await send({ To: TO, From: FROM, Body: 'hi' });
        shouldBeTwilioError(reply, 503, 20500, 'Service Unavailable');
        should(reply.headers.get('retry-after')).equal('2');
      }
      const reply = await send({ To: TO, From: FROM, Body: 'hi' });
      reply.status.should.equal(201);
      should(reply.headers.get('retry-after')).be.null();
      api.requests.map((request) => request.status).should.eql([503, 503, 201]);
      api.messages.should.have.length(1);
    });

    it('takes 20429 as the code for 429 and the status for other 4xx', async () => {
      api.inject({ status: 429, retryAfter: 1 });
      api.inject({ status: 400 });
      shouldBeTwilioError(await send({ To: TO, From: FROM, Body: 'hi' }), 429, 20429, 'Too Many Requests');
      shouldBeTwilioError(await send({ To: TO, From: FROM, Body: 'hi' }), 400, 400, 'Bad Request');
    });

    it('answers a given code and message', async () => {
      api.inject({ status: 400, code: 30007, message: 'Message filtered' });
      shouldBeTwilioError(await send({ To: TO, From: FROM, Body: 'hi' }), 400, 30007, 'Message filtered');
    });

    it('applies faults in the order injected, to any route', async () => {
      api.inject({ status: 500 });
      api.inject({ status: 502 });
      (await call('GET', `/2010-04-01/Accounts/${SID}.json`)).status.should.equal(500);
      (await call('GET', '/anything', { auth: null })).status.should.equal(502);
      (await call('GET', `/2010-04-01/Accounts/${SID}.json`)).status.should.equal(200);
    });

    it('delays the normal answer', async () => {
      api.inject({ delayMs: 150 });
      const started = Date.now();
      const reply = await send({ To: TO, From: FROM, Body: 'hi' });
      (Date.now() - started).should.be.aboveOrEqual(140);
      reply.status.should.equal(201);
    });

    it('delays an injected status', async () => {
      api.inject({ status: 500, delayMs: 150 });
      const started = Date.now();
      shouldBeTwilioError(await send({ To: TO, From: FROM, Body: 'hi' }), 500, 20500);
      (Date.now() - started).should.be.aboveOrEqual(140);
    });

    it('delays every answer by latencyMs, settable at run time', async () => {
      api.latencyMs = 150;
      const started = Date.now();
      (await send({ To: TO, From: FROM, Body: 'hi' })).status.should.equal(201);
      (Date.now() - started).should.be.aboveOrEqual(140);
      const slow = await start({ latencyMs: 150 });
      const slowStarted = Date.now();
      (await send({ To: TO, From: FROM, Body: 'hi' }, { on: slow })).status.should.equal(201);
      (Date.now() - slowStarted).should.be.aboveOrEqual(140);
    });

    it('drops the connection without an answer, then answers the next request', async () => {
      api.inject({ drop: true });
      await send({ To: TO, From: FROM, Body: 'hi' }).should.be.rejectedWith(TypeError);
      api.requests.should.have.length(1);
      should(at(api.requests, 0).status).be.undefined();
      api.messages.should.be.empty();
      api.inFlight.should.equal(0);
      (await send({ To: TO, From: FROM, Body: 'hi' })).status.should.equal(201);
    });

    it('refuses faults that cannot be applied', () => {
      should(() => {
        api.inject({ count: 0 });
      }).throw(RangeError);
      should(() => {
        api.inject({ status: 200 });
      }).throw(RangeError);
      should(() => {
        api.inject({ code: 20500 });
      }).throw(TypeError);
      should(() => {
        api.inject({ drop: true, status: 500 });
      }).throw(TypeError);
    });
  });

  describe('in-flight accounting', () => {
    it('counts concurrent requests from arrival to answer', async () => {
      api.inject({ delayMs: 200, count: 5 });
      const replies = Promise.all([1, 2, 3, 4, 5].map(() => send({ To: TO, From: FROM, Body: 'hi' })));
      await api.waitForRequests(5);
      api.inFlight.should.equal(5);
      (await replies).map((reply) => reply.status).should.eql([201, 201, 201, 201, 201]);
      api.inFlight.should.equal(0);
      api.maxInFlight.should.equal(5);
    });
  });

  describe('connections', () => {
    it('serves several requests on one keep-alive connection', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const ports: number[] = [];
      for (let i = 0; i < 2; i++) {
        const req = http.request(`${api.url}/2010-04-01/Accounts/${SID}.json`, {
          agent,
          headers: { Authorization: AUTH },
        });
        req.end();
        const [res] = (await once(req, 'response')) as [http.IncomingMessage];
        should(res.statusCode).equal(200);
        ports.push(res.socket.localPort ?? -1);
        res.resume();
        await once(res, 'end');
      }
      ports.should.have.length(2);
      should(ports[0]).equal(ports[1]);
      agent.destroy();
    });

    it('close() closes idle keep-alive sockets', async () => {
      const agent = new http.Agent({ keepAlive: true });
      const req = http.request(`${api.url}/2010-04-01/Accounts/${SID}.json`, {
        agent,
        headers: { Authorization: AUTH },
      });
      req.end();
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      const socket: Socket = res.socket;
      res.resume();
      await once(res, 'end');
      const closed = once(socket, 'close');
      await api.close();
      await closed;
      socket.destroyed.should.be.true();
      agent.destroy();
    });

    it('close() ends a request still waiting for its delayed answer', async () => {
      api.inject({ delayMs: 60_000 });
      const pending = send({ To: TO, From: FROM, Body: 'hi' });
      await api.waitForRequests(1);
      await api.close();
      await pending.should.be.rejectedWith(TypeError);
      api.inFlight.should.equal(0);
      api.messages.should.be.empty();
    });

    it('close() can be called twice', async () => {
      await api.close();
      await api.close();
      await fetch(api.url).should.be.rejectedWith(TypeError);
    });
  });

  describe('with the twilio SDK', () => {
    function client(sid = SID, token = TOKEN): twilio.Twilio {
      const sdk = twilio(sid, token, { autoRetry: false });
      sdk.api.baseUrl = api.url;
      return sdk;
    }

    it('creates and fetches a message', async () => {
      const sdk = client();
      const message = await sdk.messages.create({ to: TO, from: FROM, body: 'Hello from the SDK' });
      message.sid.should.match(/^SM[0-9a-f]{32}$/);
      message.should.have.properties({
        accountSid: SID,
        to: TO,
        from: FROM,
        body: 'Hello from the SDK',
        status: 'queued',
        numSegments: '1',
        direction: 'outbound-api',
      });
      message.dateCreated.should.be.instanceOf(Date);
      at(api.requests, 0).should.have.properties({ method: 'POST', path: MESSAGES });
      should(at(api.requests, 0).auth).eql({ username: SID, password: TOKEN });

      const fetched = await sdk.messages(message.sid).fetch();
      fetched.sid.should.equal(message.sid);
    });

    it('sends MediaUrl as repeated fields', async () => {
      const media = ['https://example.com/a.png', 'https://example.com/b.png'];
      const message = await client().messages.create({ to: TO, from: FROM, mediaUrl: media });
      message.numMedia.should.equal('2');
      at(api.requests, 0).form.should.have.property('MediaUrl', media);
    });

    it('turns a 400 into a RestException with code and moreInfo', async () => {
      const err: unknown = await client()
        .messages.create({ to: 'not-a-number', from: FROM, body: 'hi' })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      should(err).be.instanceOf(twilio.RestException).and.have.properties({
        status: 400,
        code: 21211,
        message: "The 'To' number not-a-number is not a valid phone number.",
        moreInfo: 'https://www.twilio.com/docs/errors/21211',
      });
    });

    it('is refused with a wrong token', async () => {
      await client(SID, 'wrong')
        .messages.create({ to: TO, from: FROM, body: 'hi' })
        .should.be.rejectedWith({ status: 401, code: 20003 });
    });

    it('fetches the account', async () => {
      const account = await client().api.v2010.accounts(SID).fetch();
      account.should.have.properties({
        sid: SID,
        friendlyName: 'Local sandbox',
        status: 'active',
        type: 'Full',
      });
    });
  });
});

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index} among ${items.length}`);
  return item;
}

function fmt21211(to: string): string {
  return `The 'To' number ${to} is not a valid phone number.`;
}

function fmt21212(from: string): string {
  return `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`;
}
