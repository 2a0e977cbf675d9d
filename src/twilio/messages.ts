import type { Twilio } from 'twilio';
import type { CreateMessageParams } from '../binding/create';
import type { ComponentMetadata } from '../binding/metadata';
import { BindingError, ErrorCode } from '../binding/errors';

/** The created message resource: the SDK's `MessageInstance.toJSON()`, with its camelCase fields. */
export type MessageResource = Record<string, unknown>;

/** Twilio's Messages resource for one account; the only place that touches the twilio SDK. */
export class TwilioMessages {
  private client: Twilio | undefined;

  constructor(private readonly metadata: ComponentMetadata) {}

  /** `POST /2010-04-01/Accounts/{accountSid}/Messages.json`; fails with a {@link BindingError}. */
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

function createClient(metadata: ComponentMetadata): Twilio {
  // Loaded on first use: requiring the SDK costs more than everything else the package loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const twilio = require('twilio') as typeof import('twilio');
  const client = twilio(metadata.accountSid, metadata.authToken, {
    timeout: metadata.timeoutMs,
    // Retrying is the delivery layer's decision, never the SDK's.
    autoRetry: false,
    // With our own API URL, region and edge would rewrite its host name; empty strings also keep the SDK
    // from taking them from TWILIO_REGION / TWILIO_EDGE in the environment.
    region: metadata.apiBaseUrl === undefined ? metadata.region : '',
    edge: metadata.apiBaseUrl === undefined ? metadata.edge : '',
  });
  if (metadata.apiBaseUrl !== undefined) client.api.baseUrl = metadata.apiBaseUrl;
  return client;
}

interface TwilioRestError {
  status: number;
  code?: unknown;
  message?: unknown;
  moreInfo?: unknown;
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const BROKEN_CONNECTIONS = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Turns whatever the SDK threw into a BindingError. Only the facts are kept: the SDK's network errors
 * carry the request configuration, Authorization header included, which must never travel further.
 */
export function toBindingError(err: unknown, timeoutMs: number): BindingError {
  if (err instanceof BindingError) return err;
  if (isRestError(err)) {
    const twilioCode = typeof err.code === 'number' ? err.code : undefined;
    const text = typeof err.message === 'string' && err.message !== '' ? err.message : 'request failed';
    const moreInfo = typeof err.moreInfo === 'string' ? err.moreInfo : undefined;
    const facts = [
      `HTTP ${err.status}`,
      twilioCode === undefined ? undefined : `Twilio error ${twilioCode}`,
      moreInfo,
    ];
    return new BindingError(
      twilioCode ?? ErrorCode.TwilioHttp,
      `${text} (${facts.filter(Boolean).join(', ')})`,
      {
        status: err.status,
        moreInfo,
      },
    );
  }
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return new BindingError(
      ErrorCode.Timeout,
      `no answer from the Twilio API within ${timeoutMs} ms; the message may have been sent`,
    );
  }
  if (typeof code === 'string' && CONNECT_FAILURES.has(code)) {
    return new BindingError(ErrorCode.Network, `cannot connect to the Twilio API (${code})`);
  }
  if (typeof code === 'string' && BROKEN_CONNECTIONS.has(code)) {
    return new BindingError(
      ErrorCode.Network,
      `the connection to the Twilio API broke (${code}); the message may have been sent`,
    );
  }
  return new BindingError(ErrorCode.Network, `the request to the Twilio API failed: ${message}`);
}

function isRestError(err: unknown): err is TwilioRestError {
  return err instanceof Error && typeof (err as Partial<TwilioRestError>).status === 'number';
}
