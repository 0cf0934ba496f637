import type { SecurityEvent } from './catalogue.js';

/**
 * What is left of an event that JSON cannot serialize (a cycle or a BigInt in `detail`, put there by a caller of
 * `guard.emit`): its identifying fields, read defensively since JavaScript callers can pass anything. Sinks write
 * this instead of failing the whole batch.
 */
export function stubEvent(event: SecurityEvent): unknown {
  const fields = event as unknown as Record<string, unknown>;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    type: text(fields['type']),
    category: text(fields['category']),
    severity: text(fields['severity']),
    time: typeof fields['time'] === 'number' ? fields['time'] : null,
    detail: { unserializable: true },
  };
}

/** The event itself when JSON can serialize it, else its stub. */
export function serializableEvent(event: SecurityEvent): unknown {
  try {
    JSON.stringify(event);
    return event;
  } catch {
    return stubEvent(event);
  }
}
