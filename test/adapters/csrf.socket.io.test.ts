/**
 * CSRF through the real stack: a token fetched from the guard's HTTP endpoint, presented in the Socket.IO handshake
 * and in events, checked against the session the authenticate hook found.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, TEST_ORIGIN, waitFor } from './harness.js';
import { startSocketIoServer, type SocketIoTestServer } from './socket.io.harness.js';

const SECRET = 'current-secret-for-tests-0123456789abcdef';
const OLD_SECRET = 'previous-secret-for-tests-0123456789abcd';

let server: SocketIoTestServer;
let events: SecurityEvent[];
let time: number;
const handled: unknown[] = [];
const sockets: Socket[] = [];

beforeEach(async () => {
  events = [];
  handled.length = 0;
  time = Date.now();
  server = await startSocketIoServer(
    baseConfig(events, {
      csrfEnabled: true,
      csrfSecret: [SECRET, OLD_SECRET],
      csrfTokenTtlMs: 60_000,
      now: () => time,
      events: { 'profile:update': { requireCsrf: true } },
    }),
    'websocket',
    { echo: false },
  );
  server.http.on('request', (req, res) => {
    if (req.url === '/csrf-token') void server.guard.csrf.handler(req, res);
  });
  server.io.on('connection', (socket) => {
    socket.on('profile:update', (payload: unknown, ack: (r: unknown) => void) => {
      handled.push(payload);
      ack({ ok: true });
    });
    socket.on('admin:ban', server.guard.secure({ adminOnly: true, requireCsrf: true, operation: 'admin.ban' }, (payload: unknown, ack: (r: unknown) => void) => {
      handled.push(payload);
      ack({ banned: true });
    }));
  });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await server.close();
});

async function fetchToken(user: string | null): Promise<{ status: number; body: { token?: string; expiresAt?: number; code?: string } }> {
  const response = await fetch(`${server.url}/csrf-token`, { headers: user ? { 'x-test-user': user } : {} });
  return { status: response.status, body: (await response.json()) as { token?: string; code?: string } };
}

function connect(user: string | null, csrfToken?: string, roles?: string): Promise<{ socket: Socket; error?: { code: string } }> {
  const headers: Record<string, string> = { origin: TEST_ORIGIN };
  if (user) headers['x-test-user'] = user;
  if (roles) headers['x-test-roles'] = roles;
  const socket = connectClient(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: headers,
    auth: csrfToken === undefined ? {} : { csrfToken },
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (err: Error & { data?: { code: string } }) => resolve({ socket, error: err.data }));
  });
}

describe('CSRF tokens over HTTP', () => {
  it('issues a token for the caller session as JSON, never cached, and refuses anonymous callers', async () => {
    const response = await fetch(`${server.url}/csrf-token`, { headers: { 'x-test-user': 'alice' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { token: string; expiresAt: number };
    expect(body.token).toMatch(/^v1\./);
    expect(body.expiresAt).toBe(time + 60_000);
    expect(await fetchToken(null)).toEqual({ status: 401, body: { code: 'unauthenticated', message: 'Authentication required' } });
  });
});

describe('CSRF at the handshake', () => {
  it('accepts a valid token for the same session', async () => {
    const { body } = await fetchToken('alice');
    expect((await connect('alice', body.token)).error).toBeUndefined();
  });

  it('refuses a missing, a forged, another session’s and an expired token, each with its own code', async () => {
    const alice = (await fetchToken('alice')).body.token ?? '';
    expect((await connect('alice')).error?.code).toBe('csrf_missing');
    expect((await connect('alice', `${alice.slice(0, -4)}AAAA`)).error?.code).toBe('csrf_invalid');
    expect((await connect('bob', alice)).error?.code).toBe('csrf_session_mismatch');
    time += 60_001;
    expect((await connect('alice', alice)).error?.code).toBe('csrf_expired');
    await waitFor(() => events.filter((e) => e.type === 'csrf_failure').length === 4, 2_000, 'four csrf_failure events');
    const failures = events.filter((e) => e.type === 'csrf_failure');
    expect(failures.map((e) => e.reason)).toEqual(['csrf_missing', 'csrf_invalid', 'csrf_session_mismatch', 'csrf_expired']);
    expect(failures.every((e) => e.category === 'csrf' && e.severity === 'warning')).toBe(true);
    // The token is never logged.
    expect(JSON.stringify(events)).not.toContain(alice.split('.')[4] ?? 'unreachable');
  });

  it('still accepts a token signed with a rotated secret while it is listed', async () => {
    const { createCsrfTokens } = await import('../../src/policies/csrf/tokens.js');
    const old = createCsrfTokens({ secrets: [OLD_SECRET], ttlMs: 60_000, now: () => time }).issue('session-alice').token;
    expect((await connect('alice', old)).error).toBeUndefined();
  });

  it('does not ask anonymous clients for a token (they have no session to ride on)', async () => {
    expect((await connect(null)).error).toBeUndefined();
  });
});

describe('CSRF per event', () => {
  it('refuses an event that requires a token without one, and strips a valid token before the handler', async () => {
    const token = (await fetchToken('alice')).body.token ?? '';
    const { socket } = await connect('alice', token);
    const refused: unknown = await socket.timeout(2_000).emitWithAck('profile:update', { name: 'Alice' });
    expect(refused).toMatchObject({ error: { code: 'csrf_missing' } });
    const forged: unknown = await socket.timeout(2_000).emitWithAck('profile:update', { name: 'Alice', csrfToken: 'v1.a.b.c.d' });
    expect(forged).toMatchObject({ error: { code: 'csrf_invalid' } });
    const accepted: unknown = await socket.timeout(2_000).emitWithAck('profile:update', { name: 'Alice', csrfToken: token });
    expect(accepted).toEqual({ ok: true });
    expect(handled).toEqual([{ name: 'Alice' }]);
  });

  it('keeps refusing an event token once it has expired, even after accepting it before', async () => {
    const token = (await fetchToken('alice')).body.token ?? '';
    const { socket } = await connect('alice', token);
    const first: unknown = await socket.timeout(2_000).emitWithAck('profile:update', { name: 'A', csrfToken: token });
    expect(first).toEqual({ ok: true });
    time += 59_000;
    const stillValid: unknown = await socket.timeout(2_000).emitWithAck('profile:update', { name: 'B', csrfToken: token });
    expect(stillValid).toEqual({ ok: true });
    time += 2_000;
    const expired: unknown = await socket.timeout(2_000).emitWithAck('profile:update', { name: 'C', csrfToken: token });
    expect(expired).toMatchObject({ error: { code: 'csrf_expired' } });
    expect(handled).toEqual([{ name: 'A' }, { name: 'B' }]);
  });

  it('refuses an admin handler without a token even for an admin, and runs it with one', async () => {
    const token = (await fetchToken('root')).body.token ?? '';
    const { socket } = await connect('root', token, 'admin');
    const refused: unknown = await socket.timeout(2_000).emitWithAck('admin:ban', { target: 'mallory' });
    expect(refused).toMatchObject({ error: { code: 'csrf_missing' } });
    const accepted: unknown = await socket.timeout(2_000).emitWithAck('admin:ban', { target: 'mallory', csrfToken: token });
    expect(accepted).toEqual({ banned: true });
    expect(handled).toEqual([{ target: 'mallory' }]);
    await waitFor(() => events.some((e) => e.type === 'csrf_failure' && e.event === 'admin.ban'), 2_000, 'csrf_failure for the admin operation');
  });
});
