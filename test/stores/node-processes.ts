/**
 * Several wsguard nodes as child processes (test/stores/fixtures/redis-node.mjs, from dist/), real Socket.IO clients
 * talking to them from chosen local addresses (127.0.0.x: distinct client IPs on loopback), and a Redis server of the
 * test's own that it can stop and start again. Every wait is bounded; `stop()`s are safe to call twice.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { io as connectClient, type Socket } from 'socket.io-client';
import { Redis } from 'ioredis';
import { TEST_ORIGIN } from '../adapters/harness.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(import.meta.dirname, 'fixtures/redis-node.mjs');
const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 5_000;

/** Whatever happens to the test, no child outlives this process. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function assertBuilt(): void {
  if (!existsSync(resolve(repoRoot, 'dist/stores/redis/index.js'))) {
    throw new Error('dist/stores/redis/index.js is missing: run `npm run build` first (`npm test` does)');
  }
}

export interface NodeOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly nodeTimeoutMs: number;
  readonly maxConnectionsPerIp?: number;
  readonly maxConnectionsPerUser?: number;
  readonly burstLimit?: number;
  readonly messageRateLimit?: number;
  readonly storeTimeoutMs?: number;
  readonly probeIntervalMs?: number;
  readonly reconnectMs?: number;
}

export interface NodeEvent {
  readonly type: string;
  readonly reason?: string;
  readonly userId?: string;
}

export interface NodeProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  request<T>(cmd: string, extra?: Record<string, unknown>): Promise<T>;
  events(): Promise<NodeEvent[]>;
  stop(): void;
}

/** Start one node; resolves once it listens. */
export function startNode(name: string, options: NodeOptions): Promise<NodeProcess> {
  const child = track(
    spawn(process.execPath, [FIXTURE, JSON.stringify({ ...options, origin: TEST_ORIGIN })], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let seq = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (waiter === undefined || message.id === undefined) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(`node ${name}: ${message.error}`));
    else waiter.resolve(message.result);
  });
  const node: Omit<NodeProcess, 'url'> = {
    name,
    child,
    request<T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
      const id = ++seq;
      return new Promise<T>((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`node ${name}: no answer to ${cmd}`));
        }, REQUEST_TIMEOUT_MS);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolvePromise(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ ...extra, id, cmd });
      });
    },
    events() {
      return this.request<NodeEvent[]>('events');
    },
    stop,
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`node ${name} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type !== 'ready' || typeof message.port !== 'number') return;
      clearTimeout(timer);
      resolvePromise({ ...node, url: `http://127.0.0.1:${message.port}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node ${name} exited (${String(code ?? signal)}) before listening`));
    });
  });
}

export interface Refusal {
  readonly code: string;
}

export interface NodeClient {
  readonly socket: Socket;
  /** Resolves when the server closes the connection (or the client does). */
  readonly closed: Promise<void>;
  /** `echo` with an acknowledgement: ok, or the guard's refusal. */
  send(payload: unknown): Promise<{ ok: true } | { ok: false; code: string }>;
  close(): void;
}

export type ConnectResult = { ok: true; client: NodeClient } | { ok: false; code: string | null };

/** A Socket.IO client for `user`, from `localAddress` (127.0.0.x) so that the node sees that address. */
export function connectTo(node: { url: string }, user: string, localAddress = '127.0.0.1'): Promise<ConnectResult> {
  const socket = connectClient(node.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    localAddress,
    extraHeaders: { origin: TEST_ORIGIN, 'x-test-user': user },
  } as Parameters<typeof connectClient>[1]);
  const closed = new Promise<void>((resolvePromise) => socket.once('disconnect', () => resolvePromise()));
  const client: NodeClient = {
    socket,
    closed,
    send(payload) {
      return new Promise((resolvePromise, reject) => {
        socket.timeout(3_000).emit('echo', payload, (err: Error | null, reply: { ok?: boolean; error?: Refusal } | undefined) => {
          if (err) return reject(new Error('no acknowledgement for echo'));
          if (reply?.error) resolvePromise({ ok: false, code: reply.error.code });
          else resolvePromise({ ok: true });
        });
      });
    },
    close: () => void socket.disconnect(),
  };
  return new Promise((resolvePromise) => {
    socket.once('connect', () => resolvePromise({ ok: true, client }));
    socket.once('connect_error', (error: Error & { data?: Partial<Refusal> }) => {
      socket.disconnect();
      resolvePromise({ ok: false, code: typeof error.data?.code === 'string' ? error.data.code : null });
    });
  });
}

/** The `redis-server` executable answers `--version`. */
export function redisServerInstalled(): boolean {
  const result = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  return port;
}

async function answersPing(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A Redis of the test's own on a free port, no persistence: stopped and started again on the same port. */
export class OwnRedis {
  #child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Start (again) on the same port; resolves when it answers a PING. */
  async start(): Promise<void> {
    const child = track(spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
    this.#child = child;
    for (let attempt = 0; attempt < 100; attempt++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${String(child.exitCode)}) on port ${this.port}`);
      if (await answersPing(this.url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${this.port} did not answer within 5 s`);
  }

  /** Stop it (SIGKILL: gone at once, as a crash) and wait for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
