// The SSH-Web demo site (deploy/sshweb-demo: its pages, its Python backend, sshwebd serving them) on
// two free loopback ports, started through the same script `make dev` uses. Dies with the test process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnDaemon } from '../../tests/wasm/lib/sshd.mjs';
import { repoRoot, sshwebdBinary } from './paths.mjs';

function waitForListener(port, child, log, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`the demo site exited (${child.exitCode}):\n${log()}`));
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listened on ${port} within ${timeoutMs} ms:\n${log()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export async function startSshWebDemo() {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'sshweb-demo-'));
  const port = await freePort();
  const backendPort = await freePort();
  let output = '';
  const child = spawnDaemon('bash', [path.join(repoRoot, 'deploy/sshweb-demo/start'), sshwebdBinary(), state, String(port), String(backendPort)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  await waitForListener(port, child, () => output);
  await waitForListener(backendPort, child, () => output);
  const hostKeyFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(state, 'host_ed25519')], { encoding: 'utf8' }).split(' ')[1];
  return {
    port,
    backendPort,
    hostKeyFingerprint,
    log: () => output,
    stop() {
      child.kill('SIGTERM');
      fs.rmSync(state, { recursive: true, force: true });
    },
  };
}
