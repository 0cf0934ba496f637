/**
 * Revocation in the core, on plain context objects: what the store keeps, how long, and how a revocation reaches the
 * connections of another guard sharing the store. Through real clients: test/adapters/revocation.test.ts.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionContext, Identity } from '../../src/codes/types.js';
import type { ReasonCode } from '../../src/codes/reason-codes.js';
import type { GuardConfig } from '../../src/config/types.js';
import { createGuard, type Guard } from '../../src/core/guard.js';
import { REVOCATION_CHANNEL, revocationKey } from '../../src/core/revocation.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { memoryStore } from '../../src/stores/memory.js';

let nextId = 0;
let clock = 1_700_000_000_000;
const guards: Guard[] = [];

function ctx(user: string, session = `s-${user}`): ConnectionContext {
  return {
    id: `c${++nextId}`,
    remoteAddress: '203.0.113.1',
    headers: { origin: 'https://app.example.com', 'x-user': user, 'x-session': session },
    url: '/',
    query: {},
    namespace: '/',
    auth: {},
  };
}

function guardWith(config: GuardConfig = {}): { guard: Guard; events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  const guard = createGuard({
    allowedOrigins: ['https://app.example.com'],
    eventAggregationMs: 0,
    now: () => clock,
    authenticate: (request): Identity => ({
      userId: String(request.headers['x-user']),
      roles: [],
      sessionId: String(request.headers['x-session']),
    }),
    sinks: [{ name: 'capture', write: (batch) => void events.push(...batch) }],
    ...config,
  });
  guards.push(guard);
  return { guard, events };
}

/** Admit and open a connection whose close calls are recorded. */
async function openConnection(guard: Guard, user: string, session?: string): Promise<{ id: string; closes: ReasonCode[] }> {
  const context = ctx(user, session);
  const verdict = await guard.admitConnection(context);
  if (!verdict.allowed) throw new Error(`refused: ${verdict.code}`);
  const closes: ReasonCode[] = [];
  guard.connectionOpened({
    id: context.id,
    transport: 'test',
    notify: () => undefined,
    native: {},
    close: (code) => {
      closes.push(code);
      guard.connectionClosed(context.id);
    },
  });
  return { id: context.id, closes };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

afterEach(async () => {
  await Promise.all(guards.splice(0).map((g) => g.close()));
  clock = 1_700_000_000_000;
});

describe('revocation', () => {
  it('revokeSession closes the session’s live connections and refuses new ones until the TTL ends', async () => {
    const { guard, events } = guardWith();
    const alice = await openConnection(guard, 'alice', 's1');
    const other = await openConnection(guard, 'alice', 's2');
    const result = await guard.revokeSession('s1', { ttlMs: 60_000, by: 'test' });
    expect(result).toEqual({ disconnected: 1, until: clock + 60_000 });
    expect(alice.closes).toEqual(['session_revoked']);
    expect(other.closes).toEqual([]);
    const refused = await guard.admitConnection(ctx('alice', 's1'));
    expect(refused).toMatchObject({ allowed: false, code: 'session_revoked', status: 401, closeCode: 1008, details: { kind: 'session' } });
    expect((await guard.admitConnection(ctx('alice', 's3'))).allowed).toBe(true);
    clock += 60_000;
    expect((await guard.admitConnection(ctx('alice', 's1'))).allowed).toBe(true);
    await flush();
    expect(events.find((e) => e.type === 'session_revoked')).toMatchObject({ sessionId: 's1', detail: { kind: 'session', by: 'test', disconnected: 1 } });
    expect(events.some((e) => e.type === 'connection_refused' && e.reason === 'session_revoked')).toBe(true);
  });

  it('revokeUser covers every session of the user; unrevokeUser lifts it at once', async () => {
    const { guard, events } = guardWith();
    const first = await openConnection(guard, 'bob', 'b1');
    const second = await openConnection(guard, 'bob', 'b2');
    const carol = await openConnection(guard, 'carol');
    expect((await guard.revokeUser('bob')).disconnected).toBe(2);
    expect([first.closes, second.closes, carol.closes]).toEqual([['session_revoked'], ['session_revoked'], []]);
    expect(await guard.admitConnection(ctx('bob', 'b9'))).toMatchObject({ code: 'session_revoked', details: { kind: 'user' } });
    // Default TTL: revocationTtlMs (24 h).
    expect(await guard.store.setMembers(revocationKey('user', 'bob'))).toHaveLength(1);
    expect(await guard.unrevokeUser('bob', { by: 'admin' })).toBe(true);
    expect(await guard.unrevokeUser('bob')).toBe(false);
    expect((await guard.admitConnection(ctx('bob', 'b9'))).allowed).toBe(true);
    await flush();
    expect(events.find((e) => e.type === 'revocation_lifted')).toMatchObject({ userId: 'bob', detail: { kind: 'user', by: 'admin' } });
  });

  it('refuses a bad TTL or id rather than revoking for years', async () => {
    const { guard } = guardWith();
    await expect(guard.revokeSession('s', { ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(guard.revokeSession('s', { ttlMs: 31 * 86_400_000 })).rejects.toThrow(RangeError);
    await expect(guard.revokeUser('')).rejects.toThrow(TypeError);
  });

  it('reaches the connections of another guard sharing the store, through its pub/sub', async () => {
    const store = memoryStore();
    const one = guardWith({ store });
    const two = guardWith({ store });
    const onTwo = await openConnection(two.guard, 'dave', 'd1');
    const onOne = await openConnection(one.guard, 'dave', 'd1');
    let published = 0;
    const unsubscribe = store.subscribe(REVOCATION_CHANNEL, () => published++);
    expect((await one.guard.revokeSession('d1')).disconnected).toBe(1);
    expect(onOne.closes).toEqual(['session_revoked']);
    await flush();
    expect(published).toBe(1);
    expect(onTwo.closes).toEqual(['session_revoked']);
    expect(await two.guard.admitConnection(ctx('dave', 'd1'))).toMatchObject({ code: 'session_revoked' });
    // Lifted on one node, admitted on the other.
    expect(await two.guard.unrevokeSession('d1')).toBe(true);
    await flush();
    expect((await one.guard.admitConnection(ctx('dave', 'd1'))).allowed).toBe(true);
    unsubscribe();
    store.close();
  });

  it('closes a connection that passed its check just before the revocation, as it opens', async () => {
    const { guard } = guardWith();
    const context = ctx('erin', 'e1');
    expect((await guard.admitConnection(context)).allowed).toBe(true);
    await guard.revokeSession('e1');
    const closes: ReasonCode[] = [];
    guard.connectionOpened({ id: context.id, transport: 'test', notify: () => undefined, native: {}, close: (code) => closes.push(code) });
    expect(closes).toEqual(['session_revoked']);
  });

  it('refuses a connection whose session was revoked while its checks ran, and gives its slots back', async () => {
    // A store whose connection slots answer only when the test says: the revocation lands after the revocation check
    // of this connection passed and before its checks end.
    const base = memoryStore();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const store = Object.create(base) as typeof base;
    store.acquireLease = ((...args: Parameters<typeof base.acquireLease>) => gate.then(() => base.acquireLease(...args))) as unknown as typeof base.acquireLease;
    const { guard } = guardWith({ store });
    const admitting = guard.admitConnection(ctx('gina', 'g1'));
    await flush();
    await guard.revokeSession('g1');
    open();
    expect(await admitting).toMatchObject({ allowed: false, code: 'session_revoked' });
    expect(base.leaseCount('conn:ip:203.0.113.1')).toBe(0);
    base.close();
  });

  it('ignores malformed and foreign messages on its channel', async () => {
    const store = memoryStore();
    const { guard } = guardWith({ store });
    const live = await openConnection(guard, 'frank', 'f1');
    for (const message of ['not json', 'null', '{"op":"revoke","kind":"session","id":"f1"}', '{"op":"revoke","kind":"table","id":"f1","until":9e15}', `{"op":"revoke","kind":"session","id":"f1","until":${clock - 1}}`]) {
      store.publish(REVOCATION_CHANNEL, message);
    }
    await flush();
    expect(live.closes).toEqual([]);
    store.publish(REVOCATION_CHANNEL, JSON.stringify({ from: 'elsewhere', op: 'revoke', kind: 'session', id: 'f1', until: clock + 1_000 }));
    await flush();
    expect(live.closes).toEqual(['session_revoked']);
    store.close();
  });
});
