// Streams a download the page produces to the browser's download manager, for browsers without the
// File System Access API: the page registers a stream here (a MessagePort), then navigates a hidden
// frame to download-stream/<id>/<name>; this worker answers that request with a ReadableStream that
// pulls each chunk from the page. Nothing is held beyond the chunk in flight, so a 2 GiB file is never in
// memory. Served from the site's root so that its scope covers download-stream/.
const streams = new Map();  // id -> {port, name, size}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const { type, id, name, size } = event.data ?? {};
  if (type !== 'register' || !event.ports[0]) return;
  streams.set(id, { port: event.ports[0], name, size });
  event.ports[0].postMessage({ type: 'registered' });
});

function contentDisposition(name) {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const match = url.pathname.match(/\/download-stream\/([^/]+)\//);
  if (!match) return;
  const entry = streams.get(match[1]);
  if (!entry) {
    event.respondWith(new Response('This download is no longer available.', { status: 404 }));
    return;
  }
  streams.delete(match[1]);
  const { port } = entry;
  let waiting = null;  // {resolve, reject} of the pull in progress
  port.onmessage = ({ data }) => {
    const w = waiting;
    waiting = null;
    if (!w) return;
    if (data.type === 'chunk') w.resolve(data.bytes);
    else if (data.type === 'end') w.resolve(null);
    else w.reject(new Error(data.reason || 'the download was stopped'));
  };
  const body = new ReadableStream({
    pull(controller) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        port.postMessage({ type: 'pull' });
      }).then((bytes) => {
        if (bytes) controller.enqueue(new Uint8Array(bytes));
        else controller.close();
      }, (e) => controller.error(e));
    },
    cancel() { port.postMessage({ type: 'cancel' }); },
  }, { highWaterMark: 1 });
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Disposition': contentDisposition(entry.name) };
  if (Number.isFinite(entry.size)) headers['Content-Length'] = String(entry.size);
  event.respondWith(new Response(body, { headers }));
});
