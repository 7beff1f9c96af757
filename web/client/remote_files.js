// The files of the server an SshConnection is logged in to, over SFTP on a second channel of the same
// connection (no second login). Promise-shaped face of the SshSession's files* calls: every rule of
// SFTP — request windows, reordering, what a status means, what a cancel leaves behind — is core's
// (core/sftp/file_session.hpp); this file routes each operation's events to its promise, feeds uploads
// from a Blob as the core makes room, and hands downloads to a sink with backpressure.
//
//   const files = new RemoteFiles(conn);
//   const home = await files.open();
//   const entries = await files.list(home);
//   const t = files.download(path, { write: async (bytes) => ..., close: async () => ... }, { onProgress });
//   await t.done;   // bytes; rejects with FileError (t.cancel(): error.cancelled)

// A file operation that did not happen: `message` says what and why, in words; `code` is the SFTP status
// when the server said no; `cancelled` when the user stopped it.
export class FileError extends Error {
  constructor(message, { code = null, cancelled = false } = {}) {
    super(message);
    this.name = 'FileError';
    this.code = code;
    this.cancelled = cancelled;
  }
}

// Bytes read from an upload's Blob per slice: enough to fill the core's window in a few reads.
const UPLOAD_SLICE = 1024 * 1024;
// A download is handed to its sink in writes of this size (the last may be shorter). Below the core's
// download window (4 MiB, core/sftp/transfer_limits.hpp), which counts staged bytes as not yet consumed.
const STAGE_BYTES = 1024 * 1024;

