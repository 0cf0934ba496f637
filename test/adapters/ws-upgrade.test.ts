import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CSRF_PROTOCOL_PREFIX, connectionContext, csrfProtocolOf, parseQuery, stripCsrfProtocol } from '../../src/adapters/ws/upgrade.js';

/** The query as URLSearchParams reads it, repeated keys as arrays (what `parseQuery` must give, fast path or not). */
function reference(url: string): Record<string, string | string[]> {
  const at = url.indexOf('?');
  if (at === -1) return {};
  const query = new Map<string, string | string[]>();
  for (const [key, value] of new URLSearchParams(url.slice(at + 1))) {
    const seen = query.get(key);
    if (seen === undefined) query.set(key, value);
    else if (Array.isArray(seen)) seen.push(value);
    else query.set(key, [seen, value]);
  }
  return Object.fromEntries(query);
}

function request(headers: Record<string, string>, url = '/'): IncomingMessage {
  return { url, headers: { ...headers }, socket: { remoteAddress: '203.0.113.7' } } as unknown as IncomingMessage;
}

describe('parseQuery', () => {
  it('reads what URLSearchParams reads', () => {
    const urls = [
      '/',
      '/ws',
      '/?',
      '/?user=alice',
      '/?user=alice&room=1',
      '/?a=1&a=2&a=3',
      '/?a&b=&=c&&d==e',
      '/??a=1',
      '/???a=1',
      '/?a=1?b=2',
      '/?a=%41%zz%&b=x+y',
      '/?a=é&b=漢字&c=🙂',
      '/?a=\ud800',
      '/?__proto__=x&constructor=y&toString=z&hasOwnProperty=w',
      '/?a=1#fragment&b=2',
      `/?token=${'t'.repeat(300)}`,
    ];
    for (const url of urls) expect(parseQuery(url), url).toEqual(reference(url));
  });

  it('reads random query strings as URLSearchParams reads them', () => {
    // Half of them with nothing to decode (the fast path), half with escapes, `+` and surrogates.
    const plain = ['a', 'b', 'Z', '0', '=', '&', '?', ' ', '#', '/', 'é', '漢', '__proto__'];
    const alphabets = [plain, [...plain, '%', '%2', '%41', '+', '🙂', '\ud83d']];
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let i = 0; i < 2_000; i++) {
      let url = random(4) === 0 ? '/path' : '/?';
      const alphabet = alphabets[i % 2] ?? plain;
      const length = random(25);
      for (let k = 0; k < length; k++) url += alphabet[random(alphabet.length)] ?? '';
      expect(parseQuery(url), JSON.stringify(url)).toEqual(reference(url));
    }
  });

  it('keeps a __proto__ key as an own property', () => {
    const query = parseQuery('/?__proto__=polluted');
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(Object.hasOwn(query, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the CSRF subprotocol entry', () => {
  const token = 'v1.nonce.issued.tag.mac';

  it('is read once, beside the application\'s protocols, and taken out before ws reads the header', () => {
    const req = request({ 'sec-websocket-protocol': `chat.v1, ${CSRF_PROTOCOL_PREFIX}${token} ,  other` });
    const found = csrfProtocolOf(req);
    expect(found).toEqual({ header: req.headers['sec-websocket-protocol'], token, rest: 'chat.v1, other' });
    expect(connectionContext('c', req, 'csrfToken', found).csrfToken).toBe(token);
    stripCsrfProtocol(req, found);
    expect(req.headers['sec-websocket-protocol']).toBe('chat.v1, other');
  });

  it('removes the header when the token was its only entry', () => {
    const req = request({ 'sec-websocket-protocol': `${CSRF_PROTOCOL_PREFIX}${token}` });
    stripCsrfProtocol(req, csrfProtocolOf(req));
    expect(req.headers).not.toHaveProperty('sec-websocket-protocol');
  });

  it('takes the first token and drops every CSRF entry', () => {
    const req = request({ 'sec-websocket-protocol': `${CSRF_PROTOCOL_PREFIX}first, app, ${CSRF_PROTOCOL_PREFIX}second` });
    const found = csrfProtocolOf(req);
    expect(found?.token).toBe('first');
    stripCsrfProtocol(req, found);
    expect(req.headers['sec-websocket-protocol']).toBe('app');
  });

  it('leaves a header without one alone, and falls back to the query parameter', () => {
    const req = request({ 'sec-websocket-protocol': 'chat.v1,other' }, `/?csrfToken=${token}`);
    expect(csrfProtocolOf(req)).toBeNull();
    expect(connectionContext('c', req, 'csrfToken').csrfToken).toBe(token);
    stripCsrfProtocol(req, null);
    expect(req.headers['sec-websocket-protocol']).toBe('chat.v1,other');
    expect(connectionContext('c', request({}), 'csrfToken').csrfToken).toBeUndefined();
    // CSRF off: no token read at all.
    expect(connectionContext('c', req, undefined).csrfToken).toBeUndefined();
  });

  it('reads the header again if it changed after the handshake was read', () => {
    const req = request({ 'sec-websocket-protocol': `${CSRF_PROTOCOL_PREFIX}${token}, app` });
    const found = csrfProtocolOf(req);
    req.headers['sec-websocket-protocol'] = `other, ${CSRF_PROTOCOL_PREFIX}${token}`;
    stripCsrfProtocol(req, found);
    expect(req.headers['sec-websocket-protocol']).toBe('other');
  });
});
