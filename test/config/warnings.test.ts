import { afterEach, describe, expect, it, vi } from 'vitest';

import { presets } from '../../src/config/presets.js';
import type { GuardConfig } from '../../src/config/types.js';
import { collectConfigIssues } from '../../src/config/validate.js';
import { CONFIG_WARNINGS, collectConfigWarnings, type ConfigWarning } from '../../src/config/warnings.js';
import type { Store } from '../../src/stores/types.js';

/** A Store that does nothing: only `name` and `shared` matter to the warnings. */
function fakeStore(shared: boolean): Store {
  return {
    name: shared ? 'redis' : 'memory',
    shared,
    consumeTokens: () => ({ allowed: true, remaining: 0, retryAfterMs: 0 }),
    resetTokens: () => undefined,
    increment: () => ({ value: 1, resetInMs: 0 }),
    getCounter: () => 0,
    setAdd: () => 1,
    setRemove: () => 0,
    setMembers: () => [],
    acquireLease: () => ({ acquired: true, count: 1 }),
    releaseLease: () => undefined,
    renewLeases: () => undefined,
    leaseCount: () => 0,
    addBan: () => undefined,
    getBan: () => null,
    removeBan: () => false,
    listBans: () => [],
    publish: () => undefined,
    subscribe: () => () => undefined,
    close: () => undefined,
  };
}

/** A production config that should draw no warning at all. */
const quiet: GuardConfig = {
  environment: 'production',
  allowedOrigins: ['https://app.example.com'],
  authenticate: () => null,
  requireAuthentication: true,
  allowedEvents: ['chat:send'],
  csrfEnabled: true,
  csrfSecret: 'a-test-secret-that-is-long-enough-1234',
};

const codes = (config: GuardConfig, processCount?: number): string[] =>
  collectConfigWarnings(config, processCount === undefined ? {} : { processCount }).map((warning) => warning.code);

