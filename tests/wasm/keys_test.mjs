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
    s.start(0);
    const open = s.takeOpen();
    assert.deepEqual(open, { requestTarget: '/v4/connect?host=example.org&port=22&dstUsername=u&packFrames=1', reconnect: false,
                             attempt: 0, credentialsRefused: false });
    assert.equal(s.takeOpen(), null);  // once
    assert.equal(s.step().state, 'connecting');
    assert.equal(s.acceptHostKey(), false);
    assert.match(s.lastError(), /acceptHostKey\(\) in state kex/);
    assert.equal(s.authPassword('x'), false);
    assert.equal(s.openShell(80, 24, 'xterm'), false);
    assert.equal(s.write('ls\n'), false);
    assert.deepEqual(s.takeOutgoingMessages(1), []);  // nothing while no socket is open
    s.openSucceeded(2);
    const st = s.step();
    assert.equal(st.state, 'connecting');  // no CONNECT_SUCCESS yet
    assert.equal(st.transport, 'connecting');
    // The client banner goes out at once, as v4 DATA (the relay may get DATA before CONNECT_SUCCESS is read).
    const out = s.takeOutgoingMessages(3);
    assert.equal(out.length, 1);
    const f = v4.decode(out[0]);
    assert.equal(f.tag, v4.Tag.DATA);
    assert.match(Buffer.from(f.payload).toString(), /^SSH-2\.0-libssh_0\.10\.\d+\r\n$/);
    assert.equal(s.outcome(), null);
  } finally {
    s.delete();
  }
});

// A v4 session up to CONNECT_SUCCESS, at time `t`.
function connectedV4(options = {}, t = 0) {
  const s = new mod.SshSession({ host: 'h', port: 22, user: 'u', shape: 'v4', seed: 7, ...options });
  s.start(t);
  const open = s.takeOpen();
  s.openSucceeded(t);
  s.step();
  const banner = s.takeOutgoingMessages(t);
  assert.ok(s.receiveMessage(v4.encodeConnectSuccess('SID123'), true, t));
  return { s, open, banner };
}

