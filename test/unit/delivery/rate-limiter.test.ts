import should from 'should';
import { RateLimiter } from '../../../src/delivery/rate-limiter';

/** The most starts found in any half-open one-second window: windows starting at each start suffice. */
function busiestWindow(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] ?? Infinity) < (sorted[i] ?? 0) + 1000) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

describe('delivery: RateLimiter', () => {
  it('lets ratePerSecond starts through at once, then says how long to wait', () => {
    const limiter = new RateLimiter(3);
    should([limiter.acquire(0), limiter.acquire(0), limiter.acquire(10)]).deepEqual([0, 0, 0]);
    should(limiter.acquire(10)).equal(990);
    should(limiter.acquire(999)).equal(1);
    should(limiter.acquire(1000)).equal(0);
    // The second start (at 0) is now the oldest; the one at 10 follows it.
    should(limiter.acquire(1000)).equal(0);
    should(limiter.acquire(1000)).equal(10);
    should(limiter.acquire(1010)).equal(0);
  });

  it('does not record a start it refused', () => {
    const limiter = new RateLimiter(1);
    should(limiter.acquire(0)).equal(0);
    for (let now = 0; now < 1000; now += 100) should(limiter.acquire(now)).equal(1000 - now);
    should(limiter.acquire(1000)).equal(0);
    should(limiter.acquire(1500)).equal(500);
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
      should(busiestWindow(starts)).equal(rate);
    }
  });
});
