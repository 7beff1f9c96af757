// An SSH-Web site shown in the page (docs/sshweb.md, "The browser side"): each page of the site is
// rebuilt from the unpacked files with its stylesheets, scripts and images inlined, and shown in a
// sandboxed frame (scripts run, but in an opaque origin: the site cannot reach this page, its keys or
// its storage, and its Content-Security-Policy lets it fetch nothing). A small bridge script in the
// frame turns link clicks into navigation here and form submissions into `api-call`s; the backend's
// answer goes back to the frame, which shows it under the form unless the site's own script handles
// the `sshweb:response` event.
import { h } from './dom.js';
import { jsonBody, resolveSitePath } from '../client/sshweb_site.js';

const decoder = new TextDecoder();

const FRAME_POLICY = [
  "default-src 'none'", "img-src data:", "media-src data:", "font-src data:", "style-src 'unsafe-inline' data:",
  "script-src 'unsafe-inline'", "form-action 'none'",
].join('; ');

// Runs in the frame. Kept free of the page's names: it only posts messages to its parent.
const BRIDGE = `(() => {
  const send = (m) => parent.postMessage({ sshweb: 1, ...m }, '*');
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || e.defaultPrevented) return;
    const href = a.getAttribute('href');
    if (href.startsWith('#')) return;
    e.preventDefault();
    send({ type: 'navigate', href });
  });
  let next = 1;
  const forms = new Map();
  document.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const fields = {};
    for (const [k, v] of new FormData(form, e.submitter)) if (typeof v === 'string') fields[k] = v;
    const id = next++;
    forms.set(id, form);
    form.setAttribute('aria-busy', 'true');
    send({ type: 'submit', id, method: (form.getAttribute('method') || 'GET').toUpperCase(), action: form.getAttribute('action') || '', fields });
  }, true);
  addEventListener('message', (e) => {
    const m = e.data;
    if (e.source !== parent || !m || m.sshweb !== 1 || m.type !== 'response') return;
    const form = forms.get(m.id);
    forms.delete(m.id);
    if (!form) return;
    form.removeAttribute('aria-busy');
    const ev = new CustomEvent('sshweb:response', { detail: { ok: m.ok, body: m.body }, bubbles: true, cancelable: true });
    if (!form.dispatchEvent(ev)) return;
    let out = form.nextElementSibling;
    if (!out || !out.classList.contains('sshweb-response')) {
      out = document.createElement('pre');
      out.className = 'sshweb-response';
      out.setAttribute('data-testid', 'sshweb-response');
      form.after(out);
    }
    out.dataset.ok = String(m.ok);
    out.textContent = m.body;
  });
})();`;

const MIME = {
  css: 'text/css', js: 'text/javascript', mjs: 'text/javascript', json: 'application/json', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', ico: 'image/x-icon',
  woff: 'font/woff', woff2: 'font/woff2', txt: 'text/plain', xml: 'application/xml', md: 'text/plain',
};
const mimeOf = (path) => MIME[path.split('.').pop().toLowerCase()] ?? 'application/octet-stream';
const isHtml = (path) => /\.html?$/i.test(path);

