import sinon from 'sinon';
import { BindingError, ErrorCode } from '../../../src/binding/errors';
import type { Classification } from '../../../src/delivery/delivery';

/** Fakes the timers and the monotonic clock the engine reads by default; restore() in afterEach. */
export function fakeTime(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** HTTP 429 with Twilio's code 20429: nothing was created. */
export function tooManyRequests(retryAfterMs?: number): BindingError & { retryAfterMs?: number } {
  const err: BindingError & { retryAfterMs?: number } = new BindingError(
    20429,
    'Too Many Requests (HTTP 429)',
    {
      status: 429,
      moreInfo: 'https://www.twilio.com/docs/errors/20429',
    },
  );
  err.retryAfterMs = retryAfterMs;
  return err;
}

export function cannotConnect(): BindingError {
  return new BindingError(ErrorCode.Network, 'cannot connect to the Twilio API (ECONNREFUSED)');
}

/** HTTP 500 with a Twilio code: the message may exist. */
export function serverError(): BindingError {
  return new BindingError(20500, 'Internal Server Error (HTTP 500, Twilio error 20500)', { status: 500 });
}

export function timedOut(): BindingError {
  return new BindingError(
    ErrorCode.Timeout,
    'no answer from the Twilio API within 30000 ms; the message may have been sent',
  );
}

/** HTTP 400 invalid To: retrying cannot help. */
export function invalidTo(): BindingError {
  return new BindingError(
    21211,
    "The 'To' number is not a valid phone number (HTTP 400, Twilio error 21211)",
    {
      status: 400,
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    },
  );
}

/** The classification the Twilio adapter is to make, over the errors above. */
export function classify(err: unknown): Classification {
  if (!(err instanceof BindingError)) return { kind: 'rejected' };
  const { retryAfterMs } = err as { retryAfterMs?: number };
  if (err.status === 429)
    return retryAfterMs === undefined ? { kind: 'not-sent' } : { kind: 'not-sent', retryAfterMs };
  if (err.code === ErrorCode.Network) return { kind: 'not-sent' };
  if (err.code === ErrorCode.Timeout || (err.status ?? 0) >= 500) return { kind: 'ambiguous' };
  return { kind: 'rejected' };
}

/** Settles to what the promise did, without an unhandled rejection in between. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: BindingError }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: error as BindingError };
  }
}
