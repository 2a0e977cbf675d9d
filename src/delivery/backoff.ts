import type { DeliveryOptions } from './options';

export type BackoffOptions = Pick<DeliveryOptions, 'retryInitialIntervalMs' | 'retryMaxIntervalMs'>;

/**
 * How long to wait before retry number `retry` (1 for the first). Exponential with full jitter: uniform in
 * [0, min(max, initial * 2^(retry - 1))), so that requests failing together do not retry together.
 * A Retry-After from Twilio wins, even beyond the cap: retrying sooner would only be refused again.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0 && Number.isFinite(retryAfterMs)) {
    return Math.ceil(retryAfterMs);
  }
  const ceiling = Math.min(options.retryMaxIntervalMs, options.retryInitialIntervalMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
