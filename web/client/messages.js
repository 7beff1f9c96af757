// What went wrong, in words a person understands: a headline and a detail. The relay's close code and
// reason are the only error text it can send (design.md §2); libssh's own message says little more than
// "disconnected" once the relay has closed.
import { formatHostPort } from './target.js';

const RELAY_CLOSE = {
  4401: 'The relay refused the connection: you are not signed in (identity missing or invalid)',
  4403: 'The relay refused the connection: this origin or target is not allowed',
  4404: 'The connection was lost and the relay no longer has the session (it ended, or waited too long for a reconnect)',
  4429: 'The relay refused the connection: too many sessions',
  4502: 'Target unreachable: the relay could not connect to',
  4503: 'The relay has no free source port for this connection',
  1009: 'The relay refused a message that was too big',
  1012: 'The relay is restarting',
};

// closeInfo: {code, reason} from the WebSocket, or null. sshError: the session's error message, if any.
export function connectionError(target, closeInfo, sshError) {
  const where = formatHostPort(target);
  if (closeInfo && RELAY_CLOSE[closeInfo.code]) {
    let headline = RELAY_CLOSE[closeInfo.code];
    if (closeInfo.code === 4502) headline += ` ${where}`;
    return { headline, detail: relaySaid(closeInfo) };
  }
  if (closeInfo && closeInfo.code === 1006) {
    return {
      headline: 'The connection to the relay was lost',
      detail: closeInfo.reason || 'The relay could not be reached, or the network dropped the connection and it could not be resumed.',
    };
  }
  if (closeInfo && closeInfo.code >= 4000) {
    return { headline: 'The relay closed the connection', detail: relaySaid(closeInfo) };
  }
  if (sshError) {
    return { headline: `SSH protocol error with ${where}`, detail: closeInfo?.reason ? `${sshError}; ${relaySaid(closeInfo)}` : sshError };
  }
  if (closeInfo?.reason) return { headline: `Connection to ${where} closed`, detail: relaySaid(closeInfo) };
  return { headline: `Connection to ${where} closed`, detail: '' };
}

function relaySaid({ code, reason }) {
  return reason ? `Relay said: “${reason}” (code ${code})` : `WebSocket close code ${code}`;
}

const METHOD_NAMES = { publickey: 'public key', password: 'password', 'keyboard-interactive': 'keyboard-interactive' };

export function methodList(methods) {
  return methods.map((m) => METHOD_NAMES[m] ?? m).join(', ');
}

// st: the `auth` state after a refused credential.
export function authFailure(st) {
  const offered = st.methods?.length ? ` The server accepts: ${methodList(st.methods)}.` : '';
  return `Authentication failed: ${st.failure}.${offered}`;
}

export function exitText(st) {
  if (st.exitSignal) return `Session ended (killed by signal ${st.exitSignal})`;
  if (st.exitStatus === null || st.exitStatus === undefined) return 'Session ended';
  return `Session ended (exit status ${st.exitStatus})`;
}
