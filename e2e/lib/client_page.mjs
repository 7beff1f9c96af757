// Drives the client page the way a person does — the form, the prompts, the keyboard — and reads what
// a person would see: the status pill, the step card, the terminal's text (through the page's own
// window.sshrelayApp, since xterm draws on a canvas-like DOM that is awkward to scrape).
import fs from 'node:fs';
import path from 'node:path';
import { artifactsDir } from './paths.mjs';

// Generous: a wait only lasts this long when what it waits for never comes, and on a loaded CI machine
// (Chromium, an ASan relay and sshd sharing two cores) one step of a login can take many seconds.
export const WAIT_MS = 60000;

export class ClientPage {
  constructor(page) {
    this.page = page;
    page.setDefaultTimeout(WAIT_MS);  // also for waits and actions given no timeout of their own
    this.consoleErrors = [];
    page.on('pageerror', (e) => this.consoleErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) this.consoleErrors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) this.consoleErrors.push(`${r.status()} ${r.url()}`); });
  }

  async open(url) {
    await this.page.goto(url);
    await this.page.getByRole('status').filter({ hasText: 'Not connected' }).waitFor({ timeout: WAIT_MS });
  }

  status() { return this.page.locator('#status'); }

  // Fills the connect form and clicks Connect. method: password | keyboard-interactive | publickey.
  async connect({ target, method = 'password', keyName, relay }) {
    const form = this.page.locator('#connect-form');
    if (relay !== undefined) await form.getByLabel('Relay', { exact: true }).fill(relay);  // not 'Relay endpoint'
    await form.getByLabel('Target').fill(target);
    await form.locator(`input[name=method][value="${method}"]`).check();
    if (keyName) {
      const select = form.locator('select[name=keyId]');
      const value = await select.locator('option').filter({ hasText: new RegExp(`^${keyName} `) }).getAttribute('value');
      await select.selectOption(value);
    }
    await form.getByRole('button', { name: 'Connect' }).click();
  }

  // Imports a private key through the "SSH keys" panel and waits until it is listed.
  async importKey(privateKey, name = 'imported key') {
    const panel = this.page.locator('#keys-panel');
    if (!(await panel.evaluate((d) => d.open))) await panel.locator('summary').click();
    const form = this.page.getByTestId('import-key');
    await form.locator('textarea').fill(privateKey);
    await form.getByLabel('Name').fill(name);
    await form.getByRole('button', { name: 'Import' }).click();
    await this.page.getByTestId('key-list').filter({ hasText: name }).waitFor({ timeout: WAIT_MS });
  }

  // The TOFU prompt: checks the fingerprint shown, then trusts it.
  async trustHostKey(expectedFingerprint) {
    const step = this.page.locator('#step');
    await step.getByRole('heading', { name: 'Unknown host key' }).waitFor({ timeout: WAIT_MS });
    const shown = (await step.getByTestId('host-fingerprint').textContent()).trim();
    if (expectedFingerprint && shown !== expectedFingerprint) {
      throw new Error(`the page shows host key ${shown}, the server's is ${expectedFingerprint}`);
    }
    await step.getByRole('button', { name: 'Trust and connect' }).click();
    return shown;
  }

  async enterPassword(password) {
    const step = this.page.locator('#step');
    const field = step.getByLabel('Password');
    await field.waitFor({ timeout: WAIT_MS });
    await field.fill(password);
    await step.getByRole('button', { name: 'Log in' }).click();
  }

  async waitConnected(timeout = WAIT_MS) {
    await this.page.locator('#status[data-kind=ok]').filter({ hasText: 'Connected' }).waitFor({ timeout });
    await this.waitForTerminal(/[$#]$/, timeout);  // the shell's prompt ends the screen's text
  }

  terminalLines() {
    return this.page.evaluate(() => window.sshrelayApp.flow?.terminal?.lines() ?? []);
  }

  async terminalText() { return (await this.terminalLines()).join('\n'); }

  // Waits until the terminal's text matches; on timeout the error shows the screen's last lines.
  async waitForTerminal(regex, timeout = WAIT_MS) {
    try {
      await this.page.waitForFunction(({ source, flags }) => {
        const lines = window.sshrelayApp.flow?.terminal?.lines() ?? [];
        return new RegExp(source, flags).test(lines.map((l) => l.trimEnd()).join('\n').trimEnd());
      }, { source: regex.source, flags: regex.flags }, { timeout, polling: 100 });
    } catch (e) {
      const text = (await this.terminalText().catch(() => '')).trimEnd().split('\n').slice(-15).join('\n');
      throw new Error(`terminal never matched ${regex} within ${timeout} ms; it shows:\n${text}`);
    }
  }

  // Types into the terminal with the keyboard (xterm's hidden textarea has the focus).
  async type(text) {
    await this.page.locator('.xterm-helper-textarea').focus();
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Enter');
  }

  stepText() { return this.page.locator('#step').innerText(); }

  async screenshot(name) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    const file = path.join(artifactsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
