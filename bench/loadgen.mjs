/* global process, setTimeout, clearTimeout, setImmediate, performance, URL */
/**
 * The load generator: a separate process (pinned to its own core) that drives one server over 127.0.0.1 with the
 * variant's raw protocol, measures one group of figures and sends them back to the harness.
 *
 * argv[2]: JSON { group: 'echo' | 'connect' | 'idle' | 'flood', protocol, port, plan }.
 * The harness relays requests to the server: { id, type: 'server', cmd: 'cpu' | 'mem' | 'rss' | 'credentials' }.
 * Last message: { type: 'result', result }.
 *
 * Groups:
 *   echo    — (a) messages/s with one client in request/response, (a) messages/s with N clients keeping K requests
 *             in flight each (and the server's CPU per message, from its own counters), (b) round-trip p50/p99 at a
 *             fixed open-loop rate spread over N clients.
 *   connect — (c) connections/s: each of C workers opens, completes the Socket.IO handshake, disconnects, repeats;
 *             a fixed number of connections is timed (so the harness can budget TIME_WAIT).
 *   idle    — (d) heap (after forced GC) and RSS per idle connection: server memory before and after opening N
 *             connections that then sit idle.
 *   flood   — (e) well-behaved clients' p99 round trip without and under a flood from one attacker address, and the
 *             server's RSS growth meanwhile.
 */

import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { percentile } from './lib/stats.mjs';
import { PROTOCOLS } from './lib/protocols.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const driver = PROTOCOLS[options.protocol];
if (!driver) throw new Error(`loadgen: unknown protocol ${options.protocol}`);
const port = options.port;
const plan = options.plan;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let rpcSeq = 0;
/** @type {Map<number, (value: any) => void>} */
const pendingRpc = new Map();
process.on('message', (message) => {
  const resolve = pendingRpc.get(message.id);
  if (resolve) {
    pendingRpc.delete(message.id);
    resolve(message.result);
  }
});
/** Ask the server (through the harness) for its CPU counters, its memory after GC, or credentials for users. */
function server(cmd, extra = {}) {
  const id = ++rpcSeq;
  return new Promise((resolve) => {
    pendingRpc.set(id, resolve);
    process.send?.({ ...extra, id, type: 'server', cmd });
  });
}

/** Problems seen (refusals, unexpected packets): any is a failed cell, since the generator must never be refused. */
const problems = { count: 0, samples: /** @type {string[]} */ ([]) };
function problem(text) {
  problems.count++;
  if (problems.samples.length < 5) problems.samples.push(text);
}

let connectionsOpened = 0;
/**
 * Credentials per user, fetched from the server before a figure starts (as a page fetches its CSRF token over HTTP
 * before it connects): that cost is not the WebSocket path's, so it stays out of the timed windows.
 * @type {Map<string, import('./lib/protocols.mjs').Credentials>}
 */
const credentials = new Map();

/** `count` fresh user names (each connection is its own user), with whatever credentials the server hands out. */
async function users(prefix, count) {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  const issued = await server('credentials', { users: names });
  for (const name of names) {
    const token = issued?.tokens?.[name];
    credentials.set(name, token === undefined ? {} : {
      handshakeToken: token,
      ...(issued.payloadField ? { payloadField: issued.payloadField, payloadToken: token } : {}),
    });
  }
  return names;
}

/** @param {string} user */
/** @param {string} user @param {string} [localAddress] the client's address in 127.0.0.0/8 (default 127.0.0.1) */
async function connect(user, localAddress) {
  connectionsOpened++;
  const connection = await driver.connect(port, user, credentials.get(user) ?? {}, localAddress ? { localAddress } : {});
  connection.onProblem = problem;
  return connection;
}

/**
 * Open a connection for each user, `concurrency` handshakes at a time; `addressOf(i)` picks the i-th one's address.
 * @param {string[]} names @param {number} concurrency @param {(i: number) => string | undefined} [addressOf]
 */
async function openMany(names, concurrency, addressOf = () => undefined) {
  const connections = [];
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      connections.push(await connect(names[i], addressOf(i)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  return connections;
}

async function closeAll(connections) {
  await Promise.race([Promise.all(connections.map((c) => c.close())), sleep(2_000)]);
  for (const c of connections) if (!c.closed) c.terminate();
}

/** CPU of this process over a window, as a fraction of one core: tells whether the generator is the bottleneck. */
function cpuMeter() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
  };
}

