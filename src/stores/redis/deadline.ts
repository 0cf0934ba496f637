/**
 * The longest a store call may wait for Redis. ioredis keeps a command queued while it reconnects, and waits for
 * ever on a connection that accepts and never answers: without this, a message handler would wait as long.
 *
 * The deadline is Redis's, not the event loop's: timers run at the start of a loop turn, before that turn reads its
 * sockets, so on a loop busy with other work (a burst of messages) a reply can be waiting, unread, when the timer
 * fires. The timer therefore gives the call one more turn (a `setImmediate`, which runs after the sockets are read)
 * before it gives up: a reply that had arrived settles the call, and a Redis that never answered still fails it.
 */

export class StoreTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** Settle with `promise`, or reject with a StoreTimeoutError after `ms` (and one more event-loop turn), whichever comes first. */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new StoreTimeoutError(ms));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
