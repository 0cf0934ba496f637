/**
 * The syslog alert sink: selected security events as RFC 5424 lines
 * (`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`, MSG a CEF line or the event as JSON), for a SIEM.
 *
 * UDP is fire-and-forget (one datagram per event). TCP uses RFC 6587 octet-counting framing (`<length> <line>`)
 * over one connection; when it breaks or cannot be opened, the sink reconnects with exponential backoff (1 s,
 * doubling to 60 s, reset by a successful connect). Delivery is at-most-once: lines in a connection that breaks may
 * be lost.
 *
 * `write` only filters and queues (never blocks, never throws); past `queueSize` waiting events the oldest are
 * dropped and counted, and the next line sent is an `events_dropped` event with `detail.count`.
 */

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, isIPv6, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { Severity } from '../../codes/reason-codes.js';
import type { SecurityEvent } from '../catalogue.js';
import type { EventSink } from '../sink.js';
import { formatCef } from './cef.js';
import { serializableEvent } from '../serializable.js';
import { AlertQueue, alertFilter, droppedEvent, positiveInt, type AlertFilterOptions } from './filter.js';

export interface SyslogFormatOptions {
  /** Syslog facility (0-23). Default 13 (log audit). */
  readonly facility?: number;
  /** APP-NAME field. Default `'wsguard'`. */
  readonly appName?: string;
  /** HOSTNAME field. Default `os.hostname()`. */
  readonly hostname?: string;
  /** MSG: a CEF line or the event as JSON. Default `'cef'`. */
  readonly format?: 'cef' | 'json';
  /** CEF Device Version. Default `'1'`. */
  readonly productVersion?: string;
}

export interface SyslogSinkOptions extends AlertFilterOptions, SyslogFormatOptions {
  /** Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Default 514. */
  readonly port?: number;
  readonly protocol: 'udp' | 'tcp';
  readonly format: 'cef' | 'json';
  /** Events waiting to be sent before the oldest are dropped (and counted). Default 1000. */
  readonly queueSize?: number;
  /** TCP: a connect not done within this time fails. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** TCP: first reconnect delay, doubling on each failure. Default 1000 ms. */
  readonly backoffMs?: number;
  /** TCP: longest reconnect delay. Default 60 000 ms. */
  readonly maxBackoffMs?: number;
  /** Clock for `events_dropped` events. Default `Date.now`. */
  readonly now?: () => number;
}

export interface SyslogSinkStats {
  /** Events waiting to be sent (at most `queueSize`). */
  readonly queued: number;
  /** Lines handed to the socket and confirmed written. */
  readonly sent: number;
  /** Lines the socket reported an error for. */
  readonly sendErrors: number;
  /** TCP connects attempted and failed (a refused or timed-out connect, or a connection that broke). */
  readonly connects: number;
  readonly connectFailures: number;
  readonly connected: boolean;
  readonly dropped: number;
  readonly droppedAfterClose: number;
  readonly lastError: string | null;
}

export interface SyslogSink extends EventSink {
  /** Filter and queue; never blocks, never throws. */
  write(events: readonly SecurityEvent[]): void;
  /** Send what is queued (TCP: connecting now, skipping a backoff wait); resolves when written or a connect failed. */
  flush(): Promise<void>;
  /** Stop timers and close the socket; events still queued are not sent (the guard flushes first). */
  close(): void;
  stats(): SyslogSinkStats;
}

/** RFC 5424 severity of each wsguard severity. */
const SYSLOG_SEVERITY: Readonly<Record<Severity, number>> = { info: 6, warning: 4, high: 3, critical: 2 };

/** An RFC 5424 header field: printable US-ASCII without spaces, at most `max` characters, `-` when empty. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** One RFC 5424 line (no framing, no trailing newline) for a security event. */
export function formatSyslog(event: SecurityEvent, options: SyslogFormatOptions = {}): string {
  const facility = options.facility ?? 13;
  const severity = SYSLOG_SEVERITY[event.severity] ?? SYSLOG_SEVERITY.warning;
  const time = typeof event.time === 'number' && Number.isFinite(event.time) ? new Date(event.time) : null;
  const timestamp = time && !Number.isNaN(time.getTime()) ? time.toISOString() : '-';
  const msg = options.format === 'json' ? JSON.stringify(serializableEvent(event)) : formatCef(event, options);
  return [
    `<${facility * 8 + severity}>1`,
    timestamp,
    headerField(options.hostname ?? osHostname(), 255),
    headerField(options.appName ?? 'wsguard', 48),
    headerField(String(process.pid), 128),
    headerField(typeof event.type === 'string' ? event.type : '-', 32),
    '-',
    msg,
  ].join(' ');
}

