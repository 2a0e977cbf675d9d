import { maskPhoneNumbers } from './mask';

/**
 * Stable codes for failures that happen before or instead of an answer from Twilio. When Twilio answers
 * with an error, the code is Twilio's own number (21211, 20003, ...) instead. They are short enough to be
 * a node's status text.
 */
export const ErrorCode = {
  /** The binding node has no config node selected. */
  ConfigMissing: 'ERR_NO_CONFIG',
  /** The config node's metadata failed Dapr's init checks (a required field, the timeout, the API URL). */
  ConfigInvalid: 'ERR_BAD_CONFIG',
  /** A Dapr bindings request without an operation. */
  OperationMissing: 'ERR_NO_OPERATION',
  /** Any operation but `create`. */
  OperationUnsupported: 'ERR_BAD_OPERATION',
  /** The msg is not a well-formed request: unparseable Dapr JSON, metadata that is not an object, ... */
  RequestInvalid: 'ERR_BAD_REQUEST',
  /** No recipient in the config nor in the request metadata. */
  ToNumberMissing: 'ERR_NO_TO_NUMBER',
  /** The message body is empty. */
  BodyEmpty: 'ERR_EMPTY_BODY',
  /** The message body is longer than Twilio's 1600 characters. */
  BodyTooLong: 'ERR_BODY_TOO_LONG',
  /** The message body needs more segments than the account's `maxSegments`. */
  MaxSegments: 'ERR_MAX_SEGMENTS',
  /** The request's toNumber is not a valid phone number. */
  BadNumber: 'ERR_BAD_NUMBER',
  /** The recipient is outside the account's allowed countries and prefixes. */
  NotAllowed: 'ERR_NOT_ALLOWED',
  /** Twilio did not answer within the configured timeout: the message may have been created. */
  Timeout: 'ERR_TIMEOUT',
  /** No connection to the API could be made (refused, DNS): nothing was sent. */
  ConnectFailed: 'ERR_CONNECT',
  /** The connection to the API broke during the request: the message may have been created. */
  Network: 'ERR_NETWORK',
  /** Twilio answered with an HTTP error that carries no Twilio error code. */
  TwilioHttp: 'ERR_TWILIO_HTTP',
  /** The account's delivery queue already holds its limit of waiting messages: this one was not sent. */
  QueueFull: 'ERR_QUEUE_FULL',
  /** Delivery stopped (redeploy, stop, node removed) before this message was sent. */
  Closed: 'ERR_CLOSED',
  /** A request that may have created the message failed and was not retried: it may have been sent. */
  MaybeSent: 'ERR_MAYBE_SENT',
  /** An attempt failed with something other than a BindingError: a bug in this package. */
  Internal: 'ERR_INTERNAL',
} as const;

export type LocalErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface BindingErrorDetails {
  /** The HTTP status of Twilio's answer, when there was one. */
  status?: number;
  /** Twilio's documentation link for the error code. */
  moreInfo?: string;
  /** How many requests to Twilio were made for this message before it failed (0: none). */
  attempts?: number;
  /** Twilio's Retry-After on an HTTP 429, in milliseconds. */
  retryAfterMs?: number;
}

/** The one error type of the package: `code` is Twilio's numeric code or one of {@link ErrorCode}. */
export class BindingError extends Error {
  override readonly name = 'BindingError';
  readonly code: LocalErrorCode | number;
  readonly status: number | undefined;
  readonly moreInfo: string | undefined;
  /** Set on every failure reported by the delivery engine; undefined on failures found before delivery. */
  readonly attempts: number | undefined;
  readonly retryAfterMs: number | undefined;

  /** Phone numbers in the message are masked (`+1******2671`): messages end up in logs. */
  constructor(code: LocalErrorCode | number, message: string, details: BindingErrorDetails = {}) {
    super(maskPhoneNumbers(message));
    this.code = code;
    this.status = details.status;
    this.moreInfo = details.moreInfo;
    this.attempts = details.attempts;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Node-RED builds `msg.error.message` from toString(): keep it the plain message, without the class name. */
  override toString(): string {
    return this.message;
  }
}
