import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { completeEvent } from '../../src/events/bus.js';
import type { SecurityEvent, SecurityEventInput } from '../../src/events/catalogue.js';
import { formatCef, formatSyslog, syslogSink, type SyslogSink } from '../../src/events/alerts/index.js';

const ev = (input: Partial<SecurityEventInput> = {}): SecurityEvent =>
  completeEvent({ type: 'admin_alert', ip: '10.0.0.1', ...input }, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});
function track<T extends SyslogSink>(sink: T): T {
  cleanups.push(() => sink.close());
  return sink;
}

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) - (.*)$/s;
type Fields = [string, string, string, string, string, string, string, string];
function rfc(line: string | undefined): Fields {
  const m = RFC5424.exec(line ?? '');
  if (!m) throw new Error(`not an RFC 5424 line: ${String(line)}`);
  return Array.from({ length: 8 }, (_, i) => m[i] ?? '') as Fields;
}

describe('formatCef', () => {
  it('writes the header and the extension of an event', () => {
    const line = formatCef(
      ev({
        type: 'connection_refused',
        reason: 'connection_rate_limited',
        userId: 'u1',
        namespace: '/chat',
        event: 'send',
        count: 4,
      }),
      { productVersion: '0.1.0' },
    );
    expect(line).toBe(
      `CEF:0|wsguard|wsguard|0.1.0|connection_refused|connection_rate_limited|5|rt=${Date.UTC(2026, 0, 2, 3, 4, 5, 678)} src=10.0.0.1 suser=u1 act=connection_rate_limited cs1Label=namespace cs1=/chat cs2Label=event cs2=send cnt=4`,
    );
  });

  it('maps severities to 3, 5, 8 and 10 and defaults the version to 1', () => {
    const sev = (severity: SecurityEvent['severity']) => formatCef(ev({ severity })).split('|')[6];
    expect([sev('info'), sev('warning'), sev('high'), sev('critical')]).toEqual(['3', '5', '8', '10']);
    expect(formatCef(ev()).split('|').slice(0, 6)).toEqual(['CEF:0', 'wsguard', 'wsguard', '1', 'admin_alert', 'admin_alert']);
  });

  it('escapes backslash, equals and newlines in extension values, and pipes stay literal there', () => {
    const line = formatCef(ev({ userId: 'a=b\\c|d\r\ne\nf', namespace: '/x=1', ip: undefined }));
    expect(line).toContain(String.raw`suser=a\=b\\c|d\r\ne\nf `);
    expect(line).toContain(String.raw`cs1=/x\=1`);
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).not.toContain('src=');
  });

  it('escapes backslash and pipe in header fields, and a newline becomes a space', () => {
    const line = formatCef({ ...ev(), type: 'a|b\\c\nd' as SecurityEvent['type'] }, { productVersion: '1|2' });
    expect(line.startsWith(String.raw`CEF:0|wsguard|wsguard|1\|2|a\|b\\c d|a\|b\\c d|8|`)).toBe(true);
  });

  it('adds the detail as escaped JSON in cs3, and survives a cyclic detail', () => {
    expect(formatCef(ev({ detail: { k: 'a=b' } }))).toContain(String.raw`cs3Label=detail cs3={"k":"a\=b"}`);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(formatCef(ev({ detail: cyclic }))).toContain('cs3={"unserializable":true}');
  });
});

describe('formatSyslog', () => {
  it('writes an RFC 5424 line', () => {
    const line = formatSyslog(ev({ type: 'internal_error' }), { hostname: 'host one', appName: 'wsguard', format: 'json' });
    const m = rfc(line);
    expect(m).not.toBeNull();
    // facility 13 (log audit) * 8 + severity 2 (critical)
    expect(m[1]).toBe(String(13 * 8 + 2));
    expect(m[2]).toBe('2026-01-02T03:04:05.678Z');
    expect(m[3]).toBe('hostone');
    expect(m[4]).toBe('wsguard');
    expect(m[5]).toBe(String(process.pid));
    expect(m[6]).toBe('internal_error');
    expect((JSON.parse(m[7]) as SecurityEvent).type).toBe('internal_error');
  });
});

