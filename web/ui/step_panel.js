// The card that takes the place of the connect form while a connection is set up: progress, the host
// key decision, and the credential prompts. Each ask*() shows one form and resolves with the answer, or
// null when the user cancels.
import { h } from './dom.js';
import { methodList } from '../client/messages.js';

export class StepPanel {
  constructor(el, { onCancel }) {
    this.el = el;
    this.onCancel = onCancel;
  }

  show(...children) {
    this.el.replaceChildren(...children);
    this.el.hidden = false;
    this.el.querySelector('input:not([type=hidden]):not([disabled])')?.focus();
  }

  hide() {
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  progress(title, detail = '') {
    this.show(
      h('h2', {}, h('span', { class: 'spinner', 'aria-hidden': 'true' }), title),
      detail && h('p', { class: 'muted' }, detail),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => this.onCancel() }, 'Cancel')),
    );
  }

  // A form whose submit resolves the promise with collect(form); Cancel resolves null.
  ask(title, body, submitLabel, collect) {
    return new Promise((resolve) => {
      const cancel = h('button', { type: 'button', class: 'btn', onclick: () => { resolve(null); this.onCancel(); } }, 'Cancel');
      const form = h('form', { class: 'step-form', 'data-step': title },
        h('h2', {}, title), ...body,
        h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel)));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        resolve(collect(form));
      });
      this.show(form);
    });
  }

  askTrust(hostPort, hostKey) {
    return this.ask('Unknown host key', [
      h('p', {}, 'This is the first connection to ', h('strong', {}, hostPort), ' from this browser. ',
        'Check that the server\'s key fingerprint is the one you expect (', h('code', {}, 'ssh-keygen -lf /etc/ssh/ssh_host_*.pub'),
        ' on the server):'),
      h('dl', { class: 'fingerprint' },
        h('dt', {}, 'Key type'), h('dd', {}, hostKey.type),
        h('dt', {}, 'Fingerprint'), h('dd', { class: 'mono', 'data-testid': 'host-fingerprint' }, hostKey.fingerprint)),
    ], 'Trust and connect', () => true);
  }

  // A changed key ends the connection: this is only the explanation and the way out.
  showChangedKey(hostPort, known, presented, onForget) {
    this.show(h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'host-key-changed' },
      h('h2', {}, '⚠ Host key changed — connection refused'),
      h('p', {}, 'The key ', h('strong', {}, hostPort), ' presented is not the one this browser trusted before. ',
        'Someone may be intercepting the connection, or the server was reinstalled or its keys replaced. ',
        'Nothing was sent to the server.'),
      h('dl', { class: 'fingerprint' },
        h('dt', {}, 'Trusted'), h('dd', { class: 'mono' }, `${known.type} ${known.fingerprint}`),
        h('dt', {}, 'Presented'), h('dd', { class: 'mono' }, `${presented.type} ${presented.fingerprint}`)),
      h('p', {}, 'Only if you know why the key changed (ask the server\'s administrator), forget the old key; ',
        'the next connection will then ask you to trust the new one.'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => this.onCancel() }, 'Back'),
        h('button', { type: 'button', class: 'btn btn-danger', onclick: onForget }, 'Forget the old key'))));
  }

  // methods: what the server offers; keys: stored keys; failure: text of the last refusal.
  askAuth({ target, methods, preferred, keys, failure, banner, keyId }) {
    const usable = ['password', 'keyboard-interactive', 'publickey'].filter((m) => methods.includes(m));
    let method = usable.includes(preferred) ? preferred : usable[0];
    const labels = { password: 'Password', 'keyboard-interactive': 'Keyboard-interactive', publickey: 'Public key' };
    const fields = h('div', { class: 'auth-fields' });
    const renderFields = () => {
      if (method === 'password') {
        fields.replaceChildren(h('label', {}, 'Password',
          h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })));
      } else if (method === 'publickey') {
        fields.replaceChildren(keys.length
          ? h('label', {}, 'Key', h('select', { name: 'keyId' },
            keys.map((k) => h('option', { value: String(k.id), selected: String(k.id) === String(keyId) }, `${k.name} (${k.fingerprint})`))))
          : h('p', { class: 'muted' }, 'No keys stored in this browser yet: generate or import one under “SSH keys”.'));
      } else {
        fields.replaceChildren(h('p', { class: 'muted' }, 'The server will ask its own questions next.'));
      }
      fields.querySelector('input')?.focus();
    };
    const tabs = h('div', { class: 'segmented', role: 'tablist' }, usable.map((m) => h('button', {
      type: 'button', role: 'tab', class: m === method ? 'active' : '', 'data-method': m,
      onclick: (e) => {
        method = m;
        for (const b of tabs.children) b.classList.toggle('active', b === e.currentTarget);
        renderFields();
      },
    }, labels[m])));
    renderFields();
    const body = [
      h('p', { class: 'muted' }, `as ${target}`),
      banner && h('pre', { class: 'banner' }, banner),
      failure && h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'auth-error' }, failure),
      usable.length > 1 && tabs,
      usable.length ? fields : h('p', {}, `The server offers no method this page supports (${methodList(methods)}).`),
    ];
    return this.ask('Log in', body, 'Log in', (form) => ({
      method,
      password: form.elements.password?.value,
      keyId: form.elements.keyId?.value,
    }));
  }

  askKbdInteractive(st) {
    const inputs = st.prompts.map((p, i) => h('label', {}, p.prompt.trim() || `Answer ${i + 1}`,
      h('input', { type: p.echo ? 'text' : 'password', name: `answer${i}`, autocomplete: 'off' })));
    const body = [
      st.name && h('p', { class: 'muted' }, st.name),
      st.instruction && h('p', {}, st.instruction),
      ...inputs,
      !inputs.length && h('p', { class: 'muted' }, 'The server asks nothing further: continue.'),
    ];
    return this.ask('The server asks', body, 'Continue', (form) => st.prompts.map((_, i) => form.elements[`answer${i}`].value));
  }

  askPassphrase(key, failure) {
    return this.ask('Key passphrase', [
      h('p', {}, 'The key ', h('strong', {}, key.name), ' is encrypted.'),
      failure && h('div', { class: 'alert alert-danger', role: 'alert' }, failure),
      h('label', {}, 'Passphrase', h('input', { type: 'password', name: 'passphrase', autocomplete: 'off' })),
    ], 'Unlock', (form) => form.elements.passphrase.value);
  }
}
