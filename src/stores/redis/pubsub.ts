/**
 * Pub/sub for the Redis store. A Redis connection that subscribes can do nothing else, so subscriptions use a
 * connection of their own, a duplicate of the user's client made on the first subscribe and closed with the store.
 * One Redis subscription per channel serves every local handler of it.
 *
 * A SUBSCRIBE is sent only once the connection is ready. ioredis (5.8.2 and later 5.x) writes a SUBSCRIBE at once
 * while its connection handshake is still running (status `connect`: Redis accepts SUBSCRIBE while loading); when
 * the reply comes before the handshake's ready check (INFO), the connection is in subscriber mode, the check is
 * refused, and ioredis drops the connection and rejects every command it had queued (redis/ioredis#2037, fixed in 6).
 * A subscription lost that way never came back: the node stopped hearing the cluster's bans.
 */

import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './script-runner.js';
import { withDeadline } from './deadline.js';

export interface PubSubDeps {
  readonly client: RedisClient;
  readonly timeoutMs: number;
  /** A subscribe that Redis did not confirm in time (it stays queued, and completes when Redis is back). */
  readonly failed: (error: unknown) => void;
  /** What a handler throws. */
  readonly onError: (err: unknown) => void;
}

/** A wrapper per subscribe call, so that one unsubscribe removes exactly its own subscription. */
interface Subscription {
  readonly handler: (message: string) => void;
}

interface Channel {
  readonly subscriptions: Set<Subscription>;
  /** Settles when Redis confirmed the subscription (or gave up waiting for it). */
  readonly ready: Promise<void>;
}

export class RedisPubSub {
  readonly #deps: PubSubDeps;
  readonly #channels = new Map<string, Channel>();
  #subscriber: RedisClient | null = null;
  #closed = false;

  constructor(deps: PubSubDeps) {
    this.#deps = deps;
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error('store closed');
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      entry = { subscriptions: new Set(), ready: this.#redisSubscribe(channel) };
      this.#channels.set(channel, entry);
    }
    const subscription: Subscription = { handler };
    entry.subscriptions.add(subscription);
    const owner = entry;
    await entry.ready;
    return async () => {
      if (!owner.subscriptions.delete(subscription) || owner.subscriptions.size > 0) return;
      if (this.#channels.get(channel) !== owner) return;
      this.#channels.delete(channel);
      const subscriber = this.#subscriber;
      if (subscriber === null || this.#closed) return;
      try {
        await withDeadline(subscriber.unsubscribe(channel), this.#deps.timeoutMs);
      } catch {
        // Nothing is delivered to a channel without handlers anyway; the subscription goes with the connection.
      }
    };
  }

  /** Deliver to this process's handlers without Redis (while Redis is down), asynchronously as Redis would. */
  deliverLocally(channel: string, message: string): void {
    if (this.#channels.has(channel)) queueMicrotask(() => this.#deliver(channel, message));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#channels.values()) entry.subscriptions.clear();
    this.#channels.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    // disconnect(), not quit(): quit waits for a Redis that may be gone.
    subscriber?.disconnect();
  }

  async #redisSubscribe(channel: string): Promise<void> {
    const connection = this.#connection();
    const subscribed = ready(connection).then(() => (this.#closed || !this.#channels.has(channel) ? undefined : connection.subscribe(channel)));
    try {
      // Past the deadline the outage is reported; the subscribe still completes once the connection is ready.
      await withDeadline(subscribed, this.#deps.timeoutMs);
    } catch (error) {
      this.#deps.failed(error);
    }
  }

  #connection(): RedisClient {
    if (this.#subscriber !== null) return this.#subscriber;
    const client = this.#deps.client;
    // Never give up on a queued subscribe: it must complete once Redis is back (ioredis resubscribes after a reconnect).
    const subscriber = client.isCluster ? (client as Cluster).duplicate() : (client as Redis).duplicate({ maxRetriesPerRequest: null });
    // Connection errors show in the store's own calls (degraded); without a listener ioredis would print each retry.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    this.#subscriber = subscriber;
    return subscriber;
  }

  #deliver(channel: string, message: string): void {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    for (const subscription of [...entry.subscriptions]) {
      // Checked per recipient: an earlier handler may have unsubscribed a later one, or closed the store.
      if (!entry.subscriptions.has(subscription)) continue;
      try {
        subscription.handler(message);
      } catch (err) {
        this.#deps.onError(err);
      }
    }
  }
}

/**
 * Resolves once `connection` is ready (or has ended for good). Not only during the handshake (status `connect`): a
 * client made with `enableOfflineQueue: false`, whose settings the subscriber inherits, refuses a command sent while it
 * connects.
 */
function ready(connection: RedisClient): Promise<void> {
  return connection.status === 'ready' || connection.status === 'end' ? Promise.resolve() : nextReady(connection);
}

/** The connection's next 'ready' or its 'end' (then the store is closed, or the client gave up for good). */
function nextReady(connection: RedisClient): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      connection.off('ready', done);
      connection.off('end', done);
      resolve();
    };
    connection.once('ready', done);
    connection.once('end', done);
  });
}
