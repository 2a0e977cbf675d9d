import { join } from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { TwilioSmsAccount, TwilioSmsConfigNode } from './account';
import { type CreateOptions, prepareMessage } from './binding/create';
import { BindingError, ErrorCode } from './binding/errors';
import { type InputFormat, readRequest } from './binding/request';
import {
  deliveryStatus,
  failedStatus,
  readCatalog,
  sameStatus,
  sentStatus,
  type Status,
  statusTranslator,
} from './status';

interface TwilioSmsBindingDef extends NodeDef {
  account?: string;
  inputFormat?: InputFormat;
  allowRecipientOverride?: boolean;
}

// Error messages stay English in every language, unlike the status texts: they are the binding's API
// contract (Dapr's exact messages such as `"fromNumber" is a required field`, and the package's own), which
// flows, Catch nodes and Dapr clients may match on.
const NO_ACCOUNT: TwilioSmsAccount = {
  error: new BindingError(ErrorCode.ConfigMissing, 'no Twilio SMS account: select a twilio-sms-config node'),
};

// The engine's state is shown at most this often: a burst of messages must not flood the editor.
const STATUS_INTERVAL_MS = 250;

export = function registerTwilioSmsBinding(RED: NodeAPI): void {
  // Status texts come from nodes/locales/<lang>/twilio-sms-binding.json in the runtime's language; the
  // en-US catalog is the fallback where RED._ has none (node-red-node-test-helper's RED._ returns the key).
  const t = statusTranslator(
    RED._,
    readCatalog(join(__dirname, 'locales', 'en-US', 'twilio-sms-binding.json')),
  );

  function TwilioSmsBinding(this: Node, def: TwilioSmsBindingDef): void {
    RED.nodes.createNode(this, def);
    const configNode = def.account ? (RED.nodes.getNode(def.account) as TwilioSmsConfigNode | null) : null;
    const account = configNode?.account ?? NO_ACCOUNT;
    const format: InputFormat = def.inputFormat === 'dapr' ? 'dapr' : 'message';
    const options: CreateOptions = { allowRecipientOverride: def.allowRecipientOverride === true };

    let shown: Status | undefined;
    const show = (status: Status): void => {
      if (sameStatus(shown, status)) return;
      shown = status;
      this.status(status);
    };

    if ('error' in account) {
      show(failedStatus(account.error, t));
      this.on('input', (_msg, _send, done) => {
        done(account.error);
      });
      return;
    }

    // Translated once: it is shown after every message sent.
    const sent = sentStatus(t);
    let statusTimer: NodeJS.Timeout | undefined;
    const onDeliveryChange = (): void => {
      statusTimer ??= setTimeout(() => {
        statusTimer = undefined;
        const busy = deliveryStatus(account.delivery.snapshot(), t);
        if (busy !== undefined) show(busy);
      }, STATUS_INTERVAL_MS);
    };
    account.delivery.on('change', onDeliveryChange);

    // Messages taken in and not yet done: a close waits for them, so each gets exactly one done().
    let pending = 0;
    let closed: (() => void) | undefined;

    this.on('input', (msg: NodeMessageInFlow, send, done) => {
      pending++;
      const create = async (): Promise<void> => {
        const { params, segments } = prepareMessage(readRequest(msg, format), account.metadata, options);
        msg.payload = await account.send(params, this);
        // Computed before sending, with Twilio's own calculator: what the message costs.
        (msg as NodeMessageInFlow & { sms?: unknown }).sms = segments;
        show(sent);
        send(msg);
      };
      create()
        .then(
          () => {
            done();
          },
          (err: unknown) => {
            const error =
              err instanceof BindingError ? err : new BindingError(ErrorCode.Internal, String(err));
            show(failedStatus(error, t));
            done(error);
          },
        )
        .finally(() => {
          if (--pending === 0) closed?.();
        });
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      account.delivery.off('change', onDeliveryChange);
      clearTimeout(statusTimer);
      // Waiting messages fail with ERR_CLOSED now; those in flight finish and report as usual.
      account.delivery.cancel(this);
      if (pending === 0) done();
      else closed = done;
    });
  }

  RED.nodes.registerType('twilio-sms-binding', TwilioSmsBinding);
};
