/**
 * JSON messages over a store's pub/sub, as bans, revocations and the admin API's cluster queries send them: a publish
 * that never throws into its caller (a fault is reported, the message is lost — the store's state stays the truth),
 * and a reader that turns anything but a JSON object into null, since a channel may carry what another version or
 * another program wrote.
 */

import type { Store } from './types.js';

export function publishJson(store: Store, channel: string, message: unknown, fault: (error: unknown) => void): void {
  try {
    const sent = store.publish(channel, JSON.stringify(message));
    if (sent instanceof Promise) sent.catch(fault);
  } catch (error) {
    fault(error);
  }
}

export function parseJsonObject(text: string): Readonly<Record<string, unknown>> | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof message === 'object' && message !== null && !Array.isArray(message) ? (message as Record<string, unknown>) : null;
}
