/**
 * A local stand-in for the Messages part of Twilio's REST API, answering as api.twilio.com does: the same
 * routes, Basic auth, validation order, error codes and JSON. Used by the integration tests, the benchmarks
 * and `npm start`, so it runs without a Twilio account; faults (error statuses, delays, dropped connections)
 * can be injected to exercise the client's failure paths.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createServer,
  STATUS_CODES,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { SegmentedMessage } from 'sms-segments-calculator';

export interface SandboxAccount {
  accountSid: string;
  authToken: string;
  friendlyName?: string;
}

/** The account a sandbox accepts unless told otherwise; obviously fake, never a real account. */
export const SANDBOX_ACCOUNT: Readonly<SandboxAccount> = Object.freeze({
  accountSid: 'ACdeadbeefdeadbeefdeadbeefdeadbeef',
  authToken: '0123456789abcdef0123456789abcdef',
  friendlyName: 'Local sandbox',
});

export interface RecordedRequest {
  method: string;
  /** The request target as sent, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The decoded Basic credentials, if the Authorization header carried any. */
  auth?: { username: string; password: string };
  /** The x-www-form-urlencoded body; a key sent more than once (MediaUrl) becomes an array. */
  form: Record<string, string | string[]>;
  /** `Date.now()` when the request arrived, so rate windows can be checked against wall-clock ms. */
  receivedAt: number;
  /** The HTTP status answered; undefined while the answer is pending and for a dropped connection. */
  status?: number;
}

/** Applied, in the order injected, to the next `count` requests to any route. */
export interface Fault {
  /** Answer with this HTTP status (400-599) and Twilio's error JSON instead of handling the request. */
  status?: number;
  /** The Twilio error code in that JSON; by default 20500 for 5xx, 20429 for 429, otherwise the status. */
  code?: number;
  message?: string;
  /** Seconds, sent as a Retry-After header. */
  retryAfter?: number;
  /** Wait this long before answering; without `status` or `drop` the answer is the normal one. */
  delayMs?: number;
  /** Destroy the connection once the request has been read, answering nothing. */
  drop?: boolean;
  /** How many requests this fault applies to; 1 by default. */
  count?: number;
}

export interface TwilioApiOptions {
  /** 127.0.0.1 by default. */
  host?: string;
  /** 0 (any free port) by default. */
  port?: number;
  /** The accounts whose credentials are accepted; [SANDBOX_ACCOUNT] by default. */
  accounts?: SandboxAccount[];
  /** Every answer is delayed this long, on top of any fault delay. */
  latencyMs?: number;
  /**
   * Keep requests and messages (true by default). With false nothing accumulates, for benchmarks: events
   * are still emitted, but messages cannot be fetched back and waitForRequests() is unavailable.
   */
  record?: boolean;
}

/** Twilio's message resource, in the snake_case JSON the API answers with. */
export interface SandboxMessage {
  account_sid: string;
  api_version: '2010-04-01';
  body: string;
  date_created: string;
  date_sent: null;
  date_updated: string;
  direction: 'outbound-api';
  error_code: null;
  error_message: null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: null;
  price_unit: 'USD';
  sid: string;
  status: 'queued' | 'accepted';
  subresource_uris: { media: string; feedback: string };
  to: string;
  uri: string;
}

// A type alias rather than an interface: EventEmitter's event map must be indexable by its keys.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type TwilioApiEvents = {
  /** A request was read, before it is answered: its `status` is filled in once it is. */
  request: [RecordedRequest];
  /** A message was created. */
  message: [SandboxMessage];
};

const API_VERSION = '2010-04-01';
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_BODY_CHARS = 1600;

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const ACCOUNT_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/;
const MESSAGES_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;

const E164 = String.raw`\+[1-9]\d{1,14}`;
const RECIPIENT = new RegExp(`^(?:whatsapp:)?${E164}$`);
// Twilio's short codes are 5 or 6 digits; an alphanumeric sender ID has 1-11 letters, digits or spaces
// with at least one letter.
const SENDER = new RegExp(`^(?:(?:whatsapp:)?${E164}|\\d{5,6}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$`);

