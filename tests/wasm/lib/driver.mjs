// Drives one SshSession the way a page does (web/client/ssh_connection.js): only I/O glue. The core
// machine inside the session says what to open (takeOpen(): the first connect, and after a drop the
// reconnects, on its own schedule), when (nextDeadline() → onTimeout()), what to send and how the
// session ends; this opens links, reports what they do with the time, and steps libssh. Every wait is
// bounded.
//
// openLink(open) -> Promise<link>, where open is {requestTarget, reconnect, attempt, credentialsRefused}.
// A link: send(bytes), close(code, reason), drop()?; callbacks onmessage(bytes) and onclose(clean); after
// a clean close, link.closeCode / link.closeReason (when known) say what the relay sent.
const now = () => performance.now();

export class Driver {
  constructor(mod, options, openLink) {
    this.mod = mod;
    this.s = new mod.SshSession({ seed: 1, ...options });
    this.openLink = openLink;
    this.link = null;
    this.opening = null;     // the token of the open in flight
    this.openSeq = 0;
    this.opens = [];         // every open the machine asked for
    this.events = [];        // every nextEvent()
    this.state = { state: 'new' };
    this.stdout = [];
    this.stderr = [];
    this.stdoutBytes = 0;
    this.reconnects = 0;
    this.failures = [];
    this.waiters = new Set();
    this.timer = null;
    this.timerAt = null;
    this.stopped = false;
    this.ended = null;       // the outcome, once there is one
    this.onStdout = null;    // optional (chunk) => void, instead of collecting
  }

  // Starts the session and waits until the first open settled (the link is up, or the session ended).
  async connect() {
    this.s.start(now());
    this.pump();
    await this.waitFor(() => this.link || this.ended, 'the first open');
    if (!this.link && this.ended) throw new Error(`the first open failed: ${JSON.stringify(this.ended)}`);
  }

  doOpen(open) {
    this.opens.push(open);
    const token = ++this.openSeq;
    this.opening = token;
    this.openLink(open).then((link) => {
      if (this.opening !== token || !this.s || this.ended) { link.close?.(1000, 'abandoned'); return; }
      this.opening = null;
      this.attach(link);
      this.s.openSucceeded(now());
      this.pump();
    }, (e) => {
      if (this.opening !== token || !this.s) return;
      this.opening = null;
      this.failures.push(`${open.reconnect ? `reconnect attempt ${open.attempt}` : 'connect'}: ${e.message}`);
      this.s.openFailed(e.message, now());
      this.pump();
    });
  }

  attach(link) {
    this.link = link;
    link.onmessage = (data) => {
      if (this.link !== link) return;
      if (!this.s.receiveMessage(data, true, now())) this.failures.push(`receiveMessage: ${this.s.lastError()}`);
      this.pump();
    };
    link.onclose = (clean) => {
      if (this.link !== link) return;
      this.link = null;
      if (clean) this.s.relayClosed(link.closeCode ?? 1000, link.closeReason ?? '', now());
      else this.s.transportLost('the link dropped', now());
      this.pump();
    };
  }

  pump() {
    if (!this.s) return this.state;
    let st;
    do {
      st = this.s.step();
      if (this.link) for (const m of this.s.takeOutgoingMessages(now())) this.link.send(m);
      const out = this.s.read();
      if (out.length) {
        this.stdoutBytes += out.length;
        if (this.onStdout) this.onStdout(out); else this.stdout.push(out);
      }
      const err = this.s.readStderr();
      if (err.length) this.stderr.push(err);
    } while (st.more);
    this.state = st;
    if ((st.state === 'closed' || st.state === 'error') && !this.stopped) {
      this.stopped = true;
      this.s.stop(now());
    }
    this.driveTransport();
    for (const w of [...this.waiters]) w();
    return st;
  }

  driveTransport() {
    for (let ev = this.s.nextEvent(); ev; ev = this.s.nextEvent()) {
      this.events.push(ev);
      if (ev.type === 'resumed') this.reconnects++;
    }
    if (this.s.takeAbandon()) {
      this.opening = null;
      if (this.link) { (this.link.drop ?? this.link.close).call(this.link); this.link = null; }
    }
    const outcome = this.s.outcome();
    if (outcome) {
      if (!this.ended) {
        this.ended = outcome;
        const close = this.s.takeClose();
        const link = this.link;
        this.link = null;
        link?.close(close?.code ?? 1000, close?.reason ?? '');
        clearTimeout(this.timer);
        this.timer = null;
      }
      return;
    }
    const open = this.s.takeOpen();
    if (open) this.doOpen(open);
    this.armTimer();
  }

  armTimer() {
    const at = this.s.nextDeadline();
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = null;
      if (!this.s || this.ended) return;
      this.s.onTimeout(now());
      this.pump();
    }, Math.max(0, at - now()));
  }

  // Calls a session method (acceptHostKey, authPassword, write, ...) and steps.
  act(method, ...args) {
    const ok = this.s[method](...args);
    if (!ok && typeof ok === 'boolean') throw new Error(`${method}() refused: ${this.s.lastError()}`);
    this.pump();
    return ok;
  }

  // The default bound is generous: it only costs time when the state never comes, and a loaded CI machine
  // (an ASan relay, sshd, node all sharing two cores) can take many seconds for one step.
  waitFor(predicate, what, timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
      const check = () => {
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
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; state ${JSON.stringify(this.state)}` +
                         `, outcome ${JSON.stringify(this.ended)}, failures ${JSON.stringify(this.failures)}` +
                         `, stdout ${JSON.stringify(this.stdoutText().slice(-300))}`));
      }, timeoutMs);
      const finish = () => { clearTimeout(timer); this.waiters.delete(check); };
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
    clearTimeout(this.timer);
    this.timer = null;
    this.opening = null;
    this.link?.close();
    this.link = null;
    this.s?.delete();
    this.s = null;
  }
}

// The sid and ack of a /v4/reconnect request target (for the in-test relay).
export function reconnectParams(requestTarget) {
  const q = new URL(requestTarget, 'http://relay').searchParams;
  return { sid: q.get('sid'), ack: Number(q.get('ack')) };
}
