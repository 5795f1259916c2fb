// End-to-end test of the browser app on another origin than the API: a
// static build (ebios static --api URL) served by python3 -m http.server on
// one port, ebios serve on another with that origin in [api] cors_origins.
// In headless Chromium the site logs in, lists the log's entries and
// re-verifies them against the pinned key, all through CORS. The same site
// served from a third origin, which the server does not list, cannot log in
// and says the server cannot be reached.
//   EBIOS_BIN  the ebios binary (scripts/e2e.sh builds it with make build: the app embedded)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { here, TIMEOUT, openBrowser, poll, shot, waitForApp, freePort, start as startProcess, apiCall, loginAndVerifyExplorer } from './lib.mjs';

const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));
const PASSWORD = 'a long e2e passphrase';

let dir, api, browser, vkey;
const procs = [];
const ops = [];

const start = (...args) => startProcess(procs, ...args);
const call = (...args) => apiCall(api, ...args);

let site, other;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebios-crossorigin-'));
  const [apiPort, sitePort, otherPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  site = `http://127.0.0.1:${sitePort}`;
  other = `http://localhost:${otherPort}`; // another origin: another host name
  const serverOut = await start('ebios serve', EBIOS, ['serve', '--dev', '--data-dir', join(dir, 'data'),
    '--listen', `127.0.0.1:${apiPort}`, '--rate-limit-allowlist', '127.0.0.1', '--log-level', 'warn',
    '--cors-origins', site], api + '/healthz');
  // The first admin, through the API with the setup token the server printed.
  const token = serverOut().match(/ebios-setup-[A-Za-z0-9_-]+/)?.[0];
  assert.ok(token, 'the server printed no setup token:\n' + serverOut());
  await call('POST', '/api/v1/auth/setup', '', { token, username: 'root', password: PASSWORD });
  const { access_token } = await call('POST', '/api/v1/auth/login', '', { username: 'root', password: PASSWORD });
  for (const e of ['(10 ± 0.5) * (20 ± 1)', '(1 ± 0.1) + (2 ± 0.2)', '1/3']) {
    ops.push((await call('POST', '/api/v1/operations/execute', access_token, { operation: 'expr', expression: e })).entry.op_id);
  }
  vkey = (await call('GET', '/api/v1/ledger/key', access_token)).trim();

  execFileSync(EBIOS, ['static', '--out', join(dir, 'site'), '--api', api], { stdio: 'inherit', cwd: dir });
  for (const [url, port] of [[site, sitePort], [other, otherPort]]) {
    await start('python3 -m http.server', 'python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1',
      '--directory', join(dir, 'site')], url + '/index.html');
  }
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a static site on an origin the server lists logs in and re-verifies the entries through CORS', { timeout: 120_000 },
  () => browser.run('crossorigin', async (page) => {
    await loginAndVerifyExplorer(page, site, 'root', PASSWORD, vkey, ops.length);
    await shot(page, 'crossorigin-explorer');
  }));

test('the same site on an origin the server does not list cannot log in', { timeout: 60_000 },
  () => browser.run('crossorigin-refused', async (page) => {
    // The server answers the preflight of an unlisted origin without any
    // CORS header, so the browser refuses the answer.
    const pre = await fetch(api + '/api/v1/auth/login', { method: 'OPTIONS',
      headers: { Origin: other, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
    assert.equal(pre.headers.get('access-control-allow-origin'), null, `preflight from ${other} allowed`);
    await page.goto(other + '/login.html', { waitUntil: 'domcontentloaded' });
    await waitForApp(page, 'login page on the unlisted origin');
    await page.fill('#username', 'root');
    await page.fill('#password', PASSWORD);
    await page.press('#password', 'Enter');
    await page.locator('#login-error').waitFor({ timeout: TIMEOUT });
    const err = (await page.locator('#login-error').innerText()).trim();
    assert.match(err, /reach/i, `the login error on ${other}: ${err}`);
    assert.ok(err.includes(`adds ${other} to [api] cors_origins`), `the login error on ${other} does not name cors_origins: ${err}`);
    assert.equal(await page.locator('#nav-user').count(), 0, 'logged in from an unlisted origin');
    await shot(page, 'crossorigin-refused');
  }));
