import type { NodeAPI } from 'node-red';
import should from 'should';
import { BindingError, ErrorCode } from '../../src/binding/errors';
import type { TwilioConnection } from '../../src/binding/metadata';
import type { AccountResource } from '../../src/twilio/accounts';
import { toBindingError } from '../../src/twilio/messages';
import {
  httpStatus,
  PASSWORD_PLACEHOLDER,
  type SavedCredentials,
  savedCredentialsOf,
  verify,
  type VerifyAnswer,
} from '../../src/verify';

const TYPED = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'typed-token-0123456789abcdef0123',
};
const SAVED = {
  accountSid: 'ACfedcba9876543210fedcba9876543210',
  authToken: 'saved-token-fedcba9876543210fedc',
};

/** Twilio's account resource as the SDK gives it: the auth token included. */
function resource(overrides: AccountResource = {}): AccountResource {
  return {
    authToken: SAVED.authToken,
    dateCreated: new Date(0),
    dateUpdated: new Date(0),
    friendlyName: 'My account',
    ownerAccountSid: SAVED.accountSid,
    sid: SAVED.accountSid,
    status: 'active',
    subresourceUris: {},
    type: 'Full',
    uri: `/2010-04-01/Accounts/${SAVED.accountSid}.json`,
    ...overrides,
  };
}

/** A verify context with a fake fetch that records what it was asked, and saved credentials by id. */
function fake(
  options: {
    saved?: Record<string, SavedCredentials>;
    answer?: () => Promise<AccountResource>;
  } = {},
) {
  const fetched: TwilioConnection[] = [];
  const lookedUp: string[] = [];
  const context = {
    savedCredentials: (id: string) => {
      lookedUp.push(id);
      return options.saved?.[id];
    },
    fetchAccount: (connection: TwilioConnection) => {
      fetched.push(connection);
      // The account of the credentials asked for, as Twilio answers.
      return options.answer ? options.answer() : Promise.resolve(resource({ sid: connection.accountSid }));
    },
  };
  return { context, fetched, lookedUp };
}

const RUNNING_NODE: Record<string, SavedCredentials> = {
  node1: { stored: { ...SAVED }, running: { ...SAVED } },
};

function errorOf(answer: VerifyAnswer): { code: unknown; message: string } {
  should(answer.body).have.property('error');
  return (answer.body as { error: { code: unknown; message: string } }).error;
}

