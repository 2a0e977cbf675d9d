import { join } from 'node:path';
import should from 'should';
import { BindingError, ErrorCode } from '../../src/binding/errors';
import {
  deliveryStatus,
  failedStatus,
  interpolate,
  readCatalog,
  sameStatus,
  sentStatus,
  statusTranslator,
} from '../../src/status';

const EN = readCatalog(join(__dirname, '../../nodes/locales/en-US/twilio-sms-binding.json'));
const DE = readCatalog(join(__dirname, '../../nodes/locales/de/twilio-sms-binding.json'));
// node-red-node-test-helper's RED._: every key is its own text.
const noCatalog = (key: string): string => key;
const snapshot = { queued: 0, inFlight: 0, retrying: 0, sent: 0, failed: 0 };

describe('status: texts from the message catalog', () => {
  it('falls back to the en-US catalog where RED._ has no text', () => {
    const t = statusTranslator(noCatalog, EN);
    should(sentStatus(t)).deepEqual({ fill: 'green', shape: 'dot', text: 'sent' });
    should(deliveryStatus({ ...snapshot, queued: 2 }, t)).deepEqual({
      fill: 'blue',
      shape: 'ring',
      text: '2 queued',
    });
    should(deliveryStatus({ ...snapshot, retrying: 1, queued: 3 }, t)).deepEqual({
      fill: 'yellow',
      shape: 'ring',
      text: 'retrying 1',
    });
    should(deliveryStatus({ ...snapshot, inFlight: 1 }, t)).deepEqual({
      fill: 'blue',
      shape: 'dot',
      text: 'sending',
    });
    should(deliveryStatus(snapshot, t)).be.undefined();
  });

  it("prefers RED._'s text, in the runtime's language", () => {
    const german = (key: string, substitutions?: Record<string, string | number>): string => {
      const text = key
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], DE);
      return interpolate(String(text), substitutions);
    };
    const t = statusTranslator(german, EN);
    should(failedStatus(new BindingError(21211, 'x'), t).text).equal('Fehler 21211');
    should(failedStatus(new BindingError(21211, 'x'), statusTranslator(noCatalog, EN)).text).equal(
      'error 21211',
    );
  });

  it('shows the package codes as they are, in every language', () => {
    const t = statusTranslator(noCatalog, EN);
    should(failedStatus(new BindingError(ErrorCode.ConfigInvalid, 'x'), t)).deepEqual({
      fill: 'red',
      shape: 'ring',
      text: 'ERR_BAD_CONFIG',
    });
  });

  it('shows the key itself when no catalog has it', () => {
    should(sentStatus(statusTranslator(noCatalog, undefined)).text).equal('sent');
    should(readCatalog('/nonexistent/catalog.json')).be.undefined();
  });

  it('interpolates __name__ placeholders and leaves unknown ones', () => {
    should(interpolate('__count__ queued, __other__', { count: 3 })).equal('3 queued, __other__');
  });

  it('compares statuses by fill, shape and text', () => {
    should(sameStatus(undefined, { fill: 'green', shape: 'dot', text: 'sent' })).be.false();
    should(
      sameStatus(
        { fill: 'green', shape: 'dot', text: 'sent' },
        { fill: 'green', shape: 'dot', text: 'sent' },
      ),
    ).be.true();
    should(
      sameStatus(
        { fill: 'green', shape: 'dot', text: 'sent' },
        { fill: 'green', shape: 'ring', text: 'sent' },
      ),
    ).be.false();
  });
});
