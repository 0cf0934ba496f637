/**
 * Malformed input on Socket.IO, written by hand where socket.io-client would never send it: non-JSON where JSON
 * belongs, unknown packet types, binary attachment counts that lie (fewer, more, a text packet in between, over the
 * decoder's limit, none at all while the client keeps answering pings), invalid UTF-8 and Engine.IO garbage on the
 * WebSocket transport, garbage (and too much) POSTed on the long-polling one. Socket.IO ends each such connection;
 * wsguard makes each a coded refusal (`wsguard:error` where the engine can still send it) and a security event with
 * its reason. After each: the guard's counts are back to zero and a real socket.io-client is served. Controls: a real
 * client uploading attachments, a connect timeout and a server shutdown are not taken for garbage.
 */

import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { GuardConfig } from '../../src/config/types.js';
import type { SecurityEvent } from '../../src/events/catalogue.js';
import { baseConfig, countsAreZero, TEST_ORIGIN, waitFor } from './harness.js';
import { startSocketIoServer, type SocketIoTestServer, type Transport } from './socket.io.harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FUZZER = 'fuzzer';
const WSGUARD_MALFORMED = '42["wsguard:error",{"code":"malformed_message","message":"Message could not be read"}]';

async function start(
  server: Parameters<typeof startSocketIoServer>[2] = {},
  config: GuardConfig = {},
  transport: Transport = 'websocket',
): Promise<{ server: SocketIoTestServer; events: SecurityEvent[] }> {
  const events: SecurityEvent[] = [];
  const started = await startSocketIoServer(baseConfig(events, config), transport, server);
  cleanups.push(() => started.close());
  return { server: started, events };
}

/**
 * An Engine.IO v4 / Socket.IO v5 client over `ws`, frames written by hand: it answers pings, and joins `/` (`40`)
 * unless told not to. `frames` is everything the server sent.
 */
class RawClient {
  readonly frames: string[] = [];
  /** The WebSocket close code, once closed. */
  closeCode: number | null = null;
  private readonly ws: WebSocket;

  private constructor(url: string, localAddress: string) {
    this.ws = new WebSocket(`${url.replace('http:', 'ws:')}/socket.io/?EIO=4&transport=websocket`, {
      headers: { origin: TEST_ORIGIN, 'x-test-user': FUZZER },
      perMessageDeflate: false,
      localAddress,
    });
    this.ws.once('close', (code) => (this.closeCode = code));
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data: Buffer, isBinary) => {
      const frame = isBinary ? `<binary ${data.length}>` : data.toString();
      this.frames.push(frame);
      if (frame === '2') this.ws.send('3');
    });
  }

  static async open(url: string, join = true, localAddress = '127.0.0.1'): Promise<RawClient> {
    const client = new RawClient(url, localAddress);
    cleanups.push(() => client.ws.terminate());
    await client.next((frame) => frame.startsWith('0{'));
    if (!join) return client;
    client.ws.send('40');
    await client.next((frame) => frame.startsWith('40{'));
    return client;
  }

  /** Resolves with the close code once the server closed the connection (at most 2 s). */
  async closed(): Promise<number> {
    await waitFor(() => this.closeCode !== null, 2_000, 'the server to close the connection');
    return this.closeCode ?? 0;
  }

  /** Resolves when a frame matching `match` has arrived (at most 2 s). */
  next(match: (frame: string) => boolean): Promise<void> {
    return waitFor(() => this.frames.some(match), 2_000, 'a frame from the server');
  }

  /** Send each frame: a string as a text frame, a Buffer as a binary one, `{ text }` as a text frame of raw bytes. */
  send(frames: ReadonlyArray<string | Buffer | { text: Buffer }>): void {
    for (const frame of frames) {
      if (typeof frame === 'string') this.ws.send(frame);
      else if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: true });
      else this.ws.send(frame.text, { binary: false });
    }
  }
}

const refusedMessages = (events: SecurityEvent[]) =>
  events.filter((e) => e.type === 'message_refused' && e.reason === 'malformed_message' && e.userId === FUZZER);
const refusedConnections = (events: SecurityEvent[]) =>
  events.filter((e) => e.type === 'connection_refused' && e.reason === 'malformed_request' && e.ip === '127.0.0.1');

