// One connection as the user lives it: connect → check the host key → log in → shell (or, for an
// sshweb:// target, the SSH-Web site) → end. It reacts
// to the SshConnection's state changes with the step panel (prompts), the terminal and the status bar,
// and turns every way of ending into one readable message.
import { SshConnection } from '../client/ssh_connection.js';
import { checkHostKey, forgetHostKey, trustHostKey } from '../client/known_hosts.js';
import { getKey, listKeys } from '../client/key_store.js';
import { authFailure, connectionError, exitText } from '../client/messages.js';
import { formatTarget, knownHostsKey } from '../client/target.js';
import { SshWebSite } from '../client/sshweb_site.js';
import { SiteView } from './site_view.js';
import { TerminalView } from './terminal_view.js';

const KEX_TIMEOUT_MS = 30000;
const NO_RESUME = 'this connection will not resume after a network drop';

export class SessionFlow extends EventTarget {
  // request: {relay, target, targetText, method, keyId, shape}; ui: {steps, status, screens, terminalEl, siteEl}
  // shape: 'v4' (resumes after a network drop) or 'relay' (the plain /relay endpoint: does not).
  constructor(mod, request, ui) {
    super();
    this.mod = mod;
    this.request = request;
    this.ui = ui;
    this.conn = null;
    this.terminal = null;
    this.state = 'new';
    this.autoAuthTried = false;
    this.outcome = null;  // why the flow stopped early: 'cancelled' | 'host-key-changed' | 'gave-up'
    this.usedKeyId = request.keyId;
    this.timings = { start: performance.now() };
  }

  get label() { return formatTarget(this.request.target); }
  get plainRelay() { return this.request.shape === 'relay'; }
  // Where the bytes go, for the status line: the relay, and for /relay that nothing will resume.
  get via() { return `${this.request.relay}${this.plainRelay ? ` /relay — ${NO_RESUME}` : ''}`; }

  async start() {
    const { steps, status } = this.ui;
    status.setTarget(this.plainRelay ? `${this.label} · /relay, no resume` : this.label);
    status.show('busy', 'Connecting…');
    steps.progress(`Connecting to ${this.label}`, `through ${this.via}`);
    const { host, port, user } = this.request.target;
    this.conn = new SshConnection(this.mod, { relay: this.request.relay, host, port, user, shape: this.request.shape,
      invitation: this.request.invitation });
    this.conn.addEventListener('state', (e) => this.onState(e.detail));
    this.conn.addEventListener('output', (e) => this.terminal?.write(e.detail));
    this.conn.addEventListener('transport', (e) => this.onTransport(e.detail));
    this.conn.addEventListener('ended', (e) => this.onEnded(e.detail.reason, e.detail.outcome));
    // A target that never sends an SSH banner (a web server, say) would leave "Exchanging keys" forever.
    this.kexTimer = setTimeout(() => this.giveUp({
      headline: `${this.label} did not answer like an SSH server`,
      detail: `No SSH key exchange within ${KEX_TIMEOUT_MS / 1000} s: check the host and port.`,
    }), KEX_TIMEOUT_MS);
    await this.conn.start();
  }

  // Ends the connection with our own explanation instead of what the end would say.
  giveUp(message) {
    if (!this.conn || this.conn.finished) return;
    this.outcome = 'gave-up';
    this.giveUpMessage = message;
    this.conn.disconnect();
  }

  disconnect() {
    if (!this.conn || this.conn.finished) return;
    this.outcome ??= 'cancelled';
    this.conn.disconnect();
  }

