// End-to-end test of the ledger explorer (/explorer) in headless Debian
// Chromium, against a server of its own (it must stop it, tamper with the
// ledger file on disk and start it again, which the shared server of
// scripts/e2e.sh cannot allow). The browser logs in, pins the log key, and
// must show every entry verified; after one entry is changed in the store,
// that entry must be marked failed (its signature) while the others stay
// verified up to it. A second test drives the admin pages (users, policies
// and guard events) and checks an auditor's navigation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { here, CHROMIUM, CHROMIUM_ARGS, OUT, TIMEOUT, axeViolations, freePort, launchRetrying } from './lib.mjs';

const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));
const ROOT = resolve(here, '..'); // the server serves ./web from here
const PASSWORD = 'a long e2e passphrase';

let work, port, server, serverOut = '', browser, context, profile, policyKey, signedPolicy;
const base = () => `http://127.0.0.1:${port}`;

async function startServer() {
  serverOut = '';
  // Access tokens live one minute (the shortest the server allows), so
  // that a session outliving its access token is tried.
  server = spawn(EBIOS, ['serve', '--dev', '--data-dir', work, '--listen', `127.0.0.1:${port}`,
    '--rate-limit-allowlist', '127.0.0.1', '--log-level', 'warn', '--access-ttl', '1m', '--policy-keys', policyKey], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverOut += d; });
  server.stderr.on('data', (d) => { serverOut += d; });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try { if ((await fetch(base() + '/healthz')).ok) return; } catch {}
    if (Date.now() > deadline) throw new Error('the explorer test server did not start:\n' + serverOut);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopServer() {
  if (!server || server.exitCode !== null) return;
  const done = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await done;
}

async function api(method, path, token, body) {
  const res = await fetch(base() + path, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text.startsWith('{') ? JSON.parse(text) : text;
}

const ops = []; // op ids of the logged computations, in index order
let vkey;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ebios-explorer-'));
  profile = mkdtempSync(join(tmpdir(), 'ebios-explorer-profile-'));
  port = await freePort();
  // A policy signer of this test's own: the server trusts its key, and the
  // conservative template signed with it is activated by the guard test.
  policyKey = execFileSync(EBIOS, ['key', 'generate', '--out', join(work, 'policy.key'), '--name', 'e2e.test/policy'],
    { encoding: 'utf8' }).trim().split('\n')[0];
  execFileSync(EBIOS, ['policy', 'sign', join(ROOT, 'governance/policies/conservative.json'),
    '--key', join(work, 'policy.key'), '--out', join(work, 'policy.json')]);
  signedPolicy = JSON.parse(readFileSync(join(work, 'policy.json'), 'utf8'));
  await startServer();
  const token = serverOut.match(/ebios-setup-[A-Za-z0-9_-]+/)?.[0];
  assert.ok(token, 'the server printed no setup token:\n' + serverOut);
  browser = await launchRetrying(() => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }));
  context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
  // The first admin, made in the browser with the printed setup token.
  const page = await context.newPage();
  await page.goto(base() + '/login');
  await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
  await page.locator('#setup').waitFor({ timeout: TIMEOUT });
  await page.fill('#setup-token', token);
  await page.fill('#setup-username', 'root');
  await page.fill('#setup-password', PASSWORD);
  await page.screenshot({ path: join(OUT, 'setup-first-admin.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'setup-first-admin.png'));
  await page.click('#setup-submit');
  await page.waitForURL(/\/explorer/, { timeout: TIMEOUT });
  await page.locator('#nav-user', { hasText: 'root' }).waitFor({ timeout: TIMEOUT });
  await page.close();
  // The token worked once.
  const again = await fetch(base() + '/api/v1/auth/setup', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token, username: 'mallory', password: 'another long passphrase' }) });
  assert.equal(again.status, 401, `the setup token worked twice: ${again.status} ${await again.text()}`);
  assert.deepEqual(await (await fetch(base() + '/api/v1/auth/setup')).json(), { needed: false });
  const { access_token } = await api('POST', '/auth/login', '', { username: 'root', password: PASSWORD });
  for (const e of ['(10 ± 0.5) * (20 ± 1)', 'compose(10 ± 1, 20 ± 3)', '(1 ± 0.1) + (2 ± 0.2)', '1/3', '(8 ± 0.4) / (2 ± 0.1)', 'catch(1/0)']) {
    const r = await api('POST', '/operations/execute', access_token, { operation: 'expr', expression: e });
    ops.push(r.entry.op_id);
  }
  vkey = (await api('GET', '/api/v1/ledger/key', access_token)).trim();
});

