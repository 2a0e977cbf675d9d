/** Turns the figures of one bench run into the markdown printed: the table, with goals, and what was measured. */
import type { LoadCost } from './load-cost';
import type { MemoryFigures } from './node-red-worker';
import { median, type Timing } from './shared';

export type Variant = 'binding' | 'function' | 'sdk';

export interface Results {
  machine: string;
  throughput: {
    total: number;
    warmUp: number;
    inFlight: number;
    /** Per variant, one per round. */
    rounds: Record<Variant, Timing[]>;
  };
  latency: { latencyMs: number; concurrency: number; total: number; elapsedMs: number };
  rate: { perSecond: number; total: number; arrivals: number[] };
  memory: MemoryFigures & { total: number; perSecond: number; warmUp: number };
  load: LoadCost;
}

const WINDOW_MS = 1000;
const KB = 1024;
const MB = 1024 * KB;

/** The most arrivals in any half-open window [t, t + 1 s), which is how the rate limit is defined. */
export function busiestWindow(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let busiest = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[first] ?? 0) + WINDOW_MS <= (sorted[last] ?? 0)) first++;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

/**
 * The rate sustained after the first window: a limit of R per sliding second lets R requests start at once,
 * so of N arrivals the last N - R took the time from the R-th arrival to the N-th. Counting all N over
 * that time would credit the limiter with the burst it is allowed.
 */
export function sustainedRate(arrivals: readonly number[], perSecond: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const first = sorted[perSecond - 1];
  const last = sorted.at(-1);
  if (first === undefined || last === undefined || last === first) return NaN;
  return ((sorted.length - perSecond) * 1000) / (last - first);
}

/** Per round, the binding node's rate over the other's: one round's pair shares the machine's mood. */
function ratios(rates: Record<Variant, number[]>, over: Variant): number[] {
  return rates.binding.map((rate, round) => rate / (rates[over][round] ?? NaN));
}

function ratioCell(values: number[]): string {
  return `${median(values).toFixed(3)} (rounds ${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)})`;
}

