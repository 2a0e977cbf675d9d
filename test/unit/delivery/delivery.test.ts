import should from 'should';
import sinon from 'sinon';
import { BindingError, ErrorCode } from '../../../src/binding/errors';
import { Delivery, type DeliverySnapshot } from '../../../src/delivery/delivery';
import type { DeliveryOptions } from '../../../src/delivery/options';
import {
  cannotConnect,
  classify,
  deferred,
  type Deferred,
  fakeTime,
  invalidTo,
  outcome,
  serverError,
  timedOut,
  tooManyRequests,
} from './helpers';

type Sid = string;

/** An attempt that answers each call with the next scripted result: an Error rejects, anything else resolves. */
function scripted(...results: (Sid | Error)[]): sinon.SinonSpy<[], Promise<Sid>> {
  let call = 0;
  return sinon.spy(() => {
    const result = results[Math.min(call++, results.length - 1)];
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result ?? 'SM-none');
  });
}

/** Attempts that stay in flight until the test lands them, counting how many are in flight at once. */
class Flights {
  private readonly pending: { id: number; flight: Deferred<Sid> }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  started = 0;

  attempt = (): Promise<Sid> => {
    const flight = deferred<Sid>();
    this.pending.push({ id: ++this.started, flight });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    return flight.promise.finally(() => {
      this.inFlight--;
    });
  };

  get waiting(): number {
    return this.pending.length;
  }

  /** Settles the oldest flight with `SM<n>` for the n-th attempt started, or rejects it with `error`. */
  land(error?: Error): void {
    const next = this.pending.shift();
    if (next === undefined) throw new Error('nothing in flight');
    if (error === undefined) next.flight.resolve(`SM${next.id}`);
    else next.flight.reject(error);
  }
}

function delivery(options: Partial<DeliveryOptions> = {}, random = () => 0.5): Delivery<Sid> {
  return new Delivery<Sid>({ retryInitialIntervalMs: 100, ...options }, classify, undefined, random);
}

