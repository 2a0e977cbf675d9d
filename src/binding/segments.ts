import { BindingError, ErrorCode } from './errors';

type Calculator = typeof import('sms-segments-calculator');
let calculator: Calculator | undefined;

/** Twilio refuses longer bodies (error 21617); counted in UTF-16 code units, as the API does. */
export const MAX_BODY_LENGTH = 1600;

export interface BodySegments {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

// Characters that are one septet each in GSM-7's basic set: most texts, and for them the count is simple
// arithmetic. Everything else (the extension table, other alphabets, emoji) goes to the calculator, whose
// grapheme work costs more than the rest of a send's local work.
const PLAIN_GSM_7 = /^[\n\r !"#$%&'()*+,\-./0-9:;<=>?@A-Z_a-z]*$/;

function plainGsm7(septets: number): BodySegments {
  return { encoding: 'GSM-7', segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}

function calculate(body: string): BodySegments {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  calculator ??= require('sms-segments-calculator') as Calculator;
  const message = new calculator.SegmentedMessage(body);
  return { encoding: message.encodingName === 'GSM-7' ? 'GSM-7' : 'UCS-2', segments: message.segmentsCount };
}

/**
 * How Twilio will encode and split a body, by Twilio's own segment calculator: GSM-7 fits 160 septets in
 * one segment (153 per part), anything outside GSM-7 makes the whole body UCS-2 (70, or 67 per part).
 * Fails a body over 1600 characters or over `maxSegments` segments, before anything is sent.
 */
export function measureBody(body: string, maxSegments: number): BodySegments {
  if (body.length > MAX_BODY_LENGTH) {
    throw new BindingError(
      ErrorCode.BodyTooLong,
      `the message body has ${body.length} characters; Twilio accepts at most ${MAX_BODY_LENGTH}`,
    );
  }
  const measured = PLAIN_GSM_7.test(body) ? plainGsm7(body.length) : calculate(body);
  if (measured.segments > maxSegments) {
    throw new BindingError(
      ErrorCode.MaxSegments,
      `the message body needs ${measured.segments} ${measured.encoding} segments; the account allows at most ${maxSegments} (maxSegments)`,
    );
  }
  return measured;
}
