/**
 * What loading the package costs Node-RED: requiring its node files and calling their registration
 * functions, in a fresh process each time.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);

// Plain JavaScript run by plain node, without tsx: its require hooks would slow down the requires timed.
// The stub RED records registerType calls and answers anything else with a do-nothing stub, so that
// registration code may touch other parts of RED (RED.httpAdmin, RED.auth) without the stub knowing them.
const PROBE = `
const files = process.argv.slice(1);
const types = [];
const anything = new Proxy(function () {}, { get: () => anything, apply: () => anything });
const stub = (own) => new Proxy(own, { get: (target, key) => (key in target ? target[key] : anything) });
const RED = stub({ nodes: stub({ registerType: (type) => types.push(type) }) });
const start = process.hrtime.bigint();
for (const file of files) require(file)(RED);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const twilioLoaded = Object.keys(require.cache).some((file) => /[\\\\/]node_modules[\\\\/]twilio[\\\\/]/.test(file));
console.log(JSON.stringify({ ms, types, twilioLoaded }));
`;

export interface LoadCost {
  /** Milliseconds from the first require to the last registration, one per run. */
  ms: number[];
  /** The node types registered (the same in every run). */
  types: string[];
  /** Whether any run loaded the twilio SDK. */
  twilioLoaded: boolean;
}

/** The node files Node-RED loads, as package.json lists them. */
export async function nodeFiles(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  return Object.values(manifest['node-red'].nodes).map((file) => join(ROOT, file));
}

export async function measureLoadCost(runs: number): Promise<LoadCost> {
  const files = await nodeFiles();
  const cost: LoadCost = { ms: [], types: [], twilioLoaded: false };
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(process.execPath, ['-e', PROBE, ...files], { cwd: ROOT });
    const result = JSON.parse(stdout) as { ms: number; types: string[]; twilioLoaded: boolean };
    cost.ms.push(result.ms);
    cost.types = result.types;
    cost.twilioLoaded ||= result.twilioLoaded;
  }
  return cost;
}
