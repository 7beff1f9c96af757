// The file panel in headless Chromium against the real relay and sshd (internal-sftp): browse, make,
// rename and delete through the panel's own dialogs; a 32 MiB upload with setInputFiles and a
// drag-and-drop upload, downloaded back through both save paths (the File System Access API, given an
// origin-private file here since a headless browser cannot show its picker, and the service-worker
// stream into the browser's downloads) with sha256 equal; cancels mid-transfer; a download across relay
// cuts; a permission-denied upload. Screenshots: e2e/artifacts/files-*.png.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startCuttingProxy } from '../lib/cutting_proxy.mjs';
import { startFixture, targetOf } from '../lib/fixture.mjs';
import { ClientPage, WAIT_MS } from '../lib/client_page.mjs';

let f;
let proxy;
before(async () => {
  f = await startFixture({ sshdConfig: 'Subsystem sftp internal-sftp' });
  proxy = await startCuttingProxy(f.relay.port);
});
after(async () => {
  proxy?.close();
  await f?.close();
});

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// A folder of the sshd's tree for one test, which the panel is pointed at.
function scratch(name) {
  const dir = path.join(f.sshd.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function loggedIn(c) {
  await c.importKey(f.sshd.userPrivateKey, 'fixture-key');
  await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'fixture-key' });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await c.waitConnected();
}

// Opens the panel and goes to `dir` (as a person would by the breadcrumbs, in one step).
async function openPanel(c, dir) {
  await c.page.getByTestId('files-toggle').click();
  await c.page.getByTestId('crumbs').locator('.crumb[aria-current=page]').waitFor();
  if (dir) await c.page.evaluate((d) => window.sshrelayApp.files.cd(d), dir);
  if (dir) await c.page.getByTestId('crumbs').locator('.crumb[aria-current=page]').filter({ hasText: path.basename(dir) }).waitFor();
}

const row = (c, name) => c.page.getByTestId('file-row').and(c.page.locator(`[data-name="${name}"]`));
const transfer = (c, name) => c.page.getByTestId('transfer').and(c.page.locator(`[data-name="${name}"]`)).first();

async function waitTransfer(c, name, state, timeout = 180000) {
  await transfer(c, name).and(c.page.locator(`[data-state="${state}"]`)).waitFor({ timeout }).catch(async (e) => {
    const text = await transfer(c, name).innerText().catch(() => '(no transfer row)');
    throw new Error(`transfer ${name} did not become ${state}: ${text}\n${e.message}`);
  });
  return transfer(c, name).getByTestId('transfer-text').innerText();
}

// The File System Access path, with an origin-private file standing in for the picker's choice.
async function saveToPrivateFiles(c) {
  await c.page.evaluate(() => {
    window.showSaveFilePicker = async ({ suggestedName }) => {
      const root = await navigator.storage.getDirectory();
      return root.getFileHandle(suggestedName, { create: true });
    };
  });
}

function privateFileSha(c, name) {
  return c.page.evaluate(async (n) => {
    const root = await navigator.storage.getDirectory();
    const file = await (await root.getFileHandle(n)).getFile();
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return { size: file.size, sha: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('') };
  }, name);
}

