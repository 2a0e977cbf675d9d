/**
 * The config dialog's "Verify" check: are these credentials good for this API? One admin endpoint,
 *
 *   POST /twilio-sms-config/verify   (permission twilio-sms-config.write)
 *   body {id?, accountSid?, authToken?, apiBaseUrl?, region?, edge?, timeout?}
 *
 * answered with one `GET /2010-04-01/Accounts/{accountSid}.json`, and
 *
 *   200 {friendlyName, status, type}        the account; never anything else of Twilio's answer
 *   4xx/5xx {error: {code, message}}        code: Twilio's number (20003, ...) or an ErrorCode
 *
 * HTTP statuses of the failures, chosen so that the editor can tell them apart:
 * - 400: the values were refused before any request was made (ERR_BAD_REQUEST, ERR_BAD_CONFIG); the API
 *   was not called.
 * - 422: the API answered with a 4xx error: wrong credentials (20003), unknown account (20404), ...
 *   Never 401 nor 403: those are Node-RED's own answers, "log in" and "not allowed" (Node-RED 4 even
 *   answers 401 to a logged-in user without the permission), and the editor reacts to a 401 by asking to
 *   log in again. Wrong Twilio credentials are a fact about the values sent, not about the session.
 * - 429: the API answered 429; try again later.
 * - 502: no usable answer: a 5xx from the API, no connection (ERR_CONNECT), a broken one (ERR_NETWORK),
 *   a 200 that is not the account asked for (ERR_TWILIO_HTTP).
 * - 504: no answer within the timeout (ERR_TIMEOUT).
 * - 500: a bug (ERR_INTERNAL).
 *
 * The auth token is never part of an answer or a log line: not Twilio's `auth_token`, not the one sent.
 */
import type { Request, Response } from 'express';
import type { Node, NodeAPI } from 'node-red';
import type { TwilioSmsCredentials } from './account';
import { BindingError, ErrorCode, type LocalErrorCode } from './binding/errors';
import {
  environmentVariableName,
  parseCredentials,
  parseEndpoint,
  type TwilioConnection,
} from './binding/metadata';
import { type AccountResource, type FetchAccount, fetchAccount } from './twilio/accounts';

export const VERIFY_PATH = '/twilio-sms-config/verify';
export const VERIFY_PERMISSION = 'twilio-sms-config.write';
const CONFIG_TYPE = 'twilio-sms-config';

/** What the editor puts in a password field whose value is saved on the server: "keep the saved one". */
export const PASSWORD_PLACEHOLDER = '__PWRD__';

/** The account, as the editor shows it. */
export interface AccountSummary {
  friendlyName: string | null;
  status: string | null;
  type: string | null;
}

export interface VerifyFailure {
  error: { code: LocalErrorCode | number; message: string };
}

export interface VerifyAnswer {
  status: number;
  body: AccountSummary | VerifyFailure;
}

/** A config node's saved credentials. */
export interface SavedCredentials {
  /** As stored (`RED.nodes.getCredentials`): a `${NAME}` is still the reference. */
  stored: TwilioSmsCredentials;
  /** As the running node uses them, `${NAME}` replaced by Node-RED; undefined when the node is not running. */
  running: TwilioSmsCredentials | undefined;
}

export interface VerifyContext {
  /** The saved credentials of the config node `id`; undefined when there are none. */
  savedCredentials: (id: string) => SavedCredentials | undefined;
  fetchAccount: FetchAccount;
}

/** The request body: the values typed in the dialog, and the id of the config node being edited. */
export interface VerifyRequest {
  id?: string | undefined;
  accountSid?: string | undefined;
  authToken?: string | undefined;
  apiBaseUrl?: string | undefined;
  region?: string | undefined;
  edge?: string | undefined;
  timeout?: string | number | undefined;
}

/** Answers one verify request; never rejects. */
export async function verify(body: unknown, context: VerifyContext): Promise<VerifyAnswer> {
  // Every token that may be in play, to be blanked out of any message that would leave.
  const secrets: string[] = [];
  try {
    const request = readBody(body);
    if (typeof request.authToken === 'string') secrets.push(request.authToken);
    const id = nonEmpty(request.id);
    const saved = id === undefined ? undefined : context.savedCredentials(id);
    for (const credentials of [saved?.stored, saved?.running]) {
      if (credentials?.authToken !== undefined) secrets.push(credentials.authToken);
    }
    const connection = resolveConnection(request, saved);
    let account: AccountResource;
    try {
      account = await context.fetchAccount(connection);
    } catch (err) {
      // Anything but a BindingError is a bug, reported as ERR_INTERNAL below.
      if (err instanceof BindingError) return failure(httpStatus(err), err.code, err.message, secrets);
      throw err;
    }
    if (account.sid !== connection.accountSid) {
      // A 200 from something else at that URL (a web page, another API): not a verified account.
      return failure(
        502,
        ErrorCode.TwilioHttp,
        'the API answered, but not with the account: is the API URL right?',
        secrets,
      );
    }
    return { status: 200, body: summarize(account) };
  } catch (err) {
    if (err instanceof BindingError) return failure(400, err.code, err.message, secrets);
    const message = err instanceof Error ? err.message : String(err);
    return failure(500, ErrorCode.Internal, `the check failed: ${message}`, secrets);
  }
}

