/** The admin API mounted as the README says, on Express and on Fastify, served over real HTTP. */

import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminApi, type AdminApi } from '../../src/admin/index.js';
import { createGuard, type Guard } from '../../src/core/guard.js';
import { testAuthenticate } from '../adapters/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(): { guard: Guard; admin: AdminApi; token: string } {
  const guard = createGuard({
    authenticate: testAuthenticate,
    csrfEnabled: true,
    csrfSecret: 'admin-mount-test-secret-0123456789abcdef',
    abuseDetectionEnabled: true,
    sinks: [],
  });
  const admin = createAdminApi(guard);
  cleanups.push(async () => {
    admin.close();
    await guard.close();
  });
  return { guard, admin, token: guard.csrf.issue('session-root').token };
}

const asAdmin = { 'x-test-user': 'root', 'x-test-roles': 'admin' };

async function exercise(base: string, token: string, guard: Guard): Promise<void> {
  expect((await fetch(`${base}/admin/api/bans`)).status).toBe(401);
  const listed = await fetch(`${base}/admin/api/bans`, { headers: asAdmin });
  expect(listed.status).toBe(200);
  expect(await listed.json()).toEqual({ bans: [] });
  const banned = await fetch(`${base}/admin/api/bans`, {
    method: 'POST',
    headers: { ...asAdmin, 'x-csrf-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'mallory', durationMs: 60_000 }),
  });
  expect(banned.status).toBe(201);
  expect(guard.abuse?.listBans().map((b) => b.key)).toEqual(['user:mallory']);
  // The app's own routes are untouched.
  expect(await (await fetch(`${base}/hello`)).text()).toBe('app');
}

describe('mounting the admin API', () => {
  it('works as Express middleware: app.use(admin.handle)', async () => {
    const { guard, admin, token } = setup();
    const app = express();
    app.use(admin.handle);
    app.get('/hello', (_req, res) => void res.send('app'));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, guard);
  });

  it('works on Fastify through reply.hijack()', async () => {
    const { guard, admin, token } = setup();
    const app = Fastify();
    // Fastify parses JSON bodies itself; the admin API reads the raw request, so leave its bodies unparsed.
    app.addContentTypeParser('application/json', (_req, _payload, done) => done(null, undefined));
    app.all('/admin/api/*', (req, reply) => {
      reply.hijack();
      admin.handle(req.raw, reply.raw);
    });
    app.get('/hello', () => 'app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    await exercise(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token, guard);
  });
});
