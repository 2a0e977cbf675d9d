import type { Node } from 'node-red';
import type { BindingError } from './binding/errors';
import { type ComponentMetadata, parseMetadata, type RawMetadata } from './binding/metadata';
import { TwilioMessages } from './twilio/messages';

/** The component metadata that is secret or personal, kept in Node-RED's encrypted credentials file. */
export interface TwilioSmsCredentials {
  accountSid?: string;
  authToken?: string;
  fromNumber?: string;
  toNumber?: string;
}

/** A config node's account: metadata that passed Dapr's init checks, or the reason it did not. */
export type TwilioSmsAccount =
  { metadata: ComponentMetadata; messages: TwilioMessages } | { error: BindingError };

export interface TwilioSmsConfigNode extends Node<TwilioSmsCredentials> {
  account: TwilioSmsAccount;
}

/** Checks the metadata as Dapr's init does; an invalid one becomes the error every msg fails with. */
export function openAccount(raw: RawMetadata): TwilioSmsAccount {
  try {
    const metadata = parseMetadata(raw);
    return { metadata, messages: new TwilioMessages(metadata) };
  } catch (err) {
    return { error: err as BindingError };
  }
}