test('v4 transport: CONNECT_SUCCESS, ACKs, and a protocol error', () => {
  const { s, banner } = connectedV4();
  try {
    assert.equal(s.sessionId(), 'SID123');
    assert.deepEqual(s.nextEvent(), { type: 'connected', sessionId: 'SID123' });
    assert.equal(s.nextEvent(), null);
    const st0 = s.step();
    assert.equal(st0.state, 'kex');
    assert.equal(st0.transport, 'live');
    // The relay acknowledges the banner; DATA from the server is acknowledged by the client.
    assert.ok(s.receiveMessage(v4.encodeAck(v4.decode(banner[0]).payload.length), true, 1));
    assert.ok(s.receiveMessage(v4.encodeData(Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n')), true, 2));
    s.step();
    const acks = s.takeOutgoingMessages(3).map(v4.decode).filter((f) => f.tag === v4.Tag.ACK);
    assert.deepEqual(acks.map((f) => f.ack), [32]);
    const info = s.transportInfo();
    assert.equal(info.mode, 'v4');
    assert.equal(info.state, 'live');
    assert.equal(info.sessionId, 'SID123');
    assert.equal(info.bytesReceived, 32);
    assert.ok(info.bytesAcked > 0);
    // An ACK beyond what was sent is a protocol error: the session ends in "error", with a close frame.
    assert.equal(s.receiveMessage(v4.encodeAck(1e9), true, 4), false);
    assert.match(s.lastError(), /exceeds/);
    const st = s.step();
    assert.equal(st.state, 'error');
    assert.match(st.message, /relay protocol error/);
    assert.equal(s.outcome().end, 'protocol_error');
    assert.equal(s.takeClose().code, 1002);
    assert.equal(s.takeClose(), null);
  } finally {
    s.delete();
  }
});

test('v4 transport: a text message is a protocol error', () => {
  const { s } = connectedV4();
  try {
    assert.equal(s.receiveMessage('hello', false, 1), false);
    assert.equal(s.outcome().end, 'protocol_error');
    assert.equal(s.step().state, 'error');
  } finally {
    s.delete();
  }
});

test('v4 transport: a drop before CONNECT_SUCCESS cannot be resumed', () => {
  const s = new mod.SshSession({ host: 'h', port: 22, user: 'u' });
  try {
    s.start(0);
    s.takeOpen();
    s.openSucceeded(1);
    s.step();
    s.transportLost('reset', 2);
    assert.equal(s.takeOpen(), null);
    const o = s.outcome();
    assert.equal(o.end, 'lost_before_connect');
    assert.equal(o.detail, 'reset');
    assert.equal(s.transportInfo().state, 'ended');
  } finally {
    s.delete();
  }
});

test('v4 transport: the core reconnects on its own schedule, then gives up at the budget', () => {
  const { s } = connectedV4({ reconnectBudgetMs: 3000, pathPrefix: '/pfx' }, 0);
  try {
    s.nextEvent();
    assert.ok(s.receiveMessage(v4.encodeData(Buffer.from('SSH-2.0-x\r\n')), true, 10));
    s.transportLost('cut', 100);
    const dropped = s.nextEvent();
    assert.equal(dropped.type, 'dropped');
    assert.equal(dropped.resumeAck, 11);
    assert.equal(s.takeOpen(), null);  // not yet: the policy waits first
    let t = s.nextDeadline();
    assert.ok(t > 100 && t <= 200, `first attempt at ${t}`);
    s.onTimeout(t);
    const open = s.takeOpen();
    assert.equal(open.requestTarget, '/pfx/v4/reconnect?sid=SID123&ack=11&packFrames=1');
    assert.equal(open.reconnect, true);
    assert.equal(open.attempt, 1);
    assert.equal(s.transportInfo().state, 'reconnecting');
    // Every attempt fails: an attemptFailed event each, waits growing, until the budget is spent.
    let failures = 0;
    for (let i = 0; i < 100 && !s.outcome(); i++) {
      s.openFailed('refused', t);
      for (let ev = s.nextEvent(); ev; ev = s.nextEvent()) if (ev.type === 'attemptFailed') failures++;
      if (s.outcome()) break;
      t = s.nextDeadline();
      s.onTimeout(t);
      assert.ok(s.takeOpen().reconnect);
    }
    const o = s.outcome();
    assert.equal(o.end, 'gave_up');
    assert.match(o.detail, /gave up after \d+ attempts/);
    assert.ok(failures >= 3, `${failures} failed attempts`);
    assert.ok(t <= 100 + 3000 + 1, `last attempt at ${t}`);
    assert.equal(s.nextDeadline(), null);
  } finally {
    s.delete();
  }
});

test('v4 transport: RECONNECT_SUCCESS resumes and retransmits', () => {
  const { s, banner } = connectedV4();
  try {
    const bannerLength = v4.decode(banner[0]).payload.length;
    s.transportLost('cut', 50);
    s.onTimeout(s.nextDeadline());
    assert.equal(s.takeOpen().requestTarget, '/v4/reconnect?sid=SID123&ack=0&packFrames=1');
    s.openSucceeded(300);
    assert.deepEqual(s.takeOutgoingMessages(300), []);  // nothing before RECONNECT_SUCCESS
    assert.ok(s.receiveMessage(v4.encodeReconnectSuccess(0), true, 310));  // the relay had nothing
    const again = s.takeOutgoingMessages(311).map(v4.decode);
    assert.equal(again.length, 1);
    assert.equal(again[0].payload.length, bannerLength);  // the banner, retransmitted
    const events = [];
    for (let ev = s.nextEvent(); ev; ev = s.nextEvent()) events.push(ev.type);
    assert.deepEqual(events, ['connected', 'dropped', 'resumed']);
    assert.equal(s.transportInfo().resumes, 1);
    assert.equal(s.transportInfo().state, 'live');
  } finally {
    s.delete();
  }
});

test('v4 transport: no answer to an open within helloTimeoutMs abandons it', () => {
  const s = new mod.SshSession({ host: 'h', port: 22, user: 'u', helloTimeoutMs: 1000 });
  try {
    s.start(0);
    s.takeOpen();
    assert.equal(s.nextDeadline(), 1000);
    s.onTimeout(1000);
    assert.equal(s.takeAbandon(), true);
    assert.equal(s.takeAbandon(), false);
    assert.equal(s.outcome().end, 'unreachable');
    assert.match(s.outcome().detail, /no answer from the relay/);
  } finally {
    s.delete();
  }
});

test('v4 transport: a close frame ends the session with core\'s meaning of the code', () => {
  const { s } = connectedV4();
  try {
    s.relayClosed(4502, 'dial tcp: connection refused', 5);
    assert.equal(s.takeOpen(), null);  // a close frame is final: no reconnect
    assert.deepEqual(s.outcome(), {
      end: 'closed_by_relay', closeCode: 4502, closeReason: 'dial tcp: connection refused', httpStatus: 0, detail: '',
      meaning: 'the relay could not reach the target',
    });
    assert.equal(mod.closeCodeMeaning(4403), 'the relay refused the connection: this origin or target is not allowed');
    assert.equal(mod.closeCodeMeaning(4999), '');
  } finally {
    s.delete();
  }
});

test('/relay shape: raw bytes both ways, and a lost socket ends the session', () => {
  const s = new mod.SshSession({ host: 'h', port: 2222, user: 'u', shape: 'relay' });
  try {
    s.start(0);
    assert.deepEqual(s.takeOpen(), { requestTarget: '/relay?host=h&port=2222', reconnect: false, attempt: 0,
                                     credentialsRefused: false });
    s.openSucceeded(1);
    assert.deepEqual(s.nextEvent(), { type: 'connected', sessionId: '' });
    let st = s.step();
    assert.equal(st.state, 'kex');  // the upgrade is the relay's answer
    const out = s.takeOutgoingMessages(2);
    assert.equal(out.length, 1);
    assert.match(Buffer.from(out[0]).toString(), /^SSH-2\.0-libssh_0\.10\.\d+\r\n$/);  // no framing
    assert.ok(s.receiveMessage(Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n'), true, 3));
    assert.equal(s.transportInfo().bytesReceived, 23);
    assert.equal(s.transportInfo().mode, 'relay');
    s.transportLost('reset', 4);
    assert.equal(s.takeOpen(), null);
    assert.equal(s.nextDeadline(), null);
    assert.equal(s.outcome().end, 'transport_lost');
    assert.match(s.outcome().detail, /cannot be resumed/);
    st = s.step();
    assert.notEqual(st.state, 'kex');  // libssh saw the end
  } finally {
    s.delete();
  }
});
