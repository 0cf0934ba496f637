/**
 * Text normalization: every string value in a payload, at any depth, is put in one Unicode normal form and stripped
 * of control characters and bidirectional overrides/isolates (see `characters.ts` for the exact sets and why the
 * implicit marks U+200E/U+200F/U+061C are kept).
 *
 * - `form: 'NFC'` (default) composes `e` + U+0301 into `é`, so that two spellings of one word compare equal; it never
 *   changes what a reader sees. `'NFKC'` also folds compatibility characters — fullwidth `ｓｅｌｅｃｔ` becomes `select`,
 *   ligatures and superscripts become plain letters — which defeats filters that look for keywords, at the price of
 *   changing some text (`²` becomes `2`). `'none'` leaves the form alone. With a form, lone UTF-16 surrogates (which
 *   are not text, and which UTF-8 encoders and databases reject or mangle) become U+FFFD.
 * - Characters are stripped before the string is normalized, so removing one cannot leave a sequence that would
 *   have composed differently. Normalization never produces a control or bidi character (checked over all of
 *   Unicode in the tests), so one pass suffices.
 *
 * Keys are not rewritten. Normalizing keys could turn two different keys into one (`role` and `ro\u0000le`, or `admin`
 * and fullwidth `ａｄｍｉｎ`) and let the client choose which value survives; left alone, a handler that reads `role`
 * gets exactly the value sent under `role`, and the odd key is just an unknown key. Keys that carry control or bidi
 * characters are refused by the structure check (`payload_invalid_key`), and a schema with strict objects refuses
 * unknown keys.
 *
 * Normalizing can lengthen a string: NFKC turns U+FDFA into 18 characters, NFC some characters into 3 (the bounds
 * Unicode guarantees). When the normalizer returns a rewritten payload, run the structure check on it once more if
 * `maxStringLength` must hold for what the handler receives; that is the rare path only.
 *
 * The common path allocates nothing: a first walk looks at every string, and a string made only of printable ASCII
 * (plus \t \n \r) — nearly all chat text — is settled by one comparison per character. Only when some string would
 * change is the payload rebuilt, once: containers copied, leaves (binary attachments included) shared, the input
 * never mutated. Both walks are iterative. Run it after the structure check, which bounds the work.
 */

import { isPlainObject, rebuild } from '../structure/tree.js';
import { BIDI_CLASS, CONTROL_CLASS } from './characters.js';

export type NormalForm = 'NFC' | 'NFKC' | 'none';

export interface NormalizeOptions {
  /** Unicode normal form for every string value. Default in the presets: `'NFC'`. */
  readonly form: NormalForm;
  /** Strip C0 controls except \t \n \r, DEL and C1 controls. */
  readonly stripControl: boolean;
  /** Strip bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
  readonly stripBidi: boolean;
}

/** Returns the rewritten payload, or `null` when nothing changed (the common path, which allocates nothing). */
export type Normalizer = (payload: readonly unknown[]) => readonly unknown[] | null;

// String.prototype.isWellFormed / toWellFormed are in Node 20 (V8 11.3) but not in the ES2022 lib typings.
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** True when `text` is printable ASCII, tab, line feed or carriage return only: nothing to normalize or strip. */
export function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 ? code >= 0x7f : code !== 0x09 && code !== 0x0a && code !== 0x0d) return false;
  }
  return true;
}

/** The transformation of one string, compiled from the options (identity when every option is off). */
export function compileStringNormalizer(options: NormalizeOptions): (text: string) => string {
  const { form, stripControl, stripBidi } = options;
  if (form !== 'NFC' && form !== 'NFKC' && form !== 'none') {
    throw new RangeError(`compileNormalizer: form must be 'NFC', 'NFKC' or 'none' (got ${String(form)})`);
  }
  const classes = (stripControl ? CONTROL_CLASS : '') + (stripBidi ? BIDI_CLASS : '');
  const strip = classes === '' ? null : new RegExp(`[${classes}]+`, 'g');
  const normalForm = form === 'none' ? null : form;

  return function normalizeString(text: string): string {
    if (isPlainAscii(text)) return text;
    let result = strip === null ? text : text.replace(strip, '');
    if (normalForm !== null) {
      const wide = result as unknown as WellFormedString;
      if (!wide.isWellFormed()) result = wide.toWellFormed();
      result = result.normalize(normalForm);
    }
    return result;
  };
}

const UNCHANGED: Normalizer = () => null;

export function compileNormalizer(options: NormalizeOptions): Normalizer {
  const normalizeString = compileStringNormalizer(options);
  if (options.form === 'none' && !options.stripControl && !options.stripBidi) return UNCHANGED;

  // Values waiting to be looked at, as a stack with its own pointer: reused between calls, and never shrunk (setting
  // `length = 0` lets V8 trim the backing store, which the next call would allocate again). Each slot is cleared as
  // it is popped, so the stack never keeps a message alive after its call.
  const shared: unknown[] = [];
  let busy = false;

  /** True as soon as one string of the payload would change. */
  function anyChange(stack: unknown[], payload: readonly unknown[]): boolean {
    let size = 0;
    for (let i = payload.length - 1; i >= 0; i--) stack[size++] = payload[i];
    while (size > 0) {
      const value = stack[--size];
      stack[size] = undefined;
      if (typeof value === 'string') {
        if (isPlainAscii(value) || normalizeString(value) === value) continue;
        while (size > 0) stack[--size] = undefined;
        return true;
      }
      if (typeof value !== 'object' || value === null) continue;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack[size++] = value[i];
      } else if (isPlainObject(value)) {
        // for…in reads the object's enum cache without building a key array; the own-property test skips anything
        // enumerable on a prototype.
        for (const key in value) if (Object.hasOwn(value, key)) stack[size++] = value[key];
      }
    }
    return false;
  }

  return function normalize(payload: readonly unknown[]): readonly unknown[] | null {
    // A nested call (a getter on a hand-made payload calling back in) gets a stack of its own.
    if (busy) return anyChange([], payload) ? rebuild(payload, normalizeString, null) : null;
    busy = true;
    let changed: boolean;
    try {
      changed = anyChange(shared, payload);
    } finally {
      busy = false;
    }
    return changed ? rebuild(payload, normalizeString, null) : null;
  };
}
