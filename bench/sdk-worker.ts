/** The baseline: the twilio SDK alone in a plain Node process, as an application would call it. */
import twilio from 'twilio';
import { SANDBOX_ACCOUNT } from '../sandbox/twilio-api';
import { serve } from './rpc';
import { BODY, closedLoop, FROM_NUMBER, timed, type Timing, TO_NUMBER } from './shared';

let client: twilio.Twilio | undefined;

const handlers = {
  /** `total` messages.create calls, `inFlight` at a time. */
  run: ({
    apiUrl,
    total,
    inFlight,
  }: {
    apiUrl: string;
    total: number;
    inFlight: number;
  }): Promise<Timing> => {
    if (client === undefined) {
      client = twilio(SANDBOX_ACCOUNT.accountSid, SANDBOX_ACCOUNT.authToken);
      client.api.baseUrl = apiUrl;
    }
    const messages = client.messages;
    return timed(() =>
      closedLoop(total, inFlight, () => messages.create({ to: TO_NUMBER, from: FROM_NUMBER, body: BODY })),
    );
  },
};
export type SdkWorker = typeof handlers;

serve(handlers, () => Promise.resolve());