test('browse from the login folder; make, rename and delete through the dialogs', { timeout: 240000 }, async () => {
  const c = await f.newClient();
  await loggedIn(c);
  const dir = scratch('browse');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'line one\nline two\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'inner.bin'), crypto.randomBytes(3000));
  await c.page.getByTestId('files-toggle').click();
  const home = fs.realpathSync(process.env.HOME ?? '/root');
  await c.page.getByTestId('crumbs').locator('.crumb[aria-current=page]').filter({ hasText: path.basename(home) || '/' }).waitFor();
  await c.page.evaluate((d) => window.sshrelayApp.files.cd(d), dir);
  await row(c, 'notes.txt').waitFor();
  assert.match(await row(c, 'notes.txt').innerText(), /^notes\.txt\s+18 B\s+[A-Z][a-z]{2} \d+ \d\d:\d\d\s+-rw-r--r--\s*$/);
  assert.equal(await c.page.getByTestId('file-row').first().getAttribute('data-name'), 'sub', 'folders first');
  await c.screenshot('files-panel');

  // Into a folder and back by the breadcrumbs.
  await row(c, 'sub').locator('.entry-name').click();
  await row(c, 'inner.bin').waitFor();
  await c.page.getByTestId('crumbs').getByRole('button', { name: 'browse', exact: true }).click();
  await row(c, 'notes.txt').waitFor();

  // The start of a text file.
  await row(c, 'notes.txt').getByTestId('row-preview').click();
  assert.equal(await c.page.getByTestId('preview-text').innerText(), 'line one\nline two\n');
  await c.screenshot('files-preview');
  await c.page.getByTestId('files-dialog').getByRole('button', { name: 'Close' }).click();

  await c.page.getByTestId('files-mkdir').click();
  await c.page.getByTestId('dialog-input').fill('made');
  await c.page.getByTestId('dialog-ok').click();
  await row(c, 'made').waitFor();
  assert.ok(fs.statSync(path.join(dir, 'made')).isDirectory());

  await row(c, 'notes.txt').getByTestId('row-rename').click();
  await c.page.getByTestId('dialog-input').fill('renamed.txt');
  await c.page.getByTestId('dialog-ok').click();
  await row(c, 'renamed.txt').waitFor();
  assert.ok(fs.existsSync(path.join(dir, 'renamed.txt')) && !fs.existsSync(path.join(dir, 'notes.txt')));

  await row(c, 'sub').getByTestId('row-delete').click();
  assert.match(await c.page.getByTestId('files-dialog').innerText(), /Delete the folder sub\?[\s\S]*everything in it/);
  await c.screenshot('files-confirm-delete');
  await c.page.getByTestId('dialog-ok').click();
  await row(c, 'sub').waitFor({ state: 'detached' });
  assert.ok(!fs.existsSync(path.join(dir, 'sub')));
  assert.deepEqual(c.consoleErrors, []);
});

test('32 MiB up by the button and by drag-and-drop, down by both save paths, sha256 equal', { timeout: 300000 }, async () => {
  const c = await f.newClient();
  await loggedIn(c);
  const dir = scratch('transfer');
  await openPanel(c, dir);
  const data = crypto.randomBytes(32 * 1024 * 1024);

  await c.page.getByTestId('upload-input').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: data });
  const upText = await waitTransfer(c, 'big.bin', 'done');
  assert.match(upText, /^Done — 32\.0 MiB in .+ \(.+\/s\)$/);
  assert.equal(sha256(fs.readFileSync(path.join(dir, 'big.bin'))), sha256(data));
  await row(c, 'big.bin').waitFor();

  // Drag and drop: a DataTransfer with two files, dropped on the list.
  const dropped = await c.page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['first dropped file\n'], 'drop-a.txt', { type: 'text/plain' }));
    dt.items.add(new File([new Uint8Array(200000).fill(7)], 'drop-b.bin'));
    return dt;
  });
  await c.page.getByTestId('files-list').dispatchEvent('dragover', { dataTransfer: dropped });
  await c.screenshot('files-drop-hover');
  await c.page.getByTestId('files-list').dispatchEvent('drop', { dataTransfer: dropped });
  await waitTransfer(c, 'drop-a.txt', 'done');
  await waitTransfer(c, 'drop-b.bin', 'done');
  assert.equal(fs.readFileSync(path.join(dir, 'drop-a.txt'), 'utf8'), 'first dropped file\n');
  assert.equal(fs.statSync(path.join(dir, 'drop-b.bin')).size, 200000);

  // Down to a file of this computer (File System Access API). Finished rows are cleared first, so the
  // row waited for below is the download's, not the upload's of the same name.
  await c.page.getByRole('button', { name: 'Clear finished' }).click();
  await saveToPrivateFiles(c);
  await row(c, 'big.bin').getByTestId('row-download').click();
  await waitTransfer(c, 'big.bin', 'done');
  const saved = await privateFileSha(c, 'big.bin');
  assert.deepEqual(saved, { size: data.length, sha: sha256(data) });
  await c.screenshot('files-transfers');

  // Down into the browser's downloads (no File System Access API: the service worker streams it).
  await c.page.evaluate(() => { delete window.showSaveFilePicker; });
  const downloadEvent = c.page.waitForEvent('download', { timeout: 120000 });
  await row(c, 'big.bin').getByTestId('row-download').click();
  const download = await downloadEvent;
  assert.equal(download.suggestedFilename(), 'big.bin');
  const file = await download.path();
  assert.ok(file, `the download failed: ${await download.failure()}`);
  assert.equal(sha256(fs.readFileSync(file)), sha256(data));
  assert.deepEqual(c.consoleErrors, []);
});

