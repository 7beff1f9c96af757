// Debian's Chromium, headless, driven by playwright-core (never a downloaded browser). launchBrowser()
// for the page served by the relay, launchWithExtension() for the unpacked extension (a persistent
// context is the only way to load one).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath } from './paths.mjs';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
const VIEWPORT = { width: 1100, height: 720 };
// Playwright's default (30 s) for waits and actions given no timeout of their own; generous, since it only
// costs time when something never happens, and a loaded CI machine is slow.
export const DEFAULT_TIMEOUT_MS = 60000;

// extraArgs: more Chromium switches (e.g. --host-resolver-rules for names only a test knows).
export async function launchBrowser({ extraArgs = [] } = {}) {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: [...ARGS, ...extraArgs] });
  const context = await browser.newContext({ viewport: VIEWPORT });
  context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
  return { context, close: () => browser.close() };
}

export async function launchWithExtension(extensionDir) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, viewport: VIEWPORT,
    args: [...ARGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
  });
  context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker', { timeout: DEFAULT_TIMEOUT_MS });
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    extensionId,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
