/**
 * A deterministic generator for tests that build many inputs, so a failure names an input that can be replayed:
 * each call returns an integer in [0, n).
 */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
}