/**
 * Keep this process's core busy (a setImmediate loop that still polls for I/O every turn) until the returned stop
 * function is called. On a VM, waking an idle core costs far more than the work measured (on the machine this was
 * written on: ~120 µs per wake-up against ~15 µs of server CPU per message), so the generator never sleeps while it
 * times round trips; only the server's own wake-ups remain in the figure, as they would in production.
 */
function spin() {
  let spinning = true;
  const loop = () => {
    if (spinning) setImmediate(loop);
  };
  loop();
  return () => {
    spinning = false;
  };
}

/** Wait until `predicate` holds, checking every few ms, for at most `ms`. */
async function until(predicate, ms) {
  const end = performance.now() + ms;
  while (!predicate() && performance.now() < end) await sleep(5);
}

/**
 * Closed loop: `clients` connections each keep `inflight` echo requests outstanding (a reply triggers the next).
 * Measures replies/s over `measureMs` after `warmMs`, with the server's CPU per echo from its own counters.
 */
async function closedLoop({ prefix, clients, inflight, warmMs, measureMs, busyPoll }) {
  const connections = await openMany(await users(prefix, clients), 10);
  const stopSpinning = busyPoll ? spin() : () => {};
  let running = true;
  let acks = 0;
  let outstanding = 0;
  for (const c of connections) {
    let nextId = 0;
    c.onAck = (_id, ok) => {
      acks++;
      outstanding--;
      if (!ok) problem('echo refused');
      if (running) {
        outstanding++;
        c.send(nextId++);
      }
    };
    for (let k = 0; k < inflight; k++) {
      outstanding++;
      c.send(nextId++);
    }
  }
  await sleep(warmMs);
  const s0 = await server('cpu');
  const a0 = acks;
  const t0 = performance.now();
  const generatorCpu = cpuMeter();
  await sleep(measureMs);
  const a1 = acks;
  const t1 = performance.now();
  const genCpu = generatorCpu();
  const s1 = await server('cpu');
  running = false;
  stopSpinning();
  await until(() => outstanding === 0, 3_000);
  await closeAll(connections);
  const rate = ((a1 - a0) * 1000) / (t1 - t0);
  const serverEchoes = s1.echoes - s0.echoes;
  return {
    rate,
    cpuPerMessageUs: serverEchoes > 0 ? (s1.cpuMicros - s0.cpuMicros) / serverEchoes : Number.NaN,
    // Variants on Redis count the commands their client sent (each one round trip at most), and say whether their
    // store fell back to local limits at any time in the window (Redis too slow: then no round trips are measured).
    ...(typeof s1.redisCommands === 'number' && serverEchoes > 0
      ? {
          redisCommandsPerMessage: (s1.redisCommands - s0.redisCommands) / serverEchoes,
          redisDegraded: s0.redisDegraded === true || s1.redisDegraded === true || s1.redisOutages !== s0.redisOutages,
        }
      : {}),
    // Server CPU use over the window, in cores: near 1.0 means the server (not the generator) was the limit.
    serverCores: (s1.cpuMicros - s0.cpuMicros) / 1000 / (t1 - t0),
    generatorCores: genCpu,
    messages: a1 - a0,
    lost: outstanding,
  };
}

/**
 * Open loop at a fixed rate over `clients` connections; round-trip time of each request sent inside the window.
 * Sending is paced from a setImmediate loop (sub-millisecond), so requests are not bunched into timer ticks.
 */
