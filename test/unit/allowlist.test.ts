import should from 'should';
import { bindingFailure } from '../support/errors';
import { checkRecipient } from '../../src/binding/allowlist';
import { prepareMessage, type PreparedMessage } from '../../src/binding/create';
import { ErrorCode } from '../../src/binding/errors';
import { parseMetadata, type ComponentMetadata, type RawMetadata } from '../../src/binding/metadata';
import type { BindingRequest } from '../../src/binding/request';

const ACCOUNT: RawMetadata = {
  accountSid: 'AC0123456789abcdef0123456789ABCDEF',
  authToken: 'secret-token',
};

const US = '+14155552671';
const US_NY = '+12125551234';
const CA = '+16132345678';
const GB = '+447400123456';
/** A +44 number that libphonenumber places in Guernsey. */
const GG = '+447911123456';
const FR = '+33612345678';
const NG = '+2348031234567';

function account(raw: RawMetadata): ComponentMetadata {
  return parseMetadata({ ...ACCOUNT, ...raw });
}

/**
 * The refusal of `to`: ERR_NOT_ALLOWED, and a message that shows the number masked (the first digit and the
 * last four) and never its other digits.
 */
function refusal(to: string, metadata: ComponentMetadata, chosenByMessage: boolean): string {
  const error = bindingFailure(() => {
    checkRecipient(to, metadata, chosenByMessage);
  });
  should(error.code).equal(ErrorCode.NotAllowed);
  const digits = to.replace(/\D/g, '');
  should(error.message).not.containEql(digits);
  if (error.message.startsWith('the recipient ')) {
    const masked = `+${digits.charAt(0)}${'*'.repeat(digits.length - 5)}${digits.slice(-4)}`;
    should(error.message).startWith(`the recipient ${masked}`);
  }
  return error.message;
}

type Expected = true | RegExp;

interface Scenario {
  name: string;
  raw: RawMetadata;
  chosenByMessage: boolean;
  /** Each recipient, and true when it is allowed, or what the refusal says. */
  recipients: [string, Expected][];
}

