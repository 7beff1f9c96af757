// "Share a port" in headless Chromium against the real relay (--tunnels) and sshd: the page, logged in,
// shares the port of an HTTP server on the sshd's host (tests/integration/services/tunnel_site.py);
// curl reaches its page through the relay's <subdomain>.tunnels.test, a second browser (a visitor)
// opens the page and a WebSocket that echoes through the tunnel, six downloads run at once (a channel
// each), raw TCP reaches it through the pool
// port, the panel counts the visitors, and Stop ends the share (404 after); "Same address every time"
// gets the user's stable subdomain back. Screenshots: e2e/artifacts/share-live.png, share-stable.png.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../tests/wasm/lib/sshd.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { startFixture, targetOf } from '../lib/fixture.mjs';
import { repoRoot } from '../lib/paths.mjs';

const DOMAIN = 'tunnels.test';
let f;
let site;
let rawPort;
let visitorBrowser;

// Python's HTTP server with /hello, /headers and a /ws echo, on a free port it writes to a file.
async function startSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-e2e-site-'));
  const portFile = path.join(dir, 'port');
  const child = spawn('timeout', ['900', 'python3', path.join(repoRoot, 'tests/integration/services/tunnel_site.py'), portFile],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  for (let i = 0; i < 600 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  if (!fs.existsSync(portFile)) throw new Error(`the test site did not start: ${log}`);
  return { port: Number(fs.readFileSync(portFile, 'utf8')), stop: () => child.kill(), log: () => log };
}

before(async () => {
  rawPort = await freePort();
  f = await startFixture({ relayArgs: ['--tunnels', '--tunnel-domain', DOMAIN, '--tunnel-ports', `${rawPort}-${rawPort}`] });
  site = await startSite();
  visitorBrowser = await launchBrowser({ extraArgs: [`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1`] });
});
after(async () => {
  await visitorBrowser?.close();
  site?.stop();
  await f?.close();
});

function curl(subdomain, pathName) {
  const host = `${subdomain}.${DOMAIN}`;
  return execFileSync('curl', ['--silent', '--show-error', '--max-time', '60', '--resolve', `${host}:${f.relay.port}:127.0.0.1`,
    '--write-out', '\n%{http_code}', `http://${host}:${f.relay.port}${pathName}`], { encoding: 'utf8', timeout: 90000 });
}

// The same through curl running alongside others: the body, as bytes.
function curlBytes(subdomain, pathName) {
  const host = `${subdomain}.${DOMAIN}`;
  return new Promise((resolve, reject) => execFile('curl', ['--silent', '--show-error', '--fail', '--max-time', '120', '--resolve',
    `${host}:${f.relay.port}:127.0.0.1`, `http://${host}:${f.relay.port}${pathName}`],
  { encoding: 'buffer', maxBuffer: 64 << 20, timeout: 150000 }, (e, out, err) => (e ? reject(new Error(`${e.message}: ${err}`)) : resolve(out))));
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// An HTTP/1.0 request over a plain TCP connection to the share's raw port: the whole answer.
function rawGet(port, pathName) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(60000, () => socket.destroy(new Error('no answer within 60 s')));
    socket.on('connect', () => socket.write(`GET ${pathName} HTTP/1.0\r\nHost: shared\r\n\r\n`));
    socket.on('data', (d) => { answer += d; });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('the page shares a port of the SSH server: curl, a visitor browser, a WebSocket and raw TCP reach it', async () => {
  const c = await f.newClient();
  await c.importKey(f.sshd.userPrivateKey, 'fixture-key');
  await c.connect({ target: targetOf(f.sshd), method: 'publickey', keyName: 'fixture-key' });
  await c.trustHostKey(f.sshd.hostKeyFingerprint);
  await c.waitConnected();

  const page = c.page;
  await page.getByTestId('share-toggle').click();
  const panel = page.getByTestId('share-panel');
  await panel.getByRole('heading', { name: 'Share a port' }).waitFor();

  // Bad input is said in words, nothing is shared.
  await page.getByTestId('share-target').fill('http://nope');
  await page.getByTestId('share-submit').click();
  assert.match(await page.getByTestId('share-error').innerText(), /is not a port/);

  await page.getByTestId('share-target').fill(String(site.port));
  await page.getByTestId('share-submit').click();
  const url = await page.getByTestId('share-url').innerText();
  const match = new RegExp(`^https?://([0-9a-f]{16})\\.${DOMAIN.replace('.', '\\.')}(:\\d+)?$`).exec(url);
  assert.ok(match, `the share's URL: ${url}`);
  const subdomain = match[1];
  assert.equal(await page.getByTestId('share-raw').innerText(), `127.0.0.1:${rawPort}`);
  assert.equal(await page.getByTestId('share-state').innerText(), 'live');

  // curl through the relay's subdomain.
  const hello = curl(subdomain, '/hello');
  assert.equal(hello, 'hello through the tunnel\n\n200', site.log());

  // A visitor in another browser: the page, then a WebSocket to the shared server that echoes.
  const visitor = await visitorBrowser.context.newPage();
  await visitor.goto(`http://${subdomain}.${DOMAIN}:${f.relay.port}/hello`);
  assert.equal((await visitor.locator('body').innerText()).trim(), 'hello through the tunnel');
  const echoed = await visitor.evaluate((wsUrl) => new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const got = [];
    ws.onopen = () => { ws.send('hello over a shared port'); ws.send('x'.repeat(30000)); };
    ws.onmessage = (e) => { got.push(e.data); if (got.length === 2) { ws.close(); resolve(got.map((m) => m.length > 40 ? `${m.length} bytes` : m)); } };
    ws.onerror = () => reject(new Error('the WebSocket failed'));
    setTimeout(() => reject(new Error('no echo within 60 s')), 60000);
  }), `ws://${subdomain}.${DOMAIN}:${f.relay.port}/ws`);
  assert.deepEqual(echoed, ['hello over a shared port', '30000 bytes']);
  await visitor.close();

  // Many visitors at once, each on its own channel with its own window: six 4 MiB downloads in parallel.
  const size = 4 << 20;
  const expected = Buffer.alloc(size);
  for (let i = 0; i < size; i++) expected[i] = i % 251;
  const bodies = await Promise.all(Array.from({ length: 6 }, () => curlBytes(subdomain, `/bytes?n=${size}`)));
  for (const body of bodies) {
    assert.equal(body.length, size);
    assert.equal(sha256(body), sha256(expected));
  }

  // Raw TCP through the pool port reaches the same server.
  const raw = await rawGet(rawPort, '/hello');
  assert.match(raw, /^HTTP\/1\.[01] 200/);
  assert.match(raw, /hello through the tunnel/);

  // The panel counted them (curl, the visitor's page, its favicon if it asked, the WebSocket, six
  // downloads, the raw connection), all closed by now.
  const counts = page.getByTestId('share-counts');
  await counts.filter({ hasText: /visitors, 0 open/ }).waitFor().catch(async (e) => {
    throw new Error(`the panel says "${await counts.innerText()}": ${e.message}`);
  });
  const visitors = Number(/^(\d+) visitors/.exec(await counts.innerText())[1]);
  assert.ok(visitors >= 10 && visitors <= 11, `${visitors} visitors counted`);
  await c.screenshot('share-live');

  await page.getByTestId('share-stop').click();
  await page.getByTestId('share-state').filter({ hasText: 'ended' }).waitFor();
  assert.match(curl(subdomain, '/hello'), /tunnel not found\n\n404$/);

  // "Same address every time": the relay's stable subdomain for this user. A second such share while
  // the first is live is refused in words; after Stop, the next one gets the same URL back.
  const rows = page.getByTestId('share-row');
  const shareStable = async () => {
    await page.getByTestId('share-target').fill(String(site.port));
    await page.getByTestId('share-submit').click();
  };
  await page.getByTestId('share-stable').check();
  await shareStable();
  const stableUrl = await rows.first().getByTestId('share-url').innerText();
  assert.notEqual(stableUrl, url);
  await shareStable();
  await rows.first().getByTestId('share-ended').filter({ hasText: /held by another of its tunnels/ }).waitFor();
  await c.screenshot('share-stable');
  await rows.nth(1).getByTestId('share-stop').click();
  await rows.nth(1).getByTestId('share-ended').waitFor();
  await shareStable();
  assert.equal(await rows.first().getByTestId('share-url').innerText(), stableUrl);
  const stableSub = /^https?:\/\/([0-9a-f]{16})\./.exec(stableUrl)[1];
  assert.equal(curl(stableSub, '/hello'), 'hello through the tunnel\n\n200');
  assert.deepEqual(c.consoleErrors.filter((e) => !/favicon/.test(e)), []);
});
