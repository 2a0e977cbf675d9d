import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { createMessageParams, type CreateOptions } from './binding/create';
import { BindingError, ErrorCode } from './binding/errors';
import { type InputFormat, readRequest } from './binding/request';
import type { TwilioSmsAccount, TwilioSmsConfigNode } from './account';

interface TwilioSmsBindingDef extends NodeDef {
  account?: string;
  inputFormat?: InputFormat;
  allowRecipientOverride?: boolean;
}

const NO_ACCOUNT: TwilioSmsAccount = {
  error: new BindingError(ErrorCode.ConfigMissing, 'no Twilio SMS account: select a twilio-sms-config node'),
};

export = function registerTwilioSmsBinding(RED: NodeAPI): void {
  function TwilioSmsBinding(this: Node, def: TwilioSmsBindingDef): void {
    RED.nodes.createNode(this, def);
    const configNode = def.account ? (RED.nodes.getNode(def.account) as TwilioSmsConfigNode | null) : null;
    const account = configNode?.account ?? NO_ACCOUNT;
    const format: InputFormat = def.inputFormat === 'dapr' ? 'dapr' : 'message';
    const options: CreateOptions = { allowRecipientOverride: def.allowRecipientOverride === true };

    const showError = (error: BindingError): void => {
      this.status({ fill: 'red', shape: 'ring', text: statusText(error) });
    };
    if ('error' in account) showError(account.error);

    this.on('input', (msg: NodeMessageInFlow, send, done) => {
      // Every path ends in exactly one done(): the returned promise never rejects.
      const create = async (): Promise<void> => {
        if ('error' in account) throw account.error;
        const params = createMessageParams(readRequest(msg, format), account.metadata, options);
        this.status({ fill: 'blue', shape: 'dot', text: 'sending' });
        msg.payload = await account.messages.create(params);
        this.status({ fill: 'green', shape: 'dot', text: 'sent' });
        send(msg);
      };
      create().then(
        () => {
          done();
        },
        (err: unknown) => {
          const error = err instanceof BindingError ? err : new BindingError(ErrorCode.Network, String(err));
          showError(error);
          done(error);
        },
      );
    });
  }

  RED.nodes.registerType('twilio-sms-binding', TwilioSmsBinding);
};

function statusText(error: BindingError): string {
  return typeof error.code === 'number' ? `error ${error.code}` : error.code;
}
