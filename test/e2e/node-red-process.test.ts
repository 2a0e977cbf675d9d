import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import should from 'should';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import {
  deployFlows,
  installPackedPackage,
  NodeRedProcess,
  removeUserDir,
} from '../support/node-red-process';

const FROM_NUMBER = '+15005550006';
const TO_NUMBER = '+14155550101';

function flow(apiUrl: string): unknown[] {
  const onTab = { z: 'e2e', x: 200, y: 100 };
  return [
    { id: 'e2e', type: 'tab', label: 'e2e' },
    {
      id: 'e2e-account',
      type: 'twilio-sms-config',
      name: 'sandbox',
      timeout: '5s',
      apiBaseUrl: apiUrl,
      // The editor sends credentials this way; the runtime moves them into the credentials file.
      credentials: {
        accountSid: SANDBOX_ACCOUNT.accountSid,
        authToken: SANDBOX_ACCOUNT.authToken,
        fromNumber: FROM_NUMBER,
        toNumber: TO_NUMBER,
      },
    },
    { id: 'e2e-in', ...onTab, type: 'http in', url: '/e2e/sms', method: 'post', wires: [['e2e-sms']] },
    { id: 'e2e-sms', ...onTab, type: 'twilio-sms-binding', account: 'e2e-account', wires: [['e2e-out']] },
    { id: 'e2e-out', ...onTab, type: 'http response', statusCode: '', headers: {} },
    { id: 'e2e-catch', ...onTab, type: 'catch', scope: ['e2e-sms'], wires: [['e2e-error']] },
    {
      id: 'e2e-error',
      ...onTab,
      type: 'change',
      rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' },
        { t: 'set', p: 'statusCode', pt: 'msg', to: '400', tot: 'num' },
      ],
      wires: [['e2e-out']],
    },
  ];
}

describe('end to end: the packed package in a real node-red process', function () {
  // Packing and installing from the registry cache takes a while; everything after that is fast.
  this.timeout(180_000);
  let userDir: string;
  let api: TwilioApi;
  let nodeRed: NodeRedProcess;

  before(async () => {
    userDir = await installPackedPackage();
    api = await TwilioApi.start();
    nodeRed = await NodeRedProcess.start(
      userDir,
      `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: 'e2e-secret', logging: { console: { level: 'info' } } };\n`,
    );
  });
  after(async () => {
    await nodeRed.stop();
    await api.close();
    await removeUserDir(userDir);
  });

  it('loads both node types from the installed package', async () => {
    const response = await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } });
    const sets = (await response.json()) as {
      module: string;
      types: string[];
      enabled: boolean;
      err?: string;
    }[];
    const ours = sets.filter((set) => set.module === 'node-red-contrib-twilio-sms-binding');
    should(ours.flatMap((set) => set.types).sort()).deepEqual(['twilio-sms-binding', 'twilio-sms-config']);
    for (const set of ours) {
      should(set.enabled).be.true();
      should(set.err).be.undefined();
    }
  });

  it('deploys a flow through the Admin API, sends an SMS through http in, and keeps credentials out of /flows', async () => {
    const deploy = await deployFlows(nodeRed, flow(api.url));
    should(deploy.status).equal(200, JSON.stringify(deploy.body));
    should((deploy.body as { rev?: unknown }).rev).be.a.String();
    await nodeRed.waitForOutput('Started flows', deploy.since);

    const answer = await fetch(`${nodeRed.url}/e2e/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alarm: 'door open' }),
    });
    const text = await answer.text();
    should(answer.status).equal(200, text);
    should(api.requests).have.length(1);
    should(api.requests[0]?.form).deepEqual({
      To: TO_NUMBER,
      From: FROM_NUMBER,
      Body: '{"alarm":"door open"}',
    });
    should(api.requests[0]?.auth).deepEqual({
      username: SANDBOX_ACCOUNT.accountSid,
      password: SANDBOX_ACCOUNT.authToken,
    });
    const resource = JSON.parse(text) as { sid: string; to: string; status: string };
    should(resource.sid).equal(api.messages[0]?.sid);
    should(resource).containEql({ to: TO_NUMBER, status: 'queued' });

    const exported = await (await fetch(`${nodeRed.url}/flows`)).text();
    should(exported).containEql('twilio-sms-config');
    should(exported).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(exported).not.containEql(SANDBOX_ACCOUNT.accountSid);
    should(exported).not.containEql(FROM_NUMBER);
    should(exported).not.containEql(TO_NUMBER);
    const credentialsFile = await readFile(join(userDir, 'flows_cred.json'), 'utf8');
    should(credentialsFile).not.containEql(SANDBOX_ACCOUNT.authToken);
    should(nodeRed.output).not.containEql(SANDBOX_ACCOUNT.authToken);
  });
});
