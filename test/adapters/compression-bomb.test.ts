/**
 * Compression bombs: with permessage-deflate on (it is off by default in ws's server mode and in Socket.IO), a small
 * compressed frame that inflates past the limits is refused, and the server goes on serving the next client.
 *
 * ws applies `maxPayload` to the inflated size (ws/lib/permessage-deflate.js `inflateOnData` stops inflating past it
 * and fails the message with 1009; ws/lib/receiver.js checks the running total across fragments). The ws adapter sets
 * `maxPayload` a little above `maxMessageBytes`; Socket.IO's engine uses `maxHttpBufferSize` as its ws `maxPayload`.
 * So a bomb is either cut by ws while inflating (close 1009, reported as `message_too_large`) or, when it inflates to
 * less than that, refused by the guard as `message_too_large` on a connection that stays open.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, waitFor, type TestClient } from './harness.js';
import { startSocketIoServer } from './socket.io.harness.js';
import { startWsServer, type WsTestClient } from './ws.harness.js';

const LIMIT = 100_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const transportRefusals = (events: SecurityEvent[]) =>
  events.filter((e) => e.type === 'message_refused' && e.reason === 'message_too_large' && e.detail?.['stage'] === 'transport');

function connected<T>(result: { ok: true; client: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
  return result.client;
}

describe('compression bombs: ws', () => {
  it('a 10 MB frame compressed to a few KB is cut while inflating (1009, message_too_large); the next client chats', async () => {
    const events: SecurityEvent[] = [];
    const server = await startWsServer(baseConfig(events, { maxMessageBytes: LIMIT }), 'server', { wss: { perMessageDeflate: true } });
    cleanups.push(() => server.close());
    const bomber = connected<WsTestClient>(await server.open());
    cleanups.push(() => bomber.close());
    expect(bomber.ws.extensions).toContain('permessage-deflate');

    // Just over the guard's limit, under ws's maxPayload: inflated, then refused with a code; the connection stays.
    const over = await bomber.send('chat:send', 'a'.repeat(LIMIT + 20_000));
    expect(over).toMatchObject({ ok: false, error: { code: 'message_too_large', details: { limit: LIMIT } } });

    // The bomb: ten megabytes of one letter.
    const serverSocket = server.accepted[0] as WebSocket & { _socket: { bytesRead: number } };
    const before = serverSocket._socket.bytesRead;
    bomber.sendWithoutAck('chat:send', 'a'.repeat(10_000_000));
    const closed = await bomber.closeFrame;
    expect(closed.code).toBe(1009);
    // What crossed the wire was a few kilobytes: the server inflated it only as far as its limit.
    expect(serverSocket._socket.bytesRead - before).toBeLessThan(LIMIT);
    await waitFor(() => transportRefusals(events).length === 1, 2_000, 'the bomb reported as message_too_large');
    expect(server.received).toHaveLength(0);

    const next = connected<WsTestClient>(await server.open({ user: 'alice' }));
    cleanups.push(() => next.close());
    expect((await next.send('chat:send', { text: 'hi' })).ok).toBe(true);
    await next.close();
    await waitFor(() => countsAreZero(server, ['alice']), 2_000, 'counts back to zero');
  });
});

describe('compression bombs: Socket.IO', () => {
  it('a compressed frame past maxHttpBufferSize is cut while inflating and reported; the next client chats', async () => {
    const events: SecurityEvent[] = [];
    const server = await startSocketIoServer(baseConfig(events, { maxMessageBytes: LIMIT }), 'websocket', {
      server: { perMessageDeflate: true, maxHttpBufferSize: 2 * LIMIT },
    });
    cleanups.push(() => server.close());
    const bomber: TestClient = connected(await server.connect());
    cleanups.push(() => bomber.close());

    const over = await bomber.send('chat:send', 'a'.repeat(LIMIT + 20_000));
    expect(over).toMatchObject({ ok: false, error: { code: 'message_too_large' } });

    // The engine negotiated compression with the client, so the bomb travels compressed.
    const [serverSocket] = [...server.io.of('/').sockets.values()];
    const wire = (serverSocket?.conn as unknown as { transport: { socket: WebSocket & { _socket: { bytesRead: number } } } }).transport.socket;
    expect(wire.extensions).toContain('permessage-deflate');
    const before = wire._socket.bytesRead;
    bomber.sendWithoutAck('chat:send', 'a'.repeat(10_000_000));
    await bomber.closed;
    expect(wire._socket.bytesRead - before).toBeLessThan(LIMIT);
    await waitFor(() => transportRefusals(events).length === 1, 2_000, 'the bomb reported as message_too_large');
    expect(server.received).toHaveLength(0);

    const next: TestClient = connected(await server.connect({ user: 'alice' }));
    cleanups.push(() => next.close());
    expect((await next.send('chat:send', { text: 'hi' })).ok).toBe(true);
    await next.close();
    await waitFor(() => countsAreZero(server, ['alice']), 2_000, 'counts back to zero');
  });
});