describe('verify: which credentials are checked', () => {
  it('uses the typed credentials and the defaults of the config node', async () => {
    const { context, fetched } = fake();
    const answer = await verify({ ...TYPED }, context);
    should(answer.status).equal(200);
    should(fetched).deepEqual([
      {
        ...TYPED,
        timeoutMs: 30_000,
        apiBaseUrl: undefined,
        region: undefined,
        edge: undefined,
      },
    ]);
  });

  it('passes the typed API URL, region, edge and timeout, read as the config node reads them', async () => {
    const { context, fetched } = fake();
    await verify(
      { ...TYPED, apiBaseUrl: 'http://127.0.0.1:9/', region: 'au1', edge: 'sydney', timeout: '1500ms' },
      context,
    );
    should(fetched[0]).match({
      apiBaseUrl: 'http://127.0.0.1:9',
      region: 'au1',
      edge: 'sydney',
      timeoutMs: 1500,
    });
    await verify({ ...TYPED, timeout: 5 }, context);
    should(fetched[1]?.timeoutMs).equal(5000);
  });

  for (const [what, authToken] of [
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '  '],
    ['the editor placeholder', PASSWORD_PLACEHOLDER],
  ] as const) {
    it(`takes the saved auth token of node id when the typed one is ${what}`, async () => {
      const { context, fetched, lookedUp } = fake({ saved: RUNNING_NODE });
      const answer = await verify({ id: 'node1', accountSid: TYPED.accountSid, authToken }, context);
      should(answer.status).equal(200);
      should(lookedUp).deepEqual(['node1']);
      should(fetched[0]).match({ accountSid: TYPED.accountSid, authToken: SAVED.authToken });
    });
  }

  it('prefers a typed auth token to the saved one', async () => {
    const { context, fetched } = fake({ saved: RUNNING_NODE });
    await verify({ id: 'node1', ...TYPED }, context);
    should(fetched[0]).match(TYPED);
  });

  it('takes the saved Account SID only when none is sent; an empty one is refused', async () => {
    const { context, fetched } = fake({ saved: RUNNING_NODE });
    await verify({ id: 'node1', authToken: PASSWORD_PLACEHOLDER }, context);
    should(fetched[0]).match(SAVED);
    const answer = await verify({ id: 'node1', accountSid: '', authToken: PASSWORD_PLACEHOLDER }, context);
    should(answer.status).equal(400);
    should(errorOf(answer)).deepEqual({
      code: ErrorCode.ConfigInvalid,
      message: '"accountSid" is a required field',
    });
    should(fetched).have.length(1);
  });

  it('uses what the running node uses, and the stored credentials of a node that is not running', async () => {
    const { context, fetched } = fake({
      saved: {
        running: {
          stored: { accountSid: SAVED.accountSid, authToken: '${TWILIO_AUTH_TOKEN}' },
          running: { accountSid: SAVED.accountSid, authToken: 'from-the-environment' },
        },
        stopped: { stored: { ...SAVED }, running: undefined },
      },
    });
    await verify({ id: 'running' }, context);
    await verify({ id: 'stopped' }, context);
    should(fetched.map((c) => c.authToken)).deepEqual(['from-the-environment', SAVED.authToken]);
  });

  it('refuses a placeholder without saved credentials, without calling the API', async () => {
    const { context, fetched } = fake();
    for (const body of [
      { accountSid: TYPED.accountSid, authToken: PASSWORD_PLACEHOLDER },
      { id: 'unknown', accountSid: TYPED.accountSid, authToken: PASSWORD_PLACEHOLDER },
    ]) {
      const answer = await verify(body, context);
      should(answer.status).equal(400);
      should(errorOf(answer)).deepEqual({
        code: ErrorCode.ConfigInvalid,
        message: '"authToken" is a required field',
      });
    }
    should(fetched).be.empty();
  });

  it('does not look up saved credentials without an id', async () => {
    const { context, lookedUp } = fake({ saved: RUNNING_NODE });
    await verify({ ...TYPED, id: '' }, context);
    await verify({ ...TYPED }, context);
    should(lookedUp).be.empty();
  });
});

describe('verify: environment variables', () => {
  it('takes a typed ${NAME} that is the saved reference from the running node', async () => {
    const { context, fetched } = fake({
      saved: {
        node1: {
          stored: { accountSid: '${TWILIO_ACCOUNT_SID}', authToken: '${TWILIO_AUTH_TOKEN}' },
          running: { ...SAVED },
        },
      },
    });
    const answer = await verify(
      { id: 'node1', accountSid: '${TWILIO_ACCOUNT_SID}', authToken: PASSWORD_PLACEHOLDER },
      context,
    );
    should(answer.status).equal(200);
    should(fetched[0]).match(SAVED);
  });

  it('never reads the environment for a typed reference', async () => {
    const { context, fetched } = fake({
      saved: { stopped: { stored: { accountSid: '${TWILIO_ACCOUNT_SID}' }, running: undefined } },
    });
    const bodies = [
      { ...TYPED, authToken: '${HOME}' },
      { ...TYPED, accountSid: '${TWILIO_ACCOUNT_SID}', id: 'stopped' },
      { ...TYPED, apiBaseUrl: '${TWILIO_API_URL}' },
      { ...TYPED, timeout: '${TIMEOUT}' },
    ];
    for (const body of bodies) {
      const answer = await verify(body, context);
      should(answer.status).equal(400);
      should(errorOf(answer).code).equal(ErrorCode.ConfigInvalid);
      should(errorOf(answer).message).match(/names the environment variable (HOME|TWILIO_\w+|TIMEOUT)/);
    }
    should(fetched).be.empty();
  });
});

