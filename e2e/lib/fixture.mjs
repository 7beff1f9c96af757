// What every e2e test file starts with: a throwaway sshd (tests/wasm/lib/sshd.mjs: fresh keys, the
// current user by key, and as root a password user), a throwaway sshrelayd serving the built site, and
// headless Chromium. close() stops all three.
import { ensurePasswordUser, isRoot, lockPasswordUser, PASSWORD_USER, startSshd } from '../../tests/wasm/lib/sshd.mjs';
import { DEFAULT_TIMEOUT_MS, launchBrowser } from './browser.mjs';
import { ClientPage } from './client_page.mjs';
import { startRelay } from './relay.mjs';

export { isRoot, PASSWORD_USER };

// relayArgs: more sshrelayd options (tunnels, for one).
export async function startFixture({ sshdConfig = '', relayArgs = [] } = {}) {
  const sshd = await startSshd({ extraConfig: sshdConfig });
  const relay = await startRelay({ extraArgs: relayArgs });
  const browser = await launchBrowser();
  const password = ensurePasswordUser();
  const pages = [];
  return {
    sshd,
    relay,
    browser,
    password,
    // A fresh page (its own IndexedDB: a new browser context each time) on the relay's site.
    async newClient({ context } = {}) {
      const ctx = context ?? await browser.context.browser().newContext({ viewport: { width: 1100, height: 720 } });
      ctx.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
      const client = new ClientPage(await ctx.newPage());
      pages.push(ctx);
      await client.open(relay.url);
      return client;
    },
    async close() {
      for (const ctx of pages) await ctx.close().catch(() => {});
      await browser.close().catch(() => {});
      relay.stop();
      sshd.stop();
      lockPasswordUser();
    },
  };
}

// "user@127.0.0.1:port" for the fixture's sshd.
export const targetOf = (sshd, user = sshd.user) => `${user}@127.0.0.1:${sshd.port}`;
