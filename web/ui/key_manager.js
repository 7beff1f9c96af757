// The "SSH keys" panel: the keys stored in this browser, a generator for Ed25519 keys and an importer
// for existing private keys. After a key is made, its public line is shown for authorized_keys.
import { h, copyText } from './dom.js';
import { addKey, deleteKey, generateKey, importKey, listKeys } from '../client/key_store.js';

export class KeyManager {
  // loadModule: () => Promise<wasm module>; onChange: called after the list changed.
  constructor(el, { loadModule, onChange }) {
    this.el = el;
    this.loadModule = loadModule;
    this.onChange = onChange;
    this.list = h('ul', { class: 'key-list', 'data-testid': 'key-list' });
    this.message = h('div', { class: 'key-message', 'aria-live': 'polite' });
    el.replaceChildren(this.list, this.message, this.generateForm(), this.importForm());
  }

  async refresh() {
    const keys = await listKeys();
    this.list.replaceChildren(...(keys.length ? keys.map((k) => this.keyItem(k))
      : [h('li', { class: 'muted' }, 'No keys yet.')]));
    return keys;
  }

  keyItem(k) {
    return h('li', { class: 'key-item' },
      h('div', {}, h('strong', {}, k.name), k.encrypted ? h('span', { class: 'tag' }, 'passphrase') : null,
        h('div', { class: 'mono muted small' }, k.fingerprint)),
      h('div', { class: 'key-actions' },
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.showPublic(k, 'Public key') }, 'Public key'),
        h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => this.remove(k) }, 'Delete')));
  }

  showPublic(k, title) {
    const line = h('textarea', { class: 'mono public-line', readonly: true, rows: 3, 'data-testid': 'public-key' }, k.publicKey);
    const copied = h('span', { class: 'muted small' });
    this.message.replaceChildren(h('div', { class: 'public-box' },
      h('div', { class: 'public-head' }, h('strong', {}, `${title}: ${k.name}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: async () => {
          copied.textContent = (await copyText(k.publicKey)) ? 'copied' : 'select the text and copy it';
        } }, 'Copy'), copied),
      h('p', { class: 'muted small' }, 'Add this line to ~/.ssh/authorized_keys on the server. The private key stays in this browser.'),
      line));
  }

  async remove(k) {
    if (!confirm(`Delete the key "${k.name}" from this browser? Servers that only accept it will refuse you.`)) return;
    await deleteKey(k.id);
    this.message.replaceChildren();
    await this.refresh();
    this.onChange();
  }

  generateForm() {
    const form = h('form', { class: 'key-form', 'data-testid': 'generate-key' },
      h('h3', {}, 'Generate an Ed25519 key'),
      h('div', { class: 'row' },
        h('label', {}, 'Name', h('input', { name: 'name', required: true, value: 'browser key', autocomplete: 'off' })),
        h('label', {}, 'Passphrase (optional)', h('input', { name: 'passphrase', type: 'password', autocomplete: 'new-password' }))),
      h('button', { type: 'submit', class: 'btn' }, 'Generate'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save(form, 'New key', (mod) => generateKey(mod, form.elements.name.value.trim(), form.elements.passphrase.value));
    });
    return form;
  }

  importForm() {
    const file = h('input', { type: 'file', name: 'file' });
    const text = h('textarea', { name: 'privateKey', rows: 4, class: 'mono', placeholder: '-----BEGIN OPENSSH PRIVATE KEY-----', spellcheck: 'false' });
    file.addEventListener('change', async () => { if (file.files[0]) text.value = await file.files[0].text(); });
    const form = h('form', { class: 'key-form', 'data-testid': 'import-key' },
      h('h3', {}, 'Import a private key'),
      h('p', { class: 'muted small' }, 'OpenSSH or PEM format (Ed25519, ECDSA, RSA). It is stored in this browser only.'),
      text, file,
      h('div', { class: 'row' },
        h('label', {}, 'Name', h('input', { name: 'name', required: true, value: 'imported key', autocomplete: 'off' })),
        h('label', {}, 'Passphrase (if encrypted)', h('input', { name: 'passphrase', type: 'password', autocomplete: 'off' }))),
      h('button', { type: 'submit', class: 'btn' }, 'Import'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save(form, 'Imported key', (mod) => importKey(mod, form.elements.name.value.trim(), text.value, form.elements.passphrase.value));
    });
    return form;
  }

  async save(form, title, make) {
    try {
      const record = make(await this.loadModule());
      const id = await addKey(record);
      form.reset();
      await this.refresh();
      this.showPublic({ ...record, id }, title);
      this.onChange(id);
    } catch (e) {
      this.message.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alert' }, e.message));
    }
  }
}
