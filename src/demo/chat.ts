/**
 * The application the guard protects: a chat on `/` and a small admin room on `/admin`. It is written as a user would
 * write it: the handlers trust that wsguard has already refused what the config forbids (unknown events, oversized or
 * hostile payloads, floods), and only shape what they broadcast.
 */

import type { Server, Socket } from 'socket.io';

/** Longest chat line broadcast; the guard's structure limit stops longer strings before this. */
const MAX_TEXT = 500;

export interface ChatMessage {
  readonly from: string;
  readonly text: string;
  readonly time: number;
}

type Ack = (reply: unknown) => void;

function userOf(socket: Socket): string {
  // The guard admitted this socket with `requireAuthentication`, so the handshake named a valid user.
  const user = (socket.handshake.auth as { user?: unknown }).user;
  return typeof user === 'string' ? user : 'anonymous';
}

function ackOf(value: unknown): Ack | undefined {
  return typeof value === 'function' ? (value as Ack) : undefined;
}

export function attachChat(io: Server): void {
  io.on('connection', (socket) => {
    const from = userOf(socket);
    socket.on('chat:send', (message: unknown, ack: unknown) => {
      const raw = typeof message === 'object' && message !== null ? (message as { text?: unknown }).text : undefined;
      const text = typeof raw === 'string' ? raw.trim().slice(0, MAX_TEXT) : '';
      if (text === '') {
        ackOf(ack)?.({ error: { code: 'empty_message', message: 'Nothing to send' } });
        return;
      }
      const chat: ChatMessage = { from, text, time: Date.now() };
      io.emit('chat:message', chat);
      ackOf(ack)?.({ ok: true });
    });
  });

  const admin = io.of('/admin');
  admin.on('connection', (socket) => {
    socket.emit('admin:welcome', { user: userOf(socket), connections: io.of('/').sockets.size });
    // The acknowledgement is the last argument, whether or not the client sent a payload before it.
    socket.on('admin:ping', (...args: unknown[]) => ackOf(args.at(-1))?.({ pong: true, time: Date.now() }));
  });
}
