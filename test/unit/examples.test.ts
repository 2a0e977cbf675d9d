import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import should from 'should';
import { buildDemoFlow, DEMO_ACCOUNT_ID, type FlowNode } from '../../sandbox/start';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES_DIR = join(ROOT, 'examples');

/** The node types registered by the editor files under `dir`. */
function registeredTypes(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.html'))
    .flatMap((file) =>
      [
        ...readFileSync(join(dir, file), 'utf8').matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g),
      ].map((match) => match[1] ?? ''),
    );
}

// What a user has after installing Node-RED and this package, nothing else. `unknown` is Node-RED's
// stand-in for a missing type.
const AVAILABLE_TYPES = new Set(
  [
    'tab',
    ...registeredTypes(join(dirname(require.resolve('@node-red/nodes/package.json')), 'core')),
    ...registeredTypes(join(ROOT, 'nodes')),
  ].filter((type) => type !== 'unknown'),
);

// An account SID, an API key SID, an auth token. Placeholders such as `AC...` or ${TWILIO_AUTH_TOKEN} pass.
const SECRET_LOOKING = [/AC[0-9a-f]{32}/i, /SK[0-9a-f]{32}/i, /\b[0-9a-f]{32}\b/i];

function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      yield key;
      yield* strings(item);
    }
  }
}

function hasKey(value: unknown, name: string): boolean {
  if (Array.isArray(value)) return value.some((item) => hasKey(item, name));
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, item]) => key === name || hasKey(item, name));
}

function isFlowNode(value: unknown): value is FlowNode {
  const node = value as Partial<FlowNode> | null;
  return (
    typeof node === 'object' && node !== null && typeof node.id === 'string' && typeof node.type === 'string'
  );
}

/** Every way in which `flow` is not a flow Node-RED imports as it is, as readable sentences. */
function problems(flow: unknown): string[] {
  if (!Array.isArray(flow) || !flow.every(isFlowNode)) return ['not an array of nodes with an id and a type'];
  const found: string[] = [];
  const byId = new Map<string, FlowNode>();
  for (const node of flow) {
    if (byId.has(node.id)) found.push(`id ${node.id} is used twice`);
    byId.set(node.id, node);
  }
  const tabs = flow.filter((node) => node.type === 'tab');
  if (tabs.length !== 1) found.push(`${tabs.length} tabs instead of one`);
  for (const node of flow) {
    const name = `${node.type} ${node.id}`;
    if (!AVAILABLE_TYPES.has(node.type)) found.push(`${name}: not a core node type nor one of this package`);
    if (node.type === 'tab') continue;
    if (node.z === undefined) {
      // A config node: it belongs to no tab and has no position or wires.
      if ('x' in node || 'wires' in node) found.push(`${name}: placed or wired, but on no tab`);
      continue;
    }
    if (byId.get(node.z)?.type !== 'tab') found.push(`${name}: z is ${node.z}, not a tab of the file`);
    if (typeof node.x !== 'number' || typeof node.y !== 'number') found.push(`${name}: no x, y position`);
    const wires: unknown = node.wires;
    if (!Array.isArray(wires) || !wires.every((port) => Array.isArray(port))) {
      found.push(`${name}: wires is not an array of outputs`);
      continue;
    }
    for (const target of wires.flat() as unknown[]) {
      const other = typeof target === 'string' ? byId.get(target) : undefined;
      if (other?.z !== node.z) found.push(`${name}: wired to ${String(target)}, not a node of its tab`);
    }
    if (node.type === 'catch' && Array.isArray(node.scope)) {
      for (const id of node.scope as unknown[]) {
        if (typeof id !== 'string' || !byId.has(id)) found.push(`${name}: catches ${String(id)}, not a node`);
      }
    }
    if (node.type === 'twilio-sms-binding') {
      const account = typeof node.account === 'string' ? byId.get(node.account) : undefined;
      if (account?.type !== 'twilio-sms-config') {
        found.push(`${name}: account ${String(node.account)} is not a twilio-sms-config node of the file`);
      }
    }
  }
  return found;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8'));
}

describe('examples/', () => {
  const files = readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort();

  it('holds examples, named as Import > Examples lists them', () => {
    should(files).not.be.empty();
    for (const file of files) should(file).match(/^\d\d - [A-Z][\w -]+\.json$/);
  });

  for (const file of files) {
    describe(file, () => {
      it('is a flow on its own tab, every wire, scope and account pointing at a node of the file', () => {
        should(problems(readJson(file))).deepEqual([]);
      });

      it('has config nodes with an empty API URL, and no credentials anywhere', () => {
        const flow = readJson(file) as FlowNode[];
        const accounts = flow.filter((node) => node.type === 'twilio-sms-config');
        should(accounts).not.be.empty();
        for (const account of accounts) should(account.apiBaseUrl).equal('');
        should(hasKey(flow, 'credentials')).be.false();
      });

      it('contains nothing that looks like an account SID, an API key or an auth token', () => {
        const secrets = [...strings(readJson(file))].filter((text) =>
          SECRET_LOOKING.some((pattern) => pattern.test(text)),
        );
        should(secrets).deepEqual([]);
      });
    });
  }
});

describe('the demo flow of npm start', () => {
  it('is one valid tab made of the examples, every binding using the account of the environment', () => {
    const flow = buildDemoFlow();
    should(problems(flow)).deepEqual([]);
    const accounts = flow.filter((node) => node.type === 'twilio-sms-config');
    should(accounts.map((node) => [node.id, node.apiBaseUrl])).deepEqual([
      [DEMO_ACCOUNT_ID, '${TWILIO_API_BASE_URL}'],
    ]);
    const bindings = flow.filter((node) => node.type === 'twilio-sms-binding');
    should(bindings).not.be.empty();
    for (const binding of bindings) should(binding.account).equal(DEMO_ACCOUNT_ID);
  });

  it('serves each HTTP route once, and holds no credentials', () => {
    const flow = buildDemoFlow();
    const routes = flow
      .filter((node) => node.type === 'http in')
      .map((node) => `${String(node.method)} ${String(node.url)}`);
    should(routes).deepEqual(['post /sms', 'post /v1.0/bindings/:name']);
    should(hasKey(flow, 'credentials')).be.false();
  });
});
