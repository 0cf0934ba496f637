/**
 * HTML sanitizing and escaping for single strings.
 *
 * The sanitizer is js-xss (`xss` on npm), configured from an allow-list of tags and attributes; nothing here is a
 * regular expression of our own deciding what is safe. Why js-xss:
 * - it runs on Node 20: `engines` `>= 0.10.0`, plain JavaScript, two small dependencies (`cssfilter`, `commander`),
 *   about 0.5 MB installed with them, no DOM. `sanitize-html` needs Node ≥ 22.12 from 2.17.6 on (pinning 2.17.5 would
 *   mean missing every later fix, the wrong trade for a sanitizer), and DOMPurify needs a DOM: jsdom asks for Node
 *   ≥ 22.22 and weighs megabytes.
 * - it is allow-list based: only listed tags and, per tag, listed attributes survive; `href`/`src` keep only
 *   http(s), mailto, tel, ftp, relative and `data:image/` URLs after decoding entities and stripping blanks, so
 *   `javascript:` in any spelling is emptied; comments are removed.
 * - it is quick enough for messages: on Node 20 (a loaded 2-core machine), 1 KB with about 70 tags takes about 40 µs,
 *   1 KB with one tag about 4 µs, and a string without `<` or `>` about 30 ns — it is returned as it is without being
 *   parsed (js-xss would return it unchanged anyway).
 *
 * What we add around it, and why:
 * - Tags that are not allowed are removed and their text kept (`<blink>hi</blink>` → `hi`); a `<` that starts no tag
 *   is escaped (`1 < 2`, `<3` stay readable). js-xss would otherwise escape every unknown tag into visible markup.
 * - The content of `script`, `style`, `iframe`, `svg`, `math`, `template`, `textarea` and the like is removed with the
 *   tag (through internal markers that cannot occur in js-xss output: it escapes every `<` that does not open an
 *   allowed tag); an unclosed one removes everything after it, as a browser would have swallowed it. js-xss has
 *   already made that content inert text; removing it only keeps `alert(1)` out of the conversation.
 * - `href` may not be a `data:` URL (navigating to one is never needed in chat).
 * - Allowing a tag or attribute that cannot be made safe (`script`, `iframe`, `svg`, `on*` handlers, `style`,
 *   `srcdoc`…) is a startup error, not a silent hole.
 *
 * Not done: balancing tags. `<b>bold` stays unclosed; insert each message into its own element (whose `innerHTML`
 * parsing closes it) rather than concatenating messages into one HTML string.
 */

// The default import is js-xss's `module.exports`: its helpers (`safeAttrValue`) are attached in a loop that Node's
// CommonJS named-export detection cannot see, so they are only reachable through it.
// (Its typings describe the default import as the `filterXSS` function alone, hence the cast.)
import filterXss from 'xss';
import type * as Xss from 'xss';

const xss = filterXss as unknown as typeof Xss;

/** Per tag, the attributes allowed on it. */
export type AllowedAttributes = Readonly<Record<string, readonly string[]>>;

export interface HtmlSanitizerOptions {
  /** Tags kept (lower case). Default: {@link DEFAULT_ALLOWED_TAGS}. */
  readonly allowedTags?: readonly string[];
  /** Attributes kept, per tag; every tag named must be allowed. Default: {@link DEFAULT_ALLOWED_ATTRIBUTES} (`a`: `href`, `title`). */
  readonly allowedAttributes?: AllowedAttributes;
}

/** Inline formatting, quotes, lists and links: what chat and comments need. No images (tracking pixels) by default. */
export const DEFAULT_ALLOWED_TAGS: readonly string[] = Object.freeze([
  'a', 'b', 'strong', 'i', 'em', 'u', 's', 'del', 'ins', 'mark', 'small', 'sub', 'sup',
  'code', 'pre', 'kbd', 'blockquote', 'p', 'br', 'ul', 'ol', 'li', 'span',
]);

export const DEFAULT_ALLOWED_ATTRIBUTES: AllowedAttributes = Object.freeze({ a: Object.freeze(['href', 'title']) });

/** Tags whose content is removed along with them when they are not allowed. */
const BODY_TAGS: ReadonlySet<string> = new Set([
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'noscript', 'noembed', 'noframes',
  'template', 'textarea', 'title', 'xmp', 'plaintext', 'svg', 'math', 'select', 'option',
]);

/** Tags that can never be allowed: they run code, load documents, submit forms, or change how the page parses. */
const FORBIDDEN_TAGS: ReadonlySet<string> = new Set([
  ...BODY_TAGS, 'base', 'link', 'meta', 'form', 'input', 'button', 'param', 'portal', 'html', 'head', 'body',
]);