describe('verify: invalid input is refused with 400 before any request', () => {
  const cases: [string, unknown, string, string | RegExp][] = [
    [
      'a body that is not an object',
      'text',
      ErrorCode.RequestInvalid,
      'the request body must be a JSON object',
    ],
    ['an array body', [TYPED], ErrorCode.RequestInvalid, 'the request body must be a JSON object'],
    ['a null body', null, ErrorCode.RequestInvalid, 'the request body must be a JSON object'],
    [
      'a number as accountSid',
      { ...TYPED, accountSid: 42 },
      ErrorCode.RequestInvalid,
      '"accountSid" must be a string',
    ],
    ['an object as id', { ...TYPED, id: {} }, ErrorCode.RequestInvalid, '"id" must be a string'],
    ['an object as timeout', { ...TYPED, timeout: {} }, ErrorCode.RequestInvalid, /"timeout" must be/],
    [
      'a malformed accountSid',
      { ...TYPED, accountSid: 'AC123' },
      ErrorCode.ConfigInvalid,
      /"accountSid" must be "AC" followed by 32/,
    ],
    [
      'no accountSid and no id',
      { authToken: TYPED.authToken },
      ErrorCode.ConfigInvalid,
      '"accountSid" is a required field',
    ],
    [
      'a malformed API URL',
      { ...TYPED, apiBaseUrl: 'localhost:3000' },
      ErrorCode.ConfigInvalid,
      /"apiBaseUrl" must be an http or https URL/,
    ],
    [
      'an API URL with a password',
      { ...TYPED, apiBaseUrl: 'https://u:p@x.test' },
      ErrorCode.ConfigInvalid,
      /must not contain a user name/,
    ],
    [
      'a malformed region',
      { ...TYPED, region: 'AU 1' },
      ErrorCode.ConfigInvalid,
      /"region" must be a Twilio region/,
    ],
    [
      'a malformed edge',
      { ...TYPED, edge: 'Sydney!' },
      ErrorCode.ConfigInvalid,
      /"edge" must be a Twilio edge/,
    ],
    [
      'a zero timeout',
      { ...TYPED, timeout: '0s' },
      ErrorCode.ConfigInvalid,
      /"timeout" must be greater than zero/,
    ],
  ];
  for (const [what, body, code, message] of cases) {
    it(`refuses ${what}`, async () => {
      const { context, fetched } = fake();
      const answer = await verify(body, context);
      should(answer.status).equal(400);
      should(errorOf(answer).code).equal(code);
      should(errorOf(answer).message).match(message);
      should(fetched).be.empty();
    });
  }
});

