/**
 * The admin API as a Socket.IO namespace: the same operations as the HTTP API (`createAdminApi`), called as events
 * with acknowledgements, and a live event stream pushed in batches. Connections reach it through the guard like any
 * other namespace, so the guard's namespace rule must already require the admin role: `serveAdminNamespace` refuses
 * to start otherwise rather than serving admin operations behind a check it cannot see. Every handler is wrapped by
 * `guard.secure` (admin role again, CSRF token for calls that change state), so a refusal comes back coded as
 * `{ error: { code, message } }` in the acknowledgement.
 */

import type { Namespace, Server, Socket } from 'socket.io';
import type { AdminApi } from '../../admin/index.js';
import { AdminError } from '../../admin/index.js';
import type { Guard } from '../../core/guard.js';

export interface AdminNamespaceOptions {
  /** Default `/admin`. */
  readonly namespace?: string;
}

/** The events the admin namespace answers; list them in the namespace's `allowedEvents` when you use an allow-list. */
export const ADMIN_NAMESPACE_EVENTS = Object.freeze([
  'admin:connections',
  'admin:bans',
  'admin:stats',
  'admin:events',
  'admin:subscribe',
  'admin:disconnect',
  'admin:ban',
  'admin:unban',
] as const);

/** Sent to subscribed sockets: `{ events, dropped }` every `streamIntervalMs` while there are events. */
export const ADMIN_EVENTS_BATCH = 'admin:events:batch';

type Ack = (response: unknown) => void;

/** By name, not `instanceof`: the adapter and the main entry are separate bundles, each may hold its own class. */
function isAdminError(error: unknown): error is AdminError {
  return error instanceof Error && error.name === 'AdminError' && typeof (error as { code?: unknown }).code === 'string';
}

function errorReply(error: unknown): { error: { code: string; message: string } } {
  if (isAdminError(error)) return { error: { code: error.code, message: error.message } };
  if (error instanceof TypeError) return { error: { code: 'bad_request', message: error.message } };
  return { error: { code: 'internal_error', message: 'Internal error' } };
}

export function serveAdminNamespace(io: Server, guard: Guard, admin: AdminApi, options: AdminNamespaceOptions = {}): Namespace {
  const name = options.namespace ?? '/admin';
  const role = admin.options.role;
  const rule = guard.options.namespaces.get(name);
  if (!rule || rule.roles === null || [...rule.roles].some((r) => r !== role)) {
    throw new Error(
      `serveAdminNamespace: the guard must admit only the ${role} role to ${name}; ` +
        `add \`namespaces: { '${name}': { roles: ['${role}'] } }\` to the guard's config`,
    );
  }
  if (rule.allowedEvents !== null) {
    const missing = ADMIN_NAMESPACE_EVENTS.filter((event) => !rule.allowedEvents?.has(event));
    if (missing.length > 0) {
      throw new Error(`serveAdminNamespace: the allow-list of ${name} lacks ${missing.join(', ')}; set its allowedEvents to include ADMIN_NAMESPACE_EVENTS`);
    }
  }
  if (admin.options.requireCsrf && !guard.csrf.enabled) throw new Error('serveAdminNamespace: requireCsrf needs `csrfEnabled: true`');

  const nsp = io.of(name);
  const readOnly = { roles: [role] } as const;
  const changing = { roles: [role], requireCsrf: admin.options.requireCsrf } as const;
  const whoIs = (socket: Socket): string => guard.connections.select({ id: socket.id })[0]?.userId ?? 'unknown';

  /** Wrap an operation: the answer or a coded error goes back in the acknowledgement. */
  function answer(operation: (socket: Socket, input: unknown) => unknown) {
    return function (this: Socket, input: unknown, ack?: Ack): void {
      const reply: Ack = typeof ack === 'function' ? ack : typeof input === 'function' ? (input as Ack) : () => undefined;
      const argument = typeof input === 'function' ? undefined : input;
      let result: unknown;
      try {
        result = operation(this, argument);
      } catch (error) {
        reply(errorReply(error));
        return;
      }
      if (result instanceof Promise) result.then(reply, (error: unknown) => reply(errorReply(error)));
      else reply(result);
    };
  }

  nsp.on('connection', (socket) => {
    let unsubscribe: (() => void) | null = null;
    socket.on('admin:connections', guard.secure({ ...readOnly, operation: 'admin:connections' }, answer(() => guard.monitor.snapshot())));
    socket.on('admin:bans', guard.secure({ ...readOnly, operation: 'admin:bans' }, answer(() => ({ bans: admin.controls.listBans() }))));
    socket.on('admin:stats', guard.secure({ ...readOnly, operation: 'admin:stats' }, answer(() => admin.stats())));
    socket.on(
      'admin:events',
      guard.secure(
        { ...readOnly, operation: 'admin:events' },
        answer((_socket, query) => ({ events: admin.events(toQuery(query)) })),
      ),
    );
    socket.on(
      'admin:subscribe',
      guard.secure(
        { ...readOnly, operation: 'admin:subscribe' },
        answer((self, query) => {
          unsubscribe?.();
          const filter = admin.filter(toQuery(query));
          unsubscribe = admin.subscribe(filter, (events, dropped) => {
            if (events.length > 0 || dropped > 0) self.emit(ADMIN_EVENTS_BATCH, { events, dropped });
            return self.connected;
          });
          if (unsubscribe === null) throw new AdminError('bad_request', `at most ${admin.options.maxStreams} live streams`, 503);
          return { subscribed: true };
        }),
      ),
    );
    socket.on('admin:disconnect', guard.secure({ ...changing, operation: 'admin:disconnect' }, answer((self, input) => ({ closed: admin.controls.disconnect(input, whoIs(self)) }))));
    socket.on('admin:ban', guard.secure({ ...changing, operation: 'admin:ban' }, answer(async (self, input) => ({ ban: await admin.controls.ban(input, whoIs(self)) }))));
    socket.on('admin:unban', guard.secure({ ...changing, operation: 'admin:unban' }, answer(async (self, input) => ({ removed: await admin.controls.unban(input, whoIs(self)) }))));
    socket.on('disconnect', () => unsubscribe?.());
  });
  return nsp;
}

function toQuery(input: unknown): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new AdminError('bad_request', 'expected an object of filters', 400);
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string' || typeof value === 'number') query[key] = String(value);
    else if (value !== undefined) throw new AdminError('bad_request', `filter ${key} must be a string or a number`, 400);
  }
  return query;
}
