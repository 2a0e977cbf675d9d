/**
 * Twilio sees a start later than it is made here (the request still has to be written, more so under load),
 * and a late arrival must not land in the next second's window: the window is this much longer than one
 * second, which costs 1% of the rate.
 */
const WINDOW_MS = 1010;
/**
 * Starts are also spread out, at least 90% of the even spacing apart: a burst released at once would go out
 * one after the other and reach Twilio spread over several milliseconds, so its last requests could share a
 * second with the next burst's first.
 */
const SPREAD = 0.9;

/**
 * Paces request starts so that no sliding window of a little over one second holds more than
 * `ratePerSecond` of them. It keeps the last `ratePerSecond` start times in a ring (a sliding log): a
 * fixed-window counter would let twice the rate through across a window boundary.
 */
export class RateLimiter {
  private readonly starts: Float64Array;
  private readonly spacingMs: number;
  /** The slot of the oldest start once the ring is full, which is also where the next start goes. */
  private next = 0;
  private count = 0;
  private last = -Infinity;

  constructor(ratePerSecond: number) {
    this.starts = new Float64Array(ratePerSecond);
    this.spacingMs = (SPREAD * WINDOW_MS) / ratePerSecond;
  }

  /** Records a start at `now` and returns 0, or returns how many ms to wait before one may start. */
  acquire(now: number): number {
    // The window is half-open: a start exactly WINDOW_MS after the oldest no longer shares its window.
    const windowWait =
      this.count === this.starts.length ? (this.starts[this.next] ?? 0) + WINDOW_MS - now : 0;
    const wait = Math.max(windowWait, this.last + this.spacingMs - now);
    if (wait > 0) return wait;
    if (this.count < this.starts.length) this.count++;
    this.starts[this.next] = now;
    this.next = (this.next + 1) % this.starts.length;
    this.last = now;
    return 0;
  }
}
