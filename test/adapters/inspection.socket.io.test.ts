/**
 * Payload inspection through the real stack: structure limits, pollution keys, normalization, threat actions,
 * sanitizing and Standard Schema validators (zod, valibot), with handlers seeing only what passed, as rewritten.
 */

import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { WebSocket } from 'ws';
import { z } from 'zod';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, TEST_ORIGIN, waitFor } from './harness.js';
import { socketIoTestScope, startSocketIoServer, type SocketIoTestServer } from './socket.io.harness.js';

const scope = socketIoTestScope();
const { ok } = scope;
let events: SecurityEvent[] = [];

async function start(overrides: GuardConfig, echo = true): Promise<SocketIoTestServer> {
  events = [];
  return scope.use(await startSocketIoServer(baseConfig(events, overrides), 'websocket', { echo }));
}

/** A Socket.IO client written on raw frames: socket.io-client itself recurses over what it sends. */
async function rawClient(url: string): Promise<{ send(frame: string): void; next(): Promise<string>; close(): void }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers: { origin: TEST_ORIGIN } });
  const frames: string[] = [];
  const waiters: Array<(frame: string) => void> = [];
  ws.on('message', (data: Buffer) => {
    const frame = data.toString();
    if (frame === '2') return ws.send('3');
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const next = () => {
    const ready = frames.shift();
    return ready !== undefined ? Promise.resolve(ready) : new Promise<string>((resolve) => waiters.push(resolve));
  };
  await new Promise((resolve) => ws.once('open', resolve));
  expect((await next()).startsWith('0')).toBe(true);
  ws.send('40');
  expect((await next()).startsWith('40')).toBe(true);
  return { send: (frame) => ws.send(frame), next, close: () => ws.close() };
}

describe('structure limits', () => {
  it('refuses a payload nested 100,000 deep with payload_too_deep, and serves the next message', async () => {
    const s = await start({ maxMessageBytes: 1_048_576 });
    const client = await rawClient(s.url);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    client.send(`421["chat:send",${deep}]`);
    const answer = JSON.parse((await client.next()).slice(3)) as [{ error: { code: string; details: { limit: string } } }];
    expect(answer[0].error.code).toBe('payload_too_deep');
    expect(answer[0].error.details.limit).toBe('maxDepth');
    client.send('422["chat:send",{"text":"still here"}]');
    expect(await client.next()).toBe('432[{"ok":true,"event":"chat:send","echo":{"text":"still here"}}]');
    client.close();
    expect(s.received).toEqual([{ event: 'chat:send', payload: { text: 'still here' } }]);
  });

  it('refuses every pollution key at depth, and drops them when configured so, never touching a prototype', async () => {
    const s = await start({});
    const client = await rawClient(s.url);
    let id = 0;
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      client.send(`42${++id}["chat:send",{"a":{"b":[{"${key}":{"isAdmin":true}}]}}]`);
      expect(await client.next()).toContain('"code":"prototype_pollution"');
    }
    client.close();
    expect(s.received).toHaveLength(0);
    await s.close();

    const dropping = await start({ prototypePollution: 'drop' });
    const other = await rawClient(dropping.url);
    other.send('421["chat:send",{"name":"x","__proto__":{"isAdmin":true}}]');
    expect(await other.next()).toBe('431[{"ok":true,"event":"chat:send","echo":{"name":"x"}}]');
    other.close();
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });

  it('counts keys, array length, string length and nodes at their edge and one past it', async () => {
    const s = await start({ maxPayloadKeys: 3, maxPayloadArrayLength: 3, maxPayloadStringLength: 5, maxPayloadNodes: 20 });
    const client = ok(await s.connect());
    expect((await client.send('chat:send', { a: 1, b: 2, c: 3 })).ok).toBe(true);
    expect(await client.send('chat:send', { a: 1, b: 2, c: 3, d: 4 })).toMatchObject({ ok: false, error: { code: 'payload_too_complex', details: { limit: 'maxKeys' } } });
    expect((await client.send('chat:send', [1, 2, 3])).ok).toBe(true);
    expect(await client.send('chat:send', [1, 2, 3, 4])).toMatchObject({ ok: false, error: { details: { limit: 'maxArrayLength' } } });
    expect((await client.send('chat:send', 'abcde')).ok).toBe(true);
    expect(await client.send('chat:send', 'abcdef')).toMatchObject({ ok: false, error: { details: { limit: 'maxStringLength' } } });
    // 3 arrays of 3 plus 3 more values: 1 + 3 + 9 + 3 + ... nodes past 20.
    expect(await client.send('chat:send', [[1, 2, 3], [1, 2, 3], [[1, 2, 3], [1, 2, 3], [1, 2, 3]]]))
      .toMatchObject({ ok: false, error: { code: 'payload_too_complex', details: { limit: 'maxNodes' } } });
  });
});

