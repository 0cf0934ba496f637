/**
 * The message envelope of `wsguard/ws`: plain WebSocket frames carry no event name, so the adapter needs one to ask
 * the guard about a message. By default a message is a JSON text frame `{ "event": string, "data": any, "id"?: any }`;
 * users with another format pass their own `parse` (and `serialize` for what wsguard sends back).
 */

import type { RawData } from 'ws';

/** One message as the guard and the handlers see it. `id` is echoed in the reply and in a refusal. */
export interface Envelope {
  readonly event: string;
  readonly data?: unknown;
  readonly id?: unknown;
}

/** Turn a frame into an envelope; `null` means the frame is not one (refused as malformed). */
export type ParseEnvelope = (raw: RawData, isBinary: boolean) => Envelope | null;

/** Turn an envelope wsguard sends (a reply, a `wsguard:error`) into a frame. */
export type SerializeEnvelope = (envelope: Envelope) => string | Buffer;

/** ws hands messages over as one Buffer (text frames always), an ArrayBuffer, fragments or a Blob (`binaryType`). */
export function byteLength(raw: RawData | Blob): number {
  if (Array.isArray(raw)) {
    let total = 0;
    for (const fragment of raw) total += fragment.byteLength;
    return total;
  }
  if (raw instanceof Blob) return raw.size;
  return raw.byteLength;
}

function toBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}

/** True for a value a `parse` hook may return: an object whose `event` is a string. */
export function isEnvelope(value: unknown): value is Envelope {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { event?: unknown }).event === 'string';
}

/**
 * The default `parse`: a JSON text frame holding an object with a string `event`. `data` may be absent (an event with
 * no payload); `id` is any JSON value and present only when the client wants a reply. Binary frames never get here
 * (the adapter refuses them or names them with `binaryEvent` first).
 */
export const parseJsonEnvelope: ParseEnvelope = (raw) => {
  let value: unknown;
  try {
    value = JSON.parse(toBuffer(raw).toString('utf8'));
  } catch {
    return null;
  }
  // The parsed object itself (its other keys are never read): no copy per message.
  return isEnvelope(value) ? value : null;
};

export const serializeJsonEnvelope: SerializeEnvelope = (envelope) => JSON.stringify(envelope);
