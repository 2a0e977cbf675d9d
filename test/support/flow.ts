import helper, { type TestFlows } from 'node-red-node-test-helper';
import type { Node, NodeInitializer, NodeMessage, NodeStatus } from 'node-red';
import type { SinonSpy } from 'sinon';
import { SANDBOX_ACCOUNT, TwilioApi } from '../../sandbox/twilio-api';
import { coreNodePath, NODE_RED_RUNTIME } from './node-red';

/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads node modules with require() */
const configNode = require('../../nodes/twilio-sms-config.js') as NodeInitializer;
const bindingNode = require('../../nodes/twilio-sms-binding.js') as NodeInitializer;
const catchNode = require(coreNodePath('common/25-catch.js')) as NodeInitializer;
const completeNode = require(coreNodePath('common/24-complete.js')) as NodeInitializer;
/* eslint-enable @typescript-eslint/no-require-imports */

helper.init(NODE_RED_RUNTIME);

export const NODES = [configNode, bindingNode, catchNode, completeNode];

export interface FlowOptions {
  /** Properties of the config node (timeout, apiBaseUrl, ...). */
  config?: Record<string, unknown>;
  /** Its credentials; by default the sandbox account with a fixed fromNumber. */
  credentials?: Record<string, string>;
  /** Properties of the binding node (inputFormat, allowRecipientOverride, ...). */
  binding?: Record<string, unknown>;
}

export const FROM_NUMBER = '+15005550006';
export const TO_NUMBER = '+14155550101';

export const DEFAULT_CREDENTIALS = {
  accountSid: SANDBOX_ACCOUNT.accountSid,
  authToken: SANDBOX_ACCOUNT.authToken,
  fromNumber: FROM_NUMBER,
};

export interface Outcome {
  /** `sent`: the msg left the output; `failed`: a Catch node received it. */
  kind: 'sent' | 'failed';
  msg: NodeMessage & Record<string, unknown>;
}

let runs = 0;

/** A deployed flow: config node `account`, binding `sms`, and Catch and Complete nodes scoped to it. */
export class TestFlow {
  private constructor(
    readonly sms: Node,
    private readonly flow: TestFlows,
    private readonly credentials: Record<string, string>,
  ) {}

  static async load(apiUrl: string, options: FlowOptions = {}): Promise<TestFlow> {
    // Node-RED takes a node without a tab (`z`) and a position (`x`, `y`) for a config node.
    const onTab = { z: 'tab', x: 100, y: 100 };
    const flow = [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'account', type: 'twilio-sms-config', name: 'test', apiBaseUrl: apiUrl, ...options.config },
      {
        id: 'sms',
        ...onTab,
        type: 'twilio-sms-binding',
        account: 'account',
        wires: [['out']],
        ...options.binding,
      },
      { id: 'out', ...onTab, type: 'helper' },
      { id: 'catch', ...onTab, type: 'catch', scope: ['sms'], uncaught: false, wires: [['caught']] },
      { id: 'caught', ...onTab, type: 'helper' },
      { id: 'complete', ...onTab, type: 'complete', scope: ['sms'], wires: [['completed']] },
      { id: 'completed', ...onTab, type: 'helper' },
    ];
    const credentials = options.credentials ?? DEFAULT_CREDENTIALS;
    await helper.load(NODES, flow, { account: credentials });
    return new TestFlow(helper.getNode('sms'), flow, credentials);
  }

  /** A full redeploy of the same flow: every node is stopped and started anew. */
  async redeploy(): Promise<void> {
    await helper.setFlows(this.flow, 'full', { account: this.credentials });
  }

  /** Sends all msgs at once and resolves with their outcomes, in the order sent. */
  runAll(msgs: Record<string, unknown>[], safetyMs = 30_000): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      const out = helper.getNode('out');
      const caught = helper.getNode('caught');
      // Outcomes are matched by _msgid, so a late outcome of an earlier msg is never taken for this one's.
      const ids = msgs.map(() => `run-${String(++runs)}`);
      const outcomes = new Map<unknown, Outcome>();
      const onOutcome = (kind: Outcome['kind']) => (msg: Outcome['msg']) => {
        if (!ids.includes(String(msg._msgid))) return;
        outcomes.set(msg._msgid, { kind, msg });
        if (outcomes.size < msgs.length) return;
        clearTimeout(timer);
        out.removeListener('input', onSent);
        caught.removeListener('input', onFailed);
        resolve(ids.flatMap((id) => outcomes.get(id) ?? []));
      };
      const onSent = onOutcome('sent');
      const onFailed = onOutcome('failed');
      const timer = setTimeout(() => {
        reject(new Error(`${outcomes.size} of ${msgs.length} msgs came back within ${safetyMs} ms`));
      }, safetyMs);
      out.on('input', onSent);
      caught.on('input', onFailed);
      msgs.forEach((msg, i) => {
        this.sms.receive({ ...msg, _msgid: ids[i] });
      });
    });
  }

  /** Sends one msg into the binding node and waits for its own outcome: out of the node, or at the Catch node. */
  async run(msg: Record<string, unknown>, safetyMs = 10_000): Promise<Outcome> {
    const [outcome] = await this.runAll([msg], safetyMs);
    if (outcome === undefined) throw new Error('no outcome');
    return outcome;
  }

  /** Every status the binding node has shown, oldest first (the helper spies on Node.prototype.status). */
  statuses(): NodeStatus[] {
    const spy = Reflect.get(this.sms, 'status') as SinonSpy<[NodeStatus], void>;
    return spy
      .getCalls()
      .filter((call) => call.thisValue === this.sms)
      .map((call) => call.args[0]);
  }

  lastStatus(): NodeStatus | undefined {
    return this.statuses().at(-1);
  }

  static unload(): Promise<void> {
    return helper.unload();
  }
}

/**
 * Mocha hooks for a suite of flows against one local Twilio API: started once, reset before each test,
 * and every flow unloaded after it. Read `.api` inside the tests.
 */
export function useTwilioApi(): { readonly api: TwilioApi } {
  const context: { api?: TwilioApi } = {};
  before(async () => {
    context.api = await TwilioApi.start();
  });
  after(async () => {
    await context.api?.close();
  });
  beforeEach(() => {
    context.api?.reset();
    if (context.api) context.api.latencyMs = 0;
  });
  afterEach(async () => {
    await TestFlow.unload();
  });
  return {
    get api(): TwilioApi {
      if (context.api === undefined) throw new Error('the local Twilio API is not started yet');
      return context.api;
    },
  };
}

export { helper };
