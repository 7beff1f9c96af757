// What a person reads when it does not work: a wrong password (and which methods the server offers),
// an unreachable target, a relay that refuses the target (its close reason), a target that does not
// speak SSH.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '../../tests/wasm/lib/sshd.mjs';
import { isRoot, PASSWORD_USER, startFixture, targetOf } from '../lib/fixture.mjs';
import { startRelay } from '../lib/relay.mjs';

let f;
before(async () => { f = await startFixture(); });
after(async () => { await f?.close(); });

const formError = (c) => c.page.locator('#connect-form .form-error');

test('a wrong password says so and lists the methods the server accepts', { timeout: 180000, skip: !isRoot && 'needs root for the password user' }, async () => {
  const c = await f.newClient();
  await c.connect({ target: targetOf(f.sshd, PASSWORD_USER) });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await c.enterPassword('not-the-password');
  const error = c.page.getByTestId('auth-error');
  await error.waitFor({ timeout: 30000 });
  assert.equal((await error.textContent()).trim(),
    'Authentication failed: password refused. The server accepts: public key, password.');
  assert.equal((await c.status().textContent()).trim(), 'Authentication failed');
  await c.screenshot('wrong-password');
  // The form stays, and the right password still works.
  await c.enterPassword(f.password);
  await c.waitConnected();
});

test('an unreachable target is reported with the relay\'s reason', { timeout: 180000 }, async () => {
  const port = await freePort();  // nothing listens there
  const c = await f.newClient();
  await c.connect({ target: `someone@127.0.0.1:${port}` });
  await formError(c).waitFor();
  const text = await formError(c).innerText();
  assert.match(text, new RegExp(`^Target unreachable: the relay could not connect to 127\\.0\\.0\\.1:${port}`));
  assert.match(text, /Relay said: “.*refused.*” \(code 4502\)/i);
  assert.equal((await c.status().textContent()).trim(), 'Not connected');
  await c.screenshot('target-unreachable');
});

test('a relay that refuses the target shows its close reason', { timeout: 180000 }, async () => {
  const strict = await startRelay({ allowLoopback: false });  // loopback targets denied, as in production
  try {
    const c = await f.newClient();
    await c.page.goto(strict.url);
    await c.page.getByRole('status').filter({ hasText: 'Not connected' }).waitFor();
    await c.connect({ target: targetOf(f.sshd) });
    await formError(c).waitFor();
    const text = await formError(c).innerText();
    assert.match(text, /^The relay refused the connection: this origin or target is not allowed/);
    assert.match(text, /Relay said: “.+” \(code 4403\)/);
  } finally {
    strict.stop();
  }
});

test('a target that does not speak SSH is a protocol error', { timeout: 180000 }, async () => {
  // It announces SSH protocol 1 and keeps the connection open: the error must come from the SSH client
  // reading the banner, not from the connection ending.
  const sockets = [];
  const server = net.createServer((s) => { sockets.push(s); s.on('error', () => {}); s.write('SSH-1.5-NotReally\r\n'); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const c = await f.newClient();
    await c.connect({ target: `someone@127.0.0.1:${server.address().port}` });
    await formError(c).waitFor();
    const text = await formError(c).innerText();
    assert.match(text, /^SSH protocol error with 127\.0\.0\.1:\d+/);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('an unreachable relay is named in the error', { timeout: 180000 }, async () => {
  const port = await freePort();  // no relay there
  const c = await f.newClient();
  await c.connect({ target: targetOf(f.sshd), relay: `http://127.0.0.1:${port}` });
  await formError(c).waitFor();
  assert.match(await formError(c).innerText(), new RegExp(`^Cannot reach the relay at ws://127\\.0\\.0\\.1:${port}`));
});
