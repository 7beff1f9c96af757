// Host keys the user trusted, by `host:port` (trust on first use). A key that differs from the stored
// one is refused, never silently replaced: only forget() followed by a new trust() changes it.
import { idbDelete, idbGet, idbPut, STORES } from './idb.js';

// → {status: 'unknown'} | {status: 'match'} | {status: 'changed', known}
export async function checkHostKey(hostPort, hostKey) {
  const known = await idbGet(STORES.knownHosts, hostPort);
  if (!known) return { status: 'unknown' };
  if (known.type === hostKey.type && known.base64 === hostKey.base64) return { status: 'match' };
  return { status: 'changed', known };
}

export function trustHostKey(hostPort, hostKey) {
  const { type, base64, fingerprint } = hostKey;
  return idbPut(STORES.knownHosts, { type, base64, fingerprint, added: new Date().toISOString() }, hostPort);
}

export function forgetHostKey(hostPort) {
  return idbDelete(STORES.knownHosts, hostPort);
}
