/**
 * The characters payload inspection treats as unsafe in text, in one place so the normalizer (which strips them from
 * values) and the structure check (which refuses keys that carry them) agree.
 *
 * - Control characters: C0 except tab, line feed and carriage return (U+0000–U+0008, U+000B, U+000C,
 *   U+000E–U+001F), DEL (U+007F) and C1 (U+0080–U+009F). None has a place in chat text; NUL truncates strings in C
 *   libraries and some databases, ESC starts terminal escape sequences in log viewers, and C1 controls are read as
 *   line breaks or escapes by some decoders.
 * - Bidirectional overrides and isolates: U+202A–U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066–U+2069 (LRI, RLI, FSI,
 *   PDI). They reorder how the text around them is displayed ("Trojan Source", CVE-2021-42574): a file name
 *   `invoice‮fdp.exe` shows as `invoiceexe.pdf`.
 *
 * The implicit marks U+200E (LRM), U+200F (RLM) and U+061C (ALM) are kept on purpose: Hebrew and Arabic writers type
 * them to place punctuation and numbers correctly, and they cannot reorder a run of text — they only set the
 * direction of neutral characters next to them, and open no embedding that could spill over the rest of a line.
 * Stripping them would damage legitimate right-to-left text to stop no known attack.
 */

/** A control character the normalizer strips (C0 except \t \n \r, DEL, C1). */
export function isUnsafeControl(code: number): boolean {
  return code < 0x20 ? code !== 0x09 && code !== 0x0a && code !== 0x0d : code >= 0x7f && code <= 0x9f;
}

/** A bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069). */
export function isBidiControl(code: number): boolean {
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

/** Regular-expression class bodies for the same sets, for `String.prototype.replace` on the slow path. */
export const CONTROL_CLASS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F';
export const BIDI_CLASS = '\\u202A-\\u202E\\u2066-\\u2069';

/**
 * True when `text` contains a character that is unsafe anywhere text is shown: a control character other than
 * \t \n \r, or a bidi override or isolate. \t \n \r are unsafe in a key, where no legitimate client puts them.
 */
export function hasUnsafeKeyCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Printable ASCII is the whole of nearly every key: one comparison each.
    if (code >= 0x20 && code < 0x7f) continue;
    if (code < 0x20 || isUnsafeControl(code) || isBidiControl(code)) return true;
  }
  return false;
}
