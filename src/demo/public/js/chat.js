/* global io */
// The chat panel: the application wsguard protects, used by hand. Type an XSS string or send too fast and the refusal
// shows in the conversation with its reason code.

import { byId, h } from './dom.js';
import { csrfToken, emitAck } from './sockets.js';

const MAX_LINES = 150;
const USER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function createChat({ onClosedByGuard }) {
  const log = byId('chat-log');
  const status = byId('chat-status');
  const nameInput = byId('chat-name');
  const textInput = byId('chat-text');
  let socket = null;
  let user = nameInput.value;
  /** The last reason the guard gave for closing or refusing us; a reconnect waits until that is over. */
  let blockedBy = null;

  function line(kind, ...content) {
    log.append(h('li', { className: kind }, ...content));
    while (log.children.length > MAX_LINES) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(text, tone) {
    status.textContent = text;
    status.className = `pill pill-${tone}`;
  }

  async function connect() {
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
      socket = null;
    }
    if (!USER_NAME.test(user)) {
      setStatus('invalid name', 'bad');
      line('system', 'Pick a name of lower-case letters, digits, - and _ (at most 32).');
      return;
    }
    blockedBy = null;
    setStatus('connecting…', 'muted');
    let token;
    try {
      token = await csrfToken(user);
    } catch {
      setStatus('offline', 'bad');
      return;
    }
    const s = io('/', { auth: { user, csrfToken: token }, transports: ['websocket'], forceNew: true });
    socket = s;
    s.on('connect', () => {
      setStatus(`online as ${user}`, 'ok');
      line('system', `Connected as ${user}.`);
    });
    s.on('connect_error', (error) => {
      const data = error && error.data;
      if (data) {
        // Refused by the guard: Socket.IO does not retry these; neither do we until it is over.
        blockedBy = data.code;
        setStatus(`refused: ${data.code}`, 'bad');
        line('refused', `connection refused: ${data.code}${data.retryAfterMs ? ` (retry in ${Math.ceil(data.retryAfterMs / 1000)} s)` : ''}`);
      } else {
        setStatus('reconnecting…', 'warn');
      }
    });
    s.on('wsguard:error', (error) => {
      if (error.event) {
        line('refused', `${error.event}: ${error.code}`);
        return;
      }
      blockedBy = error.code;
      line('refused', `closed by the guard: ${error.code}`);
      onClosedByGuard(error.code);
    });
    s.on('disconnect', (reason) => {
      if (s !== socket) return;
      setStatus(blockedBy ? `closed: ${blockedBy}` : 'offline', blockedBy ? 'bad' : 'muted');
      if (!blockedBy) line('system', `Disconnected (${reason}).`);
    });
    s.on('chat:message', (message) => {
      const mine = message.from === user;
      line(mine ? 'mine' : '', h('span', { className: 'from' }, message.from), message.text);
    });
  }

  byId('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textInput.value;
    if (text.trim() === '') return;
    if (!socket || !socket.connected) {
      line('system', 'Not connected.');
      return;
    }
    textInput.value = '';
    void emitAck(socket, 'chat:send', { text }).then((reply) => {
      if (reply && reply.error) {
        const retry = reply.error.retryAfterMs ? ` (retry in ${reply.error.retryAfterMs} ms)` : '';
        const kind = reply.error.details && reply.error.details.kind ? ` [${reply.error.details.kind}]` : '';
        line('refused', `refused: ${reply.error.code}${kind}${retry}`);
      }
    });
  });

  nameInput.addEventListener('change', () => {
    user = nameInput.value.trim().toLowerCase();
    nameInput.value = user;
    void connect();
  });

  return {
    connect,
    /** Connected, or waiting for nothing: false while the guard's last refusal (a ban) may still hold. */
    get connected() {
      return Boolean(socket && socket.connected);
    },
    get blockedBy() {
      return blockedBy;
    },
    note(text) {
      line('system', text);
    },
  };
}
