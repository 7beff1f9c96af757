// A throwaway OpenSSH sshd on 127.0.0.1 for the tests: fresh host key and user key in a temp dir, the
// current user allowed in with the user key. As root it can also make a password-only user.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const PASSWORD_USER = 'sshrelaywasmtest';

// Daemons started by a test die with it: killed on exit (also after an uncaught exception), and
// bounded by coreutils `timeout` in case the test process itself is killed.
export const MAX_DAEMON_SECONDS = 900;
const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGTERM'); });
export function spawnDaemon(command, args, options) {
  const child = spawn('timeout', [String(MAX_DAEMON_SECONDS), command, ...args], options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs, child, log) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited (${child.exitCode}):\n${log()}`));
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port} within ${timeoutMs} ms:\n${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function keygen(file, comment) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
}

export function fingerprintOf(pubFile) {
  // "256 SHA256:xxxx comment (ED25519)"
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1];
}

// Creates (once) a local user that logs in with a password only; returns the password set now.
export function ensurePasswordUser() {
  if (!isRoot) return null;
  try {
    execFileSync('id', [PASSWORD_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', PASSWORD_USER], { stdio: 'ignore' });
  }
  const password = crypto.randomBytes(12).toString('base64url');
  execFileSync('chpasswd', [], { input: `${PASSWORD_USER}:${password}\n` });
  return password;
}

// Locks the password user again once the tests are done (it stays, for the next run).
export function lockPasswordUser() {
  if (!isRoot) return;
  try {
    execFileSync('usermod', ['-L', PASSWORD_USER], { stdio: 'ignore' });
  } catch { /* no such user */ }
}

export async function startSshd({ extraConfig = '' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-wasm-sshd-'));
  const hostKey = path.join(dir, 'host_ed25519');
  const userKey = path.join(dir, 'user_ed25519');
  keygen(hostKey, 'test-host');
  keygen(userKey, 'test-user');
  fs.copyFileSync(`${userKey}.pub`, path.join(dir, 'authorized_keys'));
  if (isRoot) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [
    extraConfig,  // first: sshd keeps the first value it reads for a keyword
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    'PidFile none',
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PrintMotd no',
    'PrintLastLog no',
    'MaxStartups 100',
    'LogLevel VERBOSE',
  ].join('\n') + '\n');
  let output = '';
  const child = spawnDaemon('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => { output += d; });
  const log = () => output.split('\n').slice(-30).join('\n');
  await waitForPort(port, 60000, child, log);  // generous: only costs time when sshd never listens
  return {
    port,
    dir,
    user: os.userInfo().username,
    userPrivateKey: fs.readFileSync(userKey, 'utf8'),
    userKeyFingerprint: fingerprintOf(`${userKey}.pub`),
    hostKeyFingerprint: fingerprintOf(`${hostKey}.pub`),
    hostKeyBase64: fs.readFileSync(`${hostKey}.pub`, 'utf8').split(' ')[1],
    log,
    // SIGTERM; the returned promise resolves once sshd has exited (callers that reuse its port await it).
    stop() {
      const exited = child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
      return exited;
    },
  };
}
