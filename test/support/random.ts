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

/**
 * Another deterministic generator (mulberry32), returning a fraction in [0, 1): the tests that compare a fast path
 * with a plain reading draw their values with it.
 */
export function seededFraction(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
