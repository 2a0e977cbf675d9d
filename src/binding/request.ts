import { BindingError, ErrorCode } from './errors';

// JSON.stringify's real type: a toJSON() that returns undefined makes it return undefined.
const stringify: (value: unknown) => string | undefined = JSON.stringify;

/** The one operation of `bindings.twilio.sms`. */
export const CREATE_OPERATION = 'create';

/** How a binding node reads a msg: Node-RED's own shape, or a Dapr bindings request in `msg.payload`. */
export type InputFormat = 'message' | 'dapr';

/** Request metadata as the binding reads it: only the keys it knows, as strings. */
export interface RequestMetadata {
  toNumber?: string;
}

/** A Dapr output-binding request: `{data, metadata, operation}`, with the data already as the SMS body text. */
export interface BindingRequest {
  operation: typeof CREATE_OPERATION;
  body: string;
  metadata: RequestMetadata;
}

/** The msg properties a binding node reads. */
export interface RequestMessage {
  payload?: unknown;
  operation?: unknown;
  metadata?: unknown;
}

/** Reads a msg in the given format into a binding request, or fails with a {@link BindingError}. */
export function readRequest(msg: RequestMessage, format: InputFormat): BindingRequest {
  return format === 'dapr' ? fromDaprRequest(msg.payload) : fromMessage(msg);
}

/** `msg.payload` is the data, `msg.metadata` the metadata, and `msg.operation` defaults to `create`. */
function fromMessage(msg: RequestMessage): BindingRequest {
  const operation = isAbsent(msg.operation) ? CREATE_OPERATION : msg.operation;
  return {
    operation: checkOperation(operation),
    metadata: readMetadata(msg.metadata, 'msg.metadata'),
    body: bodyText(msg.payload),
  };
}

/** `msg.payload` is a Dapr bindings request, as an object or as its JSON text (what `http in` receives). */
function fromDaprRequest(payload: unknown): BindingRequest {
  const request = parseDaprPayload(payload);
  if (isAbsent(request.operation)) {
    throw new BindingError(ErrorCode.OperationMissing, 'operation field is missing from request');
  }
  return {
    operation: checkOperation(request.operation),
    metadata: readMetadata(request.metadata, 'metadata'),
    body: bodyText(request.data),
  };
}

function parseDaprPayload(payload: unknown): Record<string, unknown> {
  let request = payload;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    try {
      request = JSON.parse(payload.toString()) as unknown;
    } catch (err) {
      throw new BindingError(
        ErrorCode.RequestInvalid,
        `msg.payload is not a Dapr bindings request: ${(err as Error).message}`,
      );
    }
  }
  if (!isPlainObject(request)) {
    throw new BindingError(
      ErrorCode.RequestInvalid,
      'msg.payload must be a Dapr bindings request: {"data": ..., "metadata": {...}, "operation": "create"}',
    );
  }
  return request;
}

/** Accepts `create` in any letter case; everything else is refused as the Dapr runtime refuses it. */
export function checkOperation(operation: unknown): typeof CREATE_OPERATION {
  if (typeof operation === 'string' && operation.toLowerCase() === CREATE_OPERATION) return CREATE_OPERATION;
  const shown = typeof operation === 'string' ? operation : describe(operation);
  throw new BindingError(
    ErrorCode.OperationUnsupported,
    `unsupported operation "${shown}"; supported operations: ${CREATE_OPERATION}`,
  );
}

function describe(value: unknown): string {
  try {
    return stringify(value) ?? typeof value;
  } catch {
    // BigInt and circular values have no JSON text.
    return typeof value;
  }
}

/** Only known keys are read; everything else in the metadata (`traceparent`, ...) is ignored, as in Dapr. */
function readMetadata(metadata: unknown, where: string): RequestMetadata {
  if (isAbsent(metadata)) return {};
  if (!isPlainObject(metadata)) {
    throw new BindingError(
      ErrorCode.RequestInvalid,
      `${where} must be an object such as {"toNumber": "+14155552671"}`,
    );
  }
  const toNumber = Object.hasOwn(metadata, 'toNumber') ? metadata.toNumber : undefined;
  if (isAbsent(toNumber)) return {};
  if (typeof toNumber !== 'string') {
    throw new BindingError(ErrorCode.RequestInvalid, `${where}.toNumber must be a string`);
  }
  const trimmed = toNumber.trim();
  return trimmed === '' ? {} : { toNumber: trimmed };
}

/**
 * The SMS body for a request's data, as Dapr produces it from the JSON it receives: strings as they are,
 * numbers and booleans as their text, objects and arrays as their JSON text, Buffers as UTF-8 text.
 */
export function bodyText(data: unknown): string {
  // A lone surrogate cannot be sent as it is: the form encoding would merge it with the next character,
  // so Twilio would get another text than the one checked and measured. It becomes U+FFFD instead.
  return rawBodyText(data).toWellFormed();
}

function rawBodyText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (typeof data === 'number' || typeof data === 'boolean' || typeof data === 'bigint') return String(data);
  if (typeof data === 'object' && data !== null) {
    try {
      return stringify(data) ?? '';
    } catch (err) {
      // Circular structures and BigInt values have no JSON text.
      throw new BindingError(
        ErrorCode.RequestInvalid,
        `the data cannot be written as JSON: ${(err as Error).message}`,
      );
    }
  }
  // undefined, null, functions and symbols carry no text; the empty body is refused later.
  return '';
}

function isAbsent(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === '';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
