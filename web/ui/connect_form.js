// The connect form: relay, `user@host[:port]` (or, with a rendezvous invitation, just `user`), the
// preferred login method (and key), and under
// *Advanced* the relay endpoint (v4, which resumes, or the plain /relay, which does not). Offers recent
// targets, and checks what it can before anything is dialled.
import { h } from './dom.js';
import { parseTarget } from '../client/target.js';
import { parseInvitation, rendezvousHostName } from '../client/invitation.js';
import { relayBaseUrl } from '../client/relay_url.js';
import { forgetTarget, recentTargets } from '../client/recent_targets.js';

export class ConnectForm {
  constructor(form, { defaultRelay, onConnect }) {
    this.form = form;
    this.onConnect = onConnect;
    this.el = form.elements;
    this.error = form.querySelector('.form-error');
    this.keySelect = this.el.keyId;
    this.el.relay.value = defaultRelay;
    for (const radio of form.querySelectorAll('input[name=method]')) radio.addEventListener('change', () => this.methodChanged());
    this.el.shape.addEventListener('change', () => this.shapeChanged());
    this.el.invitation.addEventListener('input', () => this.invitationChanged());
    form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.renderRecent();
    this.methodChanged();
    this.shapeChanged();
  }

  get method() { return this.form.querySelector('input[name=method]:checked')?.value ?? 'password'; }

  methodChanged() {
    this.form.querySelector('.key-choice').hidden = this.method !== 'publickey';
  }

  // 'v4' (corp-relay-v4: resumes after a drop) or 'relay' (the plain /relay endpoint: does not).
  get shape() { return this.el.shape.value === 'relay' ? 'relay' : 'v4'; }

  shapeChanged() {
    const plain = this.shape === 'relay';
    this.form.querySelector('.shape-note').hidden = !plain;
    if (plain) this.form.querySelector('#advanced').open = true;  // never a hidden choice
  }

  invitationChanged() {
    const invited = this.el.invitation.value.trim() !== '';
    this.form.querySelector('.invitation-note').hidden = !invited;
    this.el.target.placeholder = invited ? 'user, or user@name' : 'user@host[:port], or sshweb://host[:port]/path';
  }

  setInvitation(text) {
    this.el.invitation.value = text;
    this.invitationChanged();
  }

  setKeys(keys, selectId) {
    const current = selectId ?? this.keySelect.value;
    this.keySelect.replaceChildren(...(keys.length
      ? keys.map((k) => h('option', { value: String(k.id), selected: String(k.id) === String(current) }, `${k.name} — ${k.fingerprint.slice(0, 20)}…`))
      : [h('option', { value: '' }, 'no keys yet — see SSH keys below')]));
  }

  // entry: {target, method?, keyId?, relay?, shape?} (a recent target or a deep link)
  fill(entry) {
    this.el.target.value = entry.target;
    if (entry.relay) this.el.relay.value = entry.relay;
    this.el.shape.value = entry.shape === 'relay' ? 'relay' : 'v4';
    this.shapeChanged();
    if (entry.method) {
      const radio = this.form.querySelector(`input[name=method][value="${entry.method}"]`);
      if (radio) radio.checked = true;
    }
    if (entry.keyId !== undefined) this.keySelect.value = String(entry.keyId);
    this.methodChanged();
  }

  submit() {
    this.clearError();
    const invitation = parseInvitation(this.el.invitation.value);
    if (invitation?.error) return this.showError('Check the invitation', invitation.error);
    let targetText = this.el.target.value.trim();
    // Through an invitation the host is only a name: `user` alone is enough.
    if (invitation && targetText && !targetText.includes('@')) targetText = `${targetText}@${rendezvousHostName(invitation)}`;
    const target = parseTarget(targetText);
    if (target.error) return this.showError('Check the target', invitation ? 'write the user name to log in as' : target.error);
    if (invitation && this.shape === 'relay') {
      return this.showError('An invitation needs the v4 endpoint', 'Set “Relay endpoint” under Advanced back to v4.');
    }
    let relay;
    try {
      relay = relayBaseUrl(this.el.relay.value);
    } catch (e) {
      return this.showError('Check the relay address', e.message);
    }
    const method = this.method;
    const keyId = method === 'publickey' ? this.keySelect.value : undefined;
    if (method === 'publickey' && !keyId) return this.showError('No key chosen', 'Generate or import a key under “SSH keys” first.');
    this.onConnect({
      relay, relayText: this.el.relay.value.trim(), target, targetText, method, keyId, shape: this.shape,
      invitation: invitation ?? undefined,
    });
  }

  renderRecent() {
    const list = recentTargets();
    const box = this.form.querySelector('.recent');
    const datalist = this.form.querySelector('datalist');
    datalist.replaceChildren(...list.map((r) => h('option', { value: r.target })));
    box.hidden = list.length === 0;
    box.replaceChildren(h('span', { class: 'muted small' }, 'Recent'), ...list.map((r) => h('span', { class: 'chip' },
      h('button', { type: 'button', class: 'chip-main', title: `Connect to ${r.target}`, onclick: () => { this.fill(r); this.submit(); } }, r.target),
      h('button', { type: 'button', class: 'chip-x', title: 'Forget', 'aria-label': `Forget ${r.target}`,
        onclick: () => { forgetTarget(r.target); this.renderRecent(); } }, '×'))));
  }

  showError(headline, detail = '', extra = null) {
    this.error.replaceChildren(...[h('strong', {}, headline), detail && h('div', {}, detail), extra].filter(Boolean));
    this.error.classList.remove('info');
    this.error.hidden = false;
  }

  clearError() {
    this.error.hidden = true;
    this.error.replaceChildren();
  }
}
