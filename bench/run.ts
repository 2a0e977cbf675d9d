/**
 * `npm run bench`: throughput, latency-bound rate, rate-limit accuracy, heap per queued msg and load cost
 * of the binding node, all from one run against the local Twilio API, printed as a markdown table.
 * Never part of `npm test`. Needs `npm run build` first (it measures nodes/*.js).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import type { ApiWorker } from './api-worker';
import { measureLoadCost, nodeFiles } from './load-cost';
import type { NodeRedWorker } from './node-red-worker';
import { formatReport, type Results, type Variant } from './report';
import { Worker } from './rpc';
import type { SdkWorker } from './sdk-worker';
import type { Timing } from './shared';

const IN_FLIGHT = 20;
// Five rounds: the median of the per-round ratios then shrugs off two rounds disturbed by other work.
const THROUGHPUT = { total: 2000, warmUp: 500, rounds: 5 };
const LATENCY = { latencyMs: 100, total: 600 };
const RATE = { perSecond: 10, total: 100 };
const MEMORY = { total: 10_000, perSecond: 50, warmUp: 20 };
const LOAD_RUNS = 5;
// Far beyond a normal run (30 to 45 s): a hang must not keep the machine busy.
const DEADLINE_MS = 170_000;
// Large enough for every burst above: none may be refused with ERR_QUEUE_FULL.
const QUEUE_LIMIT = 10_000;
const VARIANTS: readonly Variant[] = ['binding', 'function', 'sdk'];

function progress(text: string): void {
  console.error(`bench: ${text}`);
}

function version(module: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${module}/package.json`), 'utf8')) as { version: string })
    .version;
}

function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  // The load average says how much else the machine was doing: the rates suffer from it, the ratios less.
  const load = loadavg()[0]?.toFixed(2) ?? '?';
  return `${model}, ${availableParallelism()} cores, Node.js ${process.version}, Node-RED ${version('node-red')}, twilio ${version('twilio')}; load average ${load} at the start`;
}

async function measure(): Promise<Results> {
  const machineLine = machine();
  // First, while no other process of the bench runs.
  progress(`load cost, ${LOAD_RUNS} fresh processes`);
  const load = await measureLoadCost(LOAD_RUNS);

  const api = await Worker.start<ApiWorker>('api-worker');
  const apiUrl = await api.call('url');
  const sdk = await Worker.start<SdkWorker>('sdk-worker');
  const red = await Worker.start<NodeRedWorker>('node-red-worker', ['--expose-gc']);
  await red.call('start', { apiUrl });
  await red.call('deploy', { concurrency: IN_FLIGHT, ratePerSecond: 0, queueLimit: QUEUE_LIMIT });

  const runOnce = (variant: Variant, total: number): Promise<Timing> =>
    variant === 'sdk'
      ? sdk.call('run', { apiUrl, total, inFlight: IN_FLIGHT })
      : red.call('closedLoop', { pipeline: variant, total, inFlight: IN_FLIGHT });
  for (const variant of VARIANTS) {
    progress(`throughput warm-up, ${variant}`);
    await runOnce(variant, THROUGHPUT.warmUp);
  }
  const rounds: Record<Variant, Timing[]> = { binding: [], function: [], sdk: [] };
  for (let round = 0; round < THROUGHPUT.rounds; round++) {
    // Each variant takes each place in the order once: none always runs first or last.
    const shift = round % VARIANTS.length;
    const order = [...VARIANTS.slice(shift), ...VARIANTS.slice(0, shift)];
    for (const variant of order) {
      progress(`throughput round ${round + 1}/${THROUGHPUT.rounds}, ${variant}`);
      rounds[variant].push(await runOnce(variant, THROUGHPUT.total));
    }
  }

  progress(`latency-bound, ${LATENCY.total} msgs`);
  await api.call('setLatency', LATENCY.latencyMs);
  const latencyTiming = await red.call('burst', { pipeline: 'binding', total: LATENCY.total });
  await api.call('setLatency', 0);

  progress(`rate limit ${RATE.perSecond}/s, ${RATE.total} msgs`);
  await red.call('deploy', {
    concurrency: IN_FLIGHT,
    ratePerSecond: RATE.perSecond,
    queueLimit: QUEUE_LIMIT,
  });
  await api.call('recordArrivals');
  await red.call('burst', { pipeline: 'binding', total: RATE.total });
  const arrivals = await api.call('takeArrivals');

  progress(`memory, ${MEMORY.total} msgs at ${MEMORY.perSecond}/s`);
  await red.call('deploy', {
    concurrency: IN_FLIGHT,
    ratePerSecond: MEMORY.perSecond,
    queueLimit: QUEUE_LIMIT,
  });
  const memory = await red.call('memory', { total: MEMORY.total, warmUp: MEMORY.warmUp });

  return {
    machine: machineLine,
    throughput: { total: THROUGHPUT.total, warmUp: THROUGHPUT.warmUp, inFlight: IN_FLIGHT, rounds },
    latency: { ...LATENCY, concurrency: IN_FLIGHT, elapsedMs: latencyTiming.ms },
    rate: { ...RATE, arrivals },
    memory: { ...memory, ...MEMORY },
    load,
  };
}

async function main(): Promise<void> {
  const missing = (await nodeFiles()).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the bench did not finish within ${DEADLINE_MS / 1000} s`));
    }, DEADLINE_MS);
  });
  let results: Results;
  try {
    results = await Promise.race([measure(), deadline]);
  } finally {
    clearTimeout(timer);
    await Worker.stopAll();
  }
  process.stdout.write(formatReport(results));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
