// Where the e2e suite finds what it runs: the built site and extension, the relay binary, Chromium.
// Each can be overridden from the environment (the Makefile passes SSHRELAYD_PATH).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmBuild = path.join(repoRoot, 'build/wasm-release');

export const siteDir = process.env.SSHRELAY_SITE_DIR ?? path.join(wasmBuild, 'site');
export const extensionDir = process.env.SSHRELAY_EXTENSION_DIR ?? path.join(wasmBuild, 'extension');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const artifactsDir = process.env.SSHRELAY_E2E_ARTIFACTS ?? path.join(repoRoot, 'e2e/artifacts');

export function relayBinary() {
  const candidates = [process.env.SSHRELAYD_PATH,
    path.join(repoRoot, 'build/native-asan/native/sshrelayd'),
    path.join(repoRoot, 'build/native-release/native/sshrelayd')];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error('no sshrelayd binary: build one (make native-asan) or set SSHRELAYD_PATH');
  return found;
}

// The `sshrelay` CLI built with the relay (the rendezvous test runs `sshrelay create` and `tcp-dial`).
export function cliBinary() {
  const candidates = [process.env.SSHRELAY_CLI_PATH, path.join(path.dirname(relayBinary()), 'sshrelay')];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error('no sshrelay CLI next to sshrelayd: build it (make native-asan) or set SSHRELAY_CLI_PATH');
  return found;
}

// The fixed id from the `key` in extension/manifest.json.
export const EXTENSION_ID = 'ikmepbckbaofgbjjcbaklbifanigadjg';

// sshwebd, built with the relay (the SSH-Web test serves deploy/sshweb-demo with it).
export function sshwebdBinary() {
  const candidates = [process.env.SSHWEBD_PATH, path.join(path.dirname(relayBinary()), 'sshwebd')];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) throw new Error('no sshwebd next to sshrelayd: build it (make native-asan) or set SSHWEBD_PATH');
  return found;
}
