/**
 * The catalogue of scanner rules. Ids are stable: dashboards, allow-lists and tests key on them, so a rule is renamed
 * only with a major version. Severity is the rule's own; a policy may map it to refuse, log or ignore.
 */

import type { ScanFindingKind, ScanSeverity } from './types.js';

export interface ScanRuleInfo {
  readonly kind: ScanFindingKind;
  readonly severity: ScanSeverity;
  readonly description: string;
}

const rule = (kind: ScanFindingKind, severity: ScanSeverity, description: string): ScanRuleInfo =>
  Object.freeze({ kind, severity, description });

export const SCAN_RULES = Object.freeze({
  'xss.script-tag': rule('xss', 'critical', 'A <script> element (opening or closing).'),
  'xss.event-handler': rule('xss', 'critical', 'An HTML element with an on* event-handler attribute.'),
  'xss.js-url': rule('xss', 'critical', 'A javascript:, vbscript: or livescript: URL followed by code.'),
  'xss.data-url': rule('xss', 'high', 'A data: URL carrying HTML, SVG, XML or script.'),
  'xss.dangerous-markup': rule('xss', 'high', 'Markup that loads, binds or styles content: iframe, object, embed, svg, meta, base, <!ENTITY, style=, srcdoc=, datasrc=, …'),
  'xss.attribute-breakout': rule('xss', 'high', 'A quote that leaves an attribute value, then an on* handler with code.'),
  'xss.css-expression': rule('xss', 'high', 'CSS that runs script: expression(), -moz-binding, behavior:.'),
  'xss.js-sink': rule('xss', 'high', 'A JavaScript sink reached after a quote or statement break (alert(, eval(, document.cookie, …).'),
  'xss.js-call': rule('xss', 'warning', 'A bare call of a JavaScript dialog or eval sink (alert(1), prompt`1`, top["al"+"ert"]).'),
  'sqli.union-select': rule('sqli', 'critical', 'UNION [ALL|DISTINCT] SELECT, comments and brackets allowed between.'),
  'sqli.time-delay': rule('sqli', 'critical', 'A time-delay probe: SLEEP(), BENCHMARK(), PG_SLEEP(), WAITFOR DELAY, DBMS_LOCK.SLEEP().'),
  'sqli.stacked-query': rule('sqli', 'critical', 'A statement after a semicolon (; DROP TABLE, ; EXEC xp_cmdshell, ; SELECT …).'),
  'sqli.file-access': rule('sqli', 'critical', 'LOAD_FILE(), INTO OUTFILE/DUMPFILE, LOAD DATA INFILE.'),
  'sqli.tautology': rule('sqli', 'high', 'A quote or number breakout followed by a boolean condition (OR 1=1, AND SLEEP(5), OR \'a\'=\'a).'),
  'sqli.comment-truncation': rule('sqli', 'high', 'A quote breakout followed directly by a comment (admin\'--, admin\')#).'),
  'sqli.clause-injection': rule('sqli', 'high', 'A breakout followed by ORDER BY, GROUP BY, HAVING, PROCEDURE, INTO or a statement.'),
  'sqli.statement': rule('sqli', 'high', 'A whole SQL statement or subquery where a value was expected (SELECT … FROM t WHERE, (SELECT …), DECLARE @x, COPY t FROM \'…\').'),
  'sqli.string-expression': rule('sqli', 'high', 'A quote breakout into an operator expression closed by the query\'s own quote (\'=\', \'||(SELECT …)||\').'),
  'sqli.system-object': rule('sqli', 'high', 'A database catalogue or system object (information_schema, @@version, xp_cmdshell, sysobjects, …).'),
  'sqli.error-function': rule('sqli', 'high', 'A function used for error-based extraction or obfuscation (EXTRACTVALUE, UPDATEXML, CHAR(n)+CHAR(n), …).'),
  'cmdi.separator-command': rule('cmdi', 'critical', 'A command separator (; | & newline) at the start of the value or after its first token or quote, then a command.'),
  'cmdi.substitution': rule('cmdi', 'critical', 'Command substitution $(…) or `…` after a quote, an = or a parameter boundary.'),
  'cmdi.ifs': rule('cmdi', 'high', 'The $IFS / ${IFS} whitespace trick.'),
  'cmdi.reverse-shell': rule('cmdi', 'critical', 'A reverse-shell or download-and-run pattern (/dev/tcp/, nc -e /bin/sh, bash -i >&, mkfifo).'),
  'cmdi.shellshock': rule('cmdi', 'critical', 'A Shellshock function definition: () { :; };'),
  'cmdi.ssi': rule('cmdi', 'critical', 'A server-side include directive: <!--#exec, <!--#include.'),
  'cmdi.code-exec': rule('cmdi', 'high', 'Server code that runs commands: <?php, system(\'…\'), exec(\'…\'), {${…}}, @{[…]}.'),
  'path.traversal': rule('path', 'high', 'Three or more ../ steps in a row.'),
  'path.traversal-sensitive': rule('path', 'critical', 'A ../ traversal reaching a sensitive system file (etc/passwd, win.ini, proc/self, …).'),
  'path.traversal-encoded': rule('path', 'high', 'An encoded traversal: %2e%2e%2f, ..%c0%af, %uff0e, double encoding, ....//, ..;/.'),
  'path.null-byte': rule('path', 'high', 'A NUL byte (%00, \\0, \\x00, &#0;) used to cut a file name short.'),
  'path.wrapper': rule('path', 'high', 'A stream wrapper used for file inclusion (php://, file://, expect://, phar://, zip://, data://).'),
  'path.system-file': rule('path', 'warning', 'The whole value is an absolute path into a system location (/etc/…, /proc/…, C:\\Windows\\…).'),
  'proto.key': rule('proto', 'critical', 'An object key __proto__, or constructor/prototype holding an object.'),
  'proto.path-string': rule('proto', 'critical', 'A string carrying a pollution path (__proto__[x]=, constructor.prototype.x, [constructor][prototype]).'),
  'limit.nodes': rule('limit', 'warning', 'The walk stopped: maxNodes values visited.'),
  'limit.string-length': rule('limit', 'warning', 'Only the first maxStringLength characters of this string were scanned.'),
  'limit.total-length': rule('limit', 'warning', 'The walk stopped: maxTotalLength characters scanned.'),
  'limit.findings': rule('limit', 'warning', 'The walk stopped: maxFindings findings.'),
});

export type ScanRuleId = keyof typeof SCAN_RULES;
