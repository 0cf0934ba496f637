import { describe, it } from 'vitest';
import { redisStore } from '../../src/stores/redis/index.js';
import { connect, redisAvailable, removeKeys, sleep, uniquePrefix } from './redis-support.js';
import { runStoreContract } from './store-contract.js';

if (await redisAvailable()) {
  runStoreContract('redis', () => {
    const client = connect();
    const keyPrefix = uniquePrefix();
    const store = redisStore(client, { keyPrefix });
    return Promise.resolve({
      store,
      // Real time: Redis keeps its own clock. Timers may fire a millisecond early by the wall clock.
      advance: (ms) => sleep(ms + 1),
      async cleanup() {
        await store.close();
        await removeKeys(client, keyPrefix);
        await client.quit();
      },
    });
  });
} else {
  describe.skip('store contract: redis (no Redis)', () => it('needs Redis', () => undefined));
}
