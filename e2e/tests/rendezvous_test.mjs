// SSH in the browser to a machine that opened no port: `sshrelay create` mints a rendezvous session,
// `sshrelay tcp-dial` (next to the sshd) joins it with the responder's token, and the page follows the
// invitation link (session + initiator token in the fragment), logs in by key and runs a command. The
// relay is started with loopback targets denied, so it could not have dialled the sshd itself: the bytes
// went through the rendezvous. Screenshots: e2e/artifacts/rendezvous-*.png.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSshd } from '../../tests/wasm/lib/sshd.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { ClientPage, WAIT_MS } from '../lib/client_page.mjs';
import { cliBinary } from '../lib/paths.mjs';
import { startRelay } from '../lib/relay.mjs';

let sshd;
let relay;
let browser;
let dial;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-e2e-rendezvous-'));

before(async () => {
  sshd = await startSshd();
  relay = await startRelay({ allowLoopback: false });
  browser = await launchBrowser();
});
after(async () => {
  dial?.kill('SIGTERM');
  await browser?.close().catch(() => {});
  relay?.stop();
  sshd?.stop();
});

const relayWs = () => relay.url.replace(/^http/, 'ws').replace(/\/$/, '');

test('the page logs in through an invitation to an sshd reached only via tcp-dial', { timeout: 240000 }, async () => {
  const created = JSON.parse(execFileSync(cliBinary(), ['create', '--relay', relayWs(), '--ttl', '10m'], { encoding: 'utf8' }));
  assert.match(created.id, /^[A-Za-z0-9_-]{22}$/);
  const dialLog = path.join(logDir, 'tcp-dial.err');
  dial = spawn(cliBinary(), ['tcp-dial', '--relay', relayWs(), '--session', created.id, '--token', created.responder_token,
    '--target', `127.0.0.1:${sshd.port}`, '-v'], { stdio: ['ignore', 'ignore', fs.openSync(dialLog, 'w')] });

  const ctx = await browser.context.browser().newContext({ viewport: { width: 1100, height: 720 } });
  const c = new ClientPage(await ctx.newPage());
  await c.open(relay.url);
  await c.importKey(sshd.userPrivateKey, 'fixture-key');
  // The link `sshrelay create --output text` prints: the form takes the invitation, asks for the user.
  await c.page.goto(`${relay.url.replace(/\/$/, '')}/#invite=${created.id}.${created.initiator_token}`);
  const invitation = c.page.getByTestId('invitation');
  await assert.doesNotReject(async () => {
    await c.page.waitForFunction((v) => document.querySelector('#invitation').value === v, `${created.id}.${created.initiator_token}`);
  });
  await c.page.getByTestId('invitation-note').waitFor();
  await c.screenshot('rendezvous-form');
  assert.equal(await invitation.inputValue(), `${created.id}.${created.initiator_token}`);

  await c.connect({ target: sshd.user, method: 'publickey', keyName: 'fixture-key' });
  const shown = await c.trustHostKey(sshd.hostKeyFingerprint).catch(async (e) => {
    await c.screenshot('rendezvous-no-host-key');
    const step = await c.stepText().catch(() => '(no step)');
    throw new Error(`${e.message}\n--- step: ${step}\n--- tcp-dial:\n${fs.readFileSync(dialLog, 'utf8')}\n--- relay:\n${relay.log().slice(-4000)}`);
  });
  assert.equal(shown, sshd.hostKeyFingerprint, 'the key of the sshd behind the rendezvous');
  await c.waitConnected();
  await c.type('echo "behind-nat-$((6*7))"');
  await c.waitForTerminal(/^behind-nat-42$/m);
  await c.screenshot('rendezvous-connected');
  // The token left the address bar once used.
  assert.doesNotMatch(c.page.url(), /invite=/);
  assert.deepEqual(c.consoleErrors, []);

  // The relay paired the page's leg with tcp-dial's, and never dialled anything.
  const log = relay.log();
  assert.match(log, /rendezvous \S+ paired/);
  assert.doesNotMatch(log, /-> 127\.0\.0\.1:/, 'the relay dialled a target');
  await ctx.close();
});

test('a wrong invitation is refused with the relay\'s reason on the page', { timeout: 120000 }, async () => {
  const ctx = await browser.context.browser().newContext({ viewport: { width: 1100, height: 720 } });
  const c = new ClientPage(await ctx.newPage());
  await c.open(relay.url);
  await c.page.getByTestId('invitation').fill('AAAAAAAAAAAAAAAAAAAAAA BBBBBBBBBBBBBBBBBBBBBB');
  await c.connect({ target: sshd.user, method: 'password' });
  await c.page.locator('.form-error').filter({ hasText: 'no such rendezvous session' }).waitFor({ timeout: WAIT_MS });
  await c.screenshot('rendezvous-refused');
  await c.page.getByTestId('invitation').fill('not an invitation');
  await c.connect({ target: sshd.user, method: 'password' });
  await c.page.locator('.form-error').filter({ hasText: 'Check the invitation' }).waitFor();
  await ctx.close();
});

// The page's reading of invitations, through its own module: every accepted form, and a host name libssh
// accepts whatever the id holds (base64url's '_' is refused by libssh as a host name character).
test('invitations are read in every documented form and name a host libssh accepts', { timeout: 60000 }, async () => {
  const ctx = await browser.context.browser().newContext();
  const c = new ClientPage(await ctx.newPage());
  await c.open(relay.url);
  const got = await c.page.evaluate(async () => {
    const m = await import('./client/invitation.js');
    const id = 'ab_c-_d_ABCDEFGHIJKLMN';
    const token = 'tok_tok-tok_tok-tok_to';
    return {
      link: m.parseInvitation(`https://relay.example/#invite=${id}.${token}`),
      words: m.parseInvitation(`  ${id}   ${token} `),
      dotted: m.parseInvitation(`${id}.${token}`),
      json: m.parseInvitation(JSON.stringify({ id, initiator_token: token, responder_token: 'x' })),
      bad: m.parseInvitation('just-one-word'),
      empty: m.parseInvitation('   '),
      host: m.rendezvousHostName({ id, token }),
    };
  });
  const expected = { id: 'ab_c-_d_ABCDEFGHIJKLMN', token: 'tok_tok-tok_tok-tok_to' };
  for (const form of ['link', 'words', 'dotted', 'json']) assert.deepEqual(got[form], expected, form);
  assert.ok(got.bad.error);
  assert.equal(got.empty, null);
  assert.equal(got.host, 'rendezvous-abxcxxdx');
  await ctx.close();
});