/** Attributes that can never be allowed: event handlers, inline CSS (overlays for clickjacking), nested documents. */
function isForbiddenAttribute(name: string): boolean {
  return /^on/i.test(name) || ['style', 'srcdoc', 'formaction', 'action', 'xmlns', 'xlink:href'].includes(name.toLowerCase());
}

const TAG_NAME = /^[a-z][a-z0-9-]*$/;
const TAG_NAME_START = /^[a-z][a-z0-9-]*/;
// Markers for the start and the end of a removed body. js-xss escapes every `<` that does not open an allowed tag, so
// `<` followed by NUL never appears in its output except where we put it.
const OPEN = '<\u0000+';
const CLOSE = '<\u0000-';
const MARK = '<\u0000';

/** Remove everything between OPEN and its CLOSE (nesting counted), and everything after an OPEN never closed. */
function removeMarkedBodies(html: string): string {
  let result = '';
  let depth = 0;
  let from = 0;
  for (let at = html.indexOf(MARK); at !== -1; at = html.indexOf(MARK, from)) {
    if (depth === 0) result += html.slice(from, at);
    depth = html[at + 2] === '+' ? depth + 1 : Math.max(0, depth - 1);
    from = at + OPEN.length;
  }
  return depth === 0 ? result + html.slice(from) : result;
}

export type HtmlSanitizer = (html: string) => string;

export function compileHtmlSanitizer(options: HtmlSanitizerOptions = {}): HtmlSanitizer {
  const tags = options.allowedTags ?? DEFAULT_ALLOWED_TAGS;
  const attributes = options.allowedAttributes ?? DEFAULT_ALLOWED_ATTRIBUTES;
  const whiteList: Record<string, string[]> = {};
  for (const raw of tags) {
    const tag = typeof raw === 'string' ? raw.toLowerCase() : '';
    if (!TAG_NAME.test(tag)) throw new TypeError(`allowedTags: ${JSON.stringify(raw)} is not a tag name`);
    if (FORBIDDEN_TAGS.has(tag)) throw new TypeError(`allowedTags: <${tag}> cannot be made safe and cannot be allowed`);
    whiteList[tag] = [];
  }
  for (const [rawTag, names] of Object.entries(attributes)) {
    const tag = rawTag.toLowerCase();
    const list = whiteList[tag];
    if (list === undefined) {
      // The default attributes apply to whichever of their tags are allowed; a list of one's own must match.
      if (options.allowedAttributes === undefined) continue;
      throw new TypeError(`allowedAttributes: <${tag}> is not in allowedTags`);
    }
    for (const name of names) {
      if (isForbiddenAttribute(name)) throw new TypeError(`allowedAttributes: ${JSON.stringify(name)} on <${tag}> cannot be allowed`);
      list.push(name.toLowerCase());
    }
  }

  const xssOptions: Xss.IFilterXSSOptions = {
    whiteList,
    allowCommentTag: false,
    onIgnoreTag(tag, _html, info) {
      // js-xss splits the name at whitespace only; a browser also ends it at `/` (`<iframe/src=…>` is an iframe).
      const name = TAG_NAME_START.exec(tag)?.[0];
      // Not a tag at all (`< b`, `<3`): escaped as text.
      if (name === undefined) return undefined;
      if (BODY_TAGS.has(name)) return info.isClosing === true ? CLOSE : OPEN;
      // A real tag that is not allowed goes, its text stays.
      return '';
    },
    safeAttrValue(tag, name, value, cssFilter) {
      const safe = xss.safeAttrValue(tag, name, value, cssFilter);
      return name === 'href' && /^\s*data:/i.test(safe) ? '' : safe;
    },
  };
  const filter = new xss.FilterXSS(xssOptions);

  return function sanitize(html: string): string {
    // Without `<` or `>` there is no tag and nothing js-xss would change.
    if (!html.includes('<') && !html.includes('>')) return html;
    const out = filter.process(html);
    return out.includes(MARK) ? removeMarkedBodies(out) : out;
  };
}

let defaultSanitizer: HtmlSanitizer | undefined;

/** Sanitize one HTML string with the default allow-list ({@link DEFAULT_ALLOWED_TAGS}). */
export function sanitizeHtml(html: string): string {
  defaultSanitizer ??= compileHtmlSanitizer();
  return defaultSanitizer(html);
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPE_ALL = /[&<>"']/g;

/**
 * Escape text for use in HTML content or a quoted attribute value: `& < > " '`. Text with none of them is returned
 * as it is (no allocation). Escaping is for text a client inserts as HTML; text shown with `textContent` must not be
 * escaped, or the entities show.
 */
export function escapeHtml(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? c) : text;
}
