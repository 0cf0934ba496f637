/**
 * The handshake limits on a plain `http.Server`, with raw TCP clients that are as slow, as many and as malformed as
 * an attacker's: half-open sockets per address, headers that never complete, oversized and unreadable requests.
 * Every client address is in 127.0.0.0/8. Through the adapters: test/adapters/handshake-limits.test.ts.
 */

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../src/config/types.js';
import { createGuard, type Guard } from '../../src/core/guard.js';
import { hardenServer } from '../../src/core/handshake-limits.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { waitFor } from '../adapters/harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(config: GuardConfig): Promise<{ server: Server; port: number; guard: Guard; events: SecurityEvent[] }> {
  const events: SecurityEvent[] = [];
  const guard = createGuard({ eventAggregationMs: 0, sinks: [{ name: 'capture', write: (batch) => void events.push(...batch) }], ...config });
  const server = createServer((_req, res) => res.end('ok'));
  hardenServer(server, guard);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await guard.close();
  });
  return { server, port: (server.address() as AddressInfo).port, guard, events };
}

/** A raw socket from `localAddress` that sends `text` and records whether the server closed it. */
function rawClient(port: number, localAddress: string, text: string): { socket: Socket; closed: Promise<string> } {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('connect', () => socket.write(text));
  cleanups.push(() => void socket.destroy());
  // Not `once(socket, 'close')`: that rejects on the ECONNRESET a destroyed socket may see first.
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(received))) };
}

