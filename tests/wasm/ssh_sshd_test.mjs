// The browser client's bindings (node build) against a real, throwaway OpenSSH sshd on 127.0.0.1:
// key exchange, host key, ed25519 public-key auth, password auth, exec, pty shell — through the v4
// shape (an in-test relay, and the real sshrelayd when SSHRELAYD_PATH names one), through the /relay
// shape (plain TCP, and sshrelayd's /relay endpoint), and across dropped links with resume driven by
// core's reconnect policy. Also prints timings (connect+auth, bulk MB/s).
// Run: node --no-experimental-fetch tests/wasm/ssh_sshd_test.mjs (ctest: wasm_ssh_sshd).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClient } from './lib/wasm_module.mjs';
import { Driver, reconnectParams } from './lib/driver.mjs';
import { tcpRawLink } from './lib/links.mjs';
import { V4RelayEmu } from './lib/v4_relay_emu.mjs';
import { openWebSocket } from './lib/ws_client.mjs';
import { startRelayd } from './lib/relayd.mjs';
import {
  ensurePasswordUser, isRoot, lockPasswordUser, PASSWORD_USER, spawnDaemon, startSshd,
} from './lib/sshd.mjs';

let mod;
let sshd;
let password = null;
const relays = [];
const drivers = [];

before(async () => {
  mod = await loadClient();
  sshd = await startSshd();
  password = ensurePasswordUser();
});

after(() => {
  for (const d of drivers) { try { d.dispose(); } catch { /* already gone */ } }
  for (const r of relays) r.close();
  sshd?.stop();
  lockPasswordUser();
});

function emuDriver(options = {}) {
  const relay = new V4RelayEmu({ targetPort: sshd.port });
  relays.push(relay);
  const open = async ({ requestTarget, reconnect }) => {
    if (!reconnect) return relay.connect();
    const { sid, ack } = reconnectParams(requestTarget);
    return relay.reconnect(sid, ack);
  };
  const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user, ...options }, open);
  drivers.push(d);
  d.relay = relay;
  return d;
}

const keyCredential = () => ({ privateKey: sshd.userPrivateKey });

async function runExec(d, command) {
  d.act('exec', command);
  const st = await d.waitState('closed');
  return { status: st.exitStatus, stdout: d.stdoutText(), stderr: d.stderrText() };
}

test('kex, host key, ed25519 public-key auth and exec over v4', { timeout: 180000 }, async () => {
  const d = emuDriver();
  const t0 = performance.now();
  await d.connect();
  const hk = await d.login(keyCredential(), { expectFingerprint: sshd.hostKeyFingerprint });
  const tAuth = performance.now();
  assert.equal(hk.hostKey.type, 'ssh-ed25519');
  assert.equal(hk.hostKey.base64, sshd.hostKeyBase64);
  const r = await runExec(d, 'echo hello from $(whoami); echo to-stderr >&2; exit 3');
  const tDone = performance.now();
  assert.equal(r.stdout, `hello from ${sshd.user}\n`);
  assert.equal(r.stderr, 'to-stderr\n');
  assert.equal(r.status, 3);
  assert.deepEqual(d.relay.violations, []);
  assert.deepEqual(d.failures, []);
  console.log(`# timing: connect+kex+auth ${(tAuth - t0).toFixed(0)} ms, +exec ${(tDone - tAuth).toFixed(0)} ms (v4, in-test relay)`);
});

test('auth state lists methods and survives a refused key', { timeout: 180000 }, async () => {
  const d = emuDriver();
  await d.connect();
  await d.waitState('host-key');
  d.act('acceptHostKey');
  const auth = await d.waitState('auth');
  assert.ok(auth.methods.includes('publickey'), JSON.stringify(auth));
  assert.ok(auth.methods.includes('password'), JSON.stringify(auth));
  assert.equal(auth.failure, undefined);
  // A key sshd does not know: refused, back to "auth" with a reason.
  d.act('authPublicKey', mod.generateEd25519('', '').privateKey, '');
  const again = await d.waitFor((st) => st.state === 'auth' && st.failure, 'auth after refusal');
  assert.equal(again.failure, 'public key refused');
  assert.equal(d.s.authPublicKey('garbage', ''), false);
  assert.match(d.s.lastError(), /could not read the private key/);
  d.act('authPublicKey', sshd.userPrivateKey, '');
  await d.waitState('authenticated');
  const r = await runExec(d, 'true');
  assert.equal(r.status, 0);
});

