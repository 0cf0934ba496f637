/**
 * A TCP proxy on 127.0.0.1:0 in front of the real Redis, that a test can make slow or take down: Redis made
 * unreachable for one client, without touching the Redis other tests use.
 *
 * - `stall()`: connections stay open and nothing passes (a Redis that accepts and never answers); `resume()` lets
 *   everything held pass, in order, so no reply is lost or mismatched.
 * - `down()`: every connection is cut and new ones are closed on arrival (a Redis that is gone); `up()` ends that.
 * - `connections` and `heldFromClients` tell a test how far a client got while stalled: connected, and sent its
 *   first bytes (for ioredis: it is running its connection handshake).
 */

import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

interface Pipe {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Chunks held while stalled, per direction. */
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
}

export class TcpProxy {
  readonly #server: Server;
  readonly #pipes = new Set<Pipe>();
  #stalled = false;
  #down = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `url` (a redis:// URL) with its host and port replaced by this proxy's. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  /** Client connections open through the proxy. */
  get connections(): number {
    return this.#pipes.size;
  }

  /** Bytes clients sent that the proxy holds (stalled). */
  get heldFromClients(): number {
    let bytes = 0;
    for (const pipe of this.#pipes) for (const chunk of pipe.toUpstream) bytes += chunk.length;
    return bytes;
  }

  stall(): void {
    this.#stalled = true;
  }

  resume(): void {
    this.#stalled = false;
    for (const pipe of this.#pipes) {
      for (const chunk of pipe.toUpstream.splice(0)) pipe.upstream.write(chunk);
      for (const chunk of pipe.toClient.splice(0)) pipe.client.write(chunk);
    }
  }

  down(): void {
    this.#down = true;
    for (const pipe of this.#pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    this.#pipes.clear();
  }

  up(): void {
    this.#down = false;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: { host: string; port: number }): void {
    if (this.#down) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pipe: Pipe = { client, upstream, toUpstream: [], toClient: [] };
    this.#pipes.add(pipe);
    client.on('data', (chunk: Buffer) => (this.#stalled ? pipe.toUpstream.push(chunk) : upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => (this.#stalled ? pipe.toClient.push(chunk) : client.write(chunk)));
    const end = (): void => {
      this.#pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }
}
