// Drives one SshSession through the page's own glue, web/client/ssh_connection.js (SshConnection), with
// a test link where the page has a WebSocket; so the loop these tests exercise — what to open and
// when, the one timer, the steps, the close — is the page's, not a copy of it. This file only keeps
// what the tests look at (opens, transport events, stdout and stderr apart, failed opens) and waits
// for states. Every wait is bounded.
//
// openLink(open) -> Promise<link>, where open is {requestTarget, reconnect, attempt, credentialsRefused}.
// A link: send(bytes), close(code, reason), drop()?; callbacks onmessage(bytes) and onclose(clean); after
// a clean close, link.closeCode / link.closeReason (when known) say what the relay sent.
import { SshConnection } from '../../../web/client/ssh_connection.js';

// A test link seen through RelayLink's interface (web/client/relay_link.js), which SshConnection uses:
// onopen / onmessage(data, binary) / onclose({opened, clean, code, reason}), isOpen, send, close, abort.
class TestLink {
  constructor(pending, onOpenFailed) {
    this.inner = null;
    this.closed = false;
    this.onopen = this.onmessage = this.onclose = null;
    pending.then((inner) => {
      if (this.closed) {  // abandoned while opening
        inner.close?.(1000, 'abandoned');
        return;
      }
      this.inner = inner;
      inner.onmessage = (bytes) => { if (!this.closed) this.onmessage?.(bytes, true); };
      inner.onclose = (clean) => this.ended({
        opened: true, clean, code: inner.closeCode ?? (clean ? 1000 : 1006), reason: inner.closeReason ?? '',
      });
      this.onopen?.();
    }, (e) => {
      onOpenFailed(e);
      this.ended({ opened: false, clean: false, code: 1006, reason: e.message });
    });
  }

  get isOpen() { return !this.closed && this.inner !== null; }
  send(bytes) { this.inner.send(bytes); }

  close(code = 1000, reason = '') {
    if (this.forget()) this.inner?.close(code, reason);
  }

  abort() {
    if (this.forget() && this.inner) (this.inner.drop ?? this.inner.close).call(this.inner);
  }

  ended(how) {
    const notify = this.onclose;
    if (this.forget()) notify?.(how);
  }

  // No callback after this; false when already done.
  forget() {
    if (this.closed) return false;
    this.closed = true;
    this.onopen = this.onmessage = this.onclose = null;
    return true;
  }
}

export class Driver {
  // options: the target ({host, port, user, shape}) and any SshSession option (seed, ackBatch, replayCap…).
  constructor(mod, options, openLink) {
    const { host, port, user, shape, ...sessionOptions } = options;
    this.opens = [];         // every open the machine asked for
    this.transport = [];     // every `transport` event: {state: 'reconnecting', attempt, detail?} | {state: 'live'}
    this.failures = [];      // opens that failed, with why
    this.state = { state: 'new' };
    this.stdout = [];
    this.stderr = [];
    this.stdoutBytes = 0;
    this.onStdout = null;    // optional (chunk) => void, instead of collecting
    this.ended = null;       // the outcome, once there is one
    this.current = null;     // the TestLink of the last open
    this.waiters = new Set();
    const createLink = (url, subprotocol, open) => {
      this.opens.push(open);
      const what = open.reconnect ? `reconnect attempt ${open.attempt}` : 'connect';
      this.current = new TestLink(openLink(open), (e) => { this.failures.push(`${what}: ${e.message}`); this.wake(); });
      return this.current;
    };
    this.conn = new SshConnection(mod, { relay: 'ws://relay.test', host, port, user, shape },
                                  { createLink, sessionOptions: { seed: 1, ...sessionOptions } });
    this.conn.addEventListener('state', (e) => { this.state = e.detail; this.wake(); });
    this.conn.addEventListener('output', (e) => {
      if (e.stream === 'stderr') {
        this.stderr.push(e.detail);
      } else {
        this.stdoutBytes += e.detail.length;
        if (this.onStdout) this.onStdout(e.detail); else this.stdout.push(e.detail);
      }
      this.wake();
    });
    this.conn.addEventListener('transport', (e) => { this.transport.push(e.detail); this.wake(); });
    this.conn.addEventListener('ended', (e) => { this.ended = e.detail.outcome; this.wake(); });
  }

