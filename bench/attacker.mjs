/* global process, setImmediate, setTimeout, performance */
/**
 * The flood figure's attacker: one address (127.0.0.2), a few connections of one user, each sending echo requests as
 * fast as it can (as much as its socket takes without queueing more than HIGH_WATER bytes in the client) and reading
 * whatever comes back, as a script on an ordinary client library would. A connection the server closes is opened
 * again at once, at most `maxReconnectsPerSecond` times a second (a flood of reconnections is its own figure, and the
 * attacker's ephemeral ports are finite).
 *
 * Started by the load generator (bench/loadgen.mjs) at the lowest CPU priority on the generator's core: it takes all
 * the CPU the well-behaved clients' generator leaves, never the other way round, so it cannot inflate their latencies
 * on the client side.
 *
 * argv[2]: JSON { protocol, port, user, credentials, localAddress, connections, maxReconnectsPerSecond }.
 * Messages from the parent: { cmd: 'stop' } → replies { type: 'stats', stats } and exits.
 */

import { PROTOCOLS } from './lib/protocols.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const driver = PROTOCOLS[options.protocol];
if (!driver) throw new Error(`attacker: unknown protocol ${options.protocol}`);

/** Most bytes queued in the client per connection before it waits for the socket to drain. */
const HIGH_WATER = 256 * 1024;

const stats = {
  /** Requests written. */
  sent: 0,
  /** Replies: echoed, or refused by the guard. */
  echoed: 0,
  refused: 0,
  /** Connections opened, and closed under it by the server. */
  connected: 0,
  closedByServer: 0,
  /** Connection attempts refused, by what the server answered (a refusal code, or how the attempt failed). */
  connectRefused: /** @type {Record<string, number>} */ ({}),
  /** ms after the start: the first connection closed by the server, the first attempt refused. */
  firstClosedMs: null,
  firstRefusedMs: null,
};

const started = performance.now();
let stopping = false;
/** @type {Set<any>} */
const live = new Set();
let attemptsThisSecond = 0;
let secondStart = started;

function refusalKind(error) {
  const text = error instanceof Error ? error.message : String(error);
  const code = /"code":"([a-z_]+)"/.exec(text)?.[1] ?? /connect_error (\d{3})/.exec(text)?.[1];
  return code ?? (text.includes('403') ? '403' : text.slice(0, 40));
}

async function open() {
  if (stopping) return;
  const now = performance.now();
  if (now - secondStart >= 1000) {
    secondStart = now;
    attemptsThisSecond = 0;
  }
  if (attemptsThisSecond >= options.maxReconnectsPerSecond) {
    const timer = setTimeout(() => void open(), 1000 - (now - secondStart));
    timer.unref?.();
    return;
  }
  attemptsThisSecond++;
  let connection;
  try {
    connection = await driver.connect(options.port, options.user, options.credentials ?? {}, { localAddress: options.localAddress });
  } catch (error) {
    const kind = refusalKind(error);
    stats.connectRefused[kind] = (stats.connectRefused[kind] ?? 0) + 1;
    stats.firstRefusedMs ??= performance.now() - started;
    setImmediate(() => void open());
    return;
  }
  stats.connected++;
  live.add(connection);
  connection.onAck = (_id, ok) => {
    if (ok) stats.echoed++;
    else stats.refused++;
  };
  connection.onProblem = () => {};
  let id = 0;
  const pump = () => {
    if (stopping || connection.closed) return;
    const ws = connection.ws;
    while (ws.bufferedAmount < HIGH_WATER && ws.readyState === ws.OPEN) {
      connection.send(id++ % 1_000_000);
      stats.sent++;
    }
    setImmediate(pump);
  };
  void connection.closedPromise.then(() => {
    live.delete(connection);
    if (stopping) return;
    stats.closedByServer++;
    stats.firstClosedMs ??= performance.now() - started;
    void open();
  });
  pump();
}

process.on('message', (message) => {
  if (message?.cmd !== 'stop') return;
  stopping = true;
  for (const connection of live) connection.terminate();
  process.send?.({ type: 'stats', stats }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

for (let i = 0; i < options.connections; i++) void open();
