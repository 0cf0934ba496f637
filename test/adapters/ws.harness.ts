/**
 * `ws` test harness: a real ws WebSocketServer on 127.0.0.1:0 protected by a real guard — attached to an HTTP server
 * (`{ server }` mode) or fed by the application's own 'upgrade' handler (`noServer` mode) — and real ws clients.
 * A refused upgrade is read from the HTTP response (the client's 'unexpected-response').
 */

import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import { CSRF_PROTOCOL_PREFIX, handleUpgrade, protect, type ProtectOptions } from '../../src/adapters/ws/index.js';
import type { GuardConfig } from '../../src/config/types.js';
import { createGuard } from '../../src/core/guard.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import {
  identityHeaders,
  type AdapterHarness,
  type ConnectOptions,
  type ConnectResult,
  type Refusal,
  type SendResult,
  type TestClient,
  type TestServer,
} from './harness.js';

export type WsMode = 'server' | 'noServer';

/** A frame as the default envelope puts it. */
export interface WireEnvelope {
  readonly event: string;
  readonly data?: unknown;
  readonly id?: unknown;
}

export interface CloseFrame {
  readonly code: number;
  readonly reason: string;
}

export interface WsTestClient extends TestClient {
  readonly ws: WebSocket;
  /** Every envelope the server sent, in order. */
  readonly frames: WireEnvelope[];
  /** The close code and reason the connection ended with. */
  readonly closeFrame: Promise<CloseFrame>;
}

export type RawConnectResult =
  | { readonly ok: true; readonly client: WsTestClient }
  | {
      readonly ok: false;
      /** The refusal parsed from the JSON body; null when the handshake failed otherwise. */
      readonly error: Refusal | null;
      /** 0 when there was no HTTP response. */
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: string;
    };

export interface WsTestServer extends TestServer {
  readonly wss: WebSocketServer;
  readonly http: HttpServer;
  readonly url: string;
  /** Server-side WebSockets, in the order the WebSocketServer emitted 'connection'. */
  readonly accepted: WebSocket[];
  connect(options?: ConnectOptions): Promise<ConnectResult>;
  /** Like `connect`, with the HTTP status, headers and body of a refusal and the ws client of an acceptance. */
  open(options?: ConnectOptions & { path?: string }): Promise<RawConnectResult>;
}

export interface WsServerOptions {
  /** Echo every guarded `event` through its reply and record it in `received`. Default true. */
  readonly echo?: boolean;
  readonly protect?: ProtectOptions;
  /** More options for the WebSocketServer (`perMessageDeflate`, say). */
  readonly wss?: Omit<ServerOptions, 'server' | 'noServer' | 'port'>;
}

function parseRefusal(body: string): Refusal | null {
  try {
    const value = JSON.parse(body) as Partial<Refusal> | null;
    return value && typeof value.code === 'string' ? (value as Refusal) : null;
  } catch {
    return null;
  }
}

function decode(raw: WebSocket.RawData): WireEnvelope | null {
  try {
    const text = (Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw)).toString('utf8');
    const value = JSON.parse(text) as WireEnvelope;
    return typeof value === 'object' && value !== null && typeof value.event === 'string' ? value : null;
  } catch {
    return null;
  }
}

