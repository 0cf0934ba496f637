/**
 * The admin API over HTTP: one `(req, res, next?)` handler that answers the paths under its base path and leaves
 * every other request alone, so it mounts the same way on `node:http`, Express (`app.use(admin.handle)`) and Fastify
 * (`reply.hijack()` then `admin.handle(req.raw, reply.raw)`).
 *
 * Every call is identified by the guard's own `authenticate` hook and needs the admin role; calls that change state
 * need a CSRF token for the admin's session in the `x-csrf-token` header. There is no CORS: the API answers its own
 * origin's pages only, and the token makes a forged cross-site request useless even where cookies are sent.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReasonCode } from '../codes/reason-codes.js';
import type { Identity } from '../codes/types.js';
import type { Guard } from '../core/guard.js';
import type { SecurityEvent } from '../events/catalogue.js';
import { csrfSessionKey } from '../policies/csrf/index.js';
import { AdminError, type AdminControls } from './controls.js';
import type { ClusterView } from './cluster.js';
import type { EventStreams } from './streams.js';
import { parseEventFilter, type RecentEvents } from './recent-events.js';

/** Largest JSON body an admin call takes. */
const MAX_BODY_BYTES = 16 * 1024;
/** A live stream whose client stopped reading is ended once this much is waiting for it. */
const MAX_STREAM_BACKLOG = 1024 * 1024;

export interface AdminHttpDeps {
  readonly guard: Guard;
  readonly controls: AdminControls;
  readonly recent: RecentEvents;
  readonly streams: EventStreams;
  readonly stats: () => unknown;
  readonly cluster: Pick<ClusterView, 'ask'>;
  readonly basePath: string;
  readonly role: string;
  readonly requireCsrf: boolean;
}

