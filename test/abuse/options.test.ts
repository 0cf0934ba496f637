import { describe, expect, it } from 'vitest';
import { ABUSE_PRESETS, abuseSettingsIssues, resolveAbuseOptions, type AbuseSettings } from '../../src/abuse/options.js';
import { PATTERN_NAMES } from '../../src/abuse/patterns.js';

describe('resolveAbuseOptions', () => {
  it('fills in the production preset and freezes the result', () => {
    const options = resolveAbuseOptions();
    expect(options.monitor).toBe(false);
    expect(options.patterns.map((p) => [p.name, p.threshold, p.windowMs])).toEqual(
      PATTERN_NAMES.map((name) => [name, ABUSE_PRESETS.production.patterns[name].threshold, ABUSE_PRESETS.production.patterns[name].windowMs]),
    );
    expect(options.suspicious).toMatchObject({ enabled: true, threshold: 100 });
    expect(Object.isFrozen(options)).toBe(true);
    expect(Object.isFrozen(options.patterns[0])).toBe(true);
    expect(Object.isFrozen(options.patterns[0]?.ladder)).toBe(true);
  });

  it('development: monitor mode, four times every threshold, never permanent', () => {
    const dev = resolveAbuseOptions({ preset: 'development' });
    expect(dev.monitor).toBe(true);
    expect(dev.suspicious.threshold).toBe(400);
    expect(dev.bans.permanentAfter).toBe(0);
    for (const pattern of dev.patterns) expect(pattern.threshold).toBe(4 * ABUSE_PRESETS.production.patterns[pattern.name].threshold);
  });

  it('lays settings over the preset, key by key; undefined keeps the default; false switches off', () => {
    const options = resolveAbuseOptions({
      monitor: true,
      suspiciousActivityThreshold: 50,
      settings: {
        patterns: { messageFlood: { threshold: 7, windowMs: undefined }, largePayloadAbuse: false },
        suspiciousActivity: { halfLifeMs: 1_000 },
        bans: { baseMs: 5_000 },
        throttle: { factor: 0.5 },
        allowList: { ips: ['10.0.0.0/8'], users: ['ops'] },
      },
    });
    const flood = options.patterns.find((p) => p.name === 'messageFlood');
    expect(flood).toMatchObject({ threshold: 7, windowMs: ABUSE_PRESETS.production.patterns.messageFlood.windowMs, enabled: true });
    expect(options.patterns.find((p) => p.name === 'largePayloadAbuse')?.enabled).toBe(false);
    expect(options.suspicious).toMatchObject({ threshold: 50, halfLifeMs: 1_000 });
    expect(options.bans).toMatchObject({ baseMs: 5_000, multiplier: 2, maxMs: ABUSE_PRESETS.production.bans.maxMs });
    expect(options.throttle).toEqual({ factor: 0.5, durationMs: ABUSE_PRESETS.production.throttle.durationMs });
    expect(options.allowList.allowsIp('10.1.1.1')).toBe(true);
    expect(options.monitor).toBe(true);
    expect(resolveAbuseOptions({ settings: { suspiciousActivity: false } }).suspicious.enabled).toBe(false);
  });

  it('refuses bad settings with one error naming every field', () => {
    const bad = {
      patterns: { messageFlood: { threshold: 0, windowMs: 10, ladder: ['ban'] }, floodOfThings: {} },
      bans: { multiplier: 0.5, permanentAfter: -1 },
      throttle: { factor: 1 },
      allowList: { ips: ['nope'], users: [''] },
      maxTrackedKeys: 1.5,
      colour: 'red',
    } as unknown as AbuseSettings;
    expect(abuseSettingsIssues(bad).map((i) => i.path)).toEqual([
      'colour',
      'patterns.floodOfThings',
      'patterns.messageFlood.threshold',
      'patterns.messageFlood.windowMs',
      'patterns.messageFlood.ladder',
      'bans.multiplier',
      'bans.permanentAfter',
      'throttle.factor',
      'allowList.ips',
      'allowList.users',
      'maxTrackedKeys',
    ]);
    expect(() => resolveAbuseOptions({ settings: bad })).toThrow(/abuse\.patterns\.messageFlood\.threshold: must be an integer from 1 to 1000000, got 0/);
    expect(() => resolveAbuseOptions({ suspiciousActivityThreshold: 0 })).toThrow(/suspiciousActivityThreshold/);
  });

  it('refuses a cap below the base length, given or from the preset', () => {
    expect(abuseSettingsIssues({ bans: { baseMs: 10_000, maxMs: 5_000 } }).map((i) => i.path)).toEqual(['bans.maxMs']);
    expect(() => resolveAbuseOptions({ settings: { bans: { maxMs: 60_000 } } })).toThrow(/bans\.maxMs/);
  });

  it('accepts every preset as settings (the presets pass their own checks)', () => {
    for (const preset of Object.values(ABUSE_PRESETS)) {
      const { patterns, suspiciousActivity, bans, throttle, offenceMemoryMs, shortSessionMs, maxTrackedKeys, sweepIntervalMs } = preset;
      expect(abuseSettingsIssues({ patterns, suspiciousActivity, bans, throttle, offenceMemoryMs, shortSessionMs, maxTrackedKeys, sweepIntervalMs })).toEqual([]);
    }
  });
});
