import should from 'should';
import { prepareMessage, resolveToNumber } from '../../src/binding/create';
import { ErrorCode } from '../../src/binding/errors';
import { parseMetadata } from '../../src/binding/metadata';
import type { BindingRequest } from '../../src/binding/request';
import { bindingFailure } from '../support/errors';

const ACCOUNT = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'token',
  fromNumber: '+15005550006',
};
const METADATA = parseMetadata(ACCOUNT);
const CONFIGURED = parseMetadata({ ...ACCOUNT, toNumber: '+14155550111' });
const DAPR = { allowRecipientOverride: false };
const OVERRIDE = { allowRecipientOverride: true };

function request(toNumber?: string, body = 'hello'): BindingRequest {
  return { operation: 'create', body, metadata: toNumber === undefined ? {} : { toNumber } };
}

describe('create: resolveToNumber', () => {
  it("uses the config's toNumber, which the request cannot override (Dapr)", () => {
    should(resolveToNumber(request('+14155550199'), CONFIGURED, DAPR)).deepEqual({
      toNumber: '+14155550111',
      fromRequest: false,
    });
  });

  it("uses the config's toNumber when the request has none", () => {
    should(resolveToNumber(request(), CONFIGURED, DAPR).toNumber).equal('+14155550111');
  });

  it("uses the request's toNumber when the config has none", () => {
    should(resolveToNumber(request('+14155550199'), METADATA, DAPR)).deepEqual({
      toNumber: '+14155550199',
      fromRequest: true,
    });
  });

  it('fails when neither has one', () => {
    for (const options of [DAPR, OVERRIDE]) {
      const error = bindingFailure(() => resolveToNumber(request(), METADATA, options));
      should(error.code).equal(ErrorCode.ToNumberMissing);
      should(error.message).startWith('missing "toNumber"');
    }
  });

  it("with the override allowed, lets the request's toNumber win, else falls back to the config", () => {
    should(resolveToNumber(request('+14155550199'), CONFIGURED, OVERRIDE).toNumber).equal('+14155550199');
    should(resolveToNumber(request(), CONFIGURED, OVERRIDE).toNumber).equal('+14155550111');
  });
});

describe('create: prepareMessage', () => {
  it('sends from the config fromNumber, with the request body, and measures it', () => {
    should(prepareMessage(request('+14155550199', 'Hi there'), METADATA, DAPR)).deepEqual({
      params: { to: '+14155550199', from: '+15005550006', body: 'Hi there' },
      segments: { encoding: 'GSM-7', segments: 1 },
    });
  });

  it("normalises the request's toNumber to E.164", () => {
    should(prepareMessage(request('+1 (415) 555-0199'), METADATA, DAPR).params.to).equal('+14155550199');
  });

  it('refuses an empty body before anything else', () => {
    const error = bindingFailure(() => prepareMessage(request(undefined, ''), METADATA, DAPR));
    should(error.code).equal(ErrorCode.BodyEmpty);
    should(error.message).match(/the message body is empty/);
  });

  it('sends a body of white space as it is', () => {
    should(prepareMessage(request(undefined, ' '), CONFIGURED, DAPR).params.body).equal(' ');
  });

  it('refuses a body over 1600 characters or over maxSegments', () => {
    should(
      bindingFailure(() => prepareMessage(request(undefined, 'a'.repeat(1601)), CONFIGURED, DAPR)).code,
    ).equal(ErrorCode.BodyTooLong);
    const capped = parseMetadata({ ...ACCOUNT, toNumber: '+14155550111', maxSegments: '1' });
    should(
      bindingFailure(() => prepareMessage(request(undefined, 'a'.repeat(161)), capped, DAPR)).code,
    ).equal(ErrorCode.MaxSegments);
  });

  it('refuses an invalid request toNumber with ERR_BAD_NUMBER', () => {
    const error = bindingFailure(() => prepareMessage(request('+1415555'), METADATA, DAPR));
    should(error.code).equal(ErrorCode.BadNumber);
    should(error.message).match(/^"metadata.toNumber" \+1\*\*5555 is not a valid phone number/);
  });
});
