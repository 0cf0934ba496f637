/**
 * End to end: a real server with the audit sink, real clients presenting cookies, bearer tokens and CSRF tokens (valid,
 * forged and stolen), refused and accepted messages carrying secrets, and admin API calls. Afterwards the whole audit
 * file is searched for every secret the run used: none may appear, while the events about them must.
 */

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { protect } from '../../src/adapters/socket.io/index.js';
import { createAdminApi } from '../../src/admin/index.js';
import { createGuard } from '../../src/core/guard.js';
import { auditSink } from '../../src/events/audit/sink.js';
import { webhookSink } from '../../src/events/alerts/webhook.js';
import type { AuthRequest } from '../../src/codes/types.js';

const ORIGIN = 'http://app.test';
const secret = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function cookieOf(request: AuthRequest, name: string): string | undefined {
  const header = request.headers['cookie'];
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

describe('no secret reaches the audit trail', () => {
  it('keeps cookies, bearer tokens, CSRF tokens and payload secrets out of every record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsguard-secrets-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const csrfSecret = secret('csrf-secret');
    const sessions = new Map([
      [secret('cookie-alice'), { userId: 'alice', roles: ['user'], sessionId: 'sess-alice' }],
      [secret('cookie-root'), { userId: 'root', roles: ['admin'], sessionId: 'sess-root' }],
    ]);
    const bearer = secret('bearer');
    const badBearer = secret('bearer-bad');
    const [aliceCookie, rootCookie] = [...sessions.keys()] as [string, string];

    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    const guard = createGuard({
      allowedOrigins: [ORIGIN],
      requireAuthentication: true,
      authenticate: (request) => {
        const cookie = cookieOf(request, 'sid');
        if (cookie !== undefined) return sessions.get(cookie) ?? null;
        const authorization = request.headers['authorization'];
        if (authorization === `Bearer ${bearer}`) return { userId: 'service', roles: ['user'], sessionId: 'sess-service' };
        return null;
      },
      csrfEnabled: true,
      csrfSecret,
      allowedEvents: ['chat', 'transfer'],
      events: { transfer: { requireCsrf: true } },
      maxMessageBytes: 2_048,
      abuseDetectionEnabled: true,
      eventAggregationMs: 0,
      sinks: [auditSink({ path: join(dir, 'audit.jsonl'), flushIntervalMs: 10 })],
    });
    protect(io, guard);
    io.on('connection', (socket) => {
      socket.on('chat', (_payload: unknown, ack?: (r: unknown) => void) => ack?.({ ok: true }));
      socket.on('transfer', (_payload: unknown, ack?: (r: unknown) => void) => ack?.({ ok: true }));
    });
    const admin = createAdminApi(guard);
    http.on('request', (req, res) => void admin.handle(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const sockets: ClientSocket[] = [];

    const connect = (headers: Record<string, string>, auth: Record<string, unknown>): Promise<ClientSocket | string> => {
      const socket = connectClient(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { origin: ORIGIN, ...headers }, auth });
      sockets.push(socket);
      return new Promise((resolve) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (error: Error & { data?: { code?: string } }) => resolve(error.data?.code ?? 'transport'));
      });
    };
    const send = async (socket: ClientSocket, event: string, payload: unknown): Promise<unknown> =>
      socket.timeout(3_000).emitWithAck(event, payload);

    const aliceToken = guard.csrf.issue('sess-alice').token;
    const rootToken = guard.csrf.issue('sess-root').token;
    const forgedToken = secret('forged-token');
    const payloadSecret = secret('payload-secret');

    // Accepted and refused handshakes with every kind of credential.
    const alice = await connect({ cookie: `sid=${aliceCookie}` }, { csrfToken: aliceToken });
    expect(typeof alice === 'string' ? alice : 'connected').toBe('connected');
    expect(await connect({ cookie: `sid=${aliceCookie}` }, { csrfToken: forgedToken })).toBe('csrf_invalid');
    expect(await connect({ cookie: `sid=${aliceCookie}` }, { csrfToken: rootToken })).toMatch(/^csrf_/);
    expect(await connect({ authorization: `Bearer ${badBearer}` }, {})).toBe('unauthenticated');
    expect(typeof (await connect({ authorization: `Bearer ${bearer}` }, { csrfToken: guard.csrf.issue('sess-service').token }))).not.toBe('string');

    // Messages: accepted with a token, refused with a forged one, refused as malicious and as too large, all carrying secrets.
    const socket = alice as ClientSocket;
    expect(await send(socket, 'transfer', { amount: 5, csrfToken: aliceToken })).toEqual({ ok: true });
    expect(await send(socket, 'transfer', { amount: 5, csrfToken: forgedToken })).toMatchObject({ error: { code: 'csrf_invalid' } });
    expect(await send(socket, 'chat', { text: `<script>steal('${payloadSecret}')</script>` })).toMatchObject({ error: { code: 'malicious_payload' } });
    expect(await send(socket, 'chat', { text: payloadSecret.repeat(100) })).toMatchObject({ error: { code: 'message_too_large' } });
    // A client-chosen event name is kept for forensics, but cut: a long one cannot carry a payload into the file.
    expect(await send(socket, `not-allowed-${'x'.repeat(60)}${payloadSecret}`, {})).toMatchObject({ error: { code: 'event_not_allowed' } });

    // Admin calls: one refused for its token, one that acts.
    const adminCall = (token: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ userId: 'nobody', durationMs: 1_000 });
        const req = httpRequest(`${url}/admin/api/bans`, {
          method: 'POST',
          headers: { cookie: `sid=${rootCookie}`, 'x-csrf-token': token, 'content-type': 'application/json', 'content-length': String(body.length) },
        }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await adminCall(forgedToken)).toBe(403);
    expect(await adminCall(rootToken)).toBe(201);

    for (const s of sockets) s.disconnect();
    admin.close();
    await io.close();
    await guard.close();

    const files = await readdir(dir);
    const text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
    // The run was recorded: the events about each secret are there...
    for (const type of ['connection_accepted', 'csrf_failure', 'message_refused', 'admin_refused', 'admin_action', 'ban_added']) {
      expect(text, type).toContain(`"type":"${type}"`);
    }
    // ...and not one secret it used.
    const secrets = { aliceCookie, rootCookie, bearer, badBearer, csrfSecret, aliceToken, rootToken, forgedToken, payloadSecret };
    for (const [name, value] of Object.entries(secrets)) expect(text.split("\n").filter((l) => l.includes(value)), name).toEqual([]);
    expect(text).toContain('[truncated]');
    // Nor a shorter telling part of a token (its signature half).
    for (const token of [aliceToken, rootToken]) expect(text.includes(token.slice(-16))).toBe(false);
  });
});

