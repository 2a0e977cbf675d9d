import should from 'should';
import fc from 'fast-check';
import { BindingError, ErrorCode } from '../../src/binding/errors';
import { maskPhoneNumber, maskPhoneNumbers } from '../../src/binding/mask';

describe('mask: maskPhoneNumber', () => {
  const cases: [string, string][] = [
    ['+14155552671', '+1******2671'],
    ['+447400123456', '+4*******3456'],
    ['+2348031234567', '+2********4567'],
    ['+15005550006', '+1******0006'],
    // Too few digits to hide anything: the first one and the last four are all there is.
    ['', ''],
    ['+', '+'],
    ['+1', '+1'],
    ['1234', '1234'],
    ['12345', '12345'],
    ['+44123', '+44123'],
    ['123456', '1*3456'],
    ['+1415555', '+1**5555'],
    ['abc', 'abc'],
    ['MyCompany', 'MyCompany'],
    ['whatsapp:+14155552671', 'whatsapp:+1******2671'],
    ['WhatsApp:+447400123456', 'WhatsApp:+4*******3456'],
    ['(415) 555-2671', '(4**) ***-2671'],
    ['+1 (415) 555-2671', '+1 (***) ***-2671'],
    ['+44 7911 123456', '+4* **** **3456'],
    ['+44 (0)7400 123-456', '+4* (*)**** **3-456'],
    ['415.555.2671', '4**.***.2671'],
    ['111-111-1111', '1**-***-1111'],
    ['+1 415 555 CALL', '+1 **5 555 CALL'],
  ];
  for (const [text, masked] of cases) {
    it(`"${text}" -> "${masked}"`, () => {
      should(maskPhoneNumber(text)).equal(masked);
    });
  }

  const phoneLike = fc
    .array(fc.constantFrom(...'0123456789+-() .w:a'.split('')), { maxLength: 30 })
    .map((chars) => chars.join(''));

  it('keeps the length and every character but the hidden digits', () => {
    fc.assert(
      fc.property(phoneLike, (text) => {
        const masked = maskPhoneNumber(text);
        should(masked.length).equal(text.length);
        for (let i = 0; i < text.length; i++) {
          const char = text.charAt(i);
          if (masked.charAt(i) !== char) {
            should(char).match(/\d/);
            should(masked.charAt(i)).equal('*');
          }
        }
      }),
    );
  });

  it('shows the first digit and the last four, and no other', () => {
    fc.assert(
      fc.property(phoneLike, (text) => {
        const digits = text.replace(/\D/g, '');
        const shown = maskPhoneNumber(text).replace(/\D/g, '');
        const expected = digits.length <= 5 ? digits : digits.charAt(0) + digits.slice(-4);
        should(shown).equal(expected);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(phoneLike, (text) => {
        const masked = maskPhoneNumber(text);
        should(maskPhoneNumber(masked)).equal(masked);
      }),
    );
  });
});

describe('mask: maskPhoneNumbers in running text', () => {
  const cases: [string, string, string][] = [
    [
      "Twilio's invalid-number error",
      "The 'To' number +15005550001 is not a valid phone number.",
      "The 'To' number +1******0001 is not a valid phone number.",
    ],
    [
      "Twilio's unroutable-number error",
      "The 'To' phone number: +15005550009, is not currently reachable using the 'From' phone number: +15005550006 via SMS.",
      "The 'To' phone number: +1******0009, is not currently reachable using the 'From' phone number: +1******0006 via SMS.",
    ],
    ['a number alone', '+14155552671', '+1******2671'],
    ['a number at the start', '+14155552671 is unreachable', '+1******2671 is unreachable'],
    ['a number at the end', 'could not reach +447400123456', 'could not reach +4*******3456'],
    ['a number before a full stop', 'sent to +447400123456.', 'sent to +4*******3456.'],
    [
      'several numbers',
      'from +14155552671 to +447400123456 and +2348031234567',
      'from +1******2671 to +4*******3456 and +2********4567',
    ],
    ['numbers side by side', '+14155552671,+447400123456', '+1******2671,+4*******3456'],
    ['numbers in quotes and brackets', '"+14155552671" (+33612345678)', '"+1******2671" (+3******5678)'],
    [
      'WhatsApp addresses',
      'whatsapp:+14155552671 cannot reach whatsapp:+447400123456',
      'whatsapp:+1******2671 cannot reach whatsapp:+4*******3456',
    ],
    ['the shortest number masked: seven digits', '+1234567', '+1**4567'],
    ['the longest number masked: fifteen digits', '+123456789012345', '+1**********2345'],
  ];
  for (const [what, text, masked] of cases) {
    it(`masks ${what}`, () => {
      should(maskPhoneNumbers(text)).equal(masked);
    });
  }

  const untouched: [string, string][] = [
    ['a text without numbers', 'Authenticate'],
    ["Twilio's error codes, HTTP statuses and counts", 'Error 21211 (HTTP 400) after 3 attempts in 30000 ms'],
    ['a plus with six digits or fewer', 'prefix +441481 or +123456'],
    ['an account SID', 'AC0123456789abcdef0123456789abcdef'],
    ['a number already masked', "The 'To' number +1******2671 is not a valid phone number."],
    ['an empty text', ''],
  ];
  for (const [what, text] of untouched) {
    it(`leaves ${what} as it is`, () => {
      should(maskPhoneNumbers(text)).equal(text);
    });
  }

  it('hides the middle digits of any E.164 number between words', () => {
    const e164 = fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{6,14}$/))
      .map(([first, rest]) => `+${first}${rest}`);
    const word = fc.stringMatching(/^[A-Za-z' :,.]{0,12}$/);
    fc.assert(
      fc.property(word, e164, word, (before, number, after) => {
        const masked = maskPhoneNumbers(`${before} ${number} ${after}`);
        should(masked).equal(`${before} ${maskPhoneNumber(number)} ${after}`);
        should(masked).not.containEql(number.slice(1));
      }),
    );
  });
});

describe('mask: BindingError messages', () => {
  it('masks the numbers in every message, for logs and status text', () => {
    const error = new BindingError(21211, "The 'To' number +15005550001 is not a valid phone number.");
    should(error.message).equal("The 'To' number +1******0001 is not a valid phone number.");
    should(error.toString()).equal(error.message);
  });

  it('masks numbers in local failures too', () => {
    const error = new BindingError(ErrorCode.NotAllowed, 'the recipient whatsapp:+447400123456 (GB)');
    should(error.message).equal('the recipient whatsapp:+4*******3456 (GB)');
  });
});

describe('mask: what a plain \\d would miss', () => {
  it('masks digits of any script, as libphonenumber reads them', () => {
    should(maskPhoneNumber('+１４１５０５５２６７１')).equal('+１******２６７１');
    should(maskPhoneNumbers('to +١٤١٥٥٥٥٢٦٧١ now')).equal('to +١******٢٦٧١ now');
  });

  it('masks runs longer than E.164 and numbers glued to letters', () => {
    should(maskPhoneNumbers('+12345678901234567')).equal('+1************4567');
    should(maskPhoneNumbers('+14155552671abc')).equal('+1******2671abc');
    should(maskPhoneNumbers('+14155552671_')).equal('+1******2671_');
  });
});
