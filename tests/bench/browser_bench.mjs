// Browser SSH benchmark: the page's client (wasm libssh + xterm.js) in headless Chromium, through a real
// sshrelayd, against a throwaway sshd — with native OpenSSH measured in the same run as the baseline.
// Prints figures and ratios; asserts nothing about time. Called by tests/bench/run (make bench):
//
//   node tests/bench/browser_bench.mjs --sshrelayd BUILD/native/sshrelayd [--cli BUILD/native/sshrelay] [--out DIR]
//
// Sizes (environment): BENCH_BROWSER_MIB [256] for the channel-only download, BENCH_BROWSER_TERM_MIB [64]
// for the download rendered by xterm.js, BENCH_BROWSER_LOGINS [10] timed logins per kind,
// BENCH_BROWSER_REPEAT [3] channel-only downloads in the Chromium without DevTools (median shown),
// BENCH_BROWSER_SFTP_MIB [256] for the file panel's SFTP upload and download (against native `sftp`
// through the same relay), BENCH_BROWSER_SFTP_MEMORY_MIB [1024] for the download whose page memory is
// sampled.
//
// The channel-only download is measured twice. Playwright drives the page through the DevTools
// protocol with the Network domain enabled, so Chromium copies every WebSocket frame, base64-encodes it
// and sends it to node: at bulk rates that costs more CPU than the SSH client itself. The figure a
// person gets comes from a second headless Chromium that no DevTools client attaches to, loading a
// bench page from a throwaway copy of the site; it reports through its console (stderr).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startSshd } from '../wasm/lib/sshd.mjs';
import { launchBrowser } from '../../e2e/lib/browser.mjs';
import { ClientPage } from '../../e2e/lib/client_page.mjs';
import { chromiumPath, siteDir } from '../../e2e/lib/paths.mjs';
import { startRelay } from '../../e2e/lib/relay.mjs';
import { startRelayd } from '../wasm/lib/relayd.mjs';

const MiB = 1024 * 1024;
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const channelMiB = Number(process.env.BENCH_BROWSER_MIB ?? 256);
const termMiB = Number(process.env.BENCH_BROWSER_TERM_MIB ?? 64);
const logins = Number(process.env.BENCH_BROWSER_LOGINS ?? 10);
const cleanRepeat = Number(process.env.BENCH_BROWSER_REPEAT ?? 3);
const sftpMiB = Number(process.env.BENCH_BROWSER_SFTP_MIB ?? 256);
const sftpMemoryMiB = Number(process.env.BENCH_BROWSER_SFTP_MEMORY_MIB ?? 1024);
const outDir = args.out ?? null;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const mbps = (bytes, ms) => bytes / MiB / (ms / 1000);

// Printable text, 76-character lines (base64), like a log file — what a terminal really gets.
function makeTextFile(file, mib) {
  execFileSync('bash', ['-c', `head -c ${Math.ceil(mib * MiB * 3 / 4 * 76 / 77)} /dev/urandom | base64 -w 76 | head -c ${mib * MiB} > ${file}`]);
  return fs.statSync(file).size;
}

function sshArgs(sshd, keyFile, extra = []) {
  return ['-i', keyFile, '-p', String(sshd.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', ...extra, `${sshd.user}@127.0.0.1`];
}

// Native OpenSSH: time to read `cat file` to the end (output discarded).
function nativeDownload(sshd, keyFile, file, extra = []) {
  const t0 = performance.now();
  execFileSync('ssh', [...sshArgs(sshd, keyFile, extra), `cat ${file}`], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300000 });
  return performance.now() - t0;
}

// Native OpenSSH sftp: time for one batch (`put` or `get`), as `sftp -b -` runs it.
function nativeSftp(sshd, keyFile, batch, extra = []) {
  const args = ['-b', '-', '-i', keyFile, '-P', String(sshd.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', ...extra, `${sshd.user}@127.0.0.1`];
  const t0 = performance.now();
  execFileSync('sftp', args, { input: batch, stdio: ['pipe', 'ignore', 'inherit'], timeout: 300000 });
  return performance.now() - t0;
}

// Native OpenSSH: from start to the shell's prompt on a pty.
function nativePrompt(sshd, keyFile, extra = []) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('ssh', ['-tt', ...sshArgs(sshd, keyFile, extra)], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error('native ssh: no prompt in 20 s')); }, 20000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/[#$] $/.test(out)) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
        child.stdin.end('exit\n');
      }
    });
  });
}

