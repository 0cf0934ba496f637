/* global fetch, EventSource */
// The dashboard's client of wsguard's admin API (`/admin/api`). The browser is the `dashboard` admin through the
// HttpOnly cookie the page response set (scoped to /admin); state-changing calls also carry a CSRF token for that
// session, fetched from /admin/csrf-token.

const BASE = '/admin/api';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

async function parse(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.code ?? 'error', body.message ?? response.statusText);
  return body;
}

export function createAdminApi() {
  let token = null;

  async function csrfToken(fresh = false) {
    if (token && !fresh) return token;
    const body = await parse(await fetch('/admin/csrf-token', { cache: 'no-store', credentials: 'same-origin' }));
    token = body.token;
    return token;
  }

  async function get(path) {
    return parse(await fetch(`${BASE}${path}`, { cache: 'no-store', credentials: 'same-origin' }));
  }

  async function send(method, path, body) {
    const call = async (fresh) =>
      fetch(`${BASE}${path}`, {
        method,
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': await csrfToken(fresh) },
        body: JSON.stringify(body),
      });
    let response = await call(false);
    // A token outlives most demo sessions (an hour); if it did not, fetch a new one once.
    if (response.status === 403) {
      const retry = response.clone();
      const code = (await retry.json().catch(() => ({}))).code ?? '';
      if (String(code).startsWith('csrf_')) response = await call(true);
    }
    return parse(response);
  }

  /** `ip:127.0.0.1` → `{ ip }`, `user:alice` → `{ userId }`, `cidr:10.0.0.0/24` → `{ ip: '10.0.0.0/24' }`. */
  function targetOf(key) {
    const at = key.indexOf(':');
    const kind = key.slice(0, at);
    const id = key.slice(at + 1);
    return kind === 'user' ? { userId: id } : { ip: id };
  }

  return {
    connections: () => get('/connections'),
    stats: () => get('/stats'),
    bans: () => get('/bans'),
    liftBan: (key) => send('DELETE', '/bans', targetOf(key)),
    /** Lift a ban on this address if there is one, and forget its abuse windows and throttle either way. */
    forgetIp: (ip) => send('DELETE', '/bans', { ip }),
    disconnect: (target) => send('POST', '/disconnect', target),
    /**
     * The live event stream: `onEvents(batch)` per batch (at most every 250 ms), `onStatus('live' | 'retrying')`.
     * EventSource reconnects by itself.
     */
    stream(onEvents, onStatus) {
      const source = new EventSource(`${BASE}/events/stream`);
      source.addEventListener('open', () => onStatus('live'));
      source.addEventListener('error', () => onStatus('retrying'));
      source.addEventListener('events', (message) => {
        try {
          onEvents(JSON.parse(message.data));
        } catch {
          // A batch that does not parse is skipped: the next one carries on.
        }
      });
      return () => source.close();
    },
  };
}