class NetSyslogSink implements SyslogSink {
  readonly name = 'syslog';
  readonly #host: string;
  readonly #port: number;
  readonly #protocol: 'udp' | 'tcp';
  readonly #format: SyslogFormatOptions;
  readonly #accept: (event: SecurityEvent) => boolean;
  readonly #now: () => number;
  readonly #queue: AlertQueue;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;

  #udp: UdpSocket | null = null;
  #tcp: Socket | null = null;
  #connected = false;
  #blocked = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryDelay: number;
  #kickScheduled = false;
  /** Lines handed to the socket whose callback has not come yet. */
  #pending = 0;
  #waiters: (() => void)[] = [];
  #closed = false;

  #sent = 0;
  #sendErrors = 0;
  #connects = 0;
  #connectFailures = 0;
  #droppedAfterClose = 0;
  #lastError: string | null = null;

  constructor(options: SyslogSinkOptions) {
    if (options.protocol !== 'udp' && options.protocol !== 'tcp') throw new TypeError("syslogSink: protocol must be 'udp' or 'tcp'");
    if (options.format !== 'cef' && options.format !== 'json') throw new TypeError("syslogSink: format must be 'cef' or 'json'");
    this.#host = options.host ?? '127.0.0.1';
    this.#port = positiveInt('syslogSink', 'port', options.port ?? 514, 1);
    if (this.#port > 65535) throw new RangeError('syslogSink: port must be <= 65535');
    const facility = positiveInt('syslogSink', 'facility', options.facility ?? 13, 0);
    if (facility > 23) throw new RangeError('syslogSink: facility must be <= 23');
    this.#protocol = options.protocol;
    this.#format = {
      facility,
      appName: options.appName ?? 'wsguard',
      hostname: options.hostname ?? osHostname(),
      format: options.format,
      productVersion: options.productVersion ?? '1',
    };
    this.#queue = new AlertQueue(positiveInt('syslogSink', 'queueSize', options.queueSize ?? 1000, 1));
    this.#timeoutMs = positiveInt('syslogSink', 'timeoutMs', options.timeoutMs ?? 5000, 1);
    this.#backoffMs = positiveInt('syslogSink', 'backoffMs', options.backoffMs ?? 1000, 1);
    this.#maxBackoffMs = positiveInt('syslogSink', 'maxBackoffMs', options.maxBackoffMs ?? 60_000, this.#backoffMs);
    this.#retryDelay = this.#backoffMs;
    this.#accept = alertFilter(options);
    this.#now = options.now ?? Date.now;
  }

