/* global Buffer */
/**
 * Wire drivers for the load generator: the cheapest client that still speaks each server's real protocol.
 *
 * socket.io — Engine.IO v4 + Socket.IO v5 frames written by hand over the `ws` package (socket.io-client would cost
 * more CPU than the server it measures):
 *   open   ws://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket  (with an Origin header)
 *   ←      0{"sid":…,"pingInterval":…}            Engine.IO open
 *   →      40{"user":"u-1","csrfToken":…}          Socket.IO CONNECT to "/" with the handshake auth (the token
 *                                                  only when the server's guard asks for one)
 *   ←      40{"sid":…}  |  44{"message":…}         CONNECT ok | CONNECT_ERROR (a refusal)
 *   →      42<id>["echo",{…}]                      EVENT with an ack id
 *   ←      43<id>[{…}]                             ACK (a guard refusal is 43<id>[{"error":{…}}])
 *   ←  2 / →  3                                    Engine.IO ping / pong
 *   →      41, then a WebSocket close              client disconnect
 *
 * ws — plain WebSocket, one JSON envelope per text frame (wsguard/ws's default format, which the unprotected `ws`
 * server of the bench parses the same way):
 *   open   ws://127.0.0.1:PORT/?user=u-1             (with an Origin header; a CSRF token, when the server's guard
 *                                                     asks for one, as a `wsguard.csrf.<token>` subprotocol entry
 *                                                     beside the application's own `bench.v1`, as a browser sends it)
 *   →      {"event":"echo","data":{…},"id":7}
 *   ←      {"event":"echo","data":{…},"id":7}         the reply (a guard refusal is {"event":"wsguard:error",…,"id":7})
 *   →      a WebSocket close
 *
 * A driver exposes `connect(port, user, credentials?, options?)` → Connection with `send(id)`, `close()`,
 * `terminate()` and callbacks `onAck(id, ok)` / `onProblem(text)`; `options.localAddress` picks the client's address
 * in 127.0.0.0/8 (the flood figure's attacker and well-behaved clients each have their own).
 */

import { WebSocket } from 'ws';
import { BENCH_ORIGIN } from './variants.mjs';

const CH_0 = 0x30;
const CH_1 = 0x31;
const CH_2 = 0x32;
const CH_3 = 0x33;
const CH_4 = 0x34;
const CH_OPEN_BRACKET = 0x5b;

/**
 * A ~100-byte JSON payload (the first key is not "error", so an error ack is told apart by its first bytes).
 * @param {string} user
 */
export function echoPayload(user, extra = {}) {
  return { room: 'bench', user, text: 'the quick brown fox jumps over the lazy dog', n: 42, ok: true, ...extra };
}

/** The Socket.IO event array of an echo request, as JSON. */
export function echoBody(user, extra = {}) {
  return `["echo",${JSON.stringify(echoPayload(user, extra))}]`;
}

