// One WebSocket to the relay: subprotocol `ssh`, binary messages only (design.md §2). It reports how it
// ended, which decides what happens next: `clean` (a close frame — the target's EOF or a refusal with a
// code and reason, nothing to resume) or not (the socket died — resume through /v4/reconnect).

const OPEN_TIMEOUT_MS = 10000;

export class RelayLink {
  // Resolves once the socket is open; rejects with a readable error if it closes or times out first.
  static open(url) {
    return new Promise((resolve, reject) => {
      const link = new RelayLink(url);
      const timer = setTimeout(() => {
        link.close(4000, 'open timed out');
        reject(new Error(`no answer from the relay within ${OPEN_TIMEOUT_MS / 1000} s`));
      }, OPEN_TIMEOUT_MS);
      link.ws.onopen = () => { clearTimeout(timer); link.opened = true; resolve(link); };
      link.onclose = (how) => {
        clearTimeout(timer);
        reject(Object.assign(new Error('the relay could not be reached (or refused the WebSocket upgrade)'), { close: how }));
      };
    });
  }

  constructor(url) {
    this.url = url;
    this.opened = false;
    this.onmessage = null;  // (ArrayBuffer) => void
    this.onclose = null;    // ({clean, code, reason}) => void, once
    this.ws = new WebSocket(url, 'ssh');
    this.ws.binaryType = 'arraybuffer';
    this.ws.onmessage = (e) => {
      // v4 is binary only: a text message is a broken relay.
      if (typeof e.data === 'string') { this.close(4400, 'text message'); return; }
      this.onmessage?.(e.data);
    };
    this.ws.onclose = (e) => this.ended({ clean: e.wasClean, code: e.code, reason: e.reason });
    this.ws.onerror = () => {};  // always followed by close, which carries what there is to know
  }

  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  send(bytes) { this.ws.send(bytes); }

  // Closing from our side is never something to resume from.
  close(code = 1000, reason = '') {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    try { this.ws.close(code, reason); } catch { this.ws.close(); }
    this.ended({ clean: true, code, reason, local: true });
  }

  ended(how) {
    const notify = this.onclose;
    this.onclose = null;
    this.onmessage = null;
    notify?.(how);
  }
}
