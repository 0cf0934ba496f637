/**
 * A deterministic generator for tests that build many inputs, so a failure names an input that can be replayed:
 * each call returns an integer in [0, n). It takes the high bits of a linear congruential step: the low bits of such a
 * generator repeat with short periods (the lowest alternates), which `% n` would hand straight to the test, so
 * `random(2)` would alternate and never draw the same choice twice in a row.
 */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return Math.floor((s / 0x80000000) * n);
  };
}
