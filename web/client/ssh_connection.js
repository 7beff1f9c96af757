// One SSH connection through the relay: the wasm SshSession (docs/wasm.md) plus the WebSocket it rides
// on, and nothing but I/O glue. Every rule — which URL to open, when to reconnect and how often, when an
// open has taken too long, what a close code means, when the session is over — belongs to core's client
// session machine inside SshSession (the one the CLI drives too). This file opens the socket
// takeOpen() asks for, reports what the socket does with performance.now(), sends what
// takeOutgoingMessages() returns, honours takeClose()/takeAbandon(), keeps ONE timer at
// nextDeadline(), steps libssh, and applies the terminal's backpressure: while paused, relay messages
// wait here undelivered, so no ACK goes out and the relay's replay cap stops it reading from sshd.
// Events (EventTarget, `detail` holds the payload):
//   state      the session's step() result, whenever `state` changes or an auth failure is reported
//   output     Uint8Array of stdout+stderr, in order of arrival (the event's `stream` says which)
//   transport  {state: 'reconnecting', attempt, detail?} | {state: 'live'}
//   ended      {reason: {code, reason, meaning} | null, outcome} once, when the session is over
//              (outcome: SshSession.outcome(), null after dispose)
//   file       a file operation's event (SshSession.filesNextEvent()), once openFiles() was called;
//              RemoteFiles (remote_files.js) routes them
import { PortShare } from './port_share.js';
import { RelayLink } from './relay_link.js';

// step() passes before yielding to the event loop when libssh still has work (`more`).
const STEP_BATCH = 16;
// Relay messages (~12 KiB each in a bulk download) are acknowledged once this many bytes arrived, not
// one ACK each: every ACK is a WebSocket send for the page, the network service and the relay. Below
// the relay's smallest replay cap (--max-replay-buffer ≥ 64 KiB), so the relay never waits for one.
const ACK_BATCH = 32 * 1024;
// A partial batch is acknowledged this long after the stream went quiet (the core's timer).
const ACK_DELAY_MS = 5;
// How long the core keeps reconnecting after a drop: the relay's default --grace-seconds.
const RECONNECT_BUDGET_MS = 120000;

const now = () => performance.now();

function randomSeed() {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0] & 0x1fffff) * 2 ** 32 + words[1];  // 53 bits: exact as a JS number
}

