// "Share a port": the panel under the top bar that shares host:port on the SSH server's side through
// the relay (client/port_share.js). Pick the host and port; each share shows its URL and raw TCP port
// (copyable), how many visitors it has carried, and Stop. Failures are said in words: a relay without
// tunnels, a port the server would not connect to.
import { copyText, h } from './dom.js';

const DEFAULT_HOST = '127.0.0.1';

// "3000", "localhost:3000", "[::1]:8080", "10.0.0.5:80" -> {host, port}; null for anything else.
export function parseShareTarget(text, fallbackHost = DEFAULT_HOST) {
  const s = String(text ?? '').trim();
  const m = /^(?:(\[[^\]]+\]|[^:\s]+):)?(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : fallbackHost, port };
}

// The raw port's address as a visitor types it: the relay's host name with the share's port.
function rawAddress(relay, rawPort) {
  return `${new URL(relay).hostname}:${rawPort}`;
}

export class SharePanel {
  constructor(container, conn) {
    this.container = container;
    this.conn = conn;
    this.rows = new Map();  // PortShare -> its row element
    this.input = h('input', { id: 'share-target', placeholder: '3000 or host:port', spellcheck: 'false',
                              autocomplete: 'off', 'data-testid': 'share-target' });
    this.stable = h('input', { type: 'checkbox', 'data-testid': 'share-stable' });
    this.error = h('div', { class: 'alert alert-danger small share-error', role: 'alert', 'data-testid': 'share-error', hidden: true });
    this.list = h('ul', { class: 'share-list', 'data-testid': 'share-list' });
    this.empty = h('p', { class: 'muted small share-empty' }, 'Nothing shared yet.');
    const form = h('form', { class: 'share-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.share(); } },
      h('label', {}, 'Port on the server', this.input),
      h('button', { type: 'submit', class: 'btn btn-primary btn-small', 'data-testid': 'share-submit' }, 'Share'));
    const stableRow = h('label', { class: 'radio share-stable', title: 'The relay derives the address from who you are; one such share at a time' },
      this.stable, 'Same address every time');
    container.replaceChildren(
      h('div', { class: 'share-head' },
        h('h2', {}, 'Share a port'),
        h('p', { class: 'muted small' }, 'Visitors of the address the relay gives reach this port on the server, through this SSH connection.')),
      form, stableRow, this.error, this.empty, this.list);
  }

  focus() { this.input.focus(); }

  share() {
    this.error.hidden = true;
    const target = parseShareTarget(this.input.value);
    if (!target) return this.showError(`"${this.input.value.trim()}" is not a port (1-65535) or host:port`);
    let share;
    try {
      share = this.conn.sharePort({ ...target, stable: this.stable.checked });
    } catch (e) {
      return this.showError(`Cannot share ${target.host}:${target.port}: ${e.message}`);
    }
    this.input.value = '';
    const row = h('li', { class: 'share-row', 'data-testid': 'share-row' });
    this.rows.set(share, row);
    this.list.prepend(row);
    this.empty.hidden = true;
    share.addEventListener('change', () => this.render(share));
    share.addEventListener('ended', () => this.render(share));
    this.render(share);
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  render(share) {
    const row = this.rows.get(share);
    if (!row) return;
    const { info } = share;
    const target = `${share.host}:${share.port}`;
    const parts = [h('div', { class: 'share-target mono' }, target,
      h('span', { class: `share-state share-${share.state}`, 'data-testid': 'share-state' },
        share.state === 'registering' ? 'registering…' : share.state === 'live' ? 'live' : 'ended'))];
    if (share.state === 'live' || (share.state === 'ended' && info?.ready)) {
      if (info.url) {
        parts.push(h('div', { class: 'share-address' },
          h('a', { href: info.url, target: '_blank', rel: 'noopener', class: 'mono', 'data-testid': 'share-url' }, info.url),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => copyText(info.url) }, 'Copy')));
      }
      if (info.rawPort) {
        const raw = rawAddress(this.conn.relay, info.rawPort);
        parts.push(h('div', { class: 'share-address' },
          h('span', { class: 'muted small' }, 'raw TCP'),
          h('span', { class: 'mono', 'data-testid': 'share-raw' }, raw),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => copyText(raw) }, 'Copy')));
      }
      if (!info.url && !info.rawPort) parts.push(h('div', { class: 'muted small' }, 'The relay gave this share neither a URL nor a port.'));
      const counts = `${info.connections} ${info.connections === 1 ? 'visitor' : 'visitors'}, ${info.open} open`;
      parts.push(h('div', { class: 'muted small', 'data-testid': 'share-counts' }, counts,
        info.refused ? ` · ${info.refused} refused by the server (${info.lastRefusal ?? ''})` : ''));
    }
    if (share.state === 'ended') {
      parts.push(h('div', { class: 'muted small', 'data-testid': 'share-ended' }, share.endReason === 'stopped' ? 'Stopped.' : `Ended: ${share.endReason}`));
    } else {
      parts.push(h('div', { class: 'share-actions' },
        h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': 'share-stop', onclick: () => share.stop() }, 'Stop')));
    }
    row.replaceChildren(...parts);
    row.classList.toggle('share-ended', share.state === 'ended');
  }

  // The shares themselves end with their connection (SshConnection.dispose()).
  dispose() { this.rows.clear(); }
}
