/**
 * What only the `ws` adapter does, against real ws servers and clients on 127.0.0.1: HTTP refusals of the upgrade,
 * the message envelope and its guarded `event` / raw `message` delivery, binary and malformed frames, close codes,
 * counts after every way a socket ends, `maxPayload`, and the three server modes.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { handleUpgrade, PAYLOAD_SLACK_BYTES, protect, type Reply } from '../../src/adapters/ws/index.js';
import type { Identity } from '../../src/codes/types.js';
import type { GuardConfig } from '../../src/config/types.js';
import { createGuard, type Guard } from '../../src/core/guard.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { memoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/stores/types.js';
import { baseConfig, countsAreZero, TEST_ORIGIN, waitFor, type ConnectOptions } from './harness.js';
import { openClient, startWsServer, TEST_PROTOCOL, type RawConnectResult, type WsMode, type WsServerOptions, type WsTestClient, type WsTestServer } from './ws.harness.js';

let events: SecurityEvent[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(overrides: GuardConfig = {}, options: WsServerOptions & { mode?: WsMode } = {}): Promise<WsTestServer> {
  events = [];
  const server = await startWsServer(baseConfig(events, overrides), options.mode ?? 'server', options);
  cleanups.push(() => server.close());
  return server;
}

function track(result: RawConnectResult): RawConnectResult {
  if (result.ok) cleanups.push(() => result.client.close());
  return result;
}

async function accept(server: WsTestServer, options?: ConnectOptions): Promise<WsTestClient> {
  const result = track(await server.open(options));
  if (!result.ok) throw new Error(`expected a connection, got ${result.status} ${result.body}`);
  return result.client;
}

async function refuse(server: WsTestServer, options?: ConnectOptions): Promise<Extract<RawConnectResult, { ok: false }>> {
  const result = track(await server.open(options));
  if (result.ok) throw new Error('expected a refusal, but the connection was accepted');
  return result;
}

const textOf = (raw: WebSocket.RawData): string =>
  (Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw)).toString('utf8');

const portOf = (server: WsTestServer): number => (server.http.address() as AddressInfo).port;

/** A hand-written upgrade request over plain TCP, for what a ws client will not do (reset mid-check, no key). */
function rawUpgrade(port: number, headers: Readonly<Record<string, string>>, { key = true } = {}): Socket {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const lines = [
    'GET / HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    ...(key ? ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='] : []),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return socket;
}

function responseOf(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('close', () => resolve(text));
  });
}

/** A store whose every answer is a promise, as a network store's would be. */
function asyncStore(): Store {
  const store = memoryStore();
  cleanups.push(() => store.close());
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'close') return value;
      return (...args: unknown[]) => Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