/** Counts back to zero, and a real socket.io-client is served. */
async function stillServes(server: SocketIoTestServer): Promise<void> {
  await waitFor(() => countsAreZero(server, [FUZZER]), 2_000, 'counts back to zero');
  const next = await server.connect({ user: 'alice' });
  if (!next.ok) throw new Error(`refused: ${JSON.stringify(next.error)}`);
  cleanups.push(() => next.client.close());
  expect(await next.client.send('chat:send', { text: 'hi' })).toMatchObject({ ok: true, reply: { ok: true } });
}

const placeholder = (num: number) => ({ _placeholder: true, num });
/** A BINARY_EVENT header announcing `count` attachments, with `count` placeholders. */
const binaryEvent = (count: number) => `45${count}-${JSON.stringify(['upload', ...Array.from({ length: count }, (_, i) => placeholder(i))])}`;
const attachment = Buffer.from([1, 2, 3]);

describe('Socket.IO over WebSocket: packets Socket.IO cannot read, on a live connection', () => {
  it.each([
    { name: 'non-JSON where JSON is expected', frames: ['42["chat:send",{"text":'] },
    { name: 'an event that is a JSON object, not an array', frames: ['42{"chat:send":1}'] },
    { name: 'an unknown Socket.IO packet type', frames: ['47["chat:send"]'] },
    { name: 'a CONNECT_ERROR packet from the client', frames: ['44{"message":"nope"}'] },
    { name: 'an event for a namespace the client never joined', frames: ['42/admin,["chat:send"]'] },
    { name: 'fewer attachments than announced, then a text packet', frames: [binaryEvent(2), attachment, '42["chat:send"]'] },
    { name: 'a text packet in between the header and its attachment', frames: [binaryEvent(1), '42["chat:send"]', attachment] },
    { name: 'more attachments than announced', frames: [binaryEvent(1), attachment, attachment] },
    { name: 'an attachment nobody announced', frames: [attachment] },
    { name: 'an attachment count over the decoder’s limit', frames: [binaryEvent(11)] },
    { name: 'a BINARY_ACK whose count lies', frames: ['461-[{"_placeholder":true,"num":0}]', '42["chat:send"]'] },
  ])('$name: wsguard:error malformed_message, then the close', async ({ frames }) => {
    const { server, events } = await start();
    const fuzzer = await RawClient.open(server.url);
    fuzzer.send(frames);
    await fuzzer.closed();
    expect(fuzzer.frames).toContain(WSGUARD_MALFORMED);
    expect(server.received).toEqual([]);
    await waitFor(() => refusedMessages(events).length > 0, 1_000, 'the malformed_message refusal');
    expect(refusedMessages(events)).toHaveLength(1);
    await stillServes(server);
  });
});

describe('Socket.IO over WebSocket: frames the engine cannot read, on a live connection', () => {
  it.each([
    { name: 'an Engine.IO packet of no known type', frames: ['9hello'], code: 1005 },
    { name: 'invalid UTF-8 in a text frame', frames: [{ text: Buffer.from([0x34, 0x32, 0xff, 0xfe]) }], code: 1007 },
  ])('$name: closed (WebSocket code $code) and refused as malformed_message', async ({ frames, code }) => {
    const { server, events } = await start();
    const fuzzer = await RawClient.open(server.url);
    fuzzer.send(frames);
    expect(await fuzzer.closed()).toBe(code);
    await waitFor(() => refusedMessages(events).length > 0, 1_000, 'the malformed_message refusal');
    await stillServes(server);
  });
});

