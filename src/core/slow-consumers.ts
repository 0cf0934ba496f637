/**
 * Slow consumers: a client that stops reading while the server sends to it makes the server buffer everything sent
 * to it — in the socket's write queue, in the transport's own queue — without bound. Past `maxBufferedBytes` queued
 * for one connection it is closed with `slow_consumer`, so one reader cannot hold the server's memory.
 *
 * What is queued is the adapter's to measure (`OpenedConnection.bufferedBytes`: the WebSocket's `bufferedAmount`,
 * plus the engine's write buffer for Socket.IO, which is also where a long-polling client's packets wait). It is
 * read on every send the adapter reports (`guard.messageSent`; a getter and a comparison), so a server pushing in a
 * tight loop is stopped at the limit rather than a sweep later, and again by the shared sweep, for sends the adapter
 * does not see. Such a client cannot read a close frame either: adapters end the transport at once for this code.
 */

/**
 * Bytes queued for one connection and not yet taken by the network. Called as a method of the connection's registry
 * record (`this.native` is the adapter's socket), so one function can serve every connection.
 */
export type BufferedBytes = (this: MeteredConnection) => number;

/** What the check needs of a connection: its meter, set to null once it has been closed for being slow. */
export interface MeteredConnection {
  readonly id: string;
  /** The adapter's native socket. */
  readonly native: object;
  bufferedBytes: BufferedBytes | null;
}

export class SlowConsumers {
  readonly #limit: number;
  readonly #close: (id: string) => void;

  /** `limit`: `maxBufferedBytes`; 0 turns the check off. */
  constructor(limit: number, close: (id: string) => void) {
    this.#limit = limit;
    this.#close = close;
  }

  get enabled(): boolean {
    return this.#limit > 0;
  }

  /** The meter a connection keeps: none when the check is off, so that sends then cost nothing. */
  meterFor(bufferedBytes: BufferedBytes | undefined): BufferedBytes | null {
    return this.#limit > 0 && bufferedBytes !== undefined ? bufferedBytes : null;
  }

  /** Close the connection if more than the limit is queued for it. True when it did. */
  check(connection: MeteredConnection): boolean {
    const meter = connection.bufferedBytes;
    if (meter === null) return false;
    let queued: number;
    try {
      queued = meter.call(connection);
    } catch {
      // A transport torn down under the meter has nothing queued any more.
      return false;
    }
    if (!(queued > this.#limit)) return false;
    // Once: the transport takes a moment to end, and the application may go on sending meanwhile.
    connection.bufferedBytes = null;
    this.#close(connection.id);
    return true;
  }

  sweep(connections: Iterable<MeteredConnection>): void {
    if (this.#limit <= 0) return;
    for (const connection of connections) this.check(connection);
  }
}
