/**
 * Property-based tests of the binding node: arbitrary msgs go into a node deployed once per property
 * against the local Twilio API, and each msg must get exactly one done, send nothing unless it passed the
 * local checks, and send exactly what the pure functions (readRequest + prepareMessage) compute for it.
 */
import fc from 'fast-check';
import type { Node } from 'node-red';
import should from 'should';
import type { SinonSpy, SinonSpyCall } from 'sinon';
import { type CreateOptions, type PreparedMessage, prepareMessage } from '../../src/binding/create';
import { BindingError } from '../../src/binding/errors';
import { type ComponentMetadata, parseMetadata } from '../../src/binding/metadata';
import { type InputFormat, readRequest } from '../../src/binding/request';
import type { TwilioApi } from '../../sandbox/twilio-api';
import { DEFAULT_CREDENTIALS, helper, TestFlow, TO_NUMBER, useTwilioApi } from '../support/flow';

/** The codes of failures found before anything is sent: a msg failing with one never reaches the API. */
const LOCAL_CODES = new Set([
  'ERR_BAD_REQUEST',
  'ERR_EMPTY_BODY',
  'ERR_BODY_TOO_LONG',
  'ERR_MAX_SEGMENTS',
  'ERR_NO_TO_NUMBER',
  'ERR_BAD_NUMBER',
  'ERR_NOT_ALLOWED',
  'ERR_BAD_OPERATION',
  'ERR_NO_OPERATION',
]);

/** A phone number that escaped masking in a text. */
const PLAIN_NUMBER = /\+\p{Nd}{7,}/u;

// Runs per property (FUZZ_RUNS overrides it): 200 keeps the whole file at a few seconds.
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 200);

// ---------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------

/** A constant, so the 1 MB string costs one allocation rather than one per run. */
const ONE_MB = 'a'.repeat(1_000_000);

const circularObject = fc.constant(null).map(() => {
  const value: Record<string, unknown> = { text: 'loop' };
  value.self = value;
  return value;
});
const circularArray = fc.constant(null).map(() => {
  const value: unknown[] = ['loop'];
  value.push(value);
  return value;
});

/** Objects whose own keys are `__proto__` or `constructor`, as JSON.parse makes them. */
const prototypeKeys = fc
  .constantFrom(
    '{"__proto__":{"toNumber":"+14155552671","polluted":true}}',
    '{"__proto__":{"polluted":true},"toNumber":"+14155552671"}',
    '{"constructor":{"prototype":{"polluted":true}},"toNumber":"+14155552671"}',
    '{"constructor":"create","__proto__":null}',
    '{"toNumber":{"__proto__":"+14155552671"}}',
  )
  .map((json) => JSON.parse(json) as unknown);

const notableStrings = fc.constantFrom(
  '',
  ' ',
  '\n',
  'hello',
  'Grüße',
  '€ and [brackets] {braces} ^ ~ | \\',
  '😀',
  '👨‍👩‍👧‍👦 family',
  '🇺🇸',
  'a + b = c & d',
  '%41%20',
  '"quoted"',
  'null',
  'true',
  '42',
  '{"data":"x","operation":"create"}',
  '{"data":',
  '[]',
  '\u0000',
  ONE_MB,
  'a'.repeat(1530), // 10 GSM-7 segments: the most maxSegments allows
  'a'.repeat(1531), // 11 segments
  'a'.repeat(1600),
  'a'.repeat(1601), // over Twilio's 1600 characters
  '😀'.repeat(335), // 670 UTF-16 units: 10 UCS-2 segments
  '😀'.repeat(336),
);

/** Well-formed strings: every code point is whole (lone surrogates get a property of their own below). */
const wellFormedString = fc.oneof(
  { arbitrary: notableStrings, weight: 3 },
  { arbitrary: fc.string(), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme' }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary' }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 60, maxLength: 700 }), weight: 1 },
);

const notableNumbers = fc.constantFrom(0, -0, 1, 42, -1, 3.14, NaN, Infinity, -Infinity, 2 ** 53 + 2, 1e21);

const anyObject = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  maxDepth: 3,
});

