/**
 * `guard.secure(options, handler)`: per-handler rules on top of the per-message checks.
 *
 * The wrapper finds its connection from `this`: Socket.IO and the `ws` adapter call listeners with the socket as
 * `this`, and adapters register that native socket in the connection registry. Options are checked and compiled when
 * the handler is wrapped (at start-up), never per call. A handler that throws or rejects does not crash the process:
 * the client gets `internal_error` and the log a `handler_error` event.
 */

import { deny, toClientError, type Denied, type Identity } from '../codes/types.js';
import type { SecurityEventInput } from '../events/catalogue.js';
import { checkEventRoles } from '../policies/authorization/index.js';
import { consumeToken } from '../policies/rate-limit/index.js';
import type { Store, TokenBucketSpec } from '../stores/types.js';
import { checkCsrfToken, takeCsrfToken } from '../policies/csrf/index.js';
import { inspectForEvent, isStandardSchema, type InspectionOutcome } from '../policies/inspection/index.js';
import { bucketSpec, compileEventInspection, type ResolvedCsrf } from './options.js';
import type { ConnectionRecord, ConnectionRegistry } from './registry.js';

export interface SecureOptions {
  /** Name of the operation in events and metrics. Default: the handler function's name, else `handler`. */
  readonly operation?: string;
  /** Roles of which the sender needs at least one. */
  readonly roles?: readonly string[];
  /** Shorthand for `roles: ['admin']`. */
  readonly adminOnly?: boolean;
  /** Calls per minute per user (per connection for anonymous clients). */
  readonly rateLimit?: number;
  /** Burst for `rateLimit`; default `rateLimit` itself. */
  readonly burst?: number;
  /** Needs a valid CSRF token for the sender's session in the first argument's `csrfTokenField`; removed before the handler. */
  readonly requireCsrf?: boolean;
  /** Standard Schema validator (zod, valibot, arktype…) for the first argument; the handler receives its output. */
  readonly schema?: unknown;
  /** Fields of the first argument holding HTML to sanitize (`['body', 'items[].text']`). */
  readonly html?: readonly string[];
  /** Fields of the first argument holding plain text to HTML-escape. */
  readonly text?: readonly string[];
}

export interface SecureDeps {
  readonly registry: ConnectionRegistry;
  readonly store: Store;
  readonly emit: (event: SecurityEventInput) => void;
  readonly csrf: ResolvedCsrf | null;
  readonly stateOf: (id: string) => { identity: Identity | null; messageKey: string } | undefined;
}

type Ack = (response: unknown) => void;

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new TypeError(`guard.secure: ${name} must be a positive integer, got ${String(value)}`);
  }
}

export function createSecure(deps: SecureDeps) {
  return function secure<Args extends unknown[]>(
    options: SecureOptions,
    handler: (...args: Args) => unknown,
  ): (this: object, ...args: Args) => void {
    if (typeof handler !== 'function') throw new TypeError('guard.secure: the second argument must be the handler function');
    if (options.requireCsrf && !deps.csrf) throw new Error('guard.secure: requireCsrf needs CSRF protection: set `csrfEnabled: true`');
    if (options.schema !== undefined && !isStandardSchema(options.schema)) {
      throw new TypeError('guard.secure: schema must be a Standard Schema validator (a zod, valibot or arktype schema)');
    }
    const inspection = compileEventInspection(options);
    positiveInteger('rateLimit', options.rateLimit);
    positiveInteger('burst', options.burst);
    const operation = options.operation ?? (handler.name || 'handler');
    const roleList = options.adminOnly ? [...(options.roles ?? []), 'admin'] : options.roles;
    const roles = roleList ? new Set(roleList) : null;
    const spec: TokenBucketSpec | null =
      options.rateLimit !== undefined ? bucketSpec(options.rateLimit, options.burst ?? options.rateLimit) : null;
    const { registry, store, emit, stateOf } = deps;
    const csrf = options.requireCsrf ? deps.csrf : null;

    function reply(record: ConnectionRecord | undefined, ack: Ack | undefined, verdict: Denied): void {
      const error = toClientError(verdict);
      if (ack) ack({ error });
      else record?.notify('wsguard:error', { ...error, event: operation });
    }

    function refuse(
      record: ConnectionRecord,
      identity: Identity | null,
      ack: Ack | undefined,
      verdict: Denied,
      type: 'message_refused' | 'csrf_failure' = 'message_refused',
    ): void {
      emit({
        type,
        reason: verdict.code,
        ip: record.ip,
        userId: identity?.userId,
        sessionId: identity?.sessionId,
        namespace: record.namespace,
        event: operation,
        connectionId: record.id,
        detail: verdict.details,
      });
      reply(record, ack, verdict);
    }

    function failed(record: ConnectionRecord | undefined, ack: Ack | undefined, error: unknown): void {
      emit({
        type: 'handler_error',
        ip: record?.ip,
        connectionId: record?.id,
        event: operation,
        detail: { error: error instanceof Error ? error.message : String(error) },
      });
      reply(record, ack, deny('internal_error'));
    }

    function run(self: object, record: ConnectionRecord, identity: Identity | null, ack: Ack | undefined, input: Args): void {
      if (inspection) {
        const outcome = inspectForEvent(input, inspection);
        const settle = (settled: InspectionOutcome): void => {
          if (!settled.ok) return refuse(record, identity, ack, settled.verdict);
          call(self, record, ack, (settled.payload ?? input) as Args);
        };
        if (outcome instanceof Promise) outcome.then(settle, (error: unknown) => failed(record, ack, error));
        else settle(outcome);
        return;
      }
      call(self, record, ack, input);
    }

    function call(self: object, record: ConnectionRecord, ack: Ack | undefined, args: Args): void {
      try {
        const result: unknown = Reflect.apply(handler, self, args);
        if (result instanceof Promise) result.catch((error: unknown) => failed(record, ack, error));
      } catch (error) {
        failed(record, ack, error);
      }
    }

    return function guarded(this: object, ...args: Args): void {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as Ack) : undefined;
      const record = typeof this === 'object' && this !== null ? registry.byNative(this) : undefined;
      const state = record ? stateOf(record.id) : undefined;
      if (!record || !state) {
        // Not a connection the guard admitted: a wiring mistake, refused rather than run unchecked.
        failed(record, ack, new Error('guard.secure handler called outside a protected connection'));
        return;
      }
      const forbidden = checkEventRoles(roles, state.identity);
      if (forbidden) return refuse(record, state.identity, ack, forbidden);
      if (csrf) {
        const taken = takeCsrfToken(args, csrf.field);
        const badToken = checkCsrfToken(csrf.tokens, taken.token, state.identity, 'event');
        if (badToken) return refuse(record, state.identity, ack, badToken, 'csrf_failure');
        // The handler never sees the token.
        args = taken.payload as Args;
      }
      if (!spec) return run(this, record, state.identity, ack, args);
      const limited = consumeToken(store, `${state.messageKey}:op:${operation}`, spec, 'message_rate_limited');
      if (limited instanceof Promise) {
        limited.then(
          (denied) => (denied ? refuse(record, state.identity, ack, denied) : run(this, record, state.identity, ack, args)),
          (error: unknown) => failed(record, ack, error),
        );
        return;
      }
      if (limited) return refuse(record, state.identity, ack, limited);
      run(this, record, state.identity, ack, args);
    };
  };
}