// The page's SSH client without the terminal: SshConnection + exec, bytes counted as they arrive in JS.
function pageChannelDownload(page, target, privateKey, command) {
  return page.evaluate(async ({ target, privateKey, command }) => {
    const { SshConnection } = await import('/client/ssh_connection.js');
    const mod = await window.sshrelayApp.loadSshClient();
    const conn = new SshConnection(mod, { relay: location.origin.replace(/^http/, 'ws'), ...target });
    let bytes = 0;
    let t0 = 0;
    const done = new Promise((resolve, reject) => {
      conn.addEventListener('output', (e) => { bytes += e.detail.length; });
      conn.addEventListener('state', (e) => {
        const st = e.detail;
        if (st.state === 'host-key') conn.act('acceptHostKey');
        else if (st.state === 'auth') conn.act('authPublicKey', privateKey, '');
        else if (st.state === 'authenticated') { t0 = performance.now(); conn.act('exec', command); }
        else if (st.state === 'closed') resolve({ bytes, ms: performance.now() - t0, exitStatus: st.exitStatus });
        else if (st.state === 'error') reject(new Error(st.message));
      });
    });
    await conn.start();
    try { return await done; } finally { conn.dispose(); }
  }, { target, privateKey, command });
}

// The page's code in the throwaway site of cleanChannelDownloads(): a warm-up, then `repeat` timed
// `cat`s, each result printed as a console line "BENCH <ms> <bytes>".
const CLEAN_PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
import { SshConnection } from '/client/ssh_connection.js';
import { loadSshClient } from '/client/wasm_client.js';
const p = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const report = (line) => console.log('BENCH ' + line);
const run = (command) => new Promise((resolve, reject) => {
  const conn = new SshConnection(mod, { relay: location.origin.replace(/^http/, 'ws'), ...p.target });
  let bytes = 0, t0 = 0;
  conn.addEventListener('output', (e) => { bytes += e.detail.length; });
  conn.addEventListener('state', (e) => {
    const st = e.detail;
    if (st.state === 'host-key') conn.act('acceptHostKey');
    else if (st.state === 'auth') conn.act('authPublicKey', p.privateKey, '');
    else if (st.state === 'authenticated') { t0 = performance.now(); conn.act('exec', command); }
    else if (st.state === 'closed') { conn.dispose(); resolve({ bytes, ms: performance.now() - t0 }); }
    else if (st.state === 'error') { conn.dispose(); reject(new Error(st.message)); }
  });
  conn.start().catch(reject);
});
const mod = await loadSshClient();
try {
  await run(p.warmup);
  for (let i = 0; i < p.repeat; i++) { const r = await run(p.command); report(r.ms + ' ' + r.bytes); }
  report('done');
} catch (e) { report('error ' + e.message); }
</script>`;

// The file panel's engine (RemoteFiles over the SSH connection's SFTP channel) in the throwaway site:
// download p.big while sampling the page's memory (JS heap + the wasm heap) every 50 ms, then upload a
// Blob of p.mib MiB to p.path and download it back into a sink that counts. Console lines:
// "BENCH up <ms> <bytes>", "BENCH down <ms> <bytes>", "BENCH mem <peak> <before> <bytes> <peak JS> <peak wasm>".
const SFTP_PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
import { SshConnection } from '/client/ssh_connection.js';
import { RemoteFiles } from '/client/remote_files.js';
import { loadSshClient } from '/client/wasm_client.js';
const p = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const report = (line) => console.log('BENCH ' + line);
const mod = await loadSshClient();
const jsHeap = () => performance.memory?.usedJSHeapSize ?? 0;
const wasmHeap = () => mod.HEAP8.buffer.byteLength;
const memory = () => jsHeap() + wasmHeap();
const counting = () => { const s = { bytes: 0, write: async (b) => { s.bytes += b.length; } }; return s; };
try {
  const conn = new SshConnection(mod, { relay: location.origin.replace(/^http/, 'ws'), ...p.target });
  await new Promise((resolve, reject) => {
    conn.addEventListener('state', (e) => {
      const st = e.detail;
      if (st.state === 'host-key') conn.act('acceptHostKey');
      else if (st.state === 'auth') conn.act('authPublicKey', p.privateKey, '');
      else if (st.state === 'authenticated') resolve();
      else if (st.state === 'error') reject(new Error(st.message));
    });
    conn.start().catch(reject);
  });
  const files = new RemoteFiles(conn);
  await files.open();
  // Memory first, before this page holds anything else (the upload's Blob, a grown wasm heap).
  const before = memory();
  let peak = before, peakJs = jsHeap(), peakWasm = wasmHeap();
  const sample = () => { peak = Math.max(peak, memory()); peakJs = Math.max(peakJs, jsHeap()); peakWasm = Math.max(peakWasm, wasmHeap()); };
  const sampler = setInterval(sample, 50);
  const big = counting();
  await files.download(p.big, big).done;
  clearInterval(sampler);
  sample();
  report('mem ' + peak + ' ' + before + ' ' + big.bytes + ' ' + peakJs + ' ' + peakWasm);
  const mib = new Uint8Array(1 << 20);
  for (let i = 0; i < mib.length; i += 65536) crypto.getRandomValues(mib.subarray(i, i + 65536));
  const blob = new Blob(Array.from({ length: p.mib }, () => mib));
  let t0 = performance.now();
  const up = await files.upload(p.path, blob).done;
  report('up ' + (performance.now() - t0) + ' ' + up);
  const sink = counting();
  t0 = performance.now();
  await files.download(p.path, sink).done;
  report('down ' + (performance.now() - t0) + ' ' + sink.bytes);
  report('done');
} catch (e) { report('error ' + e.message); }
</script>`;

