// Key generation/import and the binding's misuse answers, checked against OpenSSH's ssh-keygen.
// Run: node --no-experimental-fetch tests/wasm/keys_test.mjs (ctest: wasm_keys).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClient } from './lib/wasm_module.mjs';
import * as v4 from './lib/v4.mjs';

const mod = await loadClient();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-wasm-keys-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function sshKeygen(args, input) {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}
function writeKey(name, text) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}
const fingerprintOfLine = (line) => {
  const file = writeKey(`pub-${Math.random()}`, `${line}\n`);
  return sshKeygen(['-l', '-E', 'sha256', '-f', file]).split(' ')[1];
};

test('generateEd25519 makes a key OpenSSH reads back', () => {
  const k = mod.generateEd25519('alice@browser', '');
  assert.equal(k.error, undefined);
  assert.match(k.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  assert.match(k.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ alice@browser$/);
  const file = writeKey('gen_ed25519', k.privateKey);
  const derived = sshKeygen(['-y', '-f', file]);
  assert.equal(derived.split(' ').slice(0, 2).join(' '), k.publicKey.split(' ').slice(0, 2).join(' '));
  assert.equal(fingerprintOfLine(k.publicKey), k.fingerprint);
  assert.match(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  // Two keys differ (the DRBG is seeded).
  assert.notEqual(mod.generateEd25519('', '').publicKey, k.publicKey.replace(/ alice@browser$/, ''));
});

test('generateEd25519 with a passphrase encrypts the key', () => {
  const k = mod.generateEd25519('', 'correct horse');
  const file = writeKey('gen_enc', k.privateKey);
  assert.throws(() => sshKeygen(['-y', '-P', 'wrong', '-f', file]));
  assert.equal(sshKeygen(['-y', '-P', 'correct horse', '-f', file]).split(' ')[1], k.publicKey.split(' ')[1]);
  assert.match(mod.inspectPrivateKey(k.privateKey, 'wrong', '').error, /could not read the private key/);
  assert.equal(mod.inspectPrivateKey(k.privateKey, 'correct horse', '').fingerprint, k.fingerprint);
});

for (const [name, args] of [
  ['ed25519', ['-t', 'ed25519']],
  ['ecdsa', ['-t', 'ecdsa', '-b', '256']],
  ['rsa (OpenSSH format)', ['-t', 'rsa', '-b', '2048']],
  ['rsa (PEM)', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']],
  ['ed25519 with passphrase', ['-t', 'ed25519', '-N', 'pw']],
]) {
  test(`inspectPrivateKey reads an ssh-keygen ${name} key`, () => {
    const file = path.join(tmp, `kg-${name.replace(/\W+/g, '_')}`);
    const passphrase = args.includes('-N') ? 'pw' : '';
    sshKeygen(['-q', ...(passphrase ? [] : ['-N', '']), '-C', 'c', '-f', file, ...args]);
    const info = mod.inspectPrivateKey(fs.readFileSync(file, 'utf8'), passphrase, 'c');
    assert.equal(info.error, undefined, info.error);
    assert.equal(info.privateKey, undefined);
    assert.equal(info.publicKey, fs.readFileSync(`${file}.pub`, 'utf8').trim());
    assert.equal(info.fingerprint, sshKeygen(['-l', '-E', 'sha256', '-f', `${file}.pub`]).split(' ')[1]);
  });
}

test('inspectPrivateKey refuses garbage', () => {
  assert.match(mod.inspectPrivateKey('not a key', '', '').error, /could not read/);
});

test('calls out of order are refused without harming the session', () => {
  const s = new mod.SshSession({ host: 'example.org', port: 22, user: 'u' });
  try {
    assert.equal(s.step().state, 'connecting');
    assert.equal(s.acceptHostKey(), false);
    assert.match(s.lastError(), /acceptHostKey\(\) in state kex/);
    assert.equal(s.authPassword('x'), false);
    assert.equal(s.openShell(80, 24, 'xterm'), false);
    assert.equal(s.write('ls\n'), false);
    assert.equal(s.transportReconnected(), false);
    assert.match(s.lastError(), /nothing to resume|without transportLost/);
    assert.equal(s.step().state, 'connecting');
    // The client banner goes out at once, as v4 DATA (the relay may get DATA before CONNECT_SUCCESS is read).
    const out = s.takeOutgoingMessages();
    assert.equal(out.length, 1);
    const f = v4.decode(out[0]);
    assert.equal(f.tag, v4.Tag.DATA);
    assert.match(Buffer.from(f.payload).toString(), /^SSH-2\.0-libssh_0\.10\.\d+\r\n$/);
  } finally {
    s.delete();
  }
});

test('v4 transport: CONNECT_SUCCESS, ACKs, and a protocol error', () => {
  const s = new mod.SshSession({ host: 'h', port: 22, user: 'u', transport: 'v4' });
  try {
    s.step();
    const banner = s.takeOutgoingMessages();
    assert.ok(s.receiveMessage(v4.encodeConnectSuccess('SID123')));
    assert.equal(s.sessionId(), 'SID123');
    assert.equal(s.step().state, 'kex');
    // The relay acknowledges the banner; DATA from the server is acknowledged by the client.
    assert.ok(s.receiveMessage(v4.encodeAck(v4.decode(banner[0]).payload.length)));
    assert.ok(s.receiveMessage(v4.encodeData(Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'))));
    s.step();
    const acks = s.takeOutgoingMessages().map(v4.decode).filter((f) => f.tag === v4.Tag.ACK);
    assert.deepEqual(acks.map((f) => f.ack), [32]);
    assert.equal(s.reconnectAck(), 32);
    const info = s.transportInfo();
    assert.equal(info.state, 'live');
    assert.equal(info.bytesReceived, 32);
    assert.ok(info.bytesAcked > 0);
    // An ACK beyond what was sent is a protocol error: the session ends in "error".
    assert.equal(s.receiveMessage(v4.encodeAck(1e9)), false);
    assert.match(s.lastError(), /exceeds/);
    const st = s.step();
    assert.equal(st.state, 'error');
    assert.match(st.message, /relay protocol error/);
  } finally {
    s.delete();
  }
});

test('v4 transport: a drop before CONNECT_SUCCESS cannot be resumed', () => {
  const s = new mod.SshSession({ host: 'h', port: 22, user: 'u' });
  try {
    s.step();
    s.transportLost();
    assert.equal(s.canResume(), false);
    assert.equal(s.transportReconnected(), false);
    assert.match(s.lastError(), /before CONNECT_SUCCESS/);
  } finally {
    s.delete();
  }
});
