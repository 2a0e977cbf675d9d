import should from 'should';
import type { TwilioApi } from '../../sandbox/twilio-api';
import { DEFAULT_CREDENTIALS, TestFlow, useTwilioApi } from '../support/flow';

function errorOf(outcome: { kind: string; msg: Record<string, unknown> }): {
  code: unknown;
  message: string;
} {
  should(outcome.kind).equal('failed');
  return outcome.msg.error as { code: unknown; message: string };
}

describe('safe by default, in Node-RED against the local Twilio API', function () {
  const sandbox = useTwilioApi();
  let api: TwilioApi;
  beforeEach(() => {
    api = sandbox.api;
  });

  it('reports the encoding and segment count of each sent msg in msg.sms', async () => {
    const flow = await TestFlow.load(api.url);
    const gsm = await flow.run({ payload: 'a'.repeat(161), metadata: { toNumber: '+14155550101' } });
    const ucs = await flow.run({ payload: 'Grüße 👋', metadata: { toNumber: '+14155550101' } });
    should(gsm.msg.sms).deepEqual({ encoding: 'GSM-7', segments: 2 });
    should(ucs.msg.sms).deepEqual({ encoding: 'UCS-2', segments: 1 });
    // The sandbox counts with the same calculator, as Twilio does.
    should(api.messages.map((m) => m.num_segments)).deepEqual(['2', '1']);
  });

  it('normalises a national recipient with the default country, and keeps whatsapp:', async () => {
    const flow = await TestFlow.load(api.url, {
      config: { defaultCountry: 'US' },
      credentials: { ...DEFAULT_CREDENTIALS, fromNumber: 'whatsapp:+15005550006' },
    });
    await flow.run({ payload: 'x', metadata: { toNumber: 'whatsapp:(415) 555-0101' } });
    should(api.requests[0]?.form).containEql({ To: 'whatsapp:+14155550101', From: 'whatsapp:+15005550006' });
  });

  it('refuses an invalid recipient with ERR_BAD_NUMBER and sends nothing', async () => {
    const flow = await TestFlow.load(api.url);
    const error = errorOf(await flow.run({ payload: 'x', metadata: { toNumber: '111-111-1111' } }));
    should(error.code).equal('ERR_BAD_NUMBER');
    should(error.message).match(/^"metadata\.toNumber" 1\*\*-\*\*\*-1111 is not a valid phone number/);
    should(api.requests).have.length(0);
  });

  it("limits recipients chosen by the message to the fromNumber's country without an allowlist", async () => {
    const flow = await TestFlow.load(api.url);
    const error = errorOf(await flow.run({ payload: 'pump', metadata: { toNumber: '+447400123456' } }));
    should(error.code).equal('ERR_NOT_ALLOWED');
    should(error.message).match(/\+4\*+3456/);
    should(error.message).not.containEql('+447400123456');
    should(flow.lastStatus()).deepEqual({ fill: 'red', shape: 'ring', text: 'ERR_NOT_ALLOWED' });
    should(api.requests).have.length(0);
  });

  it('applies the allowlist of countries and prefixes', async () => {
    const flow = await TestFlow.load(api.url, {
      config: { allowedCountries: 'GB', allowedPrefixes: '+1415' },
    });
    const outcomes = await flow.runAll(
      ['+447400123456', '+14155550101', '+12025550123'].map((toNumber) => ({
        payload: 'x',
        metadata: { toNumber },
      })),
    );
    should(outcomes.map((o) => o.kind)).deepEqual(['sent', 'sent', 'failed']);
    should(errorOf(outcomes[2] ?? { kind: '', msg: {} }).code).equal('ERR_NOT_ALLOWED');
    should(api.requests.map((r) => r.form.To).sort()).deepEqual(['+14155550101', '+447400123456']);
  });

  it('fails a body over maxSegments with ERR_MAX_SEGMENTS before sending', async () => {
    const flow = await TestFlow.load(api.url, { config: { maxSegments: '2' } });
    const error = errorOf(
      await flow.run({ payload: 'ж'.repeat(135), metadata: { toNumber: '+14155550101' } }),
    );
    should(error.code).equal('ERR_MAX_SEGMENTS');
    should(api.requests).have.length(0);
  });
});
