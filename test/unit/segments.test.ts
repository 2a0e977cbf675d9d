import fc from 'fast-check';
import should from 'should';
import { SegmentedMessage } from 'sms-segments-calculator';
import { ErrorCode } from '../../src/binding/errors';
import { measureBody } from '../../src/binding/segments';
import { bindingFailure } from '../support/errors';

describe("segments: measureBody, by Twilio's segment calculator", () => {
  it('counts an empty body as one GSM-7 segment', () => {
    should(measureBody('', 100)).eql({ encoding: 'GSM-7', segments: 1 });
  });

  it('fits 160 GSM-7 characters in one segment and splits 161 into 153-septet segments', () => {
    should(measureBody('a'.repeat(160), 100)).eql({ encoding: 'GSM-7', segments: 1 });
    should(measureBody('a'.repeat(161), 100)).eql({ encoding: 'GSM-7', segments: 2 });
    should(measureBody('a'.repeat(306), 100)).eql({ encoding: 'GSM-7', segments: 2 });
    should(measureBody('a'.repeat(307), 100)).eql({ encoding: 'GSM-7', segments: 3 });
  });

  it('counts the basic set beyond ASCII as one septet', () => {
    should(measureBody('é£¥ΔÆßñ§¿'.repeat(10) + 'x'.repeat(70), 100)).eql({ encoding: 'GSM-7', segments: 1 });
  });

  it('counts extension characters as two septets', () => {
    should(measureBody('€'.repeat(80), 100)).eql({ encoding: 'GSM-7', segments: 1 });
    should(measureBody('€'.repeat(81), 100)).eql({ encoding: 'GSM-7', segments: 2 });
    should(measureBody('^{}\\[~]|'.repeat(10), 100)).eql({ encoding: 'GSM-7', segments: 1 });
    should(measureBody('a'.repeat(159) + '[', 100)).eql({ encoding: 'GSM-7', segments: 2 });
  });

  it('fits 70 UCS-2 code units in one segment and splits 71 into 67-unit segments', () => {
    should(measureBody('ж'.repeat(70), 100)).eql({ encoding: 'UCS-2', segments: 1 });
    should(measureBody('ж'.repeat(71), 100)).eql({ encoding: 'UCS-2', segments: 2 });
    should(measureBody('ж'.repeat(134), 100)).eql({ encoding: 'UCS-2', segments: 2 });
    should(measureBody('ж'.repeat(135), 100)).eql({ encoding: 'UCS-2', segments: 3 });
  });

  it('makes the whole body UCS-2 for one character outside GSM-7, counting an emoji as two units', () => {
    should(measureBody('a'.repeat(69) + 'ж', 100)).eql({ encoding: 'UCS-2', segments: 1 });
    should(measureBody('a'.repeat(69) + '😀', 100)).eql({ encoding: 'UCS-2', segments: 2 });
    should(measureBody('😀'.repeat(35), 100)).eql({ encoding: 'UCS-2', segments: 1 });
    should(measureBody('😀'.repeat(36), 100)).eql({ encoding: 'UCS-2', segments: 2 });
  });
});

describe('segments: limits', () => {
  it('refuses a body over 1600 characters before counting', () => {
    should(measureBody('a'.repeat(1600), 100).segments).equal(11);
    const error = bindingFailure(() => measureBody('a'.repeat(1601), 100));
    should(error.code).equal(ErrorCode.BodyTooLong);
    should(error.message).equal('the message body has 1601 characters; Twilio accepts at most 1600');
  });

  it('refuses a body over maxSegments', () => {
    should(measureBody('a'.repeat(1530), 10).segments).equal(10);
    const error = bindingFailure(() => measureBody('a'.repeat(1531), 10));
    should(error.code).equal(ErrorCode.MaxSegments);
    should(error.message).equal(
      'the message body needs 11 GSM-7 segments; the account allows at most 10 (maxSegments)',
    );
    should(bindingFailure(() => measureBody('ж'.repeat(71), 1)).message).match(/needs 2 UCS-2 segments/);
  });
});

describe('segments: the plain GSM-7 shortcut', () => {
  it("counts exactly as Twilio's calculator for texts of the basic set's one-septet characters", () => {
    const plain =
      '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...plain.split('')), { maxLength: 1600 }).map((chars) => chars.join('')),
        (body) => {
          const message = new SegmentedMessage(body);
          should(measureBody(body, 100)).deepEqual({ encoding: 'GSM-7', segments: message.segmentsCount });
          should(message.encodingName).equal('GSM-7');
        },
      ),
      { numRuns: 300 },
    );
  });
});
