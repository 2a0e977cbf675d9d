import type { CountryCode } from 'libphonenumber-js';
import { BindingError, ErrorCode } from './errors';
import { isCountryCode, normalizePhoneNumber } from './phone';

/** The config node's values as Node-RED stores them: every field may be absent or empty. */
export interface RawMetadata {
  accountSid?: unknown;
  authToken?: unknown;
  fromNumber?: unknown;
  toNumber?: unknown;
  timeout?: unknown;
  apiBaseUrl?: unknown;
  region?: unknown;
  edge?: unknown;
  defaultCountry?: unknown;
  allowedCountries?: unknown;
  allowedPrefixes?: unknown;
  maxSegments?: unknown;
}

/** Component metadata after Dapr's init checks, plus where to reach the API. */
export interface ComponentMetadata {
  accountSid: string;
  authToken: string;
  fromNumber: string;
  /** When set, every message goes here, as in Dapr (unless a binding node allows the request to override it). */
  toNumber: string | undefined;
  timeoutMs: number;
  /** An alternative Twilio-compatible API, without a trailing slash; undefined means Twilio's own. */
  apiBaseUrl: string | undefined;
  region: string | undefined;
  edge: string | undefined;
  /** National numbers are read as numbers of this country. */
  defaultCountry: CountryCode | undefined;
  /** The recipient allowlist: a recipient must be in one of these countries or start with one of the prefixes. */
  allowedCountries: ReadonlySet<CountryCode>;
  allowedPrefixes: readonly string[];
  /** The most segments one message may cost. */
  maxSegments: number;
}

/** The metadata that says which account to use and how to reach its API: what a Twilio client needs. */
export type TwilioConnection = Pick<
  ComponentMetadata,
  'accountSid' | 'authToken' | 'timeoutMs' | 'apiBaseUrl' | 'region' | 'edge'
>;

export const DEFAULT_MAX_SEGMENTS = 10;

/** Dapr documents 30s as the default timeout (its code uses five minutes; the documented value is kinder). */
export const DEFAULT_TIMEOUT = '30s';

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
// Twilio's region and edge names are short lowercase words such as `au1` or `sydney`.
const LOCATION = /^[a-z0-9-]+$/;
// Node-RED replaces a value of the form ${NAME} with that environment variable, and leaves it as it is when
// the variable is not set; sending it on would only fail later, at Twilio, with a confusing error.
const UNSET_ENV_VAR = /^\$\{(\S+)\}$/;

/** Applies Dapr's init checks, in Dapr's order, and fails with the first problem found. */
export function parseMetadata(raw: RawMetadata): ComponentMetadata {
  const fromNumber = required(raw, 'fromNumber');
  const { accountSid, authToken } = parseCredentials(raw);
  const defaultCode = optional(raw, 'defaultCountry');
  const defaultCountry = defaultCode === undefined ? undefined : country(defaultCode, 'defaultCountry');
  const phone = (field: 'fromNumber' | 'toNumber', text: string): string =>
    normalizePhoneNumber(text, {
      field,
      errorCode: ErrorCode.ConfigInvalid,
      defaultCountry,
      sender: field === 'fromNumber',
    });
  const toNumber = optional(raw, 'toNumber');
  return {
    accountSid,
    authToken,
    fromNumber: phone('fromNumber', fromNumber),
    toNumber: toNumber === undefined ? undefined : phone('toNumber', toNumber),
    ...parseEndpoint(raw),
    defaultCountry,
    allowedCountries: new Set(list(raw, 'allowedCountries').map((code) => country(code, 'allowedCountries'))),
    allowedPrefixes: list(raw, 'allowedPrefixes').map(prefix),
    maxSegments: parseMaxSegments(optional(raw, 'maxSegments')),
  };
}

/** Dapr's checks of accountSid and authToken: both required, and the SID well-formed. */
export function parseCredentials(raw: RawMetadata): Pick<TwilioConnection, 'accountSid' | 'authToken'> {
  const accountSid = required(raw, 'accountSid');
  const authToken = required(raw, 'authToken');
  if (!ACCOUNT_SID.test(accountSid)) {
    throw invalid('"accountSid" must be "AC" followed by 32 hexadecimal characters');
  }
  return { accountSid, authToken };
}

