/** Event allow-list: a client may only send the events the application expects (`null`: any event). */

import { deny, type Denied } from '../../codes/types.js';

const NOT_ALLOWED = deny('event_not_allowed');

export function checkEventAllowed(allowed: ReadonlySet<string> | null, event: string): Denied | null {
  return allowed === null || allowed.has(event) ? null : NOT_ALLOWED;
}
