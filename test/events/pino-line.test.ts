import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Severity } from '../../src/codes/reason-codes.js';
import { completeEvent } from '../../src/events/bus.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { linePrefixes, pinoLine } from '../../src/events/pino-line.js';

const LEVEL_OF = { info: 'info', warning: 'warn', high: 'error', critical: 'fatal' } as const;

/** What pino itself writes for `event` with the sink's own logger options (at `level`). */
function pinoWrites(event: SecurityEvent, level = 'info'): string {
  let written = '';
  const logger = pino({ base: null, timestamp: false, level }, { write: (line: string) => void (written += line) });
  logger[LEVEL_OF[event.severity]](event, event.type);
  return written;
}

function prefixesAt(level: string): ReturnType<typeof linePrefixes> {
  const logger = pino({ base: null, timestamp: false, level }, { write: () => undefined });
  return linePrefixes((severity: Severity) => logger.isLevelEnabled(LEVEL_OF[severity]));
}

const INFO = prefixesAt('info');

/** What the sink writes: the line, or pino's own when the line is left to pino (null). */
function sinkWrites(event: SecurityEvent): string {
  return pinoLine(event, INFO) ?? pinoWrites(event);
}

function event(fields: Record<string, unknown>): SecurityEvent {
  const base: SecurityEvent = { type: 'connection_accepted', category: 'connection', severity: 'info', time: 1_700_000_000_123 };
  return { ...base, ...fields };
}

/** Strings that exercise pino's escaping: quotes, backslashes, control characters, long strings, non-ASCII. */
const AWKWARD = [
  '',
  'plain',
  'quote " and backslash \\ inside',
  'tab\tnew\nline',
  '\u0000\u001f',
  '\u007f del',
  'é ü 漢字 🙂',
  '\u2028\u2029',
  'x'.repeat(100),
  `${'y'.repeat(101)}"`,
  `${'z'.repeat(150)}\n`,
  'a literal \\ud800 in the text',
];

describe('pinoLine', () => {
  it('writes the bytes pino writes for the guard\'s events', () => {
    const events = [
      completeEvent({ type: 'connection_accepted', ip: '203.0.113.7', userId: 'alice', sessionId: 's-1', namespace: '/', connectionId: 'c-1', detail: { transport: 'websocket' } }, 1_000),
      completeEvent({ type: 'connection_closed', ip: '2001:db8::1', namespace: '/chat', connectionId: 'c-2', detail: { reason: 'close', code: 1005, durationMs: 12 } }, 2_000),
      completeEvent({ type: 'message_refused', reason: 'message_rate_limited', ip: '203.0.113.7', event: 'echo', count: 3, detail: { stage: 'x' } }, 3_000),
      completeEvent({ type: 'internal_error', detail: { stage: 'x', error: 'boom "quoted"' } }, 4_000),
      completeEvent({ type: 'abuse_detected', severity: 'high', detail: { pattern: 'connectionFlood', actions: ['throttle', 'temp_ban'], monitor: false } }, 5_000),
    ];
    for (const e of events) expect(pinoLine(e, INFO)).toBe(pinoWrites(e));
  });

  it('writes the same bytes for awkward strings, numbers and values JSON leaves out', () => {
    const cases: Record<string, unknown>[] = [];
    for (const text of AWKWARD) {
      cases.push({ userId: text }, { detail: { message: text } }, { [text || 'k']: 1 }, { event: text, detail: { [text]: text } });
    }
    cases.push(
      { count: Number.NaN, detail: { n: Number.POSITIVE_INFINITY } },
      { count: -0, time: 1e21 },
      { count: 0.1 + 0.2 },
      { userId: undefined, sessionId: null, detail: undefined },
      { detail: { f: () => 1, s: Symbol('x'), u: undefined, arr: [undefined, () => 1, Number.NaN] } },
      { extra: () => 1, other: Symbol('x') },
      { when: new Date(0), detail: { when: new Date(1) } },
      { msg: 'own msg', level: 'own level' },
      { detail: { nested: { deeper: [1, 'two', { three: true }] } } },
      JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
    );
    for (const fields of cases) {
      const e = event(fields);
      expect(sinkWrites(e), JSON.stringify(Object.keys(fields))).toBe(pinoWrites(e));
    }
  });

  it('writes the same bytes for random strings', () => {
    // Printable ASCII, the escapes and control characters, Latin-1 and a few multi-byte characters (no lone surrogates:
    // those are pino's to write, below).
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', '\u0001', '\u001f', '\u007f', 'é', 'ÿ', '€', '漢', '🙂', '\u2028'];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let written = 0;
    for (let i = 0; i < 500; i++) {
      let text = '';
      const length = random(130);
      for (let k = 0; k < length; k++) text += alphabet[random(alphabet.length)] ?? '';
      const e = event({ userId: text, event: Array.from(text).slice(0, 20).join(''), detail: { reason: text } });
      if (pinoLine(e, INFO) !== null) written++;
      expect(sinkWrites(e)).toBe(pinoWrites(e));
    }
    // Almost all of them the fast way (a backslash followed by "ud" sends one to pino).
    expect(written).toBeGreaterThan(450);
  });

  it('leaves to pino what only pino can write exactly', () => {
    const cycle: Record<string, unknown> = { stage: 'x' };
    cycle['self'] = cycle;
    const unsure = [
      event({ detail: cycle }),
      event({ detail: { big: 10n } }),
      event({ big: 10n }),
      event({ userId: 'lone \ud800 surrogate' }),
      event({ detail: { text: '\udc00' } }),
      event({ toJSON: () => ({ replaced: true }) }),
      event({ method: 'GET', headers: {}, socket: {} }),
      event({ setHeader: () => undefined }),
      event({ severity: 'unknown' }),
      event({ type: 42 }),
    ];
    for (const e of unsure) expect(pinoLine(e, INFO)).toBeNull();
  });

  it('writes nothing for a severity below the logger\'s level, as pino does', () => {
    const prefixes = prefixesAt('error');
    const info = event({});
    const critical = event({ severity: 'critical' });
    expect(pinoLine(info, prefixes)).toBe('');
    expect(pinoWrites(info, 'error')).toBe('');
    expect(pinoLine(critical, prefixes)).toBe(pinoWrites(critical, 'error'));
    const all = prefixesAt('trace');
    expect(pinoLine(info, all)).toBe(pinoWrites(info, 'trace'));
  });
});
