import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApi, type AdminApi } from '../../src/admin/index.js';
import type { Ban } from '../../src/stores/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig } from '../adapters/harness.js';
import { socketIoTestScope, startSocketIoServer, type SocketIoTestServer } from '../adapters/socket.io.harness.js';

const SECRET = 'admin-api-test-secret-0123456789abcdef';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
}

/** One HTTP call to the admin API as user `as` (roles from `roles`), with an optional CSRF token and JSON body. */
function call(
  server: SocketIoTestServer,
  method: string,
  path: string,
  options: { as?: string; roles?: string[]; csrf?: string; body?: unknown; contentType?: string } = {},
): Promise<Reply> {
  const url = new URL(path, server.url);
  const headers: Record<string, string> = {};
  if (options.as !== undefined) headers['x-test-user'] = options.as;
  if (options.roles !== undefined) headers['x-test-roles'] = options.roles.join(',');
  if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    // As browsers do; without it Node's client sends a chunked DELETE, which Node's server answers with 400.
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const ADMIN = { as: 'root', roles: ['admin'] };

async function startWithAdmin(
  scope: ReturnType<typeof socketIoTestScope>,
  apis: AdminApi[],
  events: SecurityEvent[],
  overrides = {},
): Promise<{ server: SocketIoTestServer; admin: AdminApi; token: string }> {
  const server = scope.use(
    await startSocketIoServer(
      baseConfig(events, {
        csrfEnabled: true,
        csrfSecret: SECRET,
        abuseDetectionEnabled: true,
        ...overrides,
      }),
      'websocket',
    ),
  );
  const admin = createAdminApi(server.guard, { streamIntervalMs: 50 });
  server.http.on('request', (req, res) => void admin.handle(req, res));
  const token = server.guard.csrf.issue('session-root').token;
  apis.push(admin);
  return { server, admin, token };
}

const until = async (check: () => boolean, ms = 3_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('admin HTTP API', () => {
  const scope = socketIoTestScope();
  // Registered after the scope's, so it runs first: open streams end before the server waits for its connections.
  const apis: AdminApi[] = [];
  afterEach(() => {
    for (const api of apis.splice(0)) api.close();
  });

  it('refuses anonymous callers (401) and non-admins (403), and reports each refusal', async () => {
    const events: SecurityEvent[] = [];
    const { server } = await startWithAdmin(scope, apis, events);
    const anonymous = await call(server, 'GET', '/admin/api/connections');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body['code']).toBe('unauthenticated');
    const user = await call(server, 'GET', '/admin/api/connections', { as: 'alice' });
    expect(user.status).toBe(403);
    expect(user.body['code']).toBe('forbidden');
    const forbiddenBan = await call(server, 'POST', '/admin/api/bans', { as: 'alice', body: { userId: 'bob' } });
    expect(forbiddenBan.status).toBe(403);
    expect(server.guard.abuse?.listBans()).toEqual([]);
    await until(() => events.filter((e) => e.type === 'admin_refused').length >= 3);
    const refused = events.filter((e) => e.type === 'admin_refused');
    expect(refused.map((e) => e.reason)).toEqual(['unauthenticated', 'forbidden', 'forbidden']);
    expect(refused[1]?.userId).toBe('alice');
  });

  it('needs a valid CSRF token of the admin\u2019s own session for calls that change state, not for reads', async () => {
    const { server } = await startWithAdmin(scope, apis, []);
    expect((await call(server, 'GET', '/admin/api/bans', ADMIN)).status).toBe(200);
    const missing = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, body: { userId: 'mallory' } });
    expect([missing.status, missing.body['code']]).toEqual([403, 'csrf_missing']);
    const forged = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: 'forged.token', body: { userId: 'mallory' } });
    expect([forged.status, forged.body['code']]).toEqual([403, 'csrf_invalid']);
    const otherSession = server.guard.csrf.issue('session-alice').token;
    const stolen = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: otherSession, body: { userId: 'mallory' } });
    expect(stolen.status).toBe(403);
    expect(String(stolen.body['code'])).toMatch(/^csrf_/);
    expect(server.guard.abuse?.listBans()).toEqual([]);
  });

  it('lists live connections with their IP, user and traffic', async () => {
    const { server } = await startWithAdmin(scope, apis, []);
    const alice = scope.ok(await server.connect({ user: 'alice', csrfToken: server.guard.csrf.issue('session-alice').token }));
    await alice.send('chat', { text: 'hi' });
    const reply = await call(server, 'GET', '/admin/api/connections', ADMIN);
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    const connections = reply.body['connections'] as { userId: string; ip: string; messagesIn: number }[];
    expect(connections).toHaveLength(1);
    expect(connections[0]).toMatchObject({ userId: 'alice', ip: '127.0.0.1', messagesIn: 1 });
    expect(reply.body['byUser']).toEqual({ alice: 1 });
  });

  it('disconnects by IP exactly that address\u2019s sockets, and names the admin in an admin_action event', async () => {
    const events: SecurityEvent[] = [];
    const { server, token } = await startWithAdmin(scope, apis, events);
    const one = scope.ok(await server.connect({ user: 'a1', localAddress: '127.0.0.2', csrfToken: server.guard.csrf.issue('session-a1').token }));
    const two = scope.ok(await server.connect({ user: 'a2', localAddress: '127.0.0.2', csrfToken: server.guard.csrf.issue('session-a2').token }));
    const other = scope.ok(await server.connect({ user: 'b', localAddress: '127.0.0.3', csrfToken: server.guard.csrf.issue('session-b').token }));
    const reply = await call(server, 'POST', '/admin/api/disconnect', { ...ADMIN, csrf: token, body: { ip: '127.0.0.2' } });
    expect(reply.body).toEqual({ closed: 2 });
    await Promise.all([one.closed, two.closed]);
    expect((await other.send('chat', { text: 'still here' })).ok).toBe(true);
    expect(server.guard.connections.size).toBe(1);
    await until(() => events.some((e) => e.type === 'admin_action'));
    const action = events.find((e) => e.type === 'admin_action');
    expect(action).toMatchObject({ category: 'admin', userId: 'root', detail: { action: 'disconnect', by: 'root', target: { ip: '127.0.0.2' }, closed: 2 } });
  });

  it('disconnects one connection by id, a user, or a session; refuses a call naming none or two', async () => {
    const { server, token } = await startWithAdmin(scope, apis, []);
    const alice = scope.ok(await server.connect({ user: 'alice', csrfToken: server.guard.csrf.issue('session-alice').token }));
    const bob = scope.ok(await server.connect({ user: 'bob', csrfToken: server.guard.csrf.issue('session-bob').token }));
    const carol = scope.ok(await server.connect({ user: 'carol', csrfToken: server.guard.csrf.issue('session-carol').token }));
    const none = await call(server, 'POST', '/admin/api/disconnect', { ...ADMIN, csrf: token, body: {} });
    expect([none.status, none.body['code']]).toEqual([400, 'bad_request']);
    const two = await call(server, 'POST', '/admin/api/disconnect', { ...ADMIN, csrf: token, body: { userId: 'alice', ip: '127.0.0.1' } });
    expect(two.status).toBe(400);
    const id = server.guard.connections.select({ userId: 'alice' })[0]?.id;
    expect((await call(server, 'POST', '/admin/api/disconnect', { ...ADMIN, csrf: token, body: { connectionId: id } })).body).toEqual({ closed: 1 });
    await alice.closed;
    expect((await call(server, 'POST', '/admin/api/disconnect', { ...ADMIN, csrf: token, body: { userId: 'bob' } })).body).toEqual({ closed: 1 });
    await bob.closed;
    expect((await call(server, 'POST', '/admin/api/disconnect', { ...ADMIN, csrf: token, body: { sessionId: 'session-carol' } })).body).toEqual({ closed: 1 });
    await carol.closed;
    expect(server.guard.connections.size).toBe(0);
  });

  it('bans a user for a duration and an address block permanently, lists them, refuses at the handshake, and unbans', async () => {
    const events: SecurityEvent[] = [];
    const { server, token } = await startWithAdmin(scope, apis, events);
    const mallory = scope.ok(await server.connect({ user: 'mallory', csrfToken: server.guard.csrf.issue('session-mallory').token }));
    const banned = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: token, body: { userId: 'mallory', durationMs: 60_000, reason: 'spam' } });
    expect(banned.status).toBe(201);
    const ban = banned.body['ban'] as Ban;
    expect(ban).toMatchObject({ key: 'user:mallory', reason: 'spam' });
    expect(ban.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    await mallory.closed;
    expect(scope.refusal(await server.connect({ user: 'mallory', csrfToken: server.guard.csrf.issue('session-mallory').token }))?.code).toBe('banned');

    const block = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: token, body: { ip: '127.0.0.5/30' } });
    expect((block.body['ban'] as Ban)).toMatchObject({ key: 'cidr:127.0.0.4/30', expiresAt: null });
    // An address ban is screened before the handshake: a transport error, and a refusal event that says why.
    expect(await server.connect({ user: 'x', localAddress: '127.0.0.6', csrfToken: server.guard.csrf.issue('session-x').token })).toEqual({ ok: false, error: null });
    await until(() => events.some((e) => e.type === 'connection_refused' && e.reason === 'banned' && e.ip === '127.0.0.6'));
    scope.ok(await server.connect({ user: 'y', localAddress: '127.0.0.8', csrfToken: server.guard.csrf.issue('session-y').token }));

    const listed = await call(server, 'GET', '/admin/api/bans', ADMIN);
    expect((listed.body['bans'] as Ban[]).map((b) => b.key).sort()).toEqual(['cidr:127.0.0.4/30', 'user:mallory']);

    const lifted = await call(server, 'DELETE', '/admin/api/bans', { ...ADMIN, csrf: token, body: { userId: 'mallory' } });
    expect([lifted.status, lifted.body]).toEqual([200, { removed: true }]);
    const liftedBlock = await call(server, 'DELETE', '/admin/api/bans?ip=127.0.0.4%2F30', { ...ADMIN, csrf: token });
    expect([liftedBlock.status, liftedBlock.body]).toEqual([200, { removed: true }]);
    scope.ok(await server.connect({ user: 'mallory', csrfToken: server.guard.csrf.issue('session-mallory').token }));
    scope.ok(await server.connect({ user: 'x', localAddress: '127.0.0.6', csrfToken: server.guard.csrf.issue('session-x').token }));
    const again = await call(server, 'POST', '/admin/api/unban', { ...ADMIN, csrf: token, body: { userId: 'mallory' } });
    expect(again.body).toEqual({ removed: false });
  });

  it('closes the live sockets inside a banned block and only those', async () => {
    const { server, token } = await startWithAdmin(scope, apis, []);
    const inside = scope.ok(await server.connect({ user: 'in', localAddress: '127.0.1.9', csrfToken: server.guard.csrf.issue('session-in').token }));
    const outside = scope.ok(await server.connect({ user: 'out', localAddress: '127.0.2.9', csrfToken: server.guard.csrf.issue('session-out').token }));
    await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: token, body: { ip: '127.0.1.0/24', durationMs: 5_000 } });
    await inside.closed;
    expect((await outside.send('chat', {})).ok).toBe(true);
  });

  it('refuses bad input with coded 4xx answers and never crashes', async () => {
    const { server, token } = await startWithAdmin(scope, apis, []);
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/admin/api/bans', { ip: 'not-an-ip' }, 400, 'bad_request'],
      ['POST', '/admin/api/bans', { ip: '10.0.0.0/33' }, 400, 'bad_request'],
      ['POST', '/admin/api/bans', { userId: 'x', durationMs: -5 }, 400, 'bad_request'],
      ['POST', '/admin/api/bans', { userId: 'x', durationMs: 'soon' }, 400, 'bad_request'],
      ['POST', '/admin/api/bans', [1, 2], 400, 'bad_request'],
      ['POST', '/admin/api/bans', { userId: 'x'.repeat(300) }, 400, 'bad_request'],
      ['POST', '/admin/api/disconnect', { userId: 42 }, 400, 'bad_request'],
      ['PUT', '/admin/api/bans', { userId: 'x' }, 405, 'method_not_allowed'],
      ['GET', '/admin/api/nothing-here', undefined, 404, 'not_found'],
      ['GET', '/admin/api/events?severity=extreme', undefined, 400, 'bad_request'],
      ['GET', '/admin/api/events?limit=0', undefined, 400, 'bad_request'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const reply = await call(server, method, path, { ...ADMIN, csrf: token, body });
      expect([method, path, reply.status, reply.body['code']]).toEqual([method, path, status, code]);
    }
    const form = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: token, body: { userId: 'x' }, contentType: 'application/x-www-form-urlencoded' });
    expect([form.status, form.body['code']]).toEqual([415, 'unsupported_media_type']);
    const huge = await call(server, 'POST', '/admin/api/bans', { ...ADMIN, csrf: token, body: { userId: 'x', pad: 'y'.repeat(20_000) } });
    expect([huge.status, huge.body['code']]).toEqual([413, 'payload_too_large']);
    expect(server.guard.abuse?.listBans()).toEqual([]);
  });

  it('leaves requests outside its base path to the rest of the app', async () => {
    const { server } = await startWithAdmin(scope, apis, []);
    server.http.on('request', (req, res) => {
      if (req.url === '/hello') res.end('app');
    });
    const reply = await new Promise<string>((resolve, reject) => {
      httpRequest(new URL('/hello', server.url), (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject).end();
    });
    expect(reply).toBe('app');
  });

  it('serves recent events with filters, and counts by category and reason in stats', async () => {
    const { server } = await startWithAdmin(scope, apis, []);
    scope.ok(await server.connect({ user: 'alice', csrfToken: server.guard.csrf.issue('session-alice').token }));
    server.guard.emit({ type: 'message_refused', reason: 'message_rate_limited', ip: '127.0.0.9', userId: 'bob' });
    server.guard.emit({ type: 'message_refused', reason: 'message_too_large', ip: '127.0.0.9', userId: 'carol' });
    await until(() => (server.guard.stats().messagesAccepted >= 0 && true));
    await new Promise((r) => setTimeout(r, 50));
    const all = await call(server, 'GET', '/admin/api/events', ADMIN);
    const types = (all.body['events'] as SecurityEvent[]).map((e) => e.type);
    expect(types).toContain('connection_accepted');
    expect(types.filter((t) => t === 'message_refused')).toHaveLength(2);
    const byUser = await call(server, 'GET', '/admin/api/events?type=message_refused&userId=carol', ADMIN);
    expect((byUser.body['events'] as SecurityEvent[]).map((e) => e.reason)).toEqual(['message_too_large']);
    const warnings = await call(server, 'GET', '/admin/api/events?minSeverity=warning&limit=1', ADMIN);
    expect(warnings.body['events'] as SecurityEvent[]).toHaveLength(1);
    const future = await call(server, 'GET', `/admin/api/events?since=${Date.now() + 60_000}`, ADMIN);
    expect(future.body['events']).toEqual([]);
    const stats = await call(server, 'GET', '/admin/api/stats', ADMIN);
    expect(stats.body).toMatchObject({ connections: 1, bans: 0, refusalsByReason: { message_rate_limited: 1, message_too_large: 1 } });
    expect((stats.body['eventsByCategory'] as Record<string, number>)['connection']).toBeGreaterThanOrEqual(1);
  });

  it('streams events live over SSE in batches, filtered', async () => {
    const { server } = await startWithAdmin(scope, apis, []);
    const received: SecurityEvent[] = [];
    let contentType = '';
    const stream = httpRequest(new URL('/admin/api/events/stream?type=message_refused', server.url), {
      headers: { 'x-test-user': 'root', 'x-test-roles': 'admin' },
    });
    const opened = new Promise<void>((resolve) => {
      stream.on('response', (res) => {
        contentType = String(res.headers['content-type']);
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(message)?.[1];
            if (/^event: events$/m.test(message) && data) received.push(...(JSON.parse(data) as SecurityEvent[]));
          }
        });
        resolve();
      });
    });
    stream.end();
    await opened;
    expect(contentType).toMatch(/^text\/event-stream/);
    scope.ok(await server.connect({ user: 'alice', csrfToken: server.guard.csrf.issue('session-alice').token }));
    for (let i = 0; i < 5; i++) server.guard.emit({ type: 'message_refused', reason: 'event_not_allowed', ip: '127.0.0.1', userId: `u${i}` });
    await until(() => received.length >= 5);
    expect(received.every((e) => e.type === 'message_refused')).toBe(true);
    stream.destroy();
  });

  it('refuses to start without CSRF unless told the API is reached by bearer tokens only', async () => {
    const server = scope.use(await startSocketIoServer(baseConfig([], {}), 'websocket'));
    expect(() => createAdminApi(server.guard)).toThrow(/csrfEnabled/);
    const api = createAdminApi(server.guard, { requireCsrf: false });
    api.close();
  });
});
