// An SSH-Web site (docs/sshweb.md) opened over the page's SSH connection: its manifest
// (`capabilities`), its content (`receive-pack`, unpacked by git_pack.js) and its API (`api-call`).
// Each command runs on its own channel, one at a time (sshwebd and sshttpd serve one at a time per
// connection). A command that fails says why in the site's own words (its `error: …` line).
import { siteFiles } from './git_pack.js';

export class SiteError extends Error {
  name = 'SiteError';
}

const decoder = new TextDecoder();

// A command's words go to the server split on blanks (the protocol has no quoting): a JSON body keeps
// its spaces as \u0020 escapes, which every JSON reader turns back into spaces.
export function jsonBody(fields) {
  return JSON.stringify(fields).replace(/ /g, '\\u0020');
}

// `base` and a link in a page of the site → the site path it names ('/docs/a.html'), or null for a
// link that leaves the site (another scheme, another host).
export function resolveSitePath(base, href) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return null;
  const url = new URL(href, `http://site${base}`);  // any base with a host: only the path is kept
  return decodeURIComponent(url.pathname) + url.search;
}

export class SshWebSite {
  constructor(conn, { path = '/' } = {}) {
    this.conn = conn;
    this.path = path;
    this.queue = Promise.resolve();
    this.manifest = null;
    this.files = new Map();
  }

  // Runs `line` after the commands before it; resolves with stdout (bytes) on exit 0.
  command(line, onProgress) {
    const run = this.queue.then(async () => {
      const r = await this.conn.runCommand(line, onProgress);
      if (r.exitStatus !== 0) {
        const said = r.stderr.trim().replace(/^error:\s*/, '');
        throw new SiteError(said || `${line.split(' ')[0]} failed (exit status ${r.exitStatus})`);
      }
      return r.stdout;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  // The manifest, then the whole site. onProgress({step, bytes?}) for the status line.
  async load(onProgress = () => {}) {
    onProgress({ step: 'manifest' });
    const manifestText = decoder.decode(await this.command('capabilities'));
    try {
      this.manifest = JSON.parse(manifestText);
    } catch (e) {
      throw new SiteError(`the site's capabilities are not JSON (${e.message})`);
    }
    const route = this.packRoute();
    onProgress({ step: 'content', bytes: 0 });
    const pack = await this.command(`receive-pack ${route}`, (bytes) => onProgress({ step: 'content', bytes }));
    onProgress({ step: 'unpacking', bytes: pack.length });
    const { files, blobs } = await siteFiles(pack);
    this.files = files;
    // A pack of bare blobs (sshttpd's) names nothing; a single file is the one asked for.
    if (!files.size && blobs.length === 1 && route !== '/') this.files.set(route.replace(/^\/+/, ''), blobs[0]);
    this.packBytes = pack.length;
    return this;
  }

  // The receive-pack route that holds the whole site: `/` when offered, else the first without a
  // pattern.
  packRoute() {
    const routes = this.manifest?.commands?.['receive-pack']?.routes ?? [];
    if (!routes.length) throw new SiteError('this site offers no content (no receive-pack route in its capabilities)');
    if (routes.includes('/')) return '/';
    return routes.find((r) => !r.includes('{')) ?? '/';
  }

  // The file a site path names: the path itself, or its index.html.
  file(path) {
    const clean = path.split('?')[0].replace(/^\/+/, '');
    for (const candidate of [clean, `${clean.replace(/\/?$/, '/')}index.html`.replace(/^\//, '')]) {
      if (this.files.has(candidate)) return { path: `/${candidate}`, bytes: this.files.get(candidate) };
    }
    return null;
  }

  // `api-call METHOD PATH [BODY]` → the backend's body as text.
  async apiCall(method, path, body = '') {
    if (/\s/.test(path)) throw new SiteError(`the path "${path}" has blanks, which SSH-Web cannot carry`);
    const out = await this.command(`api-call ${method.toUpperCase()} ${path}${body ? ` ${body}` : ''}`);
    return decoder.decode(out);
  }
}
