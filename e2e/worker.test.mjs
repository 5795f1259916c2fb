// End-to-end test of the browser app against the Cloudflare Worker edition:
// the Worker runs locally in workerd (wasm/worker/local/cmd/workerdev:
// wrangler dev --local from wasm/worker's lock file, fresh secrets, an
// admin), with a static build of the app (ebios static --api WORKER) on
// another origin that the Worker lists in EBIOS_API_CORS_ORIGINS. In
// headless Chromium the static site logs in to the Worker, lists the
// entries it logged and re-verifies them against the pinned key through
// CORS; and the audit page verifies the Worker's export bundle and names
// the entry of a tampered copy.
//   EBIOS_BIN  the ebios binary (scripts/e2e.sh builds it with make build: the app embedded)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { here, TIMEOUT, openBrowser, poll, shot, waitForApp, freePort, start as startProcess, apiCall, loginAndVerifyExplorer } from './lib.mjs';

const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));
const ROOT = join(here, '..');
const USER = 'admin';
const PASSWORD = 'a long e2e passphrase';
const EXPRS = ['(10 ± 0.5) * (20 ± 1)', '(1 ± 0.1) + (2 ± 0.2)', '1/3', '(5 ± 0.1) - (3 ± 0.2)'];
const TAMPERED = 2;

let dir, worker, vkey, site, browser, good, bad;
const procs = [];
const ops = [];

// startWorker builds and runs workerdev and waits (building the Worker and
// installing wrangler take minutes on a cold machine) for the URL and key
// it prints.
async function startWorker(cors) {
  const bin = join(dir, 'workerdev');
  execFileSync('go', ['build', '-o', bin, './wasm/worker/local/cmd/workerdev'], { cwd: ROOT, stdio: 'inherit' });
  const p = spawn(bin, ['--cors-origins', cors, '--user', USER, '--password', PASSWORD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  await poll('workerdev to print the Worker\'s URL', 300_000, () => {
    if (p.exitCode !== null) throw new Error(`workerdev exited (${p.exitCode}):\n${out}`);
    return /EBIOS_WORKER_KEY=\S+/.test(out);
  });
  return { url: out.match(/EBIOS_WORKER_URL=(\S+)/)[1], key: out.match(/EBIOS_WORKER_KEY=(\S+)/)[1] };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebios-e2e-worker-'));
  const sitePort = await freePort();
  site = `http://127.0.0.1:${sitePort}`;
  ({ url: worker, key: vkey } = await startWorker(site));
  const call = (...args) => apiCall(worker, ...args);
  const { access_token } = await call('POST', '/api/v1/auth/login', '', { username: USER, password: PASSWORD });
  for (const e of EXPRS) {
    ops.push((await call('POST', '/api/v1/operations/execute', access_token, { operation: 'expr', expression: e })).entry.op_id);
  }
  // The Worker's export, and a copy with one entry's output changed.
  const res = await fetch(worker + '/api/v1/ledger/export', { headers: { Authorization: `Bearer ${access_token}` } });
  assert.equal(res.status, 200, 'GET /api/v1/ledger/export');
  const text = await res.text();
  assert.equal(JSON.parse(text).entries.length, EXPRS.length, 'entries in the Worker\'s export');
  good = join(dir, 'worker-bundle.json');
  writeFileSync(good, text);
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`{"index":${TAMPERED},`));
  assert.ok(i >= 0, `entry ${TAMPERED} is not on a line of its own in the export`);
  lines[i] = lines[i].replace(/"output":\{"n":(-?\d)/, (m, d) => `"output":{"n":${d === '9' ? '8' : String(Number(d) + 1)}`);
  bad = join(dir, 'worker-bundle-tampered.json');
  writeFileSync(bad, lines.join('\n'));
  // The CLI agrees with the pinned key.
  execFileSync(EBIOS, ['ledger', 'verify', good, '--key', vkey], { stdio: 'inherit' });

  execFileSync(EBIOS, ['static', '--out', join(dir, 'site'), '--api', worker], { stdio: 'inherit', cwd: dir });
  await startProcess(procs, 'python3 -m http.server', 'python3', ['-m', 'http.server', String(sitePort), '--bind', '127.0.0.1',
    '--directory', join(dir, 'site')], site + '/index.html');
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exitCode === null ? new Promise((r) => p.on('exit', r)) : null));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the static site logs in to the Worker and re-verifies its entries through CORS', { timeout: 120_000 },
  () => browser.run('worker-explorer', async (page) => {
    await loginAndVerifyExplorer(page, site, USER, PASSWORD, vkey, ops.length);
    await shot(page, 'worker-explorer');
  }));

test('the audit page verifies the Worker\'s export and names the tampered entry of a copy', { timeout: 120_000 },
  () => browser.run('worker-audit', async (page) => {
    await page.goto(site + '/audit.html', { waitUntil: 'domcontentloaded' });
    await waitForApp(page, 'audit page of the static site');
    await page.getByLabel('Log verifier key (name+hash+base64)').fill(vkey);
    await page.getByRole('button', { name: 'Pin key' }).click();
    for (const [path, want] of [[good, 'audit-ok'], [bad, 'audit-failed']]) {
      const name = path.split('/').pop();
      await page.getByLabel('Choose a bundle file').setInputFiles(path);
      await page.locator('#bundle-status .loaded', { hasText: name }).waitFor({ timeout: TIMEOUT });
      const button = page.locator('#verify');
      await poll('the Verify button to be enabled', TIMEOUT, () => button.isEnabled());
      await button.click();
      const verdict = page.locator(`#audit-result .verdict#${want}`);
      await verdict.waitFor({ timeout: TIMEOUT });
      const text = await verdict.innerText();
      if (want === 'audit-ok') assert.match(text, new RegExp(`${EXPRS.length}`), `verdict: ${text}`);
      else assert.match(text, new RegExp(`entry ${TAMPERED}\\b`), `verdict: ${text}`);
      await shot(page, want === 'audit-ok' ? 'worker-audit-ok' : 'worker-audit-failed');
    }
  }));
