// SSH-Web in the page (docs/sshweb.md, "The browser side"): the demo site (deploy/sshweb-demo) served by
// sshwebd, opened as sshweb://127.0.0.1:PORT/ through the relay — rendered in the sandboxed frame with
// its stylesheet, image and script inlined, its links followed, its forms sent as api-calls to the
// Python backend; anonymous first (a POST the anonymous tier may not make is refused in words), then
// with the user's key, which the backend sees as an identified visitor with that key's fingerprint.
// Also the pack reader itself, in Chromium, on packs made by real `git pack-objects` (offset and
// reference deltas, a corrupt pack). Screenshots: sshweb-site.png, sshweb-signed.png.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFixture } from '../lib/fixture.mjs';
import { startSshWebDemo } from '../lib/sshweb_demo.mjs';

let f;
let site;
before(async () => {
  f = await startFixture();
  site = await startSshWebDemo();
});
after(async () => {
  site?.stop();
  await f?.close();
});

const frameOf = (c) => c.page.frameLocator('[data-testid=site-frame]');

// The answer the bridge writes under a form.
async function submitAndRead(frame, formId) {
  const form = frame.locator(`#${formId}`);
  await form.getByRole('button').click();
  const out = frame.locator(`#${formId} + [data-testid=sshweb-response]`);
  await out.waitFor();
  return { ok: await out.getAttribute('data-ok'), text: (await out.textContent()).trim() };
}

