/**
 * The auth token never leaves the credentials file: a real node-red process from the packed package sends
 * messages, fails in every way (Twilio error, 401, local error, config error, caught and uncaught), and then
 * everything it printed, recorded, answered and wrote is searched for the token and its Basic auth form.
 */
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import should from 'should';
import { TwilioApi } from '../../sandbox/twilio-api';
import {
  deployFlows,
  installPackedPackage,
  NodeRedProcess,
  removeUserDir,
} from '../support/node-red-process';

// Made fresh for each run: a text that appears anywhere can only have come from these credentials.
const AUTH_TOKEN = randomBytes(16).toString('hex');
const WRONG_TOKEN = randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const MALFORMED_SID = 'AC42';
const CREDENTIAL_SECRET = randomBytes(16).toString('hex');

const FROM_NUMBER = '+15005550006';
const TO_NUMBER = '+14155552671';
/** Twilio's magic number: a valid number that the API refuses with 21211. */
const INVALID_TO = '+15005550001';
const INVALID_TO_MASKED = '+1******0001';

function basicAuth(sid: string, token: string): string {
  return Buffer.from(`${sid}:${token}`).toString('base64');
}

/** Every form the secrets could leak in. */
const SECRETS: Record<string, string> = {
  'the auth token': AUTH_TOKEN,
  'the wrong auth token': WRONG_TOKEN,
  'the Basic auth value': basicAuth(ACCOUNT_SID, AUTH_TOKEN),
  'the Basic auth value of the wrong token': basicAuth(ACCOUNT_SID, WRONG_TOKEN),
  'the Basic auth value of the malformed account': basicAuth(MALFORMED_SID, AUTH_TOKEN),
};

/** The names of the secrets found in a text (case-insensitive: hex may be printed in upper case). */
function leaks(text: string): string[] {
  const lower = text.toLowerCase();
  return Object.entries(SECRETS)
    .filter(([name, secret]) => (name.includes('Basic') ? text.includes(secret) : lower.includes(secret)))
    .map(([name]) => name);
}

const TAB = 'secrets';
const onTab = { z: TAB, x: 200, y: 100 };

function account(id: string, accountSid: string, authToken: string, apiUrl: string): Record<string, unknown> {
  return {
    id,
    type: 'twilio-sms-config',
    // Not the id: Node-RED takes a config node's property equal to a config node id for a reference.
    name: id.replace('-', ' '),
    timeout: '5s',
    apiBaseUrl: apiUrl,
    // The editor sends credentials this way; the runtime moves them into the credentials file.
    credentials: { accountSid, authToken, fromNumber: FROM_NUMBER },
  };
}

/** A function node that appends something to a list in flow context. */
function recorder(id: string, list: string, expression: string, wires: string[][]): Record<string, unknown> {
  return {
    id,
    ...onTab,
    type: 'function',
    name: id,
    func: [
      `const list = flow.get('${list}') || [];`,
      `list.push(RED.util.cloneMessage(${expression}));`,
      `flow.set('${list}', list);`,
      'return msg;',
    ].join('\n'),
    outputs: 1,
    noerr: 0,
    initialize: '',
    finalize: '',
    libs: [],
    wires,
  };
}

/** A POST endpoint that hands the Dapr request in its body to the nodes wired. */
function endpoint(id: string, path: string, wires: string[]): Record<string, unknown> {
  return { id, ...onTab, type: 'http in', url: path, method: 'post', wires: [wires] };
}

function binding(id: string, accountId: string, wires: string[][]): Record<string, unknown> {
  return {
    id,
    ...onTab,
    type: 'twilio-sms-binding',
    name: id.replace('-', ' '),
    account: accountId,
    inputFormat: 'dapr',
    wires,
  };
}

