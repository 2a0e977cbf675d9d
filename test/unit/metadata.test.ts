import should from 'should';
import { bindingFailure } from '../support/errors';
import { ErrorCode } from '../../src/binding/errors';
import { parseMetadata, parseTimeout, type RawMetadata } from '../../src/binding/metadata';

const VALID: RawMetadata = {
  accountSid: 'AC0123456789abcdef0123456789ABCDEF',
  authToken: 'secret-token',
  fromNumber: '+15005550006',
};

function configError(fn: () => unknown, message: string | RegExp): void {
  const error = bindingFailure(fn);
  should(error.code).equal(ErrorCode.ConfigInvalid);
  should(error.message).match(message);
}

describe('metadata: parseMetadata', () => {
  it('accepts the three required fields and applies the defaults', () => {
    should(parseMetadata(VALID)).deepEqual({
      accountSid: 'AC0123456789abcdef0123456789ABCDEF',
      authToken: 'secret-token',
      fromNumber: '+15005550006',
      toNumber: undefined,
      timeoutMs: 30_000,
      apiBaseUrl: undefined,
      region: undefined,
      edge: undefined,
      defaultCountry: undefined,
      allowedCountries: new Set(),
      allowedPrefixes: [],
      maxSegments: 10,
    });
  });

  it('normalises fromNumber and toNumber to E.164, national ones with defaultCountry', () => {
    const metadata = parseMetadata({
      ...VALID,
      fromNumber: '+1 500 555 0006',
      toNumber: '(415) 555-2671',
      defaultCountry: 'us',
    });
    should([metadata.fromNumber, metadata.toNumber, metadata.defaultCountry]).deepEqual([
      '+15005550006',
      '+14155552671',
      'US',
    ]);
  });

  it('accepts a short code or an alphanumeric sender ID as fromNumber', () => {
    should(parseMetadata({ ...VALID, fromNumber: '12345' }).fromNumber).equal('12345');
    should(parseMetadata({ ...VALID, fromNumber: 'ACME Alerts' }).fromNumber).equal('ACME Alerts');
  });

  it('refuses invalid numbers at init, naming the field and masking the number', () => {
    configError(
      () => parseMetadata({ ...VALID, fromNumber: '+1415555' }),
      /^"fromNumber" \+1\*\*5555 is not a valid phone number/,
    );
    configError(
      () => parseMetadata({ ...VALID, toNumber: '111-111-1111' }),
      /^"toNumber" 1\*\*-\*\*\*-1111 is not a valid phone number: write it in international form/,
    );
    configError(
      () => parseMetadata({ ...VALID, toNumber: '111-111-1111', defaultCountry: 'US' }),
      /^"toNumber" 1\*\*-\*\*\*-1111 is not a valid phone number: expected an E\.164 number \(\+, country code, number\) or a national number of US$/,
    );
  });

  it('reads the allowlist and maxSegments', () => {
    const metadata = parseMetadata({
      ...VALID,
      allowedCountries: 'us, ca;GB',
      allowedPrefixes: '+1415 +44',
      maxSegments: '3',
    });
    should([...metadata.allowedCountries]).deepEqual(['US', 'CA', 'GB']);
    should(metadata.allowedPrefixes).deepEqual(['+1415', '+44']);
    should(metadata.maxSegments).equal(3);
  });

  it('refuses unknown countries, malformed prefixes and a bad maxSegments', () => {
    configError(
      () => parseMetadata({ ...VALID, defaultCountry: 'XX' }),
      /^"defaultCountry": "XX" is not an ISO 3166 country code/,
    );
    configError(
      () => parseMetadata({ ...VALID, allowedCountries: 'US, USA' }),
      /^"allowedCountries": "USA" is not/,
    );
    configError(
      () => parseMetadata({ ...VALID, allowedPrefixes: '1415' }),
      /^"allowedPrefixes": "1415" is not a number prefix/,
    );
    for (const maxSegments of ['0', '-1', '2.5', 'ten']) {
      configError(
        () => parseMetadata({ ...VALID, maxSegments }),
        /^"maxSegments" must be a whole number of at least 1/,
      );
    }
  });

  it('keeps an optional toNumber, trimmed', () => {
    should(parseMetadata({ ...VALID, toNumber: ' +14155550100 ' }).toNumber).equal('+14155550100');
  });

  it('requires the fields in Dapr order: fromNumber, accountSid, authToken', () => {
    configError(() => parseMetadata({}), /^"fromNumber" is a required field$/);
    configError(() => parseMetadata({ fromNumber: '+1555' }), /^"accountSid" is a required field$/);
    configError(
      () => parseMetadata({ fromNumber: '+1555', accountSid: VALID.accountSid }),
      /^"authToken" is a required field$/,
    );
  });

  it('treats empty and blank values as missing', () => {
    configError(() => parseMetadata({ ...VALID, fromNumber: '   ' }), '"fromNumber" is a required field');
    configError(() => parseMetadata({ ...VALID, authToken: '' }), '"authToken" is a required field');
  });

  it('does not need toNumber, as Dapr does not', () => {
    should(parseMetadata({ ...VALID, toNumber: '' }).toNumber).be.undefined();
  });

  it('checks the account SID pattern without echoing the value', () => {
    for (const accountSid of [
      'AC123',
      'SK0123456789abcdef0123456789abcdef',
      'AC0123456789abcdef0123456789abcdeg',
    ]) {
      configError(() => parseMetadata({ ...VALID, accountSid }), /^"accountSid" must be "AC" followed by 32/);
    }
  });

  it('accepts an http(s) API URL and drops its trailing slash', () => {
    should(parseMetadata({ ...VALID, apiBaseUrl: 'http://127.0.0.1:3000/' }).apiBaseUrl).equal(
      'http://127.0.0.1:3000',
    );
    should(parseMetadata({ ...VALID, apiBaseUrl: 'https://api.example.com/twilio' }).apiBaseUrl).equal(
      'https://api.example.com/twilio',
    );
  });

  it('refuses other API URLs, and credentials inside one', () => {
    configError(
      () => parseMetadata({ ...VALID, apiBaseUrl: 'ftp://example.com' }),
      /"apiBaseUrl" must be an http/,
    );
    configError(() => parseMetadata({ ...VALID, apiBaseUrl: 'not a url' }), /"apiBaseUrl" must be an http/);
    configError(
      () => parseMetadata({ ...VALID, apiBaseUrl: 'https://user:pw@example.com' }),
      /must not contain a user name or password/,
    );
  });

  it('accepts Twilio region and edge names and refuses others', () => {
    const metadata = parseMetadata({ ...VALID, region: 'ie1', edge: 'dublin' });
    should([metadata.region, metadata.edge]).deepEqual(['ie1', 'dublin']);
    configError(() => parseMetadata({ ...VALID, region: 'IE 1' }), /"region" must be a Twilio region name/);
    configError(() => parseMetadata({ ...VALID, edge: 'dub.lin' }), /"edge" must be a Twilio edge name/);
  });

  it('reads a timeout given as a number in a hand-written flow', () => {
    should(parseMetadata({ ...VALID, timeout: 45 }).timeoutMs).equal(45_000);
  });
});

