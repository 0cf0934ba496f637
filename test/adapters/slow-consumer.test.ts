/**
 * Slow consumers: a client that stops reading while the server pushes up to 100 MB of distinct buffers at it is
 * disconnected (`slow_consumer`) once what is queued for it passes `maxBufferedBytes`, on ws, on Socket.IO over
 * WebSocket and on Socket.IO long-polling, and a well-behaved client is served meanwhile. The loopback's kernel
 * buffers take a few megabytes before anything queues in the process; the push stops long before 100 MB.
 */

import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, identityHeaders, waitFor, type TestClient } from './harness.js';
import { startSocketIoServer, type Transport } from './socket.io.harness.js';
import { startWsServer, type WsTestClient } from './ws.harness.js';

const LIMIT = 1_048_576;
const CHUNK = 64 * 1024;
const MAX_PUSH = 100 * 1024 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Push distinct 64 KiB buffers through `send` until `open()` turns false or 100 MB went out, yielding to the event
 * loop every 16 sends (so timers and the network run). Resolves with the bytes pushed.
 */
async function push(send: (chunk: Buffer) => void, open: () => boolean): Promise<number> {
  let sent = 0;
  for (let i = 0; sent < MAX_PUSH && open(); i++) {
    send(Buffer.alloc(CHUNK, i % 251));
    sent += CHUNK;
    if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

const slowClosures = (events: SecurityEvent[]) => events.filter((e) => e.type === 'connection_closed_by_guard' && e.reason === 'slow_consumer');

function connected<T>(result: { ok: true; client: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
  return result.client;
}

describe('slow consumers: ws', () => {
  it('a client that stops reading is disconnected at maxBufferedBytes, not after 100 MB', async () => {
    const events: SecurityEvent[] = [];
    const server = await startWsServer(baseConfig(events, { maxBufferedBytes: LIMIT }), 'server');
    cleanups.push(() => server.close());
    const reader = connected<WsTestClient>(await server.open({ user: 'bob' }));
    cleanups.push(() => reader.close());
    const sleeper = connected<WsTestClient>(await server.open({ user: 'sleepy' }));
    cleanups.push(() => sleeper.ws.terminate());
    (sleeper.ws as WebSocket & { _socket: { pause(): void } })._socket.pause();

    const target = server.accepted[1] as WebSocket;
    const sent = await push((chunk) => target.send(chunk), () => target.readyState === target.OPEN);
    expect(sent).toBeLessThan(MAX_PUSH);
    await waitFor(() => slowClosures(events).length === 1, 2_000, 'the slow_consumer closure event');
    expect(slowClosures(events)[0]).toMatchObject({ userId: 'sleepy' });

    // The reading client was served throughout, and is still.
    expect((await reader.send('chat:send', { text: 'hi' })).ok).toBe(true);
    await reader.close();
    await waitFor(() => countsAreZero(server, ['bob', 'sleepy']), 3_000, 'counts back to zero');
  });
});

describe.each<Transport>(['websocket', 'polling'])('slow consumers: Socket.IO (%s)', (transport) => {
  it('a client that stops reading is disconnected at maxBufferedBytes, not after 100 MB', async () => {
    const events: SecurityEvent[] = [];
    const server = await startSocketIoServer(baseConfig(events, { maxBufferedBytes: LIMIT }), transport);
    cleanups.push(() => server.close());
    const reader: TestClient = connected(await server.connect({ user: 'bob' }));
    cleanups.push(() => reader.close());

    const url = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}`;
    const sleeper: ClientSocket = connectClient(url, {
      transports: [transport],
      upgrade: false,
      reconnection: false,
      forceNew: true,
      extraHeaders: identityHeaders({ user: 'sleepy' }),
    });
    cleanups.push(() => void sleeper.disconnect());
    await new Promise<void>((resolve, reject) => {
      sleeper.once('connect', resolve);
      sleeper.once('connect_error', reject);
    });
    const engineTransport = (sleeper.io as unknown as { engine: { transport: { ws?: { _socket: { pause(): void } }; pause(done: () => void): void } } }).engine.transport;
    // Stop reading: the WebSocket's TCP socket is paused; a long-polling client stops polling.
    if (transport === 'websocket') engineTransport.ws?._socket.pause();
    // (The poll under way completes with the first push; the client then sends no more.)
    else engineTransport.pause(() => undefined);

    const target = [...server.io.of('/').sockets.values()].find((socket) => socket.handshake.headers['x-test-user'] === 'sleepy');
    if (!target) throw new Error('no server socket for the sleeping client');
    const sent = await push((chunk) => target.emit('push', chunk), () => target.connected);
    expect(sent).toBeLessThan(MAX_PUSH);
    await waitFor(() => slowClosures(events).length === 1, 2_000, 'the slow_consumer closure event');
    expect(slowClosures(events)[0]).toMatchObject({ userId: 'sleepy' });
    // The engine connection is gone too, its write buffer with it.
    await waitFor(() => server.io.engine.clientsCount === 1, 2_000, 'the engine connection closed');

    expect((await reader.send('chat:send', { text: 'hi' })).ok).toBe(true);
    await reader.close();
    await waitFor(() => countsAreZero(server, ['bob', 'sleepy']), 3_000, 'counts back to zero');
  });
});