function only(config: GuardConfig, code: string, processCount?: number): ConfigWarning {
  const warnings = collectConfigWarnings(config, processCount === undefined ? {} : { processCount });
  expect(warnings.map((warning) => warning.code)).toEqual([code]);
  const [warning] = warnings;
  if (warning === undefined) throw new Error('unreachable');
  return warning;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('baselines', () => {
  it('warns about nothing for the defaults or a tight production config', () => {
    expect(codes({})).toEqual([]);
    expect(collectConfigIssues(quiet)).toEqual([]);
    expect(codes(quiet)).toEqual([]);
    expect(codes(quiet, 1)).toEqual([]);
  });

  it('warns only about clients without Origin for the development preset', () => {
    expect(codes(presets.development)).toEqual(['WSGUARD_W_MISSING_ORIGIN_ALLOWED', 'WSGUARD_W_CSRF_SECRET_GENERATED']);
  });

  it('keeps the catalogue codes stable', () => {
    expect(Object.keys(CONFIG_WARNINGS)).toEqual([
      'WSGUARD_W_ORIGIN_WILDCARD',
      'WSGUARD_W_NULL_ORIGIN_ALLOWED',
      'WSGUARD_W_MISSING_ORIGIN_ALLOWED',
      'WSGUARD_W_MONITOR_IN_PRODUCTION',
      'WSGUARD_W_MEMORY_STORE_MULTIPROCESS',
      'WSGUARD_W_TRUST_ALL_PROXIES',
      'WSGUARD_W_RATE_LIMITING_OFF',
      'WSGUARD_W_CSRF_SECRET_GENERATED',
      'WSGUARD_W_CSRF_OFF_IN_PRODUCTION',
      'WSGUARD_W_NO_EVENT_ALLOWLIST_IN_PRODUCTION',
      'WSGUARD_W_HARDENING_OFF',
    ]);
  });

  it('is pure: logs nothing', () => {
    const spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
      vi.spyOn(process, 'emitWarning'),
    ];
    collectConfigWarnings({ allowedOrigins: ['*'], trustProxy: true, rateLimitingEnabled: false }, { processCount: 4 });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe('WSGUARD_W_ORIGIN_WILDCARD', () => {
  it("fires for '*' and names the fix", () => {
    const warning = only({ ...quiet, allowedOrigins: ['https://app.example.com', '*'] }, 'WSGUARD_W_ORIGIN_WILDCARD');
    expect(warning.message).toContain("allowedOrigins: ['https://app.example.com']");
  });

  it('does not fire for subdomain or port wildcards', () => {
    expect(codes({ ...quiet, allowedOrigins: ['https://*.example.com', 'http://localhost:*'] })).toEqual([]);
  });
});

describe('WSGUARD_W_NULL_ORIGIN_ALLOWED', () => {
  it("fires when 'null' is listed", () => {
    expect(codes({ ...quiet, allowedOrigins: ['https://app.example.com', 'null'] })).toEqual(['WSGUARD_W_NULL_ORIGIN_ALLOWED']);
  });

  it('does not fire for ordinary origins', () => {
    expect(codes({ ...quiet, allowedOrigins: ['https://null.example.com'] })).toEqual([]);
  });
});

describe('WSGUARD_W_MISSING_ORIGIN_ALLOWED', () => {
  it('fires when allowMissingOrigin is true', () => {
    expect(only({ ...quiet, allowMissingOrigin: true }, 'WSGUARD_W_MISSING_ORIGIN_ALLOWED').message).toContain(
      '`allowMissingOrigin: false`',
    );
  });

  it('does not fire when it is false', () => {
    expect(codes({ ...quiet, allowMissingOrigin: false })).toEqual([]);
  });
});

describe('WSGUARD_W_MONITOR_IN_PRODUCTION', () => {
  it('fires for a global monitor mode and names every check', () => {
    const warning = only({ ...quiet, mode: 'monitor' }, 'WSGUARD_W_MONITOR_IN_PRODUCTION');
    expect(warning.message).toContain('origin, authentication, connectionRate');
    expect(warning.message).toContain("`mode: 'enforce'`");
  });

  it('names only the checks in monitor mode', () => {
    const one = only({ ...quiet, mode: { origin: 'monitor' } }, 'WSGUARD_W_MONITOR_IN_PRODUCTION');
    expect(one.message).toContain('let refused traffic through: origin.');
    const allButOrigin = only(
      { ...quiet, mode: { default: 'monitor', origin: 'enforce' } },
      'WSGUARD_W_MONITOR_IN_PRODUCTION',
    );
    expect(allButOrigin.message).toContain('through: authentication, connectionRate,');
    expect(allButOrigin.message).not.toMatch(/through: .*\borigin\b/);
  });

  it('does not fire outside production or when everything is enforced', () => {
    expect(codes({ mode: 'monitor' })).toEqual([]);
    expect(codes({ ...quiet, mode: 'enforce' })).toEqual([]);
    expect(codes({ ...quiet, mode: { default: 'enforce', origin: 'enforce' } })).toEqual([]);
  });
});

describe('WSGUARD_W_MEMORY_STORE_MULTIPROCESS', () => {
  it('fires with several processes and no store, giving the count', () => {
    const warning = only(quiet, 'WSGUARD_W_MEMORY_STORE_MULTIPROCESS', 4);
    expect(warning.message).toContain('4 processes');
    expect(warning.message).toContain('up to 4 times looser');
    expect(warning.message).toContain('as `store`');
  });

  it('fires with several processes and an unshared store', () => {
    expect(only({ ...quiet, store: fakeStore(false) }, 'WSGUARD_W_MEMORY_STORE_MULTIPROCESS', 2).message).toContain(
      '`memory` store',
    );
  });

  it('does not fire for a shared store or a single process', () => {
    expect(codes({ ...quiet, store: fakeStore(true) }, 8)).toEqual([]);
    expect(codes(quiet, 1)).toEqual([]);
    expect(codes(quiet)).toEqual([]);
    expect(codes({ ...quiet, store: fakeStore(false) }, 1)).toEqual([]);
  });
});

describe('WSGUARD_W_TRUST_ALL_PROXIES', () => {
  it('fires for trustProxy: true and names the fix', () => {
    const warning = only({ ...quiet, trustProxy: true }, 'WSGUARD_W_TRUST_ALL_PROXIES');
    expect(warning.message).toContain('`trustProxy: 1`');
    expect(warning.message).toContain('(true)');
  });

  it('fires for a /0 range, which trusts every address as well', () => {
    expect(only({ ...quiet, trustProxy: '10.0.0.1, 0.0.0.0/0' }, 'WSGUARD_W_TRUST_ALL_PROXIES').message).toContain(
      '(0.0.0.0/0)',
    );
    expect(codes({ ...quiet, trustProxy: ['::/0'] })).toEqual(['WSGUARD_W_TRUST_ALL_PROXIES']);
  });

  it('does not fire for false, hop counts or specific ranges', () => {
    for (const trustProxy of [false, 0, 1, 2, '10.0.0.0/8', ['127.0.0.1', '2001:db8::/32']]) {
      expect(codes({ ...quiet, trustProxy })).toEqual([]);
    }
  });
});

describe('WSGUARD_W_RATE_LIMITING_OFF', () => {
  it('fires when rate limiting is off', () => {
    expect(only({ ...quiet, rateLimitingEnabled: false }, 'WSGUARD_W_RATE_LIMITING_OFF').message).toContain(
      'Remove `rateLimitingEnabled: false`',
    );
  });

  it('does not fire when it is on or absent', () => {
    expect(codes({ ...quiet, rateLimitingEnabled: true })).toEqual([]);
    expect(codes({})).toEqual([]);
  });
});

describe('CSRF warnings', () => {
  it('fires WSGUARD_W_CSRF_SECRET_GENERATED when CSRF is on without a secret', () => {
    expect(only({ csrfEnabled: true, environment: 'development' }, 'WSGUARD_W_CSRF_SECRET_GENERATED').message).toContain('`csrfSecret`');
    expect(codes({ csrfEnabled: true, csrfSecret: 'x'.repeat(32) })).toEqual([]);
  });

  it('fires WSGUARD_W_CSRF_OFF_IN_PRODUCTION only in production', () => {
    expect(only({ ...quiet, csrfEnabled: false }, 'WSGUARD_W_CSRF_OFF_IN_PRODUCTION').message).toContain('`csrfEnabled: true`');
    expect(codes({ csrfEnabled: false })).toEqual([]);
  });
});

describe('WSGUARD_W_NO_EVENT_ALLOWLIST_IN_PRODUCTION', () => {
  const { allowedEvents: _dropped, ...withoutList } = quiet;

  it('fires in production when no list is set anywhere', () => {
    expect(only(withoutList, 'WSGUARD_W_NO_EVENT_ALLOWLIST_IN_PRODUCTION').message).toContain(
      "allowedEvents: ['chat:send', 'chat:typing']",
    );
    expect(codes({ ...withoutList, namespaces: { '/admin': { roles: ['admin'] } } })).toEqual([
      'WSGUARD_W_NO_EVENT_ALLOWLIST_IN_PRODUCTION',
    ]);
  });

  it('does not fire with a global or a namespace list, or outside production', () => {
    expect(codes({ ...withoutList, allowedEvents: [] })).toEqual([]);
    expect(codes({ ...withoutList, namespaces: { '/chat': { allowedEvents: ['chat:send'] } } })).toEqual([]);
    expect(codes({ ...withoutList, environment: 'development' })).toEqual([]);
  });
});

describe('messages', () => {
  it('fills every placeholder and names a fix in each', () => {
    const warnings = collectConfigWarnings(
      {
        environment: 'production',
        allowedOrigins: ['*', 'null'],
        allowMissingOrigin: true,
        mode: 'monitor',
        trustProxy: true,
        rateLimitingEnabled: false,
        idleTimeoutMs: 0,
      },
      { processCount: 3 },
    );
    // A generated CSRF secret and CSRF switched off cannot both happen: the first needs CSRF on.
    warnings.push(...collectConfigWarnings({ csrfEnabled: true, environment: 'development' }, {}));
    expect(warnings.map((warning) => warning.code).sort()).toEqual(Object.keys(CONFIG_WARNINGS).sort());
    for (const warning of warnings) {
      expect(warning.message).not.toMatch(/\{\w+\}/);
      // Each names the setting to change, as code.
      expect(warning.message).toMatch(/`[^`]+`/);
    }
  });
});

describe('WSGUARD_W_HARDENING_OFF', () => {
  it('names every hardening limit switched off with 0, and only those', () => {
    const warning = collectConfigWarnings({ maxBufferedBytes: 0, maxConnectionLifetimeMs: 0, idleTimeoutMs: 60_000 }, {}).find(
      (w) => w.code === 'WSGUARD_W_HARDENING_OFF',
    );
    expect(warning?.message).toContain('`maxBufferedBytes`, `maxConnectionLifetimeMs` set to 0');
    expect(warning?.message).not.toContain('`idleTimeoutMs` set');
    expect(collectConfigWarnings({ idleTimeoutMs: 1 }, {}).some((w) => w.code === 'WSGUARD_W_HARDENING_OFF')).toBe(false);
  });
});
