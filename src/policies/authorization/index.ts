/**
 * Role checks for namespaces and events. A rule lists roles of which the identity needs at least one; anonymous
 * clients have none, so they are told `unauthenticated` (log in) rather than `forbidden` (you may not).
 */

import { deny, type Denied, type Identity } from '../../codes/types.js';

export function hasAnyRole(identity: Identity | null, required: ReadonlySet<string>): boolean {
  if (identity === null) return false;
  for (const role of identity.roles) if (required.has(role)) return true;
  return false;
}

const NAMESPACE_FORBIDDEN = deny('namespace_forbidden');
const EVENT_FORBIDDEN = deny('forbidden');
const ANONYMOUS = deny('unauthenticated');

export interface NamespaceAccessRule {
  readonly roles: ReadonlySet<string> | null;
  readonly requireAuthentication: boolean;
}

export function checkNamespaceAccess(rule: NamespaceAccessRule, identity: Identity | null): Denied | null {
  if (identity === null && (rule.requireAuthentication || rule.roles !== null)) return ANONYMOUS;
  if (rule.roles !== null && !hasAnyRole(identity, rule.roles)) return NAMESPACE_FORBIDDEN;
  return null;
}

export function checkEventRoles(roles: ReadonlySet<string> | null, identity: Identity | null): Denied | null {
  if (roles === null) return null;
  if (identity === null) return ANONYMOUS;
  return hasAnyRole(identity, roles) ? null : EVENT_FORBIDDEN;
}
