/**
 * Startup warnings: settings that are valid but weaken the protection, each with a stable code and a message that
 * names the fix. Pure: this module only decides; the guard logs the result once per process.
 */

import { DEFAULT_CONFIG } from './defaults.js';
import { CHECK_NAMES } from './fields.js';
import { proxyEntryProblem } from './validate.js';
import type { CheckName, GuardConfig, Mode } from './types.js';

export interface ConfigWarning {
  code: string;
  message: string;
}

/**
 * The warning catalogue. Codes are stable (dashboards and log filters match them); `{name}` placeholders are filled
 * in by `collectConfigWarnings`.
 */
export const CONFIG_WARNINGS = Object.freeze({
  WSGUARD_W_ORIGIN_WILDCARD: {
    message:
      "`allowedOrigins` contains '*': any website can open a connection to this server from its visitors' browsers, " +
      "with their cookies. List your own origins instead: `allowedOrigins: ['https://app.example.com']`.",
  },
  WSGUARD_W_NULL_ORIGIN_ALLOWED: {
    message:
      "`allowedOrigins` contains 'null': sandboxed iframes and local files on any site send that origin, so any site " +
      'can open a connection with your visitors\' cookies. Allow it only for non-browser clients that need it.',
  },
  WSGUARD_W_MISSING_ORIGIN_ALLOWED: {
    message:
      '`allowMissingOrigin` is true: clients that send no Origin header (scripts, bots, native apps) skip the origin ' +
      'check. If only browsers connect, set `allowMissingOrigin: false`.',
  },
  WSGUARD_W_MONITOR_IN_PRODUCTION: {
    message:
      "`environment` is 'production' but these checks are in monitor mode and let refused traffic through: {checks}. " +
      "Set `mode: 'enforce'` once the logs show no false refusals.",
  },
  WSGUARD_W_MEMORY_STORE_MULTIPROCESS: {
    message:
      '{processCount} processes each keep their own counts in the unshared `{storeName}` store, so rate limits and ' +
      'connection caps are up to {processCount} times looser than configured. Pass a shared store ' +
      '(`store.shared === true`, e.g. Redis) as `store`.',
  },
  WSGUARD_W_TRUST_ALL_PROXIES: {
    message:
      '`trustProxy` ({value}) trusts every forwarding hop: any client can write its own X-Forwarded-For or Forwarded ' +
      'header, pick its IP and escape per-IP limits. Set the number of proxies in front of the server ' +
      "(`trustProxy: 1`) or their addresses (`trustProxy: ['10.0.0.0/8']`).",
  },
  WSGUARD_W_RATE_LIMITING_OFF: {
    message:
      '`rateLimitingEnabled` is false: connection and message floods are not limited. Remove ' +
      '`rateLimitingEnabled: false` and raise the limits that are too tight (`messageRateLimit`, `connectionRateLimit`, ' +
      '`burstLimit`) instead.',
  },
  WSGUARD_W_CSRF_SECRET_GENERATED: {
    message:
      '`csrfEnabled` is true without a `csrfSecret`: a secret was generated for this process, so tokens do not survive ' +
      'a restart and are not accepted by other processes. Set `csrfSecret` (at least 32 random characters).',
  },
  WSGUARD_W_CSRF_OFF_IN_PRODUCTION: {
    message:
      "`environment` is 'production' and `csrfEnabled` is false: a page on another site that gets past the Origin " +
      'check (a proxy that drops Origin, a listed origin with an XSS hole) can use your visitors\' sessions. Set ' +
      '`csrfEnabled: true` and a `csrfSecret`.',
  },
  WSGUARD_W_NO_EVENT_ALLOWLIST_IN_PRODUCTION: {
    message:
      "`environment` is 'production' and no `allowedEvents` list is set, globally or in any namespace: clients may " +
      "send any event name. List the events your handlers expect: `allowedEvents: ['chat:send', 'chat:typing']`.",
  },
  WSGUARD_W_HARDENING_OFF: {
    message:
      '{keys} set to 0: {what}. Set a limit instead (the presets use `maxBufferedBytes: 4194304`, `idleTimeoutMs: ' +
      '300000`, `maxConnectionLifetimeMs: 86400000`), as large as your clients need.',
  },
} as const satisfies Record<string, { readonly message: string }>);

export type ConfigWarningCode = keyof typeof CONFIG_WARNINGS;

function warning(code: ConfigWarningCode, values: Readonly<Record<string, string | number>> = {}): ConfigWarning {
  const message = CONFIG_WARNINGS[code].message.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    return value === undefined ? placeholder : String(value);
  });
  return { code, message };
}

