import { BindingError, ErrorCode } from './errors';
import type { ComponentMetadata } from './metadata';
import { countryOf } from './phone';

/**
 * Guards against SMS pumping: a recipient must be in the account's allowed countries or start with one of
 * its allowed prefixes. Without an allowlist, a recipient chosen by the message (not the account's own
 * toNumber) must be in the country of the account's fromNumber (or its default country, for a short code
 * or sender ID).
 */
export function checkRecipient(to: string, metadata: ComponentMetadata, chosenByMessage: boolean): void {
  const { allowedCountries, allowedPrefixes } = metadata;
  const number = to.replace(/^whatsapp:/, '');
  if (allowedCountries.size > 0 || allowedPrefixes.length > 0) {
    // Parsed only where it is needed: parsing a number costs more than the rest of a send's local work.
    const country = countryOf(number);
    const allowed =
      (country !== undefined && allowedCountries.has(country)) ||
      allowedPrefixes.some((prefix) => number.startsWith(prefix));
    if (!allowed) {
      const lists = [
        allowedCountries.size > 0 ? `countries ${[...allowedCountries].join(', ')}` : undefined,
        allowedPrefixes.length > 0 ? `prefixes ${allowedPrefixes.join(', ')}` : undefined,
      ];
      throw notAllowed(
        `${describe(number, country)} is outside the account's allowed ${lists.filter(Boolean).join(' and ')}`,
      );
    }
    return;
  }
  if (!chosenByMessage) return;
  const country = countryOf(number);
  const home = countryOf(metadata.fromNumber) ?? metadata.defaultCountry;
  if (home === undefined) {
    throw notAllowed(
      'the message chose the recipient and the account allows no country for that: set its allowed countries or prefixes',
    );
  }
  if (country !== home) {
    throw notAllowed(
      `${describe(number, country)} is outside ${home}, the only country allowed for recipients chosen by the message; set the account's allowed countries or prefixes to allow others`,
    );
  }
}

function describe(number: string, country: string | undefined): string {
  return `the recipient ${number}${country === undefined ? '' : ` (${country})`}`;
}

function notAllowed(message: string): BindingError {
  return new BindingError(ErrorCode.NotAllowed, message);
}