describe('metadata: parseTimeout, as Dapr decodes durations', () => {
  const cases: [string, number][] = [
    ['30s', 30_000],
    ['2m', 120_000],
    ['1500ms', 1500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['2000000us', 2000],
    ['2000000µs', 2000],
    ['3000000000ns', 3000],
    ['500us', 1],
    ['+10s', 10_000],
    ['30', 30_000],
    [' 7 ', 7000],
  ];
  for (const [text, ms] of cases) {
    it(`"${text}" is ${ms} ms`, () => {
      should(parseTimeout(text)).equal(ms);
    });
  }

  for (const text of ['', 'abc', '10 s', '1d', '1.5', 's', '30sec', '1m-30s']) {
    it(`refuses "${text}"`, () => {
      configError(() => parseTimeout(text), /"timeout" must be a duration/);
    });
  }

  for (const text of ['0', '0s', '-5s', '-30']) {
    it(`refuses the non-positive "${text}"`, () => {
      configError(() => parseTimeout(text), /"timeout" must be greater than zero/);
    });
  }
});

describe('metadata: environment variables', () => {
  it('names the field and the variable when a ${NAME} reference was left unset', () => {
    configError(
      () => parseMetadata({ ...VALID, authToken: '${TWILIO_AUTH_TOKEN}' }),
      /^"authToken" names the environment variable TWILIO_AUTH_TOKEN, which is not set$/,
    );
    configError(
      () => parseMetadata({ ...VALID, toNumber: '${TO}' }),
      /^"toNumber" names the environment variable TO, which is not set$/,
    );
  });

  it('keeps values that only contain a dollar sign', () => {
    should(parseMetadata({ ...VALID, authToken: 'a${b}c' }).authToken).equal('a${b}c');
  });
});