test('cancels mid-transfer leave a clear state; a denied path says so', { timeout: 300000 }, async () => {
  const c = await f.newClient();
  await loggedIn(c);
  const dir = scratch('cancel');
  fs.writeFileSync(path.join(dir, 'huge.bin'), crypto.randomBytes(96 * 1024 * 1024));
  await openPanel(c, dir);
  await saveToPrivateFiles(c);

  // A download cancelled once it is under way.
  await row(c, 'huge.bin').getByTestId('row-download').click();
  await c.page.waitForFunction(() => /MiB of/.test(document.querySelector('[data-testid=transfer][data-name="huge.bin"] [data-testid=transfer-text]')?.textContent ?? ''));
  await transfer(c, 'huge.bin').getByTestId('transfer-cancel').click();
  assert.equal(await waitTransfer(c, 'huge.bin', 'cancelled'), 'Cancelled — nothing was saved');

  // An upload cancelled once it is under way: the partial file is removed from the server.
  // (Playwright passes a buffer of at most 50 MB; a larger file goes by path.)
  const local = path.join(scratch('cancel-local'), 'up-cancel.bin');
  fs.writeFileSync(local, crypto.randomBytes(64 * 1024 * 1024));
  await c.page.getByTestId('upload-input').setInputFiles(local);
  await c.page.waitForFunction(() => /MiB of/.test(document.querySelector('[data-testid=transfer][data-name="up-cancel.bin"] [data-testid=transfer-text]')?.textContent ?? ''));
  await transfer(c, 'up-cancel.bin').getByTestId('transfer-cancel').click();
  assert.equal(await waitTransfer(c, 'up-cancel.bin', 'cancelled'), 'Cancelled — the partial file was removed');
  assert.ok(!fs.existsSync(path.join(dir, 'up-cancel.bin')));

  // Where the server refuses: the reason, in words, on the transfer.
  await c.page.evaluate(() => window.sshrelayApp.files.cd('/proc/sys/kernel'));
  await row(c, 'osrelease').waitFor();
  await c.page.getByTestId('upload-input').setInputFiles({ name: 'osrelease', mimeType: 'text/plain', buffer: Buffer.from('no') });
  assert.match(await waitTransfer(c, 'osrelease', 'failed'), /^Failed — uploading \/proc\/sys\/kernel\/osrelease: permission denied/);
  // And a folder that does not exist.
  await c.page.evaluate(() => window.sshrelayApp.files.cd('/no/such/folder'));
  await c.page.getByTestId('files-error').filter({ hasText: 'Listing /no/such/folder: no such file or folder' }).waitFor();
  await c.screenshot('files-errors');
  assert.deepEqual(c.consoleErrors, []);
});