// Channel-only downloads in a headless Chromium with no DevTools client (see the header): returns the
// runs' {ms, bytes}.
async function cleanChannelDownloads(relayBinary, target, privateKey, command, warmup, repeat) {
  const lines = await cleanPageRun(relayBinary, CLEAN_PAGE, { target, privateKey, command, warmup, repeat });
  return lines.filter((l) => /^[\d.]+ \d+$/.test(l)).map((l) => { const [ms, bytes] = l.split(' ').map(Number); return { ms, bytes }; });
}

// Loads `html` as bench.html in a throwaway copy of the site, served by its own sshrelayd, in a headless
// Chromium with no DevTools client; returns the page's "BENCH ..." console lines once it says "done".
async function cleanPageRun(relayBinary, html, params) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-bench-site-'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sshrelay-bench-profile-'));
  fs.cpSync(siteDir, root, { recursive: true });
  fs.writeFileSync(path.join(root, 'bench.html'), html);
  const relay = await startRelayd(relayBinary, ['--dev', '--unsafe-allow-loopback', '--log-level', 'warn', '--web-root', root]);
  const hash = encodeURIComponent(JSON.stringify(params));
  const chromium = spawn(chromiumPath, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--remote-debugging-port=0',
    `${relay.url}/bench.html#${hash}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    return await new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`clean Chromium run: no result in 600 s\n${log.slice(-2000)}`)), 600000);
      chromium.once('exit', () => { clearTimeout(timer); reject(new Error(`clean Chromium exited early:\n${log.slice(-2000)}`)); });
      chromium.stderr.on('data', (d) => {
        log += d;
        const lines = [...log.matchAll(/"BENCH ([^"]*)"/g)].map((m) => m[1]);
        const error = lines.find((l) => l.startsWith('error'));
        if (error) { clearTimeout(timer); reject(new Error(`clean Chromium run: ${error}`)); }
        if (lines.includes('done')) {
          clearTimeout(timer);
          resolve(lines);
        }
      });
    });
  } finally {
    chromium.kill();
    relay.stop();
    await new Promise((r) => setTimeout(r, 500));  // Chromium lets go of its profile
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

// The full page: `cat` in the shell, timed from the keystroke to the last byte parsed by xterm.js
// (and to the last byte received by the channel, in the same run).
function pageTerminalDownload(page, file) {
  return page.evaluate(async (file) => {
    const { conn, terminal } = window.sshrelayApp.flow;
    const marker = 'BENCH-DONE';
    const decoder = new TextDecoder();
    let tail = '';
    let received = 0;
    let tReceived = 0;
    const rendered0 = terminal.rendered;
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('terminal download did not finish in 240 s')), 240000);
      const onOutput = (e) => {
        received += e.detail.length;
        tail = (tail + decoder.decode(e.detail, { stream: true })).slice(-64);
        if (tail.includes(`${marker}\r\n`)) {
          tReceived = performance.now();
          conn.removeEventListener('output', onOutput);
          const waitParsed = () => (terminal.pending === 0 ? (clearTimeout(timer), resolve()) : setTimeout(waitParsed, 1));
          waitParsed();
        }
      };
      conn.addEventListener('output', onOutput);
      conn.write(`cat ${file}; echo ${marker.slice(0, 5)}''${marker.slice(5)}\r`);
    });
    return { received, receivedMs: tReceived - t0, rendered: terminal.rendered - rendered0, renderedMs: performance.now() - t0 };
  }, file);
}

// Click on Connect → the shell's prompt drawn by xterm.js (time measured inside the page).
async function clickToPrompt(c, target) {
  await c.page.locator('#connect-form #target').fill(target);
  await c.page.locator('#connect-form input[name=method][value=publickey]').check();
  return c.page.evaluate(() => new Promise((resolve, reject) => {
    const button = document.querySelector('#connect-form button[type=submit]');
    const t0 = performance.now();
    const deadline = t0 + 20000;
    const poll = () => {
      const lines = window.sshrelayApp.flow?.terminal?.lines() ?? [];
      if (/[#$]$/.test(lines.map((l) => l.trimEnd()).join('\n').trimEnd())) resolve(performance.now() - t0);
      else if (performance.now() > deadline) reject(new Error('no prompt within 20 s'));
      else setTimeout(poll, 1);
    };
    button.click();
    poll();
  }));
}

async function disconnect(c) {
  await c.page.getByRole('button', { name: 'Disconnect' }).click();
  await c.page.getByTestId('ended-message').waitFor();
}

function gzipSizes() {
  const group = (files) => files.reduce((acc, f) => {
    const data = fs.readFileSync(path.join(siteDir, f));
    return { raw: acc.raw + data.length, gzip: acc.gzip + zlib.gzipSync(data, { level: 9 }).length };
  }, { raw: 0, gzip: 0 });
  const own = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(siteDir, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'vendor') walk(rel); } else if (!e.name.startsWith('sshrelay_client')) own.push(rel);
    }
  };
  walk('.');
  return {
    wasm: group(['sshrelay_client.wasm']),
    wasmGlue: group(['sshrelay_client.js']),
    xterm: group(['vendor/xterm/xterm.mjs', 'vendor/xterm/addon-fit.mjs', 'vendor/xterm/xterm.css']),
    page: group(own),
  };
}

async function main() {
  if (!args.sshrelayd) throw new Error('--sshrelayd BINARY is required');
  const sshd = await startSshd({ extraConfig: 'Subsystem sftp internal-sftp' });
  const relay = await startRelay({ binary: args.sshrelayd, logLevel: 'warn' });
  const browser = await launchBrowser();
  const results = { sizes: gzipSizes() };
  try {
    const keyFile = path.join(sshd.dir, 'user_ed25519');
    const big = path.join(sshd.dir, 'bulk.txt');
    const small = path.join(sshd.dir, 'term.txt');
    const bigBytes = makeTextFile(big, channelMiB);
    const smallBytes = makeTextFile(small, termMiB);
    const target = { host: '127.0.0.1', port: sshd.port, user: sshd.user };
    const proxy = args.cli && fs.existsSync(args.cli)
      ? ['-o', `ProxyCommand=${args.cli} proxy --relay ws://127.0.0.1:${relay.port} %h %p`] : null;

    const c = new ClientPage(await browser.context.newPage());
    await c.open(relay.url);

    // Channel only (no terminal): warm-up on the small file, then the big one.
    await pageChannelDownload(c.page, target, sshd.userPrivateKey, `cat ${small}`);
    const channel = await pageChannelDownload(c.page, target, sshd.userPrivateKey, `cat ${big}`);
    if (channel.bytes !== bigBytes) throw new Error(`page received ${channel.bytes} bytes, the file has ${bigBytes}`);
    results.channel = { bytes: channel.bytes, ms: channel.ms, mbps: mbps(channel.bytes, channel.ms) };
    const clean = await cleanChannelDownloads(args.sshrelayd, target, sshd.userPrivateKey, `cat ${big}`, `cat ${small}`, cleanRepeat);
    if (clean.some((r) => r.bytes !== bigBytes)) throw new Error(`clean page received ${clean.map((r) => r.bytes)} bytes, the file has ${bigBytes}`);
    const cleanRates = clean.map((r) => mbps(r.bytes, r.ms));
    results.channelNoDevtools = { runs: cleanRates, mbps: median(cleanRates) };
    const nativeDirectMs = nativeDownload(sshd, keyFile, big);
    results.nativeDirect = { ms: nativeDirectMs, mbps: mbps(bigBytes, nativeDirectMs) };
    if (proxy) {
      const ms = nativeDownload(sshd, keyFile, big, proxy);
      results.nativeRelay = { ms, mbps: mbps(bigBytes, ms) };
    }

    // Files: the page's SFTP (upload then download of the same file), native sftp through the same relay.
    if (sftpMiB > 0) {
      const upPath = path.join(sshd.dir, 'sftp-page.bin');
      const memFile = path.join(sshd.dir, 'sftp-memory.bin');
      execFileSync('truncate', ['-s', `${sftpMemoryMiB}M`, memFile]);
      const lines = await cleanPageRun(args.sshrelayd, SFTP_PAGE, { target, privateKey: sshd.userPrivateKey, path: upPath, mib: sftpMiB, big: memFile });
      const field = (name) => lines.find((l) => l.startsWith(`${name} `)).split(' ').slice(1).map(Number);
      const [upMs, upBytes] = field('up');
      const [downMs, downBytes] = field('down');
      const [peak, before, memBytes, peakJs, peakWasm] = field('mem');
      const want = sftpMiB * MiB;
      if (upBytes !== want || downBytes !== want || memBytes !== sftpMemoryMiB * MiB) {
        throw new Error(`page SFTP moved ${upBytes}/${downBytes}/${memBytes} bytes, expected ${want}/${want}/${sftpMemoryMiB * MiB}`);
      }
      const localFile = path.join(sshd.dir, 'sftp-native.bin');
      fs.copyFileSync(upPath, localFile);
      const remoteNative = path.join(sshd.dir, 'sftp-native-up.bin');
      const native = (extra) => ({
        up: mbps(want, nativeSftp(sshd, keyFile, `put ${localFile} ${remoteNative}\n`, extra)),
        down: mbps(want, nativeSftp(sshd, keyFile, `get ${upPath} /dev/null\n`, extra)),
      });
      results.sftp = {
        page: { up: mbps(upBytes, upMs), down: mbps(downBytes, downMs) },
        memory: { peak, before, peakJs, peakWasm, mib: sftpMemoryMiB },
        nativeDirect: native([]),
        nativeRelay: proxy ? native(proxy) : null,
      };
      for (const f of [upPath, memFile, localFile, remoteNative]) fs.rmSync(f, { force: true });
    }

    // The page as a person uses it: key imported, host key trusted once, then timed logins.
    await c.importKey(sshd.userPrivateKey);
    await c.connect({ target: `${sshd.user}@127.0.0.1:${sshd.port}`, method: 'publickey', keyName: 'imported key' });
    await c.trustHostKey(sshd.hostKeyFingerprint);
    await c.waitConnected();

    const term = await pageTerminalDownload(c.page, small);
    results.terminal = {
      fileBytes: smallBytes, received: term.received, rendered: term.rendered,
      receivedMbps: mbps(term.received, term.receivedMs), renderedMbps: mbps(term.rendered, term.renderedMs), ms: term.renderedMs,
    };
    await disconnect(c);

    const targetText = `${sshd.user}@127.0.0.1:${sshd.port}`;
    const warm = [];
    for (let i = 0; i < logins; i++) {
      await c.page.getByRole('button', { name: 'New connection' }).click();
      warm.push(await clickToPrompt(c, targetText));
      await disconnect(c);
    }
    const cold = [];
    for (let i = 0; i < logins; i++) {
      await c.page.goto(`${relay.url}/?cold=${i}`);  // a fresh page: the wasm module is fetched and compiled on the click
      await c.page.getByRole('status').filter({ hasText: 'Not connected' }).waitFor();
      cold.push(await clickToPrompt(c, targetText));
      await disconnect(c);
    }
    const native = [];
    for (let i = 0; i < logins; i++) native.push(await nativePrompt(sshd, keyFile));
    results.prompt = { warm: median(warm), cold: median(cold), nativeDirect: median(native), samples: { warm, cold, native } };
    if (proxy) {
      const viaRelay = [];
      for (let i = 0; i < logins; i++) viaRelay.push(await nativePrompt(sshd, keyFile, proxy));
      results.prompt.nativeRelay = median(viaRelay);
    }
  } finally {
    await browser.close();
    relay.stop();
    sshd.stop();
  }
  print(results);
  if (outDir) {
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'browser.json'), JSON.stringify({ channelMiB, termMiB, logins, sftpMiB, ...results }, null, 2));
  }
}

