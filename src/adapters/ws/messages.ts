/**
 * Messages of `wsguard/ws`: every frame is asked about before any listener of the WebSocket sees it.
 *
 * Mechanism: ws's receiver hands each complete message to the WebSocket by calling `websocket.emit('message', data,
 * isBinary)` (receiverOnMessage in ws/lib/websocket.js); it is the only way a message reaches `on('message')`,
 * `once('message')`, `addEventListener('message')` and `onmessage` alike. The adapter gives the WebSocket its own
 * `emit` (an instance property over EventEmitter's) that takes `message` aside, asks the guard, and re-emits through
 * the original `emit` only what was admitted — first the raw `message` (bytes, for those who want them), then
 * `event` with `(name, data, reply?)`. Every other event (`close`, `error`, `ping`, …) passes straight through.
 * Wrapping the user's listeners instead would miss `prependListener`, `addEventListener` and listeners added before
 * `protect`; replacing the receiver's listener would reach into ws's private `_receiver`.
 *
 * A refused message never reaches either listener; the client gets `{ event: 'wsguard:error', data: { code,
 * message, retryAfterMs?, details?, event? }, id? }`.
 */

import type { RawData, WebSocket } from 'ws';
import { deny, toClientError, type Denied, type Verdict } from '../../codes/types.js';
import { REFRESH_EVENT, type RefreshVerdict } from '../../core/credential-refresh.js';
import type { Guard } from '../../core/guard.js';
import { byteLength, isEnvelope, type Envelope, type ParseEnvelope, type SerializeEnvelope } from './envelope.js';

/** Send `data` back to the client as `{ event, data, id }`. Only the first call sends (like an acknowledgement). */
export type Reply = (data?: unknown) => void;

/**
 * A listener of the guarded `event` emission: `ws.on('event', (name, data, reply) => …)`. `reply` is there when the
 * client's message had an `id`; `this` is the WebSocket (so `guard.secure` finds its connection).
 */
export type GuardedEventListener = (this: WebSocket, event: string, data: unknown, reply?: Reply) => void;

export const ERROR_EVENT = 'wsguard:error';

/** How frames are read and written on this server, resolved once in `protect`. */
export interface MessageWire {
  readonly parse: ParseEnvelope;
  readonly serialize: SerializeEnvelope;
  /** Event name given to binary frames; undefined: binary frames go to `parse`, or are refused (`refuseBinary`). */
  readonly binaryEvent: string | undefined;
  /** True with the default `parse`, which reads JSON text frames only. */
  readonly refuseBinary: boolean;
}

/** Replies and refusals for a socket that is already closing are dropped: nobody is listening any more. */
export function sendEnvelope(ws: WebSocket, wire: MessageWire, envelope: Envelope): void {
  if (ws.readyState === ws.OPEN) ws.send(wire.serialize(envelope));
}

function refusalEnvelope(verdict: Denied, envelope: Envelope | null): Envelope {
  const error = toClientError(verdict);
  if (envelope === null) return { event: ERROR_EVENT, data: error };
  const data = { ...error, event: envelope.event };
  return envelope.id === undefined ? { event: ERROR_EVENT, data } : { event: ERROR_EVENT, data, id: envelope.id };
}


export function guardMessages(guard: Guard, ws: WebSocket, connectionId: string, wire: MessageWire): void {
  // Bound once: this is EventEmitter's emit (or a subclass's), which the guarded one calls for what passes.
  const emitNative = ws.emit.bind(ws);

  /** A frame that is not a message at all: the guard reports it and names the code. */
  function refuseUnparsed(code: 'malformed_message' | 'binary_not_allowed'): void {
    sendEnvelope(ws, wire, refusalEnvelope(guard.refuseUnreadable(connectionId, code), null));
  }

  function replyFor(envelope: Envelope): Reply {
    let replied = false;
    return (data) => {
      if (replied) return;
      replied = true;
      sendEnvelope(ws, wire, { event: envelope.event, data, id: envelope.id });
    };
  }

  function settle(verdict: Verdict, envelope: Envelope, raw: RawData, isBinary: boolean): void {
    if (!verdict.allowed) {
      sendEnvelope(ws, wire, refusalEnvelope(verdict, envelope));
      return;
    }
    emitNative('message', raw, isBinary);
    // A check that rewrote the payload (normalisation) hands the rewritten data to `event` listeners.
    const data = verdict.payload ? verdict.payload[0] : envelope.data;
    if (envelope.id === undefined) emitNative('event', envelope.event, data);
    else emitNative('event', envelope.event, data, replyFor(envelope));
  }

  /** `wsguard:refresh`: the guard's own event, answered here and never emitted to the application. */
  function onRefresh(envelope: Envelope, raw: RawData): void {
    const answer = (verdict: RefreshVerdict): void => {
      if (!verdict.allowed) return sendEnvelope(ws, wire, refusalEnvelope(verdict, envelope));
      if (envelope.id !== undefined) sendEnvelope(ws, wire, { event: REFRESH_EVENT, data: { ok: true, expiresAt: verdict.expiresAt }, id: envelope.id });
    };
    void guard.refreshCredentials(connectionId, envelope.data, byteLength(raw)).then(answer);
  }

  function onFrame(raw: RawData, isBinary: boolean): void {
    let envelope: Envelope | null;
    if (isBinary && wire.binaryEvent !== undefined) {
      envelope = { event: wire.binaryEvent, data: raw };
    } else if (isBinary && wire.refuseBinary) {
      return refuseUnparsed('binary_not_allowed');
    } else {
      try {
        envelope = wire.parse(raw, isBinary);
      } catch (error) {
        // `null` is how a parser says "malformed"; one that throws has a bug, reported as the guard reports its own.
        const message = error instanceof Error ? error.message : String(error);
        guard.emit({ type: 'internal_error', connectionId, detail: { stage: 'parse', error: message } });
        return sendEnvelope(ws, wire, refusalEnvelope(deny('internal_error'), null));
      }
      if (!isEnvelope(envelope)) return refuseUnparsed('malformed_message');
      if (envelope.event === REFRESH_EVENT) return onRefresh(envelope, raw);
    }
    const verdict = guard.admitMessage({
      connectionId,
      event: envelope.event,
      // The message as ws assembled it: all fragments, after permessage-deflate when that is on.
      bytes: byteLength(raw),
      payload: [envelope.data],
    });
    const admitted = envelope;
    if (verdict instanceof Promise) void verdict.then((settled) => settle(settled, admitted, raw, isBinary));
    else settle(verdict, envelope, raw, isBinary);
  }

  ws.emit = function guardedEmit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'message') {
      // ws answers pings itself; both directions are the client's sign of life for the idle sweep.
      if (event === 'ping' || event === 'pong') guard.heartbeat(connectionId);
      return emitNative(event, ...args);
    }
    onFrame(args[0] as RawData, args[1] === true);
    return true;
  };
}