/** Anything a msg property may hold. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: wellFormedString, weight: 6 },
  { arbitrary: fc.constantFrom(undefined, null), weight: 1 },
  { arbitrary: notableNumbers, weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.bigInt(), weight: 1 },
  { arbitrary: wellFormedString.map((text) => Buffer.from(text)), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
  { arbitrary: anyObject, weight: 2 },
  { arbitrary: fc.array(fc.oneof(wellFormedString, fc.integer(), fc.boolean())), weight: 1 },
  { arbitrary: fc.dictionary(fc.string(), fc.oneof(wellFormedString, fc.integer(), anyObject)), weight: 1 },
  { arbitrary: prototypeKeys, weight: 1 },
  { arbitrary: fc.oneof(circularObject, circularArray), weight: 1 },
);

const PHONE_NUMBERS = [
  '+14155552671',
  '+14155550199',
  TO_NUMBER,
  '+15005550001', // Twilio's magic numbers: valid, and failing at the API
  '+15005550002',
  '+15005550009',
  '+15005550006',
  '+442071838750', // valid, outside the US
  '+1 415 555 2671',
  ' +14155552671 ',
  '(415) 555-2671',
  '4155552671',
  '123',
  'abc',
  '',
  '   ',
  '+',
  '+999',
  '+1415555267100000',
  'whatsapp:+14155552671',
  'WhatsApp: +14155552671',
  'whatsapp:',
  'whatsapp:abc',
  '+1\uD800',
  ONE_MB,
];

const phoneNumber = fc.oneof(
  { arbitrary: fc.constantFrom(...PHONE_NUMBERS), weight: 4 },
  { arbitrary: fc.stringMatching(/^\+1415555\d{4}$/), weight: 1 },
  { arbitrary: fc.stringMatching(/^\+?\d{1,17}$/), weight: 1 },
  { arbitrary: fc.string(), weight: 1 },
);

/** Request metadata of any shape, mostly objects whose toNumber is a valid or invalid number. */
const anyMetadata: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.record({ toNumber: phoneNumber }), weight: 6 },
  {
    arbitrary: fc.record(
      { toNumber: fc.oneof(phoneNumber, anyValue), traceparent: fc.string(), other: anyValue },
      { requiredKeys: [] },
    ),
    weight: 2,
  },
  {
    arbitrary: phoneNumber.map((toNumber) => {
      const metadata: Record<string, unknown> = { toNumber };
      metadata.self = metadata;
      return metadata;
    }),
    weight: 1,
  },
  { arbitrary: anyValue, weight: 2 },
);

const createInAnyCase = fc.oneof(
  { arbitrary: fc.constant('create'), weight: 3 },
  { arbitrary: fc.constantFrom('CREATE', 'Create', 'cReAtE'), weight: 2 },
);

/** Operations: create in any letter case, other words, and values that are no string at all. */
const anyOperation: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: createInAnyCase, weight: 4 },
  { arbitrary: fc.constantFrom('create ', ' create', 'créate', 'delete', 'get', 'list', ''), weight: 2 },
  { arbitrary: fc.constantFrom(undefined, null), weight: 1 },
  { arbitrary: fc.string(), weight: 1 },
  { arbitrary: fc.constantFrom('\uD800', 'create\uDC00'), weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean()), weight: 1 },
  // Objects and arrays, without BigInt values or cycles (see the focused property below).
  { arbitrary: fc.anything({ maxDepth: 2 }), weight: 1 },
  { arbitrary: fc.constantFrom({}, ['create'], { operation: 'create' }), weight: 1 },
);

/** A msg in Node-RED's own shape: mostly without an operation (create), and any property may be absent. */
const messageMsg = fc.oneof(
  {
    arbitrary: fc.record({ payload: anyValue, metadata: anyMetadata }, { requiredKeys: ['payload'] }),
    weight: 3,
  },
  {
    arbitrary: fc.record(
      { payload: anyValue, metadata: anyMetadata, operation: anyOperation },
      { requiredKeys: [] },
    ),
    weight: 2,
  },
);

/** JSON text of a value, or text that is no JSON when the value has none (cycles, BigInt). */
function jsonText(value: unknown): string {
  try {
    // JSON.stringify's real type: undefined for undefined (and for a toJSON() that returns it).
    return (JSON.stringify as (value: unknown) => string | undefined)(value) ?? '';
  } catch {
    return '{"data":';
  }
}

/** A Dapr bindings request: mostly complete with create, and any field may be absent or of any type. */
const daprRequest = fc.oneof(
  {
    arbitrary: fc.record(
      { data: anyValue, metadata: anyMetadata, operation: createInAnyCase },
      { requiredKeys: ['data', 'operation'] },
    ),
    weight: 3,
  },
  {
    arbitrary: fc.record(
      { data: anyValue, metadata: anyMetadata, operation: anyOperation, extra: anyValue },
      { requiredKeys: [] },
    ),
    weight: 2,
  },
);