export type AdminHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => boolean;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(new HttpError(413, 'payload_too_large', `body over ${MAX_BODY_BYTES} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'payload_too_large', `body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size === 0) return resolve(undefined);
      // JSON only: a form post from another site cannot reach a state-changing call even before the CSRF check.
      if (!/^application\/json\b/i.test(type)) return reject(new HttpError(415, 'unsupported_media_type', 'send JSON (content-type: application/json)'));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'bad_request', 'body is not valid JSON'));
      }
    });
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function createAdminHttp(deps: AdminHttpDeps): AdminHandler {
  const { guard, controls, recent, streams, basePath, role, requireCsrf } = deps;
  const prefix = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  const resolveIp = guard.options.resolveClientIp;

  function refuse(request: IncomingMessage, path: string, status: number, code: ReasonCode, message: string, identity: Identity | null): never {
    const remote = request.socket.remoteAddress ?? '';
    guard.emit({
      type: 'admin_refused',
      reason: code,
      ip: resolveIp(remote, request.headers),
      userId: identity?.userId,
      detail: { path, method: request.method },
    });
    throw new HttpError(status, code, message);
  }

  async function authorize(request: IncomingMessage, path: string, changesState: boolean): Promise<Identity> {
    const identity = await guard.identify(request);
    if (identity === null) refuse(request, path, 401, 'unauthenticated', 'Authentication required', null);
    if (!identity.roles.includes(role)) refuse(request, path, 403, 'forbidden', `The ${role} role is required`, identity);
    if (changesState && requireCsrf) {
      const token = header(request, 'x-csrf-token');
      const failure = token === undefined || token === '' ? 'csrf_missing' : guard.csrf.verify(token, csrfSessionKey(identity));
      if (failure !== null) refuse(request, path, 403, failure, 'A valid CSRF token for this session is required (x-csrf-token)', identity);
    }
    return identity;
  }

  function stream(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const parsed = parseEventFilter(url.searchParams, recent.capacity);
    if ('error' in parsed) throw new HttpError(400, 'bad_request', parsed.error);
    const write = (text: string): boolean => {
      if (response.destroyed || response.writableEnded) return false;
      response.write(text);
      return response.writableLength <= MAX_STREAM_BACKLOG;
    };
    const unsubscribe = streams.add(
      parsed.filter,
      (events: readonly SecurityEvent[], dropped: number) => {
        if (events.length === 0 && dropped === 0) return write(': ping\n\n');
        let ok = true;
        if (events.length > 0) ok = write(`event: events\ndata: ${JSON.stringify(events)}\n\n`);
        if (dropped > 0) ok = write(`event: dropped\ndata: ${JSON.stringify({ count: dropped })}\n\n`) && ok;
        return ok;
      },
      () => {
        if (!response.writableEnded) response.end();
      },
    );
    if (unsubscribe === null) throw new HttpError(503, 'too_many_streams', `at most ${streams.maxSubscribers} live streams`, { 'retry-after': '5' });
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    // Recent matching events first, so a dashboard that (re)connects is not blank until the next event.
    const backlog = recent.query(parsed.filter, 100);
    response.write(`retry: 2000\n\n${backlog.length > 0 ? `event: events\ndata: ${JSON.stringify(backlog)}\n\n` : ': connected\n\n'}`);
    request.on('close', unsubscribe);
    response.on('error', unsubscribe);
  }

  async function route(request: IncomingMessage, response: ServerResponse, url: URL, path: string): Promise<void> {
    const method = request.method ?? 'GET';
    const routes: Record<string, readonly string[]> = {
      '/connections': ['GET'],
      '/bans': ['GET', 'POST', 'DELETE'],
      '/unban': ['POST'],
      '/disconnect': ['POST'],
      '/events': ['GET'],
      '/events/stream': ['GET'],
      '/stats': ['GET'],
    };
    const allowed = routes[path];
    if (allowed === undefined) throw new HttpError(404, 'not_found', `no admin route ${path}`);
    if (!allowed.includes(method)) throw new HttpError(405, 'method_not_allowed', `${method} not allowed on ${path}`, { allow: allowed.join(', ') });
    const changesState = method !== 'GET';
    const identity = await authorize(request, path, changesState);
    const by = identity.userId;
    const body = changesState ? await readBody(request) : undefined;
    const fromQuery = (): Record<string, string> => Object.fromEntries(url.searchParams);

    const scope = url.searchParams.get('scope');
    if (scope !== null && scope !== 'node' && scope !== 'cluster') throw new HttpError(400, 'bad_request', 'scope must be node or cluster');

    switch (`${method} ${path}`) {
      case 'GET /connections':
        return sendJson(response, 200, scope === 'cluster' ? await deps.cluster.ask('connections') : guard.monitor.snapshot());
      case 'GET /bans':
        return sendJson(response, 200, { bans: controls.listBans() });
      case 'POST /bans':
        return sendJson(response, 201, { ban: await controls.ban(body, by) });
      case 'DELETE /bans':
      case 'POST /unban':
        return sendJson(response, 200, { removed: await controls.unban(body ?? fromQuery(), by) });
      case 'POST /disconnect':
        return sendJson(response, 200, { closed: controls.disconnect(body, by) });
      case 'GET /events': {
        const parsed = parseEventFilter(url.searchParams, recent.capacity);
        if ('error' in parsed) throw new HttpError(400, 'bad_request', parsed.error);
        return sendJson(response, 200, { events: recent.query(parsed.filter, parsed.limit) });
      }
      case 'GET /events/stream':
        return stream(request, response, url);
      case 'GET /stats':
        return sendJson(response, 200, scope === 'cluster' ? await deps.cluster.ask('stats') : deps.stats());
    }
  }

  return (request, response, next) => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      if (next) next();
      return false;
    }
    const pathname = url.pathname;
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) {
      if (next) next();
      return false;
    }
    const path = pathname.slice(prefix.length) || '/';
    route(request, response, url, path).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(response, error.status, { code: error.code, message: error.message }, error.headers);
      if (error instanceof AdminError) return sendJson(response, error.status, { code: error.code, message: error.message });
      guard.emit({ type: 'internal_error', detail: { stage: 'admin_api', path, error: error instanceof Error ? error.message : String(error) } });
      sendJson(response, 500, { code: 'internal_error', message: 'Internal error' });
    });
    return true;
  };
}