describe('verify: the answer', () => {
  it('is friendlyName, status and type, and nothing else of the account', async () => {
    const { context } = fake();
    const answer = await verify({ ...TYPED }, context);
    should(answer).deepEqual({
      status: 200,
      body: { friendlyName: 'My account', status: 'active', type: 'Full' },
    });
    should(JSON.stringify(answer)).not.containEql(SAVED.authToken);
  });

  it('drops an auth_token whatever its spelling, and reads missing fields as null', async () => {
    const { context } = fake({
      answer: () =>
        Promise.resolve({
          auth_token: 'x-token',
          authToken: 'y-token',
          friendlyName: 7,
          sid: TYPED.accountSid,
          status: 'suspended',
        }),
    });
    const answer = await verify({ ...TYPED }, context);
    should(answer.body).deepEqual({ friendlyName: null, status: 'suspended', type: null });
  });

  it('answers 502 ERR_TWILIO_HTTP for a 200 that is not the account asked for', async () => {
    for (const account of [{}, resource({ sid: SAVED.accountSid })]) {
      const { context } = fake({ answer: () => Promise.resolve(account) });
      const answer = await verify({ ...TYPED }, context);
      should(answer.status).equal(502);
      should(errorOf(answer)).deepEqual({
        code: ErrorCode.TwilioHttp,
        message: 'the API answered, but not with the account: is the API URL right?',
      });
    }
  });

  const failures: [string, BindingError, number][] = [
    [
      'wrong credentials',
      new BindingError(20003, 'Authenticate (HTTP 401, Twilio error 20003)', { status: 401 }),
      422,
    ],
    ['an unknown account', new BindingError(20404, 'not found (HTTP 404)', { status: 404 }), 422],
    ['throttling', new BindingError(20429, 'Too Many Requests (HTTP 429)', { status: 429 }), 429],
    ['a Twilio outage', new BindingError(20500, 'Internal Server Error (HTTP 500)', { status: 500 }), 502],
    [
      'a proxy error page',
      new BindingError(ErrorCode.TwilioHttp, 'request failed (HTTP 503)', { status: 503 }),
      502,
    ],
    [
      'no connection',
      new BindingError(ErrorCode.ConnectFailed, 'cannot connect to the Twilio API (ECONNREFUSED)'),
      502,
    ],
    ['a broken connection', new BindingError(ErrorCode.Network, 'the connection broke (ECONNRESET)'), 502],
    ['a timeout', new BindingError(ErrorCode.Timeout, 'no answer from the Twilio API within 5 ms'), 504],
  ];
  for (const [what, error, status] of failures) {
    it(`answers ${status} {error: {code, message}} for ${what}`, async () => {
      const { context } = fake({ answer: () => Promise.reject(error) });
      const answer = await verify({ ...TYPED }, context);
      should(answer).deepEqual({ status, body: { error: { code: error.code, message: error.message } } });
      should(httpStatus(error)).equal(status);
    });
  }

  it('answers 500 ERR_INTERNAL for anything but a BindingError', async () => {
    const { context } = fake({ answer: () => Promise.reject(new TypeError('x is not a function')) });
    const answer = await verify({ ...TYPED }, context);
    should(answer).deepEqual({
      status: 500,
      body: { error: { code: ErrorCode.Internal, message: 'the check failed: x is not a function' } },
    });
  });

  it('blanks out the typed and the saved token from any error message', async () => {
    const leaky = (token: string) => () =>
      Promise.reject(new BindingError(ErrorCode.Network, `broke at ${token}; again ${token}`));
    for (const [body, token] of [
      [{ ...TYPED }, TYPED.authToken],
      [{ id: 'node1', accountSid: TYPED.accountSid }, SAVED.authToken],
    ] as const) {
      const { context } = fake({ saved: RUNNING_NODE, answer: leaky(token) });
      const answer = await verify(body, context);
      should(errorOf(answer).message).equal('broke at ********; again ********');
    }
  });
});

describe('verify: toBindingError for a request that creates nothing', () => {
  it('reports a timeout and a broken connection without "the message may have been sent"', () => {
    const timeout = toBindingError(Object.assign(new Error('x'), { code: 'ECONNABORTED' }), 250, null);
    should(timeout).match({
      code: ErrorCode.Timeout,
      message: 'no answer from the Twilio API within 250 ms',
    });
    const broken = toBindingError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 250, null);
    should(broken).match({
      code: ErrorCode.Network,
      message: 'the connection to the Twilio API broke (ECONNRESET)',
    });
  });
});

describe('verify: savedCredentialsOf', () => {
  function red(
    nodes: Record<string, { type: string; credentials: object } | undefined>,
    stored: object | undefined,
  ) {
    return {
      nodes: {
        getNode: (id: string) => nodes[id] ?? null,
        getCredentials: () => stored,
      },
    } as unknown as NodeAPI;
  }

  it('gives the stored credentials and those of the running config node', () => {
    const running = { accountSid: SAVED.accountSid, authToken: 'substituted' };
    should(
      savedCredentialsOf(red({ a: { type: 'twilio-sms-config', credentials: running } }, SAVED), 'a'),
    ).deepEqual({ stored: SAVED, running });
  });

  it('gives only the stored credentials of a node that is not running', () => {
    should(savedCredentialsOf(red({}, SAVED), 'a')).deepEqual({ stored: SAVED, running: undefined });
    should(savedCredentialsOf(red({}, undefined), 'a')).be.undefined();
  });

  it('gives nothing for a node of another type', () => {
    should(
      savedCredentialsOf(red({ a: { type: 'mqtt-broker', credentials: { password: 'p' } } }, SAVED), 'a'),
    ).be.undefined();
  });
});
