// The MV3 extension (build/wasm-release/extension, loaded unpacked into headless Chromium): its page is
// the same client, its origin is chrome-extension://<id>, so the relay is typed in the form (and
// remembered) and must allow that origin. Connects to a real sshd through a real sshrelayd, and its file
// panel works there too (same page, the extension's CSP).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSshd } from '../../tests/wasm/lib/sshd.mjs';
import { launchWithExtension } from '../lib/browser.mjs';
import { ClientPage } from '../lib/client_page.mjs';
import { EXTENSION_ID, extensionDir } from '../lib/paths.mjs';
import { startRelay } from '../lib/relay.mjs';
import { targetOf } from '../lib/fixture.mjs';

let sshd;
let relay;
let browser;
before(async () => {
  sshd = await startSshd({ extraConfig: 'Subsystem sftp internal-sftp' });
  relay = await startRelay();
  browser = await launchWithExtension(extensionDir);
});
after(async () => {
  await browser?.close();
  relay?.stop();
  sshd?.stop();
});

test('the extension loads with its fixed id and a strict CSP', { timeout: 180000 }, async () => {
  assert.equal(browser.extensionId, EXTENSION_ID);
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/index.html`);
  // The manifest's CSP is in force (a script from elsewhere is blocked)...
  const violated = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
    const s = document.createElement('script');
    s.src = 'data:text/javascript,0';
    document.head.append(s);
    setTimeout(() => resolve('no violation'), 30000);  // only waited out when the CSP is not in force
  }));
  assert.match(violated, /^script-src/);
  // ...and it forbids generated code, so the module must do without `new Function` (embind's default).
  const moduleText = await page.evaluate(() => fetch('sshrelay_client.js').then((r) => r.text()));
  assert.doesNotMatch(moduleText, /new Function/);
  await page.close();
});

test('the extension page connects through the relay and remembers it', { timeout: 240000 }, async () => {
  const c = new ClientPage(await browser.context.newPage());
  await c.open(`chrome-extension://${browser.extensionId}/index.html`);
  assert.equal(await c.page.locator('#relay').inputValue(), '');  // no page origin to default to
  assert.equal(await c.page.locator('#secure-shell').isVisible(), false);
  await c.importKey(sshd.userPrivateKey);
  await c.connect({ relay: relay.url, target: targetOf(sshd), method: 'publickey', keyName: 'imported key' });
  await c.trustHostKey(sshd.hostKeyFingerprint);
  await c.waitConnected();
  await c.type('echo "from-extension-$((2*21))"');
  await c.waitForTerminal(/^from-extension-42$/m);
  await c.screenshot('extension-connected');
  assert.match(relay.log(), /connected 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/);

  // The file panel: an upload lands on the server.
  await c.page.getByTestId('files-toggle').click();
  await c.page.getByTestId('crumbs').locator('.crumb[aria-current=page]').waitFor();
  await c.page.evaluate((d) => window.sshrelayApp.files.cd(d), sshd.dir);
  await c.page.getByTestId('file-row').and(c.page.locator('[data-name="sshd_config"]')).waitFor();
  await c.page.getByTestId('upload-input').setInputFiles({ name: 'from-extension.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded by the extension\n') });
  await c.page.getByTestId('transfer').and(c.page.locator('[data-name="from-extension.txt"][data-state="done"]')).waitFor();
  assert.equal(fs.readFileSync(path.join(sshd.dir, 'from-extension.txt'), 'utf8'), 'uploaded by the extension\n');
  await c.screenshot('extension-files');
  assert.deepEqual(c.consoleErrors, []);  // no CSP violation (embind without `new Function`)

  const again = new ClientPage(await browser.context.newPage());
  await again.open(`chrome-extension://${browser.extensionId}/index.html`);
  assert.equal(await again.page.locator('#relay').inputValue(), relay.url);
});