/** The mode each check runs in: a per-check entry, else `default`, else enforce. */
export function effectiveMode(config: GuardConfig, check: CheckName): Mode {
  const mode = config.mode ?? DEFAULT_CONFIG.mode;
  if (typeof mode === 'string') return mode;
  return mode[check] ?? mode.default ?? 'enforce';
}

/** `trustProxy` values that believe any hop: `true`, or a list containing a /0 (every address). */
function trustsEveryone(trustProxy: GuardConfig['trustProxy']): string | null {
  if (trustProxy === true) return 'true';
  if (trustProxy === undefined || typeof trustProxy === 'boolean' || typeof trustProxy === 'number') return null;
  const entries = typeof trustProxy === 'string' ? trustProxy.split(',') : trustProxy;
  const everyone = entries
    .map((entry) => entry.trim())
    .find((entry) => /\/0+$/.test(entry) && proxyEntryProblem(entry) === null);
  return everyone ?? null;
}

/**
 * Warnings for a config that passed `validateConfig`, in catalogue order. `env.processCount` is how many processes
 * serve the same clients (the caller knows: cluster workers, pm2 instances); absent means one.
 */
export function collectConfigWarnings(config: GuardConfig, env: { processCount?: number }): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const production = (config.environment ?? DEFAULT_CONFIG.environment) === 'production';

  if ((config.allowedOrigins ?? DEFAULT_CONFIG.allowedOrigins).includes('*')) {
    warnings.push(warning('WSGUARD_W_ORIGIN_WILDCARD'));
  }

  if ((config.allowedOrigins ?? DEFAULT_CONFIG.allowedOrigins).includes('null')) {
    warnings.push(warning('WSGUARD_W_NULL_ORIGIN_ALLOWED'));
  }

  if (config.allowMissingOrigin ?? DEFAULT_CONFIG.allowMissingOrigin) {
    warnings.push(warning('WSGUARD_W_MISSING_ORIGIN_ALLOWED'));
  }

  if (production) {
    const monitored = CHECK_NAMES.filter((check) => effectiveMode(config, check) === 'monitor');
    if (monitored.length > 0) warnings.push(warning('WSGUARD_W_MONITOR_IN_PRODUCTION', { checks: monitored.join(', ') }));
  }

  const processCount = env.processCount ?? 1;
  if (processCount > 1 && (config.store === undefined || !config.store.shared)) {
    warnings.push(
      warning('WSGUARD_W_MEMORY_STORE_MULTIPROCESS', { processCount, storeName: config.store?.name ?? 'memory' }),
    );
  }

  const everyone = trustsEveryone(config.trustProxy ?? DEFAULT_CONFIG.trustProxy);
  if (everyone !== null) warnings.push(warning('WSGUARD_W_TRUST_ALL_PROXIES', { value: everyone }));

  if (!(config.rateLimitingEnabled ?? DEFAULT_CONFIG.rateLimitingEnabled)) {
    warnings.push(warning('WSGUARD_W_RATE_LIMITING_OFF'));
  }

  if (config.csrfEnabled === true && config.csrfSecret === undefined) {
    warnings.push(warning('WSGUARD_W_CSRF_SECRET_GENERATED'));
  }
  if (production && config.csrfEnabled !== true) {
    warnings.push(warning('WSGUARD_W_CSRF_OFF_IN_PRODUCTION'));
  }

  if (production) {
    const namespaceLists = Object.values(config.namespaces ?? {}).some((rule) => rule.allowedEvents !== undefined);
    if (config.allowedEvents === undefined && !namespaceLists) {
      warnings.push(warning('WSGUARD_W_NO_EVENT_ALLOWLIST_IN_PRODUCTION'));
    }
  }

  const off: Array<[string, string]> = [];
  if (config.maxBufferedBytes === 0) off.push(['`maxBufferedBytes`', 'a client that stops reading makes the server buffer without bound']);
  if (config.idleTimeoutMs === 0) off.push(['`idleTimeoutMs`', 'dead and idle connections are never closed']);
  if (config.maxConnectionLifetimeMs === 0) off.push(['`maxConnectionLifetimeMs`', 'a connection never has to authenticate again']);
  if (off.length > 0) {
    warnings.push(warning('WSGUARD_W_HARDENING_OFF', { keys: off.map(([key]) => key).join(', '), what: off.map(([, what]) => what).join('; ') }));
  }

  return warnings;
}
