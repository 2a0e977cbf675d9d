import { checkRecipient } from './allowlist';
import { BindingError, ErrorCode } from './errors';
import type { ComponentMetadata } from './metadata';
import { normalizePhoneNumber } from './phone';
import type { BindingRequest } from './request';
import { type BodySegments, measureBody } from './segments';

/** The fields of Twilio's Create Message request that the `create` operation sets. */
export interface CreateMessageParams {
  to: string;
  from: string;
  body: string;
}

/** A message checked and ready to send: Twilio's fields, and what the body will cost. */
export interface PreparedMessage {
  params: CreateMessageParams;
  segments: BodySegments;
}

export interface CreateOptions {
  /** Lets `metadata.toNumber` win over the config's `toNumber` (Dapr never allows this). */
  allowRecipientOverride: boolean;
}

/**
 * Turns a `create` request into Twilio's Create Message fields, as Dapr's binding does, after every local
 * check: the body (empty, too long, too many segments), the recipient (valid, allowed). Nothing that fails
 * here is sent.
 */
export function prepareMessage(
  request: BindingRequest,
  metadata: ComponentMetadata,
  options: CreateOptions,
): PreparedMessage {
  if (request.body === '') {
    throw new BindingError(
      ErrorCode.BodyEmpty,
      'the message body is empty: set msg.payload to the text to send',
    );
  }
  const segments = measureBody(request.body, metadata.maxSegments);
  const recipient = resolveToNumber(request, metadata, options);
  const to = recipient.fromRequest
    ? normalizePhoneNumber(recipient.toNumber, {
        field: 'metadata.toNumber',
        errorCode: ErrorCode.BadNumber,
        defaultCountry: metadata.defaultCountry,
        sender: false,
      })
    : recipient.toNumber;
  checkRecipient(to, metadata, recipient.fromRequest);
  return { params: { to, from: metadata.fromNumber, body: request.body }, segments };
}

/** The config's `toNumber` when set, else the request's; with an override allowed, the request's first. */
export function resolveToNumber(
  request: BindingRequest,
  metadata: ComponentMetadata,
  options: CreateOptions,
): { toNumber: string; fromRequest: boolean } {
  const requested = request.metadata.toNumber;
  const useRequest =
    requested !== undefined && (options.allowRecipientOverride || metadata.toNumber === undefined);
  if (useRequest) return { toNumber: requested, fromRequest: true };
  if (metadata.toNumber !== undefined) return { toNumber: metadata.toNumber, fromRequest: false };
  throw new BindingError(
    ErrorCode.ToNumberMissing,
    'missing "toNumber": set it in the config node or in the request metadata (msg.metadata.toNumber)',
  );
}
