/**
 * The demo server that `npm start` and `npx wsguard demo` run: a small chat protected by wsguard, attack scenarios the
 * page runs from the browser, and a live security dashboard fed by the admin API. Built only from the public API, as a
 * user would build it; one process, the in-memory store, nothing else to install.
 *
 * Routes: `/` the page (and the dashboard's admin cookie), `/assets/*` its files, `/demo/config.json` the config and
 * scenarios the page shows, `/csrf-token` (scenario users, `?user=`) and `/admin/csrf-token` (the dashboard, by
 * cookie) for CSRF tokens, `/admin/api/*` the admin API, `/socket.io/*` Socket.IO and its browser client.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { protect } from '../adapters/socket.io/index.js';
import { createAdminApi, createGuard, normalizeIp, pinoSink, type EventSink, type Guard } from '../index.js';
import { loadAssets, PAGE_HEADERS } from './assets.js';
import { attachChat } from './chat.js';
import { DEMO_LIMITS, demoConfig, describeDemoConfig } from './config.js';
import { createDemoIdentities } from './identity.js';
import { DEMO_SCENARIOS } from './scenarios.js';

export interface DemoOptions {
  /** Default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Where security events go besides the dashboard. Default: warnings and worse as JSON lines on stdout. */
  readonly sinks?: readonly EventSink[];
}

export interface RunningDemo {
  readonly url: string;
  readonly guard: Guard;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  response.end(JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(text);
}

/** The origins a browser shows for this server: the address it listens on, plus the loopback names of it. */
function originsFor(host: string, port: number): string[] {
  const literal = host.includes(':') ? `[${host}]` : host;
  const origins = [`http://${literal}:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}`];
  return [...new Set(origins)];
}

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? '127.0.0.1';
  // The routes need the guard, the guard needs the origin, the origin needs the port: requests wait for `ready`.
  let routes: Handler | null = null;
  const http = createServer((request, response) => {
    if (routes) routes(request, response);
    else sendText(response, 503, 'starting');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 3000, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const origins = originsFor(host, port);

  const identities = createDemoIdentities();
  const config = demoConfig({
    origins,
    authenticate: identities.authenticate,
    csrfSecret: randomBytes(32).toString('base64url'),
    sinks: options.sinks ?? [pinoSink({ level: 'warn' })],
  });
  const guard = createGuard(config);
  const admin = createAdminApi(guard, { basePath: '/admin/api', recentEvents: 1_000, streamIntervalMs: 250 });
  const io = new Server(http, { serveClient: true });
  protect(io, guard);
  attachChat(io);

  const assets = loadAssets();
  const shown = describeDemoConfig(config);
  const configBody = { ...shown, limits: DEMO_LIMITS, scenarios: DEMO_SCENARIOS };

  routes = (request, response) => {
    if (admin.handle(request, response)) return;
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/csrf-token' || path === '/admin/csrf-token') {
      void guard.csrf.handler(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendText(response, 405, 'method not allowed');
      return;
    }
    if (path === '/demo/config.json') {
      // The address the server sees for this browser: what its IP-keyed limits and bans are counted under.
      sendJson(response, 200, { ...configBody, clientIp: normalizeIp(request.socket.remoteAddress ?? '') });
      return;
    }
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset === undefined) {
      sendText(response, 404, 'not found');
      return;
    }
    response.writeHead(200, {
      'content-type': asset.contentType,
      ...PAGE_HEADERS,
      // The page makes this browser the dashboard's admin (demo only: whoever can load the page is the admin).
      ...(path === '/' || path === '/index.html' ? { 'set-cookie': identities.adminCookie } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
  };

  let closing: Promise<void> | null = null;
  return {
    url: `${origins[0] ?? `http://127.0.0.1:${port}`}/`,
    guard,
    close() {
      closing ??= (async () => {
        admin.close();
        await new Promise<void>((resolve) => {
          void io.close(() => resolve());
          http.closeAllConnections();
        });
        await guard.close();
      })();
      return closing;
    },
  };
}
