/** `+14155552671` -> `+1******2671`: all digits but the first and the last four. */
export function maskPhoneNumber(text: string): string {
  const digits = text.replace(/\D/g, '').length;
  let seen = 0;
  return text.replace(/\d/g, (digit) => {
    seen++;
    return seen === 1 || seen > digits - 4 ? digit : '*';
  });
}

// E.164 numbers, with or without the whatsapp: prefix, wherever they appear in a text.
const E164_IN_TEXT = /\+\d{7,15}\b/g;

/** Masks every E.164 number in a text, for messages that reach logs and status text. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(E164_IN_TEXT, maskPhoneNumber);
}