test('the page opens an SSH-Web site through the relay, follows its links and sends its forms as api-calls', { timeout: 300000 }, async () => {
  const c = await f.newClient();
  const { page } = c;
  const address = `sshweb://127.0.0.1:${site.port}/`;

  // Anonymous: user "anonymous", no credential asked.
  await c.connect({ target: address, method: 'password' });
  await c.trustHostKey(site.hostKeyFingerprint);
  const frame = frameOf(c);
  await frame.getByRole('heading', { name: 'An SSH-Web site' }).waitFor();
  await page.locator('#status[data-kind=ok]').filter({ hasText: 'Connected' }).waitFor();
  assert.equal(await page.getByTestId('site-address').inputValue(), `sshweb://127.0.0.1:${site.port}/index.html`);
  assert.match(await page.getByTestId('site-info').textContent(), /^6 files · [\d.]+ KiB pack$/);
  assert.equal(await page.locator('#terminal').isVisible(), false);
  assert.equal(await page.getByTestId('files-toggle').isVisible(), false);
  // The stylesheet, the image and the site's own script came from the pack.
  assert.equal(await frame.locator('header').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(36, 50, 74)');
  assert.ok(await frame.locator('header img').evaluate((img) => img.complete && img.naturalWidth > 0));
  assert.equal(await frame.locator('#message-length').textContent(), '0 characters');
  // The frame is sandboxed: an opaque origin that cannot reach the page.
  assert.equal(await frame.locator('body').evaluate(() => { try { return String(parent.document.title); } catch { return 'blocked'; } }), 'blocked');

  const hello = await submitAndRead(frame, 'hello');
  assert.deepEqual(hello, { ok: 'true', text: 'Hello, anonymous visitor (no key). This answer came from the site\'s HTTP backend.' });
  await frame.locator('#sign input[name=message]').fill('hello  from   the page');
  const refused = await submitAndRead(frame, 'sign');
  assert.equal(refused.ok, 'false');
  assert.match(refused.text, /permission denied: "api-call POST \/api\/guestbook.*" not allowed for tier "anonymous"/);
  assert.equal(await c.status().getAttribute('data-kind'), 'error');

  // Links: a page, back, a folder's index with a stylesheet one level up.
  await frame.getByRole('link', { name: 'how it works' }).click();
  await frame.getByRole('heading', { name: 'How it works' }).waitFor();
  assert.match(await page.getByTestId('site-address').inputValue(), /\/about\.html$/);
  await page.getByTestId('site-back').click();
  await frame.getByRole('heading', { name: 'An SSH-Web site' }).waitFor();
  await frame.getByRole('link', { name: 'the protocol notes' }).click();
  await frame.getByRole('heading', { name: 'Protocol notes' }).waitFor();
  assert.match(await page.getByTestId('site-address').inputValue(), /\/docs\/index\.html$/);
  assert.equal(await frame.locator('header').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(36, 50, 74)');
  await frame.getByRole('link', { name: 'Home' }).click();
  await frame.getByRole('heading', { name: 'An SSH-Web site' }).waitFor();
  await c.screenshot('sshweb-site');
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByTestId('ended-message').filter({ hasText: 'Disconnected' }).waitFor();

  // With the user's key: identified, so the guestbook can be signed; the backend sees the fingerprint.
  await page.getByRole('button', { name: 'New connection' }).click();
  await c.importKey(f.sshd.userPrivateKey, 'my-key');
  await c.connect({ target: `sshweb://visitor@127.0.0.1:${site.port}/`, method: 'publickey', keyName: 'my-key' });
  await frame.getByRole('heading', { name: 'An SSH-Web site' }).waitFor();
  const identified = await submitAndRead(frame, 'hello');
  assert.equal(identified.text, `Hello, identified visitor (key ${f.sshd.userKeyFingerprint}). This answer came from the site's HTTP backend.`);
  await frame.locator('#sign input[name=name]').fill('Ada');
  await frame.locator('#sign input[name=message]').fill('hello  from   the page');
  const signed = await submitAndRead(frame, 'sign');
  // Spaces survive the trip (the body's words are rejoined with single spaces by the server).
  assert.deepEqual(signed, { ok: 'true', text: 'Thanks, Ada! Signed as identified: "hello  from   the page" (1 in the guestbook).' });
  const book = await submitAndRead(frame, 'read');
  assert.equal(book.text, 'Ada (identified): hello  from   the page');
  await c.screenshot('sshweb-signed');
  assert.match(page.url(), new RegExp(`#sshweb://visitor@127\\.0\\.0\\.1:${site.port}/$`));
  assert.deepEqual(c.consoleErrors, []);
});

// --- the pack reader, in the browser, against git's own packs ---

function git(dir, ...args) {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'buffer', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
}

test('the page\'s pack reader unpacks git\'s packs: offset and reference deltas, folders, and refuses a corrupt one', { timeout: 120000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshweb-pack-'));
  try {
    git(dir, 'init', '-q');
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'x'.repeat(i % 37)}`);
    fs.mkdirSync(path.join(dir, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'big.txt'), lines.join('\n'));
    fs.writeFileSync(path.join(dir, 'a/b/deep.bin'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)));
    fs.writeFileSync(path.join(dir, 'empty'), '');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'one');
    lines[200] = 'changed';
    lines.push('appended');
    fs.writeFileSync(path.join(dir, 'big.txt'), lines.join('\n'));
    fs.writeFileSync(path.join(dir, 'a/b/big-copy.txt'), lines.join('\n').replace('line 5', 'LINE 5'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'two');
    const expected = {};
    for (const name of git(dir, 'ls-files').toString().trim().split('\n')) expected[name] = fs.readFileSync(path.join(dir, name)).toString('base64');
    const packOf = (...flags) => execFileSync('git', ['-C', dir, 'pack-objects', '--stdout', '--revs', '--window=10', ...flags], { input: 'HEAD\n' });
    const packs = { ofs: packOf('--delta-base-offset'), ref: packOf() };

    const c = await f.newClient();
    for (const [kind, bytes] of Object.entries(packs)) {
      // git itself says which delta kind the pack holds
      const tmp = path.join(dir, `${kind}.pack`);
      fs.writeFileSync(tmp, bytes);
      git(dir, 'index-pack', tmp);
      const listing = git(dir, 'verify-pack', '-v', tmp.replace(/\.pack$/, '.idx')).toString();
      const deltas = Number(/chain length = 1: (\d+) object/.exec(listing)?.[1] ?? 0);
      assert.ok(deltas > 0, `git made no deltas in the ${kind} pack:\n${listing}`);
      const got = await c.page.evaluate(async (b64) => {
        const { siteFiles } = await import('/client/git_pack.js');
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const { files, commit, objects } = await siteFiles(bytes);
        const out = {};
        for (const [name, data] of files) { let s = ''; for (const x of data) s += String.fromCharCode(x); out[name] = btoa(s); }
        return { out, commit, objects };
      }, bytes.toString('base64'));
      assert.deepEqual(got.out, expected, `files of the ${kind} pack`);
      assert.equal(got.commit, git(dir, 'rev-parse', 'HEAD').toString().trim());
      assert.equal(got.objects, Number(git(dir, 'rev-list', '--objects', '--all').toString().trim().split('\n').length));
    }
    const corrupt = Buffer.from(packs.ofs);
    corrupt[corrupt.length - 30] ^= 0xff;
    const error = await c.page.evaluate(async (b64) => {
      const { readPack } = await import('/client/git_pack.js');
      try { await readPack(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))); return 'accepted'; } catch (e) { return `${e.name}: ${e.message}`; }
    }, corrupt.toString('base64'));
    assert.equal(error, 'PackError: the pack checksum does not match its contents');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