test('a download cut twice at the relay completes without a lost byte', { timeout: 300000 }, async () => {
  const context = await f.browser.context.browser().newContext({ viewport: { width: 1100, height: 720 }, acceptDownloads: true });
  const c = new ClientPage(await context.newPage());
  try {
    await c.open(`http://127.0.0.1:${proxy.port}`);
    await loggedIn(c);
    const dir = scratch('cut');
    const data = crypto.randomBytes(32 * 1024 * 1024);
    fs.writeFileSync(path.join(dir, 'cut.bin'), data);
    await openPanel(c, dir);
    await saveToPrivateFiles(c);
    const resumes = () => c.page.evaluate(() => window.sshrelayApp.flow.conn.stats.resumes);
    const before = await resumes();
    proxy.cutAfter(4 * 1024 * 1024);
    await row(c, 'cut.bin').getByTestId('row-download').click();
    const deadline = Date.now() + WAIT_MS;
    while (proxy.cuts < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await c.page.waitForFunction((b) => window.sshrelayApp.flow.conn.stats.resumes > b, before);
    proxy.cutAfter(6 * 1024 * 1024);
    await waitTransfer(c, 'cut.bin', 'done');
    assert.ok(proxy.cuts >= 1, `cuts: ${proxy.cuts}`);
    assert.deepEqual(await privateFileSha(c, 'cut.bin'), { size: data.length, sha: sha256(data) });
  } finally {
    await context.close();
  }
});

test('Copy… takes user@host:/path like scp, both ways, and refuses another host', { timeout: 240000 }, async () => {
  const c = await f.newClient();
  await loggedIn(c);
  const dir = scratch('copy');
  fs.writeFileSync(path.join(dir, 'remote.txt'), 'copied down\n');
  await openPanel(c, dir);
  await saveToPrivateFiles(c);
  const user = f.sshd.user;

  // From the server to this computer.
  await c.page.getByTestId('files-copy').click();
  await c.page.getByTestId('copy-target').fill(`${user}@127.0.0.1:${dir}/remote.txt`);
  await c.screenshot('files-copy-dialog');
  await c.page.getByTestId('copy-down').click();
  await waitTransfer(c, 'remote.txt', 'done');
  assert.deepEqual(await privateFileSha(c, 'remote.txt'), { size: 12, sha: sha256(Buffer.from('copied down\n')) });

  // From this computer to the server: into a folder (trailing /) keeps the local name.
  const local = path.join(scratch('copy-local'), 'local.txt');
  fs.writeFileSync(local, 'copied up\n');
  await c.page.getByTestId('files-copy').click();
  await c.page.getByTestId('copy-target').fill(`${user}@127.0.0.1:${dir}/`);
  await c.page.getByTestId('copy-local').setInputFiles(local);
  await c.page.getByTestId('copy-up').click();
  await waitTransfer(c, 'local.txt', 'done');
  assert.equal(fs.readFileSync(path.join(dir, 'local.txt'), 'utf8'), 'copied up\n');

  // Another host: a sentence, and nothing starts.
  await c.page.getByTestId('files-copy').click();
  await c.page.getByTestId('copy-target').fill('alice@elsewhere.example:/etc/hosts');
  await c.page.getByTestId('copy-down').click();
  assert.match(await c.page.getByTestId('copy-error').innerText(),
               /This panel copies to and from .+@127\.0\.0\.1 only; connect to alice@elsewhere\.example to copy there\./);
  await c.page.getByTestId('copy-target').fill('no colon here');
  await c.page.getByTestId('copy-down').click();
  assert.equal(await c.page.getByTestId('copy-error').innerText(), 'Write the remote file as user@host:/path.');
  assert.deepEqual(c.consoleErrors, []);
});

// A real folder drop needs the OS's drag and drop; the panel's drop handler is given what Chromium hands
// it for one (items whose webkitGetAsEntry() is a directory entry), built in the page.
test('a dropped folder is made on the server with everything in it', { timeout: 180000 }, async () => {
  const c = await f.newClient();
  await loggedIn(c);
  const dir = scratch('drop-folder');
  await openPanel(c, dir);
  await c.page.evaluate(async () => {
    const file = (name, text) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([text], name)) });
    const folder = (name, children) => ({
      isFile: false, isDirectory: true, name,
      createReader: () => { let read = false; return { readEntries: (ok) => { ok(read ? [] : children); read = true; } }; },
    });
    const tree = folder('project', [file('README', 'read me\n'), folder('src', [file('main.c', 'int main(void) { return 0; }\n')])]);
    await window.sshrelayApp.files.onDrop({ preventDefault() {}, dataTransfer: { items: [{ webkitGetAsEntry: () => tree }], files: [] } });
  });
  await waitTransfer(c, 'main.c', 'done');
  await waitTransfer(c, 'README', 'done');
  assert.equal(fs.readFileSync(path.join(dir, 'project', 'README'), 'utf8'), 'read me\n');
  assert.equal(fs.readFileSync(path.join(dir, 'project', 'src', 'main.c'), 'utf8'), 'int main(void) { return 0; }\n');
  await row(c, 'project').waitFor();
  assert.deepEqual(c.consoleErrors, []);
});
