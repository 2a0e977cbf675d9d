/**
 * What `npm start` runs: Node-RED on 127.0.0.1:1880 with this package installed and a demo flow deployed,
 * sending through the local Twilio API of ./twilio-api.ts, so it all works without a Twilio account. With
 * TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER set, the same flow uses the real Twilio.
 *
 *   npm start              keeps the flows in .node-red/, so edits made in the editor survive restarts
 *   npm start -- --reset   writes the demo flow again
 *
 * Environment: PORT (Node-RED, 1880), TWILIO_SANDBOX_PORT (local Twilio API, 1881), TWILIO_TO_NUMBER.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { SANDBOX_ACCOUNT, TwilioApi, type SandboxMessage } from './twilio-api';

const ROOT = resolve(__dirname, '..');
const USER_DIR = join(ROOT, '.node-red');
const EXAMPLES_DIR = join(ROOT, 'examples');
const HOST = '127.0.0.1';

interface PackageJson {
  name: string;
  'node-red': { nodes: Record<string, string> };
}
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** A node of an exported flow; the properties that differ between node types stay unknown. */
export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  y?: number;
  [property: string]: unknown;
}

/** The examples the demo tab is made of, top to bottom (03 needs an MQTT broker, which is not at hand). */
const DEMO_EXAMPLES = [
  '01 - Send an SMS from an inject node.json',
  '02 - HTTP endpoint that sends an SMS.json',
  '04 - Dapr-compatible binding endpoint.json',
];
const DEMO_TAB_ID = 'twilio-sms-demo';
export const DEMO_ACCOUNT_ID = 'twilio-sms-demo-account';
// Node-RED replaces a value that is exactly ${NAME} with that environment variable when it starts, so the
// flow and its credentials file hold no account data: main() decides what the variables say.
const DEMO_CREDENTIALS = {
  accountSid: '${TWILIO_ACCOUNT_SID}',
  authToken: '${TWILIO_AUTH_TOKEN}',
  fromNumber: '${TWILIO_FROM_NUMBER}',
  toNumber: '${TWILIO_TO_NUMBER}',
};
const DEMO_FROM_NUMBER = '+15005550006';
const DEMO_TO_NUMBER = '+14155550101';
// Vertical space between two examples on the demo tab.
const GAP_Y = 80;

/**
 * One tab holding the examples of DEMO_EXAMPLES, stacked, their binding nodes re-pointed from the
 * example's own (empty) account to one that reads the environment: the examples stay the one source of
 * truth for what the flows do.
 */
export function buildDemoFlow(): FlowNode[] {
  const note = [
    'The Account SID, Auth token, numbers and API URL of **Demo account (environment)** are `${NAME}`',
    'references to environment variables, which `npm start` (sandbox/start.ts in the repository) sets:',
    '',
    '- by default to the local Twilio API it runs beside Node-RED: nothing leaves this machine, and the',
    `  terminal prints each SMS "sent". It sends from \`${DEMO_FROM_NUMBER}\` to \`${DEMO_TO_NUMBER}\`; send to`,
    "  `+15005550001` to see Twilio's error 21211 (`curl -X POST http://127.0.0.1:1880/sms -d body=Hi",
    '  --data-urlencode to=+15005550001`).',
    '- to the real Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER (and optionally',
    '  TWILIO_TO_NUMBER) are set in the environment of `npm start`.',
    '',
    'Each flow below is one of the examples of the package (Import > Examples >',
    'node-red-contrib-twilio-sms-binding), where the account is yours to fill in. Edits to this tab are kept',
    'across restarts; `npm start -- --reset` brings the demo back.',
  ].join('\n');
  const nodes: FlowNode[] = [
    { id: DEMO_TAB_ID, type: 'tab', label: 'Twilio SMS demo', disabled: false, info: '', env: [] },
    {
      id: DEMO_ACCOUNT_ID,
      type: 'twilio-sms-config',
      name: 'Demo account (environment)',
      timeout: '30s',
      apiBaseUrl: '${TWILIO_API_BASE_URL}',
      region: '',
      edge: '',
    },
    {
      id: `${DEMO_TAB_ID}-note`,
      type: 'comment',
      z: DEMO_TAB_ID,
      name: 'Demo: the account comes from the environment that npm start sets',
      info: note,
      x: 270,
      y: 40,
      wires: [],
    },
  ];
  let top = 100;
  for (const file of DEMO_EXAMPLES) {
    const example = JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[];
    const ys = example.flatMap((node) => (node.y === undefined ? [] : [node.y]));
    const shift = top - Math.min(...ys);
    for (const node of example) {
      if (node.type === 'tab' || node.type === 'twilio-sms-config') continue;
      if (node.z === undefined) {
        nodes.push(node);
        continue;
      }
      const account = node.type === 'twilio-sms-binding' ? { account: DEMO_ACCOUNT_ID } : {};
      nodes.push({ ...node, ...account, z: DEMO_TAB_ID, y: (node.y ?? 0) + shift });
    }
    top = Math.max(...ys) + shift + GAP_Y;
  }
  return nodes;
}

