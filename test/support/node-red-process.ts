import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { SANDBOX_ACCOUNT } from '../../sandbox/twilio-api';
import { NODE_RED_LAUNCHER } from './node-red';

const run = promisify(execFile);
const PROJECT = resolve(__dirname, '../..');

/** Packs the project as npm publishes it and installs the tarball into a fresh Node-RED user directory. */
export async function installPackedPackage(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'twilio-sms-e2e-'));
  await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: PROJECT });
  const tarball = (await readdir(work)).find((file) => file.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  const userDir = join(work, 'user');
  await mkdir(userDir);
  await writeFile(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
  // As the palette manager does it: npm install in the user directory.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], {
    cwd: userDir,
  });
  return userDir;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A real `node-red` process, started from this project's Node-RED, with its output kept for inspection. */
export class NodeRedProcess {
  output = '';
  private constructor(
    readonly url: string,
    private readonly child: ChildProcessByStdio<null, Readable, Readable>,
  ) {}

  static async start(userDir: string, settings: string): Promise<NodeRedProcess> {
    const port = await freePort();
    const settingsFile = join(userDir, 'settings.js');
    await writeFile(settingsFile, settings);
    const child = spawn(
      process.execPath,
      [NODE_RED_LAUNCHER, '--userDir', userDir, '--settings', settingsFile, '--port', String(port)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' } },
    );
    const nodeRed = new NodeRedProcess(`http://127.0.0.1:${port}`, child);
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => {
        // Not left running behind a failed start: no caller holds it to stop it.
        child.kill('SIGKILL');
        fail(new Error(`Node-RED did not start within 60 s:\n${nodeRed.output}`));
      }, 60_000);
      const onData = (chunk: Buffer): void => {
        nodeRed.output += chunk.toString();
        // Node-RED listens first and starts its flows after: ready means both.
        if (nodeRed.output.includes('Server now running') && nodeRed.output.includes('Started flows')) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`Node-RED exited with ${code}:\n${nodeRed.output}`));
      });
    });
    return nodeRed;
  }

  /** Resolves once the output after position `since` contains the text (Node-RED logs each deploy). */
  waitForOutput(text: string, since: number, safetyMs = 20_000): Promise<void> {
    if (this.output.includes(text, since)) return Promise.resolve();
    return new Promise((found, fail) => {
      const timer = setTimeout(() => {
        fail(new Error(`"${text}" did not appear in Node-RED's output:\n${this.output}`));
      }, safetyMs);
      const onData = (): void => {
        if (!this.output.includes(text, since)) return;
        clearTimeout(timer);
        this.child.stdout.off('data', onData);
        found();
      };
      this.child.stdout.on('data', onData);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGINT');
    await exited;
  }
}

export async function removeUserDir(userDir: string): Promise<void> {
  await rm(resolve(userDir, '..'), { recursive: true, force: true });
}

/** A node of a flow as the Admin API takes and gives it. */
export interface FlowNode {
  id: string;
  type: string;
  [property: string]: unknown;
}

export interface Deployment {
  status: number;
  /** The parsed answer: `{rev}` on success. */
  body: unknown;
  /** Where Node-RED's output stood before the deploy: pass it to waitForOutput. */
  since: number;
}

/** Deploys `flows` as the editor's Deploy button does: a full deploy through Admin API v2. */
export async function deployFlows(nodeRed: NodeRedProcess, flows: unknown[]): Promise<Deployment> {
  const since = nodeRed.output.length;
  const response = await fetch(`${nodeRed.url}/flows`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'Node-RED-API-Version': 'v2',
      'Node-RED-Deployment-Type': 'full',
    },
    body: JSON.stringify({ flows }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the assertion message
  }
  return { status: response.status, body, since };
}

/** The node types that Node-RED has installed and enabled (GET /nodes). */
export async function installedTypes(nodeRed: NodeRedProcess): Promise<Set<string>> {
  const response = await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'application/json' } });
  const sets = (await response.json()) as { types: string[]; enabled: boolean; err?: string }[];
  return new Set(sets.filter((set) => set.enabled && set.err === undefined).flatMap((set) => set.types));
}

/** The lines Node-RED logged at warn or error level after position `since` of its output. */
export function problemLines(nodeRed: NodeRedProcess, since: number): string[] {
  return nodeRed.output
    .slice(since)
    .split('\n')
    .filter((line) => /\[(?:error|warn)\]/.test(line));
}

/**
 * A copy of an imported example (or any flow) whose twilio-sms-config nodes use the API at `apiBaseUrl` with
 * `credentials`, as a user fills in the account dialog; every other node and property is left as it is.
 */
/** The account the e2e flows use: the sandbox's credentials, a US sender and a fixed recipient. */
export const E2E_FROM_NUMBER = '+14155552671';
export const E2E_TO_NUMBER = '+14155550101';
export const E2E_CREDENTIALS: Readonly<Record<string, string>> = {
  accountSid: SANDBOX_ACCOUNT.accountSid,
  authToken: SANDBOX_ACCOUNT.authToken,
  fromNumber: E2E_FROM_NUMBER,
  toNumber: E2E_TO_NUMBER,
};

export function withAccount(
  flow: readonly FlowNode[],
  apiBaseUrl: string,
  credentials: Readonly<Record<string, string>>,
): FlowNode[] {
  return flow.map((node) =>
    node.type === 'twilio-sms-config'
      ? { ...node, apiBaseUrl, credentials: { ...credentials } }
      : { ...node },
  );
}
