// The page: wires the connect form, the key manager and one SessionFlow at a time. The same files run
// served by sshrelayd (relay = the page's origin) and as the extension's page (relay typed once and
// remembered, since the page's origin is the extension).
import { loadSshClient } from './client/wasm_client.js';
import { listKeys } from './client/key_store.js';
import { rememberTarget, recentTargets } from './client/recent_targets.js';
import { pageRelay } from './client/relay_url.js';
import { targetFromHash } from './client/target.js';
import { invitationFromHash } from './client/invitation.js';
import { ConnectForm } from './ui/connect_form.js';
import { byId, h } from './ui/dom.js';
import { FilePanel } from './ui/file_panel.js';
import { KeyManager } from './ui/key_manager.js';
import { SharePanel } from './ui/share_panel.js';
import { SessionFlow } from './ui/session_flow.js';
import { StatusBar } from './ui/status_bar.js';
import { StepPanel } from './ui/step_panel.js';

const RELAY_STORAGE_KEY = 'sshrelay.relay';
const isExtension = location.protocol === 'chrome-extension:';

// Tests and the benchmark look at the running flow through this (window.sshrelayApp.flow).
const app = { flow: null, loadSshClient };
window.sshrelayApp = app;

const status = new StatusBar(byId('status'), byId('session-label'));
const connectScreen = byId('connect-screen');
const terminalScreen = byId('terminal-screen');
const endedBanner = byId('ended-banner');
const disconnectButton = byId('disconnect');
const filesToggle = byId('files-toggle');
const filesPanel = byId('files-panel');
const shareToggle = byId('share-toggle');
const sharePanel = byId('share-panel');

const screens = {
  showForm() {
    terminalScreen.hidden = true;
    connectScreen.hidden = false;
    disconnectButton.hidden = true;
    steps.hide();
    byId('connect-form').hidden = false;
  },
  showTerminal() {
    connectScreen.hidden = true;
    terminalScreen.hidden = false;
    byId('terminal').hidden = false;
    byId('site-view').hidden = true;
    endedBanner.hidden = true;
    disconnectButton.hidden = false;
  },
  // An SSH-Web site (sshweb://) in place of the terminal.
  showSite() {
    this.showTerminal();
    byId('terminal').hidden = true;
    byId('site-view').hidden = false;
  },
  reconnecting(on) { byId('reconnecting').hidden = !on; },
};

const steps = new StepPanel(byId('step'), { onCancel: () => { app.flow?.disconnect(); screens.showForm(); } });

const form = new ConnectForm(byId('connect-form'), {
  defaultRelay: isExtension ? (localStorage.getItem(RELAY_STORAGE_KEY) ?? '') : pageRelay(location),
  onConnect: (request) => connect(request),
});

const keyManager = new KeyManager(byId('key-manager'), {
  loadModule: loadSshClient,
  onChange: async (newId) => form.setKeys(await listKeys(), newId),
});

// The file panel of the current connection, made when it is first shown.
function toggleFiles(show = filesPanel.hidden) {
  const flow = app.flow;
  if (!flow?.conn) return;
  filesPanel.hidden = !show;
  filesToggle.setAttribute('aria-pressed', String(show));
  if (show && !app.files) {
    app.files = new FilePanel(filesPanel, flow.conn, flow.request.target);
    app.files.open();
  }
}

function closeFiles() {
  app.files?.dispose();
  app.files = null;
  filesPanel.replaceChildren();
  filesPanel.hidden = true;
  filesToggle.hidden = true;
  filesToggle.setAttribute('aria-pressed', 'false');
}

// The "Share a port" panel of the current connection, made when it is first shown.
function toggleShare(show = sharePanel.hidden) {
  const flow = app.flow;
  if (!flow?.conn) return;
  sharePanel.hidden = !show;
  shareToggle.setAttribute('aria-pressed', String(show));
  if (show && !app.share) app.share = new SharePanel(sharePanel, flow.conn);
  if (show) app.share.focus();
}

function closeShare() {
  app.share?.dispose();
  app.share = null;
  sharePanel.replaceChildren();
  sharePanel.hidden = true;
  shareToggle.hidden = true;
  shareToggle.setAttribute('aria-pressed', 'false');
}

