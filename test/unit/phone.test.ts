import should from 'should';
import type { CountryCode } from 'libphonenumber-js';
import { bindingFailure } from '../support/errors';
import { ErrorCode, type LocalErrorCode } from '../../src/binding/errors';
import {
  countryOf,
  isCountryCode,
  normalizePhoneNumber,
  type PhoneNumberOptions,
} from '../../src/binding/phone';

/** How the binding reads a request's toNumber: a recipient, failing with ERR_BAD_NUMBER. */
function recipient(defaultCountry?: CountryCode): PhoneNumberOptions {
  return { field: 'metadata.toNumber', errorCode: ErrorCode.BadNumber, defaultCountry, sender: false };
}

/** How the config node reads its fromNumber: a sender, failing with ERR_BAD_CONFIG. */
function sender(defaultCountry?: CountryCode): PhoneNumberOptions {
  return { field: 'fromNumber', errorCode: ErrorCode.ConfigInvalid, defaultCountry, sender: true };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Asserts that `shown` is `number` masked: same length, every non-digit kept in place, the first digit and
 * the last four kept, every other digit replaced by `*`. So at most five digits are ever visible.
 */
function assertMasked(shown: string, number: string): void {
  should(shown.length).equal(number.length, `"${shown}" is not "${number}" masked`);
  const total = number.replace(/\D/g, '').length;
  let seen = 0;
  for (let i = 0; i < number.length; i++) {
    const char = number.charAt(i);
    if (!/\d/.test(char)) {
      should(shown.charAt(i)).equal(char, `"${shown}" changed "${char}" at ${i}`);
      continue;
    }
    seen++;
    const visible = seen === 1 || seen > total - 4;
    should(shown.charAt(i)).equal(
      visible ? char : '*',
      `"${shown}" does not mask "${number}" properly at ${i}`,
    );
  }
  should(shown.replace(/\D/g, '').length).be.belowOrEqual(5);
}

/**
 * Runs normalizePhoneNumber, which must refuse `text`; checks the error code is the one passed in, that the
 * message names the field and shows the number (whatsapp: prefix and blanks around it dropped) masked.
 * Returns the hint: what follows "is not a valid phone number".
 */
function refused(text: string, options: PhoneNumberOptions): string {
  const error = bindingFailure(() => normalizePhoneNumber(text, options));
  should(error.code).equal(options.errorCode);
  const match = new RegExp(`^"${escapeRegExp(options.field)}" (.*) is not a valid phone number(.*)$`).exec(
    error.message,
  );
  if (match === null) throw new Error(`unexpected message: ${error.message}`);
  const number = text
    .trim()
    .replace(/^whatsapp:/i, '')
    .trim();
  assertMasked(match[1] ?? '', number);
  const digits = number.replace(/\D/g, '');
  if (digits.length > 5) should(error.message).not.containEql(digits);
  return match[2] ?? '';
}

interface CountryCase {
  country: CountryCode;
  /** A valid number, in E.164. */
  e164: string;
  /** The same number written internationally with spaces, dashes, dots or parentheses. */
  international: string[];
  /** The same number in the country's national format. */
  national: string;
  /** A default country under which the national format is not a valid number. */
  wrongCountry: CountryCode;
  /** The right number of digits, but not a number of the country's plan. */
  invalid: string;
  tooShort: string;
  tooLong: string;
  withLetters: string;
}

const COUNTRIES: CountryCase[] = [
  {
    country: 'US',
    e164: '+14155552671',
    international: ['+1 415 555 2671', '+1-415-555-2671', '+1 (415) 555-2671', '+1.415.555.2671'],
    national: '(415) 555-2671',
    wrongCountry: 'GB',
    invalid: '+14150552671', // no exchange starts with 0
    tooShort: '+1415555267',
    tooLong: '+141555526711',
    withLetters: '+1 415 555 CALL',
  },
  {
    country: 'CA',
    e164: '+16132345678',
    international: ['+1 613 234 5678', '+1-613-234-5678', '+1 (613) 234-5678'],
    national: '(613) 234-5678',
    wrongCountry: 'GB',
    invalid: '+16131234567', // no exchange starts with 1
    tooShort: '+1613234567',
    tooLong: '+161323456789',
    withLetters: '+1 613 234 567A',
  },
  {
    country: 'GB',
    e164: '+447400123456',
    international: ['+44 7400 123456', '+44-7400-123-456', '+44 (0)7400 123456'],
    national: '07400 123456',
    wrongCountry: 'US',
    invalid: '+441000123456',
    tooShort: '+44740012345',
    tooLong: '+4474001234567',
    withLetters: '+44 7400 12345X',
  },
  {
    country: 'DE',
    e164: '+4915123456789',
    international: ['+49 151 23456789', '+49 151-2345-6789', '+49 (0)151 2345 6789'],
    national: '0151 23456789',
    wrongCountry: 'US',
    invalid: '+4911123456789',
    tooShort: '+49151234',
    tooLong: '+491512345678901',
    withLetters: '+49 151 2345 67AB',
  },
  {
    country: 'FR',
    e164: '+33612345678',
    international: ['+33 6 12 34 56 78', '+33 6-12-34-56-78', '+33 (0)6 12 34 56 78'],
    national: '06 12 34 56 78',
    wrongCountry: 'US',
    invalid: '+33012345678',
    tooShort: '+3361234567',
    tooLong: '+336123456789',
    withLetters: '+33 6 12 34 56 AB',
  },
  {
    country: 'AU',
    e164: '+61412345678',
    international: ['+61 412 345 678', '+61-412-345-678', '+61 (0)412 345 678'],
    national: '0412 345 678',
    wrongCountry: 'US',
    invalid: '+61012345678',
    tooShort: '+6141234567',
    tooLong: '+614123456789',
    withLetters: '+61 412 345 6AB',
  },
  {
    country: 'IN',
    e164: '+919876543210',
    international: ['+91 98765 43210', '+91-98765-43210', '+91 (0)98765 43210'],
    national: '098765 43210',
    wrongCountry: 'US',
    invalid: '+910123456789',
    tooShort: '+91987654321',
    tooLong: '+9198765432101',
    withLetters: '+91 98765 4321O',
  },
  {
    country: 'BR',
    e164: '+5511912345678',
    international: ['+55 11 91234 5678', '+55 11 91234-5678', '+55 (11) 91234-5678'],
    national: '(11) 91234-5678',
    wrongCountry: 'US',
    invalid: '+5501912345678',
    tooShort: '+551191234567',
    tooLong: '+55119123456789',
    withLetters: '+55 11 91234 567X',
  },
  {
    country: 'JP',
    e164: '+819012345678',
    international: ['+81 90 1234 5678', '+81-90-1234-5678', '+81 (0)90 1234 5678'],
    national: '090-1234-5678',
    wrongCountry: 'US',
    invalid: '+810012345678',
    tooShort: '+81901234567',
    tooLong: '+8190123456789',
    withLetters: '+81 90 1234 567X',
  },
  {
    country: 'MX',
    e164: '+525512345678',
    international: ['+52 55 1234 5678', '+52 55-1234-5678', '+52 (55) 1234 5678'],
    national: '55 1234 5678',
    // A valid US number too (+1 551 234 5678): FR is a country where it means nothing.
    wrongCountry: 'FR',
    invalid: '+520012345678',
    tooShort: '+52551234567',
    tooLong: '+5255123456789',
    withLetters: '+52 55 1234 567X',
  },
  {
    country: 'NG',
    e164: '+2348031234567',
    international: ['+234 803 123 4567', '+234-803-123-4567', '+234 (0)803 123 4567'],
    national: '0803 123 4567',
    wrongCountry: 'US',
    invalid: '+2340031234567',
    tooShort: '+234803123456',
    tooLong: '+23480312345678',
    withLetters: '+234 803 123 456X',
  },
];

describe('phone: normalizePhoneNumber, country by country', () => {
  for (const c of COUNTRIES) {
    describe(c.country, () => {
      it(`accepts the E.164 number ${c.e164} as it is, as a recipient and as a sender`, () => {
        should(normalizePhoneNumber(c.e164, recipient())).equal(c.e164);
        should(normalizePhoneNumber(c.e164, sender())).equal(c.e164);
        should(normalizePhoneNumber(` ${c.e164}\t`, recipient())).equal(c.e164);
        should(countryOf(c.e164)).equal(c.country);
      });

      for (const form of c.international) {
        it(`reads "${form}" as ${c.e164}, with or without a default country`, () => {
          should(normalizePhoneNumber(form, recipient())).equal(c.e164);
          should(normalizePhoneNumber(form, recipient(c.wrongCountry))).equal(c.e164);
          should(normalizePhoneNumber(form, sender())).equal(c.e164);
        });
      }

      it(`reads the national "${c.national}" as ${c.e164} with the default country ${c.country}`, () => {
        should(normalizePhoneNumber(c.national, recipient(c.country))).equal(c.e164);
        should(normalizePhoneNumber(c.national, sender(c.country))).equal(c.e164);
      });

      it(`refuses the national "${c.national}" without a default country, saying how to fix it`, () => {
        should(refused(c.national, recipient())).match(/international form.*default country/);
        should(refused(c.national, sender())).match(/international form.*default country/);
      });

      it(`refuses the national "${c.national}" with the default country ${c.wrongCountry}`, () => {
        should(refused(c.national, recipient(c.wrongCountry))).containEql(
          `national number of ${c.wrongCountry}`,
        );
      });

      const bad: [string, string][] = [
        ['a number outside the plan', c.invalid],
        ['a number too short', c.tooShort],
        ['a number too long', c.tooLong],
        ['a number with letters', c.withLetters],
      ];
      for (const [what, text] of bad) {
        it(`refuses ${what}, "${text}", even with the default country ${c.country}`, () => {
          refused(text, recipient());
          refused(text, recipient(c.country));
          refused(text, sender(c.country));
          refused(`whatsapp:${text}`, recipient(c.country));
        });
      }

      it('keeps a whatsapp: prefix on the E.164 result', () => {
        should(normalizePhoneNumber(`whatsapp:${c.e164}`, recipient())).equal(`whatsapp:${c.e164}`);
        should(normalizePhoneNumber(`whatsapp:${c.international[0] ?? ''}`, sender())).equal(
          `whatsapp:${c.e164}`,
        );
        should(normalizePhoneNumber(`whatsapp:${c.national}`, recipient(c.country))).equal(
          `whatsapp:${c.e164}`,
        );
      });
    });
  }
});

describe('phone: a national number means the default country', () => {
  it('reads the same digits as a number of whichever country is the default', () => {
    // Mexico City's 55 1234 5678 is also a valid number in New Jersey (area code 551).
    should(normalizePhoneNumber('55 1234 5678', recipient('MX'))).equal('+525512345678');
    should(normalizePhoneNumber('55 1234 5678', recipient('US'))).equal('+15512345678');
  });

  it('reads a Canadian national number with the default country US: they share +1', () => {
    const number = normalizePhoneNumber('(613) 234-5678', recipient('US'));
    should(number).equal('+16132345678');
    should(countryOf(number)).equal('CA');
  });

  it('accepts the national trunk prefix 1 of the NANP', () => {
    should(normalizePhoneNumber('1 (415) 555-2671', recipient('US'))).equal('+14155552671');
    should(normalizePhoneNumber('14155552671', sender('US'))).equal('+14155552671');
  });
});

describe("phone: 111-111-1111, the placeholder in Dapr's docs", () => {
  it('is refused without a default country, asking for the international form', () => {
    const hint = refused('111-111-1111', recipient());
    should(hint).match(/international form/);
    should(hint).match(/default country/);
  });

  it('is refused with the default country US, naming it', () => {
    should(refused('111-111-1111', recipient('US'))).containEql('national number of US');
  });

  it('is refused as a sender too, listing what a sender may be', () => {
    should(refused('111-111-1111', sender('US'))).match(/short code.*sender ID/);
    refused('1111111111', sender('US'));
  });

  it('is refused in international form', () => {
    refused('+1 111-111-1111', recipient());
    refused('+11111111111', recipient('US'));
  });

  it('never shows more than the first digit and the last four', () => {
    const error = bindingFailure(() => normalizePhoneNumber('111-111-1111', recipient('US')));
    should(error.message).startWith('"metadata.toNumber" 1**-***-1111 is not a valid phone number');
  });
});

describe("phone: Twilio's magic test numbers", () => {
  for (const number of ['+15005550006', '+15005550001', '+15005550009']) {
    it(`${number} is a valid US number, as a sender and as a recipient`, () => {
      should(normalizePhoneNumber(number, sender())).equal(number);
      should(normalizePhoneNumber(number, recipient())).equal(number);
      should(normalizePhoneNumber('(500) 555-' + number.slice(-4), recipient('US'))).equal(number);
      should(countryOf(number)).equal('US');
    });
  }
});

describe('phone: WhatsApp addresses', () => {
  it('keeps the whatsapp: prefix on an E.164 number', () => {
    should(normalizePhoneNumber('whatsapp:+14155552671', recipient())).equal('whatsapp:+14155552671');
    should(normalizePhoneNumber('whatsapp:+14155552671', sender())).equal('whatsapp:+14155552671');
  });

  for (const text of ['WhatsApp:+14155552671', 'WHATSAPP:+14155552671', 'Whatsapp:+14155552671']) {
    it(`writes the prefix of "${text}" in lower case`, () => {
      should(normalizePhoneNumber(text, recipient())).equal('whatsapp:+14155552671');
    });
  }

  it('normalises the number after the prefix, and blanks around both', () => {
    should(normalizePhoneNumber('  whatsapp: +1 (415) 555-2671 ', recipient())).equal(
      'whatsapp:+14155552671',
    );
  });

  it('reads a national number after the prefix with the default country', () => {
    should(normalizePhoneNumber('whatsapp:(415) 555-2671', recipient('US'))).equal('whatsapp:+14155552671');
    should(normalizePhoneNumber('whatsapp:07400 123456', sender('GB'))).equal('whatsapp:+447400123456');
    should(refused('whatsapp:(415) 555-2671', recipient())).match(/international form/);
  });

  it('refuses an invalid number after the prefix, masked and without the prefix', () => {
    const error = bindingFailure(() => normalizePhoneNumber('whatsapp:+1415555', recipient('US')));
    should(error.code).equal(ErrorCode.BadNumber);
    should(error.message).startWith('"metadata.toNumber" +1**5555 is not a valid phone number');
    refused('whatsapp:+14150552671', recipient());
  });

  it('refuses the prefix alone', () => {
    bindingFailure(() => normalizePhoneNumber('whatsapp:', recipient('US')));
    bindingFailure(() => normalizePhoneNumber('whatsapp:', sender('US')));
  });

  it('refuses a short code or a sender ID after the prefix, even from a sender', () => {
    refused('whatsapp:12345', sender('US'));
    refused('whatsapp:MyCompany', sender('US'));
  });
});

describe('phone: senders', () => {
  for (const code of ['123', '12345', '123456', '1234567', '12345678']) {
    it(`accepts the short code ${code} as it is`, () => {
      should(normalizePhoneNumber(code, sender())).equal(code);
      should(normalizePhoneNumber(code, sender('US'))).equal(code);
      should(normalizePhoneNumber(` ${code} `, sender('GB'))).equal(code);
      should(countryOf(code)).be.undefined();
    });
  }

  for (const id of ['A', 'MyCompany', 'My Company', 'ABCDEFGHIJK', 'Acme 2FA', '1234ABC', '2FA', 'a b c']) {
    it(`accepts the alphanumeric sender ID "${id}" as it is`, () => {
      should(normalizePhoneNumber(id, sender())).equal(id);
      should(normalizePhoneNumber(id, sender('GB'))).equal(id);
      should(countryOf(id)).be.undefined();
    });
  }

  it('trims the blanks around a sender ID, not inside it', () => {
    should(normalizePhoneNumber('  My Co  ', sender())).equal('My Co');
    should(normalizePhoneNumber('My  Co', sender())).equal('My  Co');
  });

  for (const id of ['ABCDEFGHIJKL', 'My Company X', 'MyCompany123']) {
    it(`refuses "${id}": 12 characters, one more than Twilio allows`, () => {
      refused(id, sender());
      should(refused(id, sender('GB'))).match(/short code.*sender ID/);
    });
  }

  for (const id of ['Acme-Co', 'Acme.Co', 'Acme&Co', 'Acme_Co', 'Acme!', 'Café', 'Ünïcode']) {
    it(`refuses the sender ID "${id}", which has a character Twilio does not allow`, () => {
      refused(id, sender());
      refused(id, sender('FR'));
    });
  }

  it('refuses two digits: too short for a short code', () => {
    refused('12', sender());
    refused('12', sender('US'));
  });

  it('reads nine digits and more as a phone number, not a short code', () => {
    for (const digits of ['123456789', '1234567890', '123456789012']) {
      refused(digits, sender());
      refused(digits, sender('US'));
    }
    should(normalizePhoneNumber('4155552671', sender('US'))).equal('+14155552671');
    should(refused('4155552671', sender())).match(/international form.*default country/);
  });

  it('refuses a short code written with a plus', () => {
    refused('+12345', sender());
  });

  it('lists what a sender may be when refusing one', () => {
    should(refused('+14150552671', sender())).match(/E\.164.*short code.*alphanumeric sender ID/);
  });
});

describe('phone: recipients', () => {
  for (const code of ['123', '12345', '123456', '12345678']) {
    it(`refuses the short code ${code}: a message cannot be sent to one`, () => {
      refused(code, recipient());
      refused(code, recipient('US'));
    });
  }

  for (const id of ['A', 'MyCompany', 'My Company', 'hello']) {
    it(`refuses the sender ID "${id}"`, () => {
      refused(id, recipient());
      refused(id, recipient('GB'));
    });
  }

  it('does not offer short codes or sender IDs when refusing a recipient', () => {
    should(refused('+14150552671', recipient())).not.match(/short code|sender ID/);
    should(refused('MyCompany', recipient('US'))).not.match(/short code|sender ID/);
  });

  it('refuses an empty or blank number', () => {
    for (const text of ['', '   ']) {
      const error = bindingFailure(() => normalizePhoneNumber(text, recipient('US')));
      should(error.code).equal(ErrorCode.BadNumber);
      should(error.message).startWith('"metadata.toNumber" ');
    }
  });
});

describe('phone: errors', () => {
  const cases: [string, LocalErrorCode][] = [
    ['toNumber', ErrorCode.ConfigInvalid],
    ['fromNumber', ErrorCode.ConfigInvalid],
    ['metadata.toNumber', ErrorCode.BadNumber],
  ];
  for (const [field, errorCode] of cases) {
    it(`fails with the code passed in (${errorCode}) and names the field ${field}`, () => {
      for (const sending of [false, true]) {
        const options: PhoneNumberOptions = { field, errorCode, defaultCountry: 'US', sender: sending };
        const error = bindingFailure(() => normalizePhoneNumber('+1 415 055 2671', options));
        should(error.code).equal(errorCode);
        should(error.message).startWith(`"${field}" +1 *** *** 2671 is not a valid phone number`);
      }
    });
  }

  it('names the default country it tried, only when there is one', () => {
    should(refused('+14150552671', recipient('FR'))).containEql('national number of FR');
    should(refused('+14150552671', recipient())).not.containEql('national number');
  });

  it('masks every number it shows, whatever its punctuation', () => {
    for (const text of ['+1 (415) 055-2671', '+44 (0)1000 123456', '00 44 1000 123 456', '415.055.2671']) {
      refused(text, recipient());
      refused(text, recipient('US'));
      refused(text, sender());
    }
  });

  it('shows a number of five digits or fewer as it is: there is nothing to hide', () => {
    const error = bindingFailure(() => normalizePhoneNumber('+44123', recipient()));
    should(error.message).startWith('"metadata.toNumber" +44123 is not a valid phone number');
  });
});

describe('phone: countryOf', () => {
  const cases: [string, CountryCode | undefined][] = [
    ['+14155552671', 'US'],
    ['+12125551234', 'US'],
    ['whatsapp:+14155552671', 'US'],
    ['whatsapp:+33612345678', 'FR'],
    ['+16132345678', 'CA'],
    ['+16045551234', 'CA'],
    // libphonenumber puts the +44 7911 mobile range in Guernsey, not the United Kingdom.
    ['+447911123456', 'GG'],
    ['+447400123456', 'GB'],
    ['+442071838750', 'GB'],
    ['+5511912345678', 'BR'],
    ['+2348031234567', 'NG'],
    ['12345', undefined],
    ['12345678', undefined],
    ['MyCompany', undefined],
    ['4155552671', undefined],
    ['+1415555', undefined],
    ['+80012345678', undefined],
    ['', undefined],
    ['+', undefined],
  ];
  for (const [number, country] of cases) {
    it(`"${number}" is ${country ?? 'in no country'}`, () => {
      should(countryOf(number)).equal(country);
    });
  }

  it('gives the country of every number it normalises', () => {
    for (const c of COUNTRIES) {
      should(countryOf(normalizePhoneNumber(c.national, recipient(c.country)))).equal(c.country);
    }
  });
});

describe('phone: isCountryCode', () => {
  for (const code of ['US', 'CA', 'GB', 'GG', 'DE', 'FR', 'AU', 'IN', 'BR', 'JP', 'MX', 'NG', 'AC', 'XK']) {
    it(`"${code}" is a country code`, () => {
      should(isCountryCode(code)).be.true();
    });
  }

  for (const code of ['us', 'Gb', 'UK', 'EU', 'XX', 'ZZ', 'USA', '001', '1', '+1', '', ' US']) {
    it(`"${code}" is not`, () => {
      should(isCountryCode(code)).be.false();
    });
  }
});
