// What went wrong, in words a person understands: a headline and a detail. The relay's close code and
// reason are the only error text it can send (design.md §2); what a code means comes from core
// (close_code_meaning, through SshSession.outcome()), so the page, the CLI and the relay's docs agree.
// libssh's own message says little more than "disconnected" once the relay has closed.
import { formatHostPort } from './target.js';

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);

// closeInfo: {code, reason, meaning} from the session's end (ssh_connection.js: the relay's close frame
// with core's meaning of its code, or code 1006 for a lost connection), or null. sshError: the
// session's error message, if any.
export function connectionError(target, closeInfo, sshError) {
  const where = formatHostPort(target);
  if (closeInfo && closeInfo.code === 4502) {
    return { headline: `Target unreachable: the relay could not connect to ${where}`, detail: relaySaid(closeInfo) };
  }
  // 1000 is the relay's ordinary end (the target closed): what libssh says below is more telling.
  if (closeInfo && closeInfo.meaning && closeInfo.code !== 1000) {
    return { headline: capitalize(closeInfo.meaning), detail: relaySaid(closeInfo) };
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