  write(events: readonly SecurityEvent[]): void {
    try {
      for (const event of events) {
        if (this.#closed) this.#droppedAfterClose++;
        else if (this.#accept(event)) this.#queue.push(event);
      }
    } catch {
      // Not an array of events: nothing to send.
    }
    if (this.#closed || this.#kickScheduled || !this.#queue.hasWork) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      this.#pump();
    });
  }

  flush(): Promise<void> {
    if (this.#closed || this.#idle()) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (this.#protocol === 'tcp' && !this.#tcp && this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    this.#pump();
    return done;
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#tcp?.destroy();
    this.#tcp = null;
    this.#connected = false;
    try {
      this.#udp?.close();
    } catch {
      // Already closed.
    }
    this.#udp = null;
    this.#settle();
  }

  stats(): SyslogSinkStats {
    return {
      queued: this.#queue.length,
      sent: this.#sent,
      sendErrors: this.#sendErrors,
      connects: this.#connects,
      connectFailures: this.#connectFailures,
      connected: this.#connected,
      dropped: this.#queue.dropped,
      droppedAfterClose: this.#droppedAfterClose,
      lastError: this.#lastError,
    };
  }

  #idle(): boolean {
    return !this.#queue.hasWork && this.#pending === 0;
  }

  /** The next framed line to send, with the drop report first. */
  #nextLine(): string | null {
    const drops = this.#queue.takeDrops();
    const event = drops > 0 ? droppedEvent(drops, this.name, this.#now()) : this.#queue.take(1)[0];
    if (event === undefined) return null;
    try {
      return formatSyslog(event, this.#format);
    } catch {
      this.#sendErrors++;
      return '';
    }
  }

  #pump(): void {
    if (this.#closed) return;
    if (this.#protocol === 'udp') this.#pumpUdp();
    else this.#pumpTcp();
    if (this.#idle()) this.#settle();
  }

  #pumpUdp(): void {
    if (!this.#udp) {
      const socket = createSocket(isIPv6(this.#host) ? 'udp6' : 'udp4');
      socket.on('error', (error) => {
        this.#lastError = error.message;
      });
      socket.unref();
      this.#udp = socket;
    }
    const socket = this.#udp;
    // Fire-and-forget, but never more than queueSize datagrams waiting in the socket either.
    while (this.#pending < this.#queue.capacity) {
      const line = this.#nextLine();
      if (line === null) break;
      if (line === '') continue;
      this.#pending++;
      try {
        socket.send(Buffer.from(line, 'utf8'), this.#port, this.#host, (error) => this.#sendDone(error));
      } catch (error) {
        this.#sendDone(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  #sendDone(error: Error | null | undefined): void {
    this.#pending--;
    if (error) {
      this.#sendErrors++;
      this.#lastError = error.message;
    } else this.#sent++;
    if (this.#closed) return;
    if (this.#queue.hasWork && this.#protocol === 'udp') this.#pumpUdp();
    if (this.#idle()) this.#settle();
  }

  #pumpTcp(): void {
    if (!this.#tcp) {
      if (!this.#retryTimer) this.#connect();
      return;
    }
    if (!this.#connected || this.#blocked) return;
    const socket = this.#tcp;
    for (;;) {
      const line = this.#nextLine();
      if (line === null) break;
      if (line === '') continue;
      const bytes = Buffer.from(line, 'utf8');
      this.#pending++;
      const more = socket.write(Buffer.concat([Buffer.from(`${bytes.length} `, 'ascii'), bytes]), (error) =>
        this.#sendDone(error ?? null),
      );
      if (!more) {
        this.#blocked = true;
        socket.once('drain', () => {
          this.#blocked = false;
          this.#pump();
        });
        break;
      }
    }
  }

  #connect(): void {
    this.#connects++;
    const socket = createConnection({ host: this.#host, port: this.#port });
    this.#tcp = socket;
    let wasConnected = false;
    socket.unref();
    socket.setTimeout(this.#timeoutMs, () => {
      if (!wasConnected) socket.destroy(new Error(`connect timeout after ${this.#timeoutMs} ms`));
    });
    socket.on('connect', () => {
      wasConnected = true;
      socket.setTimeout(0);
      this.#connected = true;
      this.#retryDelay = this.#backoffMs;
      this.#pump();
    });
    // The collector has nothing to say; read and discard so its bytes do not pile up.
    socket.on('data', () => undefined);
    socket.on('error', (error) => {
      this.#lastError = error.message;
    });
    socket.on('close', () => {
      if (this.#tcp !== socket) return;
      this.#tcp = null;
      this.#connected = false;
      this.#blocked = false;
      this.#connectFailures++;
      if (this.#closed) return;
      if (this.#queue.hasWork) this.#scheduleReconnect();
      // A failed attempt ends a flush; lines in the broken connection are lost (their callbacks have fired).
      this.#settle();
    });
  }

  #scheduleReconnect(): void {
    if (this.#retryTimer) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#maxBackoffMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#pump();
    }, delay);
    this.#retryTimer.unref();
  }

  #settle(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A sink that sends `admin_alert` events (and any others selected) to a syslog collector as RFC 5424 lines. */
export function syslogSink(options: SyslogSinkOptions): SyslogSink {
  return new NetSyslogSink(options);
}