describe('a slow webhook', () => {
  it('never holds up message handling: a webhook that never answers, every message answered at once', async () => {
    // A webhook endpoint that accepts and never responds.
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    });
    const hook = webhookSink({ url: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`, timeoutMs: 30_000, queueSize: 50, minSeverity: 'info' });
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    // Every message is refused (not on the allow-list), so every one produces an event for the webhook.
    const guard = createGuard({ allowedOrigins: [ORIGIN], allowedEvents: ['chat'], eventAggregationMs: 0, sinks: [hook], messageRateLimit: 100_000, burstLimit: 100_000 });
    protect(io, guard);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await io.close();
      await guard.close();
    });
    const client = connectClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: { origin: ORIGIN },
    });
    cleanups.push(() => Promise.resolve(void client.disconnect()));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    });
    const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => client.timeout(5_000).emitWithAck(`other-${i % 3}`, { i })));
    expect(replies.every((r) => (r as { error?: { code?: string } }).error?.code === 'event_not_allowed')).toBe(true);
    // The webhook got nowhere: its queue is bounded and it dropped the rest, counted.
    const stats = hook.stats();
    expect(stats.delivered).toBe(0);
    expect(stats.queued).toBeLessThanOrEqual(50);
    expect(stats.dropped).toBeGreaterThan(0);
    // Shutdown is not held by the webhook either: close gives it a short grace, then aborts it.
    const closing = Date.now();
    await io.close();
    await guard.close();
    expect(Date.now() - closing).toBeLessThan(10_000);
  });
});
