// The browser client's files (wasm SftpChannel + core's FileSession + web/client/remote_files.js) against
// a real, throwaway OpenSSH sshd with internal-sftp: browse, make, rename, delete, upload and download
// 32 MiB with sha256 compared, a download and an upload that survive dropped relay links, a cancel, the server's
// errors in words, and a server without SFTP. Prints MB/s for the transfers.
// Run: node --no-experimental-fetch tests/wasm/sftp_sshd_test.mjs (ctest: wasm_sftp_sshd).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Blob } from 'node:buffer';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadClient } from './lib/wasm_module.mjs';
import { Driver, reconnectParams } from './lib/driver.mjs';
import { V4RelayEmu } from './lib/v4_relay_emu.mjs';
import { startSshd } from './lib/sshd.mjs';
import { RemoteFiles } from '../../web/client/remote_files.js';

let mod;
let sshd;
let bare;  // an sshd without the sftp subsystem
const relays = [];
const drivers = [];

before(async () => {
  mod = await loadClient();
  sshd = await startSshd({ extraConfig: 'Subsystem sftp internal-sftp' });
  bare = await startSshd();
});

after(() => {
  for (const d of drivers) { try { d.dispose(); } catch { /* already gone */ } }
  for (const r of relays) r.close();
  sshd?.stop();
  bare?.stop();
});

async function loggedIn(server = sshd) {
  const relay = new V4RelayEmu({ targetPort: server.port });
  relays.push(relay);
  const open = async ({ requestTarget, reconnect }) => {
    if (!reconnect) return relay.connect();
    const { sid, ack } = reconnectParams(requestTarget);
    return relay.reconnect(sid, ack);
  };
  const d = new Driver(mod, { host: '127.0.0.1', port: server.port, user: server.user }, open);
  drivers.push(d);
  d.relay = relay;
  await d.connect();
  await d.login({ privateKey: server.userPrivateKey });
  return d;
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

// A sink that keeps the bytes (tests only: the page streams to disk).
function memorySink() {
  const chunks = [];
  return {
    chunks,
    write: async (bytes) => { chunks.push(Buffer.from(bytes)); },
    bytes: () => Buffer.concat(chunks),
  };
}

test('browse, make, rename and delete in the login folder', { timeout: 180000 }, async () => {
  const d = await loggedIn();
  const files = new RemoteFiles(d.conn);
  const home = await files.open();
  assert.equal(home, fs.realpathSync(process.env.HOME ?? '/root'));
  const dir = path.join(sshd.dir, 'browse');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'a.txt'), 'hello\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  const entries = await files.list(dir);
  const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
  assert.deepEqual(Object.keys(byName).sort(), ['a.txt', 'sub']);
  assert.equal(byName['a.txt'].size, 6);
  assert.equal(byName['a.txt'].type, 'file');
  assert.equal(byName.sub.type, 'dir');
  assert.match(byName.sub.permissions, /^d[rwx-]{9}$/);
  assert.ok(byName['a.txt'].mtime > 1.6e9);

  await files.mkdir(path.join(dir, 'made'));
  await files.rename(path.join(dir, 'a.txt'), path.join(dir, 'made', 'b.txt'));
  assert.equal(fs.readFileSync(path.join(dir, 'made', 'b.txt'), 'utf8'), 'hello\n');
  await files.remove(path.join(dir, 'made', 'b.txt'));
  await files.rmdir(path.join(dir, 'made'));
  assert.ok(!fs.existsSync(path.join(dir, 'made')));

  // The server's refusals, in words.
  await assert.rejects(files.list(path.join(dir, 'nope')), { message: `listing ${dir}/nope: no such file or folder` });
  await assert.rejects(files.upload('/proc/sys/kernel/osrelease', new Blob(['x'])).done,
                       (e) => e.code === 3 && /^uploading \/proc\/sys\/kernel\/osrelease: permission denied/.test(e.message));
  // The terminal's channel is unaffected: a command still runs on the same connection.
  d.act('exec', 'echo still-here');
  const st = await d.waitState('closed');
  assert.equal(st.exitStatus, 0);
  assert.equal(d.stdoutText(), 'still-here\n');
});