/** A msg whose payload is a Dapr bindings request, as an object, JSON text or a Buffer, or anything else. */
const daprMsg = fc.record(
  {
    payload: fc.oneof(
      { arbitrary: daprRequest, weight: 4 },
      { arbitrary: daprRequest.map(jsonText), weight: 4 },
      { arbitrary: daprRequest.map((request) => Buffer.from(jsonText(request))), weight: 1 },
      { arbitrary: anyValue, weight: 1 },
    ),
    // Ignored in the Dapr format; present to show they are.
    metadata: anyMetadata,
    operation: anyOperation,
  },
  { requiredKeys: ['payload'] },
);

// ---------------------------------------------------------------------------------------------------
// The oracle and the checks
// ---------------------------------------------------------------------------------------------------

type Expected = { kind: 'sent'; prepared: PreparedMessage } | { kind: 'failed'; error: unknown };

/** What the pure functions make of a msg: the message to send, or the error it fails with. */
function oracle(
  msg: Record<string, unknown>,
  format: InputFormat,
  metadata: ComponentMetadata,
  options: CreateOptions,
): Expected {
  try {
    return { kind: 'sent', prepared: prepareMessage(readRequest(msg, format), metadata, options) };
  } catch (error) {
    return { kind: 'failed', error };
  }
}

interface Done {
  /** The msg the node sent, or undefined when it failed. */
  sent: Record<string, unknown> | undefined;
  /** The error it failed with. */
  error: { name?: unknown; code?: unknown; status?: unknown; message?: unknown } | undefined;
}

/** The node's send() and error() calls for one msg: each is one done (the helper spies Node.prototype). */
function donesOf(node: Node, id: string): Done[] {
  const calls = (method: 'send' | 'error'): SinonSpyCall[] =>
    (Reflect.get(node, method) as SinonSpy).getCalls().filter((call) => call.thisValue === node);
  const idOf = (msg: unknown): unknown => (msg as { _msgid?: unknown } | undefined)?._msgid;
  return [
    ...calls('send')
      .filter((call) => idOf(call.args[0]) === id)
      .map((call): Done => ({ sent: call.args[0] as Record<string, unknown>, error: undefined })),
    ...calls('error')
      .filter((call) => idOf(call.args[1]) === id)
      .map((call): Done => ({ sent: undefined, error: call.args[0] as Done['error'] })),
  ];
}

function allDones(node: Node): number {
  const count = (method: 'send' | 'error'): number =>
    (Reflect.get(node, method) as SinonSpy).getCalls().filter((call) => call.thisValue === node).length;
  return count('send') + count('error');
}

/** Resolves once the node has sent or failed the msg with this id (the helper emits call:<method>). */
function firstDone(node: Node, id: string, safetyMs = 3000): Promise<void> {
  const events = node as unknown as NodeJS.EventEmitter;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (donesOf(node, id).length === 0) return;
      finish();
      resolve();
    };
    const finish = (): void => {
      clearTimeout(timer);
      events.off('call:send', check);
      events.off('call:error', check);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`msg ${id}: no send() and no done(err) within ${safetyMs} ms`));
    }, safetyMs);
    events.on('call:send', check);
    events.on('call:error', check);
  });
}

/** Node-RED's form of a value, for failure messages: cycles and BigInt cannot go through JSON. */
function show(value: unknown): string {
  return fc.stringify(value).slice(0, 300);
}

interface Tally {
  msgs: number;
  sent: number;
  twilioErrors: number;
  localErrors: number;
  requests: number;
}

/** Runs msgs one at a time through a deployed binding node, checking each against the oracle. */
class Checker {
  readonly tally: Tally = { msgs: 0, sent: 0, twilioErrors: 0, localErrors: 0, requests: 0 };
  private readonly metadata: ComponentMetadata;

  constructor(
    private readonly flow: TestFlow,
    private readonly api: TwilioApi,
    private readonly format: InputFormat,
    private readonly options: CreateOptions,
    credentials: Record<string, string>,
  ) {
    this.metadata = parseMetadata({ ...credentials, apiBaseUrl: api.url });
  }

