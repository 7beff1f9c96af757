// The status pill in the top bar: one word-sized state and its colour, with a longer title on hover.
const KINDS = ['idle', 'busy', 'ok', 'warn', 'error'];

export class StatusBar {
  constructor(el, label) {
    this.el = el;
    this.label = label;
  }

  // kind: idle | busy | ok | warn | error
  show(kind, text, title = '') {
    for (const k of KINDS) this.el.classList.toggle(`status-${k}`, k === kind);
    this.el.textContent = text;
    this.el.title = title;
    this.el.dataset.kind = kind;
  }

  setTarget(text) { this.label.textContent = text; }
}
