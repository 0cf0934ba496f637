import { describe, expect, it } from 'vitest';
import { detectXss, detectXssReadingAll } from '../../../src/policies/inspection/scan/xss.js';
import { triggerMask } from '../../../src/policies/inspection/scan/triggers.js';
import { agreesWithFullReading } from '../../support/precheck.js';

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
  agreesWithFullReading({
    seed: 20_251_203,
    shapes: { starts: STARTS, pieces: PIECES, punctuation: PUNCTUATION, maxParts: 12, pieceShare: 0.5, spaceShare: 0.5 },
    contexts: (v) => [ALL, triggerMask(v)],
    checked: detectXss,
    full: detectXssReadingAll,
    foundIn: ALL,
  });
});
