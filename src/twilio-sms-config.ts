import type { NodeAPI, NodeDef } from 'node-red';
import { openAccount, type TwilioSmsConfigNode, type TwilioSmsCredentials } from './account';
import { registerVerifyEndpoint } from './verify';

interface TwilioSmsConfigDef extends NodeDef {
  timeout?: string;
  apiBaseUrl?: string;
  region?: string;
  edge?: string;
  concurrency?: string;
  ratePerSecond?: string;
  queueLimit?: string;
  retries?: string;
  retryAmbiguous?: boolean;
}

export = function registerTwilioSmsConfig(RED: NodeAPI): void {
  function TwilioSmsConfig(this: TwilioSmsConfigNode, def: TwilioSmsConfigDef): void {
    RED.nodes.createNode(this, def);
    // Node-RED has already replaced a credential written as ${NAME} with that environment variable.
    const { accountSid, authToken, fromNumber, toNumber } = this.credentials;
    const account = openAccount({ ...def, accountSid, authToken, fromNumber, toNumber });
    this.account = account;
    if ('error' in account) {
      // Never throw from a constructor: the binding nodes show this error and fail each msg with it.
      this.error(account.error.message);
      return;
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      // Waiting messages fail with ERR_CLOSED; requests in flight finish within Node-RED's close timeout.
      void account.delivery.close().then(done);
    });
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
  // The config dialog's Verify button.
  registerVerifyEndpoint(RED);
};