  /** Sends one msg and checks its outcome; returns what happened. */
  async check(msg: Record<string, unknown>): Promise<'sent' | 'twilio-error' | 'local-error'> {
    const node = this.flow.sms;
    const id = `fuzz-${++this.tally.msgs}`;
    // Before sending: the node replaces msg.payload with the message resource.
    const expected = oracle(msg, this.format, this.metadata, this.options);
    const before = this.api.requests.length;
    const settled = firstDone(node, id);
    node.receive({ ...msg, _msgid: id });
    await settled;
    const requests = this.api.requests.slice(before);
    this.tally.requests += requests.length;
    const dones = donesOf(node, id);
    const status = this.flow.lastStatus();
    /** Asserts deep equality, naming the msg, the fact checked, and both values when it fails. */
    const same = (actual: unknown, wanted: unknown, what: string): void => {
      try {
        should(actual).deepEqual(wanted);
      } catch {
        // Written only on failure: a msg may hold a 1 MB string.
        throw new Error(`msg ${show(msg)}: ${what} is ${show(actual)}, expected ${show(wanted)}`);
      }
    };
    same(dones.length, 1, 'the number of dones (send + done(err))');
    const [done] = dones as [Done];
    if (done.error !== undefined) {
      // Error messages end up in logs: every number written with + and seven or more digits is masked.
      const message = done.error.message;
      same(typeof message === 'string' && message !== '', true, 'that the error message is a text');
      same(PLAIN_NUMBER.exec(String(message))?.[0], undefined, 'an unmasked number in the error message');
    }

    if (expected.kind === 'failed') {
      // The pure functions fail only with the package's own error, and only with a local code.
      const oracleError = expected.error as { code?: unknown };
      same(
        expected.error instanceof BindingError,
        true,
        `that the pure functions threw ${show(expected.error)} is a BindingError (the node failed it with ${show(done.error?.code)})`,
      );
      same(
        LOCAL_CODES.has(String(oracleError.code)),
        true,
        `that the computed code ${show(oracleError.code)} is local`,
      );
      same(done.sent === undefined ? done.error?.code : 'sent', oracleError.code, "the node's outcome");
      same(done.error?.name, 'BindingError', "the error's name");
      same(requests.length, 0, 'the number of requests at the API for a msg that failed locally');
      same(status, { fill: 'red', shape: 'ring', text: oracleError.code }, 'the status');
      this.tally.localErrors++;
      return 'local-error';
    }

    const { params, segments } = expected.prepared;
    same(requests.length, 1, 'the number of requests at the API for a msg that passed the local checks');
    const [request] = requests as [(typeof requests)[number]];
    same(request.form, { To: params.to, From: params.from, Body: params.body }, 'the form sent');
    if (done.sent !== undefined) {
      same(request.status, 201, "the API's answer");
      const resource = done.sent.payload as { sid?: unknown; to?: unknown; body?: unknown };
      same(
        { sid: resource.sid, to: resource.to, body: resource.body },
        { sid: this.api.messages.at(-1)?.sid, to: params.to, body: params.body },
        'the message resource in msg.payload',
      );
      same(done.sent.sms, segments, 'msg.sms');
      // Its text comes from the message catalog: only its kind is checked here.
      same({ fill: status?.fill, shape: status?.shape }, { fill: 'green', shape: 'dot' }, 'the status');
      this.tally.sent++;
      return 'sent';
    }
    // Twilio refused it (a magic number, a WhatsApp recipient of an SMS sender): its code, not a local one.
    same(done.error?.name, 'BindingError', "the error's name");
    same(typeof done.error?.code, 'number', "the type of the error's code");
    same(done.error?.status, request.status, "the error's HTTP status");
    // Its text comes from the message catalog (`error 21211` in en-US): only its kind is checked here.
    same({ fill: status?.fill, shape: status?.shape }, { fill: 'red', shape: 'ring' }, 'the status');
    this.tally.twilioErrors++;
    return 'twilio-error';
  }

  /** After the runs: Node-RED still delivers, and the node did one done per msg, never more. */
  async checkStillRunning(): Promise<void> {
    const text = 'still running';
    const msg =
      this.format === 'dapr'
        ? { payload: { data: text, metadata: { toNumber: TO_NUMBER }, operation: 'create' } }
        : { payload: text, metadata: { toNumber: TO_NUMBER } };
    // The msg goes on through the flow: the helper node wired to the output receives it.
    const id = `fuzz-${this.tally.msgs + 1}`;
    const out = helper.getNode('out');
    const delivered = new Promise<void>((resolve) => {
      const onInput = (received: { _msgid?: unknown }): void => {
        if (received._msgid !== id) return;
        out.off('input', onInput);
        resolve();
      };
      out.on('input', onInput);
    });
    should(await this.check(msg)).equal('sent');
    await delivered;
    should(allDones(this.flow.sms)).equal(this.tally.msgs);
    should(this.api.requests).have.length(this.tally.requests);
  }
}

// ---------------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------------