describe('wsguard/ws: refused upgrades', () => {
  it('answer with the catalogue status, a JSON body and Connection: close, and never open a WebSocket', async () => {
    const s = await start({ requireAuthentication: true, maxConnectionsPerUser: 1 });

    const origin = await refuse(s, { origin: 'http://evil.test', user: 'alice' });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body)).toEqual({ code: 'origin_not_allowed', message: 'Origin not allowed', details: { reason: 'not_listed' } });
    expect(origin.headers['connection']).toBe('close');
    expect(origin.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(origin.headers['retry-after']).toBeUndefined();

    const anonymous = await refuse(s);
    expect(anonymous.status).toBe(401);
    expect(anonymous.error).toEqual({ code: 'unauthenticated', message: 'Authentication required' });

    await accept(s, { user: 'alice' });
    const user = await refuse(s, { user: 'alice', localAddress: '127.0.0.2' });
    expect(user.status).toBe(429);
    expect(user.error?.code).toBe('too_many_connections_user');
    // A cap frees when another connection ends: the core gives a fixed hint, sent as Retry-After.
    expect(user.error?.retryAfterMs).toBe(5_000);
    expect(user.headers['retry-after']).toBe('5');

    expect(s.accepted).toHaveLength(1);
    expect(s.wss.clients.size).toBe(1);
  });

  it('429 with Retry-After in whole seconds for the connection rate, the pre-handshake screen and the IP cap', async () => {
    const s = await start({ connectionRateLimit: 1, maxConnectionsPerIp: 1 });
    await accept(s);
    const rate = await refuse(s);
    expect(rate.status).toBe(429);
    expect(rate.error?.code).toBe('connection_rate_limited');
    expect(rate.error?.retryAfterMs).toBeGreaterThan(0);
    expect(Number(rate.headers['retry-after'])).toBe(Math.ceil((rate.error?.retryAfterMs ?? NaN) / 1_000));
    expect(Number(rate.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // The address was just refused for rate: the screen turns it away before the guard's checks run.
    const screened = await refuse(s);
    expect(screened.status).toBe(429);
    expect(screened.error).toMatchObject({ code: 'connection_rate_limited', details: { stage: 'pre_handshake' } });
    expect(screened.headers['retry-after']).toMatch(/^\d+$/);

    const other = await start({ maxConnectionsPerIp: 1 });
    await accept(other);
    const cap = await refuse(other);
    expect(cap.status).toBe(429);
    expect(cap.error?.code).toBe('too_many_connections_ip');
    expect(cap.headers['retry-after']).toBe('5');
    expect(other.accepted).toHaveLength(1);
  });

  it('500 internal_error when the store fails, and nothing is held', async () => {
    const store = memoryStore();
    cleanups.push(() => store.close());
    const failing: Store = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'acquireLease') return () => Promise.reject(new Error('store down'));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const s = await start({ store: failing });
    const result = await refuse(s);
    expect(result.status).toBe(500);
    expect(result.error?.code).toBe('internal_error');
    expect(s.accepted).toHaveLength(0);
    expect(s.guard.connections.size).toBe(0);
  });

  it('a client that resets its TCP socket while authenticate runs: no crash, no WebSocket, counts back to zero', async () => {
    let calls = 0;
    let answer: (identity: Identity | null) => void = () => undefined;
    const s = await start({
      authenticate: () => {
        calls++;
        return new Promise<Identity | null>((resolve) => (answer = resolve));
      },
    });
    let serverSawClose = false;
    s.http.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.once('close', () => (serverSawClose = true)));
    const socket = rawUpgrade(portOf(s), { origin: TEST_ORIGIN });
    await waitFor(() => calls === 1, 2_000, 'authenticate to be called');
    socket.resetAndDestroy();
    await waitFor(() => serverSawClose, 2_000, 'the server to see the reset');
    answer({ userId: 'alice', roles: ['user'] });
    await waitFor(() => countsAreZero(s, ['alice']), 2_000, 'counts at zero');
    expect(s.accepted).toHaveLength(0);
    expect(events.some((e) => e.type === 'connection_accepted')).toBe(false);
  });

  it('a request the guard admits but ws refuses (no Sec-WebSocket-Key) gives its slot back', async () => {
    const s = await start({ maxConnectionsPerIp: 1 });
    const bad = rawUpgrade(portOf(s), { origin: TEST_ORIGIN }, { key: false });
    expect(await responseOf(bad)).toMatch(/^HTTP\/1\.1 400 /);
    await waitFor(() => countsAreZero(s), 2_000, 'the slot to be released');
    // Were the slot leaked, the cap of one would refuse this.
    await accept(s);
  });
});

