/**
 * What the harness measures, by group (one server process and one generator process per group, variant and run),
 * and the run plans (full, --quick, and the tiny one the smoke test uses).
 *
 * The flood group runs only on the variants marked `flood` (bench/lib/variants.mjs), `flood.runs` times.
 */

/**
 * @typedef {{ id: string, group: 'echo' | 'connect' | 'idle' | 'flood', label: string, unit: string, better: 'higher' | 'lower' }} Figure
 * @param {Plan} plan
 * @returns {Figure[]}
 */
export function figureList(plan) {
  const { echo, idle, flood } = plan;
  return [
    { id: 'echo_rr', group: 'echo', label: '(a) echo, 1 client request/response', unit: 'msg/s', better: 'higher' },
    { id: 'echo_pipelined', group: 'echo', label: `(a) echo, ${echo.clients} clients × ${echo.inflight} in flight`, unit: 'msg/s', better: 'higher' },
    { id: 'cpu_per_msg', group: 'echo', label: '    server CPU per message (pipelined)', unit: 'µs', better: 'lower' },
    { id: 'latency_p50', group: 'echo', label: `(b) round trip p50 at ${echo.latencyRate.toLocaleString('en-US')} msg/s`, unit: 'µs', better: 'lower' },
    { id: 'latency_p99', group: 'echo', label: `(b) round trip p99 at ${echo.latencyRate.toLocaleString('en-US')} msg/s`, unit: 'µs', better: 'lower' },
    { id: 'conn_rate', group: 'connect', label: '(c) connections/s (open, handshake, close)', unit: 'conn/s', better: 'higher' },
    { id: 'cpu_per_conn', group: 'connect', label: '    server CPU per connection', unit: 'µs', better: 'lower' },
    { id: 'heap_per_conn', group: 'idle', label: `(d) heap per idle connection (${idle.count.toLocaleString('en-US')} idle, after GC)`, unit: 'B', better: 'lower' },
    { id: 'rss_per_conn', group: 'idle', label: `(d) RSS per idle connection (${idle.count.toLocaleString('en-US')} idle)`, unit: 'B', better: 'lower' },
    { id: 'flood_p99_quiet', group: 'flood', label: `(e) ${flood.clients} well-behaved clients, p99, no flood`, unit: 'µs', better: 'lower' },
    { id: 'flood_p99', group: 'flood', label: `(e) the same under a flood from one address (after ${seconds(flood.onsetMs)} s)`, unit: 'µs', better: 'lower' },
    { id: 'flood_p99_ratio', group: 'flood', label: '    p99 under the flood / p99 without (same run)', unit: '×', better: 'lower' },
    { id: 'flood_rss_growth', group: 'flood', label: '(e) server RSS growth during the flood (peak)', unit: 'B', better: 'lower' },
    { id: 'flood_rss_steady_growth', group: 'flood', label: '    of which after the onset (still growing?)', unit: 'B', better: 'lower' },
  ];
}

/** @param {number} ms */
function seconds(ms) {
  return (ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 });
}

export const GROUPS = /** @type {const} */ (['echo', 'connect', 'idle', 'flood']);

/**
 * @typedef {{
 *   mode: string, runs: number,
 *   echo: { warmMs: number, rrMs: number, pipeMs: number, latencyMs: number, clients: number, inflight: number, latencyRate: number },
 *   connect: { warm: number, count: number, concurrency: number },
 *   idle: { warm: number, count: number, concurrency: number, runs?: number },
 *   flood: { runs: number, warmMs: number, quietMs: number, onsetMs: number, floodMs: number, clients: number, rate: number, attackerConnections: number, maxReconnectsPerSecond: number },
 *   micro: { samples: number, sampleMs: number, sweep?: boolean, smoke?: boolean },
 *   probe: { ms: number, maxLost: number, retries: number, maxRetriesTotal: number },
 * }} Plan
 * @type {Record<string, Plan>}
 */
