/* global fetch, io, performance, setTimeout, clearTimeout */
// Real Socket.IO connections for the scenarios: each `open` is its own engine connection (`forceNew`), WebSocket
// only, no automatic reconnection (a scenario decides when to reconnect). Every socket opened here is tracked so that
// "Reset demo" can close them all.

import { sleep } from './dom.js';

const live = new Set();

/** A CSRF token for a (demo) user, from the app's token endpoint. */
export async function csrfToken(user) {
  const response = await fetch(`/csrf-token?user=${encodeURIComponent(user)}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  return (await response.json()).token;
}

/**
 * Open one socket. Resolves, never rejects, once it is connected (`{ connected: true, socket }`) or refused
 * (`{ connected: false, code, message, details }`, the guard's `connect_error` data).
 */
export function open({ namespace = '/', user, token, timeoutMs = 5000 } = {}) {
  const auth = {};
  if (user !== undefined) auth.user = user;
  if (token !== undefined) auth.csrfToken = token;
  const socket = io(namespace, { auth, transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs });
  live.add(socket);
  socket.on('disconnect', () => live.delete(socket));
  const openedAt = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ socket, openedAt, ...result });
    };
    const timer = setTimeout(() => {
      socket.disconnect();
      live.delete(socket);
      settle({ connected: false, code: 'timeout', message: `no answer in ${timeoutMs} ms` });
    }, timeoutMs + 500);
    socket.once('connect', () => settle({ connected: true }));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      live.delete(socket);
      const data = error && error.data ? error.data : null;
      settle({
        connected: false,
        code: data ? data.code : 'transport_error',
        message: data ? data.message : String(error && error.message),
        details: data ? data.details : undefined,
        retryAfterMs: data ? data.retryAfterMs : undefined,
      });
    });
  });
}

/** Emit with an acknowledgement: `{ ok: true }`, `{ error: { code, … } }`, or `{ error: { code: 'timeout' } }`. */
export async function emitAck(socket, event, payload, timeoutMs = 4000) {
  try {
    const timed = socket.timeout(timeoutMs);
    return await (payload === undefined ? timed.emitWithAck(event) : timed.emitWithAck(event, payload));
  } catch (error) {
    return { error: { code: 'timeout', message: String(error && error.message) } };
  }
}

/**
 * Close scenario sockets once each has lived `minAgeMs`: a session shorter than the guard's `shortSessionMs` counts
 * as a reconnection cycle against this browser's IP, and only the rapid-reconnect scenario should build those up.
 */
export async function release(opened, minAgeMs) {
  const connected = opened.filter((o) => o && o.connected);
  if (connected.length === 0) return;
  const youngest = Math.max(...connected.map((o) => o.openedAt));
  const wait = youngest + minAgeMs - performance.now();
  if (wait > 0) await sleep(wait);
  for (const o of connected) o.socket.disconnect();
}

/** Wait until `predicate()` is truthy or `timeoutMs` passes; returns its last value. */
export async function waitFor(predicate, timeoutMs, stepMs = 20) {
  const end = performance.now() + timeoutMs;
  let value = predicate();
  while (!value && performance.now() < end) {
    await sleep(stepMs);
    value = predicate();
  }
  return value;
}

/** Close every scenario socket still open (the reset). */
export function closeAll() {
  for (const socket of live) socket.disconnect();
  live.clear();
}