function print(r) {
  const KB = (n) => `${(n / 1024).toFixed(0)} KB`;
  const row = (what, value, baseline, ratio, target) => console.log(
    `${what.padEnd(46)} ${String(value).padStart(12)} ${String(baseline).padStart(16)} ${String(ratio).padStart(7)}  ${target}`);
  console.log('\nbrowser (headless Chromium, page served and relayed by sshrelayd, loopback)');
  row('figure', 'page', 'native ssh', 'ratio', 'target');
  const base = r.nativeRelay ?? r.nativeDirect;
  const baseName = r.nativeRelay ? ' (via relay)' : ' (direct)';
  const clean = r.channelNoDevtools;
  row(`download ${channelMiB} MiB, SSH channel in JS (MB/s)`, clean.mbps.toFixed(1), `${base.mbps.toFixed(1)}${baseName}`,
    (clean.mbps / base.mbps).toFixed(2), '>= 100 MB/s');
  row(`  (runs: ${clean.runs.map((x) => x.toFixed(0)).join(', ')}; median of ${clean.runs.length})`, '', '', '', '');
  row('  the same under Playwright (DevTools Network on)', r.channel.mbps.toFixed(1), '', '', '');
  row(`download ${termMiB} MiB in the shell, received (MB/s)`, r.terminal.receivedMbps.toFixed(1), '', '', '');
  row(`download ${termMiB} MiB in the shell, rendered by xterm`, r.terminal.renderedMbps.toFixed(1), '', '', '');
  if (r.nativeRelay) row('native ssh download direct (MB/s)', '', r.nativeDirect.mbps.toFixed(1), '', '');
  if (r.sftp) {
    const f = r.sftp;
    const fbase = f.nativeRelay ?? f.nativeDirect;
    const fname = f.nativeRelay ? ' (via relay)' : ' (direct)';
    row(`SFTP download ${sftpMiB} MiB, file panel (MB/s)`, f.page.down.toFixed(1), `${fbase.down.toFixed(1)}${fname}`,
      (f.page.down / fbase.down).toFixed(2), '>= 0.8x, >= 100 MB/s');
    row(`SFTP upload ${sftpMiB} MiB, file panel (MB/s)`, f.page.up.toFixed(1), `${fbase.up.toFixed(1)}${fname}`,
      (f.page.up / fbase.up).toFixed(2), '>= 0.8x, >= 100 MB/s');
    if (f.nativeRelay) row('native sftp direct: down / up (MB/s)', '', `${f.nativeDirect.down.toFixed(1)} / ${f.nativeDirect.up.toFixed(1)}`, '', '');
    row(`page memory downloading ${f.memory.mib} MiB, peak (MiB)`, (f.memory.peak / MiB).toFixed(1), `before ${(f.memory.before / MiB).toFixed(1)}`, '', '< 100 MiB');
    row(`  JS heap / wasm heap, each at its peak (MiB)`, `${(f.memory.peakJs / MiB).toFixed(1)} / ${(f.memory.peakWasm / MiB).toFixed(1)}`, '', '', '');
  }
  const p = r.prompt;
  const pbase = p.nativeRelay ?? p.nativeDirect;
  row('click → prompt, page loaded (median ms)', p.warm.toFixed(0), `${pbase.toFixed(0)}${p.nativeRelay ? ' (via relay)' : ' (direct)'}`, (p.warm / pbase).toFixed(2), '<= 300 ms');
  row('click → prompt, fresh page load (median ms)', p.cold.toFixed(0), '', '', '');
  if (p.nativeRelay) row('native ssh → prompt direct (median ms)', '', p.nativeDirect.toFixed(0), '', '');
  const s = r.sizes;
  const total = s.wasm.gzip + s.wasmGlue.gzip + s.xterm.gzip + s.page.gzip;
  row('gzip: wasm', KB(s.wasm.gzip), `raw ${KB(s.wasm.raw)}`, '', '');
  row('gzip: wasm JS glue', KB(s.wasmGlue.gzip), `raw ${KB(s.wasmGlue.raw)}`, '', '');
  row('gzip: xterm.js + fit addon + css', KB(s.xterm.gzip), `raw ${KB(s.xterm.raw)}`, '', '');
  row('gzip: page (html, css, js)', KB(s.page.gzip), `raw ${KB(s.page.raw)}`, '', '');
  row('gzip: wasm + JS (all of it)', KB(total), '', '', '<= 250 KB');
}

main().catch((e) => { console.error(`browser bench: ${e.stack ?? e}`); process.exit(1); });
