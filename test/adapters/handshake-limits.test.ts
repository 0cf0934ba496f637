/**
 * Slowloris against the protected servers: 300 half-open upgrade requests from 127.0.0.2, each sending its headers a
 * byte at a time, while a well-behaved client from 127.0.0.1 connects and chats. `protect` hardens the HTTP server
 * it is given (ws `{ server }` mode, Socket.IO's `io.httpServer`) without any call of the application's.
 */

import type { AddressInfo } from 'node:net';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, waitFor, type TestClient, type TestServer } from './harness.js';
import { startSocketIoServer } from './socket.io.harness.js';
import { startWsServer } from './ws.harness.js';

const SLOW_SOCKETS = 300;
const PER_IP = 10;
// Long enough that a loaded machine, accepting the 300 sockets slowly, still holds more than PER_IP pending at once.
const TIMEOUT_MS = 2_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Target {
  readonly name: string;
  readonly path: string;
  start(events: SecurityEvent[]): Promise<TestServer & { http: { address(): unknown } }>;
}

const config = (events: SecurityEvent[]) => baseConfig(events, { maxPendingHandshakesPerIp: PER_IP, handshakeTimeoutMs: TIMEOUT_MS });

const targets: Target[] = [
  { name: 'ws', path: '/', start: (events) => startWsServer(config(events), 'server') },
  { name: 'socket.io (websocket)', path: '/socket.io/?EIO=4&transport=websocket', start: (events) => startSocketIoServer(config(events), 'websocket') },
  { name: 'socket.io (polling)', path: '/socket.io/?EIO=4&transport=polling', start: (events) => startSocketIoServer(config(events), 'polling') },
];

/** What the attacking side saw: how many sockets connected, and the errors of those that did not. */
interface AttackTally {
  connected: number;
  readonly errors: Record<string, number>;
}

/** Open `count` raw sockets from `localAddress` that send a request line and then one header byte every 50 ms. */
function slowloris(port: number, path: string, localAddress: string, count: number): { closed: Promise<void>; stop: () => void; tally: AttackTally } {
  const sockets: Socket[] = [];
  const closes: Promise<void>[] = [];
  const tally: AttackTally = { connected: 0, errors: {} };
  for (let i = 0; i < count; i++) {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      tally.errors[code] = (tally.errors[code] ?? 0) + 1;
    });
    socket.on('connect', () => tally.connected++);
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: `));
    closes.push(new Promise((resolve) => socket.on('close', () => resolve())));
    sockets.push(socket);
  }
  // Bounded: at most 60 rounds (3 s), and only sockets still open are written to.
  let rounds = 0;
  const trickle = setInterval(() => {
    if (++rounds > 60) return clearInterval(trickle);
    for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write('a');
  }, 50);
  const stop = (): void => {
    clearInterval(trickle);
    for (const socket of sockets) socket.destroy();
  };
  cleanups.push(stop);
  return { closed: Promise.all(closes).then(() => clearInterval(trickle)), stop, tally };
}

const reasons = (events: SecurityEvent[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const e of events) if (e.reason !== undefined) counts[e.reason] = (counts[e.reason] ?? 0) + (e.count ?? 1);
  return counts;
};

const total = (events: SecurityEvent[], reason: string) =>
  events.filter((e) => e.type === 'connection_refused' && e.reason === reason).reduce((sum, e) => sum + (e.count ?? 1), 0);

describe.each(targets)('slowloris: $name', (target) => {
  // One retry: the run in CI that timed out waiting for the cap is not understood yet (see the warning below); a
  // second failure in a row still fails the suite.
  it(`${SLOW_SOCKETS} half-open upgrades from 127.0.0.2 do not keep a client on 127.0.0.1 from chatting`, { retry: 1 }, async () => {
    const events: SecurityEvent[] = [];
    const server = await target.start(events);
    cleanups.push(() => server.close());
    const port = (server.http.address() as AddressInfo).port;

    let accepted = 0;
    (server.http as unknown as NetServer).on('connection', () => accepted++);
    const attack = slowloris(port, target.path, '127.0.0.2', SLOW_SOCKETS);
    // A bound, not a speed: on a loaded machine 300 connects take a while.
    await waitFor(() => total(events, 'too_many_pending_handshakes') > 0, 10_000, 'the address at its cap').catch((error: unknown) => {
      // Seen once in CI and never reproduced (the test takes ~2 s, also with every core busy): what each side saw.
      const seen = `${error instanceof Error ? error.message : String(error)}: ${attack.tally.connected} of ${SLOW_SOCKETS} slow sockets connected, errors ${JSON.stringify(attack.tally.errors)}; the server accepted ${accepted}; refusals ${JSON.stringify(reasons(events))}`;
      console.warn(seen);
      throw new Error(seen);
    });

    // While the attack holds its sockets open, a normal client connects and chats.
    const result = await server.connect({ user: 'alice' });
    if (!result.ok) throw new Error(`the well-behaved client was refused: ${JSON.stringify(result.error)}`);
    const client: TestClient = result.client;
    expect(await client.send('chat:send', { text: 'hello' })).toMatchObject({ ok: true, reply: { echo: { text: 'hello' } } });

    // Every slow socket is closed by the server and reported: dropped at once, or timed out. (On a loaded machine
    // opening 300 sockets can take longer than the timeout, so some are counted after the first ones timed out.)
    await attack.closed;
    await waitFor(
      () => total(events, 'too_many_pending_handshakes') + total(events, 'handshake_timeout') === SLOW_SOCKETS,
      5_000,
      'a refusal event for every slow socket',
    );
    // How the 300 split between the two depends on how fast the machine opens them; both must have happened.
    expect(total(events, 'handshake_timeout')).toBeGreaterThanOrEqual(PER_IP);
    expect(total(events, 'too_many_pending_handshakes')).toBeGreaterThan(0);
    expect(events.find((e) => e.reason === 'handshake_timeout')).toMatchObject({ ip: '127.0.0.2', detail: { stage: 'http' } });
    expect(server.guard.connections.size).toBe(1);

    // The client is still served after the attack, and leaves no count behind.
    expect((await client.send('chat:send', { text: 'still here' })).ok).toBe(true);
    await client.close();
    await waitFor(() => countsAreZero(server, ['alice']), 2_000, 'counts back to zero');
  });
});