describe('Socket.IO over WebSocket: an attachment count that lies by omission', () => {
  it('two pongs in a row find the packet waiting: wsguard:error malformed_message, then the close', async () => {
    const { server, events } = await start({ server: { pingInterval: 150, pingTimeout: 2_000 } });
    const fuzzer = await RawClient.open(server.url);
    fuzzer.send([binaryEvent(3), attachment]);
    // The client stays connected and answers pings; the second pong after the header ends it.
    await fuzzer.closed();
    expect(fuzzer.frames.filter((frame) => frame === '2').length).toBeGreaterThanOrEqual(2);
    expect(fuzzer.frames).toContain(WSGUARD_MALFORMED);
    await waitFor(() => refusedMessages(events).length > 0, 1_000, 'the malformed_message refusal');
    expect(server.received).toEqual([]);
    await stillServes(server);
  });

  it('one pong between a header and its attachment (a client writing from two threads) is no lie', async () => {
    const { server, events } = await start({ server: { pingInterval: 100, pingTimeout: 2_000 } });
    const client = await RawClient.open(server.url);
    const pings = () => client.frames.filter((frame) => frame === '2').length;
    const before = pings();
    client.send([binaryEvent(1)]);
    // RawClient answers each ping at once: this pong reaches the server between the header and its attachment.
    await waitFor(() => pings() > before, 2_000, 'a ping');
    client.send([attachment]);
    await waitFor(() => server.received.some((r) => r.event === 'upload'), 2_000, 'the upload');
    const now = pings();
    await waitFor(() => pings() >= now + 2, 2_000, 'two more pings');
    expect(client.closeCode).toBeNull();
    expect(events.filter((e) => e.reason === 'malformed_message')).toEqual([]);
  });

  it.each(['websocket', 'polling'] as const)('a real client sending attachments over %s across many ping intervals is not taken for a liar', async (transport) => {
    // Rate limits off: the uploads come back to back.
    const { server, events } = await start({ server: { pingInterval: 50, pingTimeout: 2_000 } }, { rateLimitingEnabled: false }, transport);
    const result = await server.connect({ user: 'uploader' });
    if (!result.ok) throw new Error('refused');
    cleanups.push(() => result.client.close());
    const deadline = Date.now() + 600;
    let sent = 0;
    // Bounded: 200 uploads or 600 ms, whichever comes first; each waits for its acknowledgement.
    while (sent < 200 && Date.now() < deadline) {
      expect((await result.client.send('upload', Buffer.alloc(2_000, sent))).ok).toBe(true);
      sent++;
    }
    expect(sent).toBeGreaterThan(5);
    expect(events.filter((e) => e.reason === 'malformed_message')).toEqual([]);
    expect(server.guard.connections.size).toBe(1);
  });
});

describe('Socket.IO over WebSocket: garbage before the namespace handshake', () => {
  it.each([
    { name: 'a CONNECT whose auth is not JSON', frames: ['40{"token":'] },
    { name: 'an event before any CONNECT', frames: ['42["chat:send"]'] },
    { name: 'an unknown Socket.IO packet type', frames: ['48'] },
    { name: 'an Engine.IO packet of no known type', frames: ['x'] },
    { name: 'invalid UTF-8 in a text frame', frames: [{ text: Buffer.from([0x34, 0x30, 0xc3, 0x28]) }] },
  ])('$name: closed, and reported as connection_refused malformed_request with the address', async ({ frames }) => {
    const { server, events } = await start();
    const fuzzer = await RawClient.open(server.url, false);
    fuzzer.send(frames);
    await fuzzer.closed();
    await waitFor(() => refusedConnections(events).length > 0, 1_000, 'the malformed_request refusal');
    expect(refusedConnections(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'connection_accepted')).toEqual([]);
    await stillServes(server);
  });

  it('is evidence for the abuse detector: three garbage connections from one address ban it, others are served', async () => {
    const { server, events } = await start({}, {
      abuse: { patterns: { inputValidationAbuse: { threshold: 3, windowMs: 60_000, ladder: ['temp_ban'] } }, bans: { baseMs: 60_000 } },
    });
    for (let i = 0; i < 3; i++) {
      const fuzzer = await RawClient.open(server.url, false, '127.0.0.2');
      fuzzer.send(['40{"token":']);
      await fuzzer.closed();
    }
    await waitFor(() => events.some((e) => e.type === 'ban_added' && e.ip === '127.0.0.2'), 2_000, 'the ban');
    expect(events.find((e) => e.type === 'abuse_detected')?.detail).toMatchObject({ pattern: 'inputValidationAbuse' });
    const banned = await server.connect({ user: 'mallory', localAddress: '127.0.0.2' });
    expect(banned.ok).toBe(false);
    await stillServes(server);
  });

  it('a client that joins no namespace within connectTimeout is closed, and that is no evidence of garbage', async () => {
    const { server, events } = await start({ server: { connectTimeout: 200 } });
    const sleeper = await RawClient.open(server.url, false);
    await sleeper.closed();
    const quiet = await RawClient.open(server.url, false);
    // Nor is the server shutting down with a client that has not joined yet.
    await server.stopTransport();
    await quiet.closed();
    expect(events.filter((e) => e.type === 'connection_refused')).toEqual([]);
  });
});