export function wrapClient(ws: WebSocket): WsTestClient {
  let nextId = 0;
  const pending = new Map<number, (result: SendResult) => void>();
  const frames: WireEnvelope[] = [];
  const guardErrors: Array<Refusal & { event?: string }> = [];
  const waiters: Array<(error: Refusal & { event?: string }) => void> = [];
  ws.on('message', (raw) => {
    const envelope = decode(raw);
    if (!envelope) return;
    frames.push(envelope);
    const answer = typeof envelope.id === 'number' ? pending.get(envelope.id) : undefined;
    if (answer && typeof envelope.id === 'number') {
      pending.delete(envelope.id);
      const data = envelope.data as { error?: Refusal } | undefined;
      if (envelope.event === 'wsguard:error') answer({ ok: false, error: envelope.data as Refusal });
      // guard.secure answers a refused message that asked for a reply through the reply: `{ error }`.
      else if (data && typeof data === 'object' && data.error) answer({ ok: false, error: data.error });
      else answer({ ok: true, reply: envelope.data });
      return;
    }
    if (envelope.event !== 'wsguard:error') return;
    const error = envelope.data as Refusal & { event?: string };
    const waiter = waiters.shift();
    if (waiter) waiter(error);
    else guardErrors.push(error);
  });
  const closeFrame = new Promise<CloseFrame>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const closed = closeFrame.then(() => undefined);
  return {
    ws,
    frames,
    closeFrame,
    closed,
    send(event, payload) {
      const id = ++nextId;
      return new Promise<SendResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`no reply for ${event}`));
        }, 3_000);
        pending.set(id, (result) => {
          clearTimeout(timer);
          resolve(result);
        });
        ws.send(JSON.stringify({ event, data: payload, id }));
      });
    },
    sendWithoutAck(event, payload) {
      ws.send(JSON.stringify({ event, data: payload }));
    },
    nextGuardError(timeoutMs = 3_000) {
      const ready = guardErrors.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no wsguard:error received')), timeoutMs);
        waiters.push((error) => {
          clearTimeout(timer);
          resolve(error);
        });
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

/** The subprotocol a test client offers beside a CSRF entry (ws picks the first one left). */
export const TEST_PROTOCOL = 'test.v1';

/**
 * Open a ws client to `url`; a refusal is read from the HTTP response ws reports as 'unexpected-response'. A CSRF
 * token goes as the `wsguard.csrf.<token>` subprotocol entry, after the client's real subprotocol.
 */
export function openClient(url: string, options: ConnectOptions = {}): Promise<RawConnectResult> {
  const protocols = options.csrfToken === undefined ? [] : [TEST_PROTOCOL, `${CSRF_PROTOCOL_PREFIX}${options.csrfToken}`];
  const ws = new WebSocket(url, protocols, {
    headers: identityHeaders(options),
    handshakeTimeout: 5_000,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  // Aborting a refused handshake (terminate below) emits an error the test does not care about.
  ws.on('error', () => undefined);
  return new Promise<RawConnectResult>((resolve) => {
    ws.once('open', () => resolve({ ok: true, client: wrapClient(ws) }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ ok: false, error: parseRefusal(body), status: res.statusCode ?? 0, headers: res.headers, body });
        ws.terminate();
      });
    });
    ws.once('close', () => resolve({ ok: false, error: null, status: 0, headers: {}, body: '' }));
  });
}

export async function startWsServer(config: GuardConfig, mode: WsMode, options: WsServerOptions = {}): Promise<WsTestServer> {
  const events = (config.sinks?.[0] as { events?: SecurityEvent[] } | undefined)?.events ?? [];
  const http = createServer();
  const guard = createGuard(config);
  let wss: WebSocketServer;
  if (mode === 'server') {
    wss = new WebSocketServer({ ...options.wss, server: http });
    protect(wss, guard, options.protect);
  } else {
    wss = new WebSocketServer({ ...options.wss, noServer: true });
    protect(wss, guard, options.protect);
    // The application's own 'upgrade' handler, as ws documents for noServer mode, through wsguard's helper.
    http.on('upgrade', (req, socket, head) => handleUpgrade(guard, wss, req, socket, head));
  }
  const received: Array<{ event: string; payload: unknown }> = [];
  const accepted: WebSocket[] = [];
  wss.on('connection', (ws) => {
    accepted.push(ws);
    if (options.echo === false) return;
    ws.on('event', (event: string, data: unknown, reply?: (data: unknown) => void) => {
      received.push({ event, payload: data });
      reply?.({ ok: true, event, echo: data });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients = new Set<WebSocket>();
  let stopped = false;
  const stopTransport = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // ws does not end open connections on close(); a shutdown terminates them, as an application would.
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    for (const ws of clients) ws.terminate();
  };
  const open = async (connectOptions: ConnectOptions & { path?: string } = {}): Promise<RawConnectResult> => {
    const result = await openClient(`${url}${connectOptions.path ?? '/'}`, connectOptions);
    if (result.ok) clients.add(result.client.ws);
    return result;
  };

  return {
    wss,
    http,
    url,
    guard,
    events,
    received,
    accepted,
    open,
    async connect(connectOptions?: ConnectOptions): Promise<ConnectResult> {
      const result = await open(connectOptions);
      return result.ok ? result : { ok: false, error: result.error };
    },
    stopTransport,
    async close() {
      await stopTransport();
      await guard.close();
    },
  };
}

export function wsHarness(mode: WsMode): AdapterHarness {
  return {
    name: `ws (${mode === 'server' ? '{ server }' : 'noServer'})`,
    pausesReads: true,
    namespaces: false,
    start: (config) => startWsServer(config, mode),
  };
}