describe('wsguard/ws: messages', () => {
  interface Seen {
    raw: Array<{ text: string; isBinary: boolean }>;
    listener: string[];
    event: Array<{ name: string; data: unknown }>;
  }

  async function startWithListeners(overrides: GuardConfig, options: WsServerOptions = {}): Promise<{ s: WsTestServer; seen: Seen }> {
    const s = await start(overrides, { ...options, echo: false });
    const seen: Seen = { raw: [], listener: [], event: [] };
    s.wss.on('connection', (ws) => {
      ws.on('message', (raw, isBinary) => seen.raw.push({ text: isBinary ? '' : textOf(raw), isBinary }));
      ws.addEventListener('message', (message) => seen.listener.push(typeof message.data === 'string' ? message.data : 'binary'));
      ws.on('event', (name: string, data: unknown, reply?: Reply) => {
        seen.event.push({ name, data });
        reply?.({ got: data });
        reply?.('a second reply is never sent');
      });
    });
    return { s, seen };
  }

  it('admitted messages reach the raw message listeners and the guarded event API; refused ones reach neither', async () => {
    const { s, seen } = await startWithListeners({ allowedEvents: ['chat:send'], maxMessageBytes: 200 });
    const client = await accept(s);

    expect(await client.send('chat:send', { text: 'hi' })).toEqual({ ok: true, reply: { got: { text: 'hi' } } });
    expect(client.frames).toEqual([{ event: 'chat:send', data: { got: { text: 'hi' } }, id: 1 }]);

    expect(await client.send('files:delete', {})).toEqual({
      ok: false,
      error: { code: 'event_not_allowed', message: 'Event not allowed', event: 'files:delete' },
    });
    expect(client.frames[1]).toMatchObject({ event: 'wsguard:error', id: 2 });

    client.sendWithoutAck('files:delete', {});
    expect(await client.nextGuardError()).toEqual({ code: 'event_not_allowed', message: 'Event not allowed', event: 'files:delete' });

    // The size is the frame's own byte length.
    const big = JSON.stringify({ event: 'chat:send', data: { text: 'é'.repeat(100) }, id: 3 });
    const tooLarge = await client.send('chat:send', { text: 'é'.repeat(100) });
    expect(tooLarge).toMatchObject({ ok: false, error: { code: 'message_too_large', details: { limit: 200, bytes: Buffer.byteLength(big) } } });

    // `data` may be absent; `id` may be any JSON value and comes back as it was.
    client.ws.send('{"event":"chat:send","id":"abc"}');
    await waitFor(() => client.frames.some((f) => f.id === 'abc'), 2_000, 'the reply to id "abc"');
    expect(client.frames.find((f) => f.id === 'abc')).toEqual({ event: 'chat:send', data: {}, id: 'abc' });

    const admitted = [JSON.stringify({ event: 'chat:send', data: { text: 'hi' }, id: 1 }), '{"event":"chat:send","id":"abc"}'];
    expect(seen.raw).toEqual(admitted.map((text) => ({ text, isBinary: false })));
    expect(seen.listener).toEqual(admitted);
    expect(seen.event).toEqual([
      { name: 'chat:send', data: { text: 'hi' } },
      { name: 'chat:send', data: undefined },
    ]);
    // One reply per message, however often the handler calls it.
    expect(client.frames.filter((f) => f.event === 'chat:send')).toHaveLength(2);
  });

  it('binary frames are refused by default and reach no listener', async () => {
    const { s, seen } = await startWithListeners({});
    const client = await accept(s);
    client.ws.send(Buffer.from([1, 2, 3]));
    expect(await client.nextGuardError()).toEqual({ code: 'binary_not_allowed', message: 'Binary messages are not accepted' });
    expect((await client.send('chat:send', 1)).ok).toBe(true);
    expect(seen.raw).toHaveLength(1);
    expect(seen.event.map((e) => e.name)).toEqual(['chat:send']);
    await waitFor(
      () => events.some((e) => e.type === 'message_refused' && e.reason === 'binary_not_allowed' && e.ip === '127.0.0.1'),
      2_000,
      'a message_refused event for the binary frame',
    );
  });

  it('binaryEvent names binary frames, which are then checked like any event', async () => {
    const { s, seen } = await startWithListeners(
      { allowedEvents: ['chat:send', 'upload'], events: { upload: { maxBytes: 10 } } },
      { protect: { binaryEvent: 'upload' } },
    );
    const client = await accept(s);
    client.ws.send(Buffer.from([1, 2, 3, 4, 5]));
    await waitFor(() => seen.event.length === 1, 2_000, 'the binary upload');
    expect(seen.event[0]?.name).toBe('upload');
    const upload = seen.event[0]?.data;
    expect(Buffer.isBuffer(upload) && upload.equals(Buffer.from([1, 2, 3, 4, 5]))).toBe(true);
    expect(seen.raw).toEqual([{ text: '', isBinary: true }]);

    client.ws.send(Buffer.alloc(20));
    expect(await client.nextGuardError()).toMatchObject({ code: 'message_too_large', event: 'upload', details: { limit: 10, bytes: 20 } });

    const closed = await start({ allowedEvents: ['chat:send'] }, { protect: { binaryEvent: 'upload' } });
    const other = await accept(closed);
    other.ws.send(Buffer.from([1]));
    expect(await other.nextGuardError()).toMatchObject({ code: 'event_not_allowed', event: 'upload' });
  });

  it('malformed frames are refused with details.reason "malformed" and the connection stays usable', async () => {
    const { s, seen } = await startWithListeners({});
    const client = await accept(s);
    const malformed = ['not json', '[1,2]', '{"data":1}', '{"event":5}', 'null', '"chat:send"'];
    for (const text of malformed) {
      client.ws.send(text);
      expect(await client.nextGuardError()).toEqual({ code: 'malformed_message', message: 'Message could not be read' });
    }
    expect((await client.send('chat:send', 'ok')).ok).toBe(true);
    expect(seen.raw).toHaveLength(1);
    await waitFor(
      () => events.filter((e) => e.type === 'message_refused' && e.reason === 'malformed_message').length === malformed.length,
      2_000,
      'a message_refused event per malformed frame',
    );
  });

  it('a custom parse and serialize replace the JSON envelope; a parse that throws is an internal_error', async () => {
    const parse = (raw: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return { event: 'bytes', data: (raw as Buffer).length, id: 'b' };
      const [event, data, id] = textOf(raw).split('|');
      if (event === 'explode') throw new Error('parser bug');
      return event && data !== undefined ? { event, data, id } : null;
    };
    const serialize = (envelope: { event: string; data?: unknown; id?: unknown }) =>
      `${envelope.event}|${JSON.stringify(envelope.data)}|${typeof envelope.id === 'string' ? envelope.id : ''}`;
    const s = await start({}, { protect: { parse, serialize } });
    const client = await accept(s);
    const lines: string[] = [];
    client.ws.on('message', (raw) => lines.push(textOf(raw)));
    client.ws.send('chat:send|hello|7');
    client.ws.send('nonsense');
    client.ws.send(Buffer.from([9, 9]));
    client.ws.send('explode|x|1');
    await waitFor(() => lines.length === 4, 2_000, 'four answers');
    expect(lines[0]).toBe('chat:send|{"ok":true,"event":"chat:send","echo":"hello"}|7');
    expect(lines[1]).toBe('wsguard:error|{"code":"malformed_message","message":"Message could not be read"}|');
    expect(lines[2]).toBe('bytes|{"ok":true,"event":"bytes","echo":2}|b');
    expect(lines[3]).toBe('wsguard:error|{"code":"internal_error","message":"Internal error"}|');
    await waitFor(() => events.some((e) => e.type === 'internal_error' && e.detail?.['stage'] === 'parse'), 2_000, 'internal_error event');
  });

  it('works the same with a store that answers with promises', async () => {
    const s = await start({ store: asyncStore(), messageRateLimit: 60, burstLimit: 2 });
    const client = await accept(s, { user: 'alice' });
    const results = await Promise.all([client.send('a', 1), client.send('b', 2), client.send('c', 3)]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(s.received.map((r) => r.event)).toEqual(['a', 'b']);
    await client.close();
    await waitFor(() => countsAreZero(s, ['alice']), 2_000, 'counts at zero');
  });

  it('guard.secure works on a ws handler (the WebSocket is `this`)', async () => {
    const s = await start({}, { echo: false });
    const handled: string[] = [];
    s.wss.on('connection', (ws) => {
      ws.on(
        'event',
        s.guard.secure({ roles: ['admin'] }, function adminAction(name: string, _data: unknown, reply?: Reply) {
          if (name === 'boom') throw new Error('handler bug');
          handled.push(name);
          reply?.('done');
        }),
      );
    });
    const bob = await accept(s, { user: 'bob' });
    const root = await accept(s, { user: 'root', roles: ['admin'] });
    expect(await bob.send('kick', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    bob.sendWithoutAck('kick', {});
    expect(await bob.nextGuardError()).toMatchObject({ code: 'forbidden', event: 'adminAction' });
    expect(await root.send('kick', {})).toEqual({ ok: true, reply: 'done' });
    expect(await root.send('boom', {})).toMatchObject({ ok: false, error: { code: 'internal_error' } });
    expect(handled).toEqual(['kick']);
    await waitFor(() => events.some((e) => e.type === 'handler_error'), 2_000, 'handler_error event');
  });
});

describe('wsguard/ws: CSRF', () => {
  const SECRET = 'a-test-secret-of-at-least-32-characters';

  it('the handshake token travels as a subprotocol entry, never picked as the subprotocol, or in the query', async () => {
    const s = await start({ csrfEnabled: true, csrfSecret: SECRET, events: { 'profile:update': { requireCsrf: true } } });
    const token = s.guard.csrf.issue('session-alice').token;

    const missing = await refuse(s, { user: 'alice' });
    expect(missing).toMatchObject({ status: 403, error: { code: 'csrf_missing' } });
    const stolen = await refuse(s, { user: 'alice', csrfToken: s.guard.csrf.issue('session-bob').token });
    expect(stolen).toMatchObject({ status: 403, error: { code: 'csrf_session_mismatch' } });
    expect(s.accepted).toHaveLength(0);

    const client = await accept(s, { user: 'alice', csrfToken: token });
    expect(client.ws.protocol).toBe(TEST_PROTOCOL);
    expect(s.accepted[0]?.protocol).toBe(TEST_PROTOCOL);

    // An event that needs a token carries it in its data; the handler gets the data without it.
    expect(await client.send('profile:update', { name: 'Ada', csrfToken: token })).toEqual({
      ok: true,
      reply: { ok: true, event: 'profile:update', echo: { name: 'Ada' } },
    });
    expect(await client.send('profile:update', { name: 'Ada' })).toMatchObject({ ok: false, error: { code: 'csrf_missing' } });
    expect(s.received).toEqual([{ event: 'profile:update', payload: { name: 'Ada' } }]);

    expect(track(await s.open({ user: 'alice', path: `/?csrfToken=${encodeURIComponent(token)}` })).ok).toBe(true);
    // No session, nothing to forge: an anonymous client needs no token at the handshake.
    await accept(s);
  });
});

describe('wsguard/ws: closing', () => {
  it('the guard closes with the catalogue close code and the reason code as close reason, after telling the client', async () => {
    const s = await start({});
    const alice = await accept(s, { user: 'alice' });
    const bob = await accept(s, { user: 'bob' });
    const carol = await accept(s, { user: 'carol' });

    const told = alice.nextGuardError();
    expect(s.guard.connections.close({ userId: 'alice' }, 'forbidden')).toBe(1);
    // Closing again while the close handshake runs sends nothing more.
    s.guard.connections.close({ userId: 'alice' }, 'forbidden');
    expect(await told).toEqual({ code: 'forbidden', message: 'Not allowed to send this event' });
    expect(await alice.closeFrame).toEqual({ code: 1008, reason: 'forbidden' });
    expect(alice.frames.filter((f) => f.event === 'wsguard:error')).toHaveLength(1);

    s.guard.connections.close({ userId: 'bob' }, 'message_rate_limited', 'slow down');
    expect(await bob.nextGuardError()).toEqual({ code: 'message_rate_limited', message: 'slow down' });
    expect(await bob.closeFrame).toEqual({ code: 1013, reason: 'message_rate_limited' });

    s.guard.connections.close({ userId: 'carol' }, 'message_too_large');
    expect(await carol.closeFrame).toEqual({ code: 1009, reason: 'message_too_large' });

    await waitFor(() => countsAreZero(s, ['alice', 'bob', 'carol']), 3_000, 'counts at zero');
  });

  it('counts return to zero after every way a socket ends', async () => {
    const s = await start({ maxMessageBytes: 100 });
    const users = ['client-close', 'client-drop', 'server-terminate', 'server-close', 'guard-close', 'oversized', 'shutdown-a', 'shutdown-b'];
    const clients: WsTestClient[] = [];
    for (const user of users) clients.push(await accept(s, { user }));
    const serverSide = (index: number): WebSocket => {
      const ws = s.accepted[index];
      if (!ws) throw new Error(`no server socket ${index}`);
      return ws;
    };
    const [clientClose, clientDrop, serverTerminate, serverClose, guardClose, oversized] = clients;
    expect(s.guard.connections.size).toBe(8);

    await clientClose?.close();
    clientDrop?.ws.terminate();
    serverSide(2).terminate();
    serverSide(3).close(1001, 'going away');
    s.guard.connections.close({ userId: 'guard-close' }, 'forbidden');
    // Far over maxPayload: ws cuts the frame (1009) before buffering it; the guard never sees it.
    oversized?.ws.send('x'.repeat(100 + PAYLOAD_SLACK_BYTES + 1));
    expect(await oversized?.closeFrame).toMatchObject({ code: 1009 });
    await Promise.all([serverTerminate?.closed, serverClose?.closed, guardClose?.closed]);
    await waitFor(() => s.guard.connections.size === 2, 3_000, 'six connections released');
    await waitFor(
      () => events.some((e) => e.type === 'connection_closed' && e.userId === 'oversized' && e.detail?.['error'] === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'),
      2_000,
      'the oversized connection closed by ws',
    );

    await s.stopTransport();
    await waitFor(() => countsAreZero(s, users), 3_000, 'every count at zero');
    await waitFor(() => events.filter((e) => e.type === 'connection_closed').length === users.length, 2_000, 'a connection_closed each');
  });

  it('a client that half-closes while the checks run leaves no count', async () => {
    let answer: (identity: Identity | null) => void = () => undefined;
    let calls = 0;
    const s = await start({
      authenticate: () => {
        calls++;
        return new Promise<Identity | null>((resolve) => (answer = resolve));
      },
    });
    const socket = rawUpgrade(portOf(s), { origin: TEST_ORIGIN });
    await waitFor(() => calls === 1, 2_000, 'authenticate to be called');
    socket.end();
    answer({ userId: 'alice', roles: ['user'] });
    await waitFor(() => countsAreZero(s, ['alice']), 3_000, 'counts at zero');
  });
});

describe('wsguard/ws: maxPayload', () => {
  it('is set a little above the largest message the guard allows: over the limit is coded, absurd is cut', async () => {
    const s = await start({ maxMessageBytes: 1_000, events: { upload: { maxBytes: 5_000 } } });
    expect(s.wss.options.maxPayload).toBe(5_000 + PAYLOAD_SLACK_BYTES);
    const client = await accept(s);
    expect(await client.send('chat:send', 'x'.repeat(2_000))).toMatchObject({ ok: false, error: { code: 'message_too_large' } });
    expect(await client.send('upload', 'x'.repeat(2_000))).toMatchObject({ ok: true });
    client.ws.send('x'.repeat(5_000 + PAYLOAD_SLACK_BYTES + 1));
    expect(await client.closeFrame).toMatchObject({ code: 1009 });
    await waitFor(() => countsAreZero(s), 2_000, 'counts at zero');
  });

  it('keeps a smaller maxPayload the application chose, with a warning; an explicit one wins', async () => {
    events = [];
    const guard = createGuard(baseConfig(events, { maxMessageBytes: 1_000 }));
    cleanups.push(() => guard.close());
    const small = new WebSocketServer({ noServer: true, maxPayload: 500 });
    protect(small, guard);
    expect(small.options.maxPayload).toBe(500);
    await waitFor(
      () => events.some((e) => e.type === 'config_warning' && e.detail?.['code'] === 'WSGUARD_W_ENGINE_BUFFER_SMALLER'),
      2_000,
      'the warning',
    );
    const explicit = new WebSocketServer({ noServer: true });
    const unprotect = protect(explicit, guard, { maxPayload: 4_096 });
    expect(explicit.options.maxPayload).toBe(4_096);
    unprotect();
    expect(explicit.options.maxPayload).toBe(100 * 1024 * 1024);
    expect(() => protect(new WebSocketServer({ noServer: true }), guard, { maxPayload: -1 })).toThrow(/maxPayload/);
  });
});

describe('wsguard/ws: server modes', () => {
  function withGuard(overrides: GuardConfig = {}): Guard {
    events = [];
    const guard = createGuard(baseConfig(events, overrides));
    cleanups.push(() => guard.close());
    return guard;
  }

  it('{ port } mode: ws created its own HTTP server; upgrades are still checked first', async () => {
    const guard = withGuard();
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await once(wss, 'listening');
    protect(wss, guard);
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    const refused = track(await openClient(url, { origin: 'http://evil.test' }));
    expect(refused).toMatchObject({ ok: false, status: 403, error: { code: 'origin_not_allowed' } });
    const accepted = track(await openClient(url));
    expect(accepted.ok).toBe(true);
    expect(guard.connections.size).toBe(1);
  });

  it('noServer mode with the application calling wss.handleUpgrade itself, even without emitting connection', async () => {
    const guard = withGuard({ allowedEvents: ['ping'] });
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true });
    protect(wss, guard);
    let connections = 0;
    wss.on('connection', () => connections++);
    http.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('event', (name: string, _data: unknown, reply?: Reply) => reply?.(`pong:${name}`));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    expect(track(await openClient(url, { origin: 'http://evil.test' }))).toMatchObject({ ok: false, status: 403 });
    const result = track(await openClient(url, { user: 'alice' }));
    if (!result.ok) throw new Error('expected a connection');
    expect(guard.connections.size).toBe(1);
    expect(await result.client.send('ping', null)).toEqual({ ok: true, reply: 'pong:ping' });
    expect(await result.client.send('other', null)).toMatchObject({ ok: false, error: { code: 'event_not_allowed' } });
    expect(connections).toBe(0);
    await result.client.close();
    await waitFor(() => guard.connections.size === 0, 2_000, 'the connection released');
  });

  it('the handleUpgrade helper protects on first use, refuses a server of another guard, and a throwing callback crashes nothing', async () => {
    const guard = withGuard({ maxConnectionsPerIp: 1 });
    const otherGuard = createGuard(baseConfig([], {}));
    cleanups.push(() => otherGuard.close());
    const lazy = new WebSocketServer({ noServer: true });
    const foreign = new WebSocketServer({ noServer: true });
    protect(foreign, otherGuard);
    const http = createServer();
    http.on('upgrade', (req, socket, head) => {
      const path = req.url ?? '/';
      if (path === '/foreign') handleUpgrade(guard, foreign, req, socket, head);
      else if (path === '/throws') handleUpgrade(guard, lazy, req, socket, head, () => { throw new Error('application bug'); });
      else handleUpgrade(guard, lazy, req, socket, head);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const ws of lazy.clients) ws.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;

    expect(track(await openClient(`${base}/`, { origin: 'http://evil.test' }))).toMatchObject({ ok: false, status: 403 });
    expect(lazy.options.maxPayload).toBe(guard.options.largestMessageBytes + PAYLOAD_SLACK_BYTES);
    expect(track(await openClient(`${base}/foreign`))).toMatchObject({ ok: false, status: 500, error: { code: 'internal_error' } });
    expect(foreign.clients.size).toBe(0);

    track(await openClient(`${base}/throws`));
    await waitFor(() => events.some((e) => e.type === 'internal_error' && e.detail?.['error'] === 'application bug'), 2_000, 'internal_error');
    await waitFor(() => guard.connections.size === 0, 2_000, 'the connection released');
    // The cap is one per IP: had the failed connection kept its slot, this would be refused.
    const result = track(await openClient(`${base}/`));
    expect(result.ok).toBe(true);
  });

  it('a request for another path is left to ws (400) without running the checks', async () => {
    let calls = 0;
    const guard = withGuard({ authenticate: () => (calls++, null) });
    const http = createServer();
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    protect(wss, guard);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    expect(track(await openClient(`${base}/other`))).toMatchObject({ ok: false, status: 400, error: null });
    expect(calls).toBe(0);
    expect(track(await openClient(`${base}/ws`)).ok).toBe(true);
    expect(calls).toBe(1);
  });

  it('protect refuses a second call and a non-server; unprotect restores ws for new upgrades', async () => {
    const guard = withGuard();
    const s = await start({ allowedEvents: ['chat:send'] });
    expect(() => protect(s.wss, guard)).toThrow(/already protected/);
    expect(() => protect(Object.freeze({}) as unknown as WebSocketServer, guard)).toThrow(TypeError);
    expect(() => protect(new WebSocketServer({ noServer: true }), guard, { binaryEvent: '' })).toThrow(/binaryEvent/);

    const wss = new WebSocketServer({ noServer: true });
    const unprotect = protect(wss, guard);
    expect(Object.hasOwn(wss, 'handleUpgrade')).toBe(true);
    unprotect();
    expect(Object.hasOwn(wss, 'handleUpgrade')).toBe(false);
    expect(() => protect(wss, guard)).not.toThrow();
  });
});

describe('wsguard/ws: monitor', () => {
  it('counts messages in, replies out and refusals per connection', async () => {
    const s = await start({ allowedEvents: ['chat:send'] });
    const client = await accept(s, { user: 'alice' });
    expect((await client.send('chat:send', { text: 'a' })).ok).toBe(true);
    expect((await client.send('chat:send', { text: 'b' })).ok).toBe(true);
    expect((await client.send('files:delete', {})).ok).toBe(false);
    const row = s.guard.monitor.snapshot().connections.find((c) => c.userId === 'alice');
    // Two replies sent by the handler through ws's send; the refusal is the guard's own answer, sent the same way.
    expect(row).toMatchObject({ transport: 'ws', messagesIn: 3, refusals: 1, messagesOut: 3 });
  });
});
