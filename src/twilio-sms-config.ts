import type { NodeAPI, NodeDef } from 'node-red';
import { openAccount, type TwilioSmsConfigNode, type TwilioSmsCredentials } from './account';

interface TwilioSmsConfigDef extends NodeDef {
  timeout?: string;
  apiBaseUrl?: string;
  region?: string;
  edge?: string;
}

export = function registerTwilioSmsConfig(RED: NodeAPI): void {
  function TwilioSmsConfig(this: TwilioSmsConfigNode, def: TwilioSmsConfigDef): void {
    RED.nodes.createNode(this, def);
    // Node-RED has already replaced a credential written as ${NAME} with that environment variable.
    const { accountSid, authToken, fromNumber, toNumber } = this.credentials;
    this.account = openAccount({ ...def, accountSid, authToken, fromNumber, toNumber });
    // Never throw from a constructor: the binding nodes show this error and fail each msg with it.
    if ('error' in this.account) this.error(this.account.error.message);
  }

  RED.nodes.registerType<TwilioSmsConfigNode, TwilioSmsConfigDef, unknown, TwilioSmsCredentials>(
    'twilio-sms-config',
    TwilioSmsConfig,
    {
      credentials: {
        accountSid: { type: 'text' },
        authToken: { type: 'password' },
        fromNumber: { type: 'text' },
        toNumber: { type: 'text' },
      },
    },
  );
};
