import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import should from 'should';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import { Mosquitto, withBroker } from '../support/mosquitto';
import {
  deployFlows,
  type FlowNode,
  installPackedPackage,
  NodeRedProcess,
  problemLines,
  removeUserDir,
  withAccount,
  E2E_CREDENTIALS,
  E2E_FROM_NUMBER,
  E2E_TO_NUMBER,
} from '../support/node-red-process';

const FROM_NUMBER = E2E_FROM_NUMBER;
const TO_NUMBER = E2E_TO_NUMBER;

const EXAMPLE = join(__dirname, '..', '..', 'examples', '03 - MQTT alert to SMS.json');

/** Example 03 as a user imports and sets it up: its broker and its account pointed at the local ones. */
function exampleFlow(broker: Mosquitto, api: TwilioApi): FlowNode[] {
  const flow = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
  return withBroker(withAccount(flow, api.url, E2E_CREDENTIALS), broker);
}

/** What the local Twilio API must receive for one alert. */
function sms(body: string): Record<string, string> {
  return { To: TO_NUMBER, From: FROM_NUMBER, Body: body };
}

// The PUBLISH of a retained message, as mosquitto (log_type all) logs handing it to a subscriber.
function retainedDelivery(topic: string): RegExp {
  return new RegExp(`^Sending PUBLISH to \\S+ \\(d0, q\\d, r1, m\\d+, '${topic}',`, 'm');
}

describe('end to end: MQTT alert to SMS (examples/03) with a real mosquitto and a real node-red', function () {
  this.timeout(180_000);
  let userDir: string | undefined;
  let api: TwilioApi | undefined;
  let broker: Mosquitto | undefined;
  let nodeRed: NodeRedProcess | undefined;

  function running(): { api: TwilioApi; broker: Mosquitto; nodeRed: NodeRedProcess } {
    if (api === undefined || broker === undefined || nodeRed === undefined) throw new Error('not started');
    return { api, broker, nodeRed };
  }

  /** Deploys the example and resolves once its mqtt in node is subscribed at the broker. */
  async function deployExample(): Promise<{ since: number; brokerSince: number }> {
    const { api, broker, nodeRed } = running();
    const brokerSince = broker.output.length;
    const deploy = await deployFlows(nodeRed, exampleFlow(broker, api));
    should(deploy.status).equal(200, JSON.stringify(deploy.body));
    should(deploy.body).have.property('rev').which.is.a.String();
    await nodeRed.waitForOutput('Started flows', deploy.since);
    // Node-RED logs the connection at info level; the broker logs the subscription, which is what a
    // publish must wait for: connected but not yet subscribed, an alert would be lost.
    await nodeRed.waitForOutput(`Connected to broker: mqtt://${broker.host}:${broker.port}`, deploy.since);
    await broker.waitForSubscription('alerts/#', brokerSince);
    return { since: deploy.since, brokerSince };
  }

  let deployedAt = 0;

  before(async () => {
    // Settled, not Promise.all: whatever did start is then assigned, so that after() stops it.
    const started = await Promise.allSettled([
      installPackedPackage().then((dir) => (userDir = dir)),
      TwilioApi.start().then((started) => (api = started)),
      Mosquitto.start().then((started) => (broker = started)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason as Error;
    if (userDir === undefined) throw new Error('no user directory');
    nodeRed = await NodeRedProcess.start(
      userDir,
      `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: 'e2e-secret', logging: { console: { level: 'info' } } };\n`,
    );
    deployedAt = (await deployExample()).since;
  });

  beforeEach(() => {
    api?.reset();
  });

  after(async () => {
    // Each one stopped even when another fails to stop.
    const results = await Promise.allSettled([nodeRed?.stop(), broker?.stop(), api?.close()]);
    if (userDir !== undefined) await removeUserDir(userDir);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  });

  it('deploys the example as imported without a warning or an error', () => {
    should(problemLines(running().nodeRed, deployedAt)).deepEqual([]);
  });

  it('sends an alert published under alerts/ as an SMS: exactly the To, From and Body expected', async () => {
    const { api, broker, nodeRed } = running();
    await broker.publish('alerts/door', JSON.stringify({ message: 'Front door open', level: 'high' }));
    const requests = await api.waitForRequests(1);
    should(requests).have.length(1);
    should(requests[0]?.form).deepEqual(sms('alerts/door: Front door open'));
    should(requests[0]?.auth).deepEqual({
      username: SANDBOX_ACCOUNT.accountSid,
      password: SANDBOX_ACCOUNT.authToken,
    });
    should(requests[0]?.path).equal(`/2010-04-01/Accounts/${SANDBOX_ACCOUNT.accountSid}/Messages.json`);
    should(api.messages.map((message) => message.body)).deepEqual(['alerts/door: Front door open']);
    should(problemLines(nodeRed, deployedAt)).deepEqual([]);
  });

  it('sends an alert that is not JSON as its text', async () => {
    const { api, broker } = running();
    await broker.publish('alerts/kitchen', 'Smoke detected');
    const requests = await api.waitForRequests(1);
    should(requests.map((request) => request.form)).deepEqual([sms('alerts/kitchen: Smoke detected')]);
  });

  it('sends a new alert even when it is published retained: the broker forwards it as live', async () => {
    const { api, broker } = running();
    await broker.publish('alerts/boiler', JSON.stringify({ message: 'Boiler pressure low' }), {
      retain: true,
    });
    const requests = await api.waitForRequests(1);
    should(requests.map((request) => request.form)).deepEqual([sms('alerts/boiler: Boiler pressure low')]);
  });

  it('skips the retained alert that the broker hands over again when a redeploy reconnects', async () => {
    const { api, broker, nodeRed } = running();
    const { since, brokerSince } = await deployExample();
    // The broker did replay the retained alert to Node-RED, flagged as retained ...
    await broker.waitForOutput(retainedDelivery('alerts/boiler'), brokerSince);
    // ... and a live alert sent after it is the only SMS: had the replayed one got through, it would have
    // been sent first.
    await broker.publish('alerts/window', JSON.stringify({ message: 'Window open' }));
    const requests = await api.waitForRequests(1);
    should(requests.map((request) => request.form)).deepEqual([sms('alerts/window: Window open')]);
    await broker.publish('alerts/garage', JSON.stringify({ message: 'Garage open' }));
    const more = await api.waitForRequests(2);
    should(more.map((request) => request.form)).deepEqual([
      sms('alerts/window: Window open'),
      sms('alerts/garage: Garage open'),
    ]);
    should(problemLines(nodeRed, since)).deepEqual([]);
  });
});
