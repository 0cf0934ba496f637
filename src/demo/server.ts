/**
 * The demo server: a tiny chat protected by wsguard, built only from the public API, as a user would build it.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { protect } from '../adapters/socket.io/index.js';
import { createGuard, presets, type AuthRequest, type Identity } from '../index.js';
import { DEMO_PAGE } from './page.js';

export interface DemoOptions {
  readonly port?: number;
  readonly host?: string;
}

export interface RunningDemo {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Demo authentication only: the client names its user in the handshake's `auth` (or, for the CSRF token endpoint,
 * in the query string). A real app verifies a session cookie or a JWT here.
 */
function demoAuthenticate(request: AuthRequest): Identity | null {
  const user = request.auth['user'] ?? request.query['user'];
  if (typeof user !== 'string' || !/^[a-z0-9_-]{1,32}$/i.test(user)) return null;
  return { userId: user, roles: user === 'admin' ? ['admin', 'user'] : ['user'], sessionId: `demo-${user}` };
}

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const host = options.host ?? '127.0.0.1';
  // Assigned once the guard exists (it needs the port, which needs the server).
  let csrfHandler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  const http = createServer((req, res) => {
    if (req.url?.startsWith('/csrf-token') && csrfHandler) {
      void csrfHandler(req, res);
      return;
    }
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(DEMO_PAGE);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 3000, host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const guard = createGuard({
    ...presets.development,
    allowedOrigins: [origin, `http://localhost:${port}`],
    allowMissingOrigin: false,
    authenticate: demoAuthenticate,
    // Low limits so that each protection trips in a click.
    messageRateLimit: 60,
    burstLimit: 10,
    maxMessageBytes: 2_048,
    allowedEvents: ['chat:send'],
    namespaces: { '/admin': { roles: ['admin'] } },
    csrfEnabled: true,
  });
  csrfHandler = (req, res) => guard.csrf.handler(req, res);
  const io = new Server(http, { serveClient: true });
  protect(io, guard);
  io.on('connection', (socket) => {
    socket.on('chat:send', (message: unknown, ack?: (r: unknown) => void) => {
      const raw = typeof message === 'object' && message !== null ? (message as { text?: unknown }).text : undefined;
      const text = typeof raw === 'string' ? raw : '';
      const from = (socket.handshake.auth as { user?: string }).user ?? 'anonymous';
      io.emit('chat:message', { from, text: text.slice(0, 500) });
      ack?.({ ok: true });
    });
  });
  io.of('/admin').on('connection', (socket) => socket.emit('chat:message', { from: 'server', text: 'welcome to /admin' }));

  return {
    url: `${origin}/`,
    async close() {
      await io.close();
      await guard.close();
    },
  };
}
