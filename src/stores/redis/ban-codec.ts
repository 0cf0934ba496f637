/**
 * Bans as Redis keeps them: JSON text. What comes back is checked before it is trusted (another deployment sharing the
 * prefix, or a hand edit, could have written anything), and frozen like the memory store's copies.
 */

import type { Ban } from '../types.js';

export function encodeBan(ban: Ban): string {
  const plain: Ban = { key: ban.key, reason: ban.reason, createdAt: ban.createdAt, expiresAt: ban.expiresAt };
  return JSON.stringify(ban.meta === undefined ? plain : { ...plain, meta: ban.meta });
}

/** The ban in `text`, or null when it is not one (unreadable), or when it has ended by `now`. */
export function decodeBan(text: string | null, now: number): Ban | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { key, reason, createdAt, expiresAt, meta } = value as Record<string, unknown>;
  if (typeof key !== 'string' || typeof reason !== 'string' || typeof createdAt !== 'number') return null;
  if (!(expiresAt === null || typeof expiresAt === 'number')) return null;
  // Redis expires the key at the same moment on its own clock; this covers a node whose clock runs ahead.
  if (expiresAt !== null && expiresAt <= now) return null;
  const ban: Ban = { key, reason, createdAt, expiresAt };
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    return Object.freeze({ ...ban, meta: Object.freeze({ ...(meta as Record<string, unknown>) }) });
  }
  return Object.freeze(ban);
}