const SCENARIOS: Scenario[] = [
  {
    name: "no allowlist, the config's own toNumber",
    raw: { fromNumber: US },
    chosenByMessage: false,
    recipients: [
      [US, true],
      [CA, true],
      [GB, true],
      [NG, true],
      [`whatsapp:${FR}`, true],
    ],
  },
  {
    name: "no allowlist and no country at all, the config's own toNumber",
    raw: { fromNumber: 'MyCompany' },
    chosenByMessage: false,
    recipients: [
      [US, true],
      [GB, true],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a US fromNumber',
    raw: { fromNumber: US },
    chosenByMessage: true,
    recipients: [
      [US, true],
      [US_NY, true],
      [`whatsapp:${US_NY}`, true],
      [
        CA,
        /^the recipient \+1\*{6}5678 \(CA\) is outside US, the only country allowed for recipients chosen by the message; set the account's allowed countries or prefixes/,
      ],
      [GB, /\(GB\) is outside US, the only country allowed/],
      [`whatsapp:${GB}`, /\(GB\) is outside US/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a WhatsApp fromNumber in the US',
    raw: { fromNumber: `whatsapp:${US}` },
    chosenByMessage: true,
    recipients: [
      [`whatsapp:${US_NY}`, true],
      [`whatsapp:${CA}`, /\(CA\) is outside US/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a national fromNumber read with the default country',
    raw: { fromNumber: '0151 23456789', defaultCountry: 'DE' },
    chosenByMessage: true,
    recipients: [
      ['+4930123456', true],
      [FR, /\(FR\) is outside DE/],
    ],
  },
  {
    name: "no allowlist, chosen by the message: the fromNumber's country wins over the default country",
    raw: { fromNumber: US, defaultCountry: 'GB' },
    chosenByMessage: true,
    recipients: [
      [US, true],
      [GB, /\(GB\) is outside US/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a GB fromNumber',
    raw: { fromNumber: GB },
    chosenByMessage: true,
    recipients: [
      ['+442071838750', true],
      // Guernsey shares +44 but is its own country for libphonenumber.
      [GG, /\(GG\) is outside GB/],
      [US, /\(US\) is outside GB/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a sender ID with the default country GB',
    raw: { fromNumber: 'MyCompany', defaultCountry: 'GB' },
    chosenByMessage: true,
    recipients: [
      [GB, true],
      [`whatsapp:${GB}`, true],
      [US, /\(US\) is outside GB/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a short code with the default country us',
    raw: { fromNumber: '12345', defaultCountry: 'us' },
    chosenByMessage: true,
    recipients: [
      [US, true],
      [CA, /\(CA\) is outside US/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a sender ID without a default country',
    raw: { fromNumber: 'MyCompany' },
    chosenByMessage: true,
    recipients: [
      [
        US,
        /^the message chose the recipient and the account allows no country for that: set its allowed countries or prefixes$/,
      ],
      [GB, /set its allowed countries or prefixes/],
      [`whatsapp:${FR}`, /set its allowed countries or prefixes/],
    ],
  },
  {
    name: 'no allowlist, chosen by the message, a short code without a default country',
    raw: { fromNumber: '12345' },
    chosenByMessage: true,
    recipients: [[US, /allows no country for that: set its allowed countries or prefixes/]],
  },
];

/** An allowlist applies to every recipient, whether the message chose it or not. */
const ALLOWLISTS: Omit<Scenario, 'chosenByMessage'>[] = [
  {
    name: 'allowed countries US and CA',
    raw: { fromNumber: US, allowedCountries: 'US, CA' },
    recipients: [
      [US, true],
      [CA, true],
      [`whatsapp:${CA}`, true],
      [GB, /^the recipient \+4\*{7}3456 \(GB\) is outside the account's allowed countries US, CA$/],
      [`whatsapp:${GB}`, /\(GB\) is outside the account's allowed countries US, CA$/],
    ],
  },
  {
    name: "allowed countries gb and fr: the fromNumber's own country is not added",
    raw: { fromNumber: US, allowedCountries: 'gb;fr' },
    recipients: [
      [GB, true],
      [FR, true],
      [US, /\(US\) is outside the account's allowed countries GB, FR$/],
      [GG, /\(GG\) is outside the account's allowed countries GB, FR$/],
    ],
  },
  {
    name: 'allowed countries for a sender ID without a default country',
    raw: { fromNumber: 'MyCompany', allowedCountries: 'NG' },
    recipients: [
      [NG, true],
      [GB, /\(GB\) is outside the account's allowed countries NG$/],
    ],
  },
  {
    name: 'allowed prefixes +1415 and +44',
    raw: { fromNumber: US, allowedPrefixes: '+1415 +44' },
    recipients: [
      [US, true],
      [GB, true],
      [GG, true],
      [`whatsapp:${GB}`, true],
      [US_NY, /^the recipient \+1\*{6}1234 \(US\) is outside the account's allowed prefixes \+1415, \+44$/],
      [CA, /\(CA\) is outside the account's allowed prefixes \+1415, \+44$/],
      [`whatsapp:${FR}`, /\(FR\) is outside the account's allowed prefixes/],
    ],
  },
  {
    name: 'allowed countries CA and prefixes +1415: either one allows',
    raw: { fromNumber: US, allowedCountries: 'CA', allowedPrefixes: '+1415' },
    recipients: [
      [CA, true],
      [US, true],
      [`whatsapp:${US}`, true],
      [US_NY, /\(US\) is outside the account's allowed countries CA and prefixes \+1415$/],
      [GB, /\(GB\) is outside the account's allowed countries CA and prefixes \+1415$/],
    ],
  },
];

function check(scenario: Scenario): void {
  const metadata = account(scenario.raw);
  for (const [to, expected] of scenario.recipients) {
    if (expected === true) {
      it(`allows ${to}`, () => {
        should(() => {
          checkRecipient(to, metadata, scenario.chosenByMessage);
        }).not.throw();
      });
    } else {
      it(`refuses ${to}`, () => {
        should(refusal(to, metadata, scenario.chosenByMessage)).match(expected);
      });
    }
  }
}

describe('allowlist: checkRecipient', () => {
  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      check(scenario);
    });
  }

  for (const allowlist of ALLOWLISTS) {
    for (const chosenByMessage of [true, false]) {
      const scenario = { ...allowlist, chosenByMessage };
      describe(`${allowlist.name}, ${chosenByMessage ? 'chosen by the message' : "the config's own toNumber"}`, () => {
        check(scenario);
      });
    }
  }

  it('never shows more than the first and the last four digits of a refused recipient', () => {
    const metadata = account({ fromNumber: US });
    for (const to of [CA, GB, GG, FR, NG, `whatsapp:${GB}`]) {
      const message = refusal(to, metadata, true);
      const shown = /^the recipient (\S+) /.exec(message)?.[1] ?? '';
      should(shown.replace(/\D/g, '')).equal(to.replace(/\D/g, '').charAt(0) + to.slice(-4));
    }
  });
});

describe('allowlist: through prepareMessage', () => {
  const DAPR = { allowRecipientOverride: false };
  const OVERRIDE = { allowRecipientOverride: true };

  function request(toNumber?: string, body = 'hello'): BindingRequest {
    return { operation: 'create', body, metadata: toNumber === undefined ? {} : { toNumber } };
  }

  /** prepareMessage must fail with `code`: nothing is returned, so nothing can be sent. */
  function refusedToPrepare(
    req: BindingRequest,
    metadata: ComponentMetadata,
    options: { allowRecipientOverride: boolean },
    code: string,
  ): string {
    let prepared: PreparedMessage | undefined;
    const error = bindingFailure(() => {
      prepared = prepareMessage(req, metadata, options);
    });
    should(prepared).be.undefined();
    should(error.code).equal(code);
    return error.message;
  }

  it("sends to the config's toNumber anywhere, and ignores the request's, without the override", () => {
    const metadata = account({ fromNumber: US, toNumber: GB });
    for (const req of [request(), request(CA), request('not a number')]) {
      should(prepareMessage(req, metadata, DAPR)).deepEqual({
        params: { to: GB, from: US, body: 'hello' },
        segments: { encoding: 'GSM-7', segments: 1 },
      });
    }
  });

  it("with the override, checks the request's toNumber as chosen by the message", () => {
    const metadata = account({ fromNumber: US, toNumber: GB });
    should(prepareMessage(request(US_NY), metadata, OVERRIDE).params.to).equal(US_NY);
    should(refusedToPrepare(request(CA), metadata, OVERRIDE, ErrorCode.NotAllowed)).match(
      /\(CA\) is outside US/,
    );
    // Without a toNumber in the request, the config's own is used, and allowed anywhere.
    should(prepareMessage(request(), metadata, OVERRIDE).params.to).equal(GB);
  });

  it("checks the request's toNumber when the config has none", () => {
    const metadata = account({ fromNumber: US });
    for (const options of [DAPR, OVERRIDE]) {
      should(prepareMessage(request(US), metadata, options).params.to).equal(US);
      should(refusedToPrepare(request(GB), metadata, options, ErrorCode.NotAllowed)).match(
        /^the recipient \+4\*{7}3456 \(GB\) is outside US/,
      );
    }
  });

  it("normalises the request's toNumber with the default country before checking it", () => {
    const metadata = account({ fromNumber: 'MyCompany', defaultCountry: 'US' });
    should(prepareMessage(request('(415) 555-2671'), metadata, DAPR).params).deepEqual({
      to: US,
      from: 'MyCompany',
      body: 'hello',
    });
    should(prepareMessage(request('1-212-555-1234'), metadata, DAPR).params.to).equal(US_NY);
    should(refusedToPrepare(request('(613) 234-5678'), metadata, DAPR, ErrorCode.NotAllowed)).match(
      /\(CA\) is outside US/,
    );
  });

  it('reads a national number with the default country, then refuses it outside the fromNumber country', () => {
    const metadata = account({ fromNumber: US, defaultCountry: 'GB' });
    should(refusedToPrepare(request('07400 123456'), metadata, DAPR, ErrorCode.NotAllowed)).match(
      /\(GB\) is outside US/,
    );
  });

  it('normalises a WhatsApp toNumber and keeps its prefix', () => {
    const metadata = account({ fromNumber: `whatsapp:${US}`, defaultCountry: 'US' });
    should(prepareMessage(request('WhatsApp:(212) 555-1234'), metadata, DAPR).params).deepEqual({
      to: `whatsapp:${US_NY}`,
      from: `whatsapp:${US}`,
      body: 'hello',
    });
  });

  it('allows a WhatsApp toNumber by its prefix', () => {
    const metadata = account({ fromNumber: `whatsapp:${US}`, allowedPrefixes: '+44' });
    should(prepareMessage(request(`whatsapp:${GB}`), metadata, DAPR).params.to).equal(`whatsapp:${GB}`);
    refusedToPrepare(request(`whatsapp:${US_NY}`), metadata, DAPR, ErrorCode.NotAllowed);
  });

  it('fails an invalid request toNumber with ERR_BAD_NUMBER, naming it and masking it', () => {
    const metadata = account({ fromNumber: US, defaultCountry: 'US' });
    should(refusedToPrepare(request('+1415555'), metadata, DAPR, ErrorCode.BadNumber)).startWith(
      '"metadata.toNumber" +1**5555 is not a valid phone number',
    );
    should(refusedToPrepare(request('(415) 055-2671'), metadata, DAPR, ErrorCode.BadNumber)).startWith(
      '"metadata.toNumber" (4**) ***-2671 is not a valid phone number',
    );
  });

  it('refuses a short code or a sender ID as the request toNumber', () => {
    const metadata = account({ fromNumber: US, defaultCountry: 'US' });
    for (const to of ['12345', 'MyCompany']) {
      refusedToPrepare(request(to), metadata, DAPR, ErrorCode.BadNumber);
    }
  });

  it('checks that the number is valid before checking that it is allowed', () => {
    const metadata = account({ fromNumber: US, allowedCountries: 'US' });
    refusedToPrepare(request('+33012345678'), metadata, DAPR, ErrorCode.BadNumber);
  });

  it("applies the allowlist to the config's own toNumber too", () => {
    const metadata = account({ fromNumber: US, toNumber: GB, allowedCountries: 'US' });
    should(refusedToPrepare(request(), metadata, DAPR, ErrorCode.NotAllowed)).match(
      /\(GB\) is outside the account's allowed countries US$/,
    );
  });

  it('refuses every recipient chosen by the message when the account has no country', () => {
    const metadata = account({ fromNumber: 'MyCompany', toNumber: GB });
    should(prepareMessage(request(), metadata, OVERRIDE).params.to).equal(GB);
    should(refusedToPrepare(request(US), metadata, OVERRIDE, ErrorCode.NotAllowed)).match(
      /set its allowed countries or prefixes/,
    );
  });
});
