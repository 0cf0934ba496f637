/**
 * Socket.IO test harness: a real Socket.IO server on 127.0.0.1:0 protected by a real guard, and real
 * socket.io-client clients over one transport (WebSocket or HTTP long-polling, no upgrade).
 */

import { afterEach } from 'vitest';
import { Agent, createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions, type Socket as ServerSocket } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { protect } from '../../src/adapters/socket.io/index.js';
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

export type Transport = 'websocket' | 'polling';

export interface SocketIoTestServer extends TestServer {
  readonly io: Server;
  readonly http: HttpServer;
  readonly url: string;
}

function wrapClient(socket: ClientSocket): TestClient {
  const guardErrors: Array<Refusal & { event?: string }> = [];
  const waiters: Array<(error: Refusal & { event?: string }) => void> = [];
  socket.on('wsguard:error', (error: Refusal & { event?: string }) => {
    const waiter = waiters.shift();
    if (waiter) waiter(error);
    else guardErrors.push(error);
  });
  const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
  return {
    send(event, payload) {
      return new Promise<SendResult>((resolve, reject) => {
        socket.timeout(3_000).emit(event, payload, (err: Error | null, reply: { error?: Refusal } | undefined) => {
          if (err) return reject(new Error(`no acknowledgement for ${event}`));
          if (reply && typeof reply === 'object' && 'error' in reply && reply.error) resolve({ ok: false, error: reply.error });
          else resolve({ ok: true, reply });
        });
      });
    },
    sendWithoutAck(event, payload) {
      socket.emit(event, payload);
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
    closed,
    async close() {
      if (socket.connected) {
        socket.disconnect();
        await closed;
      } else {
        socket.disconnect();
      }
    },
  };
}

/**
 * `echo: false` leaves event handling to the test (no `onAny` echo acknowledging every event); `server` adds Socket.IO
 * server options (`perMessageDeflate`, `pingInterval`, …).
 */
export async function startSocketIoServer(
  config: GuardConfig,
  transport: Transport,
  { echo: withEcho = true, server: serverOptions = {} }: { echo?: boolean; server?: Partial<ServerOptions> } = {},
): Promise<SocketIoTestServer> {
  const events = (config.sinks?.[0] as { events?: SecurityEvent[] } | undefined)?.events ?? [];
  const http = createServer();
  const io = new Server(http, { transports: ['polling', 'websocket'], ...serverOptions });
  const guard = createGuard(config);
  protect(io, guard);
  const received: Array<{ event: string; payload: unknown }> = [];
  const echo = (socket: ServerSocket) => {
    socket.onAny((event: string, ...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as (reply: unknown) => void) : undefined;
      received.push({ event, payload: args[0] });
      ack?.({ ok: true, event, echo: args[0] });
    });
  };
  if (withEcho) {
    io.on('connection', echo);
    io.of('/admin').on('connection', echo);
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const sockets = new Set<ClientSocket>();
  let closed = false;
  const stopTransport = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await io.close();
    for (const socket of sockets) socket.disconnect();
  };

  return {
    io,
    http,
    url,
    guard,
    events,
    received,
    async connect(options: ConnectOptions = {}): Promise<ConnectResult> {
      const agent = options.localAddress ? new Agent({ localAddress: options.localAddress }) : undefined;
      const socket = connectClient(`${url}${options.namespace ?? '/'}`, {
        transports: [transport],
        upgrade: false,
        reconnection: false,
        forceNew: true,
        timeout: 5_000,
        extraHeaders: identityHeaders(options),
        auth: options.csrfToken === undefined ? {} : { csrfToken: options.csrfToken },
        ...(options.localAddress ? { localAddress: options.localAddress, agent } : {}),
      } as Parameters<typeof connectClient>[1]);
      sockets.add(socket);
      return new Promise<ConnectResult>((resolve) => {
        socket.once('connect', () => resolve({ ok: true, client: wrapClient(socket) }));
        socket.once('connect_error', (error: Error & { data?: Refusal }) => {
          socket.disconnect();
          resolve({ ok: false, error: error.data && typeof error.data.code === 'string' ? error.data : null });
        });
      });
    },
    stopTransport,
    async close() {
      await stopTransport();
      await guard.close();
    },
  };
}

export function socketIoHarness(transport: Transport): AdapterHarness {
  return {
    name: `socket.io (${transport})`,
    pausesReads: transport === 'websocket',
    namespaces: true,
    start: (config) => startSocketIoServer(config, transport),
  };
}

/**
 * The server and clients a test file opens, closed after each test: `use(server)` when one is started, `ok(result)`
 * for a connection that must succeed, `refusal(result)` for one that must not.
 */
export function socketIoTestScope() {
  const clients: TestClient[] = [];
  let server: SocketIoTestServer | undefined;
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close();
    server = undefined;
  });
  return {
    use: (started: SocketIoTestServer): SocketIoTestServer => {
      server = started;
      return started;
    },
    ok: (result: ConnectResult): TestClient => {
      if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
      clients.push(result.client);
      return result.client;
    },
    refusal: (result: ConnectResult): Refusal | null => {
      if (result.ok) {
        clients.push(result.client);
        throw new Error('expected a refusal');
      }
      return result.error;
    },
    /** A client the test closed itself. */
    forget: (client: TestClient): void => {
      const index = clients.indexOf(client);
      if (index !== -1) clients.splice(index, 1);
    },
  };
}