describe('normalization', () => {
  it('hands handlers NFC text without bidi overrides or control characters; NFKC folds fullwidth forms', async () => {
    const s = await start({});
    const client = ok(await s.connect());
    await client.send('chat:send', { text: 'cafe\u0301 \u202Egnp.exe\u0000' });
    expect(s.received[0]?.payload).toEqual({ text: 'café gnp.exe' });
    await s.close();
    const folding = await start({ unicodeNormalization: 'NFKC' });
    const other = ok(await folding.connect());
    await other.send('chat:send', { text: 'ｓｅｌｅｃｔ' });
    expect(folding.received[0]?.payload).toEqual({ text: 'select' });
  });
});

describe('threat detection', () => {
  it('blocks XSS with malicious_payload and the kind, flags SQL-like text and lets it through', async () => {
    const s = await start({});
    const client = ok(await s.connect({ user: 'alice' }));
    const xss = await client.send('chat:send', { text: '<img src=x onerror=alert(1)>' });
    expect(xss).toMatchObject({ ok: false, error: { code: 'malicious_payload', details: { kind: 'xss' } } });
    const sqli = await client.send('chat:send', { text: "' OR 1=1 --" });
    expect(sqli.ok).toBe(true);
    await waitFor(() => events.some((e) => e.type === 'threat_detected'), 2_000, 'threat_detected');
    const flagged = events.find((e) => e.type === 'threat_detected');
    expect(flagged?.detail).toMatchObject({ action: 'flag', findings: [{ kind: 'sqli' }] });
    expect(JSON.stringify(flagged)).not.toContain('OR 1=1');
    expect((await client.send('chat:send', { text: 'select the best option, O\'Reilly says a < b && c > d' })).ok).toBe(true);
  });

  it('escapes a message with an XSS finding when the action is sanitize', async () => {
    const s = await start({ threatActions: { xss: 'sanitize' } });
    const client = ok(await s.connect());
    expect((await client.send('chat:send', { text: '<script>alert(1)</script>' })).ok).toBe(true);
    expect(s.received[0]?.payload).toEqual({ text: '&lt;script&gt;alert(1)&lt;/script&gt;' });
  });

  it('in monitor mode reports what it would have refused and delivers the message', async () => {
    const s = await start({ mode: { threats: 'monitor' } });
    const client = ok(await s.connect());
    expect((await client.send('chat:send', { text: '<svg onload=alert(1)>' })).ok).toBe(true);
    await waitFor(() => events.some((e) => e.type === 'message_would_be_refused' && e.reason === 'malicious_payload'), 2_000, 'monitor event');
  });
});

describe('schemas and sanitizing per event', () => {
  const profile = z.object({ name: z.string().min(1), age: z.coerce.number().int().default(18) }).strict();
  const post = v.object({ title: v.string(), body: v.string() });

  it('validates with zod and valibot, hands the handler the output, and refuses with safe details', async () => {
    const s = await start({
      events: {
        'profile:update': { schema: profile },
        'post:create': { schema: post, html: ['body'], text: ['title'] },
      },
    });
    const client = ok(await s.connect());
    expect((await client.send('profile:update', { name: 'Ada', age: '36' })).ok).toBe(true);
    expect((await client.send('profile:update', { name: 'Bob' })).ok).toBe(true);
    expect(s.received.map((r) => r.payload)).toEqual([{ name: 'Ada', age: 36 }, { name: 'Bob', age: 18 }]);
    const invalid = await client.send('profile:update', { name: '', secret: 'hunter2-password' });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(JSON.stringify(invalid)).not.toContain('hunter2-password');
    if (!invalid.ok) expect((invalid.error.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toContain('name');

    expect((await client.send('post:create', { title: '<b>Hi</b>', body: '<b>bold</b><script>x()</script>' })).ok).toBe(true);
    expect(s.received[2]?.payload).toEqual({ title: '&lt;b&gt;Hi&lt;/b&gt;', body: '<b>bold</b>' });
    expect(await client.send('post:create', { title: 1 })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
  });

  it('guard.secure takes a schema too, and a schema that throws is schema_error without a crash', async () => {
    const s = await start({}, false);
    const seen: unknown[] = [];
    const exploding = { '~standard': { version: 1, vendor: 'test', validate: () => { throw new Error('validator bug: secret'); } } };
    s.io.on('connection', (socket) => {
      socket.on('typed', s.guard.secure({ schema: profile }, (payload: unknown, ack: (r: unknown) => void) => { seen.push(payload); ack('ok'); }));
      socket.on('broken', s.guard.secure({ schema: exploding }, (_p: unknown, ack: (r: unknown) => void) => ack('never')));
    });
    const client = ok(await s.connect());
    await client.send('typed', { name: 'Ada' });
    expect(seen).toEqual([{ name: 'Ada', age: 18 }]);
    expect(await client.send('broken', {})).toMatchObject({ ok: false, error: { code: 'schema_error' } });
    expect(() => s.guard.secure({ schema: { not: 'a schema' } }, () => undefined)).toThrow(/Standard Schema/);
  });
});