function parsePort(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535); got "${text}"`);
  }
  return port;
}

/** The TWILIO_* variables Node-RED gets, and how to describe them; no token is ever described. */
interface TwilioMode {
  env: Record<string, string>;
  description: string;
}

const REAL_ACCOUNT_VARIABLES = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'];

function realTwilio(): TwilioMode | undefined {
  const missing = REAL_ACCOUNT_VARIABLES.filter((name) => !process.env[name]);
  if (missing.length === REAL_ACCOUNT_VARIABLES.length) return undefined;
  if (missing.length > 0) {
    console.warn(`${missing.join(', ')} not set: using the local Twilio API instead of Twilio.`);
    return undefined;
  }
  const { TWILIO_ACCOUNT_SID = '', TWILIO_FROM_NUMBER = '', TWILIO_TO_NUMBER = '' } = process.env;
  return {
    // An empty API URL is Twilio's own.
    env: { TWILIO_TO_NUMBER, TWILIO_API_BASE_URL: '' },
    description:
      `the real Twilio: account ${TWILIO_ACCOUNT_SID}, from ${TWILIO_FROM_NUMBER}, ` +
      (TWILIO_TO_NUMBER === ''
        ? 'to the "to" of each request (TWILIO_TO_NUMBER is not set)'
        : `to ${TWILIO_TO_NUMBER}`),
  };
}

function sandboxTwilio(api: TwilioApi): TwilioMode {
  return {
    env: {
      TWILIO_ACCOUNT_SID: SANDBOX_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: SANDBOX_ACCOUNT.authToken,
      TWILIO_FROM_NUMBER: DEMO_FROM_NUMBER,
      TWILIO_TO_NUMBER: DEMO_TO_NUMBER,
      TWILIO_API_BASE_URL: api.url,
    },
    description: `the local Twilio API at ${api.url} (from ${DEMO_FROM_NUMBER} to ${DEMO_TO_NUMBER}; each SMS is printed here)`,
  };
}

async function startSandbox(port: number): Promise<TwilioApi> {
  // Without recording: a long-running sandbox would keep every message in memory.
  try {
    return await TwilioApi.start({ host: HOST, port, record: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    console.warn(`Port ${port} is taken: the local Twilio API listens on a free port instead.`);
    return TwilioApi.start({ host: HOST, port: 0, record: false });
  }
}

function printMessage(message: SandboxMessage): void {
  const time = new Date().toTimeString().slice(0, 8);
  const from = message.from ?? message.messaging_service_sid ?? '?';
  // JSON quoting keeps a multi-line body on one line.
  console.log(
    `[twilio sandbox] ${time} SMS to ${message.to} from ${from}: ${JSON.stringify(message.body)} (${message.sid})`,
  );
}

/** The user directory's package.json: Node-RED reads which modules the user installed from it. */
interface UserManifest {
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * Installs the package into the user directory as `npm install <path>` does, which is how Node-RED's
 * documentation has node authors run their nodes: a link in node_modules and a dependency in package.json.
 * Node-RED then loads the nodes from the link and lists examples/ under the package name.
 */
function installPackage(): void {
  const modules = join(USER_DIR, 'node_modules');
  const link = join(modules, PACKAGE.name);
  mkdirSync(modules, { recursive: true });
  const existing = lstatSync(link, { throwIfNoEntry: false });
  if (existing !== undefined && !existing.isSymbolicLink()) {
    throw new Error(`${link} is not a link to this project (a copy installed from npm?): remove it`);
  }
  if (existing === undefined || !linksToRoot(link)) {
    if (existing !== undefined) unlinkSync(link);
    // Relative, as npm links it, so the checkout can move; 'junction' lets Windows link without admin rights.
    symlinkSync(relative(modules, ROOT), link, 'junction');
  }

  const manifestFile = join(USER_DIR, 'package.json');
  // Node-RED's own default when the file is missing.
  const manifest: UserManifest = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as UserManifest)
    : { name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true };
  const spec = `file:${relative(USER_DIR, ROOT)}`;
  const dependencies: Record<string, string> = manifest.dependencies ?? {};
  if (dependencies[PACKAGE.name] !== spec) {
    writeFileSync(
      manifestFile,
      `${JSON.stringify({ ...manifest, dependencies: { ...dependencies, [PACKAGE.name]: spec } }, null, 4)}\n`,
    );
  }
}

function linksToRoot(link: string): boolean {
  try {
    return realpathSync(link) === realpathSync(ROOT);
  } catch {
    // A dangling link.
    return false;
  }
}

/**
 * The demo's credentials file holds only ${NAME} references, but a token typed into the editor later is
 * real. So credentials are encrypted, never `credentialSecret: false`, with a random key made once per
 * user directory and kept in it (gitignored), never a fixed key from the repository. Node-RED would make
 * such a key itself, but then warns at every start that one should be set.
 */
function writeSettings(port: number): string {
  const secretFile = join(USER_DIR, '.credential-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const settingsFile = join(USER_DIR, 'settings.js');
  writeFileSync(
    settingsFile,
    `// Written by sandbox/start.ts at every \`npm start\`: change that file, not this one.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports = {
  // This machine only: neither the editor nor the flows' HTTP endpoints ask for a login.
  uiHost: ${JSON.stringify(HOST)},
  uiPort: ${port},
  flowFile: 'flows.json',
  // Made once for this user directory by sandbox/start.ts; see writeSettings() there.
  credentialSecret: readFileSync(join(__dirname, '.credential-secret'), 'utf8'),
};
`,
  );
  return settingsFile;
}

/** Writes the demo flow unless the user directory has flows already (or `reset` says to). */
function writeDemoFlow(reset: boolean): boolean {
  const flowFile = join(USER_DIR, 'flows.json');
  if (existsSync(flowFile) && !reset) return false;
  writeFileSync(flowFile, `${JSON.stringify(buildDemoFlow(), null, 4)}\n`);
  // In plain text: Node-RED reads it (logging "Encrypted credentials not found") and encrypts it at the
  // next deploy. Writing it encrypted would mean copying Node-RED's private file format.
  writeFileSync(
    join(USER_DIR, 'flows_cred.json'),
    `${JSON.stringify({ [DEMO_ACCOUNT_ID]: DEMO_CREDENTIALS }, null, 4)}\n`,
  );
  return true;
}

function printIntro(url: string, twilio: TwilioMode, wroteDemo: boolean): void {
  const flowFile = relative(process.cwd(), join(USER_DIR, 'flows.json'));
  const examples = [
    `curl -X POST ${url}/sms -d 'body=Hello'`,
    `curl -X POST ${url}/sms -H 'content-type: text/plain' -d 'Hello'`,
    `curl -X POST ${url}/sms -H 'content-type: application/json' -d '{"body": "Hello", "to": "+14155550102"}'`,
    `curl -X POST ${url}/v1.0/bindings/sms -H 'content-type: application/json' -d '{"data": "Hello", "operation": "create"}'`,
  ];
  console.log(
    [
      '',
      `Node-RED editor  ${url}/`,
      `Twilio API       ${twilio.description}`,
      `Flows            ${flowFile} ${wroteDemo ? '(the demo, just written)' : '(`npm start -- --reset` writes the demo again)'}`,
      ...examples.map((example, i) => (i === 0 ? 'Try' : '').padEnd(17) + example),
      '',
    ].join('\n'),
  );
}

function checkBuilt(): boolean {
  const missing = Object.values(PACKAGE['node-red'].nodes).filter((file) => !existsSync(join(ROOT, file)));
  if (missing.length === 0) return true;
  console.error(`${missing.join(', ')} missing: run \`npm run build\` first.`);
  return false;
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--reset');
  if (unknown.length > 0) {
    console.error(`Unknown argument ${unknown.join(' ')}. Usage: npm start [-- --reset]`);
    return 2;
  }
  if (!checkBuilt()) return 1;
  const port = parsePort('PORT', 1880);
  const sandboxPort = parsePort('TWILIO_SANDBOX_PORT', 1881);

  mkdirSync(USER_DIR, { recursive: true });
  installPackage();
  const settingsFile = writeSettings(port);
  const wroteDemo = writeDemoFlow(args.includes('--reset'));

  let twilio = realTwilio();
  let sandbox: TwilioApi | undefined;
  if (twilio === undefined) {
    sandbox = await startSandbox(sandboxPort);
    sandbox.on('message', printMessage);
    twilio = sandboxTwilio(sandbox);
  }
  try {
    printIntro(`http://${HOST}:${port}`, twilio, wroteDemo);

    const child = spawn(
      process.execPath,
      [require.resolve('node-red/red.js'), '-u', USER_DIR, '-s', settingsFile],
      {
        stdio: 'inherit',
        env: { ...process.env, ...twilio.env },
      },
    );
    // Ctrl-C reaches Node-RED directly too (same process group); it stops once however often it is told.
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
  } finally {
    await sandbox?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