// The relay's origin and path prefix from what relayBaseUrl() made of the user's text.
function splitRelay(relay) {
  const url = new URL(relay);
  return { origin: `${url.protocol}//${url.host}`, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

// The browser's WebSocket, as RelayLink wraps it.
const webSocketLink = (url, subprotocol) => new RelayLink(url, subprotocol);

export class SshConnection extends EventTarget {
  // shape: 'v4' (corp-relay-v4, resumes after a drop) or 'relay' (plain /relay, does not resume).
  // Outside a browser (the wasm tests under node) `createLink(url, subprotocol, open)` supplies an
  // object with RelayLink's interface instead of a WebSocket, and `sessionOptions` override the
  // SshSession options below (a fixed seed, another ACK batch).
  // invitation: {id, token} of a rendezvous (client/invitation.js): the relay pairs this page with the
  // host's `sshrelay tcp-dial` instead of dialling host:port.
  constructor(mod, { relay, host, port, user, shape = 'v4', invitation }, { createLink = webSocketLink, sessionOptions = {} } = {}) {
    super();
    this.createLink = createLink;
    this.relay = relay;
    this.shape = shape === 'relay' ? 'relay' : 'v4';
    this.target = { host, port, user };
    const { origin, pathPrefix } = splitRelay(relay);
    this.origin = origin;
    this.session = new mod.SshSession({
      host, port, user, shape: this.shape, pathPrefix, ackBatch: ACK_BATCH, ackDelayMs: ACK_DELAY_MS,
      reconnectBudgetMs: RECONNECT_BUDGET_MS, seed: randomSeed(),
      ...(invitation ? { rendezvousId: invitation.id, rendezvousToken: invitation.token } : {}), ...sessionOptions,
    });
    this.link = null;
    this.inbox = [];          // socket happenings not yet reported to the session (kept in order)
    this.paused = false;
    this.lastState = null;
    this.lastFailure = undefined;
    this.finished = false;
    this.stopped = false;
    this.pumpScheduled = false;
    this.timer = null;
    this.timerAt = null;
    this.stats = { bytesOut: 0, resumes: 0 };
    this.filesOpened = false;
    this.filesState = 'none';
    this.shares = new Set();  // "Share a port" (port_share.js)
    this.commands = new Map();  // runCommand(): id → {resolve, reject, onProgress}
  }

  // Asks the core for the first open. Returns a promise (resolved at once) for callers that await it;
  // how the session goes is told by the events, never by a rejection.
  async start() {
    this.session.start(now());
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
  // SFTP on a second channel of this connection (remote_files.js drives it).
  openFiles() {
    const ok = this.act('openFiles');
    if (ok) this.filesOpened = true;
    this.pump();
    return ok;
  }
  // Shares host:port on the server's side through the relay's tunnels; throws with the reason when the
  // connection cannot (not logged in yet, a bad port).
  sharePort({ host, port, stable = false }) {
    if (this.finished) throw new Error('the connection has ended');
    const share = new PortShare(this, { host, port, stable });
    this.shares.add(share);
    share.addEventListener('ended', () => this.shares.delete(share));
    return share;
  }
  // A command on its own channel of this connection (an SSH-Web site's `capabilities`, `receive-pack`,
  // `api-call` …): resolves with {exitStatus, stdout: Uint8Array, stderr: string} once it ended, rejects
  // when it could not run or the connection ended. onProgress(bytesReceived) while output arrives.
  runCommand(line, onProgress) {
    if (this.finished) return Promise.reject(new Error('the connection has ended'));
    const id = this.session.commandRun(line);
    if (!id) return Promise.reject(new Error(this.lastError()));
    const done = new Promise((resolve, reject) => this.commands.set(id, { resolve, reject, onProgress, received: 0 }));
    this.pump();
    return done;
  }
  write(data) { return this.act('write', data); }
  resize(cols, rows) { return this.act('resize', cols, rows); }
  info() { return this.finished ? null : this.session.transportInfo(); }

  // The user's Disconnect: closes the channel (state `closed`); pump() then stops the session, which
  // closes the socket with the core's close frame.
  disconnect() {
    if (this.finished) return;
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

  // --- the socket ---
  openLink(open) {
    let link;
    try {
      link = this.createLink(this.origin + open.requestTarget, this.shape === 'relay' ? 'binary' : 'ssh', open);
    } catch (e) {  // a URL the browser refuses outright (SyntaxError, a blocked port)
      setTimeout(() => { if (!this.finished) { this.session.openFailed(e.message, now()); this.pump(); } }, 0);
      return;
    }
    this.link = link;
    link.onopen = () => { this.inbox.push({ link, open: true }); this.drainInbox(); };
    link.onmessage = (data, binary) => { this.inbox.push({ link, data, binary }); this.drainInbox(); };
    link.onclose = (how) => { this.inbox.push({ link, close: how }); this.drainInbox(); };
  }

  drainInbox() {
    while (this.inbox.length && !this.paused && !this.finished) {
      const item = this.inbox.shift();
      if (item.link !== this.link) continue;  // from a socket the session already let go
      if (item.open) {
        this.session.openSucceeded(now());
      } else if (item.close) {
        this.link = null;
        const how = item.close;
        if (!how.opened) {
          this.session.openFailed('the relay could not be reached (or refused the WebSocket upgrade)', now());
        } else if (how.clean) {
          this.session.relayClosed(how.code, how.reason, now());
        } else {
          this.session.transportLost(`the WebSocket closed without a close frame (code ${how.code})`, now());
        }
      } else {
        this.session.receiveMessage(item.data, item.binary, now());
      }
      this.pump();
    }
  }

  sendOutgoing() {
    if (!this.link?.isOpen) return;
    for (const m of this.session.takeOutgoingMessages(now())) this.link.send(m);
  }

  // --- the loop ---
  pump() {
    if (!this.session || this.finished) return undefined;
    let st;
    for (let i = 0; i < STEP_BATCH; i++) {
      st = this.session.step();
      this.sendOutgoing();
      const out = this.session.read();
      if (out.length) this.emitOutput(out, 'stdout');
      const err = this.session.readStderr();
      if (err.length) this.emitOutput(err, 'stderr');
      if (this.filesOpened) this.drainFileEvents();
      for (const share of this.shares) share.pump();
      if (this.commands.size) this.pollCommands();
      if (!st.more) break;
    }
    if (st.more && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setTimeout(() => { this.pumpScheduled = false; if (!this.finished) this.pump(); }, 0);
    }
    // The SSH side is over (channel closed, or libssh failed): the session ends, with the core's close.
    if ((st.state === 'closed' || st.state === 'error') && !this.stopped) {
      this.stopped = true;
      this.session.stop(now());
    }
    if (st.state !== this.lastState || st.failure !== this.lastFailure) {
      this.lastState = st.state;
      this.lastFailure = st.failure;
      this.emit('state', st);
    }
    this.driveTransport();
    return st;
  }

  // What the core machine asks for: events for the page, an abandoned open, the end, the next open,
  // the timer.
  driveTransport() {
    const s = this.session;
    if (!s) return;
    for (let ev = s.nextEvent(); ev; ev = s.nextEvent()) this.machineEvent(ev);
    if (s.takeAbandon() && this.link) {
      this.link.abort();
      this.link = null;
    }
    const outcome = s.outcome();
    if (outcome) {
      const close = s.takeClose();
      if (this.link) this.link.close(close?.code ?? 1000, close?.reason ?? '');
      this.link = null;
      this.finish(outcome);
      return;
    }
    const open = s.takeOpen();
    if (open) this.openLink(open);
    this.armTimer();
  }

  machineEvent(ev) {
    switch (ev.type) {
      case 'dropped':
        this.emit('transport', { state: 'reconnecting', attempt: 1, detail: ev.why });
        break;
      case 'attemptFailed':
        this.emit('transport', { state: 'reconnecting', attempt: ev.attempt + 1, detail: ev.detail });
        break;
      case 'resumed':
        this.stats.resumes++;
        this.emit('transport', { state: 'live' });
        break;
      default:  // 'connected', 'credentialsRetry': nothing to show
        break;
    }
  }

  armTimer() {
    const at = this.session.nextDeadline();
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = null;
      if (this.finished) return;
      this.session.onTimeout(now());
      this.pump();
    }, Math.max(0, at - now()));
  }

  drainFileEvents() {
    const state = this.session.filesState();
    if (state.state !== this.filesState) {
      this.filesState = state.state;
      this.emit('file', { type: 'channel', ...state });
    }
    for (let ev = this.session.filesNextEvent(); ev; ev = this.session.filesNextEvent()) this.emit('file', ev);
  }

  pollCommands() {
    for (const [id, command] of this.commands) {
      const r = this.session.commandPoll(id);
      if (r.state === 'finished') {
        this.commands.delete(id);
        command.resolve({ exitStatus: r.exitStatus, stdout: r.stdout, stderr: r.stderr });
      } else if (r.state === 'error') {
        this.commands.delete(id);
        command.reject(new Error(r.error));
      } else if (r.received !== command.received) {
        command.received = r.received;
        command.onProgress?.(r.received);
      }
    }
  }

  endCommands(why) {
    for (const command of this.commands.values()) command.reject(new Error(why));
    this.commands.clear();
  }

  emitOutput(bytes, stream) {
    this.stats.bytesOut += bytes.length;
    const event = new CustomEvent('output', { detail: bytes });
    event.stream = stream;
    this.dispatchEvent(event);
  }

  finish(outcome) {
    if (this.finished) return;
    for (const share of [...this.shares]) share.end('the SSH connection ended');
    this.endCommands('the SSH connection ended');
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = null;
    this.emit('ended', { reason: closeInfoOf(outcome), outcome });
  }

  // Frees the wasm object; the connection is unusable afterwards.
  dispose() {
    for (const share of [...this.shares]) share.end('the SSH connection ended');
    this.endCommands('the SSH connection ended');
    clearTimeout(this.timer);
    this.link?.close();
    this.link = null;
    this.inbox = [];
    this.finished = true;
    this.session?.delete();
    this.session = null;
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

// The close the page explains: the relay's own (code, reason, and core's meaning of the code), or a
// lost connection (1006, the browser's code for it) with what the core says went wrong.
function closeInfoOf(outcome) {
  switch (outcome?.end) {
    case 'closed_by_relay':
      return { code: outcome.closeCode, reason: outcome.closeReason, meaning: outcome.meaning };
    case 'transport_lost':
    case 'lost_before_connect':
    case 'gave_up':
      return { code: 1006, reason: outcome.detail, meaning: '' };
    default:  // stopped, local_closed, protocol_error (libssh reports it), unreachable/refused (the page's words)
      return null;
  }
}
