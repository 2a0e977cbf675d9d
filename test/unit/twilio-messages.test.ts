import should from 'should';
import { BindingError, ErrorCode } from '../../src/binding/errors';
import { answerError, classifyFailure, parseRetryAfter, toBindingError } from '../../src/twilio/messages';

describe('twilio: answerError', () => {
  it("keeps Twilio's code, message, status and link", () => {
    const error = answerError(
      400,
      {
        code: 21211,
        message: "The 'To' number 5 is not a valid phone number.",
        more_info: 'https://x/21211',
        status: 400,
      },
      {},
    );
    should(error).match({ code: 21211, status: 400, moreInfo: 'https://x/21211', retryAfterMs: undefined });
    should(error.message).equal(
      "The 'To' number 5 is not a valid phone number. (HTTP 400, Twilio error 21211, https://x/21211)",
    );
  });

  it('reads a JSON body that arrives as text', () => {
    should(answerError(401, '{"code":20003,"message":"Authenticate"}', {}).code).equal(20003);
  });

  it('uses ERR_TWILIO_HTTP for an answer without a Twilio code', () => {
    const error = answerError(502, '<html>Bad gateway</html>', {});
    should(error.code).equal(ErrorCode.TwilioHttp);
    should(error.message).equal('request failed (HTTP 502)');
  });

  it('reads Retry-After on a 429 only', () => {
    should(
      answerError(429, { code: 20429, message: 'Too Many Requests' }, { 'retry-after': '2' }).retryAfterMs,
    ).equal(2000);
    should(answerError(503, { code: 20500 }, { 'retry-after': '2' }).retryAfterMs).be.undefined();
  });
});

describe('twilio: parseRetryAfter', () => {
  const now = Date.parse('2026-12-03T18:00:00Z');
  it('reads delay-seconds', () => {
    should(parseRetryAfter('0', now)).equal(0);
    should(parseRetryAfter(' 120 ', now)).equal(120_000);
  });
  it('reads an HTTP date, never below zero', () => {
    should(parseRetryAfter('Thu, 03 Dec 2026 18:00:05 GMT', now)).equal(5000);
    should(parseRetryAfter('Thu, 03 Dec 2026 17:00:00 GMT', now)).equal(0);
  });
  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', 'soon', '-1', 3, ['1']])
      should(parseRetryAfter(value, now)).be.undefined();
  });
});

describe('twilio: toBindingError', () => {
  it('passes BindingErrors through', () => {
    const error = new BindingError(21211, 'x');
    should(toBindingError(error, 1000)).equal(error);
  });

  it('reports timeouts as ERR_TIMEOUT with the timeout used', () => {
    for (const err of [
      Object.assign(new Error('timeout of 1000ms exceeded'), { code: 'ECONNABORTED' }),
      Object.assign(new Error('x'), { code: 'ETIMEDOUT' }),
    ]) {
      const error = toBindingError(err, 1000);
      should(error.code).equal(ErrorCode.Timeout);
      should(error.message).equal(
        'no answer from the Twilio API within 1000 ms; the message may have been sent',
      );
    }
  });

  it('tells a refused connection (nothing sent) from a broken one (maybe sent)', () => {
    should(toBindingError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 1).code).equal(
      ErrorCode.ConnectFailed,
    );
    should(toBindingError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 1).code).equal(
      ErrorCode.ConnectFailed,
    );
    const broken = toBindingError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 1);
    should(broken.code).equal(ErrorCode.Network);
    should(broken.message).equal(
      'the connection to the Twilio API broke (ECONNRESET); the message may have been sent',
    );
  });

  it('keeps nothing of the failed request, so its Authorization header cannot leak', () => {
    const axiosLike = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: 'Basic c2VjcmV0OnRva2Vu' } },
    });
    const error = toBindingError(axiosLike, 1);
    should(JSON.stringify([error.message, Object.entries(error)])).not.containEql('c2VjcmV0');
    should(error.cause).be.undefined();
  });
});

describe('twilio: classifyFailure', () => {
  it('retries where Twilio surely created nothing: 429 (with its Retry-After) and no connection', () => {
    should(classifyFailure(answerError(429, { code: 20429 }, { 'retry-after': '1' }))).deepEqual({
      kind: 'not-sent',
      retryAfterMs: 1000,
    });
    should(classifyFailure(answerError(429, { code: 20429 }, {}))).deepEqual({ kind: 'not-sent' });
    should(classifyFailure(new BindingError(ErrorCode.ConnectFailed, 'x'))).deepEqual({ kind: 'not-sent' });
  });

  it('calls timeouts, broken connections and 5xx ambiguous', () => {
    for (const error of [
      new BindingError(ErrorCode.Timeout, 'x'),
      new BindingError(ErrorCode.Network, 'x'),
      answerError(500, { code: 20500 }, {}),
      answerError(503, 'down', {}),
    ]) {
      should(classifyFailure(error)).deepEqual({ kind: 'ambiguous' });
    }
  });

  it('calls every other answer rejected', () => {
    for (const error of [
      answerError(400, { code: 21211 }, {}),
      answerError(401, { code: 20003 }, {}),
      new Error('x'),
    ]) {
      should(classifyFailure(error)).deepEqual({ kind: 'rejected' });
    }
  });
});