function flow(apiUrl: string): Record<string, unknown>[] {
  const msgWithoutHttp = '(({ req, res, ...rest }) => rest)(msg)';
  return [
    { id: TAB, type: 'tab', label: 'secrets' },
    account('good-account', ACCOUNT_SID, AUTH_TOKEN, apiUrl),
    account('wrong-account', ACCOUNT_SID, WRONG_TOKEN, apiUrl),
    account('malformed-account', MALFORMED_SID, AUTH_TOKEN, apiUrl),

    // Caught: the output or the error goes back as the HTTP answer.
    endpoint('in-good', '/send/good', ['sms-good']),
    endpoint('in-wrong', '/send/wrong', ['sms-wrong']),
    endpoint('in-malformed', '/send/malformed', ['sms-malformed']),
    binding('sms-good', 'good-account', [['record-output']]),
    binding('sms-wrong', 'wrong-account', [['record-output']]),
    binding('sms-malformed', 'malformed-account', [['record-output']]),
    recorder('record-output', 'outputs', msgWithoutHttp, [['answer']]),
    {
      id: 'catch',
      ...onTab,
      type: 'catch',
      scope: ['sms-good', 'sms-wrong', 'sms-malformed'],
      uncaught: false,
      wires: [['record-error']],
    },
    recorder('record-error', 'errors', msgWithoutHttp, [['error-answer']]),
    {
      id: 'error-answer',
      ...onTab,
      type: 'change',
      rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' },
        { t: 'set', p: 'statusCode', pt: 'msg', to: '400', tot: 'num' },
      ],
      wires: [['answer']],
    },
    { id: 'answer', ...onTab, type: 'http response', statusCode: '', headers: {} },

    // Uncaught: Node-RED logs the error. The HTTP request is answered at once, beside the binding.
    endpoint('in-loose-good', '/send/loose-good', ['loose-good', 'accepted']),
    endpoint('in-loose-wrong', '/send/loose-wrong', ['loose-wrong', 'accepted']),
    binding('loose-good', 'good-account', [[]]),
    binding('loose-wrong', 'wrong-account', [[]]),
    {
      id: 'accepted',
      ...onTab,
      type: 'change',
      rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: 'accepted', tot: 'str' },
        { t: 'set', p: 'statusCode', pt: 'msg', to: '202', tot: 'num' },
      ],
      wires: [['answer']],
    },

    // Every status of every node on the tab.
    { id: 'status', ...onTab, type: 'status', scope: null, wires: [['record-status']] },
    recorder('record-status', 'statuses', 'msg.status', [[]]),

    // Everything recorded, as JSON.
    {
      id: 'in-records',
      ...onTab,
      type: 'http in',
      url: '/records',
      method: 'get',
      wires: [['read-records']],
    },
    {
      id: 'read-records',
      ...onTab,
      type: 'function',
      func: [
        "msg.payload = { outputs: flow.get('outputs') || [], errors: flow.get('errors') || [],",
        "  statuses: flow.get('statuses') || [] };",
        'return msg;',
      ].join('\n'),
      outputs: 1,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [['answer']],
    },
  ];
}

interface Records {
  outputs: { payload: { sid?: string; to?: string; body?: string } }[];
  errors: { error: { message: string; code?: unknown; source: { id: string } } }[];
  statuses: { fill?: string; shape?: string; text?: string; source: { id: string } }[];
}

/** Every file under a directory, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Node-RED's credentials file format: `{"$": hex IV (16 bytes) + base64 of aes-256-ctr(JSON)}`. */
function decryptCredentials(file: string, secret: string): unknown {
  const encrypted = (JSON.parse(file) as { $: string }).$;
  const key = createHash('sha256').update(secret).digest();
  const iv = Buffer.from(encrypted.slice(0, 32), 'hex');
  const decipher = createDecipheriv('aes-256-ctr', key, iv);
  return JSON.parse(
    decipher.update(encrypted.slice(32), 'base64', 'utf8') + decipher.final('utf8'),
  ) as unknown;
}