after(async () => {
  await context?.close();
  await browser?.close();
  await stopServer();
  if (work) rmSync(work, { recursive: true, force: true });
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// login logs in on the login page, which goes on to the explorer.
async function login(page, user, password) {
  await page.goto(base() + '/login');
  await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForURL(/\/explorer/, { timeout: TIMEOUT });
  await page.locator('#nav-user').waitFor({ timeout: TIMEOUT });
}

async function marks(page) {
  await page.locator('#entries[aria-busy="false"] tbody tr').first().waitFor({ timeout: TIMEOUT });
  return page.locator('#entries tbody tr').evaluateAll((rows) => rows.map((r) => r.innerText.replace(/\s+/g, ' ')));
}

test('explorer re-verifies a real server\'s entries and marks a tampered one failed', { timeout: 90_000 }, async () => {
  const page = await context.newPage();
  await page.goto(base() + '/login');
  await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
  await page.fill('#username', 'root');
  await page.fill('#password', PASSWORD);
  await page.press('#password', 'Enter');
  await page.waitForURL(/\/explorer/, { timeout: TIMEOUT });
  await page.fill('#pinned-key', vkey);
  await page.click('#pin');
  let rows = await marks(page);
  assert.equal(rows.length, ops.length, `rows: ${rows.join(' | ')}`);
  rows.forEach((r, i) => assert.match(r, /✓ verified/, `entry ${i} should be verified: ${r}`));
  await page.getByText(`${ops.length} of ${ops.length} entries on this page verified`).waitFor({ timeout: TIMEOUT });
  // The causal trace of two entries, each from its own op id link.
  for (const i of [1, 4]) {
    await page.click(`#entries a.op[data-op="${ops[i]}"]`);
    await page.locator('#trace h2', { hasText: `Causal trace of ${ops[i]}` }).waitFor({ timeout: TIMEOUT });
    await page.locator('#trace', { hasText: 'Ancestors' }).waitFor({ timeout: TIMEOUT });
    await page.click('#close-trace');
    await page.locator('#trace').waitFor({ state: 'detached', timeout: TIMEOUT });
  }
  await page.screenshot({ path: join(OUT, 'explorer-verified.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'explorer-verified.png'));

  // Tamper: change one character of entry 2's op id inside its record in
  // the ledger file (not in the op-id index key "o:<op id>"), server stopped.
  await stopServer();
  const db = join(work, 'ledger.db');
  const buf = readFileSync(db);
  const id = Buffer.from(ops[2]);
  let at = -1;
  for (let i = buf.indexOf(id); i >= 0; i = buf.indexOf(id, i + 1)) {
    if (buf.subarray(i - 2, i).toString() !== 'o:') { at = i; break; }
  }
  assert.ok(at >= 0, 'entry 2 not found in the ledger file');
  buf[at] = buf[at] === 0x30 ? 0x31 : 0x30; // '0' <-> another hex digit
  writeFileSync(db, buf);
  await startServer(); // the open-time tail check passes: only entry 2 changed

  await page.click('#reload');
  await page.locator('#entries[aria-busy="true"]').waitFor({ timeout: TIMEOUT }).catch(() => {});
  rows = await marks(page);
  assert.match(rows[0], /✓ verified/);
  assert.match(rows[1], /✓ verified/);
  assert.match(rows[2], /✗ failed/, `entry 2 must fail: ${rows[2]}`);
  assert.match(rows[2], /signature/i, `entry 2 must fail on its signature: ${rows[2]}`);
  await page.screenshot({ path: join(OUT, 'explorer-tampered.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'explorer-tampered.png'));
});

// The admin pages against the same server, as root (an admin): /users lists
// the users; changing a role and disabling a user in the page takes effect
// in the server; /policies shows that no policy is in force and the guard
// events view; an auditor's navigation has no Users link and /users tells
// them they need an administrator.
test('users and policies pages as an admin, and an auditor\'s view', { timeout: 90_000 }, async () => {
  const { access_token: admin } = await api('POST', '/auth/login', '', { username: 'root', password: PASSWORD });
  await api('POST', '/api/v1/users', admin, { username: 'olga', password: 'olga passphrase long enough', role: 'operator' });

  const page = await context.newPage(); // a new tab: its own session, so log in
  await login(page, 'root', PASSWORD);
  await page.goto(base() + '/users', { waitUntil: 'domcontentloaded' });
  await page.locator('#user-root').waitFor({ timeout: TIMEOUT });
  await page.locator('#user-olga').waitFor({ timeout: TIMEOUT });
  assert.equal(await page.locator('#role-olga').inputValue(), 'operator');
  await page.selectOption('#role-olga', 'auditor');
  await page.locator('#user-action-ok').waitFor({ timeout: TIMEOUT });
  let users = await api('GET', '/api/v1/users', admin);
  assert.equal(users.users.find((u) => u.name === 'olga')?.role, 'auditor', JSON.stringify(users));
  await page.click('#disable-olga');
  await page.locator('#enable-olga').waitFor({ timeout: TIMEOUT });
  users = await api('GET', '/api/v1/users', admin);
  assert.equal(users.users.find((u) => u.name === 'olga')?.disabled, true, JSON.stringify(users));
  await page.screenshot({ path: join(OUT, 'users-admin.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'users-admin.png'));
  await page.click('#enable-olga');
  try {
    await page.locator('#disable-olga, #user-action-error').first().waitFor({ timeout: TIMEOUT });
  } catch (e) {
    await page.screenshot({ path: join(OUT, 'FAILED-users.png'), fullPage: true });
    throw new Error(`no answer to Enable; the page shows:\n${await page.locator('main').innerText()}`);
  }
  if (await page.locator('#user-action-error').count() > 0) {
    assert.fail(`enable failed: ${await page.locator('#user-action-error').textContent()}`);
  }

  await page.click('nav a[href="/policies"]'); // in-app navigation, as a person would
  await page.locator('#no-active').waitFor({ timeout: TIMEOUT });
  await page.locator('#guard-events').waitFor({ timeout: TIMEOUT });
  await page.locator('#no-events, #event-table').first().waitFor({ timeout: TIMEOUT });
  await page.screenshot({ path: join(OUT, 'policies-admin.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'policies-admin.png'));
  assert.ok(await page.locator('nav a[href="/users"]').count() > 0, 'an admin\'s navigation links to /users');

  // Every page at phone width (360 px), as an admin with data: the
  // document is no wider than the viewport (tables scroll in their box).
  const pages = [['/', '#expr'], ['/audit', '#main'], ['/login', '#login-as'], ['/explorer', '#entries tbody tr, #pinned-key'],
    ['/policies', '#guard-events'], ['/users', 'table.users, #users-error']];
  const too = [];
  for (const [width, height] of [[360, 740], [1280, 900]]) {
    await page.setViewportSize({ width, height });
    for (const [path, ready] of pages) {
      await page.goto(base() + path, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
      await page.locator(ready).first().waitFor({ timeout: TIMEOUT });
      const w = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
      const name = `width-${width}${path === '/' ? '-calc' : path.replace('/', '-')}.png`;
      await page.screenshot({ path: join(OUT, name), fullPage: true });
      console.log('SCREENSHOT ' + join(OUT, name));
      if (w.doc > w.view) too.push(`${path} at ${width} px: the document is ${w.doc} px wide`);
    }
  }
  await page.setViewportSize({ width: 1200, height: 1000 });
  assert.deepEqual(too, [], too.join('; '));

  // olga, now an auditor, logs in: no Users link, and /users refuses her.
  await page.click('#logout');
  await login(page, 'olga', 'olga passphrase long enough');
  await page.goto(base() + '/users', { waitUntil: 'domcontentloaded' });
  await page.locator('#users-error, #need-login').first().waitFor({ timeout: TIMEOUT });
  assert.equal(await page.locator('nav a[href="/users"]').count(), 0, 'an auditor\'s navigation must not link to /users');
  await page.screenshot({ path: join(OUT, 'users-auditor.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'users-auditor.png'));
});

// Accessibility: axe-core over every page, as an admin with data and a
// policy's guard events to show, in the light and the dark theme (the app
// follows prefers-color-scheme): no serious or critical violation.
test('every page passes axe-core in both themes', { timeout: 120_000 }, async () => {
  const page = await context.newPage();
  const found = [];
  try {
    await login(page, 'root', PASSWORD);
    if (await page.locator('#pin').count() > 0) { // the explorer with its entries verified
      await page.fill('#pinned-key', vkey);
      await page.click('#pin');
    }
    await marks(page);
    const calc = '/?e=' + encodeURIComponent('(10 ± 0.5) * (20 ± 1)');
    const pages = [[calc, '#result .value'], ['/audit', '#bundle-file'], ['/login', '#login-as'],
      ['/explorer', '#entries[aria-busy="false"] tbody tr'], ['/policies', '#guard-events'], ['/users', 'table.users']];
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [path, ready] of pages) {
        await page.goto(base() + path, { waitUntil: 'domcontentloaded' });
        await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
        await page.locator(ready).first().waitFor({ timeout: TIMEOUT });
        if (path === calc) { // the calculator with its server panel filled in
          await page.locator('#record-go').click();
          await page.locator('#recorded').waitFor({ timeout: TIMEOUT });
        }
        for (const v of await axeViolations(page)) found.push(`${path} (${scheme}): ${v}`);
      }
      // The styled 404 page, and the login page of a visitor.
      await page.goto(base() + '/no-such-page');
      for (const v of await axeViolations(page)) found.push(`404 (${scheme}): ${v}`);
    }
    const visitor = await context.browser().newContext();
    try {
      const p = await visitor.newPage();
      for (const scheme of ['light', 'dark']) {
        await p.emulateMedia({ colorScheme: scheme });
        await p.goto(base() + '/login');
        await p.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
        await p.locator('#username').waitFor({ timeout: TIMEOUT });
        for (const v of await axeViolations(p)) found.push(`/login logged out (${scheme}): ${v}`);
      }
      await p.screenshot({ path: join(OUT, 'login-dark.png'), fullPage: true });
      console.log('SCREENSHOT ' + join(OUT, 'login-dark.png'));
    } finally {
      await visitor.close();
    }
    await page.screenshot({ path: join(OUT, 'notfound-dark.png'), fullPage: true });
    console.log('SCREENSHOT ' + join(OUT, 'notfound-dark.png'));
    // The check itself: an image without a text alternative is found.
    await page.goto(base() + '/audit');
    await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
    await page.evaluate(() => document.querySelector('main').append(Object.assign(document.createElement('img'), { src: '/web/icon.svg' })));
    const planted = await axeViolations(page);
    assert.ok(planted.some((v) => v.startsWith('image-alt (critical)')), `axe-core missed a planted image without alt: ${planted}`);
  } finally {
    await page.close();
  }
  assert.deepEqual(found, [], 'axe-core found serious or critical violations:\n' + found.join('\n'));
});

// A calculation through the server's policy: with the conservative policy
// in force, the calculator records 100 ± 30 on the server and shows the
// events its rules raised (relative uncertainty over 5 %: error; u over 1:
// warning), as the execute answer and the ledger entry hold them.
test('the calculator records a result on the server and shows its guard events', { timeout: 60_000 }, async () => {
  const { access_token: admin } = await api('POST', '/auth/login', '', { username: 'root', password: PASSWORD });
  await api('POST', '/api/v1/policies/activate', admin, { policy: signedPolicy });
  const page = await context.newPage();
  try {
    await login(page, 'root', PASSWORD);
    await page.click('nav a[href="/"]');
    await page.fill('#expr', '100 ± 30');
    await page.press('#expr', 'Enter');
    await page.locator('#record-go').click();
    const events = page.locator('#record-events');
    await events.waitFor({ timeout: TIMEOUT });
    const rows = await events.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.innerText.replace(/\s+/g, ' ')));
    assert.ok(rows.some((r) => /^error max_coverage .* 0\.3 0\.05$/.test(r)), rows.join(' | '));
    assert.ok(rows.some((r) => /^warning max_uncertainty .* 30 1$/.test(r)), rows.join(' | '));
    const ok = await page.locator('#record-ok').innerText();
    assert.match(ok, /The server computed 100 ± 30\. Logged as entry (\d+), op id (\S+)\./, ok);
    // The same events are in the entry the server logged.
    const [, index] = ok.match(/entry (\d+)/);
    const entry = await api('GET', `/api/v1/ledger/entries/${index}`, admin);
    assert.deepEqual((entry.guard ?? []).map((e) => `${e.level} ${e.rule}`),
      rows.map((r) => r.split(' ').slice(0, 2).join(' ')));
    await page.screenshot({ path: join(OUT, 'calc-guard-events.png'), fullPage: true });
    console.log('SCREENSHOT ' + join(OUT, 'calc-guard-events.png'));
  } finally {
    await page.close();
    await api('POST', '/api/v1/policies/deactivate', admin);
  }
});

test('logging in without a network says the server cannot be reached, and what works offline', { timeout: 60_000 }, async () => {
  const page = await context.newPage();
  await page.goto(base() + '/login');
  await page.waitForSelector('#app-wasm-loader', { state: 'detached', timeout: TIMEOUT });
  await page.fill('#username', 'root');
  await page.fill('#password', PASSWORD);
  await context.setOffline(true);
  try {
    await page.press('#password', 'Enter');
    const err = page.locator('#login-error');
    await err.waitFor({ timeout: TIMEOUT });
    const text = await err.innerText();
    assert.match(text, /Cannot reach the server/, text);
    assert.match(text, /calculator and the audit page work offline/, text);
    assert.doesNotMatch(text, /TypeError|Failed to fetch/, text);
    await page.screenshot({ path: join(OUT, 'login-offline.png'), fullPage: true });
    console.log('SCREENSHOT ' + join(OUT, 'login-offline.png'));
  } finally {
    await context.setOffline(false);
    await page.close();
  }
});

test('a session outlives its access token: the app refreshes it without a visible error', { timeout: 150_000 }, async () => {
  const page = await context.newPage();
  await login(page, 'root', PASSWORD);
  // The access token (one minute) expires; the refresh token does not.
  await new Promise((r) => setTimeout(r, 62_000));
  await page.click('nav a[href="/users"]');
  await page.locator('table.users tbody tr').first().waitFor({ timeout: TIMEOUT });
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, /AUTH_00\d|log in again/i, text);
  assert.match(await page.locator('#nav-user').innerText(), /root/);
  // A reload after that: still logged in, and the users listed.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('table.users tbody tr').first().waitFor({ timeout: TIMEOUT });
  await page.screenshot({ path: join(OUT, 'session-refreshed.png'), fullPage: true });
  console.log('SCREENSHOT ' + join(OUT, 'session-refreshed.png'));
  await page.close();
});
