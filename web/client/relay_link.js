// One WebSocket to the relay, and nothing more: binary messages, a subprotocol (`ssh` for
// corp-relay-v4, `binary` for /relay; design.md §2), and how it ended. It makes no decision: whether a
// failed open, a close frame or a lost socket ends the session, resumes it or retries is the core
// machine's (SshSession in the wasm module, driven by ssh_connection.js). No timers either: the machine
// says when an open has taken too long (takeAbandon()).
//
// Callbacks, each at most once except onmessage:
//   onopen()                           the upgrade succeeded
//   onmessage(data, binary)            data: ArrayBuffer (binary) or string (text)
//   onclose({opened, clean, code, reason})  the socket is gone (never after close() from our side)
export class RelayLink {
  constructor(url, subprotocol) {
    this.url = url;
    this.opened = false;
    this.closed = false;
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.ws = subprotocol ? new WebSocket(url, subprotocol) : new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => {
      if (this.closed) return;
      this.opened = true;
      this.onopen?.();
    };
    this.ws.onmessage = (e) => {
      if (this.closed) return;
      const binary = typeof e.data !== 'string';
      this.onmessage?.(e.data, binary);
    };
    this.ws.onclose = (e) => this.ended({ opened: this.opened, clean: e.wasClean, code: e.code, reason: e.reason });
    this.ws.onerror = () => {};  // always followed by close, which carries what there is to know
  }

  get isOpen() { return !this.closed && this.ws.readyState === WebSocket.OPEN; }
  // Bytes sent but not yet handed to the network: a sender's backpressure.
  get bufferedAmount() { return this.ws.bufferedAmount; }

  send(bytes) { this.ws.send(bytes); }

  // Closes from our side (a close frame with `code` when the socket is open); no callback follows.
  close(code = 1000, reason = '') {
    if (this.closed) return;
    this.closed = true;
    this.onopen = this.onmessage = this.onclose = null;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    try { this.ws.close(code, reason); } catch { this.ws.close(); }
  }

  // Drops the socket without waiting for anything (an abandoned open).
  abort() { this.close(1000, 'abandoned'); }

  ended(how) {
    if (this.closed) return;
    this.closed = true;
    const notify = this.onclose;
    this.onopen = this.onmessage = this.onclose = null;
    notify?.(how);
  }
}
