/**
 * A Map with a hard cap on its size: setting a new key past the cap drops the least recently used one.
 *
 * Recency is the Map's insertion order: a use moves the key to the end (delete + set), so the oldest key is always
 * the first one iterated. That keeps every operation O(1) with no list nodes to allocate, which matters because this
 * sits on the per-message path.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  /**
   * The key last made most recent. A client sending a burst hits the same key again and again; when it is already
   * last, moving it would change nothing, so the delete + set (and the rehashing it causes) is skipped. It is only
   * trusted while present in `map`, and then it is last: making another key recent replaces it, and a deleted key
   * comes back only through `set`, which makes it the newest again. So delete and clear need not touch it.
   */
  private newest: K | undefined;

  /**
   * @param maxSize Most keys kept; a positive integer.
   * @param onEvict Called for each key dropped to honour the cap (not for `delete` or `clear`).
   */
  constructor(
    private readonly maxSize: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`LruMap maxSize must be a positive integer, got ${maxSize}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value at `key`, marking the key as the most recently used. */
  get(key: K): V | undefined {
    const map = this.map;
    const value = map.get(key);
    if (value === undefined && !map.has(key)) return undefined;
    if (key !== this.newest) {
      map.delete(key);
      map.set(key, value as V);
      this.newest = key;
    }
    return value;
  }

  /** The value at `key`, leaving its recency alone (for sweeps and introspection). */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Store `value` as the most recently used entry, dropping the oldest entry when over the cap. */
  set(key: K, value: V): this {
    const map = this.map;
    if (key !== this.newest) map.delete(key);
    map.set(key, value);
    this.newest = key;
    // One set adds at most one key, so at most one key goes. Over the cap the map holds at least two keys (maxSize
    // >= 1), so the key just set is never the one dropped.
    if (map.size > this.maxSize) {
      const oldest = map.entries().next();
      if (!oldest.done) {
        const [oldKey, oldValue] = oldest.value;
        map.delete(oldKey);
        this.onEvict?.(oldKey, oldValue);
      }
    }
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** Keys, least recently used first. Deleting while iterating is safe (it is a Map iterator). */
  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
