import should from 'should';
import type { SinonSpy } from 'sinon';
import type { TwilioSmsConfigNode } from '../../src/account';
import type { DeliverySnapshot } from '../../src/delivery/delivery';
import { TwilioApi } from '../../sandbox/twilio-api';
import { helper, type Outcome, TestFlow, TO_NUMBER, useTwilioApi } from '../support/flow';

const MSG = { payload: 'delivery test', metadata: { toNumber: TO_NUMBER } };
// Short backoffs keep the retry tests quick; the policy itself is unit-tested with fake timers.
const FAST_RETRIES = { retryInitialIntervalMs: '10', retryMaxIntervalMs: '50' };

function errorOf(outcome: Outcome | undefined): { code: unknown; message: string } {
  should(outcome?.kind).equal('failed');
  return outcome?.msg.error as { code: unknown; message: string };
}

/** Resolves when the account's delivery engine reports a state the predicate accepts. */
function engineState(predicate: (snapshot: DeliverySnapshot) => boolean): Promise<void> {
  const { account } = helper.getNode('account') as TwilioSmsConfigNode;
  if ('error' in account) throw account.error;
  return new Promise((resolve) => {
    const onChange = (snapshot: DeliverySnapshot): void => {
      if (!predicate(snapshot)) return;
      account.delivery.off('change', onChange);
      resolve();
    };
    account.delivery.on('change', onChange);
  });
}