/** The answers Twilio gives with test credentials for its magic 'To' numbers. */
const MAGIC_RECIPIENTS = new Map<string, (to: string, from: string | undefined) => [number, string]>([
  ['+15005550001', (to) => [21211, `The 'To' number ${to} is not a valid phone number.`]],
  [
    '+15005550002',
    (to, from) => [
      21612,
      from === undefined
        ? `The 'To' phone number: ${to}, is not currently reachable via SMS.`
        : `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number: ${from} via SMS.`,
    ],
  ],
  [
    '+15005550003',
    (to) => [
      21408,
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
    ],
  ],
  ['+15005550004', () => [21610, 'Attempt to send to unsubscribed recipient']],
  ['+15005550009', (to) => [21614, `To number: ${to}, is not a mobile number`]],
]);

interface Answer {
  status: number;
  /** Serialized JSON. */
  body: string;
  headers?: Record<string, string>;
}

function twilioError(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): Answer {
  const more_info = `https://www.twilio.com/docs/errors/${code}`;
  return { status, body: JSON.stringify({ code, message, more_info, status }), headers };
}

const UNAUTHORIZED = twilioError(401, 20003, 'Authenticate', {
  'WWW-Authenticate': 'Basic realm="Twilio API"',
});

function notFound(path: string): Answer {
  return twilioError(404, 20404, `The requested resource ${path} was not found`);
}

function faultAnswer(fault: Fault, status: number): Answer {
  const code = fault.code ?? (status >= 500 ? 20500 : status === 429 ? 20429 : status);
  const headers = fault.retryAfter === undefined ? undefined : { 'Retry-After': String(fault.retryAfter) };
  return twilioError(status, code, fault.message ?? STATUS_CODES[status] ?? 'Error', headers);
}

/** RFC 2822 in UTC, as Twilio writes dates: `Thu, 03 Dec 2026 18:59:02 +0000`. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function parseBasicAuth(header: string | undefined): RecordedRequest['auth'] {
  const encoded = header === undefined ? undefined : /^Basic +(\S+) *$/i.exec(header)?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function parseForm(raw: string): RecordedRequest['form'] {
  const form: RecordedRequest['form'] = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // Object.hasOwn rather than a lookup, so a `__proto__` key is dropped instead of altering the object.
    const previous = Object.hasOwn(form, key) ? form[key] : undefined;
    if (previous === undefined) form[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else form[key] = [previous, value];
  }
  return form;
}

/** The first value of a form field; an empty one counts as absent. */
function field(form: RecordedRequest['form'], name: string): string | undefined {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === '' ? undefined : first;
}

