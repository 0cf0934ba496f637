/**
 * Size limit on the bytes a message took on the wire, as the adapter measured them (binary attachments included).
 * Measured, never re-serialised: re-encoding a payload to weigh it would cost more than the message itself.
 */

import { deny, type Denied } from '../../codes/types.js';

export function checkMessageSize(bytes: number, limit: number): Denied | null {
  return bytes > limit ? deny('message_too_large', { details: { limit, bytes } }) : null;
}