class SocketIoConnection {
  /**
   * @param {number} port
   * @param {string} user
   * @param {Credentials} credentials what the server asked for (a CSRF token at the handshake and/or in each event)
   */
  constructor(port, user, credentials, options) {
    this.user = user;
    this.auth = JSON.stringify(credentials.handshakeToken ? { user, csrfToken: credentials.handshakeToken } : { user });
    this.body = echoBody(user, credentials.payloadField ? { [credentials.payloadField]: credentials.payloadToken } : {});
    /** @type {(id: number, ok: boolean) => void} */
    this.onAck = () => {};
    /** @type {(text: string) => void} */
    this.onProblem = () => {};
    this.connected = false;
    this.closed = false;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, {
      headers: { Origin: BENCH_ORIGIN },
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    /** Resolves once the namespace CONNECT is acknowledged; rejects on CONNECT_ERROR or a failed socket. */
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.closedPromise = new Promise((resolve) => this.ws.once('close', () => resolve(undefined)));
    this.ws.on('message', (data) => this.#onMessage(/** @type {Buffer} */ (data)));
    this.ws.on('error', (err) => {
      if (!this.connected) this.rejectReady(err);
      else this.onProblem(`socket error: ${err.message}`);
    });
    this.ws.on('close', () => {
      this.closed = true;
      if (!this.connected) this.rejectReady(new Error('closed before connect'));
    });
  }

  /** @param {Buffer} data */
  #onMessage(data) {
    const c0 = data[0];
    if (c0 === CH_4) {
      const c1 = data[1];
      if (c1 === CH_3) {
        // ACK: 43<id>[…]
        let id = 0;
        let i = 2;
        for (; i < data.length; i++) {
          const c = data[i];
          if (c === CH_OPEN_BRACKET) break;
          id = id * 10 + (c - CH_0);
        }
        // `[{"e` starts an error reply; our own payload's first key is "room".
        const ok = !(data[i + 1] === 0x7b && data[i + 2] === 0x22 && data[i + 3] === 0x65);
        this.onAck(id, ok);
        return;
      }
      if (c1 === CH_0) {
        this.connected = true;
        this.resolveReady(this);
        return;
      }
      if (c1 === CH_4) {
        this.rejectReady(new Error(`connect_error ${data.toString('utf8', 2, 300)}`));
        // As socket.io-client does: a refused namespace connection ends the transport too.
        this.ws.close(1000);
        return;
      }
      // 42 (an event from the server: wsguard:error), 41 (server disconnect), anything else: a problem.
      this.onProblem(`unexpected packet ${data.toString('utf8', 0, 200)}`);
      return;
    }
    if (c0 === CH_2 && data.length === 1) {
      this.ws.send('3');
      return;
    }
    if (c0 === CH_0) {
      this.ws.send(`40${this.auth}`);
      return;
    }
    if (c0 === CH_1) return; // Engine.IO close: the 'close' event follows
    this.onProblem(`unexpected frame ${data.toString('utf8', 0, 200)}`);
  }

  /** @param {number} id */
  send(id) {
    this.ws.send(`42${id}${this.body}`);
  }

  /** A client disconnect as socket.io-client does it: DISCONNECT, then close the transport; resolves when closed. */
  close() {
    if (!this.closed && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send('41');
      this.ws.close(1000);
    } else if (!this.closed) {
      this.ws.terminate();
    }
    return this.closedPromise;
  }

  terminate() {
    this.ws.terminate();
  }
}

/** The application's own subprotocol: offered by every `ws` client, so the server always has one to pick. */
const WS_APP_PROTOCOL = 'bench.v1';
const CH_CLOSE_BRACE = 0x7d;
/** `{"event":"w` starts a refusal (`wsguard:error`); the echo reply starts `{"event":"e`. */
const WS_EVENT_FIRST_CHAR = 10;
const CH_W = 0x77;

/** The `ws` request: the envelope with the id last, so a reply's id is read from its last bytes. */
export function wsRequest(user, id) {
  return `{"event":"echo","data":${JSON.stringify(echoPayload(user))},"id":${id}}`;
}

class WsConnection {
  /**
   * @param {number} port
   * @param {string} user
   * @param {Credentials} credentials
   * @param {ConnectOptions} options
   */
  constructor(port, user, credentials, options) {
    this.user = user;
    // Everything but the id, built once: a send is one concatenation, as for the Socket.IO driver.
    this.head = `{"event":"echo","data":${JSON.stringify(echoPayload(user))},"id":`;
    /** @type {(id: number, ok: boolean) => void} */
    this.onAck = () => {};
    /** @type {(text: string) => void} */
    this.onProblem = () => {};
    this.connected = false;
    this.closed = false;
    const protocols = credentials.handshakeToken ? [`wsguard.csrf.${credentials.handshakeToken}`, WS_APP_PROTOCOL] : [WS_APP_PROTOCOL];
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/?user=${encodeURIComponent(user)}`, protocols, {
      headers: { Origin: BENCH_ORIGIN },
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        this.connected = true;
        resolve(this);
      });
      // A refused upgrade: the guard's HTTP status and JSON body.
      this.ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        // With a listener here ws leaves the request to us: read the reason, then end the attempt.
        const refused = () => {
          reject(new Error(`connect_error ${res.statusCode} ${body.slice(0, 300)}`));
          this.ws.terminate();
        };
        res.on('end', refused);
        res.on('error', refused);
      });
      this.ws.on('error', (err) => {
        if (!this.connected) reject(err);
        else this.onProblem(`socket error: ${err.message}`);
      });
    });
    this.closedPromise = new Promise((resolve) => this.ws.once('close', () => resolve(undefined)));
    this.ws.on('message', (data) => this.#onMessage(/** @type {Buffer} */ (data)));
    this.ws.on('close', () => {
      this.closed = true;
    });
  }

  /** @param {Buffer} data */
  #onMessage(data) {
    // `…,"id":123}`: the id's digits, read backwards from the closing brace.
    let end = data.length - 1;
    if (data[end] !== CH_CLOSE_BRACE) {
      this.onProblem(`unexpected frame ${data.toString('utf8', 0, 200)}`);
      return;
    }
    let id = 0;
    let scale = 1;
    for (end--; end > 0; end--) {
      const c = data[end];
      if (c < CH_0 || c > CH_0 + 9) break;
      id += (c - CH_0) * scale;
      scale *= 10;
    }
    this.onAck(id, data[WS_EVENT_FIRST_CHAR] !== CH_W);
  }

  /** @param {number} id */
  send(id) {
    this.ws.send(`${this.head}${id}}`);
  }

  close() {
    if (!this.closed && this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else if (!this.closed) this.ws.terminate();
    return this.closedPromise;
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * @typedef {{ handshakeToken?: string, payloadField?: string, payloadToken?: string }} Credentials
 * @typedef {{ localAddress?: string }} ConnectOptions
 */

export const PROTOCOLS = {
  'socket.io': {
    /** Bytes of one echo request on the wire (payload of the WebSocket frame) for a given ack id. */
    requestBytes: (user, id, credentials = {}) =>
      Buffer.byteLength(`42${id}${echoBody(user, credentials.payloadField ? { [credentials.payloadField]: credentials.payloadToken } : {})}`),
    /**
     * @param {number} port
     * @param {string} user
     * @param {Credentials} [credentials]
     * @param {ConnectOptions} [options]
     * @returns {Promise<SocketIoConnection>}
     */
    connect(port, user, credentials = {}, options = {}) {
      const connection = new SocketIoConnection(port, user, credentials, options);
      return connection.ready;
    },
  },
  ws: {
    requestBytes: (user, id) => Buffer.byteLength(wsRequest(user, id)),
    /**
     * @param {number} port
     * @param {string} user
     * @param {Credentials} [credentials] a per-event CSRF token is not supported here (no bench variant asks for one)
     * @param {ConnectOptions} [options]
     * @returns {Promise<WsConnection>}
     */
    connect(port, user, credentials = {}, options = {}) {
      const connection = new WsConnection(port, user, credentials, options);
      return connection.ready;
    },
  },
};