async function connect(request) {
  app.flow?.dispose();
  app.flow = null;
  closeFiles();
  closeShare();
  let mod;
  try {
    mod = await loadSshClient();
  } catch (e) {
    form.showError('The SSH client did not load', e.message);
    return;
  }
  if (isExtension) localStorage.setItem(RELAY_STORAGE_KEY, request.relayText);
  // The deep link of this connection: ?shape=relay for the plain /relay endpoint, then #user@host:port.
  const query = new URLSearchParams(location.search);
  if (request.shape === 'relay') query.set('shape', 'relay'); else query.delete('shape');
  const search = query.toString();
  // An invitation's token stays out of the address bar and the history once used.
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}${request.invitation ? '' : `#${request.targetText}`}`);
  byId('connect-form').hidden = true;
  disconnectButton.hidden = false;
  const flow = new SessionFlow(mod, request, { steps, status, screens, terminalEl: byId('terminal'), siteEl: byId('site-view') });
  app.flow = flow;
  // A site's connection runs only the site's commands: no files, no shared ports.
  flow.addEventListener('connected', (e) => { if (!e.detail?.site) { filesToggle.hidden = false; shareToggle.hidden = false; } });
  if (!request.invitation) flow.addEventListener('connected', () => rememberTarget({
    target: request.targetText, method: flow.request.method, keyId: flow.usedKeyId,
    relay: isExtension ? request.relayText : undefined, shape: request.shape === 'relay' ? 'relay' : undefined,
  }));
  flow.addEventListener('finished', (e) => finished(flow, request, e.detail));
  await flow.start();
}

function finished(flow, request, { message, kind }) {
  if (app.flow !== flow) return;
  disconnectButton.hidden = true;
  filesToggle.hidden = true;
  shareToggle.hidden = true;
  if (kind === 'host-key-changed') return;
  if ((flow.terminal || flow.siteView) && message) {
    // The terminal stays readable; the banner offers the way on.
    endedBanner.replaceChildren(
      h('span', { class: kind === 'error' ? 'ended-error' : '', 'data-testid': 'ended-message' },
        message.headline, message.detail ? ` — ${message.detail}` : ''),
      h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => connect({ ...request, method: flow.request.method, keyId: flow.usedKeyId }) }, 'Reconnect'),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => { form.renderRecent(); screens.showForm(); } }, 'New connection'));
    endedBanner.hidden = false;
    return;
  }
  form.renderRecent();
  screens.showForm();
  if (message) {
    if (kind === 'info') status.show('idle', 'Not connected');
    form.showError(message.headline, message.detail);
    form.error.classList.toggle('info', kind === 'info');
  }
}

disconnectButton.addEventListener('click', () => app.flow?.disconnect());
filesToggle.addEventListener('click', () => toggleFiles());
shareToggle.addEventListener('click', () => toggleShare());

// Deep links: /#user@host:port fills the form (with what was used last time for it) and connects;
// /?shape=relay#user@host:port does so through the plain /relay endpoint (no resume).
// /#invite=SESSION.TOKEN (the link `sshrelay create --output text` prints) fills the invitation and asks
// for the user name.
function followHash() {
  const invitation = invitationFromHash(location.hash);
  if (invitation) {
    form.setInvitation(invitation);
    byId('target').focus();
    return;
  }
  const target = targetFromHash(location.hash);
  if (!target || app.flow?.conn && !app.flow.conn.finished) return;
  const entry = recentTargets().find((r) => r.target === target) ?? { target };
  form.fill({ ...entry, shape: new URLSearchParams(location.search).get('shape') === 'relay' ? 'relay' : 'v4' });
  form.submit();
}
window.addEventListener('hashchange', followHash);

byId('secure-shell').hidden = isExtension;
byId('relay-row').classList.toggle('emphasis', isExtension);
document.body.classList.toggle('in-extension', isExtension);
byId('secure-shell-options').textContent =
  `--proxy-host=${location.hostname} --proxy-port=${location.port || (location.protocol === 'https:' ? '443' : '80')} ` +
  `--proxy-mode=corp-relay-v4@google.com --relay-protocol=v2 --resume-connection ${location.protocol === 'https:' ? '--use-ssl' : '--no-use-ssl'}`;

status.show('idle', 'Not connected');
form.setKeys(await keyManager.refresh());
followHash();