describe('end to end: the auth token stays secret in a real node-red process', function () {
  // Packing and installing from the registry cache takes a while; everything after that is fast.
  this.timeout(180_000);
  let userDir: string;
  let api: TwilioApi;
  let nodeRed: NodeRedProcess;
  /** The HTTP answers of the scenario, and the parsed answers of its caught failures. */
  const answers: string[] = [];
  const failures: { status: number; body: Record<string, unknown> }[] = [];
  let records: Records;

  async function get(path: string, accept = 'application/json'): Promise<string> {
    const response = await fetch(`${nodeRed.url}${path}`, { headers: { accept } });
    const text = await response.text();
    should(response.status).equal(200, `GET ${path}: ${text}`);
    return text;
  }

  async function send(
    path: string,
    toNumber: string,
    data: unknown,
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(`${nodeRed.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data, metadata: { toNumber }, operation: 'create' }),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, text };
  }

  before(async () => {
    userDir = await installPackedPackage();
    api = await TwilioApi.start({ accounts: [{ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }] });
    nodeRed = await NodeRedProcess.start(
      userDir,
      // Everything Node-RED can print: trace level, metrics and audit events.
      `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: '${CREDENTIAL_SECRET}', logging: { console: { level: 'trace', metrics: true, audit: true } } };\n`,
    );
    const deploy = await deployFlows(nodeRed, flow(api.url));
    should(deploy.status).equal(200, JSON.stringify(deploy.body));
    let since = deploy.since;
    await nodeRed.waitForOutput('Started flows', since);

    // The scenario: two messages sent...
    for (const text of ['first secret test', 'second secret test']) {
      const sent = await send('/send/good', TO_NUMBER, text);
      should(sent.status).equal(200, sent.text);
    }
    // ... caught failures: a Twilio error, a local error, a 401 and a config error...
    for (const [path, toNumber, data] of [
      ['/send/good', INVALID_TO, 'to a magic number'],
      ['/send/good', TO_NUMBER, ''],
      ['/send/wrong', TO_NUMBER, 'with the wrong token'],
      ['/send/malformed', TO_NUMBER, 'with a malformed account'],
    ] as const) {
      const failed = await send(path, toNumber, data);
      failures.push({ status: failed.status, body: JSON.parse(failed.text) as Record<string, unknown> });
    }
    // ... and uncaught ones, which Node-RED logs: each log line ends with Twilio's documentation link.
    for (const [path, toNumber, code] of [
      ['/send/loose-good', INVALID_TO, 21211],
      ['/send/loose-wrong', TO_NUMBER, 20003],
    ] as const) {
      since = nodeRed.output.length;
      const logged = nodeRed.waitForOutput(`https://www.twilio.com/docs/errors/${code}`, since);
      const accepted = await send(path, toNumber, 'uncaught');
      should(accepted.status).equal(202, accepted.text);
      await logged;
    }
    const recorded = await get('/records');
    answers.push(recorded);
    records = JSON.parse(recorded) as Records;
  });
  after(async () => {
    await nodeRed.stop();
    await api.close();
    await removeUserDir(userDir);
  });

  it('finds the secrets when they are there: the scan can fail', () => {
    should(leaks(`...${AUTH_TOKEN.toUpperCase()}...`)).deepEqual(['the auth token']);
    should(leaks(`Authorization: Basic ${basicAuth(ACCOUNT_SID, WRONG_TOKEN)}`)).deepEqual([
      'the Basic auth value of the wrong token',
    ]);
    should(leaks('nothing secret')).deepEqual([]);
  });

  it('ran the scenario: the API saw both tokens, and every output, error and status was recorded', () => {
    // The Basic auth values scanned for are the ones that went over the wire.
    should(api.requests.map((request) => request.headers.authorization)).deepEqual([
      `Basic ${basicAuth(ACCOUNT_SID, AUTH_TOKEN)}`,
      `Basic ${basicAuth(ACCOUNT_SID, AUTH_TOKEN)}`,
      `Basic ${basicAuth(ACCOUNT_SID, AUTH_TOKEN)}`,
      `Basic ${basicAuth(ACCOUNT_SID, WRONG_TOKEN)}`,
      `Basic ${basicAuth(ACCOUNT_SID, AUTH_TOKEN)}`,
      `Basic ${basicAuth(ACCOUNT_SID, WRONG_TOKEN)}`,
    ]);
    should(api.requests.map((request) => request.status)).deepEqual([201, 201, 400, 401, 400, 401]);
    should(failures.map((failure) => [failure.status, failure.body.code])).deepEqual([
      [400, 21211],
      [400, 'ERR_EMPTY_BODY'],
      [400, 20003],
      [400, 'ERR_BAD_CONFIG'],
    ]);
    should(records.outputs.map((output) => output.payload.sid)).deepEqual(
      api.messages.map((message) => message.sid),
    );
    should(records.outputs.map((output) => output.payload.body)).deepEqual([
      'first secret test',
      'second secret test',
    ]);
    should(records.errors.map((error) => [error.error.source.id, error.error.code])).deepEqual([
      ['sms-good', 21211],
      ['sms-good', 'ERR_EMPTY_BODY'],
      ['sms-wrong', 20003],
      ['sms-malformed', 'ERR_BAD_CONFIG'],
    ]);
    const fills = (id: string): string[] =>
      records.statuses.filter((status) => status.source.id === id).map((status) => String(status.fill));
    should(fills('sms-good')).containEql('green').and.containEql('red');
    should(fills('sms-wrong')).containEql('red');
    should(fills('loose-good')).containEql('red');
    should(fills('loose-wrong')).containEql('red');
  });

  it("keeps the tokens out of everything Node-RED printed and answered, its admin API's included", async () => {
    should(nodeRed.output).containEql('[twilio-sms-config:malformed account]');
    should(leaks(nodeRed.output)).deepEqual([], "in Node-RED's output");
    should(leaks(JSON.stringify(records.outputs))).deepEqual([], 'in the output msgs');
    should(leaks(JSON.stringify(records.errors))).deepEqual([], 'in the errors');
    should(leaks(JSON.stringify(records.statuses))).deepEqual([], 'in the statuses');
    for (const answer of answers) {
      should(leaks(answer)).deepEqual([], `in the answer ${answer.slice(0, 300)}`);
    }

    const exported = await get('/flows');
    should(exported).containEql('twilio-sms-config').and.containEql(api.url);
    should(leaks(exported)).deepEqual([], 'in GET /flows');
    for (const id of ['good-account', 'wrong-account', 'malformed-account']) {
      const text = await get(`/credentials/twilio-sms-config/${id}`);
      should(leaks(text)).deepEqual([], `in GET /credentials/twilio-sms-config/${id}`);
      const credentials = JSON.parse(text) as Record<string, unknown>;
      should(credentials).containEql({ has_authToken: true, fromNumber: FROM_NUMBER });
      should(credentials).not.have.property('authToken');
    }
    const views: [string, string?][] = [
      ['/nodes'],
      ['/nodes', 'text/html'],
      ['/settings'],
      ['/diagnostics'],
      [`/context/flow/${TAB}`],
      ['/context/global'],
    ];
    for (const [path, accept] of views) {
      const text = await get(path, accept);
      should(text.length).be.above(0);
      should(leaks(text)).deepEqual([], `in GET ${path}${accept === undefined ? '' : ` (${accept})`}`);
    }
  });

  it('keeps the tokens out of every file of the user directory, and only encrypted in flows_cred.json', async () => {
    const files = await filesUnder(userDir);
    should(files).containEql('flows.json').and.containEql('flows_cred.json');
    // The installed packages included: the package's own files are among them.
    should(files.some((file) => file.includes('node-red-contrib-twilio-sms-binding'))).equal(true);
    for (const file of files.filter((name) => name !== 'flows_cred.json')) {
      should(leaks(await readFile(join(userDir, file), 'latin1'))).deepEqual([], `in ${file}`);
    }
    const credentialsFile = await readFile(join(userDir, 'flows_cred.json'), 'utf8');
    should(leaks(credentialsFile)).deepEqual([], 'in flows_cred.json as plain text');
    // It does hold the tokens, encrypted with the credential secret.
    should(decryptCredentials(credentialsFile, CREDENTIAL_SECRET)).containEql({
      'good-account': { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, fromNumber: FROM_NUMBER },
      'wrong-account': { accountSid: ACCOUNT_SID, authToken: WRONG_TOKEN, fromNumber: FROM_NUMBER },
    });
  });

  it('masks phone numbers in what Node-RED logged and in the errors it recorded', () => {
    // Node-RED logs the uncaught errors only, as [error] [type:name] message.
    const logged = nodeRed.output
      .split('\n')
      .filter((line) => line.includes('[error] [twilio-sms-binding:loose good]'));
    should(logged.some((line) => line.includes('Twilio error 21211'))).equal(true, logged.join('\n'));
    for (const line of logged) should(line).containEql(INVALID_TO_MASKED);
    should(nodeRed.output).not.containEql(INVALID_TO);
    should(nodeRed.output).not.containEql(TO_NUMBER);
    should(nodeRed.output).not.match(/\+\p{Nd}{7,}/u);

    const caught = records.errors.find((error) => error.error.code === 21211);
    should(caught?.error.message).containEql(INVALID_TO_MASKED).and.not.containEql(INVALID_TO);
    should(failures[0]?.body.message).containEql(INVALID_TO_MASKED).and.not.containEql(INVALID_TO);
    for (const status of records.statuses) should(String(status.text)).not.match(/\+\p{Nd}{7,}/u);
  });
});
