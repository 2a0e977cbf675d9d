import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from './node-red-process';

const SETUP_HINT = 'run `bash scripts/setup-services.sh` (as root) to install it from Debian';

/** The mosquitto executable: on PATH, or in /usr/sbin where Debian puts it (not on a normal user's PATH). */
export function findMosquitto(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter((entry) => entry !== '')) {
    const file = join(dir, 'mosquitto');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this one
    }
  }
  throw new Error(`the MQTT tests need the mosquitto broker, which is not installed: ${SETUP_HINT}`);
}

/** The part of the mqtt package (v5) the tests use. */
interface MqttClient {
  publishAsync(
    topic: string,
    message: string,
    options: { qos: 0 | 1 | 2; retain: boolean },
  ): Promise<unknown>;
  endAsync(): Promise<void>;
}
interface MqttModule {
  connectAsync(url: string, options: { clientId: string; reconnectPeriod: number }): Promise<MqttClient>;
}

/**
 * The mqtt package that Node-RED's own MQTT nodes use, so the tests publish with a real client without a
 * dependency of their own.
 */
function loadMqtt(): MqttModule {
  const nodes = dirname(require.resolve('@node-red/nodes/package.json'));
  const load = createRequire(__filename);
  const mqtt = load(load.resolve('mqtt', { paths: [nodes] })) as Partial<MqttModule>;
  if (typeof mqtt.connectAsync !== 'function') throw new Error('the mqtt package found has no connectAsync');
  return mqtt as MqttModule;
}

export interface PublishOptions {
  /** 1 by default: publish() resolves once the broker has the message. */
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/**
 * A real mosquitto broker on 127.0.0.1 and a free port, anonymous, without persistence, logging everything
 * (subscriptions and each PUBLISH it sends included) so that tests can wait for what the broker did.
 */
export class Mosquitto {
  output = '';
  readonly url: string;
  private published = 0;

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly child: ChildProcessByStdio<null, Readable, Readable>,
    private readonly dir: string,
  ) {
    this.url = `mqtt://${host}:${port}`;
  }

  /** Starts the broker and resolves once it accepts TCP connections. */
  static async start(safetyMs = 10_000): Promise<Mosquitto> {
    const executable = findMosquitto();
    const dir = await mkdtemp(join(tmpdir(), 'twilio-sms-mosquitto-'));
    const host = '127.0.0.1';
    const port = await freePort();
    const config = join(dir, 'mosquitto.conf');
    await writeFile(
      config,
      [
        `listener ${port} ${host}`,
        'allow_anonymous true',
        'persistence false',
        // stderr, not stdout: a piped stdout is block-buffered, so its lines would arrive only at exit.
        'log_dest stderr',
        'log_type all',
        'log_timestamp false',
        '',
      ].join('\n'),
    );
    const child = spawn(executable, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const broker = new Mosquitto(host, port, child, dir);
    const onData = (chunk: Buffer): void => {
      broker.output += chunk.toString();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    try {
      await broker.accepting(safetyMs);
    } catch (err) {
      await broker.stop();
      throw err;
    }
    return broker;
  }

  /** Connects with net until the broker accepts, retrying as soon as a connection is refused. */
  private accepting(safetyMs: number): Promise<void> {
    return new Promise((ready, fail) => {
      let done = false;
      let attempts = 0;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.child.off('exit', onExit);
        if (err) fail(err);
        else ready();
      };
      const timer = setTimeout(() => {
        finish(
          new Error(
            `mosquitto accepted no connection on ${this.host}:${this.port} within ${safetyMs} ms (${attempts} attempts):\n${this.output}`,
          ),
        );
      }, safetyMs);
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        finish(
          new Error(`mosquitto exited (${signal ?? code}) before accepting connections:\n${this.output}`),
        );
      };
      this.child.once('exit', onExit);
      // The child may already be gone (spawn errors arrive as 'error', then 'exit').
      this.child.once('error', (err) => {
        finish(new Error(`mosquitto could not be started: ${err.message}; ${SETUP_HINT}`));
      });
      const attempt = (): void => {
        if (done) return;
        attempts++;
        const socket = connect(this.port, this.host);
        socket.once('connect', () => {
          socket.destroy();
          finish();
        });
        socket.once('error', (err: NodeJS.ErrnoException) => {
          socket.destroy();
          if (err.code === 'ECONNREFUSED') setImmediate(attempt);
          else finish(err);
        });
      };
      attempt();
    });
  }

  /** Publishes one message with a fresh client, and disconnects it. */
  async publish(topic: string, message: string, options: PublishOptions = {}): Promise<void> {
    const client = await loadMqtt().connectAsync(this.url, {
      clientId: `twilio-sms-test-${process.pid}-${++this.published}`,
      reconnectPeriod: 0,
    });
    try {
      await client.publishAsync(topic, message, { qos: options.qos ?? 1, retain: options.retain ?? false });
    } finally {
      await client.endAsync();
    }
  }

  /** Resolves once the broker's log after position `since` matches. */
  waitForOutput(pattern: string | RegExp, since: number, safetyMs = 10_000): Promise<void> {
    const found = (): boolean =>
      typeof pattern === 'string'
        ? this.output.includes(pattern, since)
        : pattern.test(this.output.slice(since));
    if (found()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onData = (): void => {
        // The broker's own listener has appended the chunk already: it was registered first.
        if (!found()) return;
        cleanup();
        resolve();
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`mosquitto exited while waiting for ${String(pattern)}:\n${this.output}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${String(pattern)} did not appear in mosquitto's log:\n${this.output}`));
      }, safetyMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.stderr.off('data', onData);
        this.child.off('exit', onExit);
      };
      this.child.stderr.on('data', onData);
      this.child.once('exit', onExit);
    });
  }

  /** Resolves once some client has subscribed to exactly `topic` (mosquitto logs `<client> <qos> <topic>`). */
  waitForSubscription(topic: string, since: number, safetyMs = 10_000): Promise<void> {
    const escaped = topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return this.waitForOutput(new RegExp(`^\\S+ \\d ${escaped}$`, 'm'), since, safetyMs);
  }

  /** Stops the broker (SIGTERM) and waits for it to exit; removes its configuration. Idempotent. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      const exited = new Promise((done) => this.child.once('exit', done));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A copy of `flow` whose mqtt-broker config nodes point at `broker`; nothing else changed. */
export function withBroker<T extends { type: string }>(flow: readonly T[], broker: Mosquitto): T[] {
  return flow.map((node) =>
    node.type === 'mqtt-broker' ? { ...node, broker: broker.host, port: String(broker.port) } : { ...node },
  );
}
