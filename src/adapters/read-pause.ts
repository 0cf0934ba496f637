/**
 * Backpressure for a client over its message rate. Refusing every message a flooding client sends still costs the
 * server the decoding and the answer of each, and one connection writing as fast as it can keeps Node's event loop
 * busy with its backlog (`ws` hands over all the messages of a read chunk in one go) while well-behaved clients
 * wait: measured, their p99 went from milliseconds to seconds until the abuse ladder disconnected the flooder. So when
 * a message is refused for its rate, the adapter stops reading that connection until a token is due (the refusal's
 * `retryAfterMs`, between MIN_PAUSE_MS and MAX_PAUSE_MS): what the client sends meanwhile waits in the kernel's
 * buffers and then in the client, whose writes stall — the flood costs the flooder, not the server.
 *
 * The pause is capped well below any heartbeat timeout (Socket.IO's default `pingTimeout` is 20 s), so a paused
 * client's pongs are read in time; a client that keeps flooding is paused again at its next refusal. Sockets
 * already paused (by the application, or by this) are left alone, and a timer of its own per paused connection ends
 * the pause: Node keeps timers of one duration in one list, and only connections over their rate have one.
 */

import type { Denied } from '../codes/types.js';

/** The part of `ws`'s WebSocket that pausing needs (its `pause()`/`resume()` stop and restart reading the socket). */
export interface PausableSocket {
  readonly isPaused: boolean;
  pause(): void;
  resume(): void;
}

/** Shorter pauses are not worth a timer; longer ones would only delay a well-behaved client that bursts once. */
export const MIN_PAUSE_MS = 5;
export const MAX_PAUSE_MS = 1000;

/** Pause reading `socket` after a refusal for rate; other refusals change nothing. */
export function pauseReadsAfter(socket: PausableSocket | null | undefined, verdict: Denied): void {
  if (verdict.code !== 'message_rate_limited' || !socket || socket.isPaused) return;
  const ms = Math.min(Math.max(verdict.retryAfterMs ?? MIN_PAUSE_MS, MIN_PAUSE_MS), MAX_PAUSE_MS);
  socket.pause();
  // (ws's pause/resume do nothing on a socket that is closed or closing meanwhile)
  setTimeout(resumeReads, ms, socket).unref();
}

function resumeReads(socket: PausableSocket): void {
  socket.resume();
}
