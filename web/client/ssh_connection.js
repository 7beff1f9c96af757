// One SSH connection through the relay: the wasm SshSession (docs/wasm.md) plus the WebSocket it rides
// on. It runs the page's loop — every event is followed by step(), the outgoing messages are sent and the
// output is handed on — resumes the transport after a lost socket, and applies backpressure from the
// terminal: while paused, relay messages wait here unacknowledged, so the relay's replay cap stops it
// reading from sshd. Events (EventTarget, `detail` holds the payload):
//   state      the session's step() result, whenever `state` changes or an auth failure is reported
//   output     Uint8Array of stdout+stderr, in order of arrival
//   transport  {state: 'live' | 'reconnecting' | 'lost' | 'closed', attempt?}
//   ended      {reason: {code, reason} | null} once, when the WebSocket is gone for good
import { RelayLink } from './relay_link.js';
import { connectUrl, reconnectUrl } from './relay_url.js';

// Waits between reconnect attempts (ms): about 20 s in all, well inside the relay's grace period.
const RECONNECT_DELAYS = [0, 250, 1000, 2000, 4000, 6000, 8000];
// step() passes before yielding to the event loop when libssh still has work (`more`).
const STEP_BATCH = 16;
// Relay messages (~12 KiB each in a bulk download) are acknowledged once this many bytes arrived, not
// one ACK each: every ACK is a WebSocket send for the page, the network service and the relay. Below
// the relay's smallest replay cap (--max-replay-buffer ≥ 64 KiB), so the relay never waits for one.
const ACK_BATCH = 32 * 1024;
// A partial batch is acknowledged this long after the stream went quiet.
const ACK_DELAY_MS = 5;

export class SshConnection extends EventTarget {
  constructor(mod, { relay, host, port, user }) {
    super();
    this.relay = relay;
    this.target = { host, port, user };
    this.session = new mod.SshSession({ host, port, user, transport: 'v4', ackBatch: ACK_BATCH });
    this.link = null;
    this.inbox = [];          // relay messages and close events not yet given to the session
    this.paused = false;
    this.lastState = null;
    this.lastFailure = undefined;
    this.closeInfo = null;    // the relay's close code and reason, the only error text it can send
    this.finished = false;
    this.pumpScheduled = false;
    this.ackTimer = null;
    this.reconnectAttempt = 0;
    this.cancelReconnect = false;
    this.stats = { bytesOut: 0, resumes: 0 };
  }

  async start() {
    const link = await RelayLink.open(connectUrl(this.relay, this.target));
    this.attach(link);
    this.pump();
  }

  // --- user decisions and input: each is a SshSession call followed by a pump ---
  act(method, ...args) {
    if (this.finished) return false;
    const ok = this.session[method](...args);
    this.pump();
    return ok;
  }
  lastError() { return this.session.lastError(); }
  write(data) { return this.act('write', data); }
  resize(cols, rows) { return this.act('resize', cols, rows); }
  info() { return this.finished ? null : this.session.transportInfo(); }

  // The user's Disconnect: closes the channel (state `closed`); the socket follows in pump().
  disconnect() {
    if (this.finished) return;
    this.cancelReconnect = true;
    if (!this.link) { this.finish(null); return; }
    this.session.close();
    this.pump();
  }

  // Terminal backpressure.
  pause() { this.paused = true; }
  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.drainInbox();
  }

  // --- transport ---
  attach(link) {
    this.link = link;
    link.onmessage = (data) => { this.inbox.push({ data }); this.drainInbox(); };
    link.onclose = (how) => { this.inbox.push({ close: how, link }); this.drainInbox(); };
  }

  drainInbox() {
    while (this.inbox.length && !this.paused && !this.finished) {
      const item = this.inbox.shift();
      if (item.close) {
        this.linkClosed(item.link, item.close);
        continue;
      }
      this.reconnectAttempt = 0;  // the link carries data again: a later loss starts a fresh series
      if (!this.session.receiveMessage(item.data)) {
        this.link?.close(4400, 'protocol error');
      }
      this.pump();
    }
  }

  linkClosed(link, how) {
    if (this.link !== link) return;
    this.link = null;
    if (!how.local) this.closeInfo = { code: how.code, reason: how.reason };
    if (how.clean || !this.session.canResume() || this.cancelReconnect) {
      this.session.transportClosed();
      this.pump();
      this.finish(this.closeInfo);
      return;
    }
    this.session.transportLost();
    this.pump();
    this.reconnect();
  }

  // Attempts count from the last message that arrived, so a relay that accepts and drops every
  // reconnect still ends the series.
  async reconnect() {
    while (this.reconnectAttempt < RECONNECT_DELAYS.length) {
      const delay = RECONNECT_DELAYS[this.reconnectAttempt++];
      this.emit('transport', { state: 'reconnecting', attempt: this.reconnectAttempt });
      await new Promise((r) => setTimeout(r, delay));
      if (this.cancelReconnect || this.finished) break;
      let link;
      try {
        link = await RelayLink.open(reconnectUrl(this.relay, this.session.sessionId(), this.session.reconnectAck()));
      } catch (e) {
        if (e.close?.clean && e.close.code >= 4000) {  // refused, e.g. 4404 unknown session: final
          this.closeInfo = { code: e.close.code, reason: e.close.reason };
          break;
        }
        continue;
      }
      if (this.cancelReconnect || this.finished) { link.close(); break; }
      this.stats.resumes++;
      this.attach(link);
      if (!this.session.transportReconnected()) this.closeInfo = { code: 0, reason: this.session.lastError() };
      this.emit('transport', { state: 'live' });
      this.pump();
      return;
    }
    if (this.finished) return;
    this.session.transportClosed();
    this.pump();
    this.finish(this.closeInfo);
  }

  // --- the loop ---
  pump() {
    if (this.finished && !this.session) return;
    let st;
    for (let i = 0; i < STEP_BATCH; i++) {
      st = this.session.step();
      if (this.link?.isOpen) for (const m of this.session.takeOutgoingMessages()) this.link.send(m);
      const out = this.session.read();
      if (out.length) this.emitOutput(out);
      const err = this.session.readStderr();
      if (err.length) this.emitOutput(err);
      if (!st.more) break;
    }
    if (st.more && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setTimeout(() => { this.pumpScheduled = false; if (!this.finished) this.pump(); }, 0);
    }
    if (!this.ackTimer && this.session.ackPending()) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = null;
        if (this.finished) return;
        this.session.flushAck();
        this.pump();
      }, ACK_DELAY_MS);
    }
    if (st.state !== this.lastState || st.failure !== this.lastFailure) {
      this.lastState = st.state;
      this.lastFailure = st.failure;
      this.emit('state', st);
    }
    if ((st.state === 'closed' || st.state === 'error') && this.link) {
      const link = this.link;
      this.link = null;
      link.close(1000);
      this.finish(this.closeInfo);
    }
    return st;
  }

  emitOutput(bytes) {
    this.stats.bytesOut += bytes.length;
    this.emit('output', bytes);
  }

  finish(reason) {
    if (this.finished) return;
    this.finished = true;
    this.emit('ended', { reason });
  }

  // Frees the wasm object; the connection is unusable afterwards.
  dispose() {
    this.cancelReconnect = true;
    clearTimeout(this.ackTimer);
    this.link?.close();
    this.link = null;
    this.finished = true;
    this.session?.delete();
    this.session = null;
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
