// The terminal: xterm.js with the fit addon, sized to its container. Output is written with flow
// control — when xterm has more than HIGH_WATER bytes not yet parsed, onBackpressure(true) asks the
// connection to stop feeding it, and (false) once it is below LOW_WATER (xterm's own advice for fast
// producers). Copy: Ctrl+Shift+C (or select and use the browser's menu); paste: Ctrl+Shift+V, the
// browser's paste, or the context menu.
import { Terminal } from '../vendor/xterm/xterm.mjs';
import { FitAddon } from '../vendor/xterm/addon-fit.mjs';
import { copyText } from './dom.js';

const HIGH_WATER = 2 * 1024 * 1024;
const LOW_WATER = 256 * 1024;

export class TerminalView {
  constructor(container, { onInput, onResize, onBackpressure }) {
    this.container = container;
    this.pending = 0;
    this.rendered = 0;      // bytes xterm has parsed (for the benchmark and tests)
    this.throttled = false;
    this.onBackpressure = onBackpressure;
    this.term = new Terminal({
      cursorBlink: true,
      fontFamily: '"DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
      allowProposedApi: false,
      theme: {
        background: '#0d1117', foreground: '#d6dde6', cursor: '#7aa2f7', selectionBackground: '#33466b',
        black: '#1b1f27', red: '#f7768e', green: '#9ece6a', yellow: '#e0af68', blue: '#7aa2f7',
        magenta: '#bb9af7', cyan: '#7dcfff', white: '#c0caf5', brightBlack: '#565f89',
      },
    });
    this.fitAddon = new FitAddon();
    this.term.loadAddon(this.fitAddon);
    this.term.open(container);
    this.disposables = [
      this.term.onData((d) => onInput(d)),
      this.term.onBinary((d) => onInput(Uint8Array.from(d, (c) => c.charCodeAt(0)))),
      this.term.onResize(({ cols, rows }) => onResize(cols, rows)),
    ];
    this.term.attachCustomKeyEventHandler((e) => this.clipboardKeys(e));
    // Fit on every size change of the container (window resize, the page's layout).
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(container);
    this.fit();
  }

  get cols() { return this.term.cols; }
  get rows() { return this.term.rows; }

  fit() {
    if (this.container.offsetParent === null) return;  // hidden: nothing to measure
    try { this.fitAddon.fit(); } catch { /* not rendered yet */ }
  }

  focus() { this.term.focus(); }

  write(bytes) {
    const n = typeof bytes === 'string' ? bytes.length : bytes.byteLength;
    this.pending += n;
    this.term.write(bytes, () => {
      this.pending -= n;
      this.rendered += n;
      if (this.throttled && this.pending < LOW_WATER) {
        this.throttled = false;
        this.onBackpressure(false);
      }
    });
    if (!this.throttled && this.pending > HIGH_WATER) {
      this.throttled = true;
      this.onBackpressure(true);
    }
  }

  // A line of the page's own (not from the server), dimmed.
  note(text) { this.term.write(`\r\n\x1b[2m${text}\x1b[0m\r\n`); }

  clipboardKeys(e) {
    if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
    if (e.code === 'KeyC') {
      const selection = this.term.getSelection();
      if (selection) copyText(selection);
      return false;
    }
    if (e.code === 'KeyV') {
      // Without clipboard-read permission the browser's own paste event still reaches xterm.
      navigator.clipboard?.readText?.().then((text) => this.term.paste(text)).catch(() => {});
      return false;
    }
    return true;
  }

  // The visible screen and scrollback as text, one string per line (tests read it).
  lines() {
    const buf = this.term.buffer.active;
    const out = [];
    for (let i = 0; i < buf.length; i++) out.push(buf.getLine(i)?.translateToString(true) ?? '');
    return out;
  }

  dispose() {
    this.resizeObserver.disconnect();
    for (const d of this.disposables) d.dispose();
    this.term.dispose();
  }
}