  get s() { return this.conn.session; }
  // The test link the session is on (null while none is open).
  get link() { return this.current?.isOpen ? this.current.inner : null; }
  get reconnects() { return this.conn.stats.resumes; }

  // Starts the session and waits until the first open settled (the link is up, or the session ended).
  async connect() {
    await this.conn.start();
    await this.waitFor(() => this.link || this.ended, 'the first open');
    if (!this.link && this.ended) throw new Error(`the first open failed: ${JSON.stringify(this.ended)}`);
  }

  // Calls a session method (acceptHostKey, authPassword, write, ...) through the connection, which
  // steps the session after it.
  act(method, ...args) {
    const ok = this.conn.act(method, ...args);
    if (!ok && typeof ok === 'boolean') throw new Error(`${method}() refused: ${this.s?.lastError() ?? 'the session ended'}`);
    return ok;
  }

  wake() { for (const w of [...this.waiters]) w(); }

  // Checked at every event of the connection and every 20 ms (a predicate may look at the relay or at
  // the session itself). The default bound is generous: it only costs time when the state never comes,
  // and a loaded CI machine (an ASan relay, sshd, node all sharing two cores) can take many seconds for
  // one step.
  waitFor(predicate, what, timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        // Once the session is over the page stops stepping it; a test may still wait for libssh to
        // notice (state error or closed), so step it here.
        if (this.ended && this.s) this.state = this.s.step();
        let done;
        try {
          done = predicate(this.state, this);
        } catch (e) {
          finish();
          reject(e);
          return;
        }
        if (done) {
          finish();
          resolve(this.state);
        }
      };
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; state ${JSON.stringify(this.state)}` +
                         `, outcome ${JSON.stringify(this.ended)}, failures ${JSON.stringify(this.failures)}` +
                         `, stdout ${JSON.stringify(this.stdoutText().slice(-300))}`));
      }, timeoutMs);
      const finish = () => { clearTimeout(timer); clearInterval(poll); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  waitState(name, timeoutMs) {
    return this.waitFor((st) => {
      if (st.state === name) return true;
      if (st.state === 'error' && name !== 'error') throw new Error(`session error while waiting for ${name}: ${st.message}`);
      return false;
    }, `state ${name}`, timeoutMs);
  }

  waitEnded(timeoutMs) { return this.waitFor(() => this.ended, 'the end of the session', timeoutMs).then(() => this.ended); }

  stdoutText() { return Buffer.concat(this.stdout).toString('utf8'); }
  stderrText() { return Buffer.concat(this.stderr).toString('utf8'); }

  // host-key -> accept -> auth -> (credential) -> authenticated
  async login(credential, { expectFingerprint } = {}) {
    const hk = await this.waitState('host-key');
    if (expectFingerprint && hk.hostKey.fingerprint !== expectFingerprint) {
      throw new Error(`host key ${hk.hostKey.fingerprint}, expected ${expectFingerprint}`);
    }
    this.act('acceptHostKey');
    const auth = await this.waitFor((st) => st.state === 'auth' || st.state === 'authenticated' || st.state === 'error',
                                    'auth or authenticated');
    if (auth.state === 'error') throw new Error(`session error: ${auth.message}`);
    if (auth.state === 'auth') {
      if (credential.privateKey) this.act('authPublicKey', credential.privateKey, credential.passphrase ?? '');
      else this.act('authPassword', credential.password);
    }
    const done = await this.waitFor((st) => st.state === 'authenticated' || st.state === 'auth' || st.state === 'error',
                                    'authenticated');
    if (done.state !== 'authenticated') throw new Error(`authentication failed: ${JSON.stringify(done)}`);
    return hk;
  }

  dispose() {
    this.conn.dispose();
  }
}

// The sid and ack of a /v4/reconnect request target (for the in-test relay).
export function reconnectParams(requestTarget) {
  const q = new URL(requestTarget, 'http://relay').searchParams;
  return { sid: q.get('sid'), ack: Number(q.get('ack')) };
}