test('pty shell: output, resize, exit status', { timeout: 180000 }, async () => {
  const d = emuDriver();
  await d.connect();
  await d.login(keyCredential());
  d.act('openShell', 100, 30, 'xterm-256color');
  await d.waitState('open');
  d.act('write', 'stty size; echo "term=$TERM"; echo marker-$((6*7))\n');
  await d.waitFor(() => /marker-42/.test(d.stdoutText().replace(/marker-\$/g, '')), 'marker-42');
  assert.match(d.stdoutText(), /30 100/);
  assert.match(d.stdoutText(), /term=xterm-256color/);
  d.act('resize', 132, 43);
  d.act('write', 'stty size; exit 7\n');
  const st = await d.waitState('closed');
  assert.match(d.stdoutText(), /43 132/);
  assert.equal(st.exitStatus, 7);
  assert.deepEqual(d.relay.violations, []);
});

test('a clean relay close while waiting for the user ends the session', { timeout: 180000 }, async () => {
  const d = emuDriver();
  await d.connect();
  await d.waitState('host-key');
  d.relay.currentLink(d.s.sessionId()).serverClose();
  const st = await d.waitState('error');
  assert.match(st.message, /disconnected|closed/i);
  assert.equal(d.s.step().state, 'error');  // stays there
});

test('close() from the page ends an open shell', { timeout: 180000 }, async () => {
  const d = emuDriver();
  await d.connect();
  await d.login(keyCredential());
  d.act('openShell', 80, 24, 'xterm');
  await d.waitState('open');
  d.act('close');
  const st = await d.waitState('closed');
  assert.equal(st.exitStatus, null);
  assert.equal(d.s.write('x'), false);
  assert.deepEqual(d.relay.violations, []);
});

test('password auth (dedicated user)', { timeout: 180000 }, async (t) => {
  if (!isRoot) {
    t.skip('not root: cannot create a password-only user for sshd');
    return;
  }
  const d = emuDriver({ user: PASSWORD_USER });
  await d.connect();
  await d.waitState('host-key');
  d.act('acceptHostKey');
  await d.waitState('auth');
  d.act('authPassword', 'wrong password');
  const refused = await d.waitFor((st) => st.state === 'auth' && st.failure, 'refusal');
  assert.equal(refused.failure, 'password refused');
  d.act('authPassword', password);
  await d.waitState('authenticated');
  const r = await runExec(d, 'id -un');
  assert.equal(r.stdout.trim(), PASSWORD_USER);
  assert.equal(r.status, 0);
});

test('keyboard-interactive auth (PAM sshd, dedicated user)', { timeout: 180000 }, async (t) => {
  if (!isRoot) {
    t.skip('not root: cannot create a password-only user for sshd');
    return;
  }
  // A second sshd that offers keyboard-interactive through PAM (and no plain password method).
  const pamSshd = await startSshd({
    extraConfig: 'UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no',
  });
  try {
    const d = new Driver(mod, { host: '127.0.0.1', port: pamSshd.port, user: PASSWORD_USER, shape: 'relay' },
                         () => tcpRawLink(pamSshd.port));
    drivers.push(d);
    await d.connect();
    await d.waitState('host-key');
    d.act('acceptHostKey');
    const auth = await d.waitState('auth');
    assert.ok(auth.methods.includes('keyboard-interactive'), JSON.stringify(auth));
    assert.ok(!auth.methods.includes('password'), JSON.stringify(auth));
    d.act('authKeyboardInteractive');
    const prompt = await d.waitState('kbd-interactive');
    assert.equal(prompt.prompts.length, 1);
    assert.match(prompt.prompts[0].prompt, /password/i);
    assert.equal(prompt.prompts[0].echo, false);
    assert.equal(d.s.answerKeyboardInteractive([]), false);  // one answer per prompt
    assert.match(d.s.lastError(), /expected 1 answers, got 0/);
    d.act('answerKeyboardInteractive', [password]);
    await d.waitState('authenticated');
  } catch (e) {
    e.message += `\nsshd log:\n${pamSshd.log()}`;
    throw e;
  } finally {
    pamSshd.stop();
  }
});