async function openLoop({ clients, rate, warmMs, measureMs }) {
  const connections = await openMany(await users('l', clients), 10);
  const RING = 4096;
  const capacity = Math.ceil((rate * measureMs) / 1000) + 1024;
  const rtts = new Float64Array(capacity);
  let recorded = 0;
  let outstanding = 0;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  const sentAt = connections.map(() => new Float64Array(RING));
  connections.forEach((c, index) => {
    const times = sentAt[index];
    c.onAck = (id, ok) => {
      const now = performance.now();
      outstanding--;
      if (!ok) problem('echo refused');
      const at = times[id & (RING - 1)];
      if (at >= windowStart && at < windowEnd && recorded < capacity) rtts[recorded++] = (now - at) * 1000;
    };
  });
  const nextIds = new Int32Array(clients);
  const start = performance.now();
  const stopAt = start + warmMs + measureMs;
  windowStart = start + warmMs;
  windowEnd = stopAt;
  let sent = 0;
  let maxBehind = 0;
  // The server's CPU over the window, sampled when the window opens and closes (requests are relayed, not awaited
  // in the pacing loop).
  let s0 = null;
  let s1 = null;
  setTimeout(() => void server('cpu').then((s) => (s0 = { ...s, at: performance.now() })), warmMs);
  await new Promise((resolve) => {
    const pace = () => {
      const now = performance.now();
      if (now >= stopAt) return resolve(undefined);
      const due = Math.floor(((now - start) * rate) / 1000) - sent;
      if (due > maxBehind) maxBehind = due;
      for (let k = 0; k < due; k++) {
        const index = sent % clients;
        const id = nextIds[index]++;
        sentAt[index][id & (RING - 1)] = performance.now();
        outstanding++;
        connections[index].send(id);
        sent++;
      }
      setImmediate(pace);
    };
    pace();
  });
  s1 = await server('cpu');
  const t1 = performance.now();
  await until(() => outstanding === 0, 3_000);
  await closeAll(connections);
  const sorted = rtts.subarray(0, recorded).sort();
  const serverCores = s0 ? (s1.cpuMicros - s0.cpuMicros) / 1000 / (t1 - s0.at) : Number.NaN;
  const cpuPerMessageUs = s0 ? (s1.cpuMicros - s0.cpuMicros) / (s1.echoes - s0.echoes) : Number.NaN;
  return {
    p50: percentile(sorted, recorded, 50),
    p99: percentile(sorted, recorded, 99),
    max: recorded ? sorted[recorded - 1] : Number.NaN,
    samples: recorded,
    achievedRate: (recorded * 1000) / measureMs,
    // Most requests that fell due at once (1–2 is smooth pacing; large means the generator stalled).
    maxBurst: maxBehind,
    serverCores,
    cpuPerMessageUs,
    lost: outstanding,
  };
}

async function echoGroup() {
  const p = plan.echo;
  const checkLost = (what, figure) => {
    if (figure.lost > 0) problem(`${what}: ${figure.lost} request(s) never acknowledged`);
    return figure;
  };
  const rr = checkLost('request/response', await closedLoop({ prefix: 'r', clients: 1, inflight: 1, warmMs: p.warmMs, measureMs: p.rrMs, busyPoll: true }));
  const pipelined = checkLost('pipelined', await closedLoop({ prefix: 'p', clients: p.clients, inflight: p.inflight, warmMs: p.warmMs, measureMs: p.pipeMs, busyPoll: false }));
  const latency = checkLost('latency', await openLoop({ clients: p.clients, rate: p.latencyRate, warmMs: p.warmMs, measureMs: p.latencyMs }));
  return {
    figures: {
      echo_rr: rr.rate,
      echo_pipelined: pipelined.rate,
      cpu_per_msg: pipelined.cpuPerMessageUs,
      latency_p50: latency.p50,
      latency_p99: latency.p99,
    },
    detail: { rr, pipelined, latency },
  };
}

/** C workers each loop open → handshake → disconnect; the first `warm` connections are not timed. */
async function connectGroup() {
  const p = plan.connect;
  const total = p.warm + p.count;
  const names = await users('c', total);
  let started = 0;
  let done = 0;
  let t0 = 0;
  let s0 = null;
  let warmDone = null;
  const warmReached = new Promise((resolve) => (warmDone = resolve));
  const worker = async () => {
    while (started < total) {
      const c = await connect(names[started++]);
      await c.close();
      done++;
      if (done === p.warm) warmDone();
    }
  };
  const workers = Promise.all(Array.from({ length: p.concurrency }, worker));
  if (p.warm === 0) warmDone();
  await warmReached;
  // Timed from here: the server's counters at the same moment.
  const generatorCpu = cpuMeter();
  s0 = await server('cpu');
  const d0 = done;
  t0 = performance.now();
  await workers;
  const t1 = performance.now();
  const genCpu = generatorCpu();
  const s1 = await server('cpu');
  const timed = done - d0;
  const serverConnects = s1.connects - s0.connects;
  return {
    figures: {
      conn_rate: (timed * 1000) / (t1 - t0),
      cpu_per_conn: serverConnects > 0 ? (s1.cpuMicros - s0.cpuMicros) / serverConnects : Number.NaN,
    },
    detail: { timed, ms: t1 - t0, serverCores: (s1.cpuMicros - s0.cpuMicros) / 1000 / (t1 - t0), generatorCores: genCpu },
  };
}