  async onState(st) {
    this.state = st.state;
    const { steps, status } = this.ui;
    switch (st.state) {
      case 'kex':
        steps.progress(`Connecting to ${this.label}`, 'Exchanging keys with the server…');
        break;
      case 'host-key':
        clearTimeout(this.kexTimer);
        await this.checkHostKey(st.hostKey);
        break;
      case 'auth':
        await this.authenticate(st, st.failure ? authFailure(st) : '');
        break;
      case 'authenticating':
        steps.progress(`Logging in as ${this.request.target.user}`, 'Waiting for the server…');
        break;
      case 'kbd-interactive': {
        const answers = await steps.askKbdInteractive(st);
        if (answers) this.conn.act('answerKeyboardInteractive', answers);
        break;
      }
      case 'authenticated':
        if (this.request.target.site) {
          await this.openSite();
          break;
        }
        this.openTerminal();
        this.conn.act('openShell', this.terminal.cols, this.terminal.rows, 'xterm-256color');
        break;
      case 'open':
        this.timings.open = performance.now();
        status.show('ok', 'Connected', `${this.label} via ${this.via}`);
        this.terminal.focus();
        this.emit('connected');
        break;
      case 'closed':
        this.exitInfo = st;
        break;
      case 'error':
        this.sshError = st.message;
        break;
      default:
        break;
    }
  }

  async checkHostKey(hostKey) {
    const hostPort = knownHostsKey(this.request.target);
    const known = await checkHostKey(hostPort, hostKey);
    if (known.status === 'match') {
      this.conn.act('acceptHostKey');
      return;
    }
    if (known.status === 'changed') {
      this.outcome = 'host-key-changed';
      this.conn.disconnect();
      this.ui.status.show('error', 'Host key changed');
      this.ui.steps.showChangedKey(hostPort, known.known, hostKey, async () => {
        await forgetHostKey(hostPort);
        this.emit('finished', { message: { headline: 'The old host key was forgotten', detail: 'Connect again to check and trust the new key.' }, kind: 'info' });
      });
      return;
    }
    this.ui.status.show('warn', 'Unknown host key');
    if (!(await this.ui.steps.askTrust(hostPort, hostKey))) return;
    await trustHostKey(hostPort, hostKey);
    this.ui.status.show('busy', 'Logging in…');
    this.conn.act('acceptHostKey');
  }

  // Tries the chosen method without asking when nothing needs typing (an unencrypted key,
  // keyboard-interactive), otherwise shows the login form; failures come back here with a reason.
  async authenticate(st, failure) {
    const { method } = this.request;
    if (!this.autoAuthTried && !failure) {
      this.autoAuthTried = true;
      if (method === 'publickey' && st.methods.includes('publickey')) {
        const key = await getKey(this.request.keyId);
        if (key && !key.encrypted) { this.conn.act('authPublicKey', key.privateKey, ''); return; }
      }
      if (method === 'keyboard-interactive' && st.methods.includes('keyboard-interactive')) {
        this.conn.act('authKeyboardInteractive');
        return;
      }
    }
    this.ui.status.show(failure ? 'error' : 'warn', failure ? 'Authentication failed' : 'Log in');
    const answer = await this.ui.steps.askAuth({
      target: this.label, methods: st.methods, preferred: method, keys: await listKeys(), failure,
      banner: st.banner, keyId: this.usedKeyId,
    });
    if (!answer) return;
    this.request.method = answer.method;
    if (answer.method === 'password') {
      this.conn.act('authPassword', answer.password ?? '');
    } else if (answer.method === 'keyboard-interactive') {
      this.conn.act('authKeyboardInteractive');
    } else {
      const key = answer.keyId && await getKey(answer.keyId);
      if (!key) { await this.authenticate(st, 'Choose a key (or generate one under “SSH keys”).'); return; }
      this.usedKeyId = key.id;
      let passphrase = '';
      if (key.encrypted) {
        passphrase = await this.ui.steps.askPassphrase(key);
        if (passphrase === null) return;
      }
      if (!this.conn.act('authPublicKey', key.privateKey, passphrase)) {
        await this.authenticate(st, `The key could not be used: ${this.conn.lastError()}`);
      }
    }
  }

