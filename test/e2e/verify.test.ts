import { dirname } from 'node:path';
import should from 'should';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import { installPackedPackage, NodeRedProcess, removeUserDir } from '../support/node-red-process';

const VERIFY = '/twilio-sms-config/verify';
const ADMIN = { username: 'admin', password: 'admin-e2e-password' };
const READER = { username: 'reader', password: 'reader-e2e-password' };
const SANDBOX_ANSWER = { friendlyName: 'Local sandbox', status: 'active', type: 'Full' };

/** Node-RED checks adminAuth passwords with bcryptjs; take the copy it depends on. */
function bcryptHash(password: string): Promise<string> {
  const editorApi = dirname(require.resolve('@node-red/editor-api/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a dependency of Node-RED, not of ours
  const bcrypt = require(require.resolve('bcryptjs', { paths: [editorApi] })) as {
    hash: (password: string, rounds: number) => Promise<string>;
  };
  return bcrypt.hash(password, 8);
}

async function settings(): Promise<string> {
  const users = [
    { username: ADMIN.username, password: await bcryptHash(ADMIN.password), permissions: '*' },
    { username: READER.username, password: await bcryptHash(READER.password), permissions: 'read' },
  ];
  const value = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: 'e2e-secret',
    adminAuth: { type: 'credentials', users },
    // Audit events tell a refused permission from a refused login.
    logging: { console: { level: 'info', audit: true } },
  };
  return `module.exports = ${JSON.stringify(value)};\n`;
}

describe('end to end: the verify endpoint behind adminAuth in a real node-red process', function () {
  this.timeout(180_000);
  let userDir: string;
  let api: TwilioApi;
  let nodeRed: NodeRedProcess;

  before(async () => {
    userDir = await installPackedPackage();
    api = await TwilioApi.start();
    nodeRed = await NodeRedProcess.start(userDir, await settings());
  });
  after(async () => {
    await nodeRed.stop();
    await api.close();
    await removeUserDir(userDir);
  });
  beforeEach(() => {
    api.reset();
  });

  /** A bearer token from Node-RED's own login, as the editor gets one. */
  async function login(user: { username: string; password: string }, scope: string): Promise<string> {
    const response = await fetch(`${nodeRed.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, ...user }),
    });
    const text = await response.text();
    should(response.status).equal(200, text);
    const answer = JSON.parse(text) as { access_token?: unknown; token_type?: unknown };
    should(answer.token_type).equal('Bearer');
    should(answer.access_token).be.a.String();
    return answer.access_token as string;
  }

  function verify(body: Record<string, unknown>, token?: string): Promise<Response> {
    return fetch(`${nodeRed.url}${VERIFY}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  }

  const typed = (): Record<string, unknown> => ({
    accountSid: SANDBOX_ACCOUNT.accountSid,
    authToken: SANDBOX_ACCOUNT.authToken,
    apiBaseUrl: api.url,
    timeout: '5s',
  });

  it('refuses an anonymous request with 401, without calling the API', async () => {
    const response = await verify(typed());
    should(response.status).equal(401);
    should(await response.text()).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(api.requests).be.empty();
  });

  it('refuses a bearer token Node-RED did not issue', async () => {
    const response = await verify(typed(), 'not-a-token');
    should(response.status).equal(401);
    should(api.requests).be.empty();
  });

  it('checks the credentials for a logged-in admin: 200 with the account from the local API', async () => {
    const token = await login(ADMIN, '*');
    const response = await verify(typed(), token);
    const text = await response.text();
    should(response.status).equal(200, text);
    should(JSON.parse(text)).deepEqual(SANDBOX_ANSWER);
    should(text).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(api.requests.map((r) => [r.method, r.path])).deepEqual([
      ['GET', `/2010-04-01/Accounts/${SANDBOX_ACCOUNT.accountSid}.json`],
    ]);
  });

  it('checks the saved credentials of a deployed config node for the password placeholder', async () => {
    const token = await login(ADMIN, '*');
    const logged = nodeRed.output.length;
    const deploy = await fetch(`${nodeRed.url}/flows`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'Node-RED-API-Version': 'v2',
        'Node-RED-Deployment-Type': 'full',
      },
      body: JSON.stringify({
        flows: [
          {
            id: 'e2e-verify-account',
            type: 'twilio-sms-config',
            name: 'saved',
            apiBaseUrl: api.url,
            credentials: {
              accountSid: SANDBOX_ACCOUNT.accountSid,
              authToken: SANDBOX_ACCOUNT.authToken,
              fromNumber: '+15005550006',
            },
          },
        ],
      }),
    });
    should(deploy.status).equal(200, await deploy.text());
    await nodeRed.waitForOutput('Started flows', logged);

    const response = await verify(
      {
        id: 'e2e-verify-account',
        accountSid: SANDBOX_ACCOUNT.accountSid,
        authToken: '__PWRD__',
        apiBaseUrl: api.url,
      },
      token,
    );
    const text = await response.text();
    should(response.status).equal(200, text);
    should(JSON.parse(text)).deepEqual(SANDBOX_ANSWER);
    should(api.requests[0]?.auth).deepEqual({
      username: SANDBOX_ACCOUNT.accountSid,
      password: SANDBOX_ACCOUNT.authToken,
    });
  });

  it("answers wrong Twilio credentials with 422 and Twilio's 20003, not with Node-RED's 401", async () => {
    const token = await login(ADMIN, '*');
    const response = await verify({ ...typed(), authToken: 'ffffffffffffffffffffffffffffffff' }, token);
    const text = await response.text();
    should(response.status).equal(422, text);
    should(JSON.parse(text)).match({ error: { code: 20003, message: /^Authenticate/ } });
  });

  it('refuses a logged-in user with read permission only, logging the failed permission', async () => {
    const token = await login(READER, 'read');
    // The token itself is good: reading the flows is allowed.
    const flows = await fetch(`${nodeRed.url}/flows`, { headers: { authorization: `Bearer ${token}` } });
    should(flows.status).equal(200);

    const logged = nodeRed.output.length;
    const response = await verify(typed(), token);
    // Node-RED 4.1's needsPermission answers 401, not 403, to a user without the permission; the audit
    // event is what tells it from a missing login.
    should(response.status).equal(401);
    await nodeRed.waitForOutput('"event":"permission.fail","permissions":"twilio-sms-config.write"', logged);
    should(nodeRed.output.slice(logged)).containEql('"username":"reader"');
    should(api.requests).be.empty();
  });

  it('never logs the auth token', () => {
    should(nodeRed.output).not.containEql(SANDBOX_ACCOUNT.authToken);
  });
});
