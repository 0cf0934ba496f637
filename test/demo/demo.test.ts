/** The demo server that `npm start` runs: its page and its protections, through a real client. */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { startDemo, type RunningDemo } from '../../src/demo/server.js';

let demo: RunningDemo;
let origin: string;

beforeAll(async () => {
  demo = await startDemo({ port: 0 });
  origin = new URL(demo.url).origin;
});
afterAll(async () => {
  await demo.close();
});

async function csrfToken(user: string): Promise<string> {
  const response = await fetch(`${origin}/csrf-token?user=${user}`);
  return ((await response.json()) as { token: string }).token;
}

async function connect(namespace: string, user: string | undefined, from = origin, token?: string): Promise<{ socket: Socket; error?: { code: string } }> {
  const socket = io(`${origin}${namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: user ? { user, csrfToken: token ?? (await csrfToken(user)) } : {},
    extraHeaders: { origin: from },
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (err: Error & { data?: { code: string } }) => resolve({ socket, error: err.data }));
  });
}

describe('demo', () => {
  it('serves its page on the printed URL', async () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(demo.url);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>wsguard demo</title>');
    expect(html).toContain('/socket.io/socket.io.js');
    expect((await fetch(`${origin}/socket.io/socket.io.js`)).status).toBe(200);
  });

  it('lets a user chat and refuses what the demo config forbids', async () => {
    const { socket, error } = await connect('/', 'alice');
    expect(error).toBeUndefined();
    expect(await socket.timeout(2_000).emitWithAck('chat:send', { text: 'hi' })).toEqual({ ok: true });
    expect(await socket.timeout(2_000).emitWithAck('files:delete', {})).toMatchObject({ error: { code: 'event_not_allowed' } });
    expect(await socket.timeout(2_000).emitWithAck('chat:send', { text: 'x'.repeat(4_096) })).toMatchObject({ error: { code: 'message_too_large' } });
    socket.disconnect();
  });

  it('keeps /admin to admins and other sites out', async () => {
    const alice = await connect('/admin', 'alice');
    expect(alice.error?.code).toBe('namespace_forbidden');
    const admin = await connect('/admin', 'admin');
    expect(admin.error).toBeUndefined();
    const evil = await connect('/', 'alice', 'http://evil.example');
    expect(evil.error?.code).toBe('origin_not_allowed');
    for (const s of [alice.socket, admin.socket, evil.socket]) s.disconnect();
  });

  it('asks users for a CSRF token from its own endpoint', async () => {
    const forged = await connect('/', 'alice', origin, 'v1.forged.token.by.attacker');
    expect(forged.error?.code).toBe('csrf_invalid');
    const other = await connect('/', 'alice', origin, await csrfToken('admin'));
    expect(other.error?.code).toBe('csrf_session_mismatch');
    for (const s of [forged.socket, other.socket]) s.disconnect();
  });
});