  // An SSH-Web site: its manifest and content over this connection, then its pages in the site view.
  async openSite() {
    const { steps, status, screens } = this.ui;
    const title = `Opening ${this.label}`;
    this.site = new SshWebSite(this.conn, this.request.target.site);
    try {
      await this.site.load(({ step, bytes }) => steps.progress(title,
        step === 'manifest' ? 'Asking the site what it offers (capabilities)…'
          : step === 'content' ? `Fetching the site (receive-pack)… ${(bytes / 1024).toFixed(0)} KiB`
            : `Unpacking ${(bytes / 1024).toFixed(0)} KiB…`));
    } catch (e) {
      this.giveUp({ headline: `${this.label} could not be opened as an SSH-Web site`, detail: e.message });
      return;
    }
    if (this.conn.finished) return;
    steps.hide();
    screens.showSite();
    this.siteView = new SiteView(this.ui.siteEl, this.site, {
      label: this.label, onStatus: (kind, text, detail) => status.show(kind, text, detail),
    });
    this.siteView.open(this.request.target.site.path);
    this.timings.open = performance.now();
    status.show('ok', 'Connected', `${this.label} via ${this.via}`);
    this.emit('connected', { site: true });
  }

  openTerminal() {
    this.ui.steps.hide();
    this.ui.screens.showTerminal();
    this.terminal = new TerminalView(this.ui.terminalEl, {
      onInput: (data) => this.conn.write(data),
      onResize: (cols, rows) => this.conn.resize(cols, rows),
      onBackpressure: (full) => (full ? this.conn.pause() : this.conn.resume()),
    });
    if (this.plainRelay) this.terminal.note(`[Plain /relay endpoint: ${NO_RESUME}]`);
  }

  onTransport(t) {
    if (t.state === 'reconnecting') {
      this.ui.status.show('warn', 'Reconnecting…', `attempt ${t.attempt}`);
      this.ui.screens.reconnecting(true);
    } else if (t.state === 'live') {
      this.ui.status.show(this.state === 'open' ? 'ok' : 'busy', this.state === 'open' ? 'Connected' : 'Connecting…');
      this.ui.screens.reconnecting(false);
    }
  }

  onEnded(closeInfo, outcome) {
    clearTimeout(this.kexTimer);
    this.ui.screens.reconnecting(false);
    // The first open failed (core's outcome: unreachable, or refused): no session was ever there.
    if (outcome && (outcome.end === 'unreachable' || outcome.end === 'refused') && this.outcome !== 'cancelled') {
      this.fail({
        headline: `Cannot reach the relay at ${this.request.relay}`,
        detail: `${outcome.detail}. Check the relay address${location.protocol === 'chrome-extension:' ? ' and that it allows this extension\'s origin (--allowed-origins)' : ''}.`,
      });
      return;
    }
    if (this.outcome === 'gave-up') {
      this.fail(this.giveUpMessage);
      return;
    }
    if (this.outcome === 'host-key-changed') {  // the warning stays on screen
      this.emit('finished', { message: null, kind: 'host-key-changed' });
      return;
    }
    if (this.outcome === 'cancelled' && !this.terminal && !this.siteView) {
      this.emit('finished', { message: null });
      return;
    }
    if (this.exitInfo || (this.siteView && this.outcome === 'cancelled')) {
      const text = this.outcome === 'cancelled' ? 'Disconnected' : exitText(this.exitInfo);
      this.ui.status.show('idle', text);
      this.terminal?.note(`[${text}]`);
      this.emit('finished', { message: { headline: text }, kind: 'ended' });
      return;
    }
    this.fail(connectionError(this.request.target, closeInfo, this.sshError));
  }

  fail(message) {
    this.ui.status.show('error', 'Not connected', message.headline);
    this.terminal?.note(`[${message.headline}${message.detail ? `: ${message.detail}` : ''}]`);
    this.emit('finished', { message, kind: 'error' });
  }

  dispose() {
    clearTimeout(this.kexTimer);
    this.conn?.dispose();
    this.terminal?.dispose();
    this.siteView?.dispose();
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
