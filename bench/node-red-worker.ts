/**
 * Node-RED embedded in a bench process (RED.init and RED.start, no HTTP server), with this package
 * installed as a user installs it: linked into the user directory's node_modules. The main process starts
 * it with --expose-gc, for the heap figures.
 */
import { randomBytes } from 'node:crypto';
import { type EventEmitter, once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import nodeRed from 'node-red';
import type { Node, NodeMessage } from 'node-red';
import twilio from 'twilio';
import { SANDBOX_ACCOUNT } from '../sandbox/twilio-api';
import { onArrival } from './probe-node';
import { serve } from './rpc';
import { BODY, burst, closedLoop, FROM_NUMBER, timed, TO_NUMBER } from './shared';

const ROOT = resolve(__dirname, '..');

/** The parts of the embedded runtime used here, which @types/node-red leaves untyped or incomplete. */
interface EmbeddedNodeRed {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  events: EventEmitter;
  nodes: { getNode(id: string): Node | null };
  hooks: {
    add(name: `postReceive.${string}`, hook: (event: { destination: { id: string } }) => void): void;
    add(name: `onComplete.${string}`, hook: (event: { node: { id: string }; error?: unknown }) => void): void;
    remove(name: string): void;
  };
  runtime: {
    flows: {
      setFlows(opts: {
        flows: { flows: FlowNode[]; credentials: Record<string, object> };
        deploymentType: 'full';
      }): Promise<unknown>;
    };
  };
}
const RED = nodeRed as unknown as EmbeddedNodeRed;

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The config node's delivery properties. */
export interface DeliveryConfig {
  concurrency: number;
  ratePerSecond: number;
  queueLimit: number;
}

/** Where the bench sends msgs in: the binding node, or a function node calling the SDK itself. */
export type Pipeline = 'binding' | 'function';

const TAB = 'bench';
const ACCOUNT = 'account';
const BINDING = 'sms';
const SINK = 'sink';
const FAILED = 'failed';
const CREDENTIALS = {
  accountSid: SANDBOX_ACCOUNT.accountSid,
  authToken: SANDBOX_ACCOUNT.authToken,
  fromNumber: FROM_NUMBER,
  toNumber: TO_NUMBER,
};

// What a user could write instead of the binding node: the SDK client from functionGlobalContext, the
// message resource as msg.payload, failures to the Catch node (the function node turns a throw into one).
const FUNCTION_CODE = `const message = await global.get('twilio').messages.create({
  to: ${JSON.stringify(TO_NUMBER)},
  from: ${JSON.stringify(FROM_NUMBER)},
  body: msg.payload,
});
msg.payload = message.toJSON();
return msg;`;

function buildFlow(apiUrl: string, delivery: DeliveryConfig): FlowNode[] {
  const onTab = { z: TAB, x: 100, y: 100 };
  return [
    { id: TAB, type: 'tab', label: 'bench' },
    {
      id: ACCOUNT,
      type: 'twilio-sms-config',
      name: 'bench',
      apiBaseUrl: apiUrl,
      timeout: '30s',
      // As the editor stores them: text.
      concurrency: String(delivery.concurrency),
      ratePerSecond: String(delivery.ratePerSecond),
      queueLimit: String(delivery.queueLimit),
    },
    { id: 'binding-source', ...onTab, type: 'bench-probe', wires: [[BINDING]] },
    { id: BINDING, ...onTab, type: 'twilio-sms-binding', account: ACCOUNT, wires: [[SINK]] },
    { id: 'function-source', ...onTab, type: 'bench-probe', wires: [['function']] },
    { id: 'function', ...onTab, type: 'function', func: FUNCTION_CODE, outputs: 1, wires: [[SINK]] },
    { id: SINK, ...onTab, type: 'bench-probe', wires: [] },
    // Every node's errors on the tab, the binding node's and the function node's.
    { id: 'catch', ...onTab, type: 'catch', scope: null, uncaught: false, wires: [[FAILED]] },
    { id: FAILED, ...onTab, type: 'bench-probe', wires: [] },
  ];
}

let userDir: string | undefined;
let started = false;
let apiUrl = '';
let flow: FlowNode[] = [];

async function start(options: { apiUrl: string }): Promise<void> {
  apiUrl = options.apiUrl;
  const { name } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string };
  const dir = await mkdtemp(join(tmpdir(), 'twilio-sms-bench-'));
  userDir = dir;
  // Installed as `npm install <path>` does it: Node-RED finds the package in <userDir>/node_modules.
  await mkdir(join(dir, 'node_modules'));
  await symlink(ROOT, join(dir, 'node_modules', name), 'junction');
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'twilio-sms-bench', private: true, dependencies: { [name]: `file:${ROOT}` } }),
  );
  // Node-RED loads the .js files in <userDir>/nodes (each beside its editor .html); this one hands it the
  // TypeScript probe, which tsx compiles.
  await mkdir(join(dir, 'nodes'));
  await writeFile(
    join(dir, 'nodes', 'bench-probe.js'),
    `module.exports = require(${JSON.stringify(join(__dirname, 'probe-node.ts'))}).registerProbe;\n`,
  );
  await writeFile(join(dir, 'nodes', 'bench-probe.html'), '<!-- no editor in the bench -->\n');

  const sdk = twilio(SANDBOX_ACCOUNT.accountSid, SANDBOX_ACCOUNT.authToken);
  sdk.api.baseUrl = apiUrl;
  RED.init(createServer(), {
    userDir: dir,
    flowFile: 'flows.json',
    credentialSecret: randomBytes(32).toString('hex'),
    httpAdminRoot: false,
    httpNodeRoot: false,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    functionGlobalContext: { twilio: sdk },
    // Never a ping to telemetry.nodered.org.
    telemetry: { enabled: false },
  });
  // RED.start() resolves before the (empty) flows have started: a deploy meanwhile would race them.
  const flowsStarted = once(RED.events, 'flows:started');
  await RED.start();
  started = true;
  await flowsStarted;
}

