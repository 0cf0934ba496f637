import { describe, expect, it } from 'vitest';
import { detectXss, detectXssReadingAll } from '../../../src/policies/inspection/scan/xss.js';
import { triggerMask } from '../../../src/policies/inspection/scan/triggers.js';
import { builtValues, chatLengthCorpusLines, hasCorpus, readDifferently } from '../../support/precheck.js';

/** Every trigger: each rule reads the value whatever its triggers say. */
const ALL = (1 << 27) - 1;

describe('detectXss on chat-length values that hold what a rule needs', () => {
  it('reads handlers, dangerous attributes and tag names where a tag may hold them', () => {
    expect(detectXss('"name" <a onclick=alert(1)>', ALL)).toBe('xss.event-handler');
    expect(detectXss('"name" <a onxyz =alert(1)>', ALL)).toBe('xss.event-handler');
    expect(detectXss('"name" <a style =x>', ALL)).toBe('xss.dangerous-markup');
    expect(detectXss('"name" <a xlink:href=x>', ALL)).toBe('xss.dangerous-markup');
    expect(detectXss('"name" <x:script>', ALL)).toBe('xss.script-tag');
    expect(detectXss('"name" <svg:x>', ALL)).toBe('xss.dangerous-markup');
    expect(detectXss('"name" <user@host.com>', ALL)).toBeNull();
  });

  it('reads script and data URLs, CSS and sinks', () => {
    expect(detectXss('see java script:alert(1)', ALL)).toBe('xss.js-url');
    expect(detectXss('see mocha:x', ALL)).toBe('xss.js-url');
    expect(detectXss('see data:text/html,x', ALL)).toBe('xss.data-url');
    expect(detectXss('see x=behavior :url(x)', ALL)).toBe('xss.css-expression');
    expect(detectXss('see x=expression (alert(1))', ALL)).toBe('xss.css-expression');
    expect(detectXss('see x=exp/**/ression(alert(1))', ALL)).toBe('xss.css-expression');
    expect(detectXss('see x=-moz-binding:url(x)', ALL)).toBe('xss.css-expression');
    expect(detectXss('see alert `1`', ALL)).toBeNull();
    expect(detectXss('see alert`1`', ALL)).toBe('xss.js-call');
    expect(detectXss('see (alert)(1)', ALL)).toBe('xss.js-call');
    expect(detectXss('see [1].find(alert)', ALL)).toBe('xss.js-call');
    expect(detectXss('see "; document.cookie', ALL)).toBe('xss.js-sink');
    expect(detectXss("see top['x']", ALL)).toBe('xss.js-call');
    expect(detectXss('please confirm the date (today)', ALL)).toBeNull();
  });
});

/**
 * The pre-check against the rules it stands for: values read with it and with every rule run (`detectXssReadingAll`)
 * get the same verdict, with every trigger and with their own. The values are made to reach the pre-check's edges
 * (prose, then the names, schemes and words the rules need, near misses of them and the punctuation around them),
 * plus every line of the corpus. A rule that changes without the pre-check fails here.
 */
describe('the XSS pre-check agrees with reading every value in full', () => {
  const PIECES = [
    '<script>', '</script', '<%script', '<x:script>', ':script', 'script', '<svg', '<svg:svg', '<iframe', '<xml-stylesheet',
    '<a', '<b ', '<foo val="bar" />', '<user@host.com>', 'on', 'onload', 'onxyz', 'onmouseover', 'x-onload', 'style',
    'srcdoc', 'xlink:href', 'ev:handler', 'ev:event', 'formaction', 'seeksegmenttime', 'javascript:', 'java script:',
    'j a v a s c r i p t :', 'vbscript:', 'livescript :', 'mocha:', 'pt:', 'ha:', 'data:', 'data:text/html,',
    'data: image/svg', 'behavior:', 'behavior :', 'behav/**/ior:', '/*', '*/', 'expression(', 'expression (',
    'exp/**/ression(', 'expression', '-moz-binding', 'alert(1)', 'alert', 'alert`1`', '(alert)(1)', 'alert)', 'alert,',
    'find(alert)', 'eval(', 'prompt', 'confirm', 'settimeout(', 'fromcharcode', 'document.cookie', '.cookie',
    '.innerhtml', 'location.href', 'window.location', 'top[', "top['al'+'ert']", 'window[1]', 'self[`x`]', 'myself[1]',
    'the', 'a', 'see', 'x', 'http://a.b/c?d=e&f=g', '=====', 'file.htm', '&#39;',
  ];
  const PUNCTUATION = [
    '<', '>', '</', '<!', '<?', '=', ' = ', '="', "='", '"', "'", '`', '(', ')', ',', '.', '[', ']', ':', ';', '{', '}',
    '/', '-', ' ', ' ', '\t', '\n', '\f', '1', '+', '!', '$', '_',
  ];
  const STARTS = ['', '', 'see ', '"name" ', 'a ', "it's ", '<a ', '"x" <', '- text.htm << ', 'x=', '" '];
  const bothWays = (values: Iterable<string>): string[] => readDifferently(values, (v) => [ALL, triggerMask(v)], detectXss, detectXssReadingAll);

  it('on 20,000 values built to reach its edges', () => {
    const values = builtValues(20_251_203, 20_000, { starts: STARTS, pieces: PIECES, punctuation: PUNCTUATION, maxParts: 12, pieceShare: 0.5, spaceShare: 0.5 });
    const found = values.filter((v) => detectXssReadingAll(v, ALL) !== null).length;
    expect(bothWays(values)).toEqual([]);
    // (the values reach the rules: a good share is found, and so the two readings have something to disagree on)
    expect(found).toBeGreaterThan(2_000);
  });

  it.skipIf(!hasCorpus)('on every corpus line, lower-cased', () => {
    const lines = chatLengthCorpusLines();
    expect(lines.length).toBeGreaterThan(10_000);
    expect(bothWays(lines)).toEqual([]);
  });
});
