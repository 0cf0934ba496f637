/**
 * `createGuard`: the transport-agnostic core. Adapters turn native handshakes and packets into contexts, ask the
 * guard for a verdict, and report how connections end; the guard runs the checks in order (cheap ones first, store
 * round trips last), emits security events and keeps the connection registry.
 */

import cluster from 'node:cluster';
import type { IncomingMessage } from 'node:http';
import type { ReasonCode } from '../codes/reason-codes.js';
import {
  ALLOW,
  deny,
  type Awaitable,
  type AuthRequest,
  type ConnectionContext,
  type ConnectionVerdict,
  type Denied,
  type Identity,
  type MessageContext,
  type Verdict,
} from '../codes/types.js';
import type { CheckName, GuardConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import { collectConfigWarnings } from '../config/warnings.js';
import { EventBus, type SecurityEventListener } from '../events/bus.js';
import type { SecurityEventInput } from '../events/catalogue.js';
import { compileIpAnonymizer } from '../events/anonymize.js';
import { pinoSink } from '../events/pino-sink.js';
import { checkEventRoles, checkNamespaceAccess } from '../policies/authorization/index.js';
import { checkCsrfToken, takeCsrfToken } from '../policies/csrf/index.js';
import { summarizeFindings, type EventInspection, type InspectionOutcome } from '../policies/inspection/index.js';
import {
  LEASE_TTL_MS,
  acquireSlot,
  ipLeaseKey,
  userLeaseKey,
} from '../policies/connection-caps/index.js';
import { checkEventAllowed } from '../policies/event-allow-list/index.js';
import { checkMessageSize } from '../policies/message-size/index.js';
import { consumeToken, throttledCost } from '../policies/rate-limit/index.js';
import { createAbuseDetector, type AbuseDetector, type BanCheck } from '../abuse/index.js';
import { isStoreUnavailable } from '../stores/errors.js';
import { memoryStore } from '../stores/memory.js';
import type { Store } from '../stores/types.js';
import { LruMap } from '../util/lru-map.js';
import { createAuthenticator } from './authenticate.js';
import { createCsrfEndpoint, type GuardCsrf } from './csrf-endpoint.js';
import { createHttpIdentify } from './http-identity.js';
import { ipGroupKey } from './ip.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { ConnectionRegistry, type CloseConnection, type ConnectionSelector, type NotifyClient } from './registry.js';
import { ConnectionState, LEASE_IP, LEASE_USER } from './connection-state.js';
import { createSecure, type SecureOptions } from './secure.js';
import { refreshCredentials, REFRESH_EVENT, type CredentialRefreshDeps, type RefreshVerdict } from './credential-refresh.js';
import { ConnectionLifetimes } from './lifetime.js';
import { Revocations, type RevocationResult, type RevokeOptions } from './revocation.js';
import { SlowConsumers, type BufferedBytes } from './slow-consumers.js';

/**
 * What an adapter reports once an admitted connection is live. `close`, `notify` and `bufferedBytes` are called as
 * methods of the connection's registry record, whose `native` is the one given here: an adapter passes the same
 * functions for every connection (a closure per connection costs some 60–130 bytes of heap each).
 */
export interface OpenedConnection {
  readonly id: string;
  readonly transport: string;
  readonly close: CloseConnection;
  readonly notify: NotifyClient;
  readonly native: object;
  /**
   * Bytes queued for this client and not yet taken by the network (the transport's send buffers): read on every send
   * the adapter reports and by the shared sweep, against `maxBufferedBytes`. Absent: not checked.
   */
  readonly bufferedBytes?: BufferedBytes;
}

export interface ScreenRequest {
  readonly remoteAddress: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface GuardEvents {
  /** Every security event, after aggregation, off the hot path. Returns an unsubscribe function. */
  on(listener: SecurityEventListener): () => void;
}

export type GuardAbuse = Pick<AbuseDetector, 'ban' | 'unban' | 'listBans' | 'scores' | 'stats' | 'ready' | 'checkBanned'>;

export interface MonitoredConnection {
  readonly id: string;
  readonly ip: string;
  readonly userId: string | null;
  readonly namespace: string;
  readonly transport: string;
  readonly connectedAt: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly refusals: number;
}

export interface MonitorSnapshot {
  readonly time: number;
  readonly connections: readonly MonitoredConnection[];
  /** Live connections per IP group and per user. */
  readonly byIpGroup: Readonly<Record<string, number>>;
  readonly byUser: Readonly<Record<string, number>>;
}

export interface GuardMonitor {
  snapshot(): MonitorSnapshot;
}

export interface GuardStats {
  /** Messages that passed every check (monitor-mode passes included). */
  readonly messagesAccepted: number;
}

/** One payload inspection in this many is timed when someone listens (`onInspectionSample`). */
export const INSPECTION_SAMPLE_EVERY = 64;

export interface GuardConnections {
  /** Live connections. */
  readonly size: number;
  list(): ReturnType<ConnectionRegistry['list']>;
  select(selector: ConnectionSelector): ReturnType<ConnectionRegistry['select']>;
  counts(): ReturnType<ConnectionRegistry['counts']>;
  /** Close every live connection the selector matches, telling each client `code`. Returns how many. */
  close(selector: ConnectionSelector, code: ReasonCode, message?: string): number;
}

export interface Guard {
  /** May this connection open? Never rejects: a store fault becomes an `internal_error` refusal. */
  admitConnection(ctx: ConnectionContext): Promise<ConnectionVerdict>;
  /** May this message pass? Synchronous with the memory store; `await` it either way. */
  admitMessage(ctx: MessageContext): Awaitable<Verdict>;
  /**
   * Refuse a frame the adapter could not turn into a message at all (not its envelope format, binary where none is
   * accepted, or one the transport itself cut: over its size limit, invalid UTF-8). Reported like any refused
   * message; there is nothing a monitor mode could let through.
   */
  refuseUnreadable(connectionId: string, code: UnreadableCode): Denied;
  /**
   * A cheap pre-handshake screen (no store round trip): refuses addresses that were just refused for connection
   * rate, so a flood is turned away before a handshake costs anything. Socket.IO's `allowRequest` uses it.
   */
  screenRequest(request: ScreenRequest): Verdict;
  /** The adapter reports an admitted connection is live. */
  connectionOpened(connection: OpenedConnection): void;
  /** The adapter reports a connection ended, however it ended. Idempotent; releases every count it held. */
  connectionClosed(id: string, detail?: Readonly<Record<string, unknown>>): void;
  /** Wrap one event handler with per-handler rules (roles, admin only, rate limit). */
  secure: <Args extends unknown[]>(
    options: SecureOptions,
    handler: (...args: Args) => unknown,
  ) => (this: object, ...args: Args) => void;
  readonly connections: GuardConnections;
  /** A live view of connections for dashboards: cheap enough to poll every second with 10,000 connections. */
  readonly monitor: GuardMonitor;
  /** The adapter reports one message sent to a client (for the monitor's messages-out count). */
  messageSent(connectionId: string): void;
  /** The adapter reports a heartbeat (ping, pong) from the client: activity for `idleTimeoutMs`, rate-limited too. */
  heartbeat(connectionId: string): void;
  /** The client sent `wsguard:refresh` with new credentials (see credential-refresh.ts). Never rejects. */
  refreshCredentials(connectionId: string, auth: unknown, bytes: number): Promise<RefreshVerdict>;
  /**
   * Close the session's live connections (on every node sharing the store) and refuse it with `session_revoked` until
   * `ttlMs` (default `revocationTtlMs`) ends or it is lifted. Rejects only on a store fault.
   */
  revokeSession(sessionId: string, options?: RevokeOptions): Promise<RevocationResult>;
  /** The same for every session of a user. */
  revokeUser(userId: string, options?: RevokeOptions): Promise<RevocationResult>;
  /** Lift a session's revocation; true when there was one. */
  unrevokeSession(sessionId: string, options?: { readonly by?: string }): Promise<boolean>;
  /** Lift a user's revocation; true when there was one. */
  unrevokeUser(userId: string, options?: { readonly by?: string }): Promise<boolean>;
  readonly events: GuardEvents;
  /** CSRF tokens bound to sessions: issue, verify, and a ready HTTP endpoint handler. */
  readonly csrf: GuardCsrf;
  /**
   * The identity behind a plain HTTP request, from the same `authenticate` hook (called with `auth: {}`): for the
   * app's own endpoints and the admin API. null when anonymous or when the hook fails (reported as `auth_hook_failed`).
   */
  identify(request: IncomingMessage): Promise<Identity | null>;
  /** Abuse detection: bans (list, add, lift), suspicious-activity scores. null when `abuseDetectionEnabled` is false. */
  readonly abuse: GuardAbuse | null;
  readonly store: Store;
  /** The options as resolved at creation (frozen). */
  readonly options: ResolvedOptions;
  /** Coded warnings about weakened defaults found at creation. */
  readonly warnings: readonly { code: string; message: string }[];
  /** Emit a security event (for adapters and features built on the guard). */
  emit(event: SecurityEventInput): void;
  /** Counters kept by the guard itself (messages accepted emit no event: nothing runs on that path but the checks). */
  stats(): GuardStats;
  /**
   * Receive the duration, in seconds, of one payload inspection in every `INSPECTION_SAMPLE_EVERY` (64): what a
   * latency histogram needs, at the cost of one clock read per 64 messages. Returns an unsubscribe function.
   */
  onInspectionSample(listener: (seconds: number) => void): () => void;
  /** Stop timers, flush the sinks, close a store the guard created. */
  close(): Promise<void>;
}

/** What every security event about a connection says of it (built when an event is emitted, not kept). */
function fieldsOf(state: ConnectionState): Pick<SecurityEventInput, 'ip' | 'userId' | 'sessionId' | 'namespace' | 'connectionId'> {
  const identity = state.identity;
  return { ip: state.ip, userId: identity?.userId, sessionId: identity?.sessionId, namespace: state.namespace, connectionId: state.id };
}

/**
 * A connection's own event (accepted, closed), as `{ ...fieldsOf(state), type, detail }` with the same keys in the same
 * order, built as one literal: it is made twice per connection, and handed to the bus to keep (`emitOwned`).
 */
function connectionEvent(state: ConnectionState, type: 'connection_accepted' | 'connection_closed', detail: Readonly<Record<string, unknown>>): SecurityEventInput {
  const identity = state.identity;
  return { ip: state.ip, userId: identity?.userId, sessionId: identity?.sessionId, namespace: state.namespace, connectionId: state.id, type, detail };
}

/** Bucket key for a connection's messages: its user's, or its own for an anonymous client. Built once, at its first message. */
function messageKeyOf(state: ConnectionState): string {
  const key = state.identity ? `rate:msg:u:${state.identity.userId}` : `rate:msg:c:${state.id}`;
  state.messageKey = key;
  return key;
}

const MALFORMED = deny('malformed_message');
const BINARY = deny('binary_not_allowed');
/** A frame the transport cut before the guard saw it (ws past `maxPayload`, a deflate bomb included). */
const CUT_BY_TRANSPORT = deny('message_too_large', { details: { stage: 'transport' } });

export type UnreadableCode = 'malformed_message' | 'binary_not_allowed' | 'message_too_large';

function banVerdict(ban: BanCheck): Denied {
  return ban.permanent ? deny('banned', { permanent: true }) : deny('banned', { retryAfterMs: ban.retryAfterMs });
}

/** Warnings are logged once per process however many guards are created (tests, hot reload). */
const warnedOnce = new Set<string>();

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createGuard(config: GuardConfig = {}): Guard {
  validateConfig(config);
  const options = resolveOptions(config);
  const { modes, now } = options;
  const ownsStore = config.store === undefined;
  const store: Store = config.store ?? memoryStore({ maxKeys: options.maxTrackedKeys, now });
  // State of one connection (its own message bucket) needs no sharing: with a shared store it stays in memory here,
  // which keeps an anonymous client's message at one network round trip (its IP group's bucket) instead of two.
  const connectionStore: Store = store.shared ? memoryStore({ maxKeys: options.maxTrackedKeys, now }) : store;
  // A shared store sets how soon a dead node's connection slots expire (the Redis store's nodeTimeoutMs).
  const leaseTtlMs = store.leaseTtlMs ?? LEASE_TTL_MS;
  const bus = new EventBus({
    sinks: config.sinks ?? [pinoSink()],
    aggregationMs: options.eventAggregationMs,
    queueSize: options.eventQueueSize,
    maxKeys: options.maxTrackedKeys,
    now,
    forSinks: compileIpAnonymizer(config.anonymizeIps ?? 'off', config.anonymizeIpSecret),
  });
  // Live connections are in the registry; `admitted` holds the few whose adapter has not reported them open yet.
  const registry = new ConnectionRegistry<ConnectionState>();
  const admitted = new Map<string, ConnectionState>();
  const stateOf = (id: string): ConnectionState | undefined => registry.get(id) ?? admitted.get(id);
  // Addresses refused for connection rate, until their retry time: the pre-handshake screen reads only this.
  const recentlyLimited = new LruMap<string, number>(options.maxTrackedKeys);
  let messagesAccepted = 0;
  const inspectionListeners = new Set<(seconds: number) => void>();
  let sampleCountdown = INSPECTION_SAMPLE_EVERY;

  // The detector reads the aggregated event stream (off the hot path) and acts through the registry's close operation.
  const abuse: AbuseDetector | null = options.abuse
    ? createAbuseDetector(
        {
          store,
          now,
          emit: (event) => bus.emit(event),
          closeConnections: (selector, code) => connections.close(selector, code),
          ipGroupOf: (ip) => ipGroupKey(ip, options.ipv6Prefix),
        },
        options.abuse,
      )
    : null;
  const stopObserving = abuse ? bus.on((event) => abuse.observe(event)) : null;

  const authenticate = createAuthenticator({
    hook: options.authenticate,
    timeoutMs: options.authTimeoutMs,
    now,
    emit: (event) => bus.emit(event),
  });

  const identify = createHttpIdentify(authenticate, options.resolveClientIp);

  const processCount = cluster.isWorker || process.env['NODE_APP_INSTANCE'] !== undefined ? 2 : 1;
  const warnings = collectConfigWarnings(config, { processCount });
  for (const warning of warnings) {
    if (warnedOnce.has(warning.code)) continue;
    warnedOnce.add(warning.code);
    bus.emit({ type: 'config_warning', detail: { code: warning.code, message: warning.message } });
  }

  /** Apply a check's mode: in monitor mode a refusal is reported and the request goes on. */
  function refused(check: CheckName, verdict: Denied, kind: 'connection' | 'message', fields: SecurityEventInput): boolean {
    if (modes[check] === 'monitor') {
      bus.emit({ ...fields, type: kind === 'connection' ? 'connection_would_be_refused' : 'message_would_be_refused', reason: verdict.code });
      return false;
    }
    return true;
  }

  async function runConnectionChecks(ctx: ConnectionContext, ip: string, ipGroup: string): Promise<ConnectionVerdict> {
    const rules = options.namespaces.get(ctx.namespace) ?? options.defaultNamespace;
    const fields: SecurityEventInput = { type: 'connection_refused', ip, namespace: ctx.namespace, connectionId: ctx.id };
    const refuse = (verdict: Denied, extra?: Partial<SecurityEventInput>): ConnectionVerdict => {
      bus.emit({ ...fields, reason: verdict.code, detail: verdict.details, ...extra });
      return verdict;
    };

    // A banned client costs nothing more: no rate token, no hook call. The cache answers without a promise (and an
    // answer that is not a promise is not awaited: each await is a turn of the microtask queue per connection).
    if (abuse) {
      const checked = abuse.checkBanned({ ip, ipGroup });
      const ban = checked instanceof Promise ? await checked : checked;
      if (ban) {
        const verdict = banVerdict(ban);
        if (refused('abuse', verdict, 'connection', fields)) return refuse(verdict);
      }
    }

    const origin = options.checkOrigin(firstHeader(ctx.headers['origin']));
    if (!origin.allowed) {
      const verdict = deny('origin_not_allowed', { details: { reason: origin.why } });
      if (refused('origin', verdict, 'connection', fields)) return refuse(verdict);
    }

    if (options.rateLimiting) {
      const cost = throttledCost(abuse ? abuse.throttleFor({ ipGroup }) : null, options.connectionBucket);
      const consumed = consumeToken(store, `rate:conn:${ipGroup}`, options.connectionBucket, 'connection_rate_limited', cost);
      const limited = consumed instanceof Promise ? await consumed : consumed;
      if (limited && refused('connectionRate', limited, 'connection', fields)) {
        recentlyLimited.set(ipGroup, now() + (limited.retryAfterMs ?? 0));
        return refuse(limited);
      }
    }

    const authRequest: AuthRequest = { headers: ctx.headers, url: ctx.url, query: ctx.query, remoteAddress: ctx.remoteAddress, ip, auth: ctx.auth };
    const answered = authenticate(authRequest, { namespace: ctx.namespace, connectionId: ctx.id });
    const auth = answered instanceof Promise ? await answered : answered;
    let identity: Identity | null = null;
    if ('failure' in auth) {
      if (refused('authentication', auth.failure, 'connection', fields)) return refuse(auth.failure);
    } else {
      identity = auth.identity;
    }
    const userFields = identity ? { userId: identity.userId, sessionId: identity.sessionId } : {};

    if (abuse && identity) {
      const checked = abuse.checkBanned({ userId: identity.userId });
      const ban = checked instanceof Promise ? await checked : checked;
      if (ban) {
        const verdict = banVerdict(ban);
        if (refused('abuse', verdict, 'connection', { ...fields, ...userFields })) return refuse(verdict, userFields);
      }
    }

    if (identity) {
      const checked = revocations.check(identity);
      const revoked = checked instanceof Promise ? await checked : checked;
      if (revoked) return refuse(revoked, userFields);
    }

    if (options.csrf) {
      const badToken = checkCsrfToken(options.csrf.tokens, ctx.csrfToken, identity, 'handshake');
      if (badToken && refused('csrf', badToken, 'connection', { ...fields, ...userFields })) {
        return refuse(badToken, { ...userFields, type: 'csrf_failure', detail: { stage: 'handshake' } });
      }
    }

    const access = checkNamespaceAccess(rules, identity);
    if (access) {
      const check: CheckName = access.code === 'unauthenticated' ? 'authentication' : 'namespace';
      if (refused(check, access, 'connection', { ...fields, ...userFields })) return refuse(access, userFields);
    }

    // Slots last: a connection refused by any earlier check never takes (and so never leaks) a count.
    const leases: string[] = [];
    let held = 0;
    const ipKey = ipLeaseKey(ipGroup);
    const ipSlot = acquireSlot(store, ipKey, ctx.id, options.maxConnectionsPerIp, 'too_many_connections_ip', leaseTtlMs);
    const ipCap = ipSlot instanceof Promise ? await ipSlot : ipSlot;
    if (ipCap) {
      if (refused('connectionCaps', ipCap, 'connection', { ...fields, ...userFields })) return refuse(ipCap, userFields);
    } else {
      leases.push(ipKey);
      held |= LEASE_IP;
    }
    if (identity) {
      const userKey = userLeaseKey(identity.userId);
      let userCap: Denied | null;
      try {
        const userSlot = acquireSlot(store, userKey, ctx.id, options.maxConnectionsPerUser, 'too_many_connections_user', leaseTtlMs);
        userCap = userSlot instanceof Promise ? await userSlot : userSlot;
      } catch (error) {
        for (const key of leases) await store.releaseLease(key, ctx.id);
        throw error;
      }
      if (userCap) {
        if (refused('connectionCaps', userCap, 'connection', { ...fields, ...userFields })) {
          for (const key of leases) await store.releaseLease(key, ctx.id);
          return refuse(userCap, userFields);
        }
      } else {
        leases.push(userKey);
        held |= LEASE_USER;
      }
    }

    // Revoked while these checks were under way (its store check had passed): refused, its slots given back.
    if (identity && revocations.revokedLocally(identity.userId, identity.sessionId ?? null)) {
      for (const key of leases) await store.releaseLease(key, ctx.id);
      return refuse(deny('session_revoked'), userFields);
    }

    const state = new ConnectionState(ctx.id, ip, ipGroup, ctx.namespace, identity, rules, identity?.expiresAt !== undefined ? authRequest : null);
    state.flags = held;
    admitted.set(ctx.id, state);
    return { allowed: true, identity, ip, ipGroup };
  }

  async function admitConnection(ctx: ConnectionContext): Promise<ConnectionVerdict> {
    let ip = ctx.remoteAddress;
    try {
      ip = options.resolveClientIp(ctx.remoteAddress, ctx.headers);
      return await runConnectionChecks(ctx, ip, ipGroupKey(ip, options.ipv6Prefix));
    } catch (error) {
      if (isStoreUnavailable(error)) {
        // The store's backend is down and it was set to refuse what it cannot answer locally (failure mode closed).
        const verdict = deny('store_unavailable', { retryAfterMs: error.retryAfterMs });
        bus.emit({ type: 'connection_refused', reason: verdict.code, ip, namespace: ctx.namespace, connectionId: ctx.id });
        return verdict;
      }
      bus.emit({ type: 'internal_error', ip, namespace: ctx.namespace, connectionId: ctx.id, detail: { stage: 'connection', error: errorMessage(error) } });
      return deny('internal_error');
    }
  }

  function messageRefused(
    state: ConnectionState,
    event: string,
    verdict: Denied,
    type: 'message_refused' | 'csrf_failure' = 'message_refused',
  ): Denied {
    state.refusals++;
    bus.emit({ ...fieldsOf(state), type, reason: verdict.code, event, detail: verdict.details });
    return verdict;
  }

  function monitored(check: CheckName, state: ConnectionState, event: string, verdict: Denied): boolean {
    if (modes[check] === 'enforce') return true;
    bus.emit({ ...fieldsOf(state), type: 'message_would_be_refused', reason: verdict.code, event });
    return false;
  }

  function finishRate(state: ConnectionState, event: string, verdict: Denied | null): Verdict {
    if (verdict && monitored('messageRate', state, event, verdict)) return messageRefused(state, event, verdict);
    return ALLOW;
  }

  function rateCheck(state: ConnectionState, event: string): Awaitable<Verdict> {
    const rule = options.events.get(event);
    let key = state.messageKey ?? messageKeyOf(state);
    let spec = options.messageBucket;
    if (rule?.bucket) {
      spec = rule.bucket;
      // Built per message rather than cached per connection: a concatenation costs less than a Map kept per socket.
      key = `${key}:e:${event}`;
    }
    // While the abuse detector throttles this sender, each message costs more tokens of the same buckets.
    const factor = abuse ? abuse.throttleFor({ ipGroup: state.ipGroup, userId: state.identity?.userId }) : null;
    // A connection's own bucket (anonymous) stays in this process: it never moves to another node.
    const own = consumeToken(state.identity ? store : connectionStore, key, spec, 'message_rate_limited', throttledCost(factor, spec));
    const ipKey = state.identity ? null : (state.ipMessageKey ??= `rate:msg:ip:${state.ipGroup}`);
    const ipCost = throttledCost(factor, options.anonymousIpBucket);
    if (own instanceof Promise || ipKey === null) {
      if (own instanceof Promise) {
        return own.then(async (denied) =>
          finishRate(state, event, denied ?? (ipKey ? await consumeToken(store, ipKey, options.anonymousIpBucket, 'message_rate_limited', ipCost) : null)),
        );
      }
      return finishRate(state, event, own);
    }
    if (own) return finishRate(state, event, own);
    const shared = consumeToken(store, ipKey, options.anonymousIpBucket, 'message_rate_limited', ipCost);
    return shared instanceof Promise ? shared.then((d) => finishRate(state, event, d)) : finishRate(state, event, shared);
  }

  function admitMessage(ctx: MessageContext): Awaitable<Verdict> {
    const state = stateOf(ctx.connectionId);
    if (!state) return deny('internal_error', { details: { reason: 'unknown_connection' } });
    state.messagesIn++;
    const event = ctx.event;
    try {
      // Cheapest first: a set lookup, a comparison, then the store.
      const notAllowed = checkEventAllowed(state.rules.allowedEvents, event);
      if (notAllowed && monitored('eventAllowList', state, event, notAllowed)) return messageRefused(state, event, notAllowed);
      const rule = options.events.get(event);
      const tooLarge = checkMessageSize(ctx.bytes, rule?.maxBytes ?? options.maxMessageBytes);
      if (tooLarge && monitored('messageSize', state, event, tooLarge)) return messageRefused(state, event, tooLarge);
      let payload: readonly unknown[] | undefined;
      if (rule) {
        const forbidden = checkEventRoles(rule.roles, state.identity);
        if (forbidden && monitored('eventRoles', state, event, forbidden)) return messageRefused(state, event, forbidden);
        if (rule.requireCsrf && options.csrf) {
          const taken = takeCsrfToken(ctx.payload, options.csrf.field);
          const known = taken.token === state.csrfVerified && now() <= state.csrfVerifiedUntil;
          const badToken = known ? null : checkCsrfToken(options.csrf.tokens, taken.token, state.identity, 'event');
          if (badToken && monitored('csrf', state, event, badToken)) return messageRefused(state, event, badToken, 'csrf_failure');
          if (!badToken && !known && typeof taken.token === 'string') {
            state.verifiedCsrf(taken.token, options.csrf.tokens.expiresAt(taken.token));
          }
          // The handler never sees the token, valid or not.
          payload = taken.payload;
        }
      }
      // Inspection comes after the rate limit: a flood is refused before its payloads cost any CPU.
      const inspection = rule?.inspection ?? null;
      const input = payload ?? ctx.payload;
      const verdict = options.rateLimiting ? rateCheck(state, event) : ALLOW;
      if (verdict instanceof Promise) {
        return verdict
          .then((rated) => afterRate(state, event, rated, input, payload, inspection))
          .then(countAccepted)
          .catch((error: unknown) => messageFault(state, event, error));
      }
      const final = afterRate(state, event, verdict, input, payload, inspection);
      return final instanceof Promise ? final.then(countAccepted) : countAccepted(final);
    } catch (error) {
      return messageFault(state, event, error);
    }
  }

  /**
   * The rest of a message's checks once the rate limit answered: payload inspection. A function of the guard, not a
   * closure made per message: the synchronous path then allocates nothing for it.
   */
  function afterRate(
    state: ConnectionState,
    event: string,
    rated: Verdict,
    input: readonly unknown[],
    rewritten: readonly unknown[] | undefined,
    inspection: EventInspection | null,
  ): Awaitable<Verdict> {
    if (!rated.allowed) return rated;
    if (!options.inspect) return rewritten ? { allowed: true, payload: rewritten } : ALLOW;
    let outcome: Awaitable<InspectionOutcome>;
    if (inspectionListeners.size > 0 && --sampleCountdown <= 0) {
      sampleCountdown = INSPECTION_SAMPLE_EVERY;
      const started = performance.now();
      outcome = options.inspect(input, inspection);
      // An asynchronous schema is timed by its validator's promise, not by us: only synchronous ones are sampled.
      if (!(outcome instanceof Promise)) reportInspection((performance.now() - started) / 1000);
    } else {
      outcome = options.inspect(input, inspection);
    }
    if (outcome instanceof Promise) {
      return outcome.then(
        (settled) => inspected(state, event, settled, rewritten),
        (error: unknown) => messageFault(state, event, error),
      );
    }
    return inspected(state, event, outcome, rewritten);
  }

  function countAccepted(verdict: Verdict): Verdict {
    if (verdict.allowed) messagesAccepted++;
    return verdict;
  }

  function reportInspection(seconds: number): void {
    for (const listener of inspectionListeners) {
      try {
        listener(seconds);
      } catch {
        // A metrics bug must not refuse a message.
      }
    }
  }

  /** Turn an inspection outcome into a verdict, reporting findings and applying the inspection checks' modes. */
  function inspected(
    state: ConnectionState,
    event: string,
    outcome: InspectionOutcome,
    before: readonly unknown[] | undefined,
  ): Verdict {
    if (outcome.ok) {
      if (outcome.reported) {
        const { action, findings } = outcome.reported;
        bus.emit({ ...fieldsOf(state), type: 'threat_detected', event, detail: { action, findings: summarizeFindings(findings) } });
      }
      const payload = outcome.payload ?? before;
      return payload ? { allowed: true, payload } : ALLOW;
    }
    if (outcome.error !== undefined) {
      // The validator's own error may quote the payload: only its name goes to the log.
      const name = outcome.error instanceof Error ? outcome.error.name : typeof outcome.error;
      bus.emit({ ...fieldsOf(state), type: 'internal_error', event, detail: { stage: 'schema', error: name } });
    }
    if (monitored(outcome.check, state, event, outcome.verdict)) return messageRefused(state, event, outcome.verdict);
    return before ? { allowed: true, payload: before } : ALLOW;
  }

  function refuseUnreadable(connectionId: string, code: UnreadableCode): Denied {
    const verdict = code === 'malformed_message' ? MALFORMED : code === 'binary_not_allowed' ? BINARY : CUT_BY_TRANSPORT;
    const state = stateOf(connectionId);
    if (state) messageRefused(state, '', verdict);
    return verdict;
  }

  /** `wsguard:refresh`: size and rate like any message, then the hook again (credential-refresh.ts). */
  async function refresh(connectionId: string, auth: unknown, bytes: number): Promise<RefreshVerdict> {
    const state = stateOf(connectionId);
    if (!state) return deny('internal_error', { details: { reason: 'unknown_connection' } });
    state.messagesIn++;
    try {
      const tooLarge = checkMessageSize(bytes, options.maxMessageBytes);
      if (tooLarge) return messageRefused(state, REFRESH_EVENT, tooLarge);
      if (options.rateLimiting) {
        const rated = await rateCheck(state, REFRESH_EVENT);
        if (!rated.allowed) return rated;
      }
      const verdict = await refreshCredentials(refreshDeps, state, auth);
      if (!verdict.allowed) return messageRefused(state, REFRESH_EVENT, verdict);
      bus.emit({ ...fieldsOf(state), type: 'credentials_refreshed', event: REFRESH_EVENT, detail: { expiresAt: verdict.expiresAt } });
      return verdict;
    } catch (error) {
      return messageFault(state, REFRESH_EVENT, error);
    }
  }

  function messageFault(state: ConnectionState, event: string, error: unknown): Denied {
    if (isStoreUnavailable(error)) return messageRefused(state, event, deny('store_unavailable', { retryAfterMs: error.retryAfterMs }));
    bus.emit({ ...fieldsOf(state), type: 'internal_error', event, detail: { stage: 'message', error: errorMessage(error) } });
    return deny('internal_error');
  }

  function screenRequest(request: ScreenRequest): Verdict {
    const screenBans = abuse !== null && abuse.cachedBanCount > 0;
    const screenRate = options.rateLimiting && recentlyLimited.size > 0;
    if (!screenBans && !screenRate) return ALLOW;
    const ip = options.resolveClientIp(request.remoteAddress, request.headers);
    const group = ipGroupKey(ip, options.ipv6Prefix);
    if (screenBans) {
      const ban = abuse.cachedBan({ ip, ipGroup: group });
      if (ban && modes.abuse === 'enforce') {
        const verdict = deny('banned', ban.permanent ? { permanent: true, details: { stage: 'pre_handshake' } } : { retryAfterMs: ban.retryAfterMs, details: { stage: 'pre_handshake' } });
        bus.emit({ type: 'connection_refused', reason: verdict.code, ip, detail: verdict.details });
        return verdict;
      }
    }
    if (!screenRate) return ALLOW;
    const until = recentlyLimited.peek(group);
    if (until === undefined) return ALLOW;
    const left = until - now();
    if (left <= 0) {
      recentlyLimited.delete(group);
      return ALLOW;
    }
    const verdict = deny('connection_rate_limited', { retryAfterMs: left, details: { stage: 'pre_handshake' } });
    bus.emit({ type: 'connection_refused', reason: verdict.code, ip, detail: verdict.details });
    return verdict;
  }

  function connectionOpened(connection: OpenedConnection): void {
    const state = admitted.get(connection.id) ?? registry.get(connection.id);
    if (!state) throw new Error(`wsguard: connectionOpened(${connection.id}) without an admitted connection`);
    admitted.delete(state.id);
    state.opened(connection.transport, connection.native, now(), connection.close, connection.notify, slowConsumers.meterFor(connection.bufferedBytes));
    registry.add(state);
    lifetimes.track(state);
    bus.emitOwned(connectionEvent(state, 'connection_accepted', { transport: connection.transport }));
    // Revoked while its admission was under way (after its check passed): closed as it opens.
    const identity = state.identity;
    if (identity && revocations.revokedLocally(identity.userId, identity.sessionId ?? null)) {
      connections.close({ id: state.id }, 'session_revoked');
    }
  }

  /** Store keys of the slots a connection holds (rebuilt from its IP group and user: they are not kept per connection). */
  function leaseKeysOf(state: ConnectionState): string[] {
    const keys: string[] = [];
    if ((state.flags & LEASE_IP) !== 0) keys.push(ipLeaseKey(state.ipGroup));
    if ((state.flags & LEASE_USER) !== 0 && state.identity) keys.push(userLeaseKey(state.identity.userId));
    return keys;
  }

  function connectionClosed(id: string, detail?: Readonly<Record<string, unknown>>): void {
    const state = stateOf(id);
    if (!state) return;
    admitted.delete(id);
    registry.remove(id);
    for (const key of leaseKeysOf(state)) {
      try {
        const released = store.releaseLease(key, id);
        if (released instanceof Promise) released.catch((error: unknown) => leaseFault(state, error));
      } catch (error) {
        leaseFault(state, error);
      }
    }
    if (state.registered) {
      // How long it lasted: the abuse detector tells short sessions (rapid reconnection) by it, keeping nothing per
      // live connection.
      const durationMs = now() - state.connectedAt;
      bus.emitOwned(connectionEvent(state, 'connection_closed', detail === undefined ? { durationMs } : { ...detail, durationMs }));
    }
  }

  function leaseFault(state: ConnectionState, error: unknown): void {
    // The slot expires on its own (LEASE_TTL_MS) since nobody renews it any more; say so.
    bus.emit({ type: 'internal_error', ip: state.ip, connectionId: state.id, detail: { stage: 'release', error: errorMessage(error) } });
  }

  // One timer renews every held slot, so a live connection never loses its count and a dead process's expire.
  const renewTimer = setInterval(() => {
    const holders = new Map<string, string[]>();
    const hold = (key: string, id: string): void => {
      const list = holders.get(key);
      if (list) list.push(id);
      else holders.set(key, [id]);
    };
    // Keys are rebuilt here (they are not kept per connection): an IP group's once per renewal, however many hold it.
    const ipKeys = new Map<string, string>();
    for (const states of [registry.values(), admitted.values()]) {
      for (const state of states) {
        if ((state.flags & LEASE_IP) !== 0) {
          let key = ipKeys.get(state.ipGroup);
          if (key === undefined) ipKeys.set(state.ipGroup, (key = ipLeaseKey(state.ipGroup)));
          hold(key, state.id);
        }
        if ((state.flags & LEASE_USER) !== 0 && state.identity) hold(userLeaseKey(state.identity.userId), state.id);
      }
    }
    for (const [key, ids] of holders) {
      try {
        const renewed = store.renewLeases(key, ids, leaseTtlMs);
        if (renewed instanceof Promise) renewed.catch((error: unknown) => bus.emit({ type: 'internal_error', detail: { stage: 'renew', error: errorMessage(error) } }));
      } catch (error) {
        bus.emit({ type: 'internal_error', detail: { stage: 'renew', error: errorMessage(error) } });
      }
    }
  }, leaseTtlMs / 3);
  renewTimer.unref();

  // A shared store says once when its backend fails and once when it is back (not per call).
  const stopHealth = store.onHealthChange?.((state, error) =>
    bus.emit(state === 'degraded' ? { type: 'store_degraded', detail: { store: store.name, error } } : { type: 'store_recovered', detail: { store: store.name } }),
  );

  const connections: GuardConnections = {
    get size() {
      return registry.size;
    },
    list: () => registry.list(),
    select: (selector) => registry.select(selector),
    counts: () => registry.counts(),
    close(selector, code, message) {
      const targets = registry.select(selector);
      for (const record of targets) {
        bus.emit({ type: 'connection_closed_by_guard', reason: code, ip: record.ip, userId: record.userId ?? undefined, namespace: record.namespace, connectionId: record.id });
        try {
          record.close(code, message);
        } catch (error) {
          bus.emit({ type: 'internal_error', connectionId: record.id, detail: { stage: 'close', error: errorMessage(error) } });
        }
      }
      return targets.length;
    },
  };

  const emit = (event: SecurityEventInput): void => bus.emit(event);

  // Hardening (issue 8). One shared sweep closes idle, too old and expired connections and re-checks slow consumers;
  // revocations live in the store and travel by its pub/sub.
  const slowConsumers = new SlowConsumers(options.maxBufferedBytes, (id) => connections.close({ id }, 'slow_consumer'));
  const lifetimes = new ConnectionLifetimes({
    idleTimeoutMs: options.idleTimeoutMs,
    maxLifetimeMs: options.maxConnectionLifetimeMs,
    // Heartbeats count as activity, but are not free: at most a burst of them per second.
    maxHeartbeatsPerSecond: options.rateLimiting ? options.messageBucket.capacity : 0,
    now,
    close: (id, code) => connections.close({ id }, code),
    ...(slowConsumers.enabled ? { afterSweep: () => slowConsumers.sweep(registry.values()) } : {}),
  }, () => registry.values());
  const revocations = new Revocations({
    store,
    now,
    defaultTtlMs: options.revocationTtlMs,
    maxKeys: options.maxTrackedKeys,
    emit,
    closeConnections: (selector, code) => connections.close(selector, code),
    fault: (stage, error) => bus.emit({ type: 'internal_error', detail: { stage, error: errorMessage(error) } }),
  });
  const refreshDeps: CredentialRefreshDeps = {
    authenticate,
    revoked: (identity) => revocations.check(identity),
    extend: (id, expiresAt) => {
      const state = stateOf(id);
      if (state) state.expiresAt = expiresAt;
    },
  };

  const guard: Guard = {
    admitConnection,
    admitMessage,
    refuseUnreadable,
    screenRequest,
    connectionOpened,
    connectionClosed,
    secure: createSecure({
      registry,
      store,
      emit,
      csrf: options.csrf,
      stateOf: (id) => {
        const state = stateOf(id);
        return state ? { identity: state.identity, messageKey: state.messageKey ?? messageKeyOf(state) } : undefined;
      },
    }),
    connections,
    events: { on: (listener) => bus.on(listener) },
    csrf: createCsrfEndpoint({ csrf: options.csrf, identify }),
    identify,
    abuse,
    store,
    options,
    warnings,
    emit,
    stats: () => ({ messagesAccepted }),
    messageSent(connectionId) {
      const state = registry.get(connectionId);
      if (!state) return;
      state.messagesOut++;
      if (state.bufferedBytes !== null) slowConsumers.check(state);
    },
    heartbeat(connectionId) {
      const state = registry.get(connectionId);
      if (state) state.heartbeats++;
    },
    refreshCredentials: refresh,
    revokeSession: (sessionId, revokeOptions) => revocations.revoke('session', sessionId, revokeOptions),
    revokeUser: (userId, revokeOptions) => revocations.revoke('user', userId, revokeOptions),
    unrevokeSession: (sessionId, liftOptions) => revocations.lift('session', sessionId, liftOptions?.by),
    unrevokeUser: (userId, liftOptions) => revocations.lift('user', userId, liftOptions?.by),
    monitor: {
      snapshot() {
        const list: MonitoredConnection[] = [];
        for (const state of registry.values()) {
          list.push({
            id: state.id,
            ip: state.ip,
            userId: state.userId,
            namespace: state.namespace,
            transport: state.transport,
            connectedAt: state.connectedAt,
            messagesIn: state.messagesIn,
            messagesOut: state.messagesOut,
            refusals: state.refusals,
          });
        }
        return { time: now(), connections: list, ...registry.counts() };
      },
    },
    onInspectionSample(listener) {
      inspectionListeners.add(listener);
      return () => inspectionListeners.delete(listener);
    },
    async close() {
      clearInterval(renewTimer);
      stopHealth?.();
      stopObserving?.();
      lifetimes.stop();
      await revocations.close();
      // Bans still being written go to the store before it closes.
      await abuse?.close();
      await bus.close();
      if (ownsStore) await store.close();
      if (connectionStore !== store) await connectionStore.close();
    },
  };
  return guard;
}
