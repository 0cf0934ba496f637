import { describe, expect, it } from 'vitest';
import {
  compileHtmlSanitizer,
  compileSanitizer,
  escapeHtml,
  sanitizeHtml,
} from '../../../src/policies/inspection/sanitize/index.js';

function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== 'object' || item === null || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const key of Object.keys(item)) pending.push((item as Record<string, unknown>)[key]);
  }
  return value;
}

/** Nothing that could run script survives: no script-capable tag, no handler attribute, no javascript: URL. */
function expectInert(html: string): void {
  expect(html).not.toMatch(/<\s*(script|svg|iframe|object|embed|math|style|img)/i);
  expect(html).not.toMatch(/\son\w+\s*=/i);
  expect(html).not.toMatch(/javascript:/i);
}

describe('sanitizeHtml (default allow-list)', () => {
  it.each([
    ['<img src=x onerror=alert(1)>', ''],
    ['<script>alert(1)</script>after', 'after'],
    ['<a href="javascript:alert(1)">link</a>', '<a href>link</a>'],
    ['<a href="  JaVaScRiPt:alert(1)">link</a>', '<a href>link</a>'],
    ['<a href="jav&#x61;script:alert(1)">link</a>', '<a href>link</a>'],
    ['<a href=&#106;avascript:alert(1)>link</a>', '<a href>link</a>'],
    ['<a href="data:text/html,<script>alert(1)</script>">link</a>', '<a href>link</a>'],
    ['<svg onload=alert(1)>', ''],
    ['<svg><g onload=alert(1)></g></svg>after', 'after'],
    ['<iframe src="https://evil.example"></iframe>after', 'after'],
    ['<iframe/src=javascript:alert(1)>', ''],
    ['<b/onclick=alert(1)>x</b>', 'x</b>'],
    ['<math><mi xlink:href="javascript:alert(1)">x</mi></math>after', 'after'],
    ['<style>body{display:none}</style>after', 'after'],
    ['<b onmouseover=alert(1)>bold</b>', '<b>bold</b>'],
    ['<scr<script>ipt>alert(1)</script>', '&lt;scr'],
    ['<textarea><script>alert(1)</script></textarea>after', 'after'],
    ['<!-- <script>alert(1)</script> -->after', 'after'],
  ])('neutralises %s', (input, expected) => {
    const output = sanitizeHtml(input);
    expect(output).toBe(expected);
    expectInert(output);
  });

  it('keeps benign formatting and safe links', () => {
    expect(sanitizeHtml('<b>bold</b>')).toBe('<b>bold</b>');
    expect(sanitizeHtml('<p><em>a</em> <strong>b</strong> <code>c</code></p><ul><li>d</li></ul>')).toBe(
      '<p><em>a</em> <strong>b</strong> <code>c</code></p><ul><li>d</li></ul>',
    );
    expect(sanitizeHtml('<a href="https://example.com/x?a=1&b=2" title="t" target="_blank" onclick="x()">l</a>')).toBe(
      '<a href="https://example.com/x?a=1&b=2" title="t">l</a>',
    );
  });

  it('removes tags that are not allowed but keeps their text, and escapes a < that opens no tag', () => {
    expect(sanitizeHtml('<blink>hi</blink> <div>there</div>')).toBe('hi there');
    expect(sanitizeHtml('1 < 2 and x <3 y')).toBe('1 &lt; 2 and x &lt;3 y');
  });

  it('removes everything after an unclosed script, as a browser would have swallowed it', () => {
    expect(sanitizeHtml('before<script>alert(1)')).toBe('before');
    expect(sanitizeHtml('a<script><script></script>b</script>c')).toBe('ac');
  });

  it('cannot be tricked by the internal markers appearing in the input', () => {
    const output = sanitizeHtml('x<\u0000+<script>alert(1)</script><\u0000-y');
    expect(output).toBe('x&lt;\u0000+&lt;\u0000-y');
  });

  it('returns text without < or > as it is', () => {
    const text = 'plain & simple "text"';
    expect(sanitizeHtml(text)).toBe(text);
  });
});

