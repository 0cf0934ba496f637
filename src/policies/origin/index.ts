/**
 * Origin allow-list: the defence against cross-site WebSocket hijacking.
 *
 * A browser sends its cookies with every WebSocket handshake whatever page opened it, and the Origin header is the
 * one thing that says which page that was. Entries are parsed once; a request's origin is parsed with WHATWG URL and
 * compared on scheme, host and port as separate parts — never by substring, so `https://app.example.com.evil.example`
 * does not match `https://app.example.com`.
 *
 * Entry forms: `https://app.example.com` (exact; default ports may be omitted), `https://*.example.com` (any
 * subdomain, at any depth, but not the apex), `http://localhost:*` (any port), `null` (the opaque origin of sandboxed
 * frames and file:// pages; refused unless listed literally), `*` (anything; warned at startup).
 */

import { LruMap } from '../../util/lru-map.js';

export type OriginCheck =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly why: 'missing' | 'malformed' | 'not_listed' };

interface OriginPattern {
  readonly scheme: string;
  /** Exact host, or the suffix after `*.` when `wildcardHost`. */
  readonly host: string;
  readonly wildcardHost: boolean;
  /** Port as a string ('' = scheme default), or null for any port. */
  readonly port: string | null;
}

const ALLOWED: OriginCheck = Object.freeze({ allowed: true });
const MISSING: OriginCheck = Object.freeze({ allowed: false, why: 'missing' });
const MALFORMED: OriginCheck = Object.freeze({ allowed: false, why: 'malformed' });
const NOT_LISTED: OriginCheck = Object.freeze({ allowed: false, why: 'not_listed' });

/** Distinct origins whose verdict is remembered. */
const RECENT_ORIGINS = 256;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  readonly port: string;
}

/**
 * Parse a serialized origin (`scheme://host[:port]`). Anything a browser would not send — a path, a trailing slash,
 * credentials, a query, an explicit default port — is malformed: it can only come from a hand-made request.
 */
function parseOrigin(text: string): ParsedOrigin | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!url.hostname || url.origin === 'null' || url.origin !== text.toLowerCase()) return null;
  return { scheme: url.protocol, host: url.hostname, port: url.port };
}

function compilePattern(entry: string): OriginPattern {
  const match = /^([a-z][a-z0-9+.-]*:)\/\/(\*\.)?([^/:]+|\[[^\]]+\])(?::(\d+|\*))?\/?$/i.exec(entry.trim());
  if (!match) throw new Error(`allowedOrigins: ${JSON.stringify(entry)} is not an origin like https://app.example.com`);
  const [, schemeText = '', star, hostText = '', portText] = match;
  // Let WHATWG URL canonicalise the host (IDN to punycode, IPv6 brackets, case) exactly as it will for requests.
  let probe: URL;
  try {
    probe = new URL(`${schemeText}//${hostText}`);
  } catch {
    throw new Error(`allowedOrigins: ${JSON.stringify(entry)} is not a valid origin`);
  }
  const scheme = probe.protocol;
  let port: string | null;
  if (portText === '*') port = null;
  else if (portText === undefined) port = '';
  else port = portText === DEFAULT_PORTS[scheme] ? '' : String(Number(portText));
  return { scheme, host: probe.hostname, wildcardHost: star !== undefined, port };
}

function matches(pattern: OriginPattern, origin: ParsedOrigin): boolean {
  if (pattern.scheme !== origin.scheme) return false;
  if (pattern.port !== null && pattern.port !== origin.port) return false;
  if (!pattern.wildcardHost) return pattern.host === origin.host;
  // `*.example.com` matches `a.example.com` and `a.b.example.com`, never `example.com` or `badexample.com`.
  return origin.host.length > pattern.host.length + 1 && origin.host.endsWith(`.${pattern.host}`);
}

export interface OriginPolicyOptions {
  readonly allowedOrigins: readonly string[];
  readonly allowMissingOrigin: boolean;
}

/** Compile the allow-list once into a predicate over the raw Origin header. */
export function compileOriginPolicy(options: OriginPolicyOptions): (origin: string | undefined) => OriginCheck {
  const anyOrigin = options.allowedOrigins.includes('*');
  const allowNull = options.allowedOrigins.includes('null');
  const exact = new Set<string>();
  const patterns: OriginPattern[] = [];
  for (const entry of options.allowedOrigins) {
    if (entry === '*' || entry === 'null') continue;
    const pattern = compilePattern(entry);
    if (!pattern.wildcardHost && pattern.port !== null) {
      exact.add(`${pattern.scheme}//${pattern.host}${pattern.port ? `:${pattern.port}` : ''}`);
    } else {
      patterns.push(pattern);
    }
  }
  const allowMissing = options.allowMissingOrigin;
  // A WHATWG URL parse per handshake shows in profiles; the origins a server sees are few, and an attacker cycling
  // through distinct ones only churns this bounded cache.
  const recent = new LruMap<string, OriginCheck>(RECENT_ORIGINS);

  return (origin) => {
    if (origin === undefined || origin === '') return allowMissing ? ALLOWED : MISSING;
    if (origin === 'null') return allowNull || anyOrigin ? ALLOWED : NOT_LISTED;
    let check = recent.get(origin);
    if (check === undefined) {
      check = decide(origin);
      recent.set(origin, check);
    }
    return check;
  };

  function decide(origin: string): OriginCheck {
    const parsed = parseOrigin(origin);
    if (!parsed) return MALFORMED;
    if (anyOrigin) return ALLOWED;
    if (exact.has(`${parsed.scheme}//${parsed.host}${parsed.port ? `:${parsed.port}` : ''}`)) return ALLOWED;
    for (const pattern of patterns) if (matches(pattern, parsed)) return ALLOWED;
    return NOT_LISTED;
  }
}
