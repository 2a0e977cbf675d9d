import should from 'should';
import { BindingError, ErrorCode } from '../../../src/binding/errors';
import { Delivery } from '../../../src/delivery/delivery';
import {
  DEFAULT_DELIVERY_OPTIONS,
  parseDeliveryOptions,
  type RawDeliveryOptions,
} from '../../../src/delivery/options';
import { classify } from './helpers';

function configError(raw: RawDeliveryOptions, message: string | RegExp): void {
  let thrown: unknown;
  try {
    parseDeliveryOptions(raw);
  } catch (err) {
    thrown = err;
  }
  should(thrown).be.instanceOf(BindingError);
  should((thrown as BindingError).code).equal(ErrorCode.ConfigInvalid);
  should((thrown as BindingError).message).match(message);
}

describe('delivery: parseDeliveryOptions', () => {
  it('applies the defaults to an empty config', () => {
    should(parseDeliveryOptions({})).deepEqual({
      concurrency: 10,
      ratePerSecond: 0,
      queueLimit: 10_000,
      retries: 3,
      retryAmbiguous: false,
      retryInitialIntervalMs: 500,
      retryMaxIntervalMs: 30_000,
    });
    should(parseDeliveryOptions({})).deepEqual(DEFAULT_DELIVERY_OPTIONS);
  });

  it('treats empty, blank and null fields as unset', () => {
    should(
      parseDeliveryOptions({ concurrency: '', ratePerSecond: '  ', queueLimit: null, retryAmbiguous: '' }),
    ).deepEqual(DEFAULT_DELIVERY_OPTIONS);
  });

  it('reads numbers and their text, trimmed, and booleans and their text', () => {
    should(
      parseDeliveryOptions({
        concurrency: ' 50 ',
        ratePerSecond: 3,
        queueLimit: '100',
        retries: '0',
        retryAmbiguous: 'true',
        retryInitialIntervalMs: 250,
        retryMaxIntervalMs: '250',
      }),
    ).deepEqual({
      concurrency: 50,
      ratePerSecond: 3,
      queueLimit: 100,
      retries: 0,
      retryAmbiguous: true,
      retryInitialIntervalMs: 250,
      retryMaxIntervalMs: 250,
    });
    should(parseDeliveryOptions({ retryAmbiguous: true }).retryAmbiguous).be.true();
    should(parseDeliveryOptions({ retryAmbiguous: ' false ' }).retryAmbiguous).be.false();
  });

  it('refuses a concurrency that is not a whole number of at least 1', () => {
    for (const concurrency of [0, -1, 1.5, '1.5', 'ten', '10 requests', NaN, Infinity, '1e3', true, {}]) {
      configError({ concurrency }, /^"concurrency" must be a whole number of at least 1; got "/);
    }
    configError({ concurrency: 0 }, '"concurrency" must be a whole number of at least 1; got "0"');
  });

  it('refuses a ratePerSecond below 0 or above 10000', () => {
    configError({ ratePerSecond: -1 }, '"ratePerSecond" must be a whole number from 0 to 10000; got "-1"');
    configError({ ratePerSecond: '10001' }, /^"ratePerSecond" must be a whole number from 0 to 10000/);
    configError({ ratePerSecond: 0.5 }, /^"ratePerSecond" must be a whole number/);
    should(parseDeliveryOptions({ ratePerSecond: '10000' }).ratePerSecond).equal(10_000);
  });

  it('refuses a queueLimit below 1', () => {
    configError({ queueLimit: 0 }, '"queueLimit" must be a whole number of at least 1; got "0"');
    configError({ queueLimit: 'many' }, /^"queueLimit" must be a whole number/);
  });

  it('refuses negative or fractional retries, and accepts none', () => {
    configError({ retries: -1 }, '"retries" must be a whole number of at least 0; got "-1"');
    configError({ retries: '2.5' }, /^"retries" must be a whole number/);
    should(parseDeliveryOptions({ retries: 0 }).retries).equal(0);
  });

  it('refuses a retryAmbiguous that is not a boolean', () => {
    for (const retryAmbiguous of ['yes', 'TRUE', 1, 0, {}]) {
      configError({ retryAmbiguous }, /^"retryAmbiguous" must be true or false; got "/);
    }
  });

  it('refuses backoff intervals below 1 ms, and a cap below the initial interval', () => {
    configError(
      { retryInitialIntervalMs: 0 },
      /^"retryInitialIntervalMs" must be a whole number of at least 1/,
    );
    configError({ retryMaxIntervalMs: '0' }, /^"retryMaxIntervalMs" must be a whole number of at least 1/);
    configError(
      { retryInitialIntervalMs: 1000, retryMaxIntervalMs: 999 },
      '"retryMaxIntervalMs" must be at least "retryInitialIntervalMs" (1000); got "999"',
    );
    configError({ retryInitialIntervalMs: 60_000 }, /^"retryMaxIntervalMs" must be at least/);
  });

  it('is what the Delivery constructor applies', () => {
    let thrown: unknown;
    try {
      new Delivery({ concurrency: 0 }, classify);
    } catch (err) {
      thrown = err;
    }
    should(thrown).be.instanceOf(BindingError).and.match({ code: ErrorCode.ConfigInvalid });
  });
});
