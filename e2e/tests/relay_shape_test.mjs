// The plain /relay endpoint from the page: chosen under *Advanced* in the connect form (which then says
// plainly that the connection will not resume after a network drop), a key login and a command over
// it, the deep link that carries the choice (?shape=relay#user@host:port), and a cut socket that ends
// the session instead of resuming it. Screenshots: relay-shape-form.png, relay-shape-connected.png.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startCuttingProxy } from '../lib/cutting_proxy.mjs';
import { ClientPage } from '../lib/client_page.mjs';
import { startFixture, targetOf } from '../lib/fixture.mjs';

let f;
before(async () => { f = await startFixture(); });
after(async () => { await f?.close(); });

const connInfo = (c) => c.page.evaluate(() => window.sshrelayApp.flow?.conn?.info());

test('login over /relay from the page via the advanced option, then a command', { timeout: 240000 }, async () => {
  const c = await f.newClient();
  const { page } = c;
  await c.importKey(f.sshd.userPrivateKey, 'fixture-key');
  const form = page.locator('#connect-form');
  const note = page.getByTestId('shape-note');
  assert.equal(await note.isVisible(), false);  // v4 by default: nothing to warn about
  await form.locator('#advanced summary').click();
  await form.getByLabel('Relay endpoint').selectOption('relay');
  await note.waitFor({ state: 'visible' });
  assert.match(await note.innerText(), /will not resume after a network drop/);
  await form.getByLabel('Target').fill(targetOf(f.sshd));
  await c.screenshot('relay-shape-form');

  await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'fixture-key' });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await c.waitConnected();
  await c.type('echo "via-relay-$((6*7)) $(whoami)"');
  await c.waitForTerminal(new RegExp(`^via-relay-42 ${f.sshd.user}$`, 'm'));
  await c.waitForTerminal(/\[Plain \/relay endpoint: this connection will not resume after a network drop\]/);
  assert.match(await page.locator('#session-label').textContent(), /\/relay, no resume$/);
  assert.match(await c.status().getAttribute('title'), /\/relay — this connection will not resume after a network drop/);
  const info = await connInfo(c);
  assert.equal(info.mode, 'relay');
  assert.equal(info.sessionId, '');
  assert.ok(info.bytesReceived > 0);
  assert.match(page.url(), new RegExp(`\\?shape=relay#${targetOf(f.sshd).replace(/[.]/g, '\\.')}$`));
  await c.screenshot('relay-shape-connected');

  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByTestId('ended-message').filter({ hasText: 'Disconnected' }).waitFor();

  // The deep link carries the choice: a new tab (same browser profile: key, host key, recent target).
  const tab = new ClientPage(await page.context().newPage());
  await tab.page.goto(`${f.relay.url}/?shape=relay#${targetOf(f.sshd)}`);
  await tab.waitConnected();
  assert.equal((await connInfo(tab)).mode, 'relay');
  assert.equal(await tab.page.locator('#shape-select').inputValue(), 'relay');
  assert.deepEqual(c.consoleErrors, []);
  assert.deepEqual(tab.consoleErrors, []);
});

test('a cut /relay socket ends the session: nothing resumes', { timeout: 240000 }, async () => {
  const proxy = await startCuttingProxy(f.relay.port);
  const context = await f.browser.context.browser().newContext({ viewport: { width: 1100, height: 720 } });
  try {
    const c = new ClientPage(await context.newPage());
    await c.open(`http://127.0.0.1:${proxy.port}`);
    await c.importKey(f.sshd.userPrivateKey);
    await c.page.locator('#advanced summary').click();
    await c.page.getByLabel('Relay endpoint').selectOption('relay');
    await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'imported key' });
    await c.trustHostKey(f.sshd.hostKeyFingerprint);
    await c.waitConnected();
    proxy.cutAfter(64 * 1024);
    await c.type('seq 1 200000');
    const ended = c.page.getByTestId('ended-message');
    await ended.waitFor();
    const text = await ended.innerText();
    assert.match(text, /^The connection to the relay was lost/);
    assert.match(text, /cannot be resumed/);
    assert.equal((await c.status().textContent()).trim(), 'Not connected');
    assert.equal(await c.page.evaluate(() => window.sshrelayApp.flow.conn.stats.resumes), 0);
  } finally {
    await context.close();
    proxy.close();
  }
});
