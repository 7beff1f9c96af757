// Drives one SshSession the way a page does: the link (WebSocket) feeds receiveMessage(), every event
// is followed by step() + takeOutgoingMessages() + read(), and an unclean drop is resumed through
// /v4/reconnect?sid=&ack=. Every wait is bounded.
export class Driver {
  // openLink(kind, {sid, ack}) -> Promise<link>; kind is 'connect' or 'reconnect'.
  constructor(mod, options, openLink, { reconnect = true } = {}) {
    this.mod = mod;
    this.s = new mod.SshSession(options);
    this.openLink = openLink;
    this.autoReconnect = reconnect;
    this.link = null;
    this.state = { state: 'new' };
    this.stdout = [];
    this.stderr = [];
    this.stdoutBytes = 0;
    this.reconnects = 0;
    this.failures = [];
    this.waiters = new Set();
    this.onStdout = null;  // optional (chunk) => void, instead of collecting
  }

  async connect() {
    this.attach(await this.openLink('connect', {}));
    this.pump();
  }

  attach(link) {
    this.link = link;
    link.onmessage = (data) => {
      if (this.link !== link) return;
      if (!this.s.receiveMessage(data)) this.failures.push(`receiveMessage: ${this.s.lastError()}`);
      this.pump();
    };
    link.onclose = (clean) => this.onClose(link, clean);
  }

  async onClose(link, clean) {
    if (this.link !== link) return;
    this.link = null;
    if (clean) {
      this.s.transportClosed();
      this.pump();
      return;
    }
    this.s.transportLost();
    this.pump();
    if (!this.autoReconnect || !this.s.canResume()) return;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const next = await this.openLink('reconnect', { sid: this.s.sessionId(), ack: this.s.reconnectAck() });
        this.reconnects++;
        this.attach(next);
        if (!this.s.transportReconnected()) this.failures.push(`transportReconnected: ${this.s.lastError()}`);
        this.pump();
        return;
      } catch (e) {
        this.failures.push(`reconnect attempt ${attempt}: ${e.message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  pump() {
    let st;
    do {
      st = this.s.step();
      if (this.link) for (const m of this.s.takeOutgoingMessages()) this.link.send(m);
      const out = this.s.read();
      if (out.length) {
        this.stdoutBytes += out.length;
        if (this.onStdout) this.onStdout(out); else this.stdout.push(out);
      }
      const err = this.s.readStderr();
      if (err.length) this.stderr.push(err);
    } while (st.more);
    this.state = st;
    if ((st.state === 'closed' || st.state === 'error') && this.link) {
      const link = this.link;
      this.link = null;
      link.close();
    }
    for (const w of [...this.waiters]) w();
    return st;
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
                         `, failures ${JSON.stringify(this.failures)}, stdout ${JSON.stringify(this.stdoutText().slice(-300))}`));
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
    this.link?.close();
    this.link = null;
    this.s.delete();
  }
}
