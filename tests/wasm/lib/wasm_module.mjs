// Loads the node build of the browser client's bindings (wasm/, target sshrelay_client_node).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const modulePath =
  process.env.SSHRELAY_WASM_NODE_MODULE ??
  path.resolve(here, '../../../build/wasm-release/wasm/sshrelay_client_node.js');

export async function loadClient() {
  if (!fs.existsSync(modulePath)) {
    throw new Error(`${modulePath} does not exist: build the wasm-release preset first`);
  }
  const require = createRequire(import.meta.url);
  const create = require(modulePath);
  return create();
}
