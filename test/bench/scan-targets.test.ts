/**
 * The benchmark report's verdicts on the scanner's two speed targets (bench/lib/scan-targets.mjs), from micro rows
 * built here: each verdict, the floor beside the chat figure, and a floor above the target said to be out of reach.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

interface Row {
  readonly id: string;
  readonly label: string;
  readonly summary: { readonly median: number; readonly min?: number };
}
type ScanTargetLines = (micro: readonly Row[]) => string[];

let scanTargetLines: ScanTargetLines;
beforeAll(async () => {
  // (a path in a variable: the harness is plain JavaScript, with no declarations for the type checker)
  const file = pathToFileURL(resolve(import.meta.dirname, '../../bench/lib/scan-targets.mjs')).href;
  ({ scanTargetLines } = (await import(file)) as { scanTargetLines: ScanTargetLines });
});

const row = (id: string, label: string, median: number): Row => ({ id, label, summary: { median } });
const chat = (ns: number): Row => row('scan_chat', 'scanPayload, chat payloads { text, room }', ns);
const floor = (ns: number): Row => row('scan_floor', 'the floor', ns);
const worst = (name: string, ns: number): Row => row(`scan_worst:${name}`, `scanPayload, one 64 KB string: ${name}`, ns);

describe('scanner targets in the benchmark report', () => {
  it('meets both targets when chat is within 250 ns and every 64 KB string within 1 ms', () => {
    const lines = scanTargetLines([chat(240), floor(100), worst('<', 900_000), worst('%', 400_000)]);
    expect(lines[0]).toMatch(/^Scanner targets/);
    expect(lines[1]).toMatch(/^ {2}met {4} {2}scanPayload on chat payloads ≤ 250 ns/);
    expect(lines[1]).toContain('2.40× the bare table pass');
    expect(lines[1]).toContain('the target is 2.50× the floor here');
    expect(lines[2]).toMatch(/^ {2}met {4} {2}every 64 KB string ≤ 1 ms: 0 of 2 named strings over \(slowest: < 0\.90 ms\)/);
  });

  it('names what is over, and says when the floor itself is above the chat target', () => {
    const lines = scanTargetLines([
      { ...chat(700), summary: { median: 700, min: 520 } },
      floor(260),
      worst('<', 900_000),
      worst('+AB', 2_900_000),
      worst('a=', 1_200_000),
      row('scan_worst_sweep', 'the slowest of 1806 64 KB fills of one or two characters: "x＜"', 3_500_000),
    ]);
    expect(lines[1]).toMatch(/^ {2}NOT MET {2}scanPayload on chat payloads ≤ 250 ns \(4 M calls\/s\): 700 ns \(1\.43 M\/s\)/);
    expect(lines[1]).toContain('fastest sample 520 ns');
    expect(lines[1]).toContain('out of reach of any one-pass scan here');
    expect(lines[2]).toMatch(/^ {2}NOT MET {2}every 64 KB string ≤ 1 ms: 2 of 3 named strings over \(slowest: \+AB 2\.90 ms\)/);
    expect(lines[2]).toContain('the sweep\'s slowest fill "x＜" 3.50 ms');
  });

  it('fails the 64 KB target on the sweep alone, and prints nothing without scanner rows', () => {
    const lines = scanTargetLines([worst('<', 500_000), row('scan_worst_reordered', 'in reverse order: <', 1_100_000)]);
    expect(lines[1]).toMatch(/no chat figure/);
    expect(lines[2]).toMatch(/^ {2}NOT MET/);
    expect(scanTargetLines([row('admit_message', 'guard.admitMessage', 1400)])).toEqual([]);
  });
});
