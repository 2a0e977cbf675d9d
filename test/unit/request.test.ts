import should from 'should';
import { bindingFailure } from '../support/errors';
import { ErrorCode } from '../../src/binding/errors';
import { bodyText, checkOperation, readRequest } from '../../src/binding/request';

describe('request: bodyText', () => {
  const cases: [string, unknown, string][] = [
    ['a string as it is', 'hello', 'hello'],
    ['a string with quotes as it is', '"quoted"', '"quoted"'],
    ['an integer as its text', 42, '42'],
    ['a float as its text', 1.5, '1.5'],
    ['true as its text', true, 'true'],
    ['false as its text', false, 'false'],
    ['an object as its JSON text', { alert: 'high', value: 3 }, '{"alert":"high","value":3}'],
    ['an array as its JSON text', [1, 'two', null], '[1,"two",null]'],
    ['a Buffer as UTF-8 text', Buffer.from('grüße ✓', 'utf8'), 'grüße ✓'],
    ['a bigint as its text', 12345678901234567890n, '12345678901234567890'],
    ['undefined as nothing', undefined, ''],
    ['null as nothing', null, ''],
    ['an object whose toJSON gives undefined as nothing', { toJSON: () => undefined }, ''],
  ];
  for (const [what, data, text] of cases) {
    it(`sends ${what}`, () => {
      should(bodyText(data)).equal(text);
    });
  }

  it('refuses an object that has no JSON text', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = bindingFailure(() => bodyText(circular));
    should(error.code).equal(ErrorCode.RequestInvalid);
    should(error.message).match(/cannot be written as JSON/);
  });
});

describe('request: checkOperation', () => {
  it('accepts create in any letter case', () => {
    for (const operation of ['create', 'CREATE', 'Create']) should(checkOperation(operation)).equal('create');
  });

  it('refuses every other operation with the supported list', () => {
    for (const [operation, shown] of [
      ['delete', 'delete'],
      ['get', 'get'],
      [7, '7'],
      [{}, '{}'],
    ] as const) {
      const error = bindingFailure(() => checkOperation(operation));
      should(error.code).equal(ErrorCode.OperationUnsupported);
      should(error.message).equal(`unsupported operation "${shown}"; supported operations: create`);
    }
  });
});

describe('request: readRequest, message format', () => {
  it('reads payload, metadata and operation', () => {
    should(
      readRequest({ payload: 'hi', metadata: { toNumber: '+14155550100' }, operation: 'CREATE' }, 'message'),
    ).deepEqual({ operation: 'create', body: 'hi', metadata: { toNumber: '+14155550100' } });
  });

  it('defaults the operation to create and the metadata to none', () => {
    should(readRequest({ payload: 'hi' }, 'message')).deepEqual({
      operation: 'create',
      body: 'hi',
      metadata: {},
    });
    should(readRequest({ payload: 'hi', operation: null, metadata: null }, 'message').operation).equal(
      'create',
    );
  });

  it('refuses another operation', () => {
    should(bindingFailure(() => readRequest({ payload: 'hi', operation: 'list' }, 'message')).code).equal(
      ErrorCode.OperationUnsupported,
    );
  });

  it('ignores unknown metadata keys, including prototype names', () => {
    const metadata = JSON.parse(
      '{"traceparent":"00-abc","__proto__":{"toNumber":"+19999"},"constructor":1}',
    ) as unknown;
    should(readRequest({ payload: 'hi', metadata }, 'message').metadata).deepEqual({});
  });

  it('trims toNumber and treats a blank one as absent', () => {
    should(readRequest({ payload: 'x', metadata: { toNumber: ' +1555 ' } }, 'message').metadata).deepEqual({
      toNumber: '+1555',
    });
    should(readRequest({ payload: 'x', metadata: { toNumber: '  ' } }, 'message').metadata).deepEqual({});
  });

  it('refuses metadata that is not an object, and a toNumber that is not a string', () => {
    for (const metadata of ['+1555', 5, ['+1555']]) {
      const error = bindingFailure(() => readRequest({ payload: 'x', metadata }, 'message'));
      should(error.code).equal(ErrorCode.RequestInvalid);
      should(error.message).match(/^msg\.metadata must be an object/);
    }
    const error = bindingFailure(() =>
      readRequest({ payload: 'x', metadata: { toNumber: 15551230000 } }, 'message'),
    );
    should(error.message).equal('msg.metadata.toNumber must be a string');
  });
});