/** Server memory after GC, before and after `count` idle connections; per-connection deltas. */
/**
 * The idle figure's clients come from 50 addresses (127.0.1.1–50), as a server's clients come from many: each address
 * has its own ephemeral ports, so thousands of connections cost none of 127.0.0.1's (the TIME_WAIT budget), and the
 * warm-up uses the same addresses, so what the guard keeps per address is in the baseline, not counted per connection.
 */
const IDLE_ADDRESSES = 50;
const idleAddress = (i) => `127.0.1.${1 + (i % IDLE_ADDRESSES)}`;

async function idleGroup() {
  const p = plan.idle;
  // Warm the connection path (lazy initialisation, JIT) so the baseline already includes it.
  if (p.warm > 0) await closeAll(await openMany(await users('w', p.warm), p.concurrency, idleAddress));
  const idleUsers = await users('i', p.count);
  await sleep(100);
  const before = await server('mem');
  const connections = await openMany(idleUsers, p.concurrency, idleAddress);
  // Let the server finish whatever the last handshakes queued (events, timers) before measuring.
  await sleep(300);
  const after = await server('mem');
  if (after.clients !== p.count) problem(`server holds ${after.clients} clients, expected ${p.count}`);
  const result = {
    figures: {
      heap_per_conn: (after.heapUsed - before.heapUsed) / p.count,
      rss_per_conn: (after.rss - before.rss) / p.count,
    },
    detail: { before, after, count: p.count },
  };
  // No graceful close: the harness stops the server next, and exiting closes every socket at once.
  for (const c of connections) c.terminate();
  return result;
}

/**
 * (e) A flood: `clients` well-behaved clients, each from its own address (127.0.0.3, .4, …), chat at `rate` messages
 * per second each while one attacker (127.0.0.2, bench/attacker.mjs, in its own process at the lowest priority) sends
 * as fast as it can. Their round trips are taken without the flood (`quietMs`), while the server reacts to it (the
 * first `onsetMs`) and after that (the rest of `floodMs`: the steady state under attack); the server's RSS before the
 * flood and at its highest during it (sampled every 250 ms, without forcing a GC).
 */