describe('compileHtmlSanitizer', () => {
  it('takes its own allow-list: an allowed <img> keeps src and loses handlers', () => {
    const sanitize = compileHtmlSanitizer({ allowedTags: ['img', 'b'], allowedAttributes: { img: ['src', 'alt'] } });
    expect(sanitize('<img src=x onerror=alert(1)>')).toBe('<img src>');
    expect(sanitize('<img src="https://cdn.example/a.png" alt="a" onerror="alert(1)">')).toBe(
      '<img src="https://cdn.example/a.png" alt="a">',
    );
    expect(sanitize('<img src="javascript:alert(1)">')).toBe('<img src>');
    // <a> is no longer allowed: its text stays.
    expect(sanitize('<a href="https://example.com">l</a><b>b</b>')).toBe('l<b>b</b>');
  });

  it('applies the default attributes to whichever of their tags are allowed', () => {
    expect(compileHtmlSanitizer({ allowedTags: ['b'] })('<b title="t">x</b><a href="https://e.example">l</a>')).toBe('<b>x</b>l');
    expect(compileHtmlSanitizer({ allowedTags: ['a'] })('<a href="https://e.example" title="t">l</a>')).toBe(
      '<a href="https://e.example" title="t">l</a>',
    );
  });

  it('refuses at startup an allow-list that cannot be made safe', () => {
    expect(() => compileHtmlSanitizer({ allowedTags: ['script'] })).toThrow(/script/);
    expect(() => compileHtmlSanitizer({ allowedTags: ['svg'] })).toThrow(TypeError);
    expect(() => compileHtmlSanitizer({ allowedTags: ['iframe'] })).toThrow(TypeError);
    expect(() => compileHtmlSanitizer({ allowedTags: ['b'], allowedAttributes: { b: ['onclick'] } })).toThrow(/onclick/);
    expect(() => compileHtmlSanitizer({ allowedTags: ['b'], allowedAttributes: { b: ['style'] } })).toThrow(TypeError);
    expect(() => compileHtmlSanitizer({ allowedTags: ['b'], allowedAttributes: { i: ['title'] } })).toThrow(/not in allowedTags/);
    expect(() => compileHtmlSanitizer({ allowedTags: ['b c'] })).toThrow(TypeError);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('returns text without them as it is', () => {
    const text = 'hello there, how are you?';
    expect(escapeHtml(text)).toBe(text);
  });
});

describe('compileSanitizer (field paths of the first argument)', () => {
  const sanitize = compileSanitizer({
    html: ['body', 'post.body', 'items[].text', 'threads[].posts[].html'],
    text: ['title'],
  });

  it('sanitizes html fields and escapes text fields at their paths', () => {
    const payload = deepFreeze([
      {
        title: '<b>Hi</b>',
        body: '<b>x</b><script>alert(1)</script>',
        post: { body: '<img src=x onerror=alert(1)>ok', other: '<script>left alone</script>' },
        items: [{ text: '<svg onload=alert(1)>' }, { text: 'plain' }, 'not an object'],
        threads: [{ posts: [{ html: '<i>i</i><iframe></iframe>' }] }],
        untouched: '<script>x</script>',
      },
      '<script>second argument</script>',
    ]);
    const result = sanitize(payload);
    expect(result).toEqual([
      {
        title: '&lt;b&gt;Hi&lt;/b&gt;',
        body: '<b>x</b>',
        post: { body: 'ok', other: '<script>left alone</script>' },
        items: [{ text: '' }, { text: 'plain' }, 'not an object'],
        threads: [{ posts: [{ html: '<i>i</i>' }] }],
        untouched: '<script>x</script>',
      },
      '<script>second argument</script>',
    ]);
  });

  it('copies only the containers on the way to a change, and never mutates the input', () => {
    const unchanged = { text: 'plain' };
    const payload = deepFreeze([{ items: [{ text: '<script>x</script>' }, unchanged], post: { body: 'fine' } }]);
    const result = sanitize(payload) as [{ items: unknown[]; post: unknown }];
    expect(result[0].items[1]).toBe(unchanged);
    expect(result[0].post).toBe((payload[0] as { post: unknown }).post);
    expect((payload[0] as { items: { text: string }[] }).items[0]?.text).toBe('<script>x</script>');
  });

  it('returns null when nothing changed or nothing matched', () => {
    expect(sanitize([{ body: 'hello', title: 'plain', post: { body: '<b>ok</b>' } }])).toBeNull();
    expect(sanitize([{ body: 42, post: 'not an object', items: { text: '<script>' } }])).toBeNull();
    expect(sanitize(['<script>a string first argument</script>'])).toBeNull();
    expect(sanitize([])).toBeNull();
    expect(compileSanitizer({})([{ body: '<script>' }])).toBeNull();
  });

  it('applies [] at the start to a first argument that is an array', () => {
    expect(compileSanitizer({ html: ['[].text'] })([[{ text: '<script>x</script>ok' }]])).toEqual([[{ text: 'ok' }]]);
    expect(compileSanitizer({ text: ['[]'] })([['<b>', 'ok']])).toEqual([['&lt;b&gt;', 'ok']]);
  });

  it('keeps an own __proto__ key as data when copying, never changing a prototype', () => {
    const payload = JSON.parse('[{"__proto__":{"polluted":true},"body":"<script>x</script>"}]') as unknown[];
    const first = sanitize(payload)?.[0] as Record<string, unknown>;
    expect(first.body).toBe('');
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses bad paths at startup', () => {
    for (const path of ['', 'a..b', 'a[]b', 'a[', 'items[].', 'x.[]', '__proto__.x', 'a.constructor', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q']) {
      expect(() => compileSanitizer({ html: [path] }), path).toThrow(TypeError);
    }
    expect(() => compileSanitizer({ html: ['body'], text: ['body'] })).toThrow(/both/);
  });
});
