import { readFileSync } from 'node:fs';
import type { NodeStatus } from 'node-red';
import type { BindingError } from './binding/errors';
import type { DeliverySnapshot } from './delivery/delivery';

/** What a binding node shows under itself; texts stay short enough for the editor (about 20 characters). */
export type Status = Required<Pick<NodeStatus, 'fill' | 'shape' | 'text'>>;

/** The status texts of the message catalog, under `twilio-sms-binding.status` in nodes/locales/<lang>/. */
export type StatusKey = 'sent' | 'queued' | 'retrying' | 'sending' | 'twilioError';

/** Values for a text's `__name__` placeholders, as Node-RED's i18next writes them. */
export type Substitutions = Readonly<Record<string, string | number>>;

/** Gives the text of a status key in the runtime's language. */
export type Translate = (key: StatusKey, substitutions?: Substitutions) => string;

/** Where the status texts live in the binding node's message catalog. */
export const STATUS_CATALOG_PREFIX = 'twilio-sms-binding.status.';

export function sentStatus(t: Translate): Status {
  return { fill: 'green', shape: 'dot', text: t('sent') };
}

/** A red ring with the error's code: `error 21211` for Twilio's numbers, the package's ERR_ codes as they are. */
export function failedStatus(error: BindingError, t: Translate): Status {
  return {
    fill: 'red',
    shape: 'ring',
    // The ERR_ codes are identifiers documented in the README and the help, the same in every language.
    text: typeof error.code === 'number' ? t('twilioError', { code: error.code }) : error.code,
  };
}

/** The account's delivery engine while it has work, or undefined when it is idle. */
export function deliveryStatus(snapshot: DeliverySnapshot, t: Translate): Status | undefined {
  if (snapshot.retrying > 0) {
    return { fill: 'yellow', shape: 'ring', text: t('retrying', { count: snapshot.retrying }) };
  }
  if (snapshot.queued > 0)
    return { fill: 'blue', shape: 'ring', text: t('queued', { count: snapshot.queued }) };
  if (snapshot.inFlight > 0) return { fill: 'blue', shape: 'dot', text: t('sending') };
  return undefined;
}

export function sameStatus(a: Status | undefined, b: Status): boolean {
  return a?.fill === b.fill && a.shape === b.shape && a.text === b.text;
}

/**
 * The status texts through Node-RED's `RED._` (i18next: the runtime's language, falling back to en-US),
 * and from `fallback`, a parsed catalog such as nodes/locales/en-US/twilio-sms-binding.json, wherever
 * `RED._` has no text: it answers a key it does not know with the key itself, and node-red-node-test-helper
 * replaces it with `key => key`, without loading any catalog.
 */
export function statusTranslator(
  lookup: (key: string, substitutions?: Substitutions) => unknown,
  fallback: unknown,
): Translate {
  return (key, substitutions) => {
    const fullKey = STATUS_CATALOG_PREFIX + key;
    const text = lookup(fullKey, substitutions);
    if (typeof text === 'string' && text !== '' && !text.endsWith(fullKey)) return text;
    const template = catalogText(fallback, fullKey);
    return template === undefined ? key : interpolate(template, substitutions);
  };
}

/** A message catalog file, parsed; undefined when it cannot be read (the status texts are then their keys). */
export function readCatalog(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The string at a dotted key of a catalog, or undefined. */
function catalogText(catalog: unknown, key: string): string | undefined {
  let node: unknown = catalog;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Fills in `__name__` placeholders as Node-RED's i18next does; unknown ones stay as they are. */
export function interpolate(template: string, substitutions: Substitutions = {}): string {
  return template.replace(/__(\w+)__/g, (placeholder, name: string) =>
    Object.hasOwn(substitutions, name) ? String(substitutions[name]) : placeholder,
  );
}
