// A rendezvous invitation: the session id and the initiator's token from `sshrelay create`, which let
// this page reach an sshd that opened no port (its host runs `sshrelay tcp-dial`). Accepted as the page
// link `…/#invite=<id>.<token>` (the fragment never reaches a server), as `<id>.<token>`, as the two
// words `<id> <token>`, or as the JSON `sshrelay create` prints (the initiator token is taken).

const ID = /^[A-Za-z0-9_-]{22}$/;

export function parseInvitation(text) {
  const s = String(text ?? '').trim();
  if (!s) return null;
  if (s.startsWith('{')) {
    let j;
    try { j = JSON.parse(s); } catch { return { error: 'the pasted JSON is not valid' }; }
    return checked(j.id, j.initiator_token);
  }
  const fragment = s.match(/[#&]invite=([^&\s]+)/);
  const body = fragment ? decodeURIComponent(fragment[1]) : s;
  const parts = body.split(/[.\s]+/).filter(Boolean);
  if (parts.length !== 2) return { error: 'paste the invitation link, or the session id and token from “sshrelay create”' };
  return checked(parts[0], parts[1]);
}

function checked(id, token) {
  if (!ID.test(String(id ?? ''))) return { error: 'the session id should be 22 letters, digits, - or _' };
  if (!ID.test(String(token ?? ''))) return { error: 'the token should be 22 letters, digits, - or _' };
  return { id, token };
}

// `#invite=…` → the invitation text, or '' when the fragment holds none.
export function invitationFromHash(hash) {
  const m = String(hash ?? '').match(/^#invite=([^&]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

// The host name a rendezvous target goes by in known hosts and the status bar: the invitation's session
// (the real host is unknown to the page; each session's key is checked on first use).
// Only letters and digits from the id: libssh refuses a host name with '_' (base64url has it), and the
// e2e test met one: about one id in eight has one in its first 8 characters.
export function rendezvousHostName(invitation) {
  return `rendezvous-${invitation.id.slice(0, 8).replace(/[^A-Za-z0-9]/g, 'x')}`;
}
