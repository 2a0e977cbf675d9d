import { EventEmitter } from 'node:events';
import type { BindingError } from '../binding/errors';
import { backoffDelay } from './backoff';
import { attemptFailed, closed, maybeSent, queueFull } from './failures';
import { type DeliveryOptions, parseDeliveryOptions, type RawDeliveryOptions } from './options';
import { RateLimiter } from './rate-limiter';

/** One request to Twilio: resolves with the created resource or rejects with a BindingError (else ERR_INTERNAL). */
export type Attempt<T> = () => Promise<T>;

/**
 * What a failed attempt tells about the message: `not-sent` (HTTP 429, no connection: Twilio created
 * nothing), `ambiguous` (timeout after sending, broken connection, HTTP 5xx: it may exist) or `rejected`
 * (any other answer: retrying cannot help).
 */
export type FailureKind = 'not-sent' | 'ambiguous' | 'rejected';

export interface Classification {
  kind: FailureKind;
  /** Twilio's Retry-After, in ms: the retry waits this long instead of the backoff. */
  retryAfterMs?: number;
}

/** Supplied by the Twilio adapter, which knows what its errors mean. */
export type Classify = (err: unknown) => Classification;

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  // Monotonic, unlike Date.now(): a wall clock set back would stall the rate limiter.
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: NodeJS.Timeout) => {
    clearTimeout(handle);
  },
};

export interface DeliverySnapshot {
  /** Messages waiting for a free slot or for the rate limit, retries whose backoff is over included. */
  queued: number;
  /** Requests to Twilio under way. */
  inFlight: number;
  /** Messages waiting out a backoff before their next attempt. */
  retrying: number;
  /** Messages created since the engine started. */
  sent: number;
  /** Messages failed since the engine started, refused ones (queue full, closed) included. */
  failed: number;
}

export interface DeliveryEvents {
  change: [snapshot: DeliverySnapshot];
}

interface Job<T> {
  readonly attempt: Attempt<T>;
  /** Who submitted it (a binding node), so that its waiting messages can be cancelled when it closes. */
  readonly owner: unknown;
  readonly resolve: (value: T) => void;
  readonly reject: (err: BindingError) => void;
  attempts: number;
  /** Some attempt failed in a way that may have created the message: no later failure can unsay that. */
  ambiguous: boolean;
  /** The failure that the pending retry answers. */
  lastError: unknown;
  retryTimer: unknown;
  /** The queue is a linked list through the jobs themselves: no array to grow, shift or compact. */
  next: Job<T> | undefined;
}

/**
 * The delivery engine of one Twilio account, shared by every binding node using it: a bounded FIFO queue,
 * a concurrency cap, a sliding-window rate limit and the retry policy. It never retries on its own what may
 * have been sent (unless `retryAmbiguous`), and every submitted message's promise settles exactly once.
 */
export class Delivery<T> extends EventEmitter<DeliveryEvents> {
  private readonly options: DeliveryOptions;
  private readonly limiter: RateLimiter | undefined;
  private head: Job<T> | undefined;
  private tail: Job<T> | undefined;
  private queued = 0;
  private inFlight = 0;
  private readonly retrying = new Set<Job<T>>();
  private sent = 0;
  private failed = 0;
  private wakeTimer: unknown;
  private closing: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  /** Throws a BindingError with code ERR_BAD_CONFIG, naming the field, for an invalid option. */
  constructor(
    options: RawDeliveryOptions,
    private readonly classify: Classify,
    private readonly clock: Clock = systemClock,
    private readonly random: () => number = Math.random,
  ) {
    super();
    this.options = parseDeliveryOptions(options);
    this.limiter = this.options.ratePerSecond > 0 ? new RateLimiter(this.options.ratePerSecond) : undefined;
  }

  /**
   * Queues one message's requests. Resolves with the attempt's result; rejects with a BindingError whose
   * `attempts` tells how many requests were made: the attempt's own error, or ERR_MAYBE_SENT, ERR_QUEUE_FULL,
   * ERR_CLOSED.
   */
  submit(attempt: Attempt<T>, owner?: unknown): Promise<T> {
    if (this.closing !== undefined) return this.refuse(closed(0));
    if (this.queued + this.retrying.size >= this.options.queueLimit) {
      return this.refuse(queueFull(this.options.queueLimit));
    }
    const promise = new Promise<T>((resolve, reject) => {
      this.enqueue({
        attempt,
        owner,
        resolve,
        reject,
        attempts: 0,
        ambiguous: false,
        lastError: undefined,
        retryTimer: undefined,
        next: undefined,
      });
    });
    this.pump();
    this.changed();
    return promise;
  }

  snapshot(): DeliverySnapshot {
    return {
      queued: this.queued,
      inFlight: this.inFlight,
      retrying: this.retrying.size,
      sent: this.sent,
      failed: this.failed,
    };
  }

