import should from 'should';
import { bindingFailure } from '../support/errors';
import { createMessageParams, resolveToNumber } from '../../src/binding/create';
import { ErrorCode } from '../../src/binding/errors';
import type { ComponentMetadata } from '../../src/binding/metadata';
import type { BindingRequest } from '../../src/binding/request';

const METADATA: ComponentMetadata = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'token',
  fromNumber: '+15005550006',
  toNumber: undefined,
  timeoutMs: 30_000,
  apiBaseUrl: undefined,
  region: undefined,
  edge: undefined,
};
const CONFIGURED = { ...METADATA, toNumber: '+15550000001' };
const DAPR = { allowRecipientOverride: false };
const OVERRIDE = { allowRecipientOverride: true };

function request(toNumber?: string, body = 'hello'): BindingRequest {
  return { operation: 'create', body, metadata: toNumber === undefined ? {} : { toNumber } };
}

describe('create: resolveToNumber', () => {
  it("uses the config's toNumber, which the request cannot override (Dapr)", () => {
    should(resolveToNumber(request('+15559999999'), CONFIGURED, DAPR)).equal('+15550000001');
  });

  it("uses the config's toNumber when the request has none", () => {
    should(resolveToNumber(request(), CONFIGURED, DAPR)).equal('+15550000001');
  });

  it("uses the request's toNumber when the config has none", () => {
    should(resolveToNumber(request('+15559999999'), METADATA, DAPR)).equal('+15559999999');
  });

  it('fails when neither has one', () => {
    for (const options of [DAPR, OVERRIDE]) {
      const error = bindingFailure(() => resolveToNumber(request(), METADATA, options));
      should(error.code).equal(ErrorCode.ToNumberMissing);
      should(error.message).startWith('missing "toNumber"');
    }
  });

  it("with the override allowed, lets the request's toNumber win, else falls back to the config", () => {
    should(resolveToNumber(request('+15559999999'), CONFIGURED, OVERRIDE)).equal('+15559999999');
    should(resolveToNumber(request(), CONFIGURED, OVERRIDE)).equal('+15550000001');
  });
});

describe('create: createMessageParams', () => {
  it('sends from the config fromNumber, with the request body', () => {
    should(createMessageParams(request('+15559999999', 'Hi there'), METADATA, DAPR)).deepEqual({
      to: '+15559999999',
      from: '+15005550006',
      body: 'Hi there',
    });
  });

  it('refuses an empty body before anything else', () => {
    const error = bindingFailure(() => createMessageParams(request(undefined, ''), METADATA, DAPR));
    should(error.code).equal(ErrorCode.BodyEmpty);
    should(error.message).match(/the message body is empty/);
  });

  it('sends a body of white space as it is', () => {
    should(createMessageParams(request(undefined, ' '), CONFIGURED, DAPR).body).equal(' ');
  });
});
