/**
 * Slowloris against the protected servers: 300 half-open upgrade requests from 127.0.0.2, each sending its headers a
 * byte at a time, while a well-behaved client from 127.0.0.1 connects and chats. `protect` hardens the HTTP server
 * it is given (ws `{ server }` mode, Socket.IO's `io.httpServer`) without any call of the application's.
 */

import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
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

/** Open `count` raw sockets from `localAddress` that send a request line and then one header byte every 50 ms. */
function slowloris(port: number, path: string, localAddress: string, count: number): { closed: Promise<void>; stop: () => void } {
  const sockets: Socket[] = [];
  const closes: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', () => undefined);
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
  return { closed: Promise.all(closes).then(() => clearInterval(trickle)), stop };
}

const total = (events: SecurityEvent[], reason: string) =>
  events.filter((e) => e.type === 'connection_refused' && e.reason === reason).reduce((sum, e) => sum + (e.count ?? 1), 0);

describe.each(targets)('slowloris: $name', (target) => {
  it(`${SLOW_SOCKETS} half-open upgrades from 127.0.0.2 do not keep a client on 127.0.0.1 from chatting`, async () => {
    const events: SecurityEvent[] = [];
    const server = await target.start(events);
    cleanups.push(() => server.close());
    const port = (server.http.address() as AddressInfo).port;

    const attack = slowloris(port, target.path, '127.0.0.2', SLOW_SOCKETS);
    // A bound, not a speed: on a loaded machine 300 connects take a while.
    await waitFor(() => total(events, 'too_many_pending_handshakes') > 0, 10_000, 'the address at its cap');

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
