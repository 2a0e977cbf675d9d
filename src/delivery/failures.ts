import { BindingError, ErrorCode } from '../binding/errors';

const MAYBE_SENT = 'the message may have been sent';

/** The attempt's own failure, re-issued with the number of attempts made. */
export function attemptFailed(err: unknown, attempts: number): BindingError {
  if (err instanceof BindingError) {
    return new BindingError(err.code, counted(err.message, attempts), {
      status: err.status,
      moreInfo: err.moreInfo,
      attempts,
    });
  }
  return withCause(
    new BindingError(ErrorCode.Internal, counted(`unexpected failure: ${describe(err)}`, attempts), {
      attempts,
    }),
    err,
  );
}

/**
 * A failure after which Twilio may have created the message. The code says so; the message and HTTP facts are
 * the attempt's, and the attempt's own error (with Twilio's numeric code, if any) is the `cause`.
 */
export function maybeSent(err: unknown, attempts: number): BindingError {
  const text = describe(err);
  const known = err instanceof BindingError ? err : undefined;
  return withCause(
    new BindingError(
      ErrorCode.MaybeSent,
      counted(text.includes(MAYBE_SENT) ? text : `${text}; ${MAYBE_SENT}`, attempts),
      {
        status: known?.status,
        moreInfo: known?.moreInfo,
        attempts,
      },
    ),
    err,
  );
}

/** Delivery stopped before the message was sent; `cause` is the last attempt's failure when it was retrying. */
export function closed(attempts: number, lastError?: unknown): BindingError {
  const error = new BindingError(
    ErrorCode.Closed,
    counted('delivery stopped before the message was sent', attempts),
    {
      attempts,
    },
  );
  return lastError === undefined ? error : withCause(error, lastError);
}

export function queueFull(queueLimit: number): BindingError {
  return new BindingError(
    ErrorCode.QueueFull,
    `the delivery queue is full (${queueLimit} messages waiting); the message was not sent`,
    { attempts: 0 },
  );
}

/**
 * Node-RED hands Catch nodes only an error's message, code and cause, so the number of requests made goes
 * into the message too.
 */
function counted(message: string, attempts: number): string {
  return attempts === 0 ? message : `${message} (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`;
}

function withCause(error: BindingError, cause: unknown): BindingError {
  error.cause = cause;
  return error;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
