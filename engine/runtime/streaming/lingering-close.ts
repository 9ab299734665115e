/**
 * Lingering close for HTTP answers sent before the request body was read to its end (413 on a chunked body, a
 * refusal from the headers alone). Node closes such a connection as soon as the answer is written; the client is
 * often still sending, and a socket closed with unread bytes answers them with a TCP reset — which can reach the
 * client before it read the answer, so it sees "connection reset" instead of 413 BODY_TOO_LARGE (the client's own
 * failed write discards what it had received). Like nginx's `lingering_close`: the answer goes out with a FIN, the
 * rest of the body is still read and thrown away (the HTTP parser drops it: the request has no reader any more), and
 * the socket is destroyed when the client closes or after `ms`, whichever comes first.
 */
import type { Socket } from 'node:net';

export const LINGER_MS = 2_000;

export function lingerOnClose(socket: Socket, ms = LINGER_MS): void {
  socket.destroySoon = function lingeringDestroy(this: Socket) {
    if (this.destroyed) return;
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), ms);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
