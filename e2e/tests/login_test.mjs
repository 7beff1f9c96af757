// Logging in from the page: password (with the TOFU prompt showing the server's real fingerprint and a
// UTF-8 round trip), a key generated in the page and installed into authorized_keys, keyboard-interactive
// with the server's prompt shown as a form, and a deep link that remembers how it logged in.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSshd } from '../../tests/wasm/lib/sshd.mjs';
import { ClientPage } from '../lib/client_page.mjs';
import { isRoot, PASSWORD_USER, startFixture, targetOf } from '../lib/fixture.mjs';

let f;
before(async () => { f = await startFixture(); });
after(async () => { await f?.close(); });

test('password login: the fingerprint is shown, echo and UTF-8 round trip in the terminal', { timeout: 180000, skip: !isRoot && 'needs root for the password user' }, async () => {
  const c = await f.newClient();
  await c.connect({ target: targetOf(f.sshd, PASSWORD_USER) });
  const shown = await c.trustHostKey(f.sshd.hostKeyFingerprint);
  assert.equal(shown, f.sshd.hostKeyFingerprint);
  await c.enterPassword(f.password);
  await c.waitConnected();
  await c.type('echo "round-$((6*7)) $(whoami)"');
  await c.waitForTerminal(new RegExp(`^round-42 ${PASSWORD_USER}$`, 'm'));
  await c.type("printf 'gr\\303\\274\\303\\237e \\342\\234\\223\\n'");  // "grüße ✓" sent as octal escapes
  await c.waitForTerminal(/^grüße ✓$/m);
  assert.equal(await c.status().textContent(), 'Connected');
  assert.deepEqual(c.consoleErrors, []);
});

test('a key generated in the page logs in once its public line is in authorized_keys', { timeout: 180000, skip: !isRoot && 'needs root for the password user' }, async () => {
  const c = await f.newClient();
  const { page } = c;
  await page.locator('#keys-panel summary').click();
  const gen = page.getByTestId('generate-key');
  await gen.getByLabel('Name').fill('e2e-generated');
  await gen.getByRole('button', { name: 'Generate' }).click();
  const publicLine = (await page.getByTestId('public-key').inputValue()).trim();
  assert.match(publicLine, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ e2e-generated$/);
  await c.screenshot('key-generated');
  // First try: the server does not know the key yet.
  await c.connect({ target: targetOf(f.sshd, PASSWORD_USER), method: 'publickey', keyName: 'e2e-generated' });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await page.getByTestId('auth-error').filter({ hasText: 'public key refused' }).waitFor();
  await page.locator('#step').getByRole('button', { name: 'Cancel' }).click();
  // Install it (sshd reads the shared authorized_keys file as the user: let it).
  fs.chmodSync(f.sshd.dir, 0o755);
  const authorizedKeys = path.join(f.sshd.dir, 'authorized_keys');
  fs.appendFileSync(authorizedKeys, `${publicLine}\n`);
  fs.chmodSync(authorizedKeys, 0o644);
  // Second login: with the key, no prompt at all (the host key is known by now).
  await c.connect({ target: targetOf(f.sshd, PASSWORD_USER), method: 'publickey', keyName: 'e2e-generated' });
  await c.waitConnected();
  await c.type('echo "key-login-$(whoami)"');
  await c.waitForTerminal(new RegExp(`^key-login-${PASSWORD_USER}$`, 'm'));
  // The private key never left the page: only the public line is in the file.
  assert.doesNotMatch(fs.readFileSync(authorizedKeys, 'utf8'), /PRIVATE KEY/);
});

test('keyboard-interactive: the server\'s prompt is shown as a form', { timeout: 180000, skip: !isRoot && 'needs root for the password user' }, async () => {
  const pamSshd = await startSshd({ extraConfig: 'UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no' });
  try {
    const c = await f.newClient();
    await c.connect({ target: targetOf(pamSshd, PASSWORD_USER), method: 'keyboard-interactive' });
    await c.trustHostKey(pamSshd.hostKeyFingerprint);
    const step = c.page.locator('#step');
    await step.getByRole('heading', { name: 'The server asks' }).waitFor();
    const field = step.getByLabel(/password/i);
    assert.equal(await field.getAttribute('type'), 'password');  // echo off → hidden input
    await field.fill(f.password);
    await step.getByRole('button', { name: 'Continue' }).click();
    await c.waitConnected();
    await c.type('echo kbd-$((1+1))');
    await c.waitForTerminal(/^kbd-2$/m);
  } catch (e) {
    e.message += `\nsshd log:\n${pamSshd.log()}`;
    throw e;
  } finally {
    pamSshd.stop();
  }
});

test('a deep link connects and the target is remembered with its login method', { timeout: 180000 }, async () => {
  const c = await f.newClient();
  const { page } = c;
  // A key for the current user, imported from the fixture's key file (ssh-keygen's OpenSSH format).
  await c.importKey(f.sshd.userPrivateKey, 'fixture-key');
  await page.getByTestId('key-list').filter({ hasText: f.sshd.userKeyFingerprint }).waitFor();
  await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'fixture-key' });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await c.waitConnected();
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByTestId('ended-message').filter({ hasText: 'Disconnected' }).waitFor();
  // The deep link in a new tab (same browser profile): it connects by itself with the remembered key.
  const tab = new ClientPage(await page.context().newPage());
  await tab.page.goto(`${f.relay.url}/#${targetOf(f.sshd)}`);
  await tab.waitConnected();
  await tab.type('echo deep-$((3*3))');
  await tab.waitForTerminal(/^deep-9$/m);
  await tab.page.getByRole('button', { name: 'Disconnect' }).click();
  await tab.page.getByRole('button', { name: 'New connection' }).click();
  await tab.page.locator('.recent .chip-main').filter({ hasText: targetOf(f.sshd) }).waitFor();
  assert.deepEqual(tab.consoleErrors, []);
});
