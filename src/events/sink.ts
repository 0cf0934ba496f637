import type { Awaitable } from '../codes/types.js';
import type { SecurityEvent } from './catalogue.js';

/**
 * Where security events go. The bus hands a sink batches, off the hot path (after the verdict is returned), in order.
 * A sink must not throw for a single bad event; if `write` throws or rejects, the bus counts the failure and goes on.
 */
export interface EventSink {
  readonly name: string;
  write(events: readonly SecurityEvent[]): Awaitable<void>;
  /** Write out anything buffered. Called by `guard.close()`. */
  flush?(): Awaitable<void>;
  close?(): Awaitable<void>;
}
