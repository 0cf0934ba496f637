/**
 * The contract between the shared adapter scenarios and each adapter's test harness. A harness starts a real server
 * of its transport on 127.0.0.1:0 with a guard, and connects real clients to it.
 */

import type { GuardConfig } from '../../src/config/types.js';
import type { Guard } from '../../src/core/guard.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import type { EventSink } from '../../src/events/sink.js';

export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;
}

export interface ConnectOptions {
  readonly namespace?: string;
  /** `null`: send no Origin header. Default: the allowed test origin. */
  readonly origin?: string | null;
  /** Identity headers read by the test `authenticate` hook. */
  readonly user?: string;
  readonly roles?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  /** Source address in 127.0.0.0/8, to play another client IP. */
  readonly localAddress?: string;
  /** CSRF token for the handshake, sent the way the transport carries it. */
  readonly csrfToken?: string;
}

export type SendResult = { readonly ok: true; readonly reply: unknown } | { readonly ok: false; readonly error: Refusal };

export interface TestClient {
  /** Send with an acknowledgement; resolves with the handler's reply or the guard's refusal. */
  send(event: string, payload: unknown): Promise<SendResult>;
  /** Send without an acknowledgement (refusals come back as `wsguard:error`). */
  sendWithoutAck(event: string, payload: unknown): void;
  /** The next `wsguard:error` the server pushes. */
  nextGuardError(timeoutMs?: number): Promise<Refusal & { event?: string }>;
  /** Resolves when the server or transport closes the connection. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export type ConnectResult =
  | { readonly ok: true; readonly client: TestClient }
  /** `error` is null when the transport failed without a wsguard code. */
  | { readonly ok: false; readonly error: Refusal | null };

export interface TestServer {
  readonly guard: Guard;
  readonly events: SecurityEvent[];
  /** Events the application handlers received, in order. */
  readonly received: Array<{ event: string; payload: unknown }>;
  connect(options?: ConnectOptions): Promise<ConnectResult>;
  /** Shut the transport server down (dropping every connection) but keep the guard, to inspect its counts. */
  stopTransport(): Promise<void>;
  close(): Promise<void>;
}

export interface AdapterHarness {
  readonly name: string;
  /** Whether the transport has namespaces (Socket.IO does, plain WebSocket does not). */
  readonly namespaces: boolean;
  /** Whether the guard can pause reading a client over its rate (a WebSocket can; HTTP long-polling cannot). */
  readonly pausesReads: boolean;
  start(config: GuardConfig): Promise<TestServer>;
}

export const TEST_ORIGIN = 'http://app.test';

/** Test identity: the `x-test-user` header names the user, `x-test-roles` its roles. */
export function testAuthenticate(request: { headers: Readonly<Record<string, string | string[] | undefined>> }) {
  const user = request.headers['x-test-user'];
  if (typeof user !== 'string') return null;
  if (user === 'throw') throw new Error('identity provider down');
  if (user === 'slow') return new Promise<null>(() => undefined);
  const roles = request.headers['x-test-roles'];
  return {
    userId: user,
    roles: typeof roles === 'string' && roles !== '' ? roles.split(',') : ['user'],
    sessionId: `session-${user}`,
  };
}

export function identityHeaders(options: ConnectOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.origin !== null) headers['origin'] = options.origin ?? TEST_ORIGIN;
  if (options.user !== undefined) headers['x-test-user'] = options.user;
  if (options.roles !== undefined) headers['x-test-roles'] = options.roles.join(',');
  return headers;
}

export function captureSink(events: SecurityEvent[]): EventSink {
  return { name: 'capture', write: (batch) => void events.push(...batch) };
}

/** The base config every scenario starts from: the test origin allowed, identity from headers, events captured. */
export function baseConfig(events: SecurityEvent[], overrides: GuardConfig): GuardConfig {
  return {
    allowedOrigins: [TEST_ORIGIN],
    authenticate: testAuthenticate,
    eventAggregationMs: 0,
    sinks: [captureSink(events)],
    ...overrides,
  };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True when the guard holds no connection and no connection slot for the test addresses. */
export async function countsAreZero(server: TestServer, users: readonly string[] = []): Promise<boolean> {
  const store = server.guard.store;
  if (server.guard.connections.size !== 0) return false;
  for (const ip of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) if ((await store.leaseCount(`conn:ip:${ip}`)) !== 0) return false;
  for (const user of users) if ((await store.leaseCount(`conn:user:${user}`)) !== 0) return false;
  return true;
}
