import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { loadConfig, mergeConfigLayers, readEnvConfig } from '../../src/config/load.js';
import { presets } from '../../src/config/presets.js';
import type { GuardConfig } from '../../src/config/types.js';
import { ConfigError, collectConfigIssues, validateConfig, type ConfigIssue } from '../../src/config/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'wsguard-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeConfigFile(contents: string): string {
  const file = join(dir, `config-${++fileCount}.json`);
  writeFileSync(file, contents);
  return file;
}

/** The issues of the ConfigError `run` throws (fails the test when it does not throw one). */
function issuesOf(run: () => unknown): readonly ConfigIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const fromEnv = (env: Record<string, string | undefined>): GuardConfig => loadConfig({ env });

describe('environment variables', () => {
  it('coerces booleans from true/false/1/0 in any case', () => {
    expect(
      fromEnv({
        WSGUARD_ALLOW_MISSING_ORIGIN: 'true',
        WSGUARD_RATE_LIMITING_ENABLED: '0',
        WSGUARD_REQUIRE_AUTHENTICATION: 'FALSE',
        WSGUARD_CSRF_ENABLED: '1',
      }),
    ).toEqual({
      allowMissingOrigin: true,
      rateLimitingEnabled: false,
      requireAuthentication: false,
      csrfEnabled: true,
    });
  });

  it('coerces numbers', () => {
    expect(fromEnv({ WSGUARD_MAX_MESSAGE_BYTES: '1024', WSGUARD_MAX_TRACKED_KEYS: '1e6' })).toEqual({
      maxMessageBytes: 1024,
      maxTrackedKeys: 1_000_000,
    });
  });

  it('splits lists on commas and trims each entry', () => {
    expect(
      fromEnv({ WSGUARD_ALLOWED_ORIGINS: 'https://a.example, https://b.example ,', WSGUARD_ALLOWED_EVENTS: 'chat:send' }),
    ).toEqual({ allowedOrigins: ['https://a.example', 'https://b.example'], allowedEvents: ['chat:send'] });
  });

  it('reads values starting with { or [ as JSON', () => {
    const config = fromEnv({
      WSGUARD_ALLOWED_ORIGINS: '["https://a.example"]',
      WSGUARD_ALLOWED_EVENTS: '[]',
      WSGUARD_NAMESPACES: '{"/admin":{"roles":["admin"]}}',
      WSGUARD_EVENTS: '{"chat:send":{"rateLimit":30,"maxBytes":2048}}',
      WSGUARD_MODE: '{"default":"monitor"}',
    });
    expect(config).toEqual({
      allowedOrigins: ['https://a.example'],
      allowedEvents: [],
      namespaces: { '/admin': { roles: ['admin'] } },
      events: { 'chat:send': { rateLimit: 30, maxBytes: 2048 } },
      mode: { default: 'monitor' },
    });
    expect(collectConfigIssues(config)).toEqual([]);
  });

  it('reads WSGUARD_TRUST_PROXY as a boolean, a hop count or addresses', () => {
    expect(fromEnv({ WSGUARD_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(fromEnv({ WSGUARD_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(fromEnv({ WSGUARD_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    // `1` is one hop, as in code, not "true".
    expect(fromEnv({ WSGUARD_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    const addresses = fromEnv({ WSGUARD_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' });
    expect(addresses.trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(collectConfigIssues(addresses)).toEqual([]);
    expect(fromEnv({ WSGUARD_TRUST_PROXY: '["::1"]' }).trustProxy).toEqual(['::1']);
  });

  it('passes strings through for enums and secrets', () => {
    expect(
      fromEnv({ WSGUARD_ENVIRONMENT: 'production', WSGUARD_PROXY_HEADER: 'forwarded', WSGUARD_CSRF_SECRET: ' s3cret ' }),
    ).toEqual({ environment: 'production', proxyHeader: 'forwarded', csrfSecret: 's3cret' });
  });

  it('treats an empty value as unset and ignores other variables', () => {
    expect(fromEnv({ WSGUARD_MAX_MESSAGE_BYTES: '', WSGUARD_ALLOWED_ORIGINS: '  ', PATH: '/bin', wsguard_x: '1' })).toEqual(
      {},
    );
  });

  it('reads mode entries from double-underscore variables', () => {
    expect(fromEnv({ WSGUARD_MODE__ORIGIN: 'monitor', WSGUARD_MODE__MESSAGE_RATE: 'monitor' }).mode).toEqual({
      origin: 'monitor',
      messageRate: 'monitor',
    });
    expect(fromEnv({ WSGUARD_MODE: 'monitor', WSGUARD_MODE__ORIGIN: 'enforce' }).mode).toEqual({
      default: 'monitor',
      origin: 'enforce',
    });
    expect(fromEnv({ WSGUARD_MODE__DEFAULT: 'monitor' }).mode).toEqual({ default: 'monitor' });
    expect(fromEnv({ WSGUARD_MODE: 'monitor' }).mode).toBe('monitor');
  });

  it('refuses nested keys other than mode checks, with a suggestion', () => {
    const issues = issuesOf(() =>
      fromEnv({ WSGUARD_MODE__ORGIN: 'monitor', WSGUARD_MAX_MESSAGE_BYTES__EVENT: '1', WSGUARD_MODE__ORIGIN__X: 'a' }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'WSGUARD_MODE__ORGIN',
      'WSGUARD_MAX_MESSAGE_BYTES__EVENT',
      'WSGUARD_MODE__ORIGIN__X',
    ]);
    expect(issues[0]?.message).toContain('did you mean `WSGUARD_MODE__ORIGIN`?');
  });

  it('refuses unknown WSGUARD_ variables with a suggestion', () => {
    const issues = issuesOf(() =>
      fromEnv({ WSGUARD_MAX_MESAGE_BYTES: '1', WSGUARD_ALLOWED_ORIGIN: 'https://a.example', WSGUARD_NOPE: 'x' }),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'WSGUARD_MAX_MESAGE_BYTES',
        message: expect.stringContaining('did you mean `WSGUARD_MAX_MESSAGE_BYTES`?') as unknown,
      }),
      expect.objectContaining({
        path: 'WSGUARD_ALLOWED_ORIGIN',
        message: expect.stringContaining('did you mean `WSGUARD_ALLOWED_ORIGINS`?') as unknown,
      }),
      { path: 'WSGUARD_NOPE', message: 'is not a wsguard variable' },
    ]);
    expect(issuesOf(() => fromEnv({ WSGUARD_MODE_ORIGIN: 'monitor' }))[0]?.message).toContain(
      '`WSGUARD_MODE__ORIGIN`',
    );
  });

  it('refuses code-only keys, naming them', () => {
    const issues = issuesOf(() =>
      fromEnv({
        WSGUARD_AUTHENTICATE: 'verify',
        WSGUARD_STORE: 'redis',
        WSGUARD_SINKS: '[]',
        WSGUARD_NOW: '0',
        WSGUARD_EVENTS: '{"chat:send":{"schema":{"type":"object"}}}',
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'WSGUARD_AUTHENTICATE',
      'WSGUARD_STORE',
      'WSGUARD_SINKS',
      'WSGUARD_NOW',
      'WSGUARD_EVENTS',
    ]);
    expect(issues[0]?.message).toContain('`authenticate` is a function and can only be set in code');
    expect(issues[1]?.message).toContain('`store` is a live object');
    expect(issues[4]?.message).toContain('`events["chat:send"].schema` can only be set in code');
  });

  it('refuses values it cannot coerce, all in one error', () => {
    const issues = issuesOf(() =>
      fromEnv({
        WSGUARD_ALLOW_MISSING_ORIGIN: 'yes',
        WSGUARD_MAX_MESSAGE_BYTES: '12abc',
        WSGUARD_BURST_LIMIT: '0x10',
        WSGUARD_EVENTS: 'chat:send',
        WSGUARD_NAMESPACES: '{"/a":',
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'WSGUARD_ALLOW_MISSING_ORIGIN',
      'WSGUARD_MAX_MESSAGE_BYTES',
      'WSGUARD_BURST_LIMIT',
      'WSGUARD_EVENTS',
      'WSGUARD_NAMESPACES',
    ]);
    expect(issues[0]).toMatchObject({ message: 'must be true, false, 1 or 0', received: '"yes"' });
    expect(issues[3]?.message).toContain('must be a JSON object');
    expect(issues[4]?.message).toContain('not valid JSON');
  });

  it('never echoes a secret that fails to parse', () => {
    const error = (() => {
      try {
        fromEnv({ WSGUARD_CSRF_SECRET: '[not-json-secret-value' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).not.toContain('not-json-secret-value');
  });

  it('leaves range checks to validateConfig', () => {
    const config = fromEnv({ WSGUARD_MAX_MESSAGE_BYTES: '-1' });
    expect(config).toEqual({ maxMessageBytes: -1 });
    expect(() => validateConfig(config)).toThrow(ConfigError);
  });

  it('reads process.env when no env is given', () => {
    process.env.WSGUARD_IPV6_PREFIX = '48';
    try {
      expect(loadConfig({}).ipv6Prefix).toBe(48);
    } finally {
      delete process.env.WSGUARD_IPV6_PREFIX;
    }
  });
});

describe('config file', () => {
  it('loads a JSON object', () => {
    const file = writeConfigFile(JSON.stringify({ maxMessageBytes: 2048, mode: { origin: 'monitor' } }));
    expect(loadConfig({ file, env: {} })).toEqual({ maxMessageBytes: 2048, mode: { origin: 'monitor' } });
  });

  it('takes the path from WSGUARD_CONFIG_FILE, and options.file over it', () => {
    const fromVariable = writeConfigFile('{"maxMessageBytes": 1}');
    const fromOption = writeConfigFile('{"maxMessageBytes": 2}');
    expect(loadConfig({ env: { WSGUARD_CONFIG_FILE: fromVariable } }).maxMessageBytes).toBe(1);
    expect(loadConfig({ file: fromOption, env: { WSGUARD_CONFIG_FILE: fromVariable } }).maxMessageBytes).toBe(2);
  });

  it('refuses a file that is not valid JSON, naming it', () => {
    const file = writeConfigFile('{ maxMessageBytes: 1 }');
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toContain(file);
    expect(issues[0]?.message).toContain('is not valid JSON');
  });

  it('refuses a file that holds no object, naming it', () => {
    for (const contents of ['[]', 'null', '42', '"x"']) {
      const file = writeConfigFile(contents);
      const issues = issuesOf(() => loadConfig({ file, env: {} }));
      expect(issues[0]?.path).toContain(file);
      expect(issues[0]?.message).toContain('must hold a JSON object');
    }
  });

  it('refuses a missing file, saying where its path came from', () => {
    const file = join(dir, 'missing.json');
    const issues = issuesOf(() => loadConfig({ env: { WSGUARD_CONFIG_FILE: file } }));
    expect(issues[0]?.path).toBe(`config file ${file} (from WSGUARD_CONFIG_FILE)`);
    expect(issues[0]?.message).toContain('cannot be read');
  });

  it('refuses code-only keys in the file', () => {
    const file = writeConfigFile(
      JSON.stringify({ store: { name: 'redis' }, authenticate: 'verify', events: { e: { schema: {} } } }),
    );
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    expect(issues.map((issue) => issue.message)).toEqual([
      expect.stringContaining('`store` is a live object and can only be set in code'),
      expect.stringContaining('`authenticate` is a function and can only be set in code'),
      expect.stringContaining('`events["e"].schema` can only be set in code'),
    ]);
  });

  it('reports file and environment problems together', () => {
    const file = writeConfigFile('nope');
    const issues = issuesOf(() => loadConfig({ file, env: { WSGUARD_NOPE: '1' } }));
    expect(issues).toHaveLength(2);
  });

  it('keeps __proto__ an own key (reported by validation), never a prototype', () => {
    const file = writeConfigFile('{"__proto__": {"requireAuthentication": false}, "maxMessageBytes": 5}');
    const config = loadConfig({ file, env: {} });
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(config.requireAuthentication).toBeUndefined();
    expect(collectConfigIssues(config).map((issue) => issue.path)).toEqual(['__proto__']);
  });
});

describe('presets', () => {
  it('uses options.preset, else WSGUARD_PRESET, options first', () => {
    expect(loadConfig({ preset: 'production', env: {} })).toEqual(presets.production);
    expect(loadConfig({ env: { WSGUARD_PRESET: 'development' } })).toEqual(presets.development);
    expect(loadConfig({ preset: 'production', env: { WSGUARD_PRESET: 'development' } }).environment).toBe('production');
  });

  it('uses no preset when none is named', () => {
    expect(loadConfig({ env: {} })).toEqual({});
  });

  it('refuses an unknown preset name with a suggestion', () => {
    const issues = issuesOf(() => loadConfig({ env: { WSGUARD_PRESET: 'prodution' } }));
    expect(issues[0]).toMatchObject({ path: 'WSGUARD_PRESET', received: '"prodution" (string)' });
    expect(issues[0]?.message).toContain('did you mean `production`?');
  });

  it('validates the production preset from the environment once the code adds origins and authenticate', () => {
    const config = loadConfig({
      env: { WSGUARD_PRESET: 'production', WSGUARD_ALLOWED_ORIGINS: 'https://app.example.com', WSGUARD_CSRF_SECRET: 's'.repeat(40) },
      config: { authenticate: () => ({ userId: 'u', roles: [] }) },
    });
    expect(collectConfigIssues(config)).toEqual([]);
  });
});

describe('precedence', () => {
  it('takes code over environment over file over preset', () => {
    // The production preset sets maxMessageBytes to 65536.
    const file = writeConfigFile('{"maxMessageBytes": 2048}');
    const env = { WSGUARD_MAX_MESSAGE_BYTES: '4096' };
    const config = { maxMessageBytes: 8192 };
    expect(loadConfig({ preset: 'production', file, env, config }).maxMessageBytes).toBe(8192);
    expect(loadConfig({ preset: 'production', file, env }).maxMessageBytes).toBe(4096);
    expect(loadConfig({ preset: 'production', file, env: {} }).maxMessageBytes).toBe(2048);
    expect(loadConfig({ preset: 'production', env: {} }).maxMessageBytes).toBe(65_536);
  });

  it('keeps the other keys of each layer', () => {
    const file = writeConfigFile('{"ipv6Prefix": 48}');
    const config = loadConfig({
      preset: 'development',
      file,
      env: { WSGUARD_BURST_LIMIT: '7' },
      config: { authTimeoutMs: 100 },
    });
    expect(config).toMatchObject({ environment: 'development', ipv6Prefix: 48, burstLimit: 7, authTimeoutMs: 100 });
  });

  it('does not let an undefined in code hide a lower layer', () => {
    expect(
      loadConfig({ env: { WSGUARD_MAX_MESSAGE_BYTES: '4096' }, config: { maxMessageBytes: undefined } }).maxMessageBytes,
    ).toBe(4096);
  });

  it('merges mode objects per check', () => {
    const file = writeConfigFile('{"mode": "monitor"}');
    const config = loadConfig({
      file,
      env: { WSGUARD_MODE__ORIGIN: 'enforce' },
      config: { mode: { messageRate: 'enforce' } },
    });
    expect(config.mode).toEqual({ default: 'monitor', origin: 'enforce', messageRate: 'enforce' });
  });

  it('lets a single mode replace per-check entries below it', () => {
    expect(loadConfig({ env: { WSGUARD_MODE__ORIGIN: 'monitor' }, config: { mode: 'enforce' } }).mode).toBe('enforce');
  });

  it('merges namespaces and events per entry, replacing an entry whole', () => {
    const file = writeConfigFile(
      JSON.stringify({
        events: { 'chat:send': { rateLimit: 10, maxBytes: 100 }, ping: { rateLimit: 5 } },
        namespaces: { '/admin': { roles: ['admin'] } },
      }),
    );
    const config = loadConfig({
      file,
      env: { WSGUARD_NAMESPACES: '{"/ops":{"roles":["ops"]}}' },
      config: { events: { 'chat:send': { rateLimit: 30 } } },
    });
    expect(config.events).toEqual({ 'chat:send': { rateLimit: 30 }, ping: { rateLimit: 5 } });
    expect(config.namespaces).toEqual({ '/admin': { roles: ['admin'] }, '/ops': { roles: ['ops'] } });
  });

  it('does not modify its inputs', () => {
    const code: GuardConfig = { events: { a: { rateLimit: 1 } } };
    const lower = { events: { b: { rateLimit: 2 } } };
    const merged = mergeConfigLayers([lower, code]);
    expect(merged.events).toEqual({ a: { rateLimit: 1 }, b: { rateLimit: 2 } });
    expect(code).toEqual({ events: { a: { rateLimit: 1 } } });
    expect(lower).toEqual({ events: { b: { rateLimit: 2 } } });
  });

  it('keeps functions and objects from code', () => {
    const authenticate = (): null => null;
    const sink = { name: 's', write: (): void => undefined };
    const config = loadConfig({ preset: 'development', env: {}, config: { authenticate, sinks: [sink] } });
    expect(config.authenticate).toBe(authenticate);
    expect(config.sinks?.[0]).toBe(sink);
  });
});

describe('readEnvConfig', () => {
  it('appends problems to the given list instead of throwing', () => {
    const issues: ConfigIssue[] = [];
    expect(readEnvConfig({ WSGUARD_NOPE: '1', WSGUARD_BURST_LIMIT: '3' }, issues)).toEqual({ burstLimit: 3 });
    expect(issues).toHaveLength(1);
  });
});
