/**
 * Which errors mean "Redis is not answering" (fall back, degrade) and which are faults of their own (a bug: rethrow).
 *
 * Redis answered with an error (an ioredis `ReplyError`): a fault, except for the replies a server gives when it
 * cannot serve for now (loading its data, busy with a script, cluster or replica down, out of memory). Anything else —
 * our deadline, a closed connection, ioredis giving up after its retries — is an outage.
 */

const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|OOM|NOREPLICAS)\b/;

export function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(error.message);
  return true;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
