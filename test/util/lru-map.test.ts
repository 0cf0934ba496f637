import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/util/lru-map.js';

describe('LruMap', () => {
  it('rejects a cap that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => new LruMap(bad)).toThrow(RangeError);
  });

  it('keeps at most maxSize entries, dropping the oldest and reporting each', () => {
    const evicted: Array<[string, number]> = [];
    const lru = new LruMap<string, number>(2, (key, value) => evicted.push([key, value]));
    lru.set('a', 1).set('b', 2).set('c', 3).set('d', 4);
    expect(lru.size).toBe(2);
    expect([...lru.entries()]).toEqual([
      ['c', 3],
      ['d', 4],
    ]);
    expect(evicted).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('get marks a key as recently used, so it outlives older ones', () => {
    const lru = new LruMap<string, number>(3);
    lru.set('a', 1).set('b', 2).set('c', 3);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4);
    expect([...lru.keys()]).toEqual(['c', 'a', 'd']);
    expect(lru.has('b')).toBe(false);
    expect(lru.get('b')).toBeUndefined();
  });

  it('peek reads without changing the order', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1).set('b', 2);
    expect(lru.peek('a')).toBe(1);
    expect(lru.peek('zz')).toBeUndefined();
    lru.set('c', 3);
    expect([...lru.keys()]).toEqual(['b', 'c']);
  });

  it('set on a present key replaces the value and moves it last without evicting', () => {
    const evicted: string[] = [];
    const lru = new LruMap<string, number>(3, (key) => evicted.push(key));
    lru.set('a', 1).set('b', 2).set('c', 3).set('a', 10);
    expect(evicted).toEqual([]);
    expect([...lru.entries()]).toEqual([
      ['b', 2],
      ['c', 3],
      ['a', 10],
    ]);
    lru.set('d', 4);
    expect(evicted).toEqual(['b']);
  });

  it('has, delete, clear and size; neither delete nor clear reports an eviction', () => {
    const evicted: string[] = [];
    const lru = new LruMap<string, number>(3, (key) => evicted.push(key));
    lru.set('a', 1).set('b', 2);
    expect(lru.has('a')).toBe(true);
    expect(lru.delete('a')).toBe(true);
    expect(lru.delete('a')).toBe(false);
    expect(lru.has('a')).toBe(false);
    expect(lru.size).toBe(1);
    lru.clear();
    expect(lru.size).toBe(0);
    expect([...lru.values()]).toEqual([]);
    lru.set('c', 3);
    expect([...lru.values()]).toEqual([3]);
    expect(evicted).toEqual([]);
  });

  it('keeps a key whose value is undefined, and get still marks it used', () => {
    const lru = new LruMap<string, number | undefined>(2);
    lru.set('a', undefined).set('b', 1);
    expect(lru.has('a')).toBe(true);
    expect(lru.get('a')).toBeUndefined();
    lru.set('c', 2);
    expect([...lru.keys()]).toEqual(['a', 'c']);
  });

  it('allows deleting while iterating', () => {
    const lru = new LruMap<number, number>(10);
    for (let i = 0; i < 6; i++) lru.set(i, i);
    for (const [key, value] of lru.entries()) if (value % 2 === 0) lru.delete(key);
    expect([...lru.keys()]).toEqual([1, 3, 5]);
  });

  // A Map-order LRU (delete + set to touch, delete the first key to evict) takes about 0.1 ms per operation here on
  // V8, which would put seconds on these loops; the limits leave a wide margin for slow machines.
  it('stays fast when two hot keys take turns in a full map', () => {
    const lru = new LruMap<string, number>(100_000);
    for (let i = 0; i < 100_000; i++) lru.set(`k${i}`, i);
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) lru.get(i % 2 === 0 ? 'k1' : 'k2');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect([...lru.keys()].slice(-2)).toEqual(['k1', 'k2']);
  });

  it('stays fast when every set evicts', () => {
    const lru = new LruMap<string, number>(100_000);
    for (let i = 0; i < 100_000; i++) lru.set(`k${i}`, i);
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) lru.set(`n${i}`, i);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(lru.size).toBe(100_000);
    expect(lru.has('k99999')).toBe(false);
  });

  it('matches a reference LRU over a long random sequence of operations', () => {
    // The reference: an array, oldest first, with no shortcuts.
    const maxSize = 4;
    const model: Array<[number, number]> = [];
    const modelEvicted: number[] = [];
    const evicted: number[] = [];
    const lru = new LruMap<number, number>(maxSize, (key) => evicted.push(key));
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const touch = (key: number): [number, number] | undefined => {
      const index = model.findIndex(([k]) => k === key);
      if (index === -1) return undefined;
      const [entry] = model.splice(index, 1);
      if (entry !== undefined) model.push(entry);
      return entry;
    };

    for (let step = 0; step < 20_000; step++) {
      const key = random(7);
      const op = random(6);
      if (op === 0 || op === 1) {
        expect(lru.get(key)).toBe(touch(key)?.[1]);
      } else if (op === 2) {
        const value = random(1_000);
        if (touch(key) === undefined) model.push([key, value]);
        else model[model.length - 1] = [key, value];
        if (model.length > maxSize) modelEvicted.push((model.shift() as [number, number])[0]);
        lru.set(key, value);
      } else if (op === 3) {
        const index = model.findIndex(([k]) => k === key);
        if (index !== -1) model.splice(index, 1);
        expect(lru.delete(key)).toBe(index !== -1);
      } else if (op === 4) {
        expect(lru.peek(key)).toBe(model.find(([k]) => k === key)?.[1]);
      } else if (random(20) === 0) {
        model.length = 0;
        lru.clear();
      }
      expect([...lru.entries()]).toEqual(model);
    }
    expect(evicted).toEqual(modelEvicted);
    expect(evicted.length).toBeGreaterThan(100);
  });
});
