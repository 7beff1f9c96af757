// An SSH target as people write it: `user@host[:port]` (IPv6 hosts in brackets: `user@[::1]:2222`),
// or an SSH-Web site: `sshweb://[user@]host[:port][/path]` (docs/sshweb.md; also `ssh-web://`), which
// carries `site: {path}`, port 22443 by default and user `anonymous` (the anonymous tier) unless named.
// Also read from and written to deep links: `/#user@host:port`, `/#sshweb://host/path`.

export const SSHWEB_PORT = 22443;
const SSHWEB_SCHEME = /^ssh-?web:\/\//i;

export function parseTarget(text) {
  const s = String(text ?? '').trim();
  if (SSHWEB_SCHEME.test(s)) return parseSiteTarget(s.replace(SSHWEB_SCHEME, ''));
  const at = s.lastIndexOf('@');
  if (at <= 0) return { error: 'write the target as user@host or user@host:port' };
  const user = s.slice(0, at);
  const rest = s.slice(at + 1);
  let host;
  let portText = '';
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) return { error: 'an IPv6 address needs a closing ]' };
    host = rest.slice(1, end);
    const after = rest.slice(end + 1);
    if (after && !after.startsWith(':')) return { error: `unexpected "${after}" after the address` };
    portText = after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : '';
  }
  if (!host || /[\s/@]/.test(host)) return { error: 'the host name is missing or malformed' };
  if (/\s/.test(user)) return { error: 'the user name must not contain spaces' };
  let port = 22;
  if (portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { error: `"${portText}" is not a port number (1-65535)` };
    }
    port = Number(portText);
  }
  return { user, host, port };
}

// `[user@]host[:port][/path]` of an sshweb:// address.
function parseSiteTarget(rest) {
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '/';
  if (/[\s]/.test(path)) return { error: 'the site path must not contain spaces' };
  const withUser = authority.includes('@') ? authority : `anonymous@${authority}`;
  const hostPart = withUser.slice(withUser.lastIndexOf('@') + 1);
  // Without a port, the SSH-Web one (a bare IPv6 address is written in brackets, as in a URL).
  const hasPort = hostPart.startsWith('[') ? /\]:/.test(hostPart) : hostPart.includes(':');
  const parsed = parseTarget(hasPort ? withUser : `${withUser}:${SSHWEB_PORT}`);
  if (parsed.error) return { error: `${parsed.error} (an SSH-Web site is written sshweb://host[:port]/path)` };
  return { ...parsed, site: { path } };
}

export function formatHostPort({ host, port }) {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === 22 ? h : `${h}:${port}`;
}

export function formatTarget(target) {
  if (target.site) {
    const h = target.host.includes(':') ? `[${target.host}]` : target.host;
    const user = target.user === 'anonymous' ? '' : `${target.user}@`;
    return `sshweb://${user}${h}${target.port === SSHWEB_PORT ? '' : `:${target.port}`}${target.site.path}`;
  }
  return `${target.user}@${formatHostPort(target)}`;
}

// The key under which the known-hosts store keeps a server's key (always with the port).
export function knownHostsKey({ host, port }) {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// `#user@host:port` → the target text, or '' when the fragment is not a target.
export function targetFromHash(hash) {
  const text = decodeURIComponent(String(hash ?? '').replace(/^#/, ''));
  return parseTarget(text).error ? '' : text;
}
