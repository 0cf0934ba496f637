/**
 * Frames `ws` itself refuses before the guard sees a message (invalid UTF-8 in a text frame, an unknown opcode): the
 * connection is closed with ws's close code, the refusal is reported as `malformed_message`, nothing crashes and no
 * count is left. Written on the client's raw TCP socket, since a ws client would never send them.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, waitFor } from './harness.js';
import { startWsServer, type WsTestClient } from './ws.harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A masked client frame with `opcode` and `payload`, as RFC 6455 §5.2 lays it out (payloads under 126 bytes). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

describe.each([
  { name: 'invalid UTF-8 in a text frame', frame: clientFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), code: 1007 },
  { name: 'an unknown opcode', frame: clientFrame(0x3, Buffer.from('{}')), code: 1002 },
])('ws: $name', ({ frame, code }) => {
  it('closes with ws’s code, reports malformed_message, and serves the next client', async () => {
    const events: SecurityEvent[] = [];
    const server = await startWsServer(baseConfig(events, {}), 'server');
    cleanups.push(() => server.close());
    const result = await server.open({ user: 'fuzzer' });
    if (!result.ok) throw new Error('refused');
    const fuzzer: WsTestClient = result.client;
    cleanups.push(() => fuzzer.ws.terminate());
    (fuzzer.ws as WebSocket & { _socket: { write(data: Buffer): void } })._socket.write(frame);
    expect((await fuzzer.closeFrame).code).toBe(code);
    await waitFor(
      () => events.some((e) => e.type === 'message_refused' && e.reason === 'malformed_message' && e.userId === 'fuzzer'),
      1_000,
      'the malformed_message refusal',
    );
    await waitFor(() => countsAreZero(server, ['fuzzer']), 2_000, 'counts back to zero');

    const next = await server.open({ user: 'alice' });
    if (!next.ok) throw new Error('refused');
    cleanups.push(() => next.client.close());
    expect((await next.client.send('chat:send', { text: 'hi' })).ok).toBe(true);
  });
});
