// The WebAssembly SSH client (docs/wasm.md), loaded once per page. web/build-site puts
// sshrelay_client.js and .wasm at the root of the site, next to index.html.
let loading = null;

export function loadSshClient() {
  loading ??= import(new URL('../sshrelay_client.js', import.meta.url).href)
    .then((m) => m.default())
    .catch((e) => {
      loading = null;
      throw new Error(`the SSH client (sshrelay_client.js / .wasm) could not be loaded: ${e.message}. ` +
                      'Serve the built site (make dev) rather than the web/ source folder.');
    });
  return loading;
}