/** The checks of where and how long to reach the API: timeout, apiBaseUrl, region and edge, in that order. */
export function parseEndpoint(
  raw: RawMetadata,
): Pick<TwilioConnection, 'timeoutMs' | 'apiBaseUrl' | 'region' | 'edge'> {
  return {
    timeoutMs: parseTimeout(optional(raw, 'timeout') ?? DEFAULT_TIMEOUT),
    apiBaseUrl: parseApiBaseUrl(optional(raw, 'apiBaseUrl')),
    region: location(raw, 'region'),
    edge: location(raw, 'edge'),
  };
}

function country(code: string, field: 'defaultCountry' | 'allowedCountries'): CountryCode {
  const upper = code.toUpperCase();
  if (!isCountryCode(upper))
    throw invalid(`"${field}": "${code}" is not an ISO 3166 country code such as "US"`);
  return upper;
}

/** A comma- or space-separated list, as typed in the editor. */
function list(raw: RawMetadata, field: 'allowedCountries' | 'allowedPrefixes'): string[] {
  return (optional(raw, field) ?? '').split(/[\s,;]+/).filter((item) => item !== '');
}

function prefix(text: string): string {
  if (!/^\+\d{1,14}$/.test(text)) {
    throw invalid(`"allowedPrefixes": "${text}" is not a number prefix such as "+1415" or "+44"`);
  }
  return text;
}

function parseMaxSegments(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_SEGMENTS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw invalid(`"maxSegments" must be a whole number of at least 1; got "${text}"`);
  }
  return value;
}

const GO_DURATION = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const MS_PER_UNIT: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Reads a timeout as Dapr's metadata decoder does: a Go duration (`30s`, `1m30s`, `1500ms`), else a whole
 * number of seconds (`30`). Unlike Dapr, zero and negative values are refused: they would mean "wait forever".
 */
export function parseTimeout(text: string): number {
  const value = text.trim();
  let ms: number;
  if (/^[+-]?\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else if (GO_DURATION.test(value)) {
    ms = 0;
    for (const [, amount, unit] of value.matchAll(GO_DURATION_PART)) {
      ms += Number(amount) * (MS_PER_UNIT[unit ?? ''] ?? 0);
    }
    if (value.startsWith('-')) ms = -ms;
  } else {
    throw invalid(
      `"timeout" must be a duration such as "30s", "2m" or "1500ms", or whole seconds; got "${text}"`,
    );
  }
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw invalid(`"timeout" must be greater than zero; got "${text}"`);
  }
  // The HTTP client counts whole milliseconds; round up so "500us" still waits rather than never.
  return Math.ceil(ms);
}

function parseApiBaseUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`"apiBaseUrl" must be an http or https URL; got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`"apiBaseUrl" must be an http or https URL; got "${text}"`);
  }
  if (url.username || url.password) {
    // Credentials belong in accountSid and authToken, never in a URL that is shown in the editor.
    throw invalid('"apiBaseUrl" must not contain a user name or password');
  }
  return url.href.replace(/\/+$/, '');
}

function required(raw: RawMetadata, field: 'fromNumber' | 'accountSid' | 'authToken'): string {
  const value = optional(raw, field);
  if (value === undefined) throw invalid(`"${field}" is a required field`);
  return value;
}

function location(raw: RawMetadata, field: 'region' | 'edge'): string | undefined {
  const value = optional(raw, field);
  if (value !== undefined && !LOCATION.test(value)) {
    throw invalid(
      `"${field}" must be a Twilio ${field} name such as "${field === 'region' ? 'au1' : 'sydney'}"`,
    );
  }
  return value;
}

/** A field's text, trimmed; undefined when empty. */
function optional(raw: RawMetadata, field: keyof RawMetadata): string | undefined {
  const value = raw[field];
  // Flow files are hand-edited JSON too: a number where a string belongs (`"timeout": 30`) is read as its text.
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  const name = environmentVariableName(text);
  if (name !== undefined)
    throw invalid(`"${field}" names the environment variable ${name}, which is not set`);
  return text === '' ? undefined : text;
}

/** NAME when the whole value is `${NAME}`, the form Node-RED replaces with that environment variable. */
export function environmentVariableName(value: unknown): string | undefined {
  return typeof value === 'string' ? UNSET_ENV_VAR.exec(value.trim())?.[1] : undefined;
}

function invalid(message: string): BindingError {
  return new BindingError(ErrorCode.ConfigInvalid, message);
}