describe('delivery: Delivery', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = fakeTime();
  });

  afterEach(() => {
    clock.restore();
  });

  describe('concurrency', () => {
    it('never has more than `concurrency` attempts in flight, and starts the next as one lands', async () => {
      const engine = delivery({ concurrency: 3 });
      const flights = new Flights();
      const results = Array.from({ length: 20 }, () => engine.submit(flights.attempt));
      await clock.tickAsync(0);
      should(flights.started).equal(3);
      should(engine.snapshot()).match({ queued: 17, inFlight: 3 });
      while (flights.waiting > 0) {
        flights.land();
        await clock.tickAsync(0);
      }
      should(await Promise.all(results)).have.length(20);
      should(flights.maxInFlight).equal(3);
      should(engine.snapshot()).deepEqual({ queued: 0, inFlight: 0, retrying: 0, sent: 20, failed: 0 });
    });

    it('frees the slot of an attempt waiting for its retry', async () => {
      const engine = delivery({ concurrency: 1 });
      const flights = new Flights();
      const first = engine.submit(flights.attempt);
      const second = engine.submit(flights.attempt);
      flights.land(tooManyRequests());
      await clock.tickAsync(0);
      should(engine.snapshot()).match({ queued: 0, inFlight: 1, retrying: 1 });
      flights.land();
      should(await second).equal('SM2');
      await clock.tickAsync(50);
      flights.land();
      should(await first).equal('SM3');
    });

    it('starts the attempt synchronously when a slot is free', () => {
      const engine = delivery();
      const attempt = scripted('SM1');
      void engine.submit(attempt);
      should(attempt.calledOnce).be.true();
    });
  });

  describe('queue limit', () => {
    it('fails a message at once when queueLimit messages are waiting, without calling it', async () => {
      const engine = delivery({ concurrency: 1, queueLimit: 2 });
      const flights = new Flights();
      const accepted = [
        engine.submit(flights.attempt),
        engine.submit(flights.attempt),
        engine.submit(flights.attempt),
      ];
      const attempt = scripted('SM-never');
      const { error } = await outcome(engine.submit(attempt));
      should(error).be.instanceOf(BindingError).and.match({ code: ErrorCode.QueueFull, attempts: 0 });
      should(error?.message).equal(
        'the delivery queue is full (2 messages waiting); the message was not sent',
      );
      should(attempt.called).be.false();
      should(engine.snapshot()).match({ queued: 2, inFlight: 1, failed: 1 });

      flights.land();
      await clock.tickAsync(0);
      accepted.push(engine.submit(flights.attempt));
      while (flights.waiting > 0) {
        flights.land();
        await clock.tickAsync(0);
      }
      should(await Promise.all(accepted)).deepEqual(['SM1', 'SM2', 'SM3', 'SM4']);
    });

    it('counts messages waiting for a retry as waiting', async () => {
      const engine = delivery({ concurrency: 5, queueLimit: 1 });
      const retried = engine.submit(scripted(tooManyRequests(), 'SM1'));
      await clock.tickAsync(0);
      should(engine.snapshot()).match({ retrying: 1, inFlight: 0 });
      should(await outcome(engine.submit(scripted('SM2')))).match({ error: { code: ErrorCode.QueueFull } });
      await clock.tickAsync(50);
      should(await retried).equal('SM1');
    });
  });

  describe('retries', () => {
    it('retries not-sent failures with backoff, then resolves once', async () => {
      const engine = delivery({ retries: 3 });
      const attempt = scripted(tooManyRequests(), cannotConnect(), 'SM1');
      const result = engine.submit(attempt);
      await clock.tickAsync(0);
      should(attempt.callCount).equal(1);
      // Full jitter with random() = 0.5: 50 ms before the first retry, 100 ms before the second.
      await clock.tickAsync(49);
      should(attempt.callCount).equal(1);
      await clock.tickAsync(1);
      should(attempt.callCount).equal(2);
      await clock.tickAsync(100);
      should(attempt.callCount).equal(3);
      should(await result).equal('SM1');
      should(engine.snapshot()).deepEqual({ queued: 0, inFlight: 0, retrying: 0, sent: 1, failed: 0 });
    });

    it('fails with the last error and the attempts count when retries run out', async () => {
      const engine = delivery({ retries: 2 });
      const attempt = scripted(tooManyRequests());
      const result = outcome(engine.submit(attempt));
      await clock.tickAsync(1000);
      const { error } = await result;
      should(attempt.callCount).equal(3);
      should(error).be.instanceOf(BindingError).and.match({
        code: 20429,
        message: 'Too Many Requests (HTTP 429) (3 attempts)',
        status: 429,
        moreInfo: 'https://www.twilio.com/docs/errors/20429',
        attempts: 3,
      });
      should(engine.snapshot()).match({ sent: 0, failed: 1 });
    });

    it('makes one attempt only with retries set to 0', async () => {
      const attempt = scripted(tooManyRequests());
      const { error } = await outcome(delivery({ retries: 0 }).submit(attempt));
      should(attempt.callCount).equal(1);
      should(error).match({ code: 20429, attempts: 1 });
    });

    it('waits exactly Retry-After before the retry, instead of the backoff', async () => {
      const engine = delivery({ retryMaxIntervalMs: 1000 });
      const attempt = scripted(tooManyRequests(5000), 'SM1');
      const result = engine.submit(attempt);
      await clock.tickAsync(4999);
      should(attempt.callCount).equal(1);
      await clock.tickAsync(1);
      should(attempt.callCount).equal(2);
      should(await result).equal('SM1');
    });

    it('draws the jitter from the injected random source', async () => {
      const random = sinon.stub().returns(0.9);
      const attempt = scripted(tooManyRequests(), 'SM1');
      const result = delivery({}, random).submit(attempt);
      await clock.tickAsync(89);
      should(attempt.callCount).equal(1);
      await clock.tickAsync(1);
      should(attempt.callCount).equal(2);
      should(random.calledOnce).be.true();
      await result;
    });

    it('never retries a rejected request: exactly one attempt, its own error', async () => {
      const attempt = scripted(invalidTo());
      const { error } = await outcome(delivery({ retries: 5, retryAmbiguous: true }).submit(attempt));
      await clock.tickAsync(60_000);
      should(attempt.callCount).equal(1);
      should(error).be.instanceOf(BindingError).and.match({
        code: 21211,
        message: "The 'To' number is not a valid phone number (HTTP 400, Twilio error 21211) (1 attempt)",
        status: 400,
        moreInfo: 'https://www.twilio.com/docs/errors/21211',
        attempts: 1,
      });
    });

    it('treats an attempt that throws synchronously like one that rejects', async () => {
      const engine = delivery();
      const { error } = await outcome(
        engine.submit(() => {
          throw invalidTo();
        }),
      );
      should(error).match({ code: 21211, attempts: 1 });
      should(engine.snapshot()).match({ inFlight: 0, failed: 1 });
    });

    it('reports a failure that is not a BindingError as ERR_INTERNAL, keeping it as the cause', async () => {
      const bug = new TypeError('x is not a function');
      const { error } = await outcome(delivery().submit(() => Promise.reject(bug)));
      should(error).match({
        code: ErrorCode.Internal,
        message: 'unexpected failure: x is not a function (1 attempt)',
        attempts: 1,
      });
      should(error?.cause).equal(bug);
    });

    it('does not retry when the classifier throws', async () => {
      const engine = new Delivery<Sid>({}, () => {
        throw new Error('broken classifier');
      });
      const attempt = scripted(tooManyRequests());
      const { error } = await outcome(engine.submit(attempt));
      should(attempt.callCount).equal(1);
      should(error).match({ code: 20429, attempts: 1 });
    });
  });

  describe('ambiguous failures', () => {
    it("are not retried by default, and fail with ERR_MAYBE_SENT keeping Twilio's facts", async () => {
      const attempt = scripted(serverError(), 'SM-duplicate');
      const original = serverError();
      const { error } = await outcome(delivery({ retries: 3 }).submit(scripted(original)));
      await outcome(delivery({ retries: 3 }).submit(attempt));
      await clock.tickAsync(60_000);
      should(attempt.callCount).equal(1);
      should(error).be.instanceOf(BindingError).and.match({
        code: ErrorCode.MaybeSent,
        message:
          'Internal Server Error (HTTP 500, Twilio error 20500); the message may have been sent (1 attempt)',
        status: 500,
        attempts: 1,
      });
      should(error?.cause).equal(original);
      should((error?.cause as BindingError).code).equal(20500);
    });

    it('do not say twice that the message may have been sent', async () => {
      const { error } = await outcome(delivery().submit(scripted(timedOut())));
      should(error).match({
        code: ErrorCode.MaybeSent,
        message: 'no answer from the Twilio API within 30000 ms; the message may have been sent (1 attempt)',
        attempts: 1,
      });
      should((error?.cause as BindingError).code).equal(ErrorCode.Timeout);
    });

    it('are retried when retryAmbiguous is on', async () => {
      const attempt = scripted(timedOut(), serverError(), 'SM1');
      const result = delivery({ retryAmbiguous: true }).submit(attempt);
      await clock.tickAsync(1000);
      should(attempt.callCount).equal(3);
      should(await result).equal('SM1');
    });

    it('still mark the final failure as maybe sent when a later attempt fails otherwise', async () => {
      const notSentAfter = outcome(
        delivery({ retryAmbiguous: true, retries: 1 }).submit(scripted(serverError(), tooManyRequests())),
      );
      const rejectedAfter = outcome(
        delivery({ retryAmbiguous: true, retries: 1 }).submit(scripted(timedOut(), invalidTo())),
      );
      await clock.tickAsync(1000);
      should((await notSentAfter).error).match({
        code: ErrorCode.MaybeSent,
        message: 'Too Many Requests (HTTP 429); the message may have been sent (2 attempts)',
        status: 429,
        attempts: 2,
      });
      should((await rejectedAfter).error).match({ code: ErrorCode.MaybeSent, status: 400, attempts: 2 });
    });
  });

  describe('rate limit', () => {
    it('never starts more than ratePerSecond attempts in any sliding second, retries included', async () => {
      const engine = delivery({ ratePerSecond: 5, concurrency: 100 });
      const starts: number[] = [];
      // Every third message is first refused with 429 and retried: retries count against the rate too.
      const attemptFor = (message: number) => {
        let tries = 0;
        return (): Promise<Sid> => {
          starts.push(performance.now());
          return message % 3 === 0 && tries++ === 0
            ? Promise.reject(tooManyRequests())
            : Promise.resolve('SM');
        };
      };
      const results = Array.from({ length: 40 }, (_, i) => outcome(engine.submit(attemptFor(i))));
      for (let ms = 0; ms < 20_000; ms += 37) await clock.tickAsync(37);
      const settled = await Promise.all(results);
      should(settled.filter((r) => r.error !== undefined)).have.length(0);
      should(starts).have.length(54);
      for (const start of starts) {
        should(starts.filter((t) => t >= start && t < start + 1000).length).be.belowOrEqual(5);
      }
      // Paced, not stalled: the first five start within the first second, spread out.
      should((starts[4] ?? Infinity) - (starts[0] ?? 0)).be.below(1000);
      should((starts[1] ?? 0) - (starts[0] ?? 0)).be.aboveOrEqual((0.9 * 1010) / 5 - 1e-9);
      should(clock.countTimers()).equal(0);
    });

    it('waits for the spacing and the window to free up, and starts the next attempt exactly then', async () => {
      const engine = delivery({ ratePerSecond: 2 });
      const attempt = scripted('SM1');
      const results = [engine.submit(attempt), engine.submit(attempt), engine.submit(attempt)];
      // Spacing: 0.9 * 1010 / 2 = 454.5 ms; the window of the first start ends at 1010 ms.
      should(attempt.callCount).equal(1);
      should(engine.snapshot()).match({ queued: 2, inFlight: 1 });
      await clock.tickAsync(454);
      should(attempt.callCount).equal(1);
      await clock.tickAsync(1);
      should(attempt.callCount).equal(2);
      await clock.tickAsync(1009 - 455);
      should(attempt.callCount).equal(2);
      await clock.tickAsync(1);
      should(attempt.callCount).equal(3);
      await Promise.all(results);
    });
  });

  describe('close', () => {
    it('fails waiting messages at once, lets in-flight ones finish, and resolves after them', async () => {
      const engine = delivery({ concurrency: 2 });
      const flights = new Flights();
      const backingOff = outcome(engine.submit(flights.attempt));
      const landsAfterClose = outcome(engine.submit(flights.attempt));
      const failsAfterClose = outcome(engine.submit(flights.attempt));
      const neverStarted = scripted('SM-never');
      const queued = outcome(engine.submit(neverStarted));
      // The first attempt is refused and waits for its retry; its slot goes to the third.
      flights.land(tooManyRequests());
      await clock.tickAsync(0);
      should(engine.snapshot()).match({ inFlight: 2, retrying: 1, queued: 1 });

      let closed = false;
      const closing = engine.close().then(() => {
        closed = true;
      });
      should(engine.snapshot()).match({ inFlight: 2, retrying: 0, queued: 0 });
      const waiting = [(await queued).error, (await backingOff).error];
      should(waiting.map((error) => error?.code)).deepEqual([ErrorCode.Closed, ErrorCode.Closed]);
      should(waiting.map((error) => error?.attempts)).deepEqual([0, 1]);
      should(waiting[0]?.message).equal('delivery stopped before the message was sent');
      should(waiting[1]?.cause).match({ code: 20429 });
      should(neverStarted.called).be.false();

      should(await outcome(engine.submit(scripted('SM-new')))).match({
        error: { code: ErrorCode.Closed, attempts: 0 },
      });
      await clock.tickAsync(0);
      should(closed).be.false();

      flights.land();
      await clock.tickAsync(0);
      should(closed).be.false();
      should((await landsAfterClose).value).equal('SM2');
      flights.land(tooManyRequests());
      await closing;
      // An in-flight failure after close reports as usual, without a retry: its own error.
      should(await failsAfterClose).match({ error: { code: 20429, attempts: 1 } });
      should(clock.countTimers()).equal(0);
      should(engine.snapshot()).deepEqual({ queued: 0, inFlight: 0, retrying: 0, sent: 1, failed: 4 });
    });

    it("cancel(owner) fails only that owner's waiting messages, and the engine goes on", async () => {
      const engine = delivery({ concurrency: 1 });
      const flights = new Flights();
      const nodeA = {};
      const nodeB = {};
      const inFlightA = outcome(engine.submit(flights.attempt, nodeA));
      const queuedB1 = outcome(engine.submit(flights.attempt, nodeB));
      const queuedA = outcome(engine.submit(flights.attempt, nodeA));
      const queuedB2 = outcome(engine.submit(flights.attempt, nodeB));
      should(engine.snapshot()).match({ inFlight: 1, queued: 3 });

      engine.cancel(nodeA);
      should(engine.snapshot()).match({ inFlight: 1, queued: 2 });
      should(await queuedA).match({ error: { code: ErrorCode.Closed, attempts: 0 } });

      flights.land();
      should((await inFlightA).value).equal('SM1');
      await clock.tickAsync(0);
      flights.land();
      should((await queuedB1).value).equal('SM2');
      await clock.tickAsync(0);
      flights.land();
      should((await queuedB2).value).equal('SM3');
      should(engine.snapshot()).match({ queued: 0, inFlight: 0, sent: 3, failed: 1 });
      // The list stays well-formed after removing from its middle: a new message still runs.
      const later = engine.submit(flights.attempt, nodeA);
      flights.land();
      should(await later).equal('SM4');
    });

    it('cancel(owner) also fails its messages waiting out a backoff', async () => {
      const engine = delivery();
      const owner = {};
      const retrying = outcome(engine.submit(scripted(tooManyRequests(), 'SM-late'), owner));
      await clock.tickAsync(0);
      should(engine.snapshot()).match({ retrying: 1 });
      engine.cancel(owner);
      should(await retrying).match({ error: { code: ErrorCode.Closed, attempts: 1 } });
      should(clock.countTimers()).equal(0);
    });

    it('resolves at once when nothing is in flight, and returns the same promise when called again', async () => {
      const engine = delivery();
      const first = engine.close();
      should(engine.close()).equal(first);
      await first;
    });

    it("cancels the rate limiter's wake-up and fails what it held back", async () => {
      const engine = delivery({ ratePerSecond: 1 });
      const sent = engine.submit(scripted('SM1'));
      const held = outcome(engine.submit(scripted('SM2')));
      should(clock.countTimers()).equal(1);
      await engine.close();
      should(clock.countTimers()).equal(0);
      should(await sent).equal('SM1');
      should(await held).match({ error: { code: ErrorCode.Closed, attempts: 0 } });
    });

    it('fails a message waiting to retry an ambiguous failure as maybe sent, not as closed', async () => {
      const engine = delivery({ retryAmbiguous: true });
      const result = outcome(engine.submit(scripted(serverError(), 'SM1')));
      await clock.tickAsync(0);
      should(engine.snapshot().retrying).equal(1);
      await engine.close();
      should((await result).error).match({ code: ErrorCode.MaybeSent, status: 500, attempts: 1 });
    });

    it('settles every message exactly once in a burst of 500 closed midway', async () => {
      const engine = delivery({
        concurrency: 7,
        ratePerSecond: 50,
        queueLimit: 400,
        retries: 2,
        retryAmbiguous: true,
      });
      const failures = [tooManyRequests(), cannotConnect(), serverError(), timedOut(), invalidTo()];
      let calls = 0;
      const attempt = (): Promise<Sid> => {
        calls++;
        const failure = calls % 4 === 0 ? failures[calls % failures.length] : undefined;
        return new Promise((resolve, reject) => {
          setTimeout(() => {
            if (failure === undefined) resolve(`SM${calls}`);
            else reject(failure);
          }, calls % 50);
        });
      };
      const settlements = new Array<number>(500).fill(0);
      let resolved = 0;
      let rejected = 0;
      const results = Array.from({ length: 500 }, (_, i) =>
        engine.submit(attempt).then(
          () => {
            settlements[i] = (settlements[i] ?? 0) + 1;
            resolved++;
          },
          (err: unknown) => {
            should(err).be.instanceOf(BindingError);
            should((err as BindingError).attempts).be.a.Number();
            settlements[i] = (settlements[i] ?? 0) + 1;
            rejected++;
          },
        ),
      );
      await clock.tickAsync(3000);
      const before = engine.snapshot();
      should(before.sent).be.above(0);
      should(before.queued + before.retrying).be.above(0);
      await Promise.all([engine.close(), clock.tickAsync(1000)]);
      await Promise.all(results);
      should(resolved + rejected).equal(500);
      should(settlements.every((count) => count === 1)).be.true();
      should(engine.snapshot()).match({
        queued: 0,
        inFlight: 0,
        retrying: 0,
        sent: resolved,
        failed: rejected,
      });
      should(clock.countTimers()).equal(0);
    });
  });

  describe('observability', () => {
    it('emits a change with the snapshot on every state change', async () => {
      const engine = delivery({ concurrency: 1 });
      const changes: DeliverySnapshot[] = [];
      engine.on('change', (snapshot) => changes.push(snapshot));
      const flights = new Flights();
      const first = engine.submit(flights.attempt);
      const second = outcome(engine.submit(flights.attempt));
      flights.land(tooManyRequests());
      await clock.tickAsync(0);
      flights.land(invalidTo());
      await clock.tickAsync(50);
      flights.land();
      await first;
      await second;
      should(changes).deepEqual([
        { queued: 0, inFlight: 1, retrying: 0, sent: 0, failed: 0 },
        { queued: 1, inFlight: 1, retrying: 0, sent: 0, failed: 0 },
        { queued: 0, inFlight: 1, retrying: 1, sent: 0, failed: 0 },
        { queued: 0, inFlight: 0, retrying: 1, sent: 0, failed: 1 },
        { queued: 0, inFlight: 1, retrying: 0, sent: 0, failed: 1 },
        { queued: 0, inFlight: 0, retrying: 0, sent: 1, failed: 1 },
      ]);
    });

    it('reports refusals and close as changes too', async () => {
      const engine = delivery({ concurrency: 1, queueLimit: 1 });
      const flights = new Flights();
      const results = [outcome(engine.submit(flights.attempt)), outcome(engine.submit(flights.attempt))];
      const changes: DeliverySnapshot[] = [];
      engine.on('change', (snapshot) => changes.push(snapshot));
      await outcome(engine.submit(flights.attempt));
      const closing = engine.close();
      flights.land();
      await closing;
      await Promise.all(results);
      should(changes).deepEqual([
        { queued: 1, inFlight: 1, retrying: 0, sent: 0, failed: 1 },
        { queued: 0, inFlight: 1, retrying: 0, sent: 0, failed: 2 },
        { queued: 0, inFlight: 0, retrying: 0, sent: 1, failed: 2 },
      ]);
    });

    it('builds no snapshot when nobody listens', () => {
      const engine = delivery();
      const snapshot = sinon.spy(engine, 'snapshot');
      void engine.submit(scripted('SM1'));
      should(snapshot.called).be.false();
    });
  });
});
