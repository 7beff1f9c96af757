// An SSH target as people write it: `user@host[:port]` (IPv6 hosts in brackets: `user@[::1]:2222`).
// Also read from and written to deep links: `/#user@host:port`.

export function parseTarget(text) {
  const s = String(text ?? '').trim();
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

export function formatHostPort({ host, port }) {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === 22 ? h : `${h}:${port}`;
}

export function formatTarget(target) {
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
