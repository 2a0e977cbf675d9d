import type { NodeStatus } from 'node-red';
import type { BindingError } from './binding/errors';
import type { DeliverySnapshot } from './delivery/delivery';

/** What a binding node shows under itself; texts stay short enough for the editor (about 20 characters). */
export type Status = Required<Pick<NodeStatus, 'fill' | 'shape' | 'text'>>;

export const SENT: Status = { fill: 'green', shape: 'dot', text: 'sent' };

/** A red ring with the error's code: Twilio's number, or one of the package's ERR_ codes. */
export function failedStatus(error: BindingError): Status {
  return {
    fill: 'red',
    shape: 'ring',
    text: typeof error.code === 'number' ? `error ${error.code}` : error.code,
  };
}

/** The account's delivery engine while it has work, or undefined when it is idle. */
export function deliveryStatus(snapshot: DeliverySnapshot): Status | undefined {
  if (snapshot.retrying > 0) return { fill: 'yellow', shape: 'ring', text: `retrying ${snapshot.retrying}` };
  if (snapshot.queued > 0) return { fill: 'blue', shape: 'ring', text: `${snapshot.queued} queued` };
  if (snapshot.inFlight > 0) return { fill: 'blue', shape: 'dot', text: 'sending' };
  return undefined;
}

export function sameStatus(a: Status | undefined, b: Status): boolean {
  return a?.fill === b.fill && a.shape === b.shape && a.text === b.text;
}
