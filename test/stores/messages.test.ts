import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/stores/memory.js';
import { parseJsonObject, publishJson } from '../../src/stores/messages.js';
import type { Store } from '../../src/stores/types.js';

describe('pub/sub JSON messages', () => {
  it('reads only JSON objects: anything else another program could publish is null, never a throw', () => {
    for (const text of ['null', '[1,2]', '"text"', '42', '{', '', 'undefined']) expect(parseJsonObject(text), text).toBeNull();
    expect(parseJsonObject('{"op":"add","id":"x"}')).toEqual({ op: 'add', id: 'x' });
  });

  it('publishes to subscribers, and reports a store fault instead of throwing it, whether thrown or rejected', async () => {
    const store = memoryStore();
    const seen: string[] = [];
    void store.subscribe('c', (text) => seen.push(text));
    const faults: unknown[] = [];
    publishJson(store, 'c', { a: 1 }, (error) => faults.push(error));
    await expect.poll(() => seen).toEqual(['{"a":1}']);
    const throwing = { ...store, publish: () => { throw new Error('down'); } } as Store;
    const rejecting = { ...store, publish: () => Promise.reject(new Error('slow')) } as Store;
    expect(() => publishJson(throwing, 'c', {}, (error) => faults.push(error))).not.toThrow();
    publishJson(rejecting, 'c', {}, (error) => faults.push(error));
    await expect.poll(() => faults.map((f) => (f as Error).message)).toEqual(['down', 'slow']);
    store.close();
  });
});
