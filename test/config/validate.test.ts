import { describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { CONFIG_FIELDS, CONFIG_KEYS, configFieldDocs } from '../../src/config/fields.js';
import { presets } from '../../src/config/presets.js';
import type { GuardConfig } from '../../src/config/types.js';
import {
  ConfigError,
  collectConfigIssues,
  editDistance,
  suggest,
  validateConfig,
  type ConfigIssue,
} from '../../src/config/validate.js';

/** The ConfigError `validateConfig` throws for `input` (fails the test when it does not throw). */
function errorFor(input: unknown): ConfigError {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected validateConfig to throw');
}

function issueAt(input: unknown, path: string): ConfigIssue {
  const issue = errorFor(input).issues.find((candidate) => candidate.path === path);
  if (issue === undefined) throw new Error(`no issue at ${path}`);
  return issue;
}

const paths = (input: unknown): string[] => collectConfigIssues(input).map((issue) => issue.path);

const authenticate: NonNullable<GuardConfig['authenticate']> = () => null;
const SECRET = 'k9V2c7Yq0wLrT5nB8xZ1mH4dF6sJ3aPe'; // 32 characters

describe('valid configs', () => {
  it('accepts an empty config and the library defaults', () => {
    expect(collectConfigIssues({})).toEqual([]);
    expect(collectConfigIssues(DEFAULT_CONFIG)).toEqual([]);
  });

  it('accepts the development preset as is', () => {
    expect(collectConfigIssues(presets.development)).toEqual([]);
  });

  it('accepts the production preset once allowedOrigins, authenticate and csrfSecret are added', () => {
    expect(paths(presets.production).sort()).toEqual(['allowedOrigins', 'csrfSecret', 'requireAuthentication']);
    expect(
      collectConfigIssues({ ...presets.production, allowedOrigins: ['https://app.example.com'], authenticate, csrfSecret: 's'.repeat(32) }),
    ).toEqual([]);
  });

  it('accepts a config that uses every data form', () => {
    const config: GuardConfig = {
      environment: 'production',
      mode: { default: 'enforce', origin: 'monitor', messageRate: 'monitor' },
      allowedOrigins: ['https://app.example.com', 'https://*.example.com', 'http://localhost:*', 'http://[::1]:3000'],
      trustProxy: ['10.0.0.0/8', '127.0.0.1', '2001:db8::/32'],
      proxyHeader: 'forwarded',
      ipv6Prefix: 56,
      authenticate,
      requireAuthentication: true,
      authTimeoutMs: 120_000,
      namespaces: { '/admin': { roles: ['admin'], allowedEvents: [], requireAuthentication: true } },
      allowedEvents: ['chat:send'],
      events: { 'chat:send': { rateLimit: 30, burst: 5, maxBytes: 1024, roles: ['user'], requireCsrf: false } },
      csrfEnabled: false,
      csrfSecret: [SECRET, `${SECRET}-old`],
      eventAggregationMs: 0,
      maxMessageBytes: 100 * 1024 * 1024,
      sinks: [{ name: 'test', write: () => undefined }],
      now: () => 0,
    };
    expect(collectConfigIssues(config)).toEqual([]);
  });

  it('treats an explicit undefined as not set', () => {
    expect(collectConfigIssues({ maxMessageBytes: undefined, mode: { origin: undefined } })).toEqual([]);
  });

  it('narrows the input type', () => {
    const input: unknown = { maxMessageBytes: 1024 };
    validateConfig(input);
    expect(input.maxMessageBytes).toBe(1024);
  });
});

describe('ConfigError', () => {
  const input = {
    maxMessageBytes: -1,
    allowMissingOrigin: 'yes',
    environment: 'staging',
    events: { 'chat:send': { rateLimit: 0 } },
    maxMesageBytes: 10,
  };

  it('lists every bad field at once, each on its own line', () => {
    const error = errorFor(input);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('WSGUARD_INVALID_CONFIG');
    const expected = [
      'maxMessageBytes',
      'allowMissingOrigin',
      'environment',
      'events["chat:send"].rateLimit',
      'maxMesageBytes',
    ];
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([...expected].sort());
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('wsguard: invalid configuration (5 problems):');
    for (const path of expected) expect(lines.filter((line) => line.startsWith(`  - ${path}: `))).toHaveLength(1);
  });

  it('shows what was given and what is allowed', () => {
    const error = errorFor(input);
    expect(error.message).toContain(
      '  - maxMessageBytes: got -1 (number); must be an integer from 1 to 104857600 (100 MiB)',
    );
    expect(error.message).toContain('  - allowMissingOrigin: got "yes" (string); must be true or false');
    expect(error.message).toContain(`  - environment: got "staging" (string); must be one of 'development', 'production'`);
  });

  it('has frozen issues', () => {
    expect(Object.isFrozen(errorFor(input).issues)).toBe(true);
  });

  it('refuses a config that is not an object', () => {
    for (const bad of [null, undefined, 'config', 3, ['a']]) {
      expect(paths(bad)).toEqual(['(config)']);
    }
  });
});

describe('unknown keys', () => {
  it('suggests maxMessageBytes for maxMesageBytes', () => {
    expect(issueAt({ maxMesageBytes: 1 }, 'maxMesageBytes').message).toContain('did you mean `maxMessageBytes`?');
  });

  it('suggests allowedOrigins for allowedOrigin', () => {
    expect(issueAt({ allowedOrigin: [] }, 'allowedOrigin').message).toContain('did you mean `allowedOrigins`?');
  });

  it('suggests on a different case, separators or a swapped pair of letters', () => {
    expect(issueAt({ MaxMessageBytes: 1 }, 'MaxMessageBytes').message).toContain('`maxMessageBytes`');
    expect(issueAt({ max_message_bytes: 1 }, 'max_message_bytes').message).toContain('`maxMessageBytes`');
    expect(issueAt({ maxMesasgeBytes: 1 }, 'maxMesasgeBytes').message).toContain('`maxMessageBytes`');
  });

  it('points a nested key written at the top level to where it belongs', () => {
    expect(issueAt({ rateLimit: 5 }, 'rateLimit').message).toContain('`events["<event>"].rateLimit`');
    expect(issueAt({ origin: 'monitor' }, 'origin').message).toContain('`mode.origin`');
  });

  it('suggests inside nested rules and mode objects', () => {
    expect(issueAt({ events: { ping: { rateLimt: 5 } } }, 'events["ping"].rateLimt').message).toContain(
      'did you mean `rateLimit`?',
    );
    expect(issueAt({ namespaces: { '/a': { role: ['x'] } } }, 'namespaces["/a"].role').message).toContain(
      'did you mean `roles`?',
    );
    expect(issueAt({ mode: { orgin: 'monitor' } }, 'mode.orgin').message).toContain('did you mean `origin`?');
  });

  it('offers nothing when nothing is close', () => {
    const message = issueAt({ somethingElse: 1 }, 'somethingElse').message;
    expect(message).not.toContain('did you mean');
  });

  it('does not show the value of an unknown key (it may be a misspelt secret)', () => {
    const error = errorFor({ csrfSecet: 'hunter2-hunter2-hunter2-hunter2-hunter2' });
    expect(error.message).not.toContain('hunter2');
    expect(error.issues[0]?.received).toBeUndefined();
    expect(error.message).toContain('did you mean `csrfSecret`?');
  });

  it('treats Object.prototype names as unknown keys, not as fields', () => {
    const input: unknown = JSON.parse('{"constructor": 1, "__proto__": {"x": 1}, "events": {"a": {"toString": 1}}}');
    expect(paths(input).sort()).toEqual(['__proto__', 'constructor', 'events["a"].toString']);
  });
});

describe('numbers', () => {
  it('refuses negative, zero, fractional and non-finite limits', () => {
    for (const bad of [-1, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(paths({ messageRateLimit: bad })).toEqual(['messageRateLimit']);
    }
    expect(paths({ maxConnectionsPerIp: -5, events: { e: { burst: -1, maxBytes: 0 } } }).sort()).toEqual([
      'events["e"].burst',
      'events["e"].maxBytes',
      'maxConnectionsPerIp',
    ]);
  });

  it('requires burstLimit >= 1', () => {
    expect(issueAt({ burstLimit: 0 }, 'burstLimit').message).toBe('must be an integer from 1 to 1000000');
    expect(paths({ burstLimit: 1 })).toEqual([]);
  });

  it('checks the documented ranges at both ends', () => {
    expect(paths({ ipv6Prefix: 1 })).toEqual([]);
    expect(paths({ ipv6Prefix: 128 })).toEqual([]);
    expect(paths({ ipv6Prefix: 0 })).toEqual(['ipv6Prefix']);
    expect(paths({ ipv6Prefix: 129 })).toEqual(['ipv6Prefix']);
    expect(paths({ maxMessageBytes: 100 * 1024 * 1024 + 1 })).toEqual(['maxMessageBytes']);
    expect(paths({ authTimeoutMs: 120_001 })).toEqual(['authTimeoutMs']);
    expect(paths({ eventAggregationMs: 0 })).toEqual([]);
    expect(paths({ eventAggregationMs: 60_001 })).toEqual(['eventAggregationMs']);
  });

  it('says a quoted number is a string', () => {
    const issue = issueAt({ maxMessageBytes: '1024' }, 'maxMessageBytes');
    expect(issue.received).toBe('"1024" (string)');
    expect(issue.message).toContain('a number rather than a string');
  });
});

describe('wrong types', () => {
  it('names the type given and the one expected', () => {
    expect(issueAt({ allowMissingOrigin: 1 }, 'allowMissingOrigin').received).toBe('1 (number)');
    expect(issueAt({ authenticate: 'verify' }, 'authenticate').message).toBe('must be a function');
    expect(issueAt({ now: 5 }, 'now').message).toBe('must be a function');
    expect(issueAt({ namespaces: [] }, 'namespaces').received).toBe('an empty array');
    expect(issueAt({ events: 'chat' }, 'events').received).toBe('"chat" (string)');
  });

  it('suggests wrapping a single origin in a list', () => {
    expect(issueAt({ allowedOrigins: 'https://app.example.com' }, 'allowedOrigins').message).toContain('wrap');
  });

  it('checks list entries one by one', () => {
    expect(paths({ allowedEvents: ['ok', '', 3] })).toEqual(['allowedEvents[1]', 'allowedEvents[2]']);
  });

  it('cuts long strings', () => {
    const received = issueAt({ proxyHeader: 'x'.repeat(500) }, 'proxyHeader').received ?? '';
    expect(received.length).toBeLessThan(60);
  });

  it('suggests an enum value written in another case', () => {
    expect(issueAt({ environment: 'Production' }, 'environment').message).toContain('did you mean `production`?');
  });
});

describe('origins', () => {
  it('refuses a trailing slash or path and shows the origin to write', () => {
    expect(issueAt({ allowedOrigins: ['https://app.example.com/'] }, 'allowedOrigins[0]').message).toContain(
      '`https://app.example.com`',
    );
    expect(paths({ allowedOrigins: ['https://app.example.com/chat'] })).toEqual(['allowedOrigins[0]']);
  });

  it('refuses an origin without scheme and the literal null origin', () => {
    expect(paths({ allowedOrigins: ['app.example.com', 'null'] })).toEqual(['allowedOrigins[0]']);
  });

  it('accepts *, subdomain and port wildcards', () => {
    expect(paths({ allowedOrigins: ['*', 'https://*.example.com', 'http://localhost:*', 'https://a.example:8443'] })).toEqual(
      [],
    );
  });
});

describe('csrfSecret', () => {
  it('is redacted: only its length is shown', () => {
    const error = errorFor({ csrfSecret: 'tooshort-secret' });
    expect(error.issues[0]).toMatchObject({ path: 'csrfSecret', received: '<redacted, 15 chars>' });
    expect(error.message).toContain('<redacted, 15 chars>');
    expect(error.message).not.toContain('tooshort');
  });

  it('is redacted inside a rotation list too', () => {
    const error = errorFor({ csrfSecret: [SECRET, 'old-and-short'] });
    expect(error.issues).toEqual([
      expect.objectContaining({ path: 'csrfSecret[1]', received: '<redacted, 13 chars>' }),
    ]);
    expect(error.message).not.toContain('old-and-short');
    expect(error.message).not.toContain(SECRET);
  });

  it('accepts 32 characters, refuses an empty list and non-strings without showing them', () => {
    expect(paths({ csrfSecret: SECRET })).toEqual([]);
    expect(paths({ csrfSecret: [] })).toEqual(['csrfSecret']);
    expect(issueAt({ csrfSecret: 12345678 }, 'csrfSecret').received).toBe('<redacted number>');
  });
});

describe('mode', () => {
  it('accepts a mode or an object of checks', () => {
    expect(paths({ mode: 'monitor' })).toEqual([]);
    expect(paths({ mode: {} })).toEqual([]);
    expect(paths({ mode: { default: 'monitor', eventAllowList: 'enforce' } })).toEqual([]);
  });

  it('refuses other keys and values', () => {
    expect(paths({ mode: 'audit' })).toEqual(['mode']);
    expect(paths({ mode: { origins: 'monitor', origin: 'off' } })).toEqual(['mode.origins', 'mode.origin']);
    expect(paths({ mode: ['enforce'] })).toEqual(['mode']);
  });
});

describe('trustProxy', () => {
  it('accepts booleans, hop counts, address strings and lists', () => {
    for (const good of [false, true, 0, 2, '127.0.0.1', '10.0.0.0/8, 127.0.0.1', ['::1', '2001:db8::/32', '0.0.0.0/0']]) {
      expect(paths({ trustProxy: good })).toEqual([]);
    }
  });

  it('refuses bad counts, addresses and prefixes', () => {
    expect(paths({ trustProxy: -1 })).toEqual(['trustProxy']);
    expect(paths({ trustProxy: 1.5 })).toEqual(['trustProxy']);
    expect(paths({ trustProxy: '' })).toEqual(['trustProxy']);
    expect(paths({ trustProxy: 'proxy.internal' })).toEqual(['trustProxy']);
    expect(paths({ trustProxy: '10.0.0.0/33,127.0.0.1,,foo' })).toEqual(['trustProxy', 'trustProxy']);
    expect(paths({ trustProxy: ' , ' })).toEqual(['trustProxy']);
    expect(paths({ trustProxy: ['::/129', '10.0.0.1/x', 3] })).toEqual([
      'trustProxy[0]',
      'trustProxy[1]',
      'trustProxy[2]',
    ]);
    expect(paths({ trustProxy: {} })).toEqual(['trustProxy']);
  });
});

describe('rules', () => {
  it('requires namespace keys to start with /', () => {
    expect(issueAt({ namespaces: { admin: {} } }, 'namespaces["admin"]').message).toContain('`/admin`');
  });

  it('validates rule fields with paths to them', () => {
    expect(
      paths({
        namespaces: { '/a': { roles: [], requireAuthentication: 'yes' } },
        events: { 'chat:send': { rateLimit: '30', roles: 'admin' }, ping: 5 },
      }),
    ).toEqual([
      'namespaces["/a"].roles',
      'namespaces["/a"].requireAuthentication',
      'events["chat:send"].rateLimit',
      'events["chat:send"].roles',
      'events["ping"]',
    ]);
  });
});

describe('code-only objects', () => {
  it('checks that a store has the Store methods', () => {
    expect(issueAt({ store: { consumeTokens: () => null } }, 'store').message).toContain('acquireLease');
    expect(paths({ store: 'redis' })).toEqual(['store']);
  });

  it('checks that sinks have a write function', () => {
    expect(paths({ sinks: [{ name: 'a', write: () => undefined }, { name: 'b' }, null] })).toEqual([
      'sinks[1].write',
      'sinks[2]',
    ]);
    expect(paths({ sinks: { write: () => undefined } })).toEqual(['sinks']);
  });
});

describe('cross-field rules', () => {
  it('refuses production with an empty or absent allowedOrigins and names the fix', () => {
    for (const config of [{ environment: 'production' }, { environment: 'production', allowedOrigins: [] }]) {
      expect(issueAt(config, 'allowedOrigins').message).toContain("allowedOrigins: ['https://app.example.com']");
    }
    expect(paths({ environment: 'development', allowedOrigins: [] })).toEqual([]);
  });

  it('refuses requireAuthentication without an authenticate hook', () => {
    expect(issueAt({ requireAuthentication: true }, 'requireAuthentication').message).toContain('`authenticate');
    expect(paths({ requireAuthentication: true, authenticate })).toEqual([]);
    expect(paths({ requireAuthentication: false })).toEqual([]);
  });

  it('requires a csrfSecret when CSRF is on in production, and generates none silently', () => {
    const production = { environment: 'production' as const, allowedOrigins: ['https://app.example.com'], csrfEnabled: true };
    expect(issueAt(production, 'csrfSecret').message).toContain('`csrfSecret: process.env.WSGUARD_CSRF_SECRET`');
    expect(paths({ ...production, csrfSecret: 'k'.repeat(32) })).toEqual([]);
    // Only a config that says it is for development may do without one (a secret is then generated, and warned).
    expect(paths({ csrfEnabled: true })).toEqual(['csrfSecret']);
    expect(paths({ csrfEnabled: true, environment: 'development' })).toEqual([]);
  });

  it('refuses requireCsrf on an event while CSRF is off', () => {
    expect(issueAt({ events: { e: { requireCsrf: true } } }, 'events["e"].requireCsrf').message).toContain('`csrfEnabled: true`');
    expect(paths({ csrfEnabled: true, environment: 'development', events: { e: { requireCsrf: true } } })).toEqual([]);
  });

  it('refuses a csrfTokenField that is not a plain property name', () => {
    for (const field of ['__proto__', 'a.b', '', 42]) expect(paths({ csrfTokenField: field })).toEqual(['csrfTokenField']);
    expect(paths({ csrfTokenField: '_csrf' })).toEqual([]);
  });

  it('accepts a Standard Schema validator per event and refuses anything else', () => {
    const schema = { '~standard': { version: 1, vendor: 'test', validate: () => ({ value: 1 }) } };
    expect(paths({ events: { e: { schema } } })).toEqual([]);
    expect(issueAt({ events: { e: { schema: { parse: () => 1 } } } }, 'events["e"].schema').message).toContain('Standard Schema');
    expect(paths({ payloadInspectionEnabled: false, events: { e: { schema } } })).toEqual(['events["e"]']);
  });

  it('refuses a threat action that does not exist, and sanitize for anything but xss', () => {
    expect(paths({ threatActions: { xss: 'sanitize', sqli: 'block' } })).toEqual([]);
    expect(paths({ threatActions: { sqli: 'sanitize' } })).toEqual(['threatActions.sqli']);
    expect(paths({ threatActions: { xss: 'nuke' } })).toEqual(['threatActions.xss']);
    expect(paths({ threatActions: { lfi: 'block' } })).toEqual(['threatActions.lfi']);
  });

  it('accepts every feature switched off, and their tuning keys', () => {
    expect(
      paths({
        csrfEnabled: false,
        payloadInspectionEnabled: false,
        abuseDetectionEnabled: false,
        autoDisconnectOnAbuse: false,
        csrfTokenTtlMs: 60_000,
        suspiciousActivityThreshold: 10,
      }),
    ).toEqual([]);
  });
});

describe('suggest and editDistance', () => {
  it('counts a swap of adjacent letters as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('allows two edits for long names, one for short ones', () => {
    expect(suggest('maxMsgeBytes', ['maxMessageBytes'])).toBeUndefined();
    expect(suggest('maxMesgeBytes', ['maxMessageBytes'])).toBe('maxMessageBytes');
    expect(suggest('nw', ['now'])).toBe('now');
    expect(suggest('x', ['now'])).toBeUndefined();
  });
});

describe('field table', () => {
  it('describes every key once, with defaults taken from DEFAULT_CONFIG', () => {
    for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
      expect(CONFIG_FIELDS[key as keyof typeof CONFIG_FIELDS].default).toEqual(value);
    }
    expect(new Set(CONFIG_KEYS).size).toBe(CONFIG_KEYS.length);
  });

  it('documents every key for the README, with env variables for data keys only', () => {
    const docs = configFieldDocs();
    expect(docs.map((doc) => doc.key)).toEqual([...CONFIG_KEYS]);
    const byKey = new Map(docs.map((doc) => [doc.key, doc]));
    expect(byKey.get('maxMessageBytes')).toMatchObject({
      envVar: 'WSGUARD_MAX_MESSAGE_BYTES',
      default: '65536',
      type: 'integer 1–104857600 (100 MiB)',
    });
    expect(byKey.get('ipv6Prefix')?.envVar).toBe('WSGUARD_IPV6_PREFIX');
    for (const codeOnly of ['authenticate', 'store', 'sinks', 'now']) expect(byKey.get(codeOnly)?.envVar).toBeNull();
    for (const doc of docs) expect(doc.description.length).toBeGreaterThan(10);
  });
});