test('/relay shape over plain TCP (raw bytes, as behind a WebSocket<->TCP relay)', { timeout: 180000 }, async () => {
  const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user, shape: 'relay' },
                       () => tcpRawLink(sshd.port));
  drivers.push(d);
  await d.connect();
  await d.login(keyCredential(), { expectFingerprint: sshd.hostKeyFingerprint });
  const r = await runExec(d, 'echo raw ok');
  assert.equal(r.stdout, 'raw ok\n');
  assert.equal(r.status, 0);
  const o = await d.waitEnded();
  assert.equal(o.end, 'stopped');  // the page ended it after the channel closed
  assert.equal(d.opens.length, 1);
  assert.equal(d.s.transportInfo().resumes, 0);
});

test('v4 resume: upload and download stay lossless across dropped links', { timeout: 240000 }, async () => {
  const d = emuDriver();
  await d.connect();
  await d.login(keyCredential());
  // Upload: stdin -> sha256sum, with the link dropped every few chunks.
  const upload = crypto.randomBytes(3 * 1024 * 1024 + 123);
  const expected = crypto.createHash('sha256').update(upload).digest('hex');
  d.act('exec', 'sha256sum');
  await d.waitState('open');
  let drops = 0;
  for (let i = 0; i < upload.length; i += 65536) {
    d.act('write', upload.subarray(i, i + 65536));
    if (i % (512 * 1024) === 0) {
      // Core's ReconnectPolicy waits (with jitter) before each attempt: drop only a resumed, live link.
      await d.waitFor(() => d.relay.currentLink(d.s.sessionId()) && d.s.transportInfo().state === 'live',
                      'a live link to drop');
      d.relay.currentLink(d.s.sessionId()).drop();
      drops++;
    }
    await new Promise((r) => setImmediate(r));
  }
  d.act('sendEof');
  const st = await d.waitState('closed', 120000);
  assert.equal(st.exitStatus, 0);
  assert.equal(d.stdoutText().split(' ')[0], expected);
  assert.ok(drops >= 3, `dropped ${drops} times`);
  assert.ok(d.reconnects >= 3, `reconnected ${d.reconnects} times`);
  assert.deepEqual(d.relay.violations, []);
  assert.deepEqual(d.failures, []);
});

// Runs `cat file` and drops the relay link once `firstDrop` bytes arrived, then every 700 KiB; returns
// what arrived and how many drops there were. The command must exit 0.
async function catWithDrops(d, file, firstDrop) {
  let nextDrop = firstDrop;
  let drops = 0;
  const chunks = [];
  let got = 0;
  d.onStdout = (chunk) => {
    chunks.push(chunk);
    got += chunk.length;
    const link = d.relay.currentLink(d.s.sessionId());
    if (got >= nextDrop && link) {  // while reconnecting, the next chunk after the resume drops it
      nextDrop += 700 * 1024;
      link.drop();
      drops++;
    }
  };
  d.act('exec', `cat ${file}`);
  const st = await d.waitState('closed', 120000);
  assert.equal(st.exitStatus, 0);
  return { received: Buffer.concat(chunks), drops };
}

test('v4 resume: server output survives drops mid-stream', { timeout: 240000 }, async () => {
  const file = path.join(sshd.dir, 'download.bin');
  const data = crypto.randomBytes(4 * 1024 * 1024 + 77);
  fs.writeFileSync(file, data);
  const d = emuDriver();
  await d.connect();
  await d.login(keyCredential());
  const { received, drops } = await catWithDrops(d, file, 300 * 1024);
  assert.equal(received.length, data.length);
  assert.ok(received.equals(data), 'downloaded bytes differ');
  assert.ok(drops >= 3, `dropped ${drops} times`);
  assert.deepEqual(d.relay.violations, []);
  assert.deepEqual(d.failures, []);
});

test('v4 with ackBatch: one ACK per batch, and a download still survives drops', { timeout: 240000 }, async () => {
  const file = path.join(sshd.dir, 'download-batched.bin');
  const data = crypto.randomBytes(2 * 1024 * 1024 + 5);
  fs.writeFileSync(file, data);
  const batch = 32768;
  const d = emuDriver({ ackBatch: batch });
  await d.connect();
  await d.login(keyCredential());
  const { received, drops } = await catWithDrops(d, file, 500 * 1024);
  assert.ok(received.equals(data), 'downloaded bytes differ');
  assert.ok(drops >= 2, `dropped ${drops} times`);
  assert.deepEqual(d.relay.violations, []);
  assert.deepEqual(d.failures, []);
  // Every session the emulator saw: at most one ACK per batch of received bytes (plus a few around the
  // drops and the login), where ackBatch 0 sends one per DATA message.
  const session = [...d.relay.sessions.values()][0];
  assert.ok(session.acksFromClient > 0, 'no ACK at all');
  assert.ok(session.acksFromClient <= Math.ceil(session.sent / batch) + 4 * (drops + 1),
            `${session.acksFromClient} ACKs for ${session.sent} bytes`);
});