describe('fuzzing the binding node with arbitrary msgs against the local Twilio API', function () {
  this.timeout(60_000);
  const sandbox = useTwilioApi();

  // A rejection nobody handles, or an exception nobody catches, is a crash of Node-RED.
  const crashes: unknown[] = [];
  const onCrash = (err: unknown): void => {
    crashes.push(err);
  };
  before(() => {
    process.on('unhandledRejection', onCrash);
  });
  after(() => {
    process.off('unhandledRejection', onCrash);
  });
  afterEach(() => {
    should(crashes).deepEqual([]);
  });

  async function deploy(
    format: InputFormat,
    allowRecipientOverride: boolean,
    credentials: Record<string, string>,
  ): Promise<Checker> {
    const flow = await TestFlow.load(sandbox.api.url, {
      credentials,
      binding: { inputFormat: format, allowRecipientOverride },
    });
    return new Checker(flow, sandbox.api, format, { allowRecipientOverride }, credentials);
  }

  const accounts: [string, Record<string, string>][] = [
    ['without toNumber', DEFAULT_CREDENTIALS],
    ['with toNumber', { ...DEFAULT_CREDENTIALS, toNumber: TO_NUMBER }],
  ];
  for (const format of ['message', 'dapr'] as const) {
    for (const allowRecipientOverride of [false, true]) {
      for (const [account, credentials] of accounts) {
        it(`inputFormat ${format}, override ${allowRecipientOverride ? 'on' : 'off'}, an account ${account}: one done per msg, and only what passed the local checks is sent, as computed`, async () => {
          const checker = await deploy(format, allowRecipientOverride, credentials);
          await fc.assert(
            fc.asyncProperty(format === 'dapr' ? daprMsg : messageMsg, async (msg) => {
              await checker.check(msg);
            }),
            { numRuns: NUM_RUNS },
          );
          await checker.checkStillRunning();
          // The generators reach both sides of the local checks.
          should(checker.tally.sent).be.above(0);
          should(checker.tally.localErrors).be.above(0);
        });
      }
    }
  }

  it('valid recipients chosen by the msg: sent, refused by Twilio or failed locally, each as computed', async () => {
    // Valid recipients chosen by the msg, so that the magic numbers' Twilio errors come up often.
    const checker = await deploy('message', true, DEFAULT_CREDENTIALS);
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          payload: fc.oneof(wellFormedString, anyValue),
          metadata: fc.record({
            toNumber: fc.constantFrom(
              '+14155552671',
              '+15005550001',
              '+15005550009',
              'whatsapp:+14155552671',
            ),
          }),
        }),
        async (msg) => {
          outcomes.add(await checker.check(msg));
        },
      ),
      { numRuns: NUM_RUNS },
    );
    await checker.checkStillRunning();
    should([...outcomes].sort()).deepEqual(['local-error', 'sent', 'twilio-error']);
  });

  /*
   * The two properties below are the ones the broad properties above leave out on purpose, because they
   * fail with the src of this writing; see the report that came with this file.
   */

  it('sends a body holding lone surrogates as computed (the SMS text is what was checked and measured)', async () => {
    const loneSurrogateText = fc
      .array(fc.oneof(fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D'), fc.string()), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join(''))
      .filter((text) => /[\uD800-\uDFFF]/.test(text));
    for (const format of ['message', 'dapr'] as const) {
      const checker = await deploy(format, false, { ...DEFAULT_CREDENTIALS, toNumber: TO_NUMBER });
      await fc.assert(
        fc.asyncProperty(loneSurrogateText, async (text) => {
          // In the Dapr format, JSON text escapes a lone surrogate (\ud800) and parsing restores it.
          const payload = format === 'dapr' ? JSON.stringify({ data: text, operation: 'create' }) : text;
          await checker.check({ payload });
        }),
        { numRuns: 10 },
      );
      await TestFlow.unload();
    }
  });

  it('fails any operation but create with ERR_BAD_OPERATION, BigInt and circular ones included', async () => {
    const strangeOperation = fc.oneof(
      fc.bigInt(),
      circularObject,
      circularArray,
      fc.bigInt().map((n) => ({ op: n })),
    );
    for (const format of ['message', 'dapr'] as const) {
      const checker = await deploy(format, false, { ...DEFAULT_CREDENTIALS, toNumber: TO_NUMBER });
      await fc.assert(
        fc.asyncProperty(strangeOperation, async (operation) => {
          const msg = format === 'dapr' ? { payload: { data: 'x', operation } } : { payload: 'x', operation };
          should(await checker.check(msg)).equal('local-error');
        }),
        { numRuns: 10 },
      );
      await TestFlow.unload();
    }
  });
});