describe('syslogSink over UDP', () => {
  async function receiver(): Promise<{ socket: UdpSocket; port: number; lines: string[] }> {
    const socket = createSocket('udp4');
    const lines: string[] = [];
    socket.on('message', (msg) => lines.push(msg.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => socket.close());
    return { socket, port: socket.address().port, lines };
  }

  it('sends one well-formed RFC 5424 datagram per selected event', async () => {
    const r = await receiver();
    const sink = track(syslogSink({ port: r.port, protocol: 'udp', format: 'cef', facility: 10, appName: 'my app' }));
    sink.write([ev({ type: 'connection_accepted' }), ev({ userId: 'u=1' }), ev({ type: 'internal_error' })]);
    await sink.flush();
    await until(() => r.lines.length === 2);
    const m = rfc(r.lines[0]);
    expect(m).not.toBeNull();
    expect(m[1]).toBe(String(10 * 8 + 3)); // admin_alert is high -> error (3)
    expect(m[2]).toBe('2026-01-02T03:04:05.678Z');
    expect(m[4]).toBe('myapp');
    expect(m[6]).toBe('admin_alert');
    expect(m[7]).toMatch(/^CEF:0\|wsguard\|wsguard\|1\|admin_alert\|admin_alert\|8\|rt=\d+ src=10\.0\.0\.1 suser=u\\=1$/);
    expect(rfc(r.lines[1])[6]).toBe('internal_error');
    expect(sink.stats()).toMatchObject({ sent: 2, queued: 0, sendErrors: 0 });
  });

  it('keeps the queue bounded and reports drops first', async () => {
    const r = await receiver();
    const sink = track(syslogSink({ port: r.port, protocol: 'udp', format: 'json', queueSize: 5 }));
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) sink.write([ev({ detail: { n: i } })]);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(sink.stats()).toMatchObject({ queued: 5, dropped: 995 });
    await sink.flush();
    await until(() => r.lines.length === 6);
    const events = r.lines.map((l) => JSON.parse(rfc(l)[7]) as SecurityEvent);
    expect(events[0]).toMatchObject({ type: 'events_dropped', detail: { count: 995 } });
    expect(events.slice(1).map((e) => e.detail?.['n'])).toEqual([995, 996, 997, 998, 999]);
  });
});

describe('syslogSink over TCP', () => {
  async function collector(): Promise<{ server: Server; port: number; data: () => string; sockets: Socket[] }> {
    const chunks: Buffer[] = [];
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    return { server, port: (server.address() as AddressInfo).port, data: () => Buffer.concat(chunks).toString('utf8'), sockets };
  }

  /** Parse RFC 6587 octet-counted frames; throws if the framing is wrong. */
  function frames(text: string): string[] {
    const buf = Buffer.from(text, 'utf8');
    const out: string[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const space = buf.indexOf(0x20, pos);
      const len = Number(buf.subarray(pos, space).toString('ascii'));
      if (!Number.isSafeInteger(len) || len <= 0) throw new Error(`bad frame length at ${pos}`);
      out.push(buf.subarray(space + 1, space + 1 + len).toString('utf8'));
      pos = space + 1 + len;
    }
    return out;
  }

  it('sends octet-counted RFC 5424 frames', async () => {
    const c = await collector();
    const sink = track(syslogSink({ port: c.port, protocol: 'tcp', format: 'cef' }));
    sink.write([ev({ userId: 'ü=1' }), ev({ type: 'internal_error', detail: { msg: 'a\nb' } })]);
    await sink.flush();
    await until(() => frames(c.data()).length === 2);
    const [a, b] = frames(c.data());
    expect(rfc(a)[7]).toContain('suser=ü\\=1');
    expect(rfc(b)[6]).toBe('internal_error');
    expect(b).not.toContain('\n');
    expect(sink.stats()).toMatchObject({ connected: true, connects: 1, sent: 2 });
  });

  it('reconnects with backoff when the collector is down, then delivers', async () => {
    const c = await collector();
    const port = c.port;
    await new Promise<void>((resolve) => c.server.close(() => resolve()));
    const sink = track(syslogSink({ port, protocol: 'tcp', format: 'json', backoffMs: 200 }));
    expect(() => sink.write([ev()])).not.toThrow();
    await sink.flush(); // one failed connect
    expect(sink.stats()).toMatchObject({ connects: 1, connectFailures: 1, connected: false, queued: 1 });
    await sleep(300);
    // 0 ms, then 200 ms, then 400 ms later: few attempts
    expect(sink.stats().connects).toBeLessThanOrEqual(3);

    const received: Buffer[] = [];
    const server = createServer((socket) => {
      socket.on('data', (d: Buffer) => received.push(d));
      cleanups.push(() => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => server.close());
    await until(() => received.length > 0, 3000);
    const lines = frames(Buffer.concat(received).toString('utf8'));
    expect(lines).toHaveLength(1);
    expect(rfc(lines[0])[6]).toBe('admin_alert');
    expect(sink.stats().connected).toBe(true);
  });

  it('reconnects after the collector drops the connection', async () => {
    const c = await collector();
    const sink = track(syslogSink({ port: c.port, protocol: 'tcp', format: 'json', backoffMs: 50 }));
    sink.write([ev({ detail: { n: 1 } })]);
    await sink.flush();
    await until(() => frames(c.data()).length === 1);
    for (const s of c.sockets) s.destroy();
    await until(() => !sink.stats().connected);
    sink.write([ev({ detail: { n: 2 } })]);
    await until(() => frames(c.data()).length === 2);
    expect(sink.stats().connects).toBe(2);
  });
});

describe('syslogSink options', () => {
  it('validates', () => {
    expect(() => syslogSink({ protocol: 'sctp' as 'udp', format: 'cef' })).toThrow(TypeError);
    expect(() => syslogSink({ protocol: 'udp', format: 'xml' as 'cef' })).toThrow(TypeError);
    expect(() => syslogSink({ protocol: 'udp', format: 'cef', facility: 24 })).toThrow(RangeError);
    expect(() => syslogSink({ protocol: 'udp', format: 'cef', port: 70000 })).toThrow(RangeError);
  });
});