function dataUrl(path, bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${mimeOf(path)};base64,${btoa(binary)}`;
}

export class SiteView {
  // site: SshWebSite (loaded); label: the sshweb:// address of its root; onStatus(kind, text, detail).
  constructor(el, site, { label, onStatus }) {
    this.el = el;
    this.site = site;
    this.label = label;
    this.onStatus = onStatus;
    this.history = [];
    this.address = h('input', { class: 'site-address mono', readonly: '', 'aria-label': 'Address', 'data-testid': 'site-address' });
    this.back = h('button', { type: 'button', class: 'btn btn-small', disabled: '', onclick: () => this.goBack(), 'data-testid': 'site-back' }, '← Back');
    this.info = h('span', { class: 'site-info muted small', 'data-testid': 'site-info' });
    this.frame = h('iframe', { class: 'site-frame', sandbox: 'allow-scripts allow-forms', title: 'SSH-Web site', 'data-testid': 'site-frame' });
    el.replaceChildren(h('div', { class: 'site-bar' }, this.back, this.address, this.info), this.frame);
    el.hidden = false;
    this.onMessage = (e) => this.fromFrame(e);
    window.addEventListener('message', this.onMessage);
    const count = site.files.size;
    this.info.textContent = `${count} file${count === 1 ? '' : 's'} · ${(site.packBytes / 1024).toFixed(1)} KiB pack`;
  }

  dispose() {
    window.removeEventListener('message', this.onMessage);
    this.el.replaceChildren();
    this.el.hidden = true;
  }

  open(path, { remember = true } = {}) {
    if (remember && this.current) this.history.push(this.current);
    this.back.disabled = this.history.length === 0;
    const file = this.site.file(path);
    this.current = file ? file.path : path;
    this.address.value = `${this.label.replace(/(^sshweb:\/\/[^/]*).*$/, '$1')}${this.current}`;
    this.frame.srcdoc = file ? this.document(file) : this.notFound(path);
  }

  goBack() {
    const previous = this.history.pop();
    if (previous) this.open(previous, { remember: false });
  }

  // The frame's document for a file of the site.
  document(file) {
    if (!isHtml(file.path)) {
      const mime = mimeOf(file.path);
      const body = mime.startsWith('image/') ? `<img alt="" src="${dataUrl(file.path, file.bytes)}">`
        : `<pre>${escapeHtml(decoder.decode(file.bytes))}</pre>`;
      return this.wrap(`<!DOCTYPE html><html><head></head><body>${body}</body></html>`, file.path);
    }
    return this.wrap(decoder.decode(file.bytes), file.path);
  }

  notFound(path) {
    return this.wrap(`<!DOCTYPE html><html><head><title>Not found</title></head><body style="font:15px system-ui;padding:2rem">
      <h1>Not in this site</h1><p><code>${escapeHtml(path)}</code> is not among the site's ${this.site.files.size} files.</p></body></html>`, '/');
  }

  // Inlines what the page loads from the site, and adds the policy and the bridge.
  wrap(html, path) {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const local = (attr) => {
      const target = resolveSitePath(path, attr);
      return target === null ? null : this.site.file(target);
    };
    for (const link of doc.querySelectorAll('link[href]')) {
      const rel = (link.getAttribute('rel') || '').toLowerCase();
      const file = local(link.getAttribute('href'));
      if (rel.includes('stylesheet')) {
        const style = doc.createElement('style');
        style.textContent = file ? decoder.decode(file.bytes) : '';
        link.replaceWith(style);
      } else if (file) {
        link.setAttribute('href', dataUrl(file.path, file.bytes));
      }
    }
    for (const script of doc.querySelectorAll('script[src]')) {
      const file = local(script.getAttribute('src'));
      script.removeAttribute('src');
      script.textContent = file ? decoder.decode(file.bytes) : '';
    }
    for (const el of doc.querySelectorAll('img[src], source[src], audio[src], video[src]')) {
      const file = local(el.getAttribute('src'));
      if (file) el.setAttribute('src', dataUrl(file.path, file.bytes));
    }
    const meta = doc.createElement('meta');
    meta.setAttribute('http-equiv', 'Content-Security-Policy');
    meta.setAttribute('content', FRAME_POLICY);
    const bridge = doc.createElement('script');
    bridge.textContent = BRIDGE;
    doc.head.prepend(meta, bridge);
    return `<!DOCTYPE html>\n${doc.documentElement.outerHTML}`;
  }

  async fromFrame(e) {
    const m = e.data;
    if (e.source !== this.frame.contentWindow || !m || m.sshweb !== 1) return;
    if (m.type === 'navigate') {
      const target = resolveSitePath(this.current, String(m.href));
      if (target === null) {
        this.onStatus('warn', 'Link leaves the site', `${m.href} is not part of this SSH-Web site`);
        return;
      }
      this.open(target);
      this.onStatus('ok', 'Connected', this.address.value);
    } else if (m.type === 'submit') {
      await this.submit(m);
    }
  }

  // A form → `api-call METHOD PATH [BODY]`: GET sends the fields as a query, other methods as JSON.
  async submit({ id, method, action, fields }) {
    const answer = (ok, body) => this.frame.contentWindow?.postMessage({ sshweb: 1, type: 'response', id, ok, body }, '*');
    const target = resolveSitePath(this.current, action || this.current);
    if (target === null) {
      answer(false, `The form's action ${action} is not part of this site`);
      return;
    }
    let path = target;
    let body = '';
    if (method === 'GET') {
      const query = new URLSearchParams(fields).toString();
      path = `${target.split('?')[0]}${query ? `?${query}` : ''}`;
    } else if (Object.keys(fields).length) {
      body = jsonBody(fields);
    }
    this.onStatus('busy', 'Sending…', `api-call ${method} ${path.split('?')[0]}`);
    try {
      const text = await this.site.apiCall(method, path, body);
      this.onStatus('ok', 'Connected', `api-call ${method} ${path.split('?')[0]} answered`);
      answer(true, text);
    } catch (err) {
      this.onStatus('error', 'The site refused', err.message);
      answer(false, err.message);
    }
  }
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}