async function deploy(nodes: FlowNode[]): Promise<void> {
  // setFlows resolves once the old flows have stopped, before the new ones have started.
  const flowsStarted = once(RED.events, 'flows:started');
  await RED.runtime.flows.setFlows({
    flows: { flows: nodes, credentials: { [ACCOUNT]: CREDENTIALS } },
    deploymentType: 'full',
  });
  await flowsStarted;
}

function node(id: string): Node {
  const found = RED.nodes.getNode(id);
  if (found === null) throw new Error(`no node ${id} in the deployed flow`);
  return found;
}

interface CaughtMessage extends NodeMessage {
  error?: { message?: string };
}

// Each msg that sender() sent and that has not reached the sink or the Catch node yet, by _msgid.
const underWay = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
let sequence = 0;

function settle(msg: NodeMessage, error?: Error): void {
  const id = msg._msgid ?? '';
  const waiter = underWay.get(id);
  underWay.delete(id);
  if (error === undefined) waiter?.resolve();
  else waiter?.reject(error);
}

onArrival(SINK, (msg) => {
  settle(msg);
});
onArrival(FAILED, (msg: CaughtMessage) => {
  settle(msg, new Error(`a msg failed: ${msg.error?.message ?? 'unknown error'}`));
});

/** Sends one msg into the pipeline; resolves when it leaves the far end, rejects when it fails. */
function sender(pipeline: Pipeline): () => Promise<void> {
  const source = node(`${pipeline}-source`);
  return () =>
    new Promise((resolve, reject) => {
      const _msgid = `bench-${sequence++}`;
      underWay.set(_msgid, { resolve, reject });
      source.send({ _msgid, payload: BODY });
    });
}

export interface MemoryFigures {
  /** Heap used after a full GC: before the burst, with the burst queued, and after the queue was failed. */
  before: number;
  queued: number;
  after: number;
  /** Msgs the binding node held (queued or in flight) when `queued` was measured. */
  held: number;
  /** Outcomes of the burst: sent (before the redeploy or while it waited), failed with ERR_CLOSED by it. */
  sent: number;
  closed: number;
}

function heapAfterGc(): number {
  if (globalThis.gc === undefined) throw new Error('the Node-RED worker needs --expose-gc');
  // A second pass collects what the first one's finalizers released.
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Sends `total` msgs at once into the binding node and measures the heap while they wait, then redeploys
 * the flow, which fails those still waiting with ERR_CLOSED, and measures it again.
 */
async function memory({ total, warmUp }: { total: number; warmUp: number }): Promise<MemoryFigures> {
  // The account's SDK client and its connections are made by the first msgs: no cost of a queued one.
  await burst(warmUp, sender('binding'));
  const before = heapAfterGc();

  // Counted by Node-RED's hooks, not by a promise per msg, which would add to the heap measured.
  let allReceived = (): void => undefined;
  const received = new Promise<void>((resolveReceived) => {
    allReceived = resolveReceived;
  });
  let receivedCount = 0;
  RED.hooks.add('postReceive.bench', (event) => {
    if (event.destination.id === BINDING && ++receivedCount === total) allReceived();
  });
  // The binding node's done(), which a Catch node no longer passes on while the flow stops.
  let sent = 0;
  let closed = 0;
  let failure: string | undefined;
  RED.hooks.add('onComplete.bench', (event) => {
    if (event.node.id !== BINDING) return;
    if (event.error === undefined) sent++;
    else if ((event.error as { code?: unknown }).code === 'ERR_CLOSED') closed++;
    else failure ??= event.error instanceof Error ? event.error.message : JSON.stringify(event.error);
  });
  try {
    const source = node('binding-source');
    for (let i = 0; i < total; i++) source.send({ payload: BODY });
    await received;
    const queued = heapAfterGc();
    const held = total - sent - closed;
    // The binding node's close waits for its msgs in flight: once stopped, each msg has had its done().
    await deploy(flow);
    if (failure !== undefined) throw new Error(`a msg of the burst failed otherwise: ${failure}`);
    if (sent + closed !== total) throw new Error(`${total - sent - closed} msgs of the burst got no done()`);
    return { before, queued, after: heapAfterGc(), held, sent, closed };
  } finally {
    RED.hooks.remove('*.bench');
  }
}

const handlers = {
  start,
  deploy: async (delivery: DeliveryConfig): Promise<void> => {
    flow = buildFlow(apiUrl, delivery);
    await deploy(flow);
  },
  /** `total` msgs through the pipeline, `inFlight` at a time. */
  closedLoop: ({ pipeline, total, inFlight }: { pipeline: Pipeline; total: number; inFlight: number }) =>
    timed(() => closedLoop(total, inFlight, sender(pipeline))),
  /** `total` msgs sent into the pipeline at once, until the last has left it. */
  burst: ({ pipeline, total }: { pipeline: Pipeline; total: number }) =>
    timed(() => burst(total, sender(pipeline))),
  memory,
};
export type NodeRedWorker = typeof handlers;

serve(handlers, async () => {
  if (started) await RED.stop();
  if (userDir !== undefined) await rm(userDir, { recursive: true, force: true });
});