async function measureBulk(d, label) {
  await d.connect();
  await d.login(keyCredential());
  const bytes = 64 * 1024 * 1024;
  d.onStdout = () => {};
  const t0 = performance.now();
  d.act('exec', `head -c ${bytes} /dev/zero`);
  const st = await d.waitState('closed', 120000);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(st.exitStatus, 0);
  assert.equal(d.stdoutBytes, bytes);
  console.log(`# timing: bulk download ${bytes / 1048576} MiB in ${seconds.toFixed(2)} s = ${(bytes / 1048576 / seconds).toFixed(1)} MiB/s (${label})`);
}

test('bulk throughput, v4 through the in-test relay', { timeout: 180000 }, async () => {
  await measureBulk(emuDriver(), 'v4, in-test relay');
});

test('bulk upload throughput, v4 through the in-test relay (replay cap backpressure)', { timeout: 180000 }, async () => {
  const d = emuDriver({ replayCap: 256 * 1024 });
  await d.connect();
  await d.login(keyCredential());
  const chunk = crypto.randomBytes(1024 * 1024);
  const total = 32;
  const expected = crypto.createHash('sha256');
  d.act('exec', 'sha256sum');
  await d.waitState('open');
  const t0 = performance.now();
  let maxUnacked = 0;
  for (let i = 0; i < total; i++) {
    d.act('write', chunk);
    expected.update(chunk);
    // A page would stop reading its source here; wait until the channel took most of it.
    await d.waitFor(() => {
      const info = d.s.transportInfo();
      maxUnacked = Math.max(maxUnacked, info.bytesSent - info.bytesAcked);
      return d.s.pendingInput() < 256 * 1024;
    }, 'input drained');
  }
  d.act('sendEof');
  const st = await d.waitState('closed', 120000);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(st.exitStatus, 0);
  assert.equal(d.stdoutText().split(' ')[0], expected.digest('hex'));
  // Unacked bytes stay near the cap: input waits while the relay has not acknowledged.
  assert.ok(maxUnacked < 256 * 1024 + 64 * 1024, `unacked reached ${maxUnacked}`);
  assert.deepEqual(d.relay.violations, []);
  console.log(`# timing: bulk upload ${total} MiB in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(1)} MiB/s (v4, in-test relay, replay cap 256 KiB)`);
});

test('bulk throughput, raw TCP', { timeout: 180000 }, async () => {
  const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user, shape: 'relay' },
                       () => tcpRawLink(sshd.port));
  drivers.push(d);
  await measureBulk(d, 'raw TCP');
});

// --- the real relay, when one is given ---
async function startRelay(t) {
  const bin = process.env.SSHRELAYD_PATH;
  if (!bin || !fs.existsSync(bin)) {
    t.skip(`SSHRELAYD_PATH ${bin ? `(${bin}) does not exist` : 'is not set'}: the real relay is not tested`);
    return null;
  }
  return startRelayd(bin, ['--unsafe-allow-loopback', '--grace-seconds', '30', '--identity-provider=none',
                           '--identity-upstream-enforces-auth']);
}