describe('delivery in Node-RED against the local Twilio API', function () {
  const sandbox = useTwilioApi();
  let api: TwilioApi;
  beforeEach(() => {
    api = sandbox.api;
  });

  describe('safe retries', () => {
    it('retries a 429 after its Retry-After, creating one message', async () => {
      const flow = await TestFlow.load(api.url, { config: FAST_RETRIES });
      api.inject({ status: 429, retryAfter: 1 });
      const outcome = await flow.run(MSG);
      should(outcome.kind).equal('sent');
      should(api.requests.map((r) => r.status)).deepEqual([429, 201]);
      should(api.messages).have.length(1);
      should((outcome.msg.payload as { sid: string }).sid).equal(api.messages[0]?.sid);
      const [first, second] = api.requests;
      // Retry-After: 1 outweighs the 10 ms backoff; the clocks of client and server differ by at most 1 ms.
      should((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).be.aboveOrEqual(999);
    });

    it('retries a 429 without Retry-After with backoff', async () => {
      const flow = await TestFlow.load(api.url, { config: FAST_RETRIES });
      api.inject({ status: 429, count: 2 });
      const outcome = await flow.run(MSG);
      should(outcome.kind).equal('sent');
      should(api.requests.map((r) => r.status)).deepEqual([429, 429, 201]);
      should(api.messages).have.length(1);
    });

    it("gives up after `retries`, reporting Twilio's code and the attempts made", async () => {
      const flow = await TestFlow.load(api.url, { config: { ...FAST_RETRIES, retries: '2' } });
      api.inject({ status: 429, count: 10 });
      const error = errorOf(await flow.run(MSG));
      should(error.code).equal(20429);
      should(error.message).match(/\(3 attempts\)$/);
      should(api.requests).have.length(3);
      should(api.messages).have.length(0);
    });

    it('retries when the connection is refused, until the API is there', async () => {
      const gone = await TwilioApi.start();
      const port = Number(new URL(gone.url).port);
      await gone.close();
      const flow = await TestFlow.load(gone.url, { config: FAST_RETRIES });
      let late: TwilioApi | undefined;
      const retrying = engineState((s) => s.retrying === 1).then(async () => {
        late = await TwilioApi.start({ port });
      });
      const outcome = await flow.run(MSG);
      await retrying;
      try {
        should(outcome.kind).equal('sent');
        should(late?.requests).have.length(1);
        should(late?.messages).have.length(1);
      } finally {
        await late?.close();
      }
    });
  });

  describe('ambiguous failures', () => {
    it('does not retry a 500 by default: one request, ERR_MAYBE_SENT', async () => {
      const flow = await TestFlow.load(api.url, { config: FAST_RETRIES });
      api.inject({ status: 500 });
      const error = errorOf(await flow.run(MSG));
      should(error.code).equal('ERR_MAYBE_SENT');
      should(error.message).match(/may have been sent \(1 attempt\)$/);
      should(api.requests).have.length(1);
    });

    it('retries a 500 when retryAmbiguous is on', async () => {
      const flow = await TestFlow.load(api.url, { config: { ...FAST_RETRIES, retryAmbiguous: true } });
      api.inject({ status: 500 });
      const outcome = await flow.run(MSG);
      should(outcome.kind).equal('sent');
      should(api.requests.map((r) => r.status)).deepEqual([500, 201]);
    });

    it('does not retry a timeout: one request', async () => {
      const flow = await TestFlow.load(api.url, { config: { ...FAST_RETRIES, timeout: '200ms' } });
      api.inject({ delayMs: 1000 });
      const error = errorOf(await flow.run(MSG));
      should(error.code).equal('ERR_MAYBE_SENT');
      should(api.requests).have.length(1);
    });

    it('never retries a 400: one request', async () => {
      const flow = await TestFlow.load(api.url, { config: { ...FAST_RETRIES, retryAmbiguous: true } });
      const error = errorOf(await flow.run({ payload: 'x', metadata: { toNumber: '+15005550001' } }));
      should(error.code).equal(21211);
      should(api.requests).have.length(1);
    });
  });

  describe('limits', () => {
    it('never has more than `concurrency` requests at the API at once', async () => {
      const flow = await TestFlow.load(api.url, { config: { concurrency: '3' } });
      api.latencyMs = 30;
      const outcomes = await flow.runAll(Array.from({ length: 20 }, () => MSG));
      should(outcomes.every((o) => o.kind === 'sent')).be.true();
      should(api.maxInFlight).equal(3);
      should(api.messages).have.length(20);
    });

    it('starts no more than `ratePerSecond` requests in any one-second window', async () => {
      const flow = await TestFlow.load(api.url, { config: { ratePerSecond: '5', concurrency: '10' } });
      const outcomes = await flow.runAll(Array.from({ length: 11 }, () => MSG));
      should(outcomes.every((o) => o.kind === 'sent')).be.true();
      const times = api.requests.map((r) => r.receivedAt);
      // The sixth request after any request starts a second after it at the earliest. Arrival times at the
      // API carry scheduling jitter on top (tens of ms on a loaded 2-core machine); the limiter's own
      // exactness is unit-tested with fake time. A broken limit shows as gaps near 0, far below this bound.
      for (let i = 0; i + 5 < times.length; i++) {
        should((times[i + 5] ?? 0) - (times[i] ?? 0)).be.aboveOrEqual(950);
      }
    });

    it('fails a msg beyond `queueLimit` at once with ERR_QUEUE_FULL, sending nothing for it', async () => {
      const flow = await TestFlow.load(api.url, { config: { concurrency: '1', queueLimit: '2' } });
      api.latencyMs = 50;
      const outcomes = await flow.runAll(Array.from({ length: 5 }, () => MSG));
      should(outcomes.map((o) => o.kind)).deepEqual(['sent', 'sent', 'sent', 'failed', 'failed']);
      for (const outcome of outcomes.slice(3)) {
        const error = errorOf(outcome);
        should(error.code).equal('ERR_QUEUE_FULL');
        should(error.message).match(/the message was not sent/);
      }
      should(api.requests).have.length(3);
    });
  });

  describe('status', () => {
    it("shows the engine's state while it is busy, then the outcome", async () => {
      const flow = await TestFlow.load(api.url, { config: { concurrency: '1' } });
      api.latencyMs = 400;
      const events = flow.sms as unknown as NodeJS.EventEmitter;
      const queued = new Promise<void>((resolve) => {
        const onStatus = (): void => {
          if (flow.lastStatus()?.text !== '2 queued') return;
          events.off('call:status', onStatus);
          resolve();
        };
        events.on('call:status', onStatus);
      });
      const outcomes = flow.runAll([MSG, MSG, MSG]);
      await queued;
      should(flow.lastStatus()).deepEqual({ fill: 'blue', shape: 'ring', text: '2 queued' });
      should((await outcomes).map((o) => o.kind)).deepEqual(['sent', 'sent', 'sent']);
      should(flow.lastStatus()).deepEqual({ fill: 'green', shape: 'dot', text: 'sent' });
    });

    it('shows retrying while a message waits out a backoff', async () => {
      const flow = await TestFlow.load(api.url, {
        config: { retryInitialIntervalMs: '600', retryMaxIntervalMs: '600' },
      });
      api.inject({ status: 429, retryAfter: 1 });
      const events = flow.sms as unknown as NodeJS.EventEmitter;
      const retrying = new Promise<void>((resolve) => {
        const onStatus = (): void => {
          if (flow.lastStatus()?.text !== 'retrying 1') return;
          events.off('call:status', onStatus);
          resolve();
        };
        events.on('call:status', onStatus);
      });
      const outcome = flow.run(MSG);
      await retrying;
      should(flow.lastStatus()).deepEqual({ fill: 'yellow', shape: 'ring', text: 'retrying 1' });
      should((await outcome).kind).equal('sent');
    });
  });

  describe('redeploy', () => {
    it('in the middle of a burst of 500: each msg gets exactly one done, received = sent + failed', async () => {
      const flow = await TestFlow.load(api.url, { config: { concurrency: '5' } });
      api.latencyMs = 5;
      const sms = flow.sms;
      // The helper spies on Node.prototype: a send() or error() of this node instance is one done per msg.
      const calls = (method: 'send' | 'error'): number =>
        (Reflect.get(sms, method) as SinonSpy).getCalls().filter((call) => call.thisValue === sms).length;
      const allDone = new Promise<void>((resolve) => {
        const check = (): void => {
          if (calls('send') + calls('error') >= 500) resolve();
        };
        // The helper emits call:<method> on the node after each spied call; Node's typings know only 'close'.
        const events = sms as unknown as NodeJS.EventEmitter;
        events.on('call:send', check);
        events.on('call:error', check);
      });
      for (let i = 0; i < 500; i++) sms.receive({ ...MSG, _msgid: `burst-${i}` });
      await api.waitForRequests(100, 20_000);
      await flow.redeploy();
      await allDone;

      const sent = calls('send');
      const failed = calls('error');
      should(sent + failed).equal(500);
      should(sent).be.aboveOrEqual(100);
      should(failed).be.above(0);
      // Every request that reached the API finished and was reported as sent: nothing created was lost.
      should(api.messages).have.length(sent);
      const errors = (Reflect.get(sms, 'error') as SinonSpy)
        .getCalls()
        .filter((call) => call.thisValue === sms)
        .map((call) => (call.args[0] as { code: unknown }).code);
      should(new Set(errors)).deepEqual(new Set(['ERR_CLOSED']));
      // The redeployed flow works.
      const outcome = await new TestFlowAfterRedeploy().run();
      should(outcome.kind).equal('sent');
    });
  });
});

/** The binding node of the redeployed flow, looked up anew. */
class TestFlowAfterRedeploy {
  run(): Promise<Outcome> {
    return new Promise((resolve) => {
      helper.getNode('out').once('input', (msg: Outcome['msg']) => {
        resolve({ kind: 'sent', msg });
      });
      helper.getNode('caught').once('input', (msg: Outcome['msg']) => {
        resolve({ kind: 'failed', msg });
      });
      helper.getNode('sms').receive({ ...MSG });
    });
  }
}
