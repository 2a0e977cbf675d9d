import type { CountryCode } from 'libphonenumber-js';
import { BindingError, type LocalErrorCode } from './errors';
import { maskPhoneNumber } from './mask';

type Libphonenumber = typeof import('libphonenumber-js/max');
let libphonenumber: Libphonenumber | undefined;

/** The full metadata (real validation, not just lengths) is large: loaded on first use, not at require. */
function phoneNumbers(): Libphonenumber {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  libphonenumber ??= require('libphonenumber-js/max') as Libphonenumber;
  return libphonenumber;
}

const WHATSAPP = 'whatsapp:';
// Twilio's short codes are 5 or 6 digits in the US and Canada, 3 to 8 elsewhere.
const SHORT_CODE = /^\d{3,8}$/;
// Twilio's alphanumeric sender IDs: up to 11 ASCII letters, digits and spaces, with at least one letter.
const SENDER_ID = /^(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export interface PhoneNumberOptions {
  /** The Dapr/Twilio name of the field, for the error message: `toNumber`, `fromNumber`, `metadata.toNumber`. */
  field: string;
  /** The error code to fail with: the config's at init, the request's at send time. */
  errorCode: LocalErrorCode;
  /** ISO 3166 country whose national formats are accepted (`(415) 555-2671` with `US`). */
  defaultCountry: CountryCode | undefined;
  /** A sender may also be a short code or an alphanumeric sender ID. */
  sender: boolean;
}

/**
 * Validates a phone number with libphonenumber-js and returns it in E.164 (`+14155552671`), keeping a
 * `whatsapp:` prefix; a sender may also be a short code or an alphanumeric sender ID, returned as they are.
 */
export function normalizePhoneNumber(text: string, options: PhoneNumberOptions): string {
  const value = text.trim();
  const whatsapp = value.toLowerCase().startsWith(WHATSAPP);
  const number = whatsapp ? value.slice(WHATSAPP.length).trim() : value;
  if (!whatsapp && options.sender && (SHORT_CODE.test(number) || SENDER_ID.test(number))) return number;
  const parsed = phoneNumbers().parsePhoneNumberFromString(number, {
    defaultCountry: options.defaultCountry,
  });
  if (parsed?.isValid() !== true) throw invalidNumber(number, options);
  return whatsapp ? `${WHATSAPP}${parsed.number}` : parsed.number;
}

function invalidNumber(number: string, options: PhoneNumberOptions): BindingError {
  const shown =
    number === '' ? `"${options.field}" (empty)` : `"${options.field}" ${maskPhoneNumber(number)}`;
  // Digits and the punctuation of written numbers, without a +: a number in national form.
  const national = /^[\p{Nd}\s().-]+$/u.test(number);
  const hint =
    national && options.defaultCountry === undefined
      ? ": write it in international form (+ and the country code), or set the account's default country"
      : options.sender
        ? ': expected an E.164 number (+, country code, number), a short code or an alphanumeric sender ID'
        : `: expected an E.164 number (+, country code, number)${options.defaultCountry === undefined ? '' : ` or a national number of ${options.defaultCountry}`}`;
  return new BindingError(options.errorCode, `${shown} is not a valid phone number${hint}`);
}

/** The ISO 3166 country of an E.164 number (without `whatsapp:`), or undefined (short codes, sender IDs). */
export function countryOf(number: string): CountryCode | undefined {
  const e164 = number.toLowerCase().startsWith(WHATSAPP) ? number.slice(WHATSAPP.length) : number;
  if (!e164.startsWith('+')) return undefined;
  return phoneNumbers().parsePhoneNumberFromString(e164)?.country;
}

export function isCountryCode(code: string): code is CountryCode {
  return phoneNumbers().isSupportedCountry(code);
}
