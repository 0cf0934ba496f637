/**
 * The demo server that `npm start` runs, through real Socket.IO clients and plain HTTP: its page and files, the
 * identities it hands out, the admin API the dashboard reads (by cookie, with CSRF on changes), the config it shows,
 * the ban the rapid-reconnect scenario earns and its lifting, and the built CLI serving the same from `dist`.
 * The scenarios themselves run in a real browser in browser.test.ts.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { isReasonCode } from '../../src/index.js';
import { DEMO_LIMITS } from '../../src/demo/config.js';
import { DEMO_SCENARIOS } from '../../src/demo/scenarios.js';
import { startDemo, type RunningDemo } from '../../src/demo/server.js';

const repoRoot = resolve(import.meta.dirname, '../..');

let demo: RunningDemo;
let origin: string;
let adminCookie: string;
const open: Socket[] = [];

beforeAll(async () => {
  demo = await startDemo({ port: 0, sinks: [] });
  origin = new URL(demo.url).origin;
  const page = await fetch(demo.url);
  adminCookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
});
afterAll(async () => {
  for (const socket of open) socket.disconnect();
  await demo.close();
});

async function csrfToken(user: string): Promise<string> {
  const response = await fetch(`${origin}/csrf-token?user=${user}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

interface Opened {
  readonly socket: Socket;
  readonly error?: { code: string; retryAfterMs?: number };
}

async function connect(options: { namespace?: string; user?: string; token?: string | null; from?: string } = {}): Promise<Opened> {
  const { namespace = '/', user, from = origin } = options;
  const token = options.token === undefined && user !== undefined ? await csrfToken(user) : options.token;
  const auth: Record<string, string> = {};
  if (user !== undefined) auth['user'] = user;
  if (token) auth['csrfToken'] = token;
  const socket = io(`${origin}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, auth, extraHeaders: { origin: from } });
  open.push(socket);
  return new Promise((resolvePromise) => {
    socket.once('connect', () => resolvePromise({ socket }));
    socket.once('connect_error', (err: Error & { data?: { code: string } }) => resolvePromise({ socket, error: err.data ?? { code: `transport: ${err.message}` } }));
  });
}

function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${origin}/admin/api${path}`, { ...init, headers: { cookie: adminCookie, ...(init.headers as Record<string, string> | undefined) } });
}

async function adminToken(): Promise<string> {
  const response = await fetch(`${origin}/admin/csrf-token`, { headers: { cookie: adminCookie } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

describe('the page', () => {
  it('is served with a strict content security policy and the admin cookie', async () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(demo.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('set-cookie')).toMatch(/^wsguard_demo_admin=[\w-]{20,}; Path=\/admin; HttpOnly; SameSite=Strict$/);
    const html = await response.text();
    expect(html).toContain('<title>wsguard demo</title>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('serves every file the page and its modules load, from this server only', async () => {
    const html = await (await fetch(demo.url)).text();
    const referenced = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(referenced.length).toBeGreaterThan(3);
    for (const url of referenced) expect(url, 'no CDN: every file is local').toMatch(/^\/[a-z]/);
    const seen = new Set<string>();
    const queue = [...referenced];
    while (queue.length > 0 && seen.size < 50) {
      const url = queue.shift() ?? '';
      if (seen.has(url)) continue;
      seen.add(url);
      const response = await fetch(`${origin}${url}`);
      expect(response.status, url).toBe(200);
      if (url.startsWith('/assets/')) expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      if (url.endsWith('.js') && url.startsWith('/assets/')) {
        expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
        const body = await response.text();
        // Module imports are relative: follow them.
        for (const m of body.matchAll(/from '\.\/([\w-]+\.js)'/g)) queue.push(new URL(m[1] ?? '', `${origin}${url}`).pathname);
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(['/socket.io/socket.io.min.js', '/assets/styles.css', '/assets/js/main.js', '/assets/js/scenarios.js', '/assets/js/dashboard.js']));
    expect((await fetch(`${origin}/assets/../server.ts`)).status).toBe(404);
    expect((await fetch(`${origin}/assets/js/nope.js`)).status).toBe(404);
  });

  it('publishes its config and scenarios, with the secret left out', async () => {
    const body = (await (await fetch(`${origin}/demo/config.json`)).json()) as {
      clientIp: string;
      limits: typeof DEMO_LIMITS;
      scenarios: typeof DEMO_SCENARIOS;
      config: Record<string, unknown>;
      facts: { label: string; value: string }[];
    };
    expect(body.clientIp).toBe('127.0.0.1');
    expect(body.limits).toEqual(DEMO_LIMITS);
    expect(body.scenarios.map((s) => s.id)).toEqual(DEMO_SCENARIOS.map((s) => s.id));
    expect(body.config['csrfSecret']).toBe('(random per process)');
    expect(body.config['mode']).toBe('enforce');
    expect(body.facts.find((f) => f.label === 'Origins')?.value).toContain(origin);
    expect(demo.guard.options.csrf).not.toBeNull();
  });

  it('names only real reason codes in its scenarios', () => {
    expect(DEMO_SCENARIOS.length).toBe(9);
    for (const scenario of DEMO_SCENARIOS) for (const code of scenario.codes) expect(isReasonCode(code), `${scenario.id}: ${code}`).toBe(true);
  });
});

describe('identities', () => {
  it('lets scenarios name their user, never the dashboard', async () => {
    expect((await fetch(`${origin}/csrf-token?user=dashboard`)).status).toBe(401);
    expect((await fetch(`${origin}/csrf-token?user=Not%20Valid`)).status).toBe(401);
    expect((await fetch(`${origin}/csrf-token`)).status).toBe(401);
    const dashboard = await connect({ user: 'dashboard', token: null });
    expect(dashboard.error?.code).toBe('unauthenticated');
  });

  it('keeps the admin API to the cookie holder, with a CSRF token for changes', async () => {
    expect((await fetch(`${origin}/admin/api/stats`)).status).toBe(401);
    // A name in the query is an identity only at /csrf-token: `admin-x` cannot claim the API this way.
    expect((await fetch(`${origin}/admin/api/stats?user=admin-x`)).status).toBe(401);
    const stats = await admin('/stats');
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ connections: expect.any(Number) as number, eventsByCategory: expect.any(Object) as object });
    const noToken = await admin('/bans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'x' }) });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({ code: 'csrf_missing' });
  });
});

describe('the scenarios, server side', () => {
  it('refuses what the demo config forbids, each with its code', async () => {
    const { socket, error } = await connect({ user: 'fuzz-test' });
    expect(error).toBeUndefined();
    expect(await socket.timeout(2_000).emitWithAck('chat:send', { text: 'hi' })).toEqual({ ok: true });
    expect(await socket.timeout(2_000).emitWithAck('files:delete', {})).toMatchObject({ error: { code: 'event_not_allowed' } });
    expect(await socket.timeout(2_000).emitWithAck('chat:send', { text: 'x'.repeat(4_096) })).toMatchObject({
      error: { code: 'message_too_large', details: { limit: DEMO_LIMITS.maxMessageBytes } },
    });
    expect(await socket.timeout(2_000).emitWithAck('chat:send', { text: "' OR '1'='1' --" })).toMatchObject({ error: { code: 'malicious_payload' } });
    socket.disconnect();
  });

  it('keeps other sites, anonymous clients and non-admins where they belong', async () => {
    expect((await connect({ user: 'alice-test', from: 'http://evil.example' })).error?.code).toBe('origin_not_allowed');
    expect((await connect({})).error?.code).toBe('unauthenticated');
    expect((await connect({ namespace: '/admin', user: 'bob-test' })).error?.code).toBe('namespace_forbidden');
    const boss = await connect({ namespace: '/admin', user: 'admin-test' });
    expect(boss.error).toBeUndefined();
    expect(await boss.socket.timeout(2_000).emitWithAck('admin:ping')).toMatchObject({ pong: true });
    boss.socket.disconnect();
  });

  it('bans the address after rapid reconnects, and the dashboard lifts it', async () => {
    const jsonWithToken = async (): Promise<Record<string, string>> => ({ 'content-type': 'application/json', 'x-csrf-token': await adminToken() });
    // What the page's reset does: forget this address's abuse windows (the tests above left short sessions behind).
    const forgot = await admin('/bans', { method: 'DELETE', headers: await jsonWithToken(), body: JSON.stringify({ ip: '127.0.0.1' }) });
    expect(forgot.status).toBe(200);
    const user = 'churn-test';
    const token = await csrfToken(user);
    const witness = await connect({ user, token });
    expect(witness.error).toBeUndefined();
    let closedWith: { code: string } | null = null;
    witness.socket.once('wsguard:error', (error: { code: string }) => (closedWith = error));
    const cycle = async (): Promise<void> => {
      const opened = await connect({ user, token });
      expect(opened.error).toBeUndefined();
      opened.socket.disconnect();
      await new Promise((r) => setTimeout(r, 30));
    };
    for (let i = 1; i < DEMO_LIMITS.reconnectThreshold; i++) await cycle();
    await new Promise((r) => setTimeout(r, 200));
    expect(closedWith, 'one short session below the threshold: no ban yet').toBeNull();
    expect(witness.socket.connected).toBe(true);
    await cycle();
    for (let i = 0; i < 100 && closedWith === null; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closedWith).toMatchObject({ code: 'banned' });
    expect((await connect({ user: 'alice-banned' })).error?.code).toMatch(/banned|transport/);
    const { bans } = (await (await admin('/bans')).json()) as { bans: { key: string; expiresAt: number }[] };
    const ban = bans.find((b) => b.key === 'ip:127.0.0.1');
    expect(ban).toBeDefined();
    expect((ban?.expiresAt ?? 0) - Date.now()).toBeLessThanOrEqual(DEMO_LIMITS.banMs);
    // The admin API is plain HTTP: a banned address can still reach it.
    const lifted = await admin('/bans', { method: 'DELETE', headers: await jsonWithToken(), body: JSON.stringify({ ip: '127.0.0.1' }) });
    expect(lifted.status).toBe(200);
    expect(await lifted.json()).toEqual({ removed: true });
    const after = await connect({ user: 'alice-after' });
    expect(after.error).toBeUndefined();
    after.socket.disconnect();
  });
});

describe('the built CLI', () => {
  it('serves the page and its files from dist, as `npx wsguard demo` does', async () => {
    const cli = resolve(repoRoot, 'dist/cli.js');
    expect(existsSync(cli), 'dist/cli.js missing: run `npm run build` (npm test does)').toBe(true);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1' };
    const child = spawn(process.execPath, [cli, 'demo'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    try {
      const url = await new Promise<string>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed; output: ${output}`)), 10_000);
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          const found = /listening on (http:\/\/\S+)/.exec(output);
          if (found?.[1]) {
            clearTimeout(timer);
            resolvePromise(found[1]);
          }
        });
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      for (const path of ['', 'assets/js/main.js', 'assets/styles.css', 'socket.io/socket.io.min.js', 'demo/config.json']) {
        expect((await fetch(`${url}${path}`)).status, path).toBe(200);
      }
    } finally {
      const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
