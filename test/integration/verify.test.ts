import should from 'should';
import { SANDBOX_ACCOUNT, type TwilioApi } from '../../sandbox/twilio-api';
import { DEFAULT_CREDENTIALS, helper, TestFlow, useTwilioApi } from '../support/flow';
import { freePort } from '../support/node-red-process';

const VERIFY = '/twilio-sms-config/verify';
const ACCOUNT_PATH = `/2010-04-01/Accounts/${SANDBOX_ACCOUNT.accountSid}.json`;
const SANDBOX_ANSWER = { friendlyName: 'Local sandbox', status: 'active', type: 'Full' };
const WRONG_TOKEN = 'ffffffffffffffffffffffffffffffff';

interface Answer {
  status: number;
  text: string;
  body: unknown;
  headers: Record<string, string>;
}

describe('twilio-sms-config: POST /twilio-sms-config/verify against the local Twilio API', function () {
  const sandbox = useTwilioApi();
  let api: TwilioApi;
  beforeEach(async () => {
    api = sandbox.api;
    // The config node `account` is deployed with the sandbox credentials saved.
    await TestFlow.load(api.url);
  });
  afterEach(() => {
    // Whatever a test did, no token reached Node-RED's log.
    const logged = JSON.stringify(helper.log().args);
    should(logged).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(logged).not.containEql(WRONG_TOKEN);
  });

  /** Posts the body and checks, on the raw text, that no token came back, neither Twilio's nor the one sent. */
  async function post(body: Record<string, unknown>): Promise<Answer> {
    const response = await helper.request().post(VERIFY).send(body);
    const answer = {
      status: response.status,
      text: response.text,
      body: response.body as unknown,
      headers: response.headers as Record<string, string>,
    };
    should(answer.text).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(answer.text).not.containEql(WRONG_TOKEN);
    should(answer.headers['content-type']).match(/^application\/json/);
    return answer;
  }

  it('checks typed credentials with one GET of the account resource and answers its name, status and type', async () => {
    const answer = await post({
      accountSid: SANDBOX_ACCOUNT.accountSid,
      authToken: SANDBOX_ACCOUNT.authToken,
      apiBaseUrl: api.url,
      timeout: '5s',
    });
    should(answer.status).equal(200, answer.text);
    should(answer.body).deepEqual(SANDBOX_ANSWER);
    should(answer.headers['cache-control']).equal('no-store');
    should(api.requests).have.length(1);
    should(api.requests[0]).match({
      method: 'GET',
      path: ACCOUNT_PATH,
      status: 200,
      auth: { username: SANDBOX_ACCOUNT.accountSid, password: SANDBOX_ACCOUNT.authToken },
    });
  });

  it('takes the saved credentials of node id for the password placeholder and a missing Account SID', async () => {
    const placeholder = await post({
      id: 'account',
      accountSid: SANDBOX_ACCOUNT.accountSid,
      authToken: '__PWRD__',
      apiBaseUrl: api.url,
    });
    should(placeholder.status).equal(200, placeholder.text);
    should(placeholder.body).deepEqual(SANDBOX_ANSWER);
    const nothingTyped = await post({ id: 'account', apiBaseUrl: api.url });
    should(nothingTyped.status).equal(200, nothingTyped.text);
    should(api.requests.map((r) => r.auth)).deepEqual([
      { username: SANDBOX_ACCOUNT.accountSid, password: SANDBOX_ACCOUNT.authToken },
      { username: SANDBOX_ACCOUNT.accountSid, password: SANDBOX_ACCOUNT.authToken },
    ]);
  });

  it('answers a wrong token with Twilio\'s 20003 error, as HTTP 422 (never 401, Node-RED\'s own "log in")', async () => {
    const answer = await post({
      accountSid: SANDBOX_ACCOUNT.accountSid,
      authToken: WRONG_TOKEN,
      apiBaseUrl: api.url,
    });
    should(answer.status).equal(422);
    should(answer.body).deepEqual({
      error: {
        code: 20003,
        message: 'Authenticate (HTTP 401, Twilio error 20003, https://www.twilio.com/docs/errors/20003)',
      },
    });
    should(api.requests.map((r) => r.status)).deepEqual([401]);
  });

  it('refuses a malformed Account SID or API URL with 400, without calling the API', async () => {
    const badSid = await post({
      accountSid: 'AC123',
      authToken: SANDBOX_ACCOUNT.authToken,
      apiBaseUrl: api.url,
    });
    should(badSid.status).equal(400);
    should(badSid.body).deepEqual({
      error: {
        code: 'ERR_BAD_CONFIG',
        message: '"accountSid" must be "AC" followed by 32 hexadecimal characters',
      },
    });
    const badUrl = await post({ ...DEFAULT_CREDENTIALS, apiBaseUrl: 'ftp://example.test' });
    should(badUrl.status).equal(400);
    should(badUrl.body).match({ error: { code: 'ERR_BAD_CONFIG', message: /"apiBaseUrl" must be an http/ } });
    should(api.requests).be.empty();
  });

  it('answers 502 ERR_CONNECT when nothing listens at the API URL', async () => {
    const port = await freePort();
    const answer = await post({ ...DEFAULT_CREDENTIALS, apiBaseUrl: `http://127.0.0.1:${port}` });
    should(answer.status).equal(502);
    should(answer.body).deepEqual({
      error: { code: 'ERR_CONNECT', message: 'cannot connect to the Twilio API (ECONNREFUSED)' },
    });
  });

  it('answers 504 ERR_TIMEOUT when the API does not answer within the typed timeout', async () => {
    api.inject({ delayMs: 2000 });
    const answer = await post({ ...DEFAULT_CREDENTIALS, apiBaseUrl: api.url, timeout: '100ms' });
    should(answer.status).equal(504);
    should(answer.body).deepEqual({
      error: { code: 'ERR_TIMEOUT', message: 'no answer from the Twilio API within 100 ms' },
    });
  });

  it("answers 502 with Twilio's code when the API fails", async () => {
    api.inject({ status: 503, message: 'Service Unavailable' });
    const answer = await post({ ...DEFAULT_CREDENTIALS, apiBaseUrl: api.url });
    should(answer.status).equal(502);
    should(answer.body).match({ error: { code: 20500, message: /^Service Unavailable \(HTTP 503/ } });
  });
});

describe('twilio-sms-config: verify with a saved ${NAME} credential', function () {
  const sandbox = useTwilioApi();
  const variable = 'TWILIO_SMS_VERIFY_TEST_TOKEN';
  before(() => {
    process.env[variable] = SANDBOX_ACCOUNT.authToken;
  });
  after(() => {
    Reflect.deleteProperty(process.env, variable);
  });

  it('checks the value the running config node took from the environment', async () => {
    await TestFlow.load(sandbox.api.url, {
      credentials: { ...DEFAULT_CREDENTIALS, authToken: `\${${variable}}` },
    });
    const response = await helper.request().post(VERIFY).send({
      id: 'account',
      accountSid: SANDBOX_ACCOUNT.accountSid,
      authToken: '__PWRD__',
      apiBaseUrl: sandbox.api.url,
    });
    should(response.status).equal(200, response.text);
    should(response.text).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(sandbox.api.requests[0]?.auth?.password).equal(SANDBOX_ACCOUNT.authToken);
  });
});
