// An ESM consumer of the built package, resolved through its `exports` map exactly as when installed.
import { createServer } from 'node:http';
import { createGuard, presets, REASON_CODES, reasonCodes, memoryStore } from 'wsguard';
import { protect } from 'wsguard/socket.io';
import { protect as protectWs, handleUpgrade } from 'wsguard/ws';
import { redisStore } from 'wsguard/redis';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';

const fail = (message) => {
  console.error(`smoke(esm): ${message}`);
  process.exit(1);
};
const watchdog = setTimeout(() => fail('timed out'), 10_000);

if (typeof createGuard !== 'function') fail('createGuard is not a function');
if (typeof protect !== 'function') fail('protect is not a function');
if (typeof protectWs !== 'function' || typeof handleUpgrade !== 'function') fail('wsguard/ws lacks protect or handleUpgrade');
if (memoryStore === undefined) fail('memoryStore is not exported');
if (typeof redisStore !== 'function') fail('wsguard/redis lacks redisStore');
if (REASON_CODES.origin_not_allowed?.status !== 403) fail('REASON_CODES.origin_not_allowed is missing');
if (!reasonCodes.includes('origin_not_allowed')) fail('reasonCodes lacks origin_not_allowed');

const guard = createGuard({ ...presets.development });
const httpServer = createServer();
const io = new Server(httpServer);
protect(io, guard);
io.on('connection', (socket) => {
  socket.on('echo', (value, ack) => ack(value));
});
await new Promise((resolve, reject) => {
  httpServer.once('error', reject);
  httpServer.listen(0, '127.0.0.1', resolve);
});
const url = `http://127.0.0.1:${httpServer.address().port}`;

// An allowed client (no Origin: a script, allowed by the development preset) connects and gets its acknowledgement.
const client = connect(url, { transports: ['websocket'], reconnection: false });
await new Promise((resolve, reject) => {
  client.once('connect', resolve);
  client.once('connect_error', (err) => reject(new Error(`allowed client refused: ${err.message}`)));
});
const echoed = await client.timeout(5_000).emitWithAck('echo', 'hello');
if (echoed !== 'hello') fail(`echo answered ${JSON.stringify(echoed)}`);
client.close();

// A browser from an origin that is not allowed is refused.
const intruder = connect(url, {
  transports: ['websocket'],
  reconnection: false,
  extraHeaders: { origin: 'https://evil.example' },
});
const refused = await new Promise((resolve) => {
  intruder.once('connect', () => resolve(false));
  intruder.once('connect_error', () => resolve(true));
});
intruder.close();
if (!refused) fail('a client from a foreign origin was let in');

await io.close();
await guard.close();
clearTimeout(watchdog);
console.log('ok');
// No process.exit(): the process must end by itself once the server and the guard are closed.
