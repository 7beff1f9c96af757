// The file panel's transfer list: one row per upload or download with a progress bar, the bytes moved,
// the rate and the time left while it runs, a Cancel button, and how it ended (done, failed with the
// reason, cancelled with what was left behind).
import { h } from './dom.js';

// The rate is measured over this much recent time, so it follows the transfer without jumping.
const RATE_WINDOW_MS = 3000;
const RENDER_MS = 150;

export function formatBytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return 'under a second';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export class TransferList {
  constructor(container) {
    this.container = container;
    this.rows = new Map();
    this.next = 1;
    this.clearButton = h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.clearFinished() }, 'Clear finished');
    this.list = h('ul', { class: 'transfer-rows', 'data-testid': 'transfer-rows' });
    container.replaceChildren(h('div', { class: 'transfers-head' }, h('strong', {}, 'Transfers'), this.clearButton), this.list);
    this.refresh();
  }

  // direction: 'up' | 'down'. Returns a handle: start(size), progress(bytes), done(bytes), failed(message),
  // cancelled(message), and onCancel, which the caller sets (the Cancel button calls it).
  add(name, direction) {
    const handle = { onCancel: null };
    const id = this.next++;
    const bar = h('div', { class: 'bar-fill' });
    const text = h('span', { class: 'transfer-text', 'data-testid': 'transfer-text' }, 'Starting…');
    const cancel = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'transfer-cancel', onclick: () => handle.onCancel?.() }, 'Cancel');
    const row = h('li', { class: 'transfer running', 'data-testid': 'transfer', 'data-name': name, 'data-state': 'running' },
      h('div', { class: 'transfer-line' },
        h('span', { class: `transfer-dir ${direction}`, title: direction === 'up' ? 'upload' : 'download' }, direction === 'up' ? '↑' : '↓'),
        h('span', { class: 'transfer-name', title: name }, name), cancel),
      h('div', { class: 'bar' }, bar),
      text);
    this.list.prepend(row);
    const t = { id, row, bar, text, cancel, size: null, bytes: 0, started: performance.now(), samples: [] };
    this.rows.set(id, t);
    this.refresh();
    Object.assign(handle, {
      start: (size) => { t.size = size ?? null; this.render(t); },
      progress: (bytes) => { t.bytes = bytes; this.sample(t); this.renderSoon(t); },
      done: (bytes) => this.finish(t, 'done', `Done — ${formatBytes(bytes)} in ${formatDuration((performance.now() - t.started) / 1000)}` +
                                   ` (${formatBytes(bytes / Math.max((performance.now() - t.started) / 1000, 0.001))}/s)`),
      failed: (message) => this.finish(t, 'failed', `Failed — ${message}`),
      cancelled: (message) => this.finish(t, 'cancelled', message ? `Cancelled — ${message}` : 'Cancelled'),
    });
    return handle;
  }

  sample(t) {
    const now = performance.now();
    t.samples.push([now, t.bytes]);
    while (t.samples.length > 2 && now - t.samples[0][0] > RATE_WINDOW_MS) t.samples.shift();
  }

  rate(t) {
    if (t.samples.length < 2) return null;
    const [t0, b0] = t.samples[0];
    const [t1, b1] = t.samples[t.samples.length - 1];
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : null;
  }

  // Progress comes per SFTP reply (every 32 KiB): the row is redrawn at most every RENDER_MS.
  renderSoon(t) {
    if (t.renderTimer) return;
    t.renderTimer = setTimeout(() => { t.renderTimer = null; this.render(t); }, RENDER_MS);
  }

  render(t) {
    if (t.row.dataset.state !== 'running') return;
    const fraction = t.size ? Math.min(1, t.bytes / t.size) : 0;
    t.bar.style.width = `${(fraction * 100).toFixed(1)}%`;
    t.row.classList.toggle('indeterminate', !t.size);
    const rate = this.rate(t);
    const parts = [t.size ? `${formatBytes(t.bytes)} of ${formatBytes(t.size)}` : formatBytes(t.bytes)];
    if (rate) parts.push(`${formatBytes(rate)}/s`);
    if (rate && t.size) parts.push(`${formatDuration((t.size - t.bytes) / rate)} left`);
    t.text.textContent = parts.join(' · ');
  }

  finish(t, state, message) {
    if (t.row.dataset.state !== 'running') return;
    clearTimeout(t.renderTimer);
    t.row.dataset.state = state;
    t.row.classList.remove('running', 'indeterminate');
    t.row.classList.add(state);
    if (state === 'done') t.bar.style.width = '100%';
    t.text.textContent = message;
    t.cancel.remove();
    this.refresh();
  }

  clearFinished() {
    for (const [id, t] of this.rows) {
      if (t.row.dataset.state !== 'running') {
        t.row.remove();
        this.rows.delete(id);
      }
    }
    this.refresh();
  }

  refresh() {
    this.container.hidden = this.rows.size === 0;
    this.clearButton.hidden = ![...this.rows.values()].some((t) => t.row.dataset.state !== 'running');
  }
}