test('through the real sshrelayd: v4 connect, exec, resume after a dropped socket', { timeout: 240000 }, async (t) => {
  const relay = await startRelay(t);
  if (!relay) return;
  try {
    const origin = `http://${relay.host}:${relay.port}`;
    const links = [];
    const open = async ({ requestTarget }) => {  // core builds /v4/connect?… and /v4/reconnect?sid=&ack=
      const link = await openWebSocket({ host: relay.host, port: relay.port, path: requestTarget, origin });
      links.push(link);
      return link;
    };
    const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user }, open);
    drivers.push(d);
    const t0 = performance.now();
    await d.connect();
    await d.login(keyCredential(), { expectFingerprint: sshd.hostKeyFingerprint });
    console.log(`# timing: connect+kex+auth ${(performance.now() - t0).toFixed(0)} ms (v4, sshrelayd)`);
    assert.ok(d.s.sessionId().length > 0);
    // Download 2 MiB while killing the WebSocket's TCP connection twice.
    const file = path.join(sshd.dir, 'relay-download.bin');
    const data = crypto.randomBytes(2 * 1024 * 1024);
    fs.writeFileSync(file, data);
    const chunks = [];
    let got = 0;
    let nextDrop = 256 * 1024;
    d.onStdout = (c) => {
      chunks.push(c);
      got += c.length;
      if (got >= nextDrop && d.link && d.s.transportInfo().state === 'live') {
        nextDrop += 768 * 1024;
        d.link.drop();
      }
    };
    d.act('exec', `cat ${file}`);
    const st = await d.waitState('closed', 120000);
    assert.equal(st.exitStatus, 0);
    assert.ok(Buffer.concat(chunks).equals(data), 'downloaded bytes differ');
    assert.ok(d.reconnects >= 2, `reconnected ${d.reconnects} times; failures ${JSON.stringify(d.failures)}`);
    assert.deepEqual(d.failures, []);
    assert.ok(!links.some((l) => l.textMessage), 'the relay sent a text message');
    assert.match(d.opens[0].requestTarget, /^\/v4\/connect\?host=127\.0\.0\.1&port=\d+&dstUsername=/);
    assert.ok(d.opens.slice(1).every((o) => o.reconnect && /^\/v4\/reconnect\?sid=[^&]+&ack=\d+&packFrames=1$/.test(o.requestTarget)),
              JSON.stringify(d.opens));
  } catch (e) {
    e.message += `\nsshrelayd log:\n${relay.log().slice(-3000)}`;
    throw e;
  } finally {
    relay.stop();
  }
});

test('bulk throughput through the real sshrelayd', { timeout: 180000 }, async (t) => {
  const relay = await startRelay(t);
  if (!relay) return;
  try {
    const open = ({ requestTarget }) => openWebSocket({ host: relay.host, port: relay.port, path: requestTarget });
    const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user }, open);
    drivers.push(d);
    await measureBulk(d, 'v4, sshrelayd');
  } finally {
    relay.stop();
  }
});

test('through the real sshrelayd: /relay login and exec, and a dropped socket ends the session', { timeout: 240000 }, async (t) => {
  const relay = await startRelay(t);
  if (!relay) return;
  try {
    const origin = `http://${relay.host}:${relay.port}`;
    const links = [];
    const open = async ({ requestTarget }) => {
      const link = await openWebSocket({ host: relay.host, port: relay.port, path: requestTarget, origin, subprotocol: 'binary' });
      links.push(link);
      return link;
    };
    const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user, shape: 'relay' }, open);
    drivers.push(d);
    const t0 = performance.now();
    await d.connect();
    assert.deepEqual(d.opens.map((o) => o.requestTarget), [`/relay?host=127.0.0.1&port=${sshd.port}`]);
    await d.login(keyCredential(), { expectFingerprint: sshd.hostKeyFingerprint });
    console.log(`# timing: connect+kex+auth ${(performance.now() - t0).toFixed(0)} ms (/relay, sshrelayd)`);
    assert.equal(d.s.sessionId(), '');  // /relay has no sessions
    const r = await runExec(d, 'echo over /relay as $(whoami)');
    assert.equal(r.stdout, `over /relay as ${sshd.user}\n`);
    assert.equal(r.status, 0);
    assert.equal((await d.waitEnded()).end, 'stopped');
    assert.ok(!links.some((l) => l.textMessage), 'the relay sent a text message');

    // A second session, whose socket dies under an open shell: nothing resumes, the session is over.
    const d2 = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user, shape: 'relay' }, open);
    drivers.push(d2);
    await d2.connect();
    await d2.login(keyCredential());
    d2.act('openShell', 80, 24, 'xterm');
    await d2.waitState('open');
    d2.link.drop();
    const o = await d2.waitEnded();
    assert.equal(o.end, 'transport_lost');
    assert.match(o.detail, /cannot be resumed/);
    assert.equal(d2.opens.length, 1, 'a /relay session never reopens');
    assert.ok(!d2.transport.some((t) => t.state === 'reconnecting'), JSON.stringify(d2.transport));
    const st = await d2.waitFor((s) => s.state === 'error' || s.state === 'closed', 'libssh to see the end');
    assert.ok(st.state === 'error' || st.state === 'closed', JSON.stringify(st));
  } catch (e) {
    e.message += `\nsshrelayd log:\n${relay.log().slice(-3000)}`;
    throw e;
  } finally {
    relay.stop();
  }
});
