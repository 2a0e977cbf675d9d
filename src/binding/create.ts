import type { ComponentMetadata } from './metadata';
import type { BindingRequest } from './request';
import { BindingError, ErrorCode } from './errors';

/** The fields of Twilio's Create Message request that the `create` operation sets. */
export interface CreateMessageParams {
  to: string;
  from: string;
  body: string;
}

export interface CreateOptions {
  /** Lets `metadata.toNumber` win over the config's `toNumber` (Dapr never allows this). */
  allowRecipientOverride: boolean;
}

/** Turns a `create` request into Twilio's Create Message fields, as Dapr's binding does. */
export function createMessageParams(
  request: BindingRequest,
  metadata: ComponentMetadata,
  options: CreateOptions,
): CreateMessageParams {
  if (request.body === '') {
    throw new BindingError(
      ErrorCode.BodyEmpty,
      'the message body is empty: set msg.payload to the text to send',
    );
  }
  return { to: resolveToNumber(request, metadata, options), from: metadata.fromNumber, body: request.body };
}

/** The config's `toNumber` when set, else the request's; with an override allowed, the request's first. */
export function resolveToNumber(
  request: BindingRequest,
  metadata: ComponentMetadata,
  options: CreateOptions,
): string {
  const requested = request.metadata.toNumber;
  const toNumber = options.allowRecipientOverride
    ? (requested ?? metadata.toNumber)
    : (metadata.toNumber ?? requested);
  if (toNumber === undefined) {
    throw new BindingError(
      ErrorCode.ToNumberMissing,
      'missing "toNumber": set it in the config node or in the request metadata (msg.metadata.toNumber)',
    );
  }
  return toNumber;
}
