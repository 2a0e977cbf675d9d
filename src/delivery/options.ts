import { BindingError, ErrorCode } from '../binding/errors';

/** How one account's delivery engine queues, paces and retries the requests made to Twilio. */
export interface DeliveryOptions {
  /** Most requests in flight at once (Twilio allows about 100 per account before HTTP 429). */
  concurrency: number;
  /** Most requests started in any one-second window, retries included; 0 means no limit. */
  ratePerSecond: number;
  /** Most messages waiting, either for their first request or for a retry. */
  queueLimit: number;
  /** Retries after the first request, for failures where Twilio surely created nothing. */
  retries: number;
  /** Also retry failures after which the message may have been created (timeouts, 5xx): risks duplicates. */
  retryAmbiguous: boolean;
  /** Dapr's `initialInterval`: the first retry waits up to this long (full jitter), then it doubles. */
  retryInitialIntervalMs: number;
  /** Dapr's `maxInterval`: the cap on the backoff, unless Twilio's Retry-After asks for longer. */
  retryMaxIntervalMs: number;
}

/** The options as a config node stores them: numbers or their text, booleans or "true"/"false", or unset. */
export type RawDeliveryOptions = Partial<Record<keyof DeliveryOptions, unknown>>;

export const DEFAULT_DELIVERY_OPTIONS: Readonly<DeliveryOptions> = Object.freeze({
  concurrency: 10,
  ratePerSecond: 0,
  queueLimit: 10_000,
  retries: 3,
  retryAmbiguous: false,
  retryInitialIntervalMs: 500,
  retryMaxIntervalMs: 30_000,
});

// The rate limiter keeps one start time per allowed request: the bound keeps that log small.
const MAX_RATE_PER_SECOND = 10_000;

/** Applies the defaults to unset fields and fails with the first invalid one, naming it. */
export function parseDeliveryOptions(raw: RawDeliveryOptions): DeliveryOptions {
  const options: DeliveryOptions = {
    concurrency: integer(raw, 'concurrency', 1),
    ratePerSecond: integer(raw, 'ratePerSecond', 0, MAX_RATE_PER_SECOND),
    queueLimit: integer(raw, 'queueLimit', 1),
    retries: integer(raw, 'retries', 0),
    retryAmbiguous: boolean(raw, 'retryAmbiguous'),
    retryInitialIntervalMs: integer(raw, 'retryInitialIntervalMs', 1),
    retryMaxIntervalMs: integer(raw, 'retryMaxIntervalMs', 1),
  };
  if (options.retryMaxIntervalMs < options.retryInitialIntervalMs) {
    throw invalid(
      `"retryMaxIntervalMs" must be at least "retryInitialIntervalMs" (${options.retryInitialIntervalMs}); got "${options.retryMaxIntervalMs}"`,
    );
  }
  return options;
}

type IntegerField = Exclude<keyof DeliveryOptions, 'retryAmbiguous'>;

function integer(raw: RawDeliveryOptions, field: IntegerField, min: number, max?: number): number {
  const value = raw[field];
  if (isUnset(value)) return DEFAULT_DELIVERY_OPTIONS[field];
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)
        ? Number(value)
        : NaN;
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  if (!Number.isSafeInteger(number) || number < min || (max !== undefined && number > max)) {
    throw invalid(`"${field}" must be a whole number ${range}; got "${String(value)}"`);
  }
  return number;
}

function boolean(raw: RawDeliveryOptions, field: 'retryAmbiguous'): boolean {
  const value = raw[field];
  if (isUnset(value)) return DEFAULT_DELIVERY_OPTIONS[field];
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  throw invalid(`"${field}" must be true or false; got "${String(value)}"`);
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function invalid(message: string): BindingError {
  return new BindingError(ErrorCode.ConfigInvalid, message);
}
