// The terminal once logged in: a window resize reaches the server's PTY (`stty size`), the exit status
// is shown when the shell ends, Disconnect ends the session, and a screenshot of a connected terminal
// is kept as an artifact (e2e/artifacts/connected-terminal.png).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, targetOf } from '../lib/fixture.mjs';

let f;
before(async () => { f = await startFixture(); });
after(async () => { await f?.close(); });

// Logs in as the current user with the fixture's key (imported into the page once per client).
async function keyLogin(c) {
  await c.importKey(f.sshd.userPrivateKey, 'fixture-key');
  await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'fixture-key' });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await c.waitConnected();
}

const termSize = (c) => c.page.evaluate(() => {
  const t = window.sshrelayApp.flow.terminal;
  return { cols: t.cols, rows: t.rows };
});

test('a window resize changes the PTY size the server sees', { timeout: 180000 }, async () => {
  const c = await f.newClient();
  await keyLogin(c);
  const before = await termSize(c);
  await c.type('echo size1=$(stty size)');
  await c.waitForTerminal(new RegExp(`^size1=${before.rows} ${before.cols}$`, 'm'));
  await c.screenshot('connected-terminal');

  await c.page.setViewportSize({ width: 760, height: 480 });
  await c.page.waitForFunction((b) => window.sshrelayApp.flow.terminal.cols !== b.cols, before);
  const after = await termSize(c);
  assert.ok(after.cols < before.cols && after.rows < before.rows, `${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  await c.type('echo size2=$(stty size)');
  await c.waitForTerminal(new RegExp(`^size2=${after.rows} ${after.cols}$`, 'm'));
});

test('the exit status is shown when the shell ends', { timeout: 180000 }, async () => {
  const c = await f.newClient();
  await keyLogin(c);
  await c.type('exit 3');
  await c.page.getByTestId('ended-message').filter({ hasText: 'Session ended (exit status 3)' }).waitFor();
  assert.equal((await c.status().textContent()).trim(), 'Session ended (exit status 3)');
  await c.waitForTerminal(/\[Session ended \(exit status 3\)\]$/);
  await c.screenshot('session-ended');
  // Reconnect from the banner: same target and key, no questions.
  await c.page.getByRole('button', { name: 'Reconnect' }).click();
  await c.waitConnected();
});

test('Disconnect ends the session and says so', { timeout: 180000 }, async () => {
  const c = await f.newClient();
  await keyLogin(c);
  await c.page.getByRole('button', { name: 'Disconnect' }).click();
  await c.page.getByTestId('ended-message').filter({ hasText: 'Disconnected' }).waitFor();
  assert.equal(await c.page.getByRole('button', { name: 'Disconnect' }).isVisible(), false);
  assert.deepEqual(c.consoleErrors, []);
});
