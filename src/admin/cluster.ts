/**
 * The admin API's view of the whole cluster: with a shared store (Redis), every node answers a query published on
 * the store's pub/sub with its own snapshot, and the asking node gathers the answers for a short window. Nodes do not
 * know how many others there are (a crashed node leaves no trace to wait for), so the window is fixed: the answer
 * lists the nodes that replied within it. With the memory store the cluster is this process.
 */

import { randomUUID } from 'node:crypto';
import type { Guard, MonitorSnapshot } from '../core/guard.js';
import { parseJsonObject, publishJson } from '../stores/messages.js';

const QUERY_CHANNEL = 'wsguard:admin:query';
const replyChannel = (node: string): string => `wsguard:admin:reply:${node}`;

/** What one node reports: its snapshot, cut to `maxConnections` listed connections (the counts stay whole). */
export interface NodeReport<T> {
  readonly node: string;
  readonly data: T;
}

export interface ClusterAnswer<T> {
  readonly nodes: readonly NodeReport<T>[];
  /** How long the asking node waited for replies. */
  readonly windowMs: number;
}

export type ClusterQuery = 'connections' | 'stats';

interface QueryMessage {
  readonly id: string;
  readonly from: string;
  readonly what: ClusterQuery;
}

export interface ClusterView {
  readonly node: string;
  ask(what: 'connections'): Promise<ClusterAnswer<MonitorSnapshot & { readonly truncated: boolean }>>;
  ask(what: 'stats'): Promise<ClusterAnswer<unknown>>;
  close(): Promise<void>;
}

/** Most pending queries one node waits on at once: an admin page polling every second needs a few. */
const MAX_PENDING = 32;

export function createClusterView(
  guard: Guard,
  options: { readonly windowMs: number; readonly maxConnections: number; readonly stats: () => unknown },
): ClusterView {
  const node = randomUUID();
  const store = guard.store;
  const pending = new Map<string, NodeReport<unknown>[]>();
  const unsubscribes: Promise<(() => unknown) | null>[] = [];

  function local(what: ClusterQuery): unknown {
    if (what === 'stats') return options.stats();
    const snapshot = guard.monitor.snapshot();
    const truncated = snapshot.connections.length > options.maxConnections;
    return { ...snapshot, connections: truncated ? snapshot.connections.slice(0, options.maxConnections) : snapshot.connections, truncated };
  }

  function subscribe(channel: string, handler: (text: string) => void): void {
    unsubscribes.push(
      Promise.resolve(store.subscribe(channel, handler)).then(
        (unsubscribe) => unsubscribe,
        (error: unknown) => {
          guard.emit({ type: 'internal_error', detail: { stage: 'admin_cluster_subscribe', error: error instanceof Error ? error.message : String(error) } });
          return null;
        },
      ),
    );
  }

  // A store that cannot publish (an outage): the asking node gets fewer replies, which its answer shows.
  const publish = (channel: string, message: unknown): void => publishJson(store, channel, message, () => undefined);

  if (store.shared) {
    subscribe(QUERY_CHANNEL, (text) => {
      const query = parseJsonObject(text);
      if (query === null) return;
      const { id, from, what } = query;
      if (typeof id !== 'string' || typeof from !== 'string' || from === node) return;
      if (what !== 'connections' && what !== 'stats') return;
      publish(replyChannel(from), { id, node, data: local(what) });
    });
    subscribe(replyChannel(node), (text) => {
      const reply = parseJsonObject(text);
      if (reply === null) return;
      if (typeof reply['id'] !== 'string' || typeof reply['node'] !== 'string') return;
      pending.get(reply['id'])?.push({ node: reply['node'], data: reply['data'] });
    });
  }

  async function ask(what: ClusterQuery): Promise<ClusterAnswer<unknown>> {
    const own: NodeReport<unknown> = { node, data: local(what) };
    if (!store.shared || pending.size >= MAX_PENDING) return { nodes: [own], windowMs: 0 };
    const id = randomUUID();
    const replies: NodeReport<unknown>[] = [];
    pending.set(id, replies);
    publish(QUERY_CHANNEL, { id, from: node, what } satisfies QueryMessage);
    await new Promise((resolve) => setTimeout(resolve, options.windowMs).unref());
    pending.delete(id);
    return { nodes: [own, ...replies], windowMs: options.windowMs };
  }

  return {
    node,
    ask: ask as ClusterView['ask'],
    async close() {
      pending.clear();
      for (const unsubscribe of await Promise.all(unsubscribes)) await unsubscribe?.();
    },
  };
}
