/**
 * A string's UTF-16 code units in a typed array, copied by the runtime in one call (`Buffer.write` as UTF-16LE): a
 * loop over a typed array runs about twice as fast as one over `charCodeAt`, which pays for the copy on long values
 * (on short ones it does not: they keep their string loops). Only where the machine's order is UTF-16LE's, i.e. on
 * every little-endian host; elsewhere the callers keep reading the string.
 */

export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * A loader with its own buffer (grown to the longest value it was given, so at most `maxStringLength` units): each
 * call overwrites the last value's units, so a caller uses the array before it loads another value. The unit after
 * the value is 0, a control character: loops can stop on it instead of checking the length at every step.
 */
export function unitLoader(): (s: string) => Uint16Array {
  let units = new Uint16Array(0);
  let bytes = Buffer.from(units.buffer);
  return (s) => {
    if (s.length >= units.length) {
      units = new Uint16Array(Math.max(s.length + 1, units.length * 2));
      bytes = Buffer.from(units.buffer);
    }
    bytes.write(s, 0, 'utf16le');
    units[s.length] = 0;
    return units;
  };
}
