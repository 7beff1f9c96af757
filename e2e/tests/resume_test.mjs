// The relay-side WebSocket is cut (by a TCP proxy between Chromium and sshrelayd, no close frame) in the
// middle of `seq 1 300000`: the page shows "reconnecting…", resumes through /v4/reconnect, and the
// output carries on with no number missing or repeated; typing works afterwards.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startCuttingProxy } from '../lib/cutting_proxy.mjs';
import { startFixture, targetOf } from '../lib/fixture.mjs';
import { ClientPage, WAIT_MS } from '../lib/client_page.mjs';

const COUNT = 300000;
let f;
let proxy;
before(async () => {
  f = await startFixture();
  proxy = await startCuttingProxy(f.relay.port);
});
after(async () => {
  proxy?.close();
  await f?.close();
});

async function waitUntil(what, predicate, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a cut WebSocket mid-output resumes with no gap or duplicate, and typing still works', { timeout: 300000 }, async () => {
  // The page comes through the proxy too, so its origin is the one the relay sees as its own.
  const context = await f.browser.context.browser().newContext({ viewport: { width: 1100, height: 720 } });
  const c = new ClientPage(await context.newPage());
  try {
    await c.open(`http://127.0.0.1:${proxy.port}`);
    await c.importKey(f.sshd.userPrivateKey);
    await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'imported key' });
    await c.trustHostKey(f.sshd.hostKeyFingerprint);
    await c.waitConnected();

    // Everything the SSH channel delivers from now on, and every status the pill shows.
    await c.page.evaluate(() => {
      const decoder = new TextDecoder();
      window.e2eTap = { text: '', statuses: [] };
      window.sshrelayApp.flow.conn.addEventListener('output', (e) => { window.e2eTap.text += decoder.decode(e.detail, { stream: true }); });
      const pill = document.getElementById('status');
      new MutationObserver(() => window.e2eTap.statuses.push(pill.textContent)).observe(pill, { childList: true, characterData: true, subtree: true });
    });

    proxy.cutAfter(300 * 1024);
    await c.type(`seq 1 ${COUNT}`);
    await waitUntil('the first cut', () => proxy.cuts >= 1);
    await waitUntil('the resume', () => c.page.evaluate(() => window.sshrelayApp.flow.conn.stats.resumes >= 1));
    proxy.cutAfter(500 * 1024);  // and once more, on the resumed socket, if output is still flowing
    await c.waitForTerminal(new RegExp(`^${COUNT}\\n.*[#$]$`, 'm'), 180000);

    const tap = await c.page.evaluate(() => window.e2eTap);
    // Lines of digits only, once the shell's escape sequences (bracketed paste on/off) are gone.
    const plain = tap.text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
    const numbers = plain.split(/[\r\n]+/).filter((l) => /^\d+$/.test(l)).map(Number);
    const firstWrong = numbers.findIndex((n, i) => n !== i + 1);
    assert.equal(firstWrong, -1, `number #${firstWrong + 1} is ${numbers[firstWrong]} (around: ${numbers.slice(Math.max(0, firstWrong - 2), firstWrong + 3)})`);
    assert.equal(numbers.length, COUNT);
    assert.ok(tap.statuses.includes('Reconnecting…'), `statuses seen: ${tap.statuses}`);
    assert.equal((await c.status().textContent()).trim(), 'Connected');
    const stats = await c.page.evaluate(() => window.sshrelayApp.flow.conn.stats);
    console.log(`resume: ${proxy.cuts} cuts, ${stats.resumes} resumes, ${stats.bytesOut} bytes of output`);
    assert.ok(stats.resumes >= 1);

    await c.type('echo after-$((5*5))');
    await c.waitForTerminal(/^after-25$/m);
    assert.deepEqual(c.consoleErrors, []);
  } finally {
    await context.close();
  }
});
