const WINDOW_MS = 1000;

/**
 * Paces request starts so that no sliding one-second window holds more than `ratePerSecond` of them. It keeps
 * the last `ratePerSecond` start times in a ring (a sliding log): a fixed-window counter would let twice the
 * rate through across a window boundary.
 */
export class RateLimiter {
  private readonly starts: Float64Array;
  /** The slot of the oldest start once the ring is full, which is also where the next start goes. */
  private next = 0;
  private count = 0;

  constructor(ratePerSecond: number) {
    this.starts = new Float64Array(ratePerSecond);
  }

  /** Records a start at `now` and returns 0, or returns how many ms to wait before one may start. */
  acquire(now: number): number {
    if (this.count === this.starts.length) {
      // The window is half-open: a start exactly one second after the oldest no longer shares its window.
      const wait = (this.starts[this.next] ?? 0) + WINDOW_MS - now;
      if (wait > 0) return wait;
    } else {
      this.count++;
    }
    this.starts[this.next] = now;
    this.next = (this.next + 1) % this.starts.length;
    return 0;
  }
}