function readBody(body: unknown): VerifyRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BindingError(ErrorCode.RequestInvalid, 'the request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  // null is what the editor's JSON gives for a value it does not have: the same as leaving it out.
  const text = (field: Exclude<keyof VerifyRequest, 'timeout'>): string | undefined => {
    const value = fields[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    throw new BindingError(ErrorCode.RequestInvalid, `"${field}" must be a string`);
  };
  const timeout = fields.timeout ?? undefined;
  if (timeout !== undefined && typeof timeout !== 'string' && typeof timeout !== 'number') {
    throw new BindingError(ErrorCode.RequestInvalid, '"timeout" must be a string or a number');
  }
  return {
    id: text('id'),
    accountSid: text('accountSid'),
    authToken: text('authToken'),
    apiBaseUrl: text('apiBaseUrl'),
    region: text('region'),
    edge: text('edge'),
    timeout,
  };
}

/**
 * The values to check: those typed in the dialog, else the saved ones. The auth token is taken from the
 * saved credentials when it is missing, empty or the editor's placeholder; the Account SID, a text
 * credential that the editor always has, only when it is missing (an empty one is an empty one).
 */
export function resolveConnection(
  request: VerifyRequest,
  saved: SavedCredentials | undefined,
): TwilioConnection {
  const accountSid = credential('accountSid', request.accountSid, saved);
  const token = nonEmpty(request.authToken);
  const authToken = credential('authToken', token === PASSWORD_PLACEHOLDER ? undefined : token, saved);
  for (const field of ['apiBaseUrl', 'region', 'edge', 'timeout'] as const) {
    const name = environmentVariableName(request[field]);
    if (name !== undefined) {
      throw new BindingError(
        ErrorCode.ConfigInvalid,
        `"${field}" names the environment variable ${name}: Verify checks typed values only; type the value itself`,
      );
    }
  }
  // The same checks, in the same order, as the config node's own start.
  return {
    ...parseCredentials({ accountSid, authToken }),
    ...parseEndpoint({
      apiBaseUrl: request.apiBaseUrl,
      region: request.region,
      edge: request.edge,
      timeout: request.timeout,
    }),
  };
}

/** A typed credential, or the saved one when none was typed (undefined). */
function credential(
  field: 'accountSid' | 'authToken',
  typed: string | undefined,
  saved: SavedCredentials | undefined,
): string | undefined {
  if (typed === undefined) return (saved?.running ?? saved?.stored)?.[field];
  const name = environmentVariableName(typed);
  if (name === undefined) return typed;
  // The saved `${NAME}` itself, sent back by the editor: the running node has its value.
  const running = saved?.running?.[field];
  if (running !== undefined && typed.trim() === saved?.stored[field]?.trim()) return running;
  // Reading the server's environment for a typed reference would let the dialog send any variable to any
  // API URL; only the values of a deployed config node are used.
  throw new BindingError(
    ErrorCode.ConfigInvalid,
    `"${field}" names the environment variable ${name}: Verify reads it only from a deployed config node; deploy first`,
  );
}

/** The fields the editor shows, and only those: Twilio's answer also holds the auth token. */
export function summarize(account: AccountResource): AccountSummary {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    friendlyName: text(account.friendlyName),
    status: text(account.status),
    type: text(account.type),
  };
}

/** The HTTP status for a failure of the request to the API; see the module comment. */
export function httpStatus(err: BindingError): number {
  const status = err.status;
  if (status !== undefined) {
    if (status === 429) return 429;
    if (status >= 400 && status < 500) return 422;
    return 502;
  }
  switch (err.code) {
    case ErrorCode.Timeout:
      return 504;
    case ErrorCode.ConnectFailed:
    case ErrorCode.Network:
      return 502;
    case ErrorCode.ConfigInvalid:
    case ErrorCode.RequestInvalid:
      return 400;
    default:
      return 500;
  }
}

function failure(
  status: number,
  code: LocalErrorCode | number,
  message: string,
  secrets: readonly string[],
): VerifyAnswer {
  let text = message;
  for (const secret of secrets) if (secret !== '') text = text.split(secret).join('********');
  return { status, body: { error: { code, message: text } } };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() === '' ? undefined : value;
}

/** The saved credentials of config node `id`, from the Node-RED runtime; none for a node of another type. */
export function savedCredentialsOf(RED: NodeAPI, id: string): SavedCredentials | undefined {
  // getNode answers null for a node that is not running (not deployed yet, disabled).
  const node = RED.nodes.getNode(id) as Node<TwilioSmsCredentials> | null;
  if (node !== null && node.type !== CONFIG_TYPE) return undefined;
  const stored = RED.nodes.getCredentials(id) as TwilioSmsCredentials | undefined;
  if (stored === undefined) return undefined;
  return { stored, running: node?.credentials };
}

/** Registers the endpoint; called once, when the config node module is loaded. */
export function registerVerifyEndpoint(RED: NodeAPI): void {
  const context: VerifyContext = { savedCredentials: (id) => savedCredentialsOf(RED, id), fetchAccount };
  RED.httpAdmin.post(
    VERIFY_PATH,
    RED.auth.needsPermission(VERIFY_PERMISSION),
    (req: Request, res: Response) => {
      // RED.httpAdmin has parsed the JSON body already.
      void verify(req.body, context)
        .then((answer) => {
          // An answer about credentials is never to be cached.
          res.set('Cache-Control', 'no-store').status(answer.status).json(answer.body);
          if (answer.status === 500 && 'error' in answer.body) {
            RED.log.error(`twilio-sms-config verify: ${answer.body.error.message}`);
          }
        })
        .catch((err: unknown) => {
          RED.log.error(`twilio-sms-config verify: ${err instanceof Error ? err.message : String(err)}`);
        });
    },
  );
}