function get(port: number, localAddress = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', localAddress, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const refusals = (events: SecurityEvent[], reason: string) =>
  events.filter((e) => e.type === 'connection_refused' && e.reason === reason).reduce((sum, e) => sum + (e.count ?? 1), 0);

describe('hardenServer', () => {
  it('drops half-open sockets past the per-address cap at once, and the rest when their headers time out', async () => {
    const { port, events, server } = await start({ maxPendingHandshakesPerIp: 3, handshakeTimeoutMs: 300 });
    expect(server.headersTimeout).toBe(300);
    const slow = Array.from({ length: 6 }, () => rawClient(port, '127.0.0.2', 'GET / HTTP/1.1\r\nHost: x\r\n'));
    await waitFor(() => refusals(events, 'too_many_pending_handshakes') === 3, 2_000, 'three sockets over the cap dropped');
    // Another address is not affected while 127.0.0.2 is at its cap.
    expect(await get(port, '127.0.0.3')).toBe(200);
    const answers = await Promise.all(slow.map((client) => client.closed));
    expect(answers.filter((text) => text.startsWith('HTTP/1.1 408'))).toHaveLength(3);
    await waitFor(() => refusals(events, 'handshake_timeout') === 3, 1_000, 'three handshake timeouts');
    expect(events.find((e) => e.reason === 'handshake_timeout')).toMatchObject({ ip: '127.0.0.2', detail: { stage: 'http', timeoutMs: 300 } });
    // The address's count is back to zero: it may open sockets again.
    expect(await get(port, '127.0.0.2')).toBe(200);
  });

  it('counts a socket only until its headers are complete, and forgets one closed early', async () => {
    const { port, events } = await start({ maxPendingHandshakesPerIp: 2, handshakeTimeoutMs: 2_000 });
    for (let i = 0; i < 5; i++) expect(await get(port, '127.0.0.2')).toBe(200);
    const early = rawClient(port, '127.0.0.2', 'GET / HT');
    await once(early.socket, 'connect');
    early.socket.destroy();
    // The server sees the request cut short (a parse error), then the socket close that releases its count.
    await waitFor(() => refusals(events, 'malformed_request') === 1, 1_000, 'the cut request reported');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pending = [rawClient(port, '127.0.0.2', 'GET / HT'), rawClient(port, '127.0.0.2', 'GET / HT')];
    await Promise.all(pending.map((client) => once(client.socket, 'connect')));
    await waitFor(async () => (await get(port, '127.0.0.2').catch(() => 0)) === 0, 1_000, 'the third half-open socket refused');
    expect(refusals(events, 'too_many_pending_handshakes')).toBeGreaterThanOrEqual(1);
    expect(refusals(events, 'handshake_timeout')).toBe(0);
  });

  it('answers oversized and unreadable requests as Node does, and reports them', async () => {
    const { port, events } = await start({ maxHeaderBytes: 2_048 });
    const big = rawClient(port, '127.0.0.4', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4_000)}\r\n\r\n`);
    expect(await big.closed).toMatch(/^HTTP\/1\.1 431 /);
    const many = rawClient(port, '127.0.0.4', `GET / HTTP/1.1\r\n${Array.from({ length: 10_000 }, (_, i) => `h${i}: v`).join('\r\n')}\r\n\r\n`);
    expect(await many.closed).toMatch(/^HTTP\/1\.1 431 /);
    const garbage = rawClient(port, '127.0.0.4', 'NOT HTTP AT ALL\r\n\r\n');
    expect(await garbage.closed).toMatch(/^HTTP\/1\.1 400 /);
    await waitFor(() => refusals(events, 'headers_too_large') === 2 && refusals(events, 'malformed_request') === 1, 1_000, 'three refusal events');
    expect(events.find((e) => e.reason === 'headers_too_large')).toMatchObject({ ip: '127.0.0.4', detail: { error: 'HPE_HEADER_OVERFLOW' } });
    expect(await get(port, '127.0.0.4')).toBe(200);
  });

  it('times a trusted proxy without counting it, and names it only as the peer', async () => {
    const { port, events } = await start({ trustProxy: '127.0.0.5', maxPendingHandshakesPerIp: 1, handshakeTimeoutMs: 200 });
    const viaProxy = Array.from({ length: 3 }, () => rawClient(port, '127.0.0.5', 'GET / HT'));
    await Promise.all(viaProxy.map((client) => client.closed));
    expect(refusals(events, 'too_many_pending_handshakes')).toBe(0);
    await waitFor(() => refusals(events, 'handshake_timeout') === 3, 1_000, 'three timeouts');
    const event = events.find((e) => e.reason === 'handshake_timeout');
    expect(event?.ip).toBeUndefined();
    expect(event?.detail).toMatchObject({ peer: '127.0.0.5' });
  });

  it('keeps the per-address map at maxTrackedKeys: past it, new addresses are timed but not counted', async () => {
    const { port, events } = await start({ maxTrackedKeys: 1, maxPendingHandshakesPerIp: 1, handshakeTimeoutMs: 300 });
    const first = rawClient(port, '127.0.0.6', 'GET / HT');
    await once(first.socket, 'connect');
    await waitFor(() => true, 50);
    const others = [rawClient(port, '127.0.0.7', 'GET / HT'), rawClient(port, '127.0.0.7', 'GET / HT')];
    await Promise.all([first.closed, ...others.map((client) => client.closed)]);
    expect(refusals(events, 'too_many_pending_handshakes')).toBe(0);
    expect(refusals(events, 'handshake_timeout')).toBe(3);
  });

  it('https: times the headers from the end of the TLS handshake and caps pending ones per address', async () => {
    const events: SecurityEvent[] = [];
    const guard = createGuard({ eventAggregationMs: 0, sinks: [{ name: 'capture', write: (batch) => void events.push(...batch) }], handshakeTimeoutMs: 300, maxPendingHandshakesPerIp: 2 });
    const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
    const server = createHttpsServer({ key: fixture('key.pem'), cert: fixture('cert.pem') }, (_req, res) => res.end('ok'));
    hardenServer(server, guard);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await guard.close();
    });
    const port = (server.address() as AddressInfo).port;
    const exchange = (localAddress: string, text: string) =>
      new Promise<string>((resolve) => {
        const tcp = connect({ port, host: '127.0.0.1', localAddress });
        tcp.on('error', () => undefined);
        const socket = tlsConnect({ socket: tcp, rejectUnauthorized: false }, () => socket.write(text));
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (received += chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
      });
    const answers = await Promise.all([
      exchange('127.0.0.3', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ...Array.from({ length: 3 }, () => exchange('127.0.0.4', 'GET / HTTP/1.1\r\n')),
    ]);
    expect(answers[0]).toBe('HTTP/1.1 200 OK');
    expect(answers.filter((line) => line.startsWith('HTTP/1.1 408'))).toHaveLength(2);
    await waitFor(() => refusals(events, 'handshake_timeout') === 2 && refusals(events, 'too_many_pending_handshakes') === 1, 1_000, 'the TLS refusals');
  });

  it('is applied once per server, and undone by the function it returns', () => {
    const guard = createGuard({ sinks: [], handshakeTimeoutMs: 500, maxHeaderBytes: 4_096 });
    cleanups.push(() => guard.close());
    const server = createServer();
    const before = { headersTimeout: server.headersTimeout, listeners: server.listenerCount('connection') };
    const undo = hardenServer(server, guard);
    const again = hardenServer(server, guard);
    expect(server.listenerCount('connection')).toBe(before.listeners + 1);
    expect(server.headersTimeout).toBe(500);
    expect((server as Server & { maxHeaderSize?: number }).maxHeaderSize).toBe(4_096);
    again();
    expect(server.listenerCount('connection')).toBe(before.listeners + 1);
    undo();
    expect(server.listenerCount('connection')).toBe(before.listeners);
    expect(server.headersTimeout).toBe(before.headersTimeout);
  });
});
