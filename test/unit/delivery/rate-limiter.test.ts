import should from 'should';
import { RateLimiter } from '../../../src/delivery/rate-limiter';

/** The most starts found in any half-open one-second window: windows starting at each start suffice. */
function busiestWindow(starts: number[], windowMs = 1000): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] ?? Infinity) < (sorted[i] ?? 0) + windowMs) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

describe('delivery: RateLimiter', () => {
  it('spreads starts at 90% of the even spacing, and keeps the sliding log of 1010 ms', () => {
    const limiter = new RateLimiter(3); // spacing 0.9 * 1010 / 3 = 303 ms
    should(limiter.acquire(0)).equal(0);
    should(limiter.acquire(0)).equal(303);
    should(limiter.acquire(303)).equal(0);
    should(limiter.acquire(606)).equal(0);
    // Three starts in the log: the oldest (0) leaves the window at 1010, later than the spacing allows.
    should(limiter.acquire(606)).equal(404);
    should(limiter.acquire(1009)).equal(1);
    should(limiter.acquire(1010)).equal(0);
    // The next oldest (303) leaves at 1313, the spacing after 1010 ends at 1313 too.
    should(limiter.acquire(1312)).equal(1);
    should(limiter.acquire(1313)).equal(0);
  });

  it('does not record a start it refused', () => {
    const limiter = new RateLimiter(1);
    should(limiter.acquire(0)).equal(0);
    for (let now = 0; now < 1000; now += 100) should(limiter.acquire(now)).equal(1010 - now);
    should(limiter.acquire(1010)).equal(0);
    should(limiter.acquire(1500)).equal(520);
  });

  it('never has a sliding window over the limit across an uneven burst', () => {
    for (const rate of [1, 5, 17]) {
      const limiter = new RateLimiter(rate);
      const starts: number[] = [];
      let now = 0;
      // A deterministic, uneven arrival pattern: bursts and lulls, each request retried until it may start.
      for (let i = 0; i < 500; i++) {
        now += (i * 7919) % 13 === 0 ? 700 : (i * 31) % 5;
        let wait = limiter.acquire(now);
        while (wait > 0) {
          now += wait;
          wait = limiter.acquire(now);
        }
        starts.push(now);
      }
      should(busiestWindow(starts)).be.belowOrEqual(rate);
      // Late arrivals of up to 10 ms still fit: no window of 1010 ms holds more either.
      should(busiestWindow(starts, 1010)).be.belowOrEqual(rate);
      const sorted = [...starts].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) {
        should((sorted[i] ?? 0) - (sorted[i - 1] ?? 0)).be.aboveOrEqual((0.9 * 1010) / rate - 1e-9);
      }
    }
  });

  it('reaches 99% of the rate when requests are always waiting', () => {
    for (const rate of [1, 10, 50]) {
      const limiter = new RateLimiter(rate);
      let now = 0;
      let started = 0;
      while (now < 10_000) {
        const wait = limiter.acquire(now);
        if (wait === 0) started++;
        else now += wait;
      }
      // Over ten seconds: 10 windows of 1010 ms, each with `rate` starts, give 99% of 10 * rate.
      should(started)
        .be.aboveOrEqual(Math.floor(0.99 * 10 * rate))
        .and.belowOrEqual(10 * rate);
    }
  });
});
