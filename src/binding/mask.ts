/** `+14155552671` -> `+1******2671`: all digits but the first and the last four. */
export function maskPhoneNumber(text: string): string {
  // Any script's digits: libphonenumber reads full-width and Arabic-Indic digits too.
  const digits = text.replace(/\P{Nd}/gu, '').length;
  let seen = 0;
  return text.replace(/\p{Nd}/gu, (digit) => {
    seen++;
    return seen === 1 || seen > digits - 4 ? digit : '*';
  });
}

// Numbers written with a + and at least seven digits, wherever they appear in a text, whatever follows.
const E164_IN_TEXT = /\+\p{Nd}{7,}/gu;

/** Masks every E.164 number in a text, for messages that reach logs and status text. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(E164_IN_TEXT, maskPhoneNumber);
}
