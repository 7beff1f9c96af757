// Where the relay is. People type the relay as a page URL (http://host:port), a WebSocket URL, or
// host[:port]; sockets need ws:// or wss://. The request targets on it (/v4/connect, /v4/reconnect,
// /relay) are built by core's client session machine (SshSession.takeOpen()), not here.

export function relayBaseUrl(text) {
  let s = String(text ?? '').trim().replace(/\/+$/, '');
  if (!s) throw new Error('enter the relay address, e.g. wss://relay.example.com');
  if (!/^[a-z]+:\/\//i.test(s)) {
    // A bare host: loopback is plain ws (make dev), anything else TLS.
    s = (/^(localhost|127\.|\[::1\])/.test(s) ? 'ws://' : 'wss://') + s;
  }
  const url = new URL(s);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`the relay address must be http(s) or ws(s), not ${url.protocol}`);
  return url.origin.replace(/^http/, 'ws') + url.pathname.replace(/\/+$/, '');
}

// The relay a page served by sshrelayd talks to by default: its own origin.
export function pageRelay(location) {
  return location.protocol === 'http:' || location.protocol === 'https:' ? location.origin : '';
}
