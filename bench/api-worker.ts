/** The local Twilio API, in a process of its own: its CPU time is not taken from the client measured. */
import { TwilioApi } from '../sandbox/twilio-api';
import { serve } from './rpc';

// Not recording: nothing accumulates over tens of thousands of requests.
const started = TwilioApi.start({ record: false });
// When each request arrived, while a measure wants them.
let arrivals: number[] | undefined;
void started.then((api) => {
  api.on('request', (request) => arrivals?.push(request.receivedAt));
});

const handlers = {
  url: async (): Promise<string> => (await started).url,
  setLatency: async (ms: number): Promise<void> => {
    (await started).latencyMs = ms;
  },
  recordArrivals: (): void => {
    arrivals = [];
  },
  /** The `Date.now()` of each request's arrival since recordArrivals(). */
  takeArrivals: (): number[] => {
    const taken = arrivals ?? [];
    arrivals = undefined;
    return taken;
  },
};
export type ApiWorker = typeof handlers;

serve(handlers, async () => (await started).close());
