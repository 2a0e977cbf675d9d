import should from 'should';
import { backoffDelay } from '../../../src/delivery/backoff';

const OPTIONS = { retryInitialIntervalMs: 500, retryMaxIntervalMs: 30_000 };
const ALMOST_ONE = 1 - Number.EPSILON;

describe('delivery: backoffDelay', () => {
  it('doubles the ceiling from the initial interval on each retry', () => {
    should([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, OPTIONS, () => 0.5))).deepEqual([
      250, 500, 1000, 2000, 4000,
    ]);
  });

  it('stays within [0, ceiling) whatever the random source says (full jitter)', () => {
    for (let retry = 1; retry <= 10; retry++) {
      const ceiling = Math.min(30_000, 500 * 2 ** (retry - 1));
      should(backoffDelay(retry, OPTIONS, () => 0)).equal(0);
      should(backoffDelay(retry, OPTIONS, () => ALMOST_ONE)).equal(ceiling - 1);
    }
  });

  it('is capped at the max interval, even for retry counts that would overflow', () => {
    should(backoffDelay(7, OPTIONS, () => ALMOST_ONE)).equal(29_999);
    should(backoffDelay(2000, OPTIONS, () => 0.5)).equal(15_000);
  });

  it('lets Retry-After win, even beyond the cap, rounded up to whole ms', () => {
    should(backoffDelay(1, OPTIONS, () => 0.5, 2000)).equal(2000);
    should(backoffDelay(1, OPTIONS, () => 0.5, 120_000)).equal(120_000);
    should(backoffDelay(3, OPTIONS, () => 0.5, 0)).equal(0);
    should(backoffDelay(1, OPTIONS, () => 0.5, 1.2)).equal(2);
  });

  it('ignores a Retry-After that is not a usable delay', () => {
    for (const retryAfterMs of [-1, NaN, Infinity]) {
      should(backoffDelay(1, OPTIONS, () => 0.5, retryAfterMs)).equal(250);
    }
  });
});
