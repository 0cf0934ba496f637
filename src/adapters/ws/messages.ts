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
 *
 * Per connection the adapter keeps one small object (`WsLink`, on the WebSocket under a symbol); the guarded `emit`
 * and `send` and every listener are functions shared by all connections (`this` is the WebSocket). A closure per
 * connection would keep its whole scope alive as long as the socket: some 600 bytes each, measured with heap
 * snapshots.
 */

import type { RawData, WebSocket } from 'ws';
import { deny, toClientError, type Denied, type Verdict } from '../../codes/types.js';
import { REFRESH_EVENT, type RefreshVerdict } from '../../core/credential-refresh.js';
import type { Guard } from '../../core/guard.js';
import { pauseReadsAfter } from '../read-pause.js';
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

/** What the adapter keeps for one WebSocket. */
export interface WsLink {
  readonly id: string;
  readonly guard: Guard;
  readonly wire: MessageWire;
  /** The WebSocket's own `emit` and `send` (EventEmitter's and ws's, or a subclass's), which the guarded ones call. */
  readonly emit: WebSocket['emit'];
  readonly send: WebSocket['send'];
  /** The code (or message) of the error ws ended the connection with, if it did. */
  failure: string | undefined;
}

const LINK = Symbol('wsguard.link');

type LinkedWebSocket = WebSocket & { [LINK]?: WsLink };

/** The link of a WebSocket the adapter attached; undefined for one it did not. */
export function linkOf(ws: WebSocket): WsLink | undefined {
  return (ws as LinkedWebSocket)[LINK];
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

/** A frame that is not a message at all: the guard reports it and names the code. */
function refuseUnparsed(ws: WebSocket, link: WsLink, code: 'malformed_message' | 'binary_not_allowed'): void {
  sendEnvelope(ws, link.wire, refusalEnvelope(link.guard.refuseUnreadable(link.id, code), null));
}

function replyFor(ws: WebSocket, link: WsLink, envelope: Envelope): Reply {
  let replied = false;
  return (data) => {
    if (replied) return;
    replied = true;
    sendEnvelope(ws, link.wire, { event: envelope.event, data, id: envelope.id });
  };
}

function settle(ws: WebSocket, link: WsLink, verdict: Verdict, envelope: Envelope, raw: RawData, isBinary: boolean): void {
  if (!verdict.allowed) {
    sendEnvelope(ws, link.wire, refusalEnvelope(verdict, envelope));
    pauseReadsAfter(ws, verdict);
    return;
  }
  link.emit.call(ws, 'message', raw, isBinary);
  // A check that rewrote the payload (normalisation) hands the rewritten data to `event` listeners.
  const data = verdict.payload ? verdict.payload[0] : envelope.data;
  if (envelope.id === undefined) link.emit.call(ws, 'event', envelope.event, data);
  else link.emit.call(ws, 'event', envelope.event, data, replyFor(ws, link, envelope));
}

/** `wsguard:refresh`: the guard's own event, answered here and never emitted to the application. */
function onRefresh(ws: WebSocket, link: WsLink, envelope: Envelope, raw: RawData): void {
  const answer = (verdict: RefreshVerdict): void => {
    if (!verdict.allowed) return sendEnvelope(ws, link.wire, refusalEnvelope(verdict, envelope));
    if (envelope.id !== undefined) sendEnvelope(ws, link.wire, { event: REFRESH_EVENT, data: { ok: true, expiresAt: verdict.expiresAt }, id: envelope.id });
  };
  void link.guard.refreshCredentials(link.id, envelope.data, byteLength(raw)).then(answer);
}

function onFrame(ws: WebSocket, link: WsLink, raw: RawData, isBinary: boolean): void {
  const { guard, wire } = link;
  let envelope: Envelope | null;
  if (isBinary && wire.binaryEvent !== undefined) {
    envelope = { event: wire.binaryEvent, data: raw };
  } else if (isBinary && wire.refuseBinary) {
    return refuseUnparsed(ws, link, 'binary_not_allowed');
  } else {
    try {
      envelope = wire.parse(raw, isBinary);
    } catch (error) {
      // `null` is how a parser says "malformed"; one that throws has a bug, reported as the guard reports its own.
      const message = error instanceof Error ? error.message : String(error);
      guard.emit({ type: 'internal_error', connectionId: link.id, detail: { stage: 'parse', error: message } });
      return sendEnvelope(ws, wire, refusalEnvelope(deny('internal_error'), null));
    }
    if (!isEnvelope(envelope)) return refuseUnparsed(ws, link, 'malformed_message');
    if (envelope.event === REFRESH_EVENT) return onRefresh(ws, link, envelope, raw);
  }
  const verdict = guard.admitMessage({
    connectionId: link.id,
    event: envelope.event,
    // The message as ws assembled it: all fragments, after permessage-deflate when that is on.
    bytes: byteLength(raw),
    payload: [envelope.data],
  });
  const admitted = envelope;
  if (verdict instanceof Promise) void verdict.then((settled) => settle(ws, link, settled, admitted, raw, isBinary));
  else settle(ws, link, verdict, envelope, raw, isBinary);
}

/** The WebSocket's `emit`, guarded: `message` goes through the guard; everything else passes straight through. */
function guardedEmit(this: LinkedWebSocket, event: string | symbol, ...args: unknown[]): boolean {
  const link = this[LINK];
  if (link === undefined) return (Object.getPrototypeOf(this) as WebSocket).emit.call(this, event, ...args);
  if (event !== 'message') {
    // ws answers pings itself; both directions are the client's sign of life for the idle sweep.
    if (event === 'ping' || event === 'pong') link.guard.heartbeat(link.id);
    return link.emit.call(this, event, ...args);
  }
  onFrame(this, link, args[0] as RawData, args[1] === true);
  return true;
}

/** ws has no hook for outgoing messages: the socket's own `send` counts them for the monitor, then sends. */
function countedSend(this: LinkedWebSocket, ...args: Parameters<WebSocket['send']>): void {
  const link = this[LINK];
  if (link === undefined) return (Object.getPrototypeOf(this) as WebSocket).send.apply(this, args);
  link.guard.messageSent(link.id);
  link.send.apply(this, args);
}

/**
 * Attach the guard to a WebSocket: its link, and its guarded `emit` and `send` (instance properties over the
 * prototype's). Returns the link.
 */
export function guardMessages(guard: Guard, ws: WebSocket, connectionId: string, wire: MessageWire): WsLink {
  const linked = ws as LinkedWebSocket;
  // The functions in place now (normally the prototype's), always called with the WebSocket as `this` (`.call`).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const link: WsLink = { id: connectionId, guard, wire, emit: linked.emit, send: linked.send, failure: undefined };
  linked[LINK] = link;
  linked.emit = guardedEmit;
  linked.send = countedSend as WebSocket['send'];
  return link;
}
