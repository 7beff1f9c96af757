// A throwaway sshrelayd on 127.0.0.1 serving the built site: --dev (loopback targets allowed), an
// ephemeral port read back from --ready-file, the extension's origin allowed. Dies with the test
// process (spawnDaemon: killed on exit, bounded by `timeout`).
import { startRelayd } from '../../tests/wasm/lib/relayd.mjs';
import { EXTENSION_ID, relayBinary, siteDir } from './paths.mjs';

// allowLoopback: false denies loopback targets as production does (for refusal tests); --dev stays
// for its other defaults (no identity provider needed).
export function startRelay({ binary = relayBinary(), allowLoopback = true, logLevel = 'info', extraArgs = [] } = {}) {
  return startRelayd(binary, [
    '--dev', `--unsafe-allow-loopback=${allowLoopback}`, '--log-level', logLevel, '--web-root', siteDir,
    '--allowed-origins', `chrome-extension://${EXTENSION_ID}`, '--grace-seconds', '60', ...extraArgs,
  ]);
}
