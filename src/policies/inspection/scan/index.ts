/**
 * Threat scanner for message payloads: walks any JSON value and reports XSS, SQL injection, command injection, path
 * traversal and prototype-pollution findings with their path and a stable rule id.
 *
 * ```ts
 * const scan = createScanner({ kinds: ['xss', 'sqli'], firstOnly: true }); // once
 * const findings = scan(payload); // per message: [] when clean
 * ```
 */

export { createScanner, scanPayload, SCAN_KINDS } from './scanner.js';
export { SCAN_RULES } from './rules.js';
export type { ScanRuleId, ScanRuleInfo } from './rules.js';
export type { ScanFinding, ScanFindingKind, ScanKind, ScanOptions, ScanSeverity, Scanner } from './types.js';
