/**
 * What the harness measures, by group (one server process and one generator process per group, variant and run),
 * and the run plans (full, --quick, and the tiny one the smoke test uses).
 */

/**
 * @typedef {{ id: string, group: 'echo' | 'connect' | 'idle', label: string, unit: string, better: 'higher' | 'lower' }} Figure
 * @param {Plan} plan
 * @returns {Figure[]}
 */
export function figureList(plan) {
  const { echo, idle } = plan;
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
  ];
}

export const GROUPS = /** @type {const} */ (['echo', 'connect', 'idle']);

/**
 * @typedef {{
 *   mode: string, runs: number,
 *   echo: { warmMs: number, rrMs: number, pipeMs: number, latencyMs: number, clients: number, inflight: number, latencyRate: number },
 *   connect: { warm: number, count: number, concurrency: number },
 *   idle: { warm: number, count: number, concurrency: number, runs?: number },
 *   micro: { samples: number, sampleMs: number },
 *   probe: { ms: number, maxLost: number, retries: number, maxRetriesTotal: number },
 * }} Plan
 * @type {Record<string, Plan>}
 */
export const PLANS = {
  full: {
    mode: 'full',
    runs: 5,
    echo: { warmMs: 1_000, rrMs: 3_000, pipeMs: 5_000, latencyMs: 5_000, clients: 50, inflight: 100, latencyRate: 20_000 },
    connect: { warm: 300, count: 2_000, concurrency: 50 },
    // Memory after GC barely moves between runs (±1%) and costs 5,000 connections a run: three are enough.
    idle: { warm: 100, count: 5_000, concurrency: 50, runs: 3 },
    micro: { samples: 7, sampleMs: 300 },
    probe: { ms: 250, maxLost: 0.1, retries: 2, maxRetriesTotal: 12 },
  },
  quick: {
    mode: 'quick',
    runs: 3,
    echo: { warmMs: 200, rrMs: 500, pipeMs: 800, latencyMs: 700, clients: 50, inflight: 100, latencyRate: 20_000 },
    connect: { warm: 100, count: 500, concurrency: 50 },
    idle: { warm: 50, count: 800, concurrency: 50 },
    micro: { samples: 5, sampleMs: 80 },
    probe: { ms: 100, maxLost: 0.1, retries: 1, maxRetriesTotal: 1 },
  },
  // For the smoke test: every path end to end, numbers meaningless.
  smoke: {
    mode: 'smoke',
    runs: 1,
    echo: { warmMs: 100, rrMs: 200, pipeMs: 300, latencyMs: 300, clients: 50, inflight: 20, latencyRate: 2_000 },
    connect: { warm: 10, count: 60, concurrency: 4 },
    idle: { warm: 5, count: 50, concurrency: 10 },
    micro: { samples: 2, sampleMs: 20 },
    probe: { ms: 20, maxLost: 1, retries: 0, maxRetriesTotal: 0 },
  },
};

/**
 * Connections a cell opens (for the TIME_WAIT budget).
 * @param {Plan} plan
 * @param {'echo' | 'connect' | 'idle'} group
 */
export function connectionsOf(plan, group) {
  if (group === 'echo') return 1 + 2 * plan.echo.clients;
  if (group === 'connect') return plan.connect.warm + plan.connect.count;
  return plan.idle.warm + plan.idle.count;
}