function fieldValues(form: RecordedRequest['form'], name: string): string[] {
  const value = form[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

interface AccountEntry {
  account: SandboxAccount;
  /** The account resource, serialized once: it never changes. */
  json: string;
}

interface Waiter {
  count: number;
  resolve: (requests: RecordedRequest[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class TwilioApi extends EventEmitter<TwilioApiEvents> {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  readonly messages: SandboxMessage[] = [];
  inFlight = 0;
  maxInFlight = 0;
  latencyMs: number;

  private readonly accounts = new Map<string, AccountEntry>();
  private readonly record: boolean;
  private readonly messagesBySid = new Map<string, SandboxMessage>();
  private readonly faults: { fault: Fault; remaining: number }[] = [];
  private readonly waiters = new Set<Waiter>();
  /** Pending delays, each with the resolver that lets close() end it early. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closing: Promise<void> | undefined;

  /** Starts a server listening on `host:port` (127.0.0.1 and a free port by default). */
  static async start(options: TwilioApiOptions = {}): Promise<TwilioApi> {
    const accounts = options.accounts ?? [SANDBOX_ACCOUNT];
    for (const { accountSid } of accounts) {
      if (!ACCOUNT_SID.test(accountSid)) throw new TypeError(`not an Account SID: ${accountSid}`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TwilioApi(server, accounts, options);
  }

  private constructor(
    private readonly server: Server,
    accounts: SandboxAccount[],
    options: TwilioApiOptions,
  ) {
    super();
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    this.latencyMs = options.latencyMs ?? 0;
    this.record = options.record ?? true;
    const created = rfc2822(new Date());
    for (const account of accounts) {
      const sid = account.accountSid;
      const uri = `/${API_VERSION}/Accounts/${sid}.json`;
      const json = JSON.stringify({
        auth_token: account.authToken,
        date_created: created,
        date_updated: created,
        friendly_name: account.friendlyName ?? sid,
        owner_account_sid: sid,
        sid,
        status: 'active',
        // Only the subresource this sandbox serves.
        subresource_uris: { messages: `/${API_VERSION}/Accounts/${sid}/Messages.json` },
        type: 'Full',
        uri,
      });
      this.accounts.set(sid, { account, json });
    }
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(req, res);
    });
  }

  /** Queues a fault behind those already queued. */
  inject(fault: Fault): void {
    const count = fault.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`fault count must be >= 1: ${count}`);
    if (
      fault.status !== undefined &&
      !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status < 600)
    ) {
      throw new RangeError(`fault status must be 400-599: ${fault.status}`);
    }
    const answersWithError =
      fault.code !== undefined || fault.message !== undefined || fault.retryAfter !== undefined;
    if (fault.status === undefined && answersWithError) {
      throw new TypeError('a fault with code, message or retryAfter needs a status');
    }
    if (fault.drop === true && fault.status !== undefined)
      throw new TypeError('a fault cannot both drop and answer');
    this.faults.push({ fault, remaining: count });
  }

  /** Forgets requests, messages and queued faults; maxInFlight restarts from the requests in flight now. */
  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.messagesBySid.clear();
    this.faults.length = 0;
    this.maxInFlight = this.inFlight;
  }

  /** Resolves with the recorded requests once at least `count` have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs = 5000): Promise<RecordedRequest[]> {
    if (!this.record)
      return Promise.reject(new Error('waitForRequests() needs a TwilioApi started with record: true'));
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(`expected ${count} request(s) within ${timeoutMs} ms, got ${this.requests.length}`),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops listening and destroys every open connection, keep-alive ones included. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.server.close((err) => {
        if (err) reject(err);
        else resolve();
      });
      this.server.closeAllConnections();
      // The connections are gone, so the delayed handlers find nothing left to answer.
      for (const [timer, wake] of this.timers) {
        clearTimeout(timer);
        wake();
      }
      this.timers.clear();
      for (const waiter of this.waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('TwilioApi closed while waiting for requests'));
      }
      this.waiters.clear();
    });
    return this.closing;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = Date.now();
    this.inFlight += 1;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.inFlight -= 1;
    };
    // Covers connections the client gives up on while the answer is pending.
    res.once('close', settle);

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and discarded, so the 413 reaches a client that is still sending.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', settle);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        // Twilio documents no error code for this; the status stands in, as for faults.
        this.send(res, twilioError(413, 413, 'Request body exceeds 1 MB'), settle);
        return;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        auth: parseBasicAuth(req.headers.authorization),
        form: parseForm(Buffer.concat(chunks, size).toString('utf8')),
        receivedAt,
      };
      void this.handle(recorded, req, res, settle);
    });
  }

  private async handle(
    recorded: RecordedRequest,
    req: IncomingMessage,
    res: ServerResponse,
    settle: () => void,
  ): Promise<void> {
    if (this.record) {
      this.requests.push(recorded);
      this.wakeWaiters();
    }
    this.emit('request', recorded);

    const fault = this.takeFault();
    const delayMs = this.latencyMs + (fault?.delayMs ?? 0);
    if (delayMs > 0) await this.delay(delayMs);
    // Closed meanwhile, or the client went away: the request is over without an answer.
    if (this.closing !== undefined || res.destroyed) {
      settle();
      return;
    }
    if (fault?.drop === true) {
      settle();
      req.socket.destroy();
      return;
    }
    const answer = fault?.status === undefined ? this.route(recorded) : faultAnswer(fault, fault.status);
    recorded.status = answer.status;
    this.send(res, answer, settle);
  }

  private send(res: ServerResponse, answer: Answer, settle: () => void): void {
    settle();
    res.writeHead(answer.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(answer.body),
      ...answer.headers,
    });
    res.end(answer.body);
  }

  private takeFault(): Fault | undefined {
    const next = this.faults[0];
    if (next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) this.faults.shift();
    return next.fault;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  private wakeWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.requests.length < waiter.count) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(this.requests.slice());
    }
  }

  private route(request: RecordedRequest): Answer {
    // Authentication comes before everything else, unknown routes included, as on api.twilio.com.
    const { auth } = request;
    const entry = auth === undefined ? undefined : this.accounts.get(auth.username);
    if (auth === undefined || entry?.account.authToken !== auth.password) return UNAUTHORIZED;

    const path = request.path.split('?', 1)[0] ?? '';
    const { method } = request;
    let match: RegExpExecArray | null = null;
    let kind: 'account' | 'create' | 'fetch' | undefined;
    if (method === 'POST' && (match = MESSAGES_ROUTE.exec(path))) kind = 'create';
    else if (method === 'GET' && (match = MESSAGE_ROUTE.exec(path))) kind = 'fetch';
    else if (method === 'GET' && (match = ACCOUNT_ROUTE.exec(path))) kind = 'account';
    const accountSid = match?.[1];
    if (kind === undefined || accountSid === undefined || !ACCOUNT_SID.test(accountSid))
      return notFound(path);
    // Twilio authenticates against the account in the path: the credentials of another account (even one
    // this sandbox knows) do not authenticate for it.
    if (accountSid !== entry.account.accountSid) return UNAUTHORIZED;

    switch (kind) {
      case 'account':
        return { status: 200, body: entry.json };
      case 'fetch': {
        const message = this.messagesBySid.get(match?.[2] ?? '');
        return message?.account_sid === accountSid
          ? { status: 200, body: JSON.stringify(message) }
          : notFound(path);
      }
      case 'create':
        return this.createMessage(accountSid, request.form);
    }
  }

  /** Validates in Twilio's order; the first failure is the answer. */
  private createMessage(accountSid: string, form: RecordedRequest['form']): Answer {
    const to = field(form, 'To');
    if (to === undefined) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!RECIPIENT.test(to))
      return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    const from = field(form, 'From');
    const serviceSid = field(form, 'MessagingServiceSid');
    if (from === undefined && serviceSid === undefined) {
      return twilioError(400, 21603, "A 'From' phone number is required.");
    }
    if (serviceSid !== undefined && !MESSAGING_SERVICE_SID.test(serviceSid)) {
      // 21705 is Twilio's code for a MessagingServiceSid that does not match the MG pattern (21701 is for
      // a well-formed one that does not exist, which this sandbox never reports).
      return twilioError(400, 21705, `The Messaging Service Sid ${serviceSid} is invalid.`);
    }
    if (from !== undefined && !SENDER.test(from)) {
      return twilioError(
        400,
        21212,
        `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    }
    // With only a Messaging Service, the service picks a sender of the recipient's channel.
    if (from !== undefined && from.startsWith('whatsapp:') !== to.startsWith('whatsapp:')) {
      return twilioError(
        400,
        21910,
        "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel",
      );
    }
    const body = field(form, 'Body') ?? '';
    const media = fieldValues(form, 'MediaUrl');
    if (body === '' && media.length === 0 && field(form, 'ContentSid') === undefined) {
      return twilioError(400, 21602, 'Message body is required.');
    }
    // Counted in UTF-16 code units, what UCS-2 segments are made of, so an emoji counts twice.
    if (body.length > MAX_BODY_CHARS) {
      return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    // The magic numbers fail where delivery would, after the request itself was found valid.
    const magic = MAGIC_RECIPIENTS.get(to)?.(to, from);
    if (magic !== undefined) return twilioError(400, ...magic);

    const sid = `SM${randomBytes(16).toString('hex')}`;
    const now = rfc2822(new Date());
    const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}`;
    const message: SandboxMessage = {
      account_sid: accountSid,
      api_version: API_VERSION,
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: serviceSid ?? null,
      num_media: String(media.length),
      // Twilio's own segment calculator, as the API counts.
      num_segments: String(new SegmentedMessage(body).segmentsCount),
      price: null,
      price_unit: 'USD',
      sid,
      // A message handed to a Messaging Service is 'accepted' until the service has chosen a sender.
      status: serviceSid === undefined ? 'queued' : 'accepted',
      subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
      to,
      uri: `${uri}.json`,
    };
    if (this.record) {
      this.messages.push(message);
      this.messagesBySid.set(sid, message);
    }
    this.emit('message', message);
    return { status: 201, body: JSON.stringify(message) };
  }
}
