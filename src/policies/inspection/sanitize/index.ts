/**
 * Field sanitization: strings at the configured paths of a message's **first argument** (the usual single payload
 * object: `socket.emit('post', { title, body })`) are cleaned before the handler sees them.
 *
 * - `html` paths: sanitized with an allow-list HTML sanitizer (js-xss; see `html.ts` for the choice and its limits).
 * - `text` paths: HTML-escaped (`<` → `&lt;` …), for clients that insert that field as HTML. Do not list fields your
 *   clients show with `textContent`: they would display the entities.
 *
 * Paths: `body`, `post.body`, `items[].text`, `[].text` (see `paths.ts`). A path that does not match the payload
 * (missing field, a number where a string was expected, an object where an array was expected) is skipped: checking
 * types is the schema's job. Other arguments are never touched.
 *
 * The result is a new payload with copies of the containers on the way to a changed string (everything else shared),
 * or `null` when no string changed; the input is never mutated. The walk follows the configured paths, not the
 * payload: its recursion is as deep as the longest path (at most 16 segments, checked at startup), never as deep as the
 * payload, and arrays are looped over.
 */

import { defineOwn, isPlainObject, shallowCopy, type PlainObject } from '../structure/tree.js';
import { compileHtmlSanitizer, escapeHtml, type AllowedAttributes, type HtmlSanitizer } from './html.js';
import { compilePaths, type PathNode } from './paths.js';

export {
  compileHtmlSanitizer,
  DEFAULT_ALLOWED_ATTRIBUTES,
  DEFAULT_ALLOWED_TAGS,
  escapeHtml,
  sanitizeHtml,
  type AllowedAttributes,
  type HtmlSanitizer,
  type HtmlSanitizerOptions,
} from './html.js';

export interface SanitizeOptions {
  /** Fields of the first argument holding HTML to sanitize: `['body', 'post.body', 'items[].text']`. */
  readonly html?: readonly string[];
  /** Fields of the first argument holding plain text to HTML-escape: `['title']`. */
  readonly text?: readonly string[];
  /** Tags kept in `html` fields. Default: `a b strong i em u s del ins mark small sub sup code pre kbd blockquote p br ul ol li span`. */
  readonly allowedTags?: readonly string[];
  /** Attributes kept in `html` fields, per tag. Default: `{ a: ['href', 'title'] }`. */
  readonly allowedAttributes?: AllowedAttributes;
}

/** Returns the rewritten payload, or `null` when nothing changed. */
export type Sanitizer = (payload: readonly unknown[]) => readonly unknown[] | null;

const UNCHANGED: Sanitizer = () => null;

export function compileSanitizer(options: SanitizeOptions): Sanitizer {
  const root = compilePaths(options.html ?? [], options.text ?? []);
  if (root === null) return UNCHANGED;
  const htmlOptions: { allowedTags?: readonly string[]; allowedAttributes?: AllowedAttributes } = {};
  if (options.allowedTags !== undefined) htmlOptions.allowedTags = options.allowedTags;
  if (options.allowedAttributes !== undefined) htmlOptions.allowedAttributes = options.allowedAttributes;
  const sanitizeHtml: HtmlSanitizer = compileHtmlSanitizer(htmlOptions);

  /** The value with every field under `node` cleaned: the same value when nothing changed, else a copy. */
  function apply(node: PathNode, value: unknown): unknown {
    if (typeof value === 'string') {
      if (node.action === 'html') return sanitizeHtml(value);
      if (node.action === 'text') return escapeHtml(value);
      return value;
    }
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      const each = node.each;
      if (each === null) return value;
      let copy: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const cleaned = apply(each, item);
        if (cleaned !== item) {
          copy ??= value.slice();
          copy[i] = cleaned;
        }
      }
      return copy ?? value;
    }
    if (!isPlainObject(value) || node.children.length === 0) return value;
    let copy: PlainObject | null = null;
    const children = node.children;
    for (let i = 0; i < children.length; i++) {
      const [key, child] = children[i] as [string, PathNode];
      if (!Object.hasOwn(value, key)) continue;
      const field = value[key];
      const cleaned = apply(child, field);
      if (cleaned !== field) {
        copy ??= shallowCopy(value);
        defineOwn(copy, key, cleaned);
      }
    }
    return copy ?? value;
  }

  return function sanitize(payload: readonly unknown[]): readonly unknown[] | null {
    if (payload.length === 0) return null;
    const first = payload[0];
    const cleaned = apply(root, first);
    if (cleaned === first) return null;
    const next = payload.slice();
    next[0] = cleaned;
    return next;
  };
}