describe('request: readRequest, dapr format', () => {
  const request = { data: 'hello', metadata: { toNumber: '+14155550100' }, operation: 'create' };

  it('reads a Dapr bindings request object', () => {
    should(readRequest({ payload: request }, 'dapr')).deepEqual({
      operation: 'create',
      body: 'hello',
      metadata: { toNumber: '+14155550100' },
    });
  });

  it('reads its JSON text from a string or a Buffer', () => {
    const text = JSON.stringify(request);
    should(readRequest({ payload: text }, 'dapr').body).equal('hello');
    should(readRequest({ payload: Buffer.from(text) }, 'dapr').body).equal('hello');
  });

  it('unquotes data as Dapr does: JSON strings lose their quotes, other JSON keeps its text', () => {
    const bodies: [string, string][] = [
      ['"hello"', 'hello'],
      ['42', '42'],
      ['true', 'true'],
      ['{"level":"high"}', '{"level":"high"}'],
      ['[1,2]', '[1,2]'],
      ['"say \\"hi\\""', 'say "hi"'],
    ];
    for (const [data, body] of bodies) {
      should(readRequest({ payload: `{"data":${data},"operation":"create"}` }, 'dapr').body).equal(body);
    }
  });

  it("fails a request without an operation with Dapr's message", () => {
    for (const payload of [{ data: 'x' }, { data: 'x', operation: '' }, { data: 'x', operation: null }]) {
      const error = bindingFailure(() => readRequest({ payload }, 'dapr'));
      should(error.code).equal(ErrorCode.OperationMissing);
      should(error.message).equal('operation field is missing from request');
    }
  });

  it('ignores msg.operation and msg.metadata', () => {
    const parsed = readRequest(
      { payload: { data: 'x', operation: 'create' }, operation: 'get', metadata: 5 },
      'dapr',
    );
    should(parsed).deepEqual({ operation: 'create', body: 'x', metadata: {} });
  });

  it('refuses a payload that is not a request', () => {
    for (const payload of ['not json', '"just a string"', '[1]', 42, undefined, null]) {
      const error = bindingFailure(() => readRequest({ payload }, 'dapr'));
      should(error.code).equal(ErrorCode.RequestInvalid);
      should(error.message).match(/^msg\.payload (is not|must be) a Dapr bindings request/);
    }
  });

  it('refuses metadata that is not an object', () => {
    const error = bindingFailure(() =>
      readRequest({ payload: { data: 'x', operation: 'create', metadata: 'm' } }, 'dapr'),
    );
    should(error.message).match(/^metadata must be an object/);
  });
});

describe('request: what the fuzz tests found', () => {
  it('sends a lone surrogate as U+FFFD, so the text sent is the text checked', () => {
    should(bodyText('a\uD800b')).equal('a\uFFFDb');
    should(bodyText('x\uDC00')).equal('x\uFFFD');
    should(bodyText('ok 😀')).equal('ok 😀');
    should(readRequest({ payload: '{"data":"\\ud800","operation":"create"}' }, 'dapr').body).equal('\uFFFD');
  });

  it('names a BigInt or circular operation by its type', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const [operation, shown] of [
      [0n, 'bigint'],
      [circular, 'object'],
    ] as const) {
      const error = bindingFailure(() => checkOperation(operation));
      should(error.code).equal(ErrorCode.OperationUnsupported);
      should(error.message).equal(`unsupported operation "${shown}"; supported operations: create`);
    }
  });
});
