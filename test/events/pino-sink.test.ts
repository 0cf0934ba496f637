import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { completeEvent } from '../../src/events/bus.js';
import { pinoSink } from '../../src/events/pino-sink.js';
import type { EventSink } from '../../src/events/sink.js';

let dir = '';
const sinks: EventSink[] = [];
afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function lines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('pinoSink', () => {
  it('writes each event as one JSON line: the event, its level from the severity, its type as msg', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsguard-pino-'));
    const path = join(dir, 'events.log');
    const sink = pinoSink({ destination: path });
    sinks.push(sink);
    const events = [
      completeEvent({ type: 'connection_accepted', ip: '203.0.113.7', userId: 'alice' }, 1_000),
      completeEvent({ type: 'message_refused', reason: 'message_rate_limited', ip: '203.0.113.7', count: 3 }, 2_000),
      completeEvent({ type: 'internal_error', detail: { stage: 'x' } }, 3_000),
    ];
    await sink.write(events);
    await sink.flush?.();
    const written = await lines(path);
    expect(written).toHaveLength(3);
    expect(written[0]).toMatchObject({ level: 30, msg: 'connection_accepted', type: 'connection_accepted', ip: '203.0.113.7', userId: 'alice', time: 1_000 });
    const levels = { info: 30, warning: 40, high: 50, critical: 60 } as const;
    expect(written.map((line) => line['level'])).toEqual(events.map((event) => levels[event.severity]));
    expect(written[1]).toMatchObject({ msg: 'message_refused', reason: 'message_rate_limited', count: 3, time: 2_000 });
    expect(written[2]).toMatchObject({ level: 60, type: 'internal_error' });
    expect(written[0]?.['level']).toBe(30);
    // pino's own fields are left out: `time` is the event's.
    expect(written[0]).not.toHaveProperty('pid');
    expect(written[0]).not.toHaveProperty('hostname');
  });

  it('keeps the batch order when an event in it is one only pino can write (a cycle in its detail)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsguard-pino-'));
    const path = join(dir, 'events.log');
    const sink = pinoSink({ destination: path });
    sinks.push(sink);
    const cycle: Record<string, unknown> = { stage: 'x' };
    cycle['self'] = cycle;
    await sink.write([
      completeEvent({ type: 'connection_accepted', connectionId: 'first' }, 1),
      completeEvent({ type: 'internal_error', connectionId: 'second', detail: cycle }, 2),
      completeEvent({ type: 'connection_closed', connectionId: 'third' }, 3),
    ]);
    await sink.flush?.();
    const written = await lines(path);
    expect(written.map((line) => line['connectionId'])).toEqual(['first', 'second', 'third']);
    // pino's safe serialiser wrote the cycle.
    expect(written[1]).toMatchObject({ level: 60, detail: { stage: 'x', self: '[Circular]' } });
  });

  it('writes nothing below its level', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsguard-pino-'));
    const path = join(dir, 'events.log');
    const sink = pinoSink({ destination: path, level: 'warn' });
    sinks.push(sink);
    await sink.write([
      completeEvent({ type: 'connection_accepted', connectionId: 'info' }, 1),
      completeEvent({ type: 'internal_error', connectionId: 'critical' }, 2),
    ]);
    await sink.flush?.();
    expect((await lines(path)).map((line) => line['connectionId'])).toEqual(['critical']);
  });

  it('buffers lines but never holds a lone one back for long', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsguard-pino-'));
    const path = join(dir, 'events.log');
    const sink = pinoSink({ destination: path });
    sinks.push(sink);
    await sink.write([completeEvent({ type: 'config_warning', detail: { code: 'X' } }, 1)]);
    // No flush call: the periodic flush writes it. Bounded wait, generous for a loaded machine.
    const deadline = Date.now() + 5_000;
    while ((await lines(path)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await lines(path)).toHaveLength(1);
  });
});