const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
const perSecond = (value: number): string => `${Math.round(value).toLocaleString('en-US')} msg/s`;
const count = (value: number): string => value.toLocaleString('en-US');
const signedMb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / MB).toFixed(2)} MB`;

export function formatReport(results: Results): string {
  const { throughput, latency, rate, memory, load } = results;
  const rounds = throughput.rounds.binding.length;
  const perVariant = (figure: (timing: Timing) => number): Record<Variant, number[]> => ({
    binding: throughput.rounds.binding.map(figure),
    function: throughput.rounds.function.map(figure),
    sdk: throughput.rounds.sdk.map(figure),
  });
  const rates = perVariant((timing) => (throughput.total * 1000) / timing.ms);
  const cpu = perVariant((timing) => (timing.cpuMs * 1000) / throughput.total);
  const nodeVsFunction = ratios(rates, 'function');
  const nodeVsSdk = ratios(rates, 'sdk');
  const latencyIdeal = (latency.concurrency * 1000) / latency.latencyMs;
  const latencyRate = (latency.total * 1000) / latency.elapsedMs;
  const sustained = sustainedRate(rate.arrivals, rate.perSecond);
  const rateError = sustained / rate.perSecond - 1;
  const busiest = busiestWindow(rate.arrivals);
  const perMessage = (memory.queued - memory.before) / memory.held;
  const afterDrain = memory.after - memory.before;
  const loadMs = median(load.ms);
  const loop = `${count(throughput.total)} msgs, ${throughput.inFlight} in flight, median of ${rounds} rounds`;

  const rows: [string, string, string, string][] = [
    [`1. Throughput, no limits: binding node (${loop})`, perSecond(median(rates.binding)), '', ''],
    [
      '1. same: function node calling the SDK, in the same Node-RED',
      perSecond(median(rates.function)),
      '',
      '',
    ],
    ['1. same: SDK alone, plain Node process', perSecond(median(rates.sdk)), '', ''],
    [
      '1. binding node / function node',
      ratioCell(nodeVsFunction),
      '>= 0.95',
      verdict(median(nodeVsFunction) >= 0.95),
    ],
    ['1. binding node / SDK alone', ratioCell(nodeVsSdk), 'reported', ''],
    [
      '1. CPU time per msg of the sending process: binding node / function node / SDK alone',
      `${[cpu.binding, cpu.function, cpu.sdk].map((values) => Math.round(median(values))).join(' / ')} µs`,
      'reported',
      '',
    ],
    [
      `2. Latency-bound: API answers after ${latency.latencyMs} ms, concurrency ${latency.concurrency}, ${count(latency.total)} msgs at once`,
      `${perSecond(latencyRate)} = ${(latencyRate / latencyIdeal).toFixed(3)} x ideal ${latencyIdeal}`,
      '>= 0.95',
      verdict(latencyRate / latencyIdeal >= 0.95),
    ],
    [
      `3. Rate limit ${rate.perSecond}/s, ${rate.total} msgs at once: sustained rate`,
      `${sustained.toFixed(2)}/s (${rateError >= 0 ? '+' : ''}${(rateError * 100).toFixed(1)} %)`,
      'within 2 %',
      verdict(Math.abs(rateError) <= 0.02),
    ],
    [
      '3. same: busiest sliding 1 s window of request arrivals at the API',
      `${busiest} requests`,
      `<= ${rate.perSecond}`,
      verdict(busiest <= rate.perSecond),
    ],
    [
      `4. Heap per queued msg: ${count(memory.total)} msgs at once, limit ${memory.perSecond}/s`,
      `${Math.round(perMessage)} B`,
      '< 2 KB',
      verdict(perMessage < 2 * KB),
    ],
    [
      '4. Heap after the queue is gone (failed by a redeploy), vs. before the burst',
      signedMb(afterDrain),
      'within 5 MB',
      verdict(Math.abs(afterDrain) <= 5 * MB),
    ],
    [
      `5. Load: require the node files and register them (median of ${load.ms.length} fresh processes)`,
      `${loadMs.toFixed(1)} ms`,
      '< 20 ms',
      verdict(loadMs < 20),
    ],
    ['5. twilio SDK loaded by that', load.twilioLoaded ? 'yes' : 'no', 'no', verdict(!load.twilioLoaded)],
  ];

  const table = [
    '| Measure | Result | Goal | Verdict |',
    '| --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
  const inFlight = throughput.inFlight;
  const notes = [
    'All figures come from this one run against the local Twilio API (sandbox/twilio-api.ts) on 127.0.0.1, in',
    'a process of its own; Node-RED 4 is embedded in a second process (RED.init, no HTTP, a temporary user',
    'directory with this package linked into node_modules), the SDK alone runs in a third.',
    '',
    `- 1: closed loop: a msg is done when it reaches a probe node wired after the binding (or function) node, and`,
    `  each done msg sends the next, so exactly ${inFlight} are in flight and the binding node's engine never queues`,
    `  (concurrency ${inFlight}, no rate limit). The function node runs \`await global.get('twilio').messages.create(...)\``,
    `  with a client from functionGlobalContext; the SDK alone runs ${inFlight} lanes of awaited messages.create calls.`,
    `  After a warm-up of ${count(throughput.warmUp)} msgs each, ${rounds} rounds of ${count(throughput.total)} msgs per variant, the order rotating;`,
    '  a ratio is the median of the per-round ratios (their range in brackets). CPU time is that of the process',
    '  sending (user + system), which other load on the machine disturbs far less than the rates.',
    `- 2: ${count(latency.total)} msgs sent at once; from the first send to the last msg done; ideal = concurrency / latency.`,
    `- 3: ${count(rate.total)} msgs sent at once to a freshly deployed account; ${count(rate.arrivals.length)} requests arrived, timed by the`,
    `  API (Date.now() as each request arrived). Sustained rate = (N - ${rate.perSecond}) / (time from arrival ${rate.perSecond} to arrival N):`,
    `  a limit of ${rate.perSecond} per sliding second may start the first ${rate.perSecond} together, so they are no part of the rate.`,
    `- 4: heap used after two forced full GCs (--expose-gc); 1 KB = 1024 B. Per queued msg: (heap with the burst`,
    `  queued - heap before it, after ${memory.warmUp} warm-up msgs) / the ${count(memory.held)} msgs the node then held, queued or in`,
    '  flight, the msg objects themselves included. Then a full redeploy of the same flow:',
    `  ${count(memory.closed)} msgs failed with ERR_CLOSED, ${count(memory.sent)} were sent; heap measured once all had their done().`,
    `- 5: \`${load.types.join('`, `')}\` registered with a stub RED; process.hrtime around the requires, in plain`,
    '  node (no tsx); the twilio SDK looked for in require.cache afterwards.',
  ];
  return [`Machine: ${results.machine}`, '', ...table, '', ...notes, ''].join('\n');
}
