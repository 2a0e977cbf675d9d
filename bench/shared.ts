/** What the bench's processes agree on: the message sent, and how load is offered and timed. */

export const FROM_NUMBER = '+15005550006';
// A number libphonenumber-js finds valid: the account's toNumber is validated like a real one.
export const TO_NUMBER = '+14155550101';
export const BODY = 'bench message';

export interface Timing {
  /** Wall-clock milliseconds. */
  ms: number;
  /** CPU milliseconds of this process meanwhile: what the work cost, whatever else the machine did. */
  cpuMs: number;
}

export async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * Makes `total` calls of `once`, `inFlight` at a time: each call that ends starts the next, so exactly
 * `inFlight` are under way until the last ones.
 */
export async function closedLoop(
  total: number,
  inFlight: number,
  once: () => Promise<unknown>,
): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await once();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
}

/** Makes `total` calls of `once` at once; resolves once all have ended. */
export async function burst(total: number, once: () => Promise<unknown>): Promise<void> {
  await Promise.all(Array.from({ length: total }, once));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle];
  if (upper === undefined) throw new RangeError('median of nothing');
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}