async function floodGroup() {
  const p = plan.flood;
  const names = await users('f', p.clients);
  const connections = [];
  for (let i = 0; i < names.length; i++) {
    connectionsOpened++;
    const connection = await driver.connect(port, names[i], credentials.get(names[i]) ?? {}, { localAddress: `127.0.0.${3 + i}` });
    connection.onProblem = problem;
    connections.push(connection);
  }
  const [attackerName] = await users('x', 1);
  const RING = 4096;
  const sentAt = connections.map(() => new Float64Array(RING));
  const phases = { quiet: [], onset: [], flood: [] };
  // A well-behaved client refused without the flood is a bench misconfiguration (a problem); under it, a server that
  // fell behind hands a client's backlog to its rate limit at once, and that is the figure's to report.
  const refused = { quiet: 0, onset: 0, flood: 0 };
  let outstanding = 0;
  let attackAt = Infinity;
  let steadyAt = Infinity;
  const t0 = performance.now();
  const quietFrom = t0 + p.warmMs;
  const phaseOf = (at) => (at < quietFrom ? null : at < attackAt ? 'quiet' : at < steadyAt ? 'onset' : 'flood');
  connections.forEach((c, index) => {
    const times = sentAt[index];
    c.onAck = (id, ok) => {
      const now = performance.now();
      outstanding--;
      const at = times[id & (RING - 1)];
      const phase = phaseOf(at);
      if (!ok) {
        if (phase === 'quiet') problem('a well-behaved client was refused without a flood');
        else if (phase) refused[phase]++;
      }
      if (phase) phases[phase].push((now - at) * 1000);
    };
  });
  const nextIds = new Int32Array(connections.length);
  let sent = 0;
  let stopAt = quietFrom + p.quietMs + p.floodMs;
  // One paced stream over all the clients in turn: each sends `rate` a second, the clients spread over the interval.
  // Paced by a 1 ms timer, not by spinning like the latency figure: the attacker shares this core at the lowest
  // priority and must get what this process leaves (round trips here include waking up, with or without the flood).
  const pacing = new Promise((resolve) => {
    const pace = () => {
      const now = performance.now();
      if (now >= stopAt) return resolve(undefined);
      const due = Math.floor(((now - t0) * p.rate * connections.length) / 1000) - sent;
      for (let k = 0; k < due; k++) {
        const index = sent % connections.length;
        const id = nextIds[index]++;
        sentAt[index][id & (RING - 1)] = performance.now();
        outstanding++;
        connections[index].send(id);
        sent++;
      }
      setTimeout(pace, 1);
    };
    pace();
  });
  await sleep(p.warmMs + p.quietMs);
  const rssBefore = (await server('rss')).rss;
  // The attacker: its own process, lowest priority, on this process's core (it inherits the pinning).
  const attacker = fork(fileURLToPath(new URL('./attacker.mjs', import.meta.url)), [
    JSON.stringify({
      protocol: options.protocol,
      port,
      user: attackerName,
      credentials: credentials.get(attackerName) ?? {},
      localAddress: '127.0.0.2',
      connections: p.attackerConnections,
      maxReconnectsPerSecond: p.maxReconnectsPerSecond,
    }),
  ], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    setPriority(attacker.pid, 19);
  } catch {
    // Not allowed to lower it (some containers): it then competes with the generator on equal terms.
  }
  attackAt = performance.now();
  steadyAt = attackAt + p.onsetMs;
  stopAt = attackAt + p.floodMs;
  let rssPeak = rssBefore;
  // After the onset: RSS when it ends, and the most it grew from there (bounded means it stops growing).
  let rssSteadyStart = null;
  let rssSteadyPeak = 0;
  const rssSamples = [];
  while (performance.now() < stopAt) {
    await sleep(250);
    const { rss } = await server('rss');
    rssSamples.push(rss);
    if (rss > rssPeak) rssPeak = rss;
    if (performance.now() >= steadyAt) {
      rssSteadyStart ??= rss;
      if (rss > rssSteadyPeak) rssSteadyPeak = rss;
    }
  }
  await pacing;
  const attack = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      attacker.kill('SIGKILL');
      resolve(null);
    }, 10_000);
    attacker.once('message', (message) => {
      clearTimeout(timer);
      resolve(message?.stats ?? null);
    });
    attacker.send({ cmd: 'stop' });
  });
  const rssEnd = (await server('rss')).rss;
  const serverAfter = await server('cpu');
  // Requests still unanswered count with the time they have waited so far (a lower bound): a lost message is not a
  // fast one.
  await until(() => outstanding === 0, 5_000);
  const end = performance.now();
  if (outstanding > 0) {
    connections.forEach((_c, index) => {
      const times = sentAt[index];
      for (let id = Math.max(0, nextIds[index] - RING); id < nextIds[index]; id++) {
        const at = times[id & (RING - 1)];
        const phase = phaseOf(at);
        if (phase && at > 0) phases[phase].push((end - at) * 1000);
      }
    });
  }
  await closeAll(connections);
  const p99 = (samples) => {
    const sorted = Float64Array.from(samples).sort();
    return percentile(sorted, sorted.length, 99);
  };
  const quiet = p99(phases.quiet);
  const flood = p99(phases.flood);
  return {
    figures: {
      flood_p99_quiet: quiet,
      flood_p99: flood,
      flood_p99_ratio: flood / quiet,
      flood_rss_growth: Math.max(0, rssPeak - rssBefore),
      flood_rss_steady_growth: rssSteadyStart === null ? Number.NaN : Math.max(0, rssSteadyPeak - rssSteadyStart),
    },
    detail: {
      samples: { quiet: phases.quiet.length, onset: phases.onset.length, flood: phases.flood.length },
      refused,
      p99Onset: p99(phases.onset),
      p50: { quiet: percentile(Float64Array.from(phases.quiet).sort(), phases.quiet.length, 50), flood: percentile(Float64Array.from(phases.flood).sort(), phases.flood.length, 50) },
      unanswered: outstanding,
      rss: { before: rssBefore, peak: rssPeak, steadyStart: rssSteadyStart, steadyPeak: rssSteadyPeak, end: rssEnd, samples: rssSamples },
      attacker: attack,
      guardBans: serverAfter.guardBans,
    },
  };
}

const GROUPS = { echo: echoGroup, connect: connectGroup, idle: idleGroup, flood: floodGroup };

try {
  const run = GROUPS[options.group];
  if (!run) throw new Error(`loadgen: unknown group ${options.group}`);
  const result = await run();
  process.send?.({ type: 'result', result: { ...result, problems, connectionsOpened } }, () => process.exit(0));
} catch (error) {
  process.send?.({ type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
    process.exit(1),
  );
}
