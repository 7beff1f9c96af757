// Where a download goes on this computer, streamed so that no file is ever held whole in memory:
//   1. the File System Access API (Chromium, so the page and the extension): the user picks the file
//      and each chunk is written to it;
//   2. elsewhere, the browser's download manager fed through a service worker (download_worker.js).
// A sink is {write(Uint8Array) -> Promise, close() -> Promise, abort(reason) -> Promise}; null
// means the user dismissed the save dialog.

// RemoteFiles.download hands a sink 1 MiB writes and reuses each buffer once its write has resolved.
export async function saveSink(name, size) {
  if (typeof window.showSaveFilePicker === 'function') {
    let handle;
    try {
      handle = await window.showSaveFilePicker({ suggestedName: name });
    } catch (e) {
      if (e.name === 'AbortError') return null;
      throw e;
    }
    return fileHandleSink(handle);
  }
  return serviceWorkerSink(name, size);
}

export async function fileHandleSink(handle) {
  const writable = await handle.createWritable();
  return {
    write: (bytes) => writable.write(bytes),
    close: () => writable.close(),
    // An aborted writable leaves the file as it was before: nothing half-written is kept.
    abort: (reason) => writable.abort(reason?.message ?? String(reason ?? 'stopped')).catch(() => {}),
  };
}

let workerReady = null;

function downloadWorker() {
  if (!workerReady) {
    if (!('serviceWorker' in navigator)) {
      return Promise.reject(new Error('this browser can neither save files directly nor stream downloads'));
    }
    workerReady = navigator.serviceWorker.register(new URL('../download_worker.js', import.meta.url))
      .then(async (registration) => {
        await navigator.serviceWorker.ready;
        return registration.active ?? registration.waiting ?? registration.installing;
      });
  }
  return workerReady;
}

export async function serviceWorkerSink(name, size) {
  const worker = await downloadWorker();
  const id = crypto.randomUUID();
  const channel = new MessageChannel();
  const port = channel.port1;
  let pullWaiter = null;
  let pulls = 0;
  let cancelled = null;
  port.onmessage = ({ data }) => {
    if (data.type === 'pull') {
      pulls++;
      pullWaiter?.();
      pullWaiter = null;
    } else if (data.type === 'cancel') {
      cancelled = new Error('the download was cancelled in the browser');
      pullWaiter?.();
      pullWaiter = null;
    } else if (data.type === 'registered') {
      registered();
    }
  };
  let registered;
  const isRegistered = new Promise((resolve) => { registered = resolve; });
  worker.postMessage({ type: 'register', id, name, size }, [channel.port2]);
  await isRegistered;
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.src = new URL(`../download-stream/${id}/${encodeURIComponent(name)}`, import.meta.url).href;
  document.body.append(frame);
  const nextPull = () => (pulls > 0 || cancelled ? Promise.resolve() : new Promise((r) => { pullWaiter = r; }));
  const cleanup = () => setTimeout(() => frame.remove(), 60000);
  return {
    async write(bytes) {
      await nextPull();
      if (cancelled) throw cancelled;
      pulls--;
      const copy = bytes.slice().buffer;
      port.postMessage({ type: 'chunk', bytes: copy }, [copy]);
    },
    async close() {
      await nextPull();
      port.postMessage({ type: 'end' });
      cleanup();
    },
    async abort(reason) {
      port.postMessage({ type: 'abort', reason: reason?.message ?? String(reason ?? 'stopped') });
      cleanup();
    },
  };
}
