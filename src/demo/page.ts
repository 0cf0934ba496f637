/**
 * The demo's page, served from memory so `npm start` needs no build of its own. It loads the Socket.IO client that
 * the server itself serves (`/socket.io/socket.io.js`): no CDN, works offline.
 */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsguard demo</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { max-width: 760px; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  p.lead { margin-top: 0; color: #556; }
  fieldset { border: 1px solid #cfd3da; border-radius: 8px; margin: 1rem 0; background: #fff; }
  legend { font-weight: 600; padding: 0 .3rem; }
  label { margin-right: .6rem; }
  input, select, button { font: inherit; padding: .35rem .6rem; margin: .2rem 0; }
  button { cursor: pointer; border: 1px solid #8a94a6; border-radius: 6px; background: #eef1f6; }
  #log { list-style: none; padding: 0; margin: 0; max-height: 22rem; overflow: auto; font-family: ui-monospace, monospace; font-size: .85rem; }
  #log li { padding: .25rem .4rem; border-bottom: 1px solid #eceef2; }
  #log li.ok { color: #14632b; } #log li.refused { color: #9b1c1c; } #log li.info { color: #445; }
  #status { font-weight: 600; }
</style>
</head>
<body>
<h1>wsguard demo</h1>
<p class="lead">A small chat protected by wsguard. Try the buttons and watch each refusal come back with its reason code.</p>
<fieldset>
  <legend>Connection</legend>
  <label>User <select id="user"><option value="alice">alice (user)</option><option value="admin">admin (admin)</option><option value="">anonymous</option></select></label>
  <button id="connect">Connect</button> <button id="admin">Join /admin</button> <button id="forged">Connect with a forged CSRF token</button>
  <span id="status">disconnected</span>
</fieldset>
<fieldset>
  <legend>Chat</legend>
  <input id="text" value="hello" aria-label="message"> <button id="send">Send</button>
  <button id="burst">Send 30 at once</button> <button id="big">Send 4 KB</button> <button id="unknown">Send an unlisted event</button>
</fieldset>
<fieldset>
  <legend>Log</legend>
  <ul id="log"></ul>
</fieldset>
<script src="/socket.io/socket.io.js"></script>
<script>
  const logList = document.getElementById('log');
  const statusText = document.getElementById('status');
  let socket = null;
  function log(kind, text) {
    const li = document.createElement('li');
    li.className = kind; li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    logList.prepend(li);
    while (logList.children.length > 200) logList.lastChild.remove();
  }
  async function csrfToken(user) {
    if (!user) return undefined;
    const response = await fetch('/csrf-token?user=' + encodeURIComponent(user));
    return response.ok ? (await response.json()).token : undefined;
  }
  async function connect(namespace, forged) {
    const user = document.getElementById('user').value;
    const token = forged ? 'v1.forged.token.by.attacker' : await csrfToken(user);
    const auth = user ? { user, csrfToken: token } : {};
    const s = io(namespace, { auth, reconnection: false, transports: ['websocket'] });
    s.on('connect', () => { statusText.textContent = 'connected to ' + namespace; log('ok', 'connected to ' + namespace); });
    s.on('connect_error', (err) => log('refused', namespace + ' refused: ' + (err.data ? err.data.code + ' (' + err.data.message + ')' : err.message)));
    s.on('disconnect', (reason) => { statusText.textContent = 'disconnected'; log('info', namespace + ' disconnected: ' + reason); });
    s.on('wsguard:error', (e) => log('refused', 'refused ' + (e.event || '') + ': ' + e.code + (e.retryAfterMs ? ' retry in ' + e.retryAfterMs + ' ms' : '')));
    s.on('chat:message', (m) => log('ok', m.from + ': ' + m.text));
    return s;
  }
  function send(event, text) {
    if (!socket) return log('info', 'connect first');
    socket.emit(event, { text }, (res) => {
      if (res && res.error) log('refused', event + ' refused: ' + res.error.code + (res.error.retryAfterMs ? ' (retry in ' + res.error.retryAfterMs + ' ms)' : ''));
    });
  }
  document.getElementById('connect').onclick = async () => { if (socket) socket.close(); socket = await connect('/'); };
  document.getElementById('admin').onclick = () => { void connect('/admin'); };
  document.getElementById('forged').onclick = () => { void connect('/', true); };
  document.getElementById('send').onclick = () => send('chat:send', document.getElementById('text').value);
  document.getElementById('burst').onclick = () => { for (let i = 0; i < 30; i++) send('chat:send', 'burst ' + i); };
  document.getElementById('big').onclick = () => send('chat:send', 'x'.repeat(4096));
  document.getElementById('unknown').onclick = () => send('files:delete', 'everything');
</script>
</body>
</html>
`;
