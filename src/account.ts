import type { Node } from 'node-red';
import type { CreateMessageParams } from './binding/create';
import type { BindingError } from './binding/errors';
import { type ComponentMetadata, parseMetadata, type RawMetadata } from './binding/metadata';
import { Delivery } from './delivery/delivery';
import type { RawDeliveryOptions } from './delivery/options';
import { classifyFailure, type MessageResource, TwilioMessages } from './twilio/messages';

/** The component metadata that is secret or personal, kept in Node-RED's encrypted credentials file. */
export interface TwilioSmsCredentials {
  accountSid?: string;
  authToken?: string;
  fromNumber?: string;
  toNumber?: string;
}

/** One Twilio account: its metadata, and the delivery engine that every binding node using it shares. */
export class SmsAccount {
  readonly delivery: Delivery<MessageResource>;
  private readonly messages: TwilioMessages;

  /** Throws a BindingError (ERR_BAD_CONFIG) for invalid delivery options. */
  constructor(
    readonly metadata: ComponentMetadata,
    deliveryOptions: RawDeliveryOptions,
  ) {
    this.delivery = new Delivery<MessageResource>(deliveryOptions, classifyFailure);
    // Every binding node using the account listens for the engine's state.
    this.delivery.setMaxListeners(0);
    this.messages = new TwilioMessages(metadata);
  }

  /** Queues one message; `owner` is the binding node, whose waiting messages cancel() fails. */
  send(params: CreateMessageParams, owner: object): Promise<MessageResource> {
    return this.delivery.submit(() => this.messages.create(params), owner);
  }
}

/** A config node's account, or the reason its metadata did not pass Dapr's init checks. */
export type TwilioSmsAccount = SmsAccount | { error: BindingError };

export interface TwilioSmsConfigNode extends Node<TwilioSmsCredentials> {
  account: TwilioSmsAccount;
}

/** Checks the metadata as Dapr's init does; an invalid one becomes the error every msg fails with. */
export function openAccount(raw: RawMetadata & RawDeliveryOptions): TwilioSmsAccount {
  try {
    return new SmsAccount(parseMetadata(raw), raw);
  } catch (err) {
    return { error: err as BindingError };
  }
}
