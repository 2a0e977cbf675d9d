/**
 * Calls from the bench's main process into its worker processes over Node's IPC channel. Each worker has
 * its own event loop, so the local API, the plain SDK client and Node-RED never share CPU time on one loop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
// Every worker is a TypeScript module; --import tsx lets plain node run it.
const TSX = ['--import', 'tsx'];
const READY = 'ready';
const STOP_GRACE_MS = 10_000;

/** What a worker serves: methods taking at most one JSON argument and answering JSON. */
export type Handlers = Record<string, (arg: never) => unknown>;

interface Request {
  id: number;
  method: string;
  arg: unknown;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

/**
 * Run by a worker: answers the main process's calls. When the channel closes (the main process is done,
 * or has died) the worker cleans up and exits, so no worker outlives the bench.
 */
export function serve(handlers: Handlers, cleanup: () => Promise<void>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('a bench worker must be started by bench/run.ts');
  process.on('message', (request: Request) => {
    const handler = handlers[request.method];
    new Promise((answer) => {
      if (handler === undefined) throw new Error(`no method ${request.method}`);
      answer(handler(request.arg as never));
    }).then(
      (result: unknown) => send({ id: request.id, result } satisfies Reply),
      (err: unknown) =>
        send({
          id: request.id,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies Reply),
    );
  });
  process.once('disconnect', () => {
    void cleanup().finally(() => process.exit());
  });
  // Ctrl-C reaches the whole process group: the main process's exit closes the channel, which cleans up.
  process.on('SIGINT', () => undefined);
  send(READY);
}

/** A worker process as the main process sees it. */
export class Worker<M extends Handlers> {
  /** Every worker started and not yet stopped, so that one whose start hangs is stopped too. */
  private static readonly running = new Set<{ stop(): Promise<void> }>();
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (err: Error) => void }
  >();
  private nextId = 0;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        for (const { reject } of this.pending.values()) {
          reject(new Error(`bench worker ${name} exited (${signal ?? code ?? '?'}) during a call`));
        }
        this.pending.clear();
        done();
      });
    });
    child.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      if (call === undefined) return;
      this.pending.delete(reply.id);
      if ('error' in reply) call.reject(new Error(`in bench worker ${name}: ${reply.error}`));
      else call.resolve(reply.result);
    });
  }

  /** Forks bench/<name>.ts with these node options and waits until it serves. */
  static async start<M extends Handlers>(name: string, nodeOptions: string[] = []): Promise<Worker<M>> {
    const child = fork(join(__dirname, `${name}.ts`), [], {
      cwd: ROOT,
      execArgv: [...nodeOptions, ...TSX],
      // The workers' output (Node-RED's warnings, say) goes to stderr: stdout is the table alone.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const worker = new Worker<M>(name, child);
    Worker.running.add(worker);
    await new Promise<void>((ready, fail) => {
      const onMessage = (message: unknown): void => {
        if (message !== READY) return;
        child.off('message', onMessage);
        ready();
      };
      child.on('message', onMessage);
      void worker.exited.then(() => {
        fail(new Error(`bench worker ${name} exited before it was ready`));
      });
    });
    return worker;
  }

  call<K extends keyof M & string>(method: K, ...args: Parameters<M[K]>): Promise<Awaited<ReturnType<M[K]>>> {
    if (!this.child.connected) return Promise.reject(new Error(`bench worker ${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, method, arg: args[0] } satisfies Request);
    });
  }

  /** Closes the channel, which makes the worker clean up and exit; kills it if it has not within 10 s. */
  async stop(): Promise<void> {
    Worker.running.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...Worker.running].map((worker) => worker.stop()));
  }
}
