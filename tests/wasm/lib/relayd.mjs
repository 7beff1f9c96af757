// A throwaway sshrelayd on 127.0.0.1 for the wasm tests, the e2e suite and the browser benchmark: an
// ephemeral port read back from --ready-file, output kept for failure messages, killed with the test
// process (spawnDaemon). Callers add the flags their case needs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnDaemon } from './sshd.mjs';

// Generous: an ASan sshrelayd starting on a loaded machine is slow; the bound only costs time on failure.
const READY_TIMEOUT_MS = 60000;

export async function startRelayd(binary, args) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-relayd-'));
  const ready = path.join(dir, 'ready.json');
  let log = '';
  const child = spawnDaemon(binary, ['--listen', '127.0.0.1:0', '--ready-file', ready, ...args],
                            { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (x) => { log += x; });
  child.stderr.on('data', (x) => { log += x; });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!fs.existsSync(ready)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`sshrelayd (${binary}) did not become ready:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const [host, port] = JSON.parse(fs.readFileSync(ready, 'utf8')).listen[0].split(':');
  return {
    host,
    port: Number(port),
    url: `http://${host}:${port}`,
    log: () => log,
    stop() {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
