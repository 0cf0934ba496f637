/**
 * `createAdminApi(guard)`: operator controls over a running guard. Lists live connections, disconnects, bans and
 * unbans, serves recent events with filters and a live stream, and counts events for a dashboard; over HTTP (mount
 * `admin.handle`) and, with `serveAdminNamespace` from `wsguard/socket.io`, over a Socket.IO namespace.
 */

import type { Guard } from '../core/guard.js';
import { createAdminControls, type AdminControls } from './controls.js';
import { EventStats, type EventCounts } from './event-stats.js';
import { createAdminHttp, type AdminHandler } from './http.js';
import { RecentEvents, parseEventFilter, type EventFilter } from './recent-events.js';
import { EventStreams, type DeliverBatch } from './streams.js';
import type { ScoreEntry } from '../abuse/detector.js';
import { createClusterView, type ClusterView } from './cluster.js';
import type { SecurityEvent } from '../events/catalogue.js';
import { AdminError } from './controls.js';

export { AdminError } from './controls.js';
export type { AdminControls, BanInput, DisconnectTarget, UnbanInput } from './controls.js';
export type { EventFilter } from './recent-events.js';
export type { DeliverBatch } from './streams.js';
export type { AdminHandler } from './http.js';
export type { ClusterAnswer, NodeReport, ClusterView } from './cluster.js';

export interface AdminApiOptions {
  /** Where the HTTP API answers. Default `/admin/api`. */
  readonly basePath?: string;
  /** The role an identity needs. Default `admin`. */
  readonly role?: string;
  /**
   * Require a CSRF token (header `x-csrf-token`, issued by `guard.csrf` for the admin's session) on calls that change
   * state. Default true; needs `csrfEnabled`. Turn off only for an API reached with bearer tokens, never cookies.
   */
  readonly requireCsrf?: boolean;
  /** Events kept for `GET /events` (a ring buffer). Default 1,000. */
  readonly recentEvents?: number;
  /** Live streams deliver batches this often. Default 250 ms. */
  readonly streamIntervalMs?: number;
  /** Most events in one batch of a stream; the rest of an interval are counted as dropped. Default 500. */
  readonly maxStreamBatch?: number;
  /** Live streams open at once (SSE and namespace sockets together). Default 16. */
  readonly maxStreams?: number;
  /** Suspicious-activity scores listed by `stats()`. Default 20. */
  readonly scoresLimit?: number;
  /**
   * With a shared store, `?scope=cluster` on `/connections` and `/stats` asks every node and waits this long for their
   * replies. Default 300 ms.
   */
  readonly clusterWindowMs?: number;
  /** Connections each node lists in a cluster-wide listing (its counts stay whole). Default 1,000. */
  readonly clusterMaxConnections?: number;
}

export interface AdminStats extends EventCounts {
  readonly time: number;
  /** Epoch ms the counts start from. */
  readonly since: number;
  readonly connections: number;
  readonly bans: number;
  readonly scores: readonly ScoreEntry[];
}

export interface AdminApi {
  /** The HTTP handler: answers paths under `basePath` (returns true), calls `next` or returns false otherwise. */
  readonly handle: AdminHandler;
  readonly controls: AdminControls;
  /**
   * Recent events matching query-style filters (`type`, `severity`, `minSeverity`, `category`, `ip`, `userId`,
   * `since`, `limit`), oldest first. Throws `AdminError` (`bad_request`) on a bad filter.
   */
  events(query?: Readonly<Record<string, string>>): readonly SecurityEvent[];
  /** A filter for `subscribe` from the same query-style fields. Throws `AdminError` (`bad_request`) on a bad one. */
  filter(query?: Readonly<Record<string, string>>): EventFilter;
  stats(): AdminStats;
  /** Receive matching events in batches; null when `maxStreams` are open. Returns the unsubscribe function. */
  subscribe(filter: EventFilter, deliver: DeliverBatch, onRemoved?: () => void): (() => void) | null;
  /** Every node's snapshot or stats (the nodes that replied within `clusterWindowMs`); this node only without a shared store. */
  readonly cluster: Pick<ClusterView, 'ask' | 'node'>;
  readonly options: Required<AdminApiOptions>;
  /** Stop listening to the guard and end every live stream. */
  close(): void;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`createAdminApi: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export function createAdminApi(guard: Guard, options: AdminApiOptions = {}): AdminApi {
  const resolved: Required<AdminApiOptions> = Object.freeze({
    basePath: options.basePath ?? '/admin/api',
    role: options.role ?? 'admin',
    requireCsrf: options.requireCsrf ?? true,
    recentEvents: positive('recentEvents', options.recentEvents ?? 1_000),
    streamIntervalMs: positive('streamIntervalMs', options.streamIntervalMs ?? 250),
    maxStreamBatch: positive('maxStreamBatch', options.maxStreamBatch ?? 500),
    maxStreams: positive('maxStreams', options.maxStreams ?? 16),
    scoresLimit: positive('scoresLimit', options.scoresLimit ?? 20),
    clusterWindowMs: positive('clusterWindowMs', options.clusterWindowMs ?? 300),
    clusterMaxConnections: positive('clusterMaxConnections', options.clusterMaxConnections ?? 1_000),
  });
  if (!resolved.basePath.startsWith('/')) throw new TypeError(`createAdminApi: basePath must start with "/", got ${JSON.stringify(resolved.basePath)}`);
  if (resolved.requireCsrf && !guard.csrf.enabled) {
    throw new Error(
      'createAdminApi: state-changing admin calls need CSRF tokens; set `csrfEnabled: true` (and `csrfSecret`) on the guard, ' +
        'or pass `requireCsrf: false` only if the admin API is reached with bearer tokens and never with cookies',
    );
  }

  const since = Date.now();
  const recent = new RecentEvents(resolved.recentEvents);
  const counts = new EventStats();
  const streams = new EventStreams(resolved.streamIntervalMs, resolved.maxStreamBatch, resolved.maxStreams);
  const stopListening = guard.events.on((event) => {
    recent.push(event);
    counts.add(event);
    streams.push(event);
  });
  const controls = createAdminControls(guard);

  function parse(query: Readonly<Record<string, string>>): { filter: EventFilter; limit: number } {
    const parsed = parseEventFilter(new URLSearchParams(query), resolved.recentEvents);
    if ('error' in parsed) throw new AdminError('bad_request', parsed.error, 400);
    return parsed;
  }

  const stats = (): AdminStats => ({
    time: Date.now(),
    since,
    connections: guard.connections.size,
    bans: controls.listBans().length,
    scores: guard.abuse?.scores(resolved.scoresLimit) ?? [],
    ...counts.snapshot(),
  });

  const cluster = createClusterView(guard, { windowMs: resolved.clusterWindowMs, maxConnections: resolved.clusterMaxConnections, stats });

  return {
    handle: createAdminHttp({
      guard,
      controls,
      recent,
      streams,
      stats,
      cluster,
      basePath: resolved.basePath,
      role: resolved.role,
      requireCsrf: resolved.requireCsrf,
    }),
    cluster,
    controls,
    events(query = {}) {
      const parsed = parse(query);
      return recent.query(parsed.filter, parsed.limit);
    },
    filter: (query = {}) => parse(query).filter,
    stats,
    subscribe: (filter, deliver, onRemoved) => streams.add(filter, deliver, onRemoved),
    options: resolved,
    close() {
      stopListening();
      streams.close();
      void cluster.close();
    },
  };
}
