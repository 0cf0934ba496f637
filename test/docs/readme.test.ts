/**
 * The README is the user's first guide: its reason-code, event and config tables must say what the code does.
 * Each table sits between markers and is generated from the catalogue it documents; this test fails when one
 * drifts. `UPDATE_README=1 npx vitest run test/docs` rewrites them.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { REASON_CODES } from '../../src/codes/reason-codes.js';
import { configFieldDocs } from '../../src/config/fields.js';
import { EVENT_TYPES } from '../../src/events/catalogue.js';

const README = new URL('../../README.md', import.meta.url);

function reasonCodeTable(): string {
  const rows = Object.entries(REASON_CODES).map(
    ([code, i]) => `| \`${code}\` | ${i.status}${'permanentStatus' in i ? ` (${i.permanentStatus} when permanent)` : ''} | ${i.closeCode} | ${i.retryable ? 'yes' : 'no'} | ${i.category} | ${i.message} |`,
  );
  return ['| code | HTTP status | close code | `retryAfterMs` | category | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function eventTable(): string {
  const rows = Object.entries(EVENT_TYPES).map(([type, i]) => {
    const category = i.category === 'reason' ? 'from the reason code' : i.category;
    const severity = i.severity === 'reason' ? 'from the reason code' : i.severity;
    return `| \`${type}\` | ${category} | ${severity} | ${i.description} |`;
  });
  return ['| type | category | severity | when |', '|---|---|---|---|', ...rows].join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function configTable(): string {
  const rows = configFieldDocs().map(
    (f) => `| \`${f.key}\` | ${cell(f.type)} | ${cell(f.default)} | ${f.envVar ? `\`${f.envVar}\`` : 'code only'} | ${cell(f.description)} |`,
  );
  return ['| key | type | default | environment | what it does |', '|---|---|---|---|---|', ...rows].join('\n');
}

const SECTIONS: Record<string, () => string> = {
  'reason-codes': reasonCodeTable,
  'event-types': eventTable,
  'config-table': configTable,
};

function section(text: string, name: string): string | null {
  const start = `<!-- ${name}:start -->\n`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) return null;
  return text.slice(from + start.length, to).trim();
}

if (process.env['UPDATE_README'] === '1') {
  let text = readFileSync(README, 'utf8');
  for (const [name, build] of Object.entries(SECTIONS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from === -1 || to === -1) throw new Error(`README has no ${name} markers`);
    text = `${text.slice(0, from + start.length)}\n${build()}\n${text.slice(to)}`;
  }
  writeFileSync(README, text);
}

describe('README', () => {
  const text = readFileSync(README, 'utf8');

  for (const [name, build] of Object.entries(SECTIONS)) {
    it(`documents the ${name} exactly as the code defines them`, () => {
      expect(section(text, name)).toBe(build());
    });
  }

  it('names every reason code, every event type and every config key', () => {
    for (const code of Object.keys(REASON_CODES)) expect(text).toContain(`\`${code}\``);
    for (const type of Object.keys(EVENT_TYPES)) expect(text).toContain(`\`${type}\``);
    for (const field of configFieldDocs()) expect(text).toContain(`\`${field.key}\``);
  });

  it('states the two commands of a fresh clone', () => {
    expect(text).toContain('npm ci && npm start');
    expect(text).toContain('npm ci && npm test');
  });
});

describe('public API', () => {
  it('exports the whole reason-code catalogue and every code', () => {
    expect(api.REASON_CODES).toBe(REASON_CODES);
    expect([...api.reasonCodes].sort()).toEqual(Object.keys(REASON_CODES).sort());
    for (const code of api.reasonCodes) {
      const info = api.reasonInfo(code);
      expect(info.status).toBeGreaterThanOrEqual(400);
      expect(info.closeCode).toBeGreaterThanOrEqual(1000);
      expect(api.deny(code).code).toBe(code);
    }
  });

  it('exports the event registry and both presets', () => {
    expect([...api.securityEventTypes].sort()).toEqual(Object.keys(EVENT_TYPES).sort());
    expect(Object.keys(api.presets).sort()).toEqual(['development', 'production']);
  });
});
