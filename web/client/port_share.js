// "Share a port" of one SSH connection (docs/tunnels.md, "From the page"): the relay's
// /tunnel?streams=1 WebSocket and the wasm share (SshSession.share*), glued. Every visitor of the
// share's URL or raw port becomes a direct-tcpip channel to host:port on the SSH server's side; the
// protocol (messages, frames, which connection is which) is core's TunnelClient inside the wasm share.
// This file opens the socket, hands messages over, sends what sharePump() returns, and holds the
// channels' bytes back while the socket has much unsent (their SSH windows then hold the service back).
// Events (`detail`): change {info} when what the share shows changed; ended {reason} once.
import { RelayLink } from './relay_link.js';

// Unsent bytes on the socket above which the channels are not read.
const MAX_BUFFERED = 1 << 20;
const RETRY_MS = 25;

export class PortShare extends EventTarget {
  // stable: the relay's stable subdomain for this user (the same URL every time; one share at a time).
  constructor(conn, { host, port, stable = false }, createLink = (url) => new RelayLink(url)) {
    super();
    this.conn = conn;
    this.host = host;
    this.port = port;
    this.id = conn.session.shareOpen(host, port);
    if (!this.id) throw new Error(conn.session.lastError());
    this.state = 'registering';
    this.endReason = '';
    this.info = conn.session.shareInfo(this.id);
    this.retry = null;
    this.link = createLink(`${conn.relay}/tunnel?streams=1${stable ? '&subdomain=stable' : ''}`);
    this.link.onopen = () => this.pump();
    this.link.onmessage = (data, binary) => {
      if (!this.id) return;
      this.conn.session.shareReceive(this.id, data, binary);
      this.conn.pump();  // steps libssh (the channels), which pumps this share
    };
    this.link.onclose = (how) => this.end(
      !how.opened ? 'the relay refused the share (is --tunnels on?)'
        : this.state === 'registering' ? `the relay refused the share: ${how.reason || `close code ${how.code}`}`
          : `the relay ended the share (${how.code}${how.reason ? `: ${how.reason}` : ''})`);
  }

  // Called after every step of the connection.
  pump() {
    if (!this.id) return;
    const maySend = this.link.isOpen && (this.link.bufferedAmount ?? 0) < MAX_BUFFERED;
    const messages = this.conn.session.sharePump(this.id, maySend);
    for (const message of messages) {
      if (this.link.isOpen) this.link.send(message);
    }
    // Another step soon: when the socket was full, or when bytes were taken — a channel may hold more
    // in libssh, which it reads (and its window reopens) only in a step, and with the server's windows
    // spent no packet would come to cause one.
    if (this.link.isOpen && !this.retry && (!maySend || messages.length)) {
      this.retry = setTimeout(() => { this.retry = null; this.conn.pump(); }, maySend ? 0 : RETRY_MS);
    }
    const info = this.conn.session.shareInfo(this.id);
    const ready = info.ready && this.state === 'registering';
    if (ready) this.state = 'live';
    const changed = ready || ['connections', 'open', 'refused'].some((k) => info[k] !== this.info[k]);
    this.info = info;
    if (changed) this.emit('change', { info });
  }

  stop() { this.end('stopped'); }

  end(reason) {
    if (!this.id) return;
    clearTimeout(this.retry);
    this.conn.session?.shareClose(this.id);
    this.id = 0;
    this.link.close(1000, 'share stopped');
    this.state = 'ended';
    this.endReason = reason;
    this.emit('ended', { reason });
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