export const PLANS = {
  // Five variants (three on Socket.IO, two on ws) in under fifteen minutes, the TIME_WAIT budget included.
  full: {
    mode: 'full',
    runs: 4,
    echo: { warmMs: 1_000, rrMs: 2_000, pipeMs: 3_000, latencyMs: 3_000, clients: 50, inflight: 100, latencyRate: 20_000 },
    connect: { warm: 300, count: 2_000, concurrency: 50 },
    // Memory after GC barely moves between runs (±1%) and costs 6,000 connections a run: two are enough. The warm-up
    // is large enough for the connection path to be compiled and optimised before the baseline is taken: code the JIT
    // makes while the idle connections open would otherwise count as theirs (some 350 KB for the guarded server, 70
    // bytes per connection at 5,000, 450 at 800).
    idle: { warm: 1_000, count: 5_000, concurrency: 50, runs: 2 },
    // 20 clients × 20 messages/s; the attacker's first seconds (until the guard's ladder has acted) are reported apart.
    flood: { runs: 2, warmMs: 500, quietMs: 3_000, onsetMs: 7_000, floodMs: 16_000, clients: 20, rate: 20, attackerConnections: 4, maxReconnectsPerSecond: 20 },
    // Some sixty micro-benchmarks (the scanner's adversarial strings among them): about a minute.
    micro: { samples: 5, sampleMs: 150 },
    probe: { ms: 250, maxLost: 0.1, retries: 1, maxRetriesTotal: 4 },
  },
  quick: {
    mode: 'quick',
    runs: 2,
    echo: { warmMs: 150, rrMs: 400, pipeMs: 600, latencyMs: 500, clients: 50, inflight: 100, latencyRate: 20_000 },
    connect: { warm: 100, count: 500, concurrency: 50 },
    idle: { warm: 400, count: 800, concurrency: 50, runs: 1 },
    flood: { runs: 1, warmMs: 300, quietMs: 1_500, onsetMs: 5_000, floodMs: 8_000, clients: 20, rate: 20, attackerConnections: 4, maxReconnectsPerSecond: 20 },
    micro: { samples: 3, sampleMs: 40, sweep: false },
    probe: { ms: 100, maxLost: 0.1, retries: 1, maxRetriesTotal: 1 },
  },
  // For the smoke test: every path end to end, numbers meaningless.
  smoke: {
    mode: 'smoke',
    runs: 1,
    echo: { warmMs: 100, rrMs: 200, pipeMs: 300, latencyMs: 300, clients: 50, inflight: 20, latencyRate: 2_000 },
    connect: { warm: 10, count: 60, concurrency: 4 },
    idle: { warm: 5, count: 50, concurrency: 10 },
    flood: { runs: 1, warmMs: 100, quietMs: 300, onsetMs: 200, floodMs: 600, clients: 3, rate: 10, attackerConnections: 1, maxReconnectsPerSecond: 5 },
    micro: { samples: 2, sampleMs: 20, sweep: false, smoke: true },
    probe: { ms: 20, maxLost: 1, retries: 0, maxRetriesTotal: 0 },
  },
};

/**
 * Connections a cell opens (the most one server process sees: the generator's abuse evidence, bench/lib/variants.mjs).
 * @param {Plan} plan
 * @param {'echo' | 'connect' | 'idle' | 'flood'} group
 */
export function connectionsOf(plan, group) {
  if (group === 'echo') return 1 + 2 * plan.echo.clients;
  if (group === 'connect') return plan.connect.warm + plan.connect.count;
  if (group === 'idle') return plan.idle.warm + plan.idle.count;
  return plan.flood.clients + 1;
}

/**
 * Of those, the ones from 127.0.0.1 (for the TIME_WAIT budget): the flood's clients and attacker and the idle figure's
 * clients connect from addresses of their own (127.0.0.2 and up, 127.0.1.x), each with its own ephemeral ports.
 * @param {Plan} plan
 * @param {'echo' | 'connect' | 'idle' | 'flood'} group
 */
export function localPortsOf(plan, group) {
  return group === 'idle' || group === 'flood' ? 0 : connectionsOf(plan, group);
}

/** Runs of a group in this plan (memory and the flood take fewer). */
export function runsOf(plan, group) {
  if (group === 'idle') return Math.min(plan.runs, plan.idle.runs ?? plan.runs);
  if (group === 'flood') return Math.min(plan.runs, plan.flood.runs);
  return plan.runs;
}