export function joinPath(dir, name) {
  if (name.startsWith('/')) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function parentPath(path) {
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut <= 0 ? '/' : trimmed.slice(0, cut);
}

export class RemoteFiles extends EventTarget {
  constructor(conn) {
    super();
    this.conn = conn;
    this.ops = new Map();  // op id -> handlers
    this.state = 'none';
    this.error = '';
    this.opened = null;
    this.onFile = (e) => this.route(e.detail);
    this.onEnded = () => this.failAll('the connection ended');
    conn.addEventListener('file', this.onFile);
    conn.addEventListener('ended', this.onEnded);
  }

  // Opens the SFTP channel; resolves with the login folder (the shell's home).
  open() {
    if (this.opened) return this.opened;
    this.opened = new Promise((resolve, reject) => {
      this.waitOpen = { resolve, reject };
    }).then(() => this.realpath('.'));
    if (!this.conn.openFiles()) {
      const why = this.conn.finished ? 'the connection ended' : this.conn.lastError();
      this.waitOpen.reject(new FileError(`cannot open the file panel: ${why}`));
    }
    return this.opened;
  }

  dispose() {
    this.conn.removeEventListener('file', this.onFile);
    this.conn.removeEventListener('ended', this.onEnded);
    this.failAll('the file panel was closed');
  }

  list(path) { return this.simple('filesList', [path], (ev, h) => { if (ev.type === 'listed') h.value = ev.entries; }); }
  stat(path) { return this.simple('filesStat', [path], (ev, h) => { if (ev.type === 'stated') h.value = ev.attrs; }); }
  realpath(path) { return this.simple('filesRealpath', [path], (ev, h) => { if (ev.type === 'resolved') h.value = ev.path; }); }
  mkdir(path) { return this.simple('filesMkdir', [path]); }
  rmdir(path) { return this.simple('filesRmdir', [path]); }
  remove(path) { return this.simple('filesRemove', [path]); }
  rename(from, to) { return this.simple('filesRename', [from, to]); }

  // Streams the file (or its first `limit` bytes) into `sink`: {write(Uint8Array) -> Promise, close()?,
  // abort(reason)?}. The bytes are gathered in STAGE_BYTES buffers that are reused once a write has
  // resolved (so `write` must not keep its argument past that), and each is written before the core may
  // read further ahead: memory stays bounded, with no garbage per chunk, whatever the file's size.
  // Returns {op, done: Promise<bytes>, cancel()}.
  download(path, sink, { limit = -1, onStart = null, onProgress = null } = {}) {
    const spare = [];   // staging buffers written and free again
    const full = [];    // [buffer, length] waiting to be written, in order
    let current = null;
    let used = 0;
    let writing = false;
    let finished = null;   // the final event, applied once everything staged is written
    let received = 0;
    let failedWrite = null;
    const transfer = {};
    // Copies a data event's bytes out of the module's memory at once (they are a view: docs/wasm.md).
    const stage = (view) => {
      for (let at = 0; at < view.length;) {
        if (!current) { current = spare.pop() ?? new Uint8Array(STAGE_BYTES); used = 0; }
        const n = Math.min(view.length - at, STAGE_BYTES - used);
        current.set(view.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === STAGE_BYTES) { full.push([current, used]); current = null; }
      }
    };
    transfer.done = new Promise((resolve, reject) => {
      const settle = async () => {
        if (finished.type === 'done' && !failedWrite) {
          try { await sink.close?.(); } catch (e) { failedWrite = e; }
        }
        if (failedWrite) {
          await sink.abort?.(failedWrite);
          reject(new FileError(`saving ${path}: ${failedWrite.message ?? failedWrite}; the local copy is incomplete`));
        } else if (finished.type === 'done') {
          resolve(received);
        } else {
          await sink.abort?.(finished);
          reject(errorOf(finished));
        }
      };
      const writeStaged = async () => {
        if (writing) return;
        writing = true;
        while (full.length && !failedWrite) {
          const [buffer, length] = full.shift();
          try {
            await sink.write(buffer.subarray(0, length));
          } catch (e) {
            failedWrite = e;
            this.cancel(transfer.op);
            break;
          }
          spare.push(buffer);
          received += length;
          onProgress?.(received);
          if (!this.conn.finished) this.conn.act('filesConsumed', transfer.op, length);
        }
        writing = false;
        if (finished && !full.length) settle();
      };
      transfer.op = this.start('filesDownload', [path, limit], {
        event: (ev) => {
          if (ev.type === 'started') {
            onStart?.(ev.size);
          } else if (ev.type === 'data') {
            stage(ev.bytes);
            // A partly filled buffer is written too when the core has nothing more in flight for now,
            // which happens only near the end (or with a small window): the window counts staged bytes.
            if (full.length) writeStaged();
          }
        },
        end: (ev) => {
          finished = ev;
          if (ev.type === 'done' && current && used) { full.push([current, used]); current = null; }
          if (!writing) (full.length && ev.type === 'done' ? writeStaged() : settle());
        },
      }, reject);
    });
    transfer.cancel = () => this.cancel(transfer.op);
    return transfer;
  }

  // Writes `blob` (a File, or any Blob) to `path` on the server, replacing it. Returns {op, done:
  // Promise<bytes>, cancel()}; onProgress(bytes the server confirmed).
  upload(path, blob, { onProgress = null } = {}) {
    const transfer = {};
    let offset = 0;
    let reading = false;
    let ended = false;
    const feed = async () => {
      if (reading || ended) return;
      reading = true;
      await null;  // transfer.op is set once start() returns, which may be after this first call
      try {
        while (!ended && !this.conn.finished) {
          if (offset >= blob.size) {
            this.conn.act('filesUploadFinish', transfer.op);
            offset = Infinity;
            break;
          }
          // Read again once a whole slice fits (or the rest does): fewer, larger reads and pushes.
          const room = this.conn.session.filesUploadRoom(transfer.op);
          if (room < Math.min(UPLOAD_SLICE, blob.size - offset) || room <= 0) break;
          const end = Math.min(blob.size, offset + Math.min(room, UPLOAD_SLICE));
          const bytes = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
          if (ended || this.conn.finished) break;
          if (!this.conn.act('filesUploadPush', transfer.op, bytes)) break;
          offset = end;
        }
      } catch (e) {
        // The local file could not be read (moved, permissions): stop; the core removes the partial file.
        transfer.readError = e;
        this.cancel(transfer.op);
      } finally {
        reading = false;
      }
    };
    transfer.done = new Promise((resolve, reject) => {
      transfer.op = this.start('filesUpload', [path], {
        event: (ev) => {
          if (ev.type === 'progress') {
            if (ev.written > 0) onProgress?.(ev.written);
            feed();
          }
        },
        end: (ev) => {
          ended = true;
          if (ev.type === 'done') resolve(ev.bytes);
          else if (transfer.readError) {
            reject(new FileError(`reading the local file: ${transfer.readError.message}; ${ev.message || 'nothing was written'}`));
          } else reject(errorOf(ev));
        },
      }, reject);
    });
    transfer.cancel = () => this.cancel(transfer.op);
    return transfer;
  }

  cancel(op) {
    if (op && this.ops.has(op) && !this.conn.finished) this.conn.act('filesCancel', op);
  }

  // --- routing ---
  simple(method, args, onEvent = null) {
    return new Promise((resolve, reject) => {
      const h = { value: undefined };
      this.start(method, args, {
        event: (ev) => onEvent?.(ev, h),
        end: (ev) => (ev.type === 'done' ? resolve(h.value) : reject(errorOf(ev))),
      }, reject);
    });
  }

  start(method, args, handlers, reject) {
    if (this.conn.finished) {
      reject(new FileError('the connection ended'));
      return 0;
    }
    // Registered before the call: the call pumps, and the first events may come during it.
    const pending = [];
    // (A data event's bytes are a view that the next event reuses: kept events keep a copy.)
    const early = (ev) => pending.push(ev.type === 'data' ? { ...ev, bytes: ev.bytes.slice() } : ev);
    this.earlyHandler = early;
    const op = this.conn.act(method, ...args);
    this.earlyHandler = null;
    if (!op) {
      reject(new FileError(this.conn.lastError() || 'the file panel is not open'));
      return 0;
    }
    this.ops.set(op, handlers);
    for (const ev of pending) this.route(ev);
    return op;
  }

  route(ev) {
    if (ev.type === 'channel') {
      this.state = ev.state;
      this.error = ev.error ?? '';
      if (ev.state === 'open') this.waitOpen?.resolve();
      if (ev.state === 'error' || ev.state === 'closed') {
        this.waitOpen?.reject(new FileError(ev.error || 'the SFTP channel closed'));
      }
      this.dispatchEvent(new CustomEvent('state', { detail: { state: this.state, error: this.error } }));
      return;
    }
    const h = this.ops.get(ev.op);
    if (!h) {
      if (this.earlyHandler) this.earlyHandler(ev);
      return;
    }
    if (ev.type === 'done' || ev.type === 'failed' || ev.type === 'cancelled') {
      this.ops.delete(ev.op);
      h.end(ev);
    } else {
      h.event(ev);
    }
  }

  failAll(why) {
    const ops = [...this.ops.entries()];
    this.ops.clear();
    for (const [op, h] of ops) h.end({ op, type: 'failed', message: why });
    this.waitOpen?.reject(new FileError(why));
  }
}

function errorOf(ev) {
  if (ev.type === 'cancelled') {
    return new FileError(ev.message ? `cancelled: ${ev.message}` : 'cancelled', { cancelled: true });
  }
  return new FileError(ev.message, { code: ev.code ?? null });
}
