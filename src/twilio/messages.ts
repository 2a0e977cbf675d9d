import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import type { CreateMessageParams } from '../binding/create';
import { BindingError, ErrorCode } from '../binding/errors';
import type { ComponentMetadata, TwilioConnection } from '../binding/metadata';
import type { Classification } from '../delivery/delivery';

/** The created message resource: the SDK's `MessageInstance.toJSON()`, with its camelCase fields. */
export type MessageResource = Record<string, unknown>;

/** Twilio's Messages resource for one account; the only place that touches the twilio SDK. */
export class TwilioMessages {
  private client: Twilio | undefined;

  constructor(private readonly metadata: ComponentMetadata) {}

  /** One `POST /2010-04-01/Accounts/{accountSid}/Messages.json`; fails with a {@link BindingError}. */
  async create(params: CreateMessageParams): Promise<MessageResource> {
    try {
      this.client ??= createClient(this.metadata);
      const message = await this.client.messages.create(params);
      return message.toJSON();
    } catch (err) {
      throw toBindingError(err, this.metadata.timeoutMs);
    }
  }
}

export interface ClientOptions {
  /** Keep connections open for the next request (true): right for an account's stream of messages. */
  keepAlive?: boolean;
}

/**
 * A twilio SDK client for the account and API of `metadata`, shared by every resource of this package:
 * Twilio's error answers become {@link BindingError}s with Twilio's code, and the SDK never retries.
 */
export function createClient(metadata: TwilioConnection, options: ClientOptions = {}): Twilio {
  // Loaded on first use: requiring the SDK costs more than everything else the package loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const twilio = require('twilio') as typeof import('twilio');

  /** Reads Twilio's error answers here, where the response headers (Retry-After) are still at hand. */
  class AnswerCheckingClient extends twilio.RequestClient {
    override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
      const response = await super.request<TData>(opts);
      if (response.statusCode >= 400) throw answerError(response.statusCode, response.body, response.headers);
      return response;
    }
  }

  const client = twilio(metadata.accountSid, metadata.authToken, {
    // Retrying is the delivery engine's decision, never the SDK's (autoRetry is off by default).
    httpClient: new AnswerCheckingClient({
      timeout: metadata.timeoutMs,
      keepAlive: options.keepAlive ?? true,
    }),
    // With our own API URL, region and edge would rewrite its host name; empty strings also keep the SDK
    // from taking them from TWILIO_REGION / TWILIO_EDGE in the environment.
    region: metadata.apiBaseUrl === undefined ? metadata.region : '',
    edge: metadata.apiBaseUrl === undefined ? metadata.edge : '',
  });
  if (metadata.apiBaseUrl !== undefined) client.api.baseUrl = metadata.apiBaseUrl;
  return client;
}

/** Twilio's error answer `{code, message, more_info, status}` as a BindingError with Twilio's own code. */
export function answerError(status: number, body: unknown, headers: unknown): BindingError {
  const answer = parseAnswer(body);
  const twilioCode = typeof answer.code === 'number' ? answer.code : undefined;
  const text =
    typeof answer.message === 'string' && answer.message !== '' ? answer.message : 'request failed';
  const moreInfo = typeof answer.more_info === 'string' ? answer.more_info : undefined;
  const facts = [
    `HTTP ${status}`,
    twilioCode === undefined ? undefined : `Twilio error ${twilioCode}`,
    moreInfo,
  ];
  return new BindingError(
    twilioCode ?? ErrorCode.TwilioHttp,
    `${text} (${facts.filter(Boolean).join(', ')})`,
    {
      status,
      moreInfo,
      retryAfterMs: status === 429 ? parseRetryAfter(header(headers, 'retry-after'), Date.now()) : undefined,
    },
  );
}

function parseAnswer(body: unknown): Record<string, unknown> {
  let answer = body;
  if (typeof body === 'string') {
    try {
      answer = JSON.parse(body) as unknown;
    } catch {
      // Not JSON (a proxy's HTML page, say): only the status is known.
    }
  }
  return typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {};
}

function header(headers: unknown, name: string): unknown {
  return typeof headers === 'object' && headers !== null
    ? (headers as Record<string, unknown>)[name]
    : undefined;
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2026 07:28:00 GMT`); Date.parse reads far more.
  const date = /[a-z]{3}/i.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Turns whatever the SDK threw into a BindingError. Only the facts are kept: the SDK's network errors
 * carry the request configuration, Authorization header included, which must never travel further.
 * `maybe` is what a timeout or a broken connection may have done; null for a request that changes nothing.
 */
export function toBindingError(
  err: unknown,
  timeoutMs: number,
  maybe: string | null = 'the message may have been sent',
): BindingError {
  if (err instanceof BindingError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const consequence = maybe === null ? '' : `; ${maybe}`;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return new BindingError(
      ErrorCode.Timeout,
      `no answer from the Twilio API within ${timeoutMs} ms${consequence}`,
    );
  }
  if (typeof code === 'string' && CONNECT_FAILURES.has(code)) {
    return new BindingError(ErrorCode.ConnectFailed, `cannot connect to the Twilio API (${code})`);
  }
  const detail = typeof code === 'string' ? code : message;
  return new BindingError(
    ErrorCode.Network,
    `the connection to the Twilio API broke (${detail})${consequence}`,
  );
}

/**
 * What a failure says about the message, for the delivery engine: Twilio surely created nothing on an
 * HTTP 429 or when no connection was made; after a timeout, a broken connection or a 5xx it may have.
 * A connect timeout cannot be told apart from a slow answer here, so it counts as ambiguous: never a duplicate.
 */
export function classifyFailure(err: unknown): Classification {
  if (!(err instanceof BindingError)) return { kind: 'rejected' };
  if (err.status === 429) {
    return err.retryAfterMs === undefined
      ? { kind: 'not-sent' }
      : { kind: 'not-sent', retryAfterMs: err.retryAfterMs };
  }
  if (err.code === ErrorCode.ConnectFailed) return { kind: 'not-sent' };
  if (err.code === ErrorCode.Timeout || err.code === ErrorCode.Network || (err.status ?? 0) >= 500) {
    return { kind: 'ambiguous' };
  }
  return { kind: 'rejected' };
}
