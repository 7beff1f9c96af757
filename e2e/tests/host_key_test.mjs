// Trust on first use, keyed by host:port: after sshd restarts on the same port with a different host
// key, the page refuses to connect and says why, and only an explicit "forget" lets the new key in.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort, PASSWORD_USER, startSshd } from '../../tests/wasm/lib/sshd.mjs';
import { isRoot, startFixture } from '../lib/fixture.mjs';
import { WAIT_MS } from '../lib/client_page.mjs';

// Resolves with whether a TCP connection to 127.0.0.1:port is accepted.
const accepts = (port) => new Promise((resolve) => {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => { s.destroy(); resolve(false); });
});

async function waitUntil(what, predicate, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let f;
before(async () => { f = await startFixture(); });
after(async () => { await f?.close(); });

test('a changed host key is refused with a warning; forgetting the old key lets the new one be trusted', { timeout: 240000, skip: !isRoot && 'needs root for the password user' }, async () => {
  // Both sshds listen on the same extra port (`Port` adds one; the fixture's own port stays too).
  const port = await freePort();
  const target = `${PASSWORD_USER}@127.0.0.1:${port}`;
  let sshd = await startSshd({ extraConfig: `Port ${port}` });
  try {
    const c = await f.newClient();
    await c.connect({ target });
    await c.trustHostKey(sshd.hostKeyFingerprint);
    await c.enterPassword(f.password);
    await c.waitConnected();
    await c.page.getByRole('button', { name: 'Disconnect' }).click();
    await c.page.getByTestId('ended-message').waitFor();
    const oldFingerprint = sshd.hostKeyFingerprint;

    // The new sshd must be the one answering on the shared port: the old one (and any child of it still
    // holding the listening socket) gone first, then the new one listening there too, not only on its
    // own port (which is all startSshd waits for).
    await sshd.stop();
    await waitUntil(`the old sshd to release port ${port}`, async () => !(await accepts(port)));
    sshd = await startSshd({ extraConfig: `Port ${port}` });
    await waitUntil(`the new sshd to listen on port ${port}`, () => accepts(port));
    assert.notEqual(sshd.hostKeyFingerprint, oldFingerprint);
    await c.page.getByRole('button', { name: 'New connection' }).click();
    await c.connect({ target });
    const warning = c.page.getByTestId('host-key-changed');
    await warning.waitFor();
    const text = await warning.innerText();
    assert.match(text, /Host key changed — connection refused/);
    assert.ok(text.includes(oldFingerprint) && text.includes(sshd.hostKeyFingerprint), text);
    assert.equal((await c.status().textContent()).trim(), 'Host key changed');
    // No password prompt appeared, and the relay saw the session end before authentication.
    assert.equal(await c.page.locator('#step').getByLabel('Password').count(), 0);
    await c.page.waitForFunction(() => window.sshrelayApp.flow.conn.finished);
    await c.screenshot('host-key-changed');

    await warning.getByRole('button', { name: 'Forget the old key' }).click();
    await c.page.locator('#connect-form .form-error').filter({ hasText: 'The old host key was forgotten' }).waitFor();
    await c.page.getByRole('button', { name: 'Connect' }).click();
    await c.trustHostKey(sshd.hostKeyFingerprint);
    await c.enterPassword(f.password);
    await c.waitConnected();
  } finally {
    sshd.stop();
  }
});