/** One HTTP request to the server on 127.0.0.1; resolves with the status and body, or `null` if the socket dropped. */
function http(
  server: SocketIoTestServer,
  method: 'GET' | 'POST',
  query: string,
  body?: string | Buffer,
  contentType = 'text/plain;charset=UTF-8',
): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = httpRequest(
      `${server.url}/socket.io/?EIO=4&transport=polling${query}`,
      { method, agent: false, headers: { origin: TEST_ORIGIN, 'x-test-user': FUZZER, 'content-type': contentType } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolve(null));
      },
    );
    req.setTimeout(2_000, () => req.destroy());
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

/** A long-polling session joined to `/` by hand: handshake GET, CONNECT POST, GET for the CONNECT's answer. */
async function pollingSession(server: SocketIoTestServer): Promise<string> {
  const handshake = await http(server, 'GET', '');
  const sid = (JSON.parse(handshake?.body.slice(1) ?? '{}') as { sid?: string }).sid;
  if (handshake?.status !== 200 || sid === undefined) throw new Error(`no handshake: ${JSON.stringify(handshake)}`);
  expect(await http(server, 'POST', `&sid=${sid}`, '40')).toEqual({ status: 200, body: 'ok' });
  expect((await http(server, 'GET', `&sid=${sid}`))?.body).toMatch(/^40\{"sid"/);
  return sid;
}

describe('Socket.IO over long-polling: garbage POSTed', () => {
  it('a body Socket.IO cannot decode: wsguard:error malformed_message in the next poll, then the close packet', async () => {
    const { server, events } = await start();
    const sid = await pollingSession(server);
    await http(server, 'POST', `&sid=${sid}`, '42["chat:send",{"text":');
    // The refusal waits in the engine's buffer for the next GET; the close packet follows it.
    const polled = await http(server, 'GET', `&sid=${sid}`);
    expect(polled?.body.split('\x1e')).toEqual([WSGUARD_MALFORMED]);
    // A noop and the close packet (Engine.IO type 1).
    expect((await http(server, 'GET', `&sid=${sid}`))?.body.split('\x1e')).toContain('1');
    await waitFor(() => refusedMessages(events).length > 0, 1_000, 'the malformed_message refusal');
    await stillServes(server);
  });

  it.each([
    { name: 'a body that is no Engine.IO payload', body: '\x00garbage' as string | Buffer, contentType: undefined },
    { name: 'a binary body (not Engine.IO v4)', body: Buffer.from([0xde, 0xad]), contentType: 'application/octet-stream' },
  ])('$name: the session ends and is refused as malformed_message', async ({ body, contentType }) => {
    const { server, events } = await start();
    const sid = await pollingSession(server);
    await http(server, 'POST', `&sid=${sid}`, body, contentType);
    await waitFor(() => refusedMessages(events).length > 0, 1_000, 'the malformed_message refusal');
    // The session is gone: the next poll gets the close packet or "Session ID unknown".
    const next = await http(server, 'GET', `&sid=${sid}`);
    expect(next?.body === '1' || next?.status === 400).toBe(true);
    await stillServes(server);
  });

  it('a body over maxHttpBufferSize: 413, refused as message_too_large', async () => {
    const { server, events } = await start({ server: { maxHttpBufferSize: 10_000 } });
    const sid = await pollingSession(server);
    const answer = await http(server, 'POST', `&sid=${sid}`, `42${JSON.stringify(['chat:send', 'x'.repeat(20_000)])}`);
    // Engine.IO answers 413 before reading it all (or drops the socket first, while the body is still coming).
    expect(answer === null || answer.status === 413).toBe(true);
    await waitFor(
      () => events.some((e) => e.type === 'message_refused' && e.reason === 'message_too_large' && e.userId === FUZZER),
      1_000,
      'the message_too_large refusal',
    );
    await stillServes(server);
  });

  it('a POST without a session: 400 Bad handshake method, reported as connection_refused malformed_request', async () => {
    const { server, events } = await start();
    expect(await http(server, 'POST', '', '40')).toEqual({ status: 400, body: '{"code":2,"message":"Bad handshake method"}' });
    await waitFor(() => refusedConnections(events).length > 0, 1_000, 'the malformed_request refusal');
    // A session id the server does not know (after a restart, say) is no evidence: refused, not reported.
    expect((await http(server, 'POST', '&sid=nope', '40'))?.status).toBe(400);
    expect(refusedConnections(events)).toHaveLength(1);
    await stillServes(server);
  });
});
