// Transports for the tests' Driver. A link is what the page has in a WebSocket: send(bytes), close(),
// and the callbacks onmessage(bytes) and onclose(clean). Three kinds:
//   EmuLink       — an in-process "WebSocket" to the in-test v4 relay (v4_relay_emu.mjs); drop() loses
//                   whatever is in flight in both directions, like a dying TCP connection;
//   tcpRawLink    — a plain TCP socket to sshd (the client's raw transport, as behind /relay);
//   (ws_client.mjs) a real WebSocket to sshrelayd.
import net from 'node:net';

export class EmuLink {
  constructor() {
    this.alive = true;
    this.onmessage = null;  // client side
    this.onclose = null;
    this.server = { onmessage: null, onclose: null };
  }
  // client -> relay
  send(bytes) {
    if (!this.alive) return;
    const copy = Buffer.from(bytes);
    setImmediate(() => { if (this.alive) this.server.onmessage?.(copy); });
  }
  // relay -> client
  serverSend(bytes) {
    if (!this.alive) return;
    setImmediate(() => { if (this.alive) this.onmessage?.(bytes); });
  }
  // A clean close from either side: delivered after everything already sent.
  close() { this.#end(true); }
  serverClose() { this.#end(true); }
  // An unclean drop: in-flight messages are lost both ways.
  drop() {
    if (!this.alive) return;
    this.alive = false;
    setImmediate(() => {
      this.server.onclose?.(false);
      this.onclose?.(false);
    });
  }
  #end(clean) {
    if (!this.alive) return;
    setImmediate(() => {
      if (!this.alive) return;
      this.alive = false;
      this.server.onclose?.(clean);
      this.onclose?.(clean);
    });
  }
}

export function tcpRawLink(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.setNoDelay(true);
    const link = {
      onmessage: null,
      onclose: null,
      send: (bytes) => socket.write(bytes),
      close: () => socket.end(),
      drop: () => socket.destroy(),
    };
    let closed = false;
    socket.once('connect', () => resolve(link));
    socket.once('error', (e) => { if (!closed) reject(e); });
    socket.on('data', (d) => link.onmessage?.(d));
    socket.on('close', (hadError) => {
      closed = true;
      link.onclose?.(!hadError);
    });
  });
}
