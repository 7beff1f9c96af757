// The page's build (ES module, -sENVIRONMENT=web,worker) loads and works: imported in node with a stand-in
// `window` and the .wasm bytes passed in (a page fetches them next to the module), then an ed25519 key is
// made and a session logs in to a throwaway sshd and runs a command over the /relay shape (raw bytes).
// Run: node --no-experimental-fetch tests/wasm/web_module_test.mjs (ctest: wasm_web_module).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Driver } from './lib/driver.mjs';
import { tcpRawLink } from './lib/links.mjs';
import { startSshd } from './lib/sshd.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const webModule = process.env.SSHRELAY_WASM_WEB_MODULE ??
  path.resolve(here, '../../build/wasm-release/wasm/sshrelay_client.js');

let mod;
let sshd;
let tmp;

before(async () => {
  // Node reads a .js file as CommonJS outside a "type": "module" package: import a .mjs copy.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-wasm-web-'));
  const copy = path.join(tmp, 'sshrelay_client.mjs');
  fs.copyFileSync(webModule, copy);
  globalThis.window = globalThis;  // what ENVIRONMENT_IS_WEB looks for
  const { default: createSshrelayClient } = await import(pathToFileURL(copy).href);
  mod = await createSshrelayClient({ wasmBinary: fs.readFileSync(webModule.replace(/\.js$/, '.wasm')) });
  sshd = await startSshd();
});

after(() => {
  sshd?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the web build exports the same API', () => {
  for (const name of ['SshSession', 'generateEd25519', 'inspectPrivateKey', 'closeCodeMeaning']) assert.equal(typeof mod[name], 'function', name);
  assert.equal(mod.closeCodeMeaning(4502), 'the relay could not reach the target');
  const k = mod.generateEd25519('web', '');
  assert.match(k.publicKey, /^ssh-ed25519 \S+ web$/);
});

test('the web build logs in and runs a command', { timeout: 180000 }, async () => {
  const d = new Driver(mod, { host: '127.0.0.1', port: sshd.port, user: sshd.user, shape: 'relay' },
                       () => tcpRawLink(sshd.port));
  try {
    await d.connect();
    await d.login({ privateKey: sshd.userPrivateKey }, { expectFingerprint: sshd.hostKeyFingerprint });
    d.act('exec', 'echo web build ok');
    const st = await d.waitState('closed');
    assert.equal(d.stdoutText(), 'web build ok\n');
    assert.equal(st.exitStatus, 0);
  } finally {
    d.dispose();
  }
});