  /**
   * Stops accepting messages and fails the waiting ones (queued or in backoff) at once; requests in flight
   * finish and report as usual, without retries. Resolves when none is left in flight; calling it again
   * returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    for (let job = this.head; job !== undefined; job = job.next) this.stop(job);
    this.head = this.tail = undefined;
    this.queued = 0;
    for (const job of this.retrying) {
      this.clock.clearTimeout(job.retryTimer);
      this.stop(job);
    }
    this.retrying.clear();
    this.closing =
      this.inFlight === 0
        ? Promise.resolve()
        : new Promise((resolve) => {
            this.idle = resolve;
          });
    this.changed();
    return this.closing;
  }

  /**
   * Fails the owner's waiting messages (queued or in backoff) as close() does, for a binding node that is
   * stopped while the account's engine goes on; its requests in flight finish and report as usual.
   */
  cancel(owner: unknown): void {
    let previous: Job<T> | undefined;
    for (let job = this.head; job !== undefined;) {
      const next = job.next;
      if (job.owner === owner) {
        if (previous === undefined) this.head = next;
        else previous.next = next;
        if (this.tail === job) this.tail = previous;
        job.next = undefined;
        this.queued--;
        this.stop(job);
      } else {
        previous = job;
      }
      job = next;
    }
    for (const job of this.retrying) {
      if (job.owner !== owner) continue;
      this.clock.clearTimeout(job.retryTimer);
      this.retrying.delete(job);
      this.stop(job);
    }
    this.changed();
  }

  private refuse(error: BindingError): Promise<T> {
    this.failed++;
    this.changed();
    return Promise.reject(error);
  }

  private enqueue(job: Job<T>): void {
    if (this.tail === undefined) this.head = job;
    else this.tail.next = job;
    this.tail = job;
    this.queued++;
  }

  /** A retry goes before newer messages: it has waited longest. */
  private requeue(job: Job<T>): void {
    job.next = this.head;
    this.head = job;
    this.tail ??= job;
    this.queued++;
  }

  private dequeue(job: Job<T>): void {
    this.head = job.next;
    if (this.head === undefined) this.tail = undefined;
    job.next = undefined;
    this.queued--;
  }

  /** Starts as many queued attempts as the concurrency cap and the rate limit allow; true if any started. */
  private pump(): boolean {
    let started = false;
    while (this.head !== undefined && this.inFlight < this.options.concurrency) {
      const wait = this.limiter?.acquire(this.clock.now()) ?? 0;
      if (wait > 0) {
        // While the window is full nothing else starts, so the time it frees up cannot change meanwhile.
        this.wakeTimer ??= this.clock.setTimeout(() => {
          this.wakeTimer = undefined;
          if (this.pump()) this.changed();
        }, Math.ceil(wait));
        break;
      }
      const job = this.head;
      this.dequeue(job);
      this.start(job);
      started = true;
    }
    return started;
  }

  private start(job: Job<T>): void {
    job.attempts++;
    this.inFlight++;
    // The executor turns an attempt that throws instead of rejecting into a rejection like any other.
    new Promise<T>((resolve) => {
      resolve(job.attempt());
    }).then(
      (value) => {
        this.inFlight--;
        this.sent++;
        job.resolve(value);
        this.attemptEnded();
      },
      (err: unknown) => {
        this.inFlight--;
        this.retryOrFail(job, err);
        this.attemptEnded();
      },
    );
  }

  private retryOrFail(job: Job<T>, err: unknown): void {
    const { kind, retryAfterMs } = this.classifyFailure(err);
    if (kind === 'ambiguous') job.ambiguous = true;
    const retryable = kind === 'not-sent' || (kind === 'ambiguous' && this.options.retryAmbiguous);
    if (retryable && job.attempts <= this.options.retries && this.closing === undefined) {
      job.lastError = err;
      this.retrying.add(job);
      job.retryTimer = this.clock.setTimeout(
        () => {
          this.retrying.delete(job);
          job.retryTimer = undefined;
          this.requeue(job);
          this.pump();
          this.changed();
        },
        backoffDelay(job.attempts, this.options, this.random, retryAfterMs),
      );
    } else {
      this.fail(job, job.ambiguous ? maybeSent(err, job.attempts) : attemptFailed(err, job.attempts));
    }
  }

  private classifyFailure(err: unknown): Classification {
    try {
      return this.classify(err);
    } catch {
      // A broken classifier must not leave the message unsettled; never retrying is the safe reading.
      return { kind: 'rejected' };
    }
  }

  private attemptEnded(): void {
    if (this.closing === undefined) this.pump();
    else if (this.inFlight === 0) this.idle?.();
    this.changed();
  }

  /** Fails a waiting job because delivery stopped; if an earlier attempt may have sent it, that comes first. */
  private stop(job: Job<T>): void {
    this.fail(
      job,
      job.ambiguous ? maybeSent(job.lastError, job.attempts) : closed(job.attempts, job.lastError),
    );
  }

  private fail(job: Job<T>, error: BindingError): void {
    this.failed++;
    job.reject(error);
  }

  private changed(): void {
    // The snapshot is only built for someone to read it.
    if (this.listenerCount('change') > 0) this.emit('change', this.snapshot());
  }
}
