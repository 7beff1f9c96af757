// The file panel beside the terminal: the server's folders over SFTP on the same SSH connection. Browse
// with breadcrumbs (starting in the login folder), sizes, dates and permissions; download (streamed to
// disk), upload by button or by dropping files and folders, make folders, rename, delete (after a
// confirmation), look at a text file's first KiBs, and copy to or from a `user@host:/path` of this
// connection. Every failure is shown in words; transfers are listed with progress, rate and time left.
import { FileError, joinPath, parentPath, RemoteFiles } from '../client/remote_files.js';
import { saveSink } from '../client/download_sinks.js';
import { formatHostPort } from '../client/target.js';
import { h } from './dom.js';
import { icon } from './icons.js';
import { formatBytes, TransferList } from './transfer_list.js';

const PREVIEW_BYTES = 64 * 1024;
// A folder deleted with its contents: at most this many entries, so a slip cannot empty a disk.
const MAX_RECURSIVE_DELETE = 10000;

const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

// As ls prints it: "Dec 6 10:12" this year, "Dec 6 2025" before; the full time is the cell's title.
function formatDate(seconds) {
  if (!seconds) return '';
  const d = new Date(seconds * 1000);
  const month = d.toLocaleString('en', { month: 'short' });
  if (d.getFullYear() !== new Date().getFullYear()) return `${month} ${d.getDate()} ${d.getFullYear()}`;
  const pad = (n) => String(n).padStart(2, '0');
  return `${month} ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// "user@host:/path" (port optional: user@host:2222:/path is not SCP's; scp takes -P) -> {user, host, path}.
export function parseCopyTarget(text) {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+):(.*)$/.exec(text.trim());
  if (!m || !m[3]) return null;
  return { user: m[1] ?? null, host: m[2].replace(/^\[|\]$/g, ''), path: m[3] };
}

export class FilePanel {
  // conn: the SshConnection; target: {user, host, port} of the connection.
  constructor(container, conn, target) {
    this.container = container;
    this.conn = conn;
    this.target = target;
    this.files = new RemoteFiles(conn);
    this.cwd = null;
    this.home = null;
    this.loading = 0;
    this.build();
    this.files.addEventListener('state', (e) => {
      if (e.detail.state === 'error' || e.detail.state === 'closed') this.showError(e.detail.error || 'The SFTP channel closed');
    });
  }

  build() {
    const input = h('input', { type: 'file', multiple: true, hidden: true, 'data-testid': 'upload-input',
      onchange: () => { this.uploadFiles([...input.files].map((f) => ({ file: f, path: f.name }))); input.value = ''; } });
    this.uploadInput = input;
    this.crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Folder', 'data-testid': 'crumbs' });
    this.errorBox = h('div', { class: 'files-error alert alert-danger', role: 'alert', 'data-testid': 'files-error', hidden: true });
    this.tbody = h('tbody');
    this.empty = h('div', { class: 'files-empty muted', hidden: true }, 'This folder is empty. Drop files here to upload them.');
    this.table = h('table', { class: 'files-table', 'data-testid': 'files-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'col-name' }, 'Name'), h('th', { class: 'col-act' }, ''))),
      this.tbody);
    this.listBox = h('div', { class: 'files-list', 'data-testid': 'files-list' }, this.table, this.empty,
      h('div', { class: 'drop-hint' }, 'Drop to upload here'));
    this.transfersBox = h('div', { class: 'transfers', 'data-testid': 'transfers' });
    this.transfers = new TransferList(this.transfersBox);
    this.dialog = h('dialog', { class: 'files-dialog', 'data-testid': 'files-dialog' });
    const tool = (label, title, onclick, testid) => h('button', { type: 'button', class: 'btn btn-small', title, onclick, 'data-testid': testid }, label);
    this.container.replaceChildren(
      h('div', { class: 'files-head' },
        h('div', { class: 'files-title' }, h('strong', {}, 'Files'), this.crumbs),
        h('div', { class: 'files-tools' },
          tool('↑ Up', 'Parent folder', () => this.cd(parentPath(this.cwd)), 'files-up'),
          tool('⟳', 'Refresh', () => this.refresh(), 'files-refresh'),
          tool('New folder', 'Make a folder here', () => this.askMkdir(), 'files-mkdir'),
          tool('Upload…', 'Upload files to this folder', () => input.click(), 'files-upload'),
          tool('Copy…', 'Copy to or from user@host:/path', () => this.askCopy(), 'files-copy'),
          input)),
      this.errorBox, this.listBox, this.transfersBox, this.dialog);
    this.listBox.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      this.listBox.classList.add('dropping');
    });
    this.listBox.addEventListener('dragleave', (e) => { if (e.target === this.listBox) this.listBox.classList.remove('dropping'); });
    this.listBox.addEventListener('drop', (e) => this.onDrop(e));
  }

  async open() {
    try {
      this.home = await this.files.open();
      await this.cd(this.home);
    } catch (e) {
      this.showError(e.message);
    }
  }

  dispose() { this.files.dispose(); }

  // --- browsing ---
  // Going to another folder clears the last error; refreshing the same one (after a transfer) leaves it,
  // so a message is not wiped before it was read.
  async cd(path) {
    if (!path) return;
    this.setBusy(true);
    try {
      const entries = await this.files.list(path);
      if (path !== this.cwd) this.clearError();
      this.cwd = path;
      this.render(entries);
    } catch (e) {
      this.showError(e.message);
    } finally {
      this.setBusy(false);
    }
  }

  refresh() { return this.cd(this.cwd); }

  setBusy(on) {
    this.loading += on ? 1 : -1;
    this.container.classList.toggle('busy', this.loading > 0);
  }

  renderCrumbs() {
    const parts = this.cwd.split('/').filter(Boolean);
    const items = [h('button', { type: 'button', class: 'crumb', onclick: () => this.cd('/') }, '/')];
    let path = '';
    parts.forEach((part, i) => {
      path += `/${part}`;
      const target = path;
      if (i > 0) items.push(h('span', { class: 'crumb-sep' }, '/'));
      items.push(h('button', { type: 'button', class: 'crumb', onclick: () => this.cd(target), 'aria-current': i === parts.length - 1 ? 'page' : null }, part));
    });
    this.crumbs.replaceChildren(...items);
    this.crumbs.title = this.cwd;
  }

  render(entries) {
    this.renderCrumbs();
    const sorted = [...entries].sort((a, b) => ((a.type === 'dir') !== (b.type === 'dir') ? (a.type === 'dir' ? -1 : 1) : byName.compare(a.name, b.name)));
    this.tbody.replaceChildren(...sorted.map((e) => this.row(e)));
    this.empty.hidden = sorted.length > 0;
    this.table.hidden = sorted.length === 0;
  }

  row(entry) {
    const path = joinPath(this.cwd, entry.name);
    const isDir = entry.type === 'dir';
    const kind = isDir ? 'folder' : entry.type === 'link' ? 'link' : 'file';
    const name = isDir || entry.type === 'link'
      ? h('button', { type: 'button', class: 'entry-name link', onclick: () => this.openEntry(entry, path) }, entry.name)
      : h('span', { class: 'entry-name' }, entry.name);
    const act = (glyph, title, onclick, testid) => h('button', { type: 'button', class: 'icon-btn', title, 'aria-label': `${title} ${entry.name}`, onclick, 'data-testid': testid }, icon(glyph));
    // Two lines per entry, so that a narrow panel still shows whole names: the name, then its size,
    // modification time and permissions.
    const when = entry.mtime ? new Date(entry.mtime * 1000).toLocaleString() : null;
    const meta = h('div', { class: 'entry-meta' },
      h('span', { class: 'entry-size' }, isDir ? '' : formatBytes(entry.size)),
      h('span', { class: 'entry-date', title: when }, formatDate(entry.mtime)),
      h('span', { class: 'entry-perm mono' }, entry.permissions));
    return h('tr', { 'data-name': entry.name, 'data-type': entry.type, 'data-testid': 'file-row' },
      h('td', { class: 'col-name', title: entry.name },
        h('div', { class: 'name-cell' }, h('span', { class: `entry-icon ${kind}` }, icon(kind)),
          h('div', { class: 'name-lines' }, name, meta))),
      h('td', { class: 'col-act' },
        isDir ? null : act('download', 'Download', () => this.download(path, entry.name, entry.size), 'row-download'),
        isDir ? null : act('eye', 'Show the start of', () => this.preview(path, entry.name), 'row-preview'),
        act('rename', 'Rename', () => this.askRename(entry, path), 'row-rename'),
        act('trash', 'Delete', () => this.askDelete(entry, path), 'row-delete')));
  }

  // A link is followed when it leads to a folder; otherwise it is shown.
  async openEntry(entry, path) {
    if (entry.type === 'dir') return this.cd(path);
    try {
      const attrs = await this.files.stat(path);
      if (attrs.type === 'dir') return this.cd(path);
      return this.preview(path, entry.name);
    } catch (e) {
      return this.showError(e.message);
    }
  }

  // --- transfers ---
  async download(path, name, size) {
    let sink;
    try {
      sink = await saveSink(name, size);
    } catch (e) {
      this.showError(`Cannot save ${name}: ${e.message}`);
      return;
    }
    if (!sink) return;  // the user dismissed the save dialog
    const row = this.transfers.add(name, 'down');
    const transfer = this.files.download(path, sink, { onStart: (s) => row.start(s), onProgress: (n) => row.progress(n) });
    row.start(size);
    row.onCancel = () => transfer.cancel();
    try {
      const bytes = await transfer.done;
      row.done(bytes);
    } catch (e) {
      if (e.cancelled) row.cancelled('nothing was saved');
      else row.failed(`${e.message}${/incomplete|nothing/.test(e.message) ? '' : '; nothing was saved'}`);
    }
  }

  // items: [{file: File, path: relative path under the current folder}]
  async uploadFiles(items, into = this.cwd) {
    const jobs = items.map(({ file, path }) => this.uploadOne(file, joinPath(into, path)));
    await Promise.allSettled(jobs);
    if (this.cwd === into) await this.refresh();
  }

  async uploadOne(file, remotePath) {
    const row = this.transfers.add(remotePath.split('/').pop(), 'up');
    row.start(file.size);
    const transfer = this.files.upload(remotePath, file, { onProgress: (n) => row.progress(n) });
    row.onCancel = () => transfer.cancel();
    try {
      row.done(await transfer.done);
    } catch (e) {
      if (e.cancelled) row.cancelled(e.message.replace(/^cancelled: /, ''));
      else row.failed(e.message);
    }
  }

  async onDrop(e) {
    e.preventDefault();
    this.listBox.classList.remove('dropping');
    const into = this.cwd;
    const entries = [...(e.dataTransfer?.items ?? [])].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
    if (!entries.length) {
      await this.uploadFiles([...(e.dataTransfer?.files ?? [])].map((f) => ({ file: f, path: f.name })), into);
      return;
    }
    const items = [];
    try {
      for (const entry of entries) await this.collect(entry, '', into, items);
    } catch (err) {
      this.showError(`Reading what was dropped: ${err.message}`);
    }
    await this.uploadFiles(items, into);
  }

  // Walks a dropped folder: makes its folders on the server and lists its files for upload.
  async collect(entry, prefix, into, items) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      items.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), path: rel });
      return;
    }
    try {
      await this.files.mkdir(joinPath(into, rel));
    } catch (err) {
      // An existing folder is fine: files go into it.
      const attrs = await this.files.stat(joinPath(into, rel)).catch(() => null);
      if (attrs?.type !== 'dir') throw err;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await this.collect(child, rel, into, items);
    }
  }

  // --- folder operations ---
  async run(what) {
    try {
      await what();
      this.clearError();
    } catch (e) {
      this.showError(e.message);
    }
    await this.refresh();
  }

  askMkdir() {
    this.ask({ title: 'New folder', label: 'Name', value: '', action: 'Make folder' }, (name) => this.run(() => this.files.mkdir(joinPath(this.cwd, name))));
  }

  askRename(entry, path) {
    this.ask({ title: `Rename ${entry.name}`, label: 'New name', value: entry.name, action: 'Rename' },
      (name) => (name === entry.name ? null : this.run(() => this.files.rename(path, joinPath(this.cwd, name)))));
  }

  askDelete(entry, path) {
    const isDir = entry.type === 'dir';
    this.confirm({
      title: isDir ? `Delete the folder ${entry.name}?` : `Delete ${entry.name}?`,
      text: isDir ? 'The folder and everything in it will be deleted on the server. This cannot be undone.'
                  : 'The file will be deleted on the server. This cannot be undone.',
      action: 'Delete',
    }, () => this.run(() => (isDir ? this.deleteTree(path) : this.files.remove(path))));
  }

  async deleteTree(path) {
    let count = 0;
    const walk = async (dir) => {
      for (const e of await this.files.list(dir)) {
        if (++count > MAX_RECURSIVE_DELETE) throw new FileError(`deleting ${path}: more than ${MAX_RECURSIVE_DELETE} entries; delete it from the terminal`);
        const child = joinPath(dir, e.name);
        if (e.type === 'dir') await walk(child); else await this.files.remove(child);
      }
      await this.files.rmdir(dir);
    };
    await walk(path);
  }

  async preview(path, name) {
    const chunks = [];
    let size = null;
    try {
      await this.files.download(path, { write: async (b) => { chunks.push(b.slice()); } }, { limit: PREVIEW_BYTES, onStart: (s) => { size = s; } }).done;
    } catch (e) {
      this.showError(e.message);
      return;
    }
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
    const binary = bytes.subarray(0, 8192).includes(0);
    const stat = await this.files.stat(path).catch(() => null);
    const total = stat?.size ?? size;
    const note = binary ? 'This looks like a binary file: nothing to show as text.'
      : total > bytes.length ? `The first ${formatBytes(bytes.length)} of ${formatBytes(total)}.` : `${formatBytes(bytes.length)}.`;
    this.showDialog(h('form', { method: 'dialog', class: 'preview' },
      h('h2', {}, name), h('p', { class: 'muted small' }, note),
      binary ? null : h('pre', { class: 'preview-text', 'data-testid': 'preview-text' }, new TextDecoder('utf-8', { fatal: false }).decode(bytes)),
      h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', value: 'close' }, 'Close'))));
  }

  // The scp-style dialog: copy a file of this connection's server to this computer, or a file of this
  // computer to it, named as `user@host:/path`.
  askCopy() {
    const where = formatHostPort(this.target);
    const text = h('input', { name: 'target', placeholder: `${this.target.user}@${this.target.host}:/path/to/file`, spellcheck: false, 'data-testid': 'copy-target' });
    const local = h('input', { type: 'file', name: 'local', 'data-testid': 'copy-local' });
    const error = h('div', { class: 'alert alert-danger small', hidden: true, 'data-testid': 'copy-error' });
    const form = h('form', { method: 'dialog', class: 'copy' },
      h('h2', {}, 'Copy'),
      h('p', { class: 'muted small' }, `Like scp, through this connection to ${where}.`),
      h('label', {}, 'Remote file (user@host:/path)', text),
      h('label', {}, 'Local file (to upload)', local),
      error,
      h('div', { class: 'actions' },
        h('button', { class: 'btn', value: 'cancel', formnovalidate: true }, 'Cancel'),
        h('button', { class: 'btn', value: 'down', 'data-testid': 'copy-down' }, 'Copy to this computer'),
        h('button', { class: 'btn btn-primary', value: 'up', 'data-testid': 'copy-up' }, 'Copy to the server')));
    form.addEventListener('submit', (e) => {
      const how = e.submitter?.value;
      if (how === 'cancel') return;
      const parsed = parseCopyTarget(text.value);
      const problem = !parsed ? 'Write the remote file as user@host:/path.'
        : parsed.host !== this.target.host || (parsed.user && parsed.user !== this.target.user)
          ? `This panel copies to and from ${this.target.user}@${this.target.host} only; connect to ${parsed.user ? `${parsed.user}@` : ''}${parsed.host} to copy there.`
          : how === 'up' && !local.files.length ? 'Choose the local file to upload.' : null;
      if (problem) {
        e.preventDefault();
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      const path = parsed.path.startsWith('/') ? parsed.path : joinPath(this.home, parsed.path);
      if (how === 'up') {
        const file = local.files[0];
        const dest = path.endsWith('/') ? joinPath(path, file.name) : path;
        this.uploadOne(file, dest).then(() => this.refresh());
      } else {
        this.files.stat(path).then((attrs) => this.download(path, path.split('/').pop(), attrs.size), (err) => this.showError(err.message));
      }
    });
    this.showDialog(form);
    text.focus();
  }

  // --- dialogs and messages ---
  ask({ title, label, value, action }, then) {
    const input = h('input', { name: 'value', value, required: true, spellcheck: false, 'data-testid': 'dialog-input' });
    const error = h('div', { class: 'alert alert-danger small', hidden: true });
    const form = h('form', { method: 'dialog' }, h('h2', {}, title), h('label', {}, label, input), error,
      h('div', { class: 'actions' },
        h('button', { class: 'btn', value: 'cancel', formnovalidate: true }, 'Cancel'),
        h('button', { class: 'btn btn-primary', value: 'ok', 'data-testid': 'dialog-ok' }, action)));
    form.addEventListener('submit', (e) => {
      if (e.submitter?.value !== 'ok') return;
      const name = input.value.trim();
      if (!name || name.includes('/') || name === '.' || name === '..') {
        e.preventDefault();
        error.textContent = 'A name cannot be empty, ".", ".." or contain "/".';
        error.hidden = false;
        return;
      }
      then(name);
    });
    this.showDialog(form);
    input.select();
  }

  confirm({ title, text, action }, then) {
    const form = h('form', { method: 'dialog' }, h('h2', {}, title), h('p', {}, text),
      h('div', { class: 'actions' },
        h('button', { class: 'btn', value: 'cancel' }, 'Cancel'),
        h('button', { class: 'btn btn-danger', value: 'ok', 'data-testid': 'dialog-ok' }, action)));
    form.addEventListener('submit', (e) => { if (e.submitter?.value === 'ok') then(); });
    this.showDialog(form);
  }

  showDialog(content) {
    this.dialog.replaceChildren(content);
    if (!this.dialog.open) this.dialog.showModal();
  }

  showError(message) {
    this.errorBox.textContent = message.charAt(0).toUpperCase() + message.slice(1);
    this.errorBox.hidden = false;
  }

  clearError() { this.errorBox.hidden = true; }
}