test('32 MiB up and back down, sha256 equal, with many requests in flight', { timeout: 240000 }, async () => {
  const d = await loggedIn();
  const files = new RemoteFiles(d.conn);
  await files.open();
  const data = crypto.randomBytes(32 * 1024 * 1024);
  const remote = path.join(sshd.dir, 'up.bin');
  let progress = 0;
  const t0 = performance.now();
  const written = await files.upload(remote, new Blob([data]), { onProgress: (n) => { progress = n; } }).done;
  const t1 = performance.now();
  assert.equal(written, data.length);
  assert.equal(progress, data.length);
  assert.equal(sha256(fs.readFileSync(remote)), sha256(data));

  const sink = memorySink();
  let size = null;
  const got = await files.download(remote, sink, { onStart: (s) => { size = s; } }).done;
  const t2 = performance.now();
  assert.equal(size, data.length);
  assert.equal(got, data.length);
  assert.equal(sha256(sink.bytes()), sha256(data));
  const mbps = (ms) => (data.length / 1e6 / (ms / 1000)).toFixed(1);
  console.log(`# sftp (wasm, in-test relay): upload ${mbps(t1 - t0)} MB/s, download ${mbps(t2 - t1)} MB/s`);
});

test('a download survives dropped relay links without a lost or repeated byte', { timeout: 240000 }, async () => {
  const d = await loggedIn();
  const files = new RemoteFiles(d.conn);
  await files.open();
  const data = crypto.randomBytes(8 * 1024 * 1024);
  const remote = path.join(sshd.dir, 'cut.bin');
  fs.writeFileSync(remote, data);
  const sink = memorySink();
  let got = 0;
  let nextDrop = 512 * 1024;
  let drops = 0;
  const transfer = files.download(remote, sink, {
    onProgress: (n) => {
      got = n;
      const link = d.relay.currentLink(d.s.sessionId());
      if (got >= nextDrop && link && d.s.transportInfo().state === 'live') {
        nextDrop += 2 * 1024 * 1024;
        link.drop();
        drops++;
      }
    },
  });
  assert.equal(await transfer.done, data.length);
  assert.ok(sink.bytes().equals(data), 'downloaded bytes differ');
  assert.ok(drops >= 3, `dropped ${drops} times`);
  assert.ok(d.reconnects >= 3, `reconnected ${d.reconnects} times`);
  assert.deepEqual(d.relay.violations, []);
});

test('an upload survives dropped relay links without a lost or repeated byte', { timeout: 240000 }, async () => {
  const d = await loggedIn();
  const files = new RemoteFiles(d.conn);
  await files.open();
  const data = crypto.randomBytes(8 * 1024 * 1024);
  const remote = path.join(sshd.dir, 'cut-up.bin');
  let nextDrop = 512 * 1024;
  let drops = 0;
  const written = await files.upload(remote, new Blob([data]), {
    onProgress: (n) => {
      const link = d.relay.currentLink(d.s.sessionId());
      if (n >= nextDrop && link && d.s.transportInfo().state === 'live') {
        nextDrop += 2 * 1024 * 1024;
        link.drop();
        drops++;
      }
    },
  }).done;
  assert.equal(written, data.length);
  assert.equal(sha256(fs.readFileSync(remote)), sha256(data));
  assert.ok(drops >= 3, `dropped ${drops} times`);
  assert.deepEqual(d.relay.violations, []);
});

test('a cancelled upload removes its partial file; the panel goes on', { timeout: 180000 }, async () => {
  const d = await loggedIn();
  const files = new RemoteFiles(d.conn);
  await files.open();
  const remote = path.join(sshd.dir, 'partial.bin');
  const transfer = files.upload(remote, new Blob([crypto.randomBytes(16 * 1024 * 1024)]), {
    onProgress: (n) => { if (n > 0) transfer.cancel(); },
  });
  await assert.rejects(transfer.done, (e) => e.cancelled && e.message === 'cancelled: the partial file was removed');
  assert.ok(!fs.existsSync(remote));
  assert.ok(Array.isArray(await files.list(sshd.dir)));
});

test('a server without SFTP says so and the terminal goes on', { timeout: 180000 }, async () => {
  const d = await loggedIn(bare);
  const files = new RemoteFiles(d.conn);
  await assert.rejects(files.open(), /the server does not offer SFTP/);
  d.act('exec', 'echo ok');
  const st = await d.waitState('closed');
  assert.equal(st.exitStatus, 0);
});
