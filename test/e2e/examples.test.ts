import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import should from 'should';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import { Mosquitto, withBroker } from '../support/mosquitto';
import {
  deployFlows,
  type Deployment,
  type FlowNode,
  installedTypes,
  installPackedPackage,
  NodeRedProcess,
  problemLines,
  removeUserDir,
  withAccount,
  E2E_CREDENTIALS,
  E2E_FROM_NUMBER,
  E2E_TO_NUMBER,
} from '../support/node-red-process';

const PACKAGE = 'node-red-contrib-twilio-sms-binding';
const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');
const FILES = readdirSync(EXAMPLES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort();

const FROM_NUMBER = E2E_FROM_NUMBER;
const TO_NUMBER = E2E_TO_NUMBER;
/** A recipient a request chooses: in the country of FROM_NUMBER, so no allowlist is needed for it. */
const OTHER_NUMBER = '+14155550123';
const SANDBOX_AUTH = { username: SANDBOX_ACCOUNT.accountSid, password: SANDBOX_ACCOUNT.authToken };

// Not node types: the editor's own structures.
const STRUCTURES = new Set(['tab', 'subflow', 'group', 'junction']);

function readExample(file: string): FlowNode[] {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[];
}

interface Answer {
  status: number;
  body: unknown;
}

/** The fields of a message resource that the local API's record and the flows' answers share. */
interface Resource {
  sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
}

/** What the running test has started; each is undefined until started. */
class Services {
  userDir: string | undefined;
  api: TwilioApi | undefined;
  broker: Mosquitto | undefined;
  nodeRed: NodeRedProcess | undefined;
  installed = new Set<string>();

  get running(): { api: TwilioApi; broker: Mosquitto; nodeRed: NodeRedProcess } {
    const { api, broker, nodeRed } = this;
    if (api === undefined || broker === undefined || nodeRed === undefined) throw new Error('not started');
    return { api, broker, nodeRed };
  }

  async request(path: string, init: { method?: string; type?: string; body?: string } = {}): Promise<Answer> {
    const { nodeRed } = this.running;
    const response = await fetch(`${nodeRed.url}${path}`, {
      method: init.method ?? 'POST',
      headers: init.type === undefined ? {} : { 'content-type': init.type },
      body: init.body,
    });
    const text = await response.text();
    let body: unknown = text;
    if (response.headers.get('content-type')?.includes('json')) body = JSON.parse(text) as unknown;
    return { status: response.status, body };
  }

  postJson(path: string, value: unknown): Promise<Answer> {
    return this.request(path, { type: 'application/json', body: JSON.stringify(value) });
  }
}

/** A deployed example: what was deployed and where Node-RED's output stood before. */
interface Deployed {
  flow: FlowNode[];
  deploy: Deployment;
  /** Types of the flow that Node-RED has not installed. */
  missingTypes: string[];
}

/** The one node of `type` in the flow. */
function only(flow: FlowNode[], type: string): FlowNode {
  const [node, ...others] = flow.filter((candidate) => candidate.type === type);
  if (node === undefined || others.length > 0) throw new Error(`not one ${type} node in the flow`);
  return node;
}

/** Asserts that the local API got exactly one create request, with this form, and returns its message. */
function oneMessage(api: TwilioApi, form: Record<string, string>): Resource {
  should(api.requests.map((request) => request.form)).deepEqual([form]);
  should(api.requests[0]?.auth).deepEqual(SANDBOX_AUTH);
  should(api.requests[0]?.path).equal(`/2010-04-01/Accounts/${SANDBOX_ACCOUNT.accountSid}/Messages.json`);
  should(api.messages).have.length(1);
  return api.messages[0] as Resource;
}

/** Asserts that an HTTP answer is the message resource the API created. */
function isResource(answer: Answer, status: number, message: Resource): void {
  should(answer.status).equal(status, JSON.stringify(answer.body));
  should(answer.body).be.an.Object();
  const resource = answer.body as Resource;
  should(resource).containEql({
    sid: message.sid,
    to: message.to,
    from: message.from,
    body: message.body,
    status: 'queued',
  });
  should(resource.sid).match(/^SM[0-9a-f]{32}$/);
}

/** How each example is used, the way its comment node tells a user to; keyed by file name. */
const RUNS: Record<string, (services: Services, example: () => Deployed) => void> = {
  '01 - Send an SMS from an inject node.json': (services, example) => {
    it("sends the inject node's text to the account's To number when its button is clicked", async () => {
      const { api, nodeRed } = services.running;
      const inject = only(example().flow, 'inject');
      // What the editor's button does.
      const click = await services.request(`/inject/${inject.id}`);
      should(click.status).equal(200, JSON.stringify(click.body));
      await api.waitForRequests(1);
      oneMessage(api, { To: TO_NUMBER, From: FROM_NUMBER, Body: 'Hello from Node-RED' });
      should(problemLines(nodeRed, example().deploy.since)).deepEqual([]);
    });
  },

  '02 - HTTP endpoint that sends an SMS.json': (services, example) => {
    it('answers a text/plain POST /sms with 201 and the message resource, sent to the To number', async () => {
      const { api, nodeRed } = services.running;
      const answer = await services.request('/sms', { type: 'text/plain', body: 'Hello' });
      isResource(answer, 201, oneMessage(api, { To: TO_NUMBER, From: FROM_NUMBER, Body: 'Hello' }));
      should(problemLines(nodeRed, example().deploy.since)).deepEqual([]);
    });

    it('sends a JSON {body, to} to the number it chooses', async () => {
      const { api } = services.running;
      const answer = await services.postJson('/sms', { body: 'Hello JSON', to: OTHER_NUMBER });
      isResource(answer, 201, oneMessage(api, { To: OTHER_NUMBER, From: FROM_NUMBER, Body: 'Hello JSON' }));
    });

    it('sends a form with body and to', async () => {
      const { api } = services.running;
      const form = new URLSearchParams({ body: 'Hello form', to: OTHER_NUMBER }).toString();
      const answer = await services.request('/sms', {
        type: 'application/x-www-form-urlencoded',
        body: form,
      });
      isResource(answer, 201, oneMessage(api, { To: OTHER_NUMBER, From: FROM_NUMBER, Body: 'Hello form' }));
    });

    it('answers 400 {code, message} for a request without text, sending nothing', async () => {
      const { api, nodeRed } = services.running;
      const since = nodeRed.output.length;
      const answer = await services.postJson('/sms', { to: OTHER_NUMBER });
      should(answer.status).equal(400, JSON.stringify(answer.body));
      should(answer.body).have.properties({ code: 'ERR_EMPTY_BODY' });
      should(answer.body).have.property('message').which.is.a.String().and.not.empty();
      should(api.requests).deepEqual([]);
      // The Catch node handled the failure: Node-RED logs only errors that nothing caught.
      should(problemLines(nodeRed, since)).deepEqual([]);
    });

    it("answers 400 with Twilio's code and message when Twilio refuses the message", async () => {
      const { api } = services.running;
      api.inject({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
      const answer = await services.request('/sms', { type: 'text/plain', body: 'Hello' });
      should(answer.status).equal(400, JSON.stringify(answer.body));
      should(answer.body).have.properties({ code: 21610 });
      should(answer.body)
        .have.property('message')
        .which.match(/unsubscribed recipient/);
      // A refusal is permanent: one request, no retry.
      should(api.requests).have.length(1);
    });

    it('answers 502 ERR_MAYBE_SENT when Twilio fails with a 5xx, without retrying', async () => {
      const { api } = services.running;
      api.inject({ status: 500 });
      const answer = await services.request('/sms', { type: 'text/plain', body: 'Hello' });
      should(answer.status).equal(502, JSON.stringify(answer.body));
      should(answer.body).have.properties({ code: 'ERR_MAYBE_SENT' });
      should(answer.body)
        .have.property('message')
        .which.match(/may have been sent/);
      should(api.requests).have.length(1);
    });
  },

  '03 - MQTT alert to SMS.json': (services, example) => {
    it('sends an alert published under alerts/ as an SMS to the To number', async () => {
      const { api, broker, nodeRed } = services.running;
      await broker.publish('alerts/door', JSON.stringify({ message: 'Front door open', level: 'high' }));
      await api.waitForRequests(1);
      oneMessage(api, { To: TO_NUMBER, From: FROM_NUMBER, Body: 'alerts/door: Front door open' });
      should(problemLines(nodeRed, example().deploy.since)).deepEqual([]);
    });
  },

  '04 - Dapr-compatible binding endpoint.json': (services, example) => {
    it('answers a Dapr create request with 200 and the resource; the account To number wins, as in Dapr', async () => {
      const { api, nodeRed } = services.running;
      const answer = await services.postJson('/v1.0/bindings/sms', {
        data: 'Hello Dapr',
        metadata: { toNumber: OTHER_NUMBER },
        operation: 'create',
      });
      isResource(answer, 200, oneMessage(api, { To: TO_NUMBER, From: FROM_NUMBER, Body: 'Hello Dapr' }));
      should(problemLines(nodeRed, example().deploy.since)).deepEqual([]);
    });

    it('sends object data as its JSON text, as Dapr does', async () => {
      const { api } = services.running;
      const answer = await services.postJson('/v1.0/bindings/sms', {
        data: { alert: 'door open', level: 2 },
        operation: 'create',
      });
      const form = { To: TO_NUMBER, From: FROM_NUMBER, Body: '{"alert":"door open","level":2}' };
      isResource(answer, 200, oneMessage(api, form));
    });

    it('answers a request without an operation with 500 ERR_INVOKE_OUTPUT_BINDING, as the sidecar does', async () => {
      const { api } = services.running;
      const answer = await services.postJson('/v1.0/bindings/sms', { data: 'Hello' });
      should(answer.status).equal(500, JSON.stringify(answer.body));
      should(answer.body).deepEqual({
        errorCode: 'ERR_INVOKE_OUTPUT_BINDING',
        message: 'error invoking output binding sms: operation field is missing from request',
      });
      should(api.requests).deepEqual([]);
    });

    it('answers another binding name as a sidecar without that component does', async () => {
      const { api } = services.running;
      const answer = await services.postJson('/v1.0/bindings/email', { data: 'Hello', operation: 'create' });
      should(answer.status).equal(500, JSON.stringify(answer.body));
      should(answer.body).deepEqual({
        errorCode: 'ERR_INVOKE_OUTPUT_BINDING',
        message: "error invoking output binding email: couldn't find output binding email",
      });
      should(api.requests).deepEqual([]);
    });

    it('answers a body that is not a bindings request with 400 ERR_MALFORMED_REQUEST', async () => {
      const { api } = services.running;
      const answer = await services.request('/v1.0/bindings/sms', { type: 'text/plain', body: 'not json' });
      should(answer.status).equal(400, JSON.stringify(answer.body));
      should(answer.body).have.properties({ errorCode: 'ERR_MALFORMED_REQUEST' });
      should(answer.body)
        .have.property('message')
        .which.match(/^failed deserializing HTTP body: /);
      should(api.requests).deepEqual([]);
    });
  },
};

describe('end to end: every example imports into a real node-red and runs against the local API', function () {
  // Packing and installing take most of it; each example then deploys and runs in well under a second.
  this.timeout(180_000);
  const services = new Services();

  before(async () => {
    // Settled, not Promise.all: whatever did start is then assigned, so that after() stops it.
    const started = await Promise.allSettled([
      installPackedPackage().then((dir) => (services.userDir = dir)),
      TwilioApi.start().then((api) => (services.api = api)),
      Mosquitto.start().then((broker) => (services.broker = broker)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason as Error;
    const { userDir } = services;
    if (userDir === undefined) throw new Error('no user directory');
    services.nodeRed = await NodeRedProcess.start(
      userDir,
      `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: 'e2e-secret', logging: { console: { level: 'info' } } };\n`,
    );
    services.installed = await installedTypes(services.nodeRed);
  });

  after(async () => {
    const { userDir, api, broker, nodeRed } = services;
    // Each one stopped even when another fails to stop.
    const results = await Promise.allSettled([nodeRed?.stop(), broker?.stop(), api?.close()]);
    if (userDir !== undefined) await removeUserDir(userDir);
    for (const result of results) if (result.status === 'rejected') throw result.reason as Error;
  });

  beforeEach(() => {
    services.api?.reset();
  });

  it('has a run below for each of the examples, and no run for an example that is gone', () => {
    should(FILES).have.length(4);
    should(FILES).deepEqual(Object.keys(RUNS).sort());
  });

  it('lists every example under the package in Import > Examples, each as the file in examples/', async () => {
    // The editor's Import > Examples menu reads the "examples" library of the Admin API.
    const listing = await services.request(`/library/examples/flows/${PACKAGE}`, { method: 'GET' });
    should(listing.status).equal(200);
    const names = FILES.map((file) => file.replace(/\.json$/, ''));
    should(listing.body).deepEqual(names.map((name) => ({ fn: name })));
    for (const name of names) {
      const entry = await services.request(`/library/examples/flows/${PACKAGE}/${encodeURIComponent(name)}`, {
        method: 'GET',
      });
      should(entry.status).equal(200, name);
      should(entry.body).deepEqual(readExample(`${name}.json`));
    }
  });

  for (const file of FILES) {
    describe(file, () => {
      let deployed: Deployed | undefined;
      const example = (): Deployed => {
        if (deployed === undefined) throw new Error(`${file} was not deployed`);
        return deployed;
      };

      before(async () => {
        const { api, broker, nodeRed } = services.running;
        // As a user imports it and fills in the account dialog; only the MQTT example also has its
        // broker changed, to the test's.
        const flow = withBroker(withAccount(readExample(file), api.url, E2E_CREDENTIALS), broker);
        const missingTypes = [
          ...new Set(flow.map((node) => node.type).filter((type) => !STRUCTURES.has(type))),
        ].filter((type) => !services.installed.has(type));
        const brokerSince = broker.output.length;
        const deploy = await deployFlows(nodeRed, flow);
        deployed = { flow, deploy, missingTypes };
        // With a missing type, Node-RED waits for it instead of starting: the test below says why.
        if (deploy.status !== 200 || missingTypes.length > 0) return;
        await nodeRed.waitForOutput('Started flows', deploy.since);
        if (flow.some((node) => node.type === 'mqtt in')) {
          await nodeRed.waitForOutput('Connected to broker', deploy.since);
          await broker.waitForSubscription(String(only(flow, 'mqtt in').topic), brokerSince);
        }
      });

      it('deploys as imported: every type installed, every node kept, no warning or error logged', async () => {
        const { nodeRed } = services.running;
        const { flow, deploy, missingTypes } = example();
        should(missingTypes).deepEqual([], 'node types not installed');
        should(deploy.status).equal(200, JSON.stringify(deploy.body));
        should(deploy.body).have.property('rev').which.is.a.String();
        const current = await services.request('/flows', { method: 'GET' });
        should(current.status).equal(200);
        const flows = current.body as FlowNode[];
        should(flows.map((node) => `${node.id} ${node.type}`)).deepEqual(
          flow.map((node) => `${node.id} ${node.type}`),
        );
        should(nodeRed.output.slice(deploy.since)).not.containEql('Waiting for missing types');
        should(problemLines(nodeRed, deploy.since)).deepEqual([]);
      });

      const run = RUNS[file];
      if (run === undefined) {
        it('is exercised by this test', () => {
          should.fail(file, Object.keys(RUNS), `no run in RUNS of test/e2e/examples.test.ts for ${file}`);
        });
      } else {
        run(services, example);
      }
    });
  }
});
