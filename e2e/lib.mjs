// Helpers shared by the end-to-end tests: the browser (Debian Chromium
// through playwright-core, fresh profile), pages that record browser errors,
// screenshots kept in E2E_OUT, and waits for the wasm app and its service
// worker.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = resolve(process.env.E2E_OUT || join(here, 'out'));
export const TIMEOUT = 20_000; // every wait on a page

// freePort returns a TCP port free on 127.0.0.1 for a server a test starts.
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}
mkdirSync(OUT, { recursive: true });

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run'];

// launchRetrying calls launch up to three times while Chromium dies during
// its start (CI once saw it crash with SIGSEGV before any page was opened).
// Only the start is retried, never a test; every retry is logged.
export async function launchRetrying(launch) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch();
    } catch (e) {
      const died = /process did exit|Browser closed|Target page, context or browser has been closed/.test(String(e?.message));
      if (!died || attempt === 3) throw e;
      console.error(`e2e: Chromium died while starting (attempt ${attempt} of 3); starting it again:\n${String(e.message).split('\n')[0]}`);
    }
  }
}

// openBrowser launches Chromium with a fresh persistent profile (service
// workers allowed unless serviceWorkers is 'block'); close() removes the
// profile.
export async function openBrowser({ serviceWorkers = 'allow' } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'ebios-e2e-chromium-'));
  const context = await launchRetrying(() => chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 900, height: 1000 },
    serviceWorkers,
    timeout: 30_000,
  }));
  context.setDefaultTimeout(TIMEOUT);
  return {
    context,
    // newPage opens a page that records browser console errors.
    async newPage() {
      const page = await context.newPage();
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
      return page;
    },
    // run runs body with a new page, keeping a screenshot of the page as it
    // was when the body failed (FAILED-name.png).
    async run(name, body) {
      const page = await this.newPage();
      try {
        await body(page);
      } catch (e) {
        await shot(page, `FAILED-${name}`).catch(() => {});
        throw e;
      } finally {
        await page.close().catch(() => {});
      }
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// poll calls fn until it returns a truthy value, or fails after ms.
export async function poll(what, ms, fn) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function shot(page, name) {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`SCREENSHOT ${path}`);
  return path;
}

// waitForApp waits until go-app has started the wasm app: app.js removes
// #app-wasm-loader once the wasm instance runs (it shows the error instead
// when loading fails).
export async function waitForApp(page, what) {
  const loader = page.locator('#app-wasm-loader');
  try {
    // The loader is in the page's HTML: absent before the page is parsed
    // (a wait started at the navigation's commit), it is not yet removed.
    await page.waitForFunction(() => document.readyState !== 'loading');
    await loader.waitFor({ state: 'detached' });
  } catch (e) {
    const label = await page.locator('#app-wasm-loader-label').textContent().catch(() => '?');
    throw new Error(`${what}: the wasm app did not start (loader says "${label}"); ` +
      `browser errors: ${page.errors.join(' | ') || 'none'}`);
  }
}

// waitForCache waits until the service worker controls the page and its
// cache holds every resource the worker lists: go-app's install handler
// fills the cache without waitUntil, so "activated" does not mean "cached".
export function waitForCache(page) {
  return poll('the service worker to control the page and cache every resource it lists', 30_000, () =>
    page.evaluate(async () => {
      if (!navigator.serviceWorker?.controller) return null;
      const src = await (await fetch('/app-worker.js', { cache: 'no-store' })).text();
      const r = src.match(/const resourcesToCache = (\[[^\]]*\])/);
      if (!r) throw new Error('no resourcesToCache in /app-worker.js');
      const want = JSON.parse(r[1]);
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        let all = true;
        for (const u of want) if (!(await cache.match(u))) { all = false; break; }
        if (all) return { cache: name, resources: want };
      }
      return null;
    }));
}

// AXE is axe-core's browser build (npm axe-core, pinned in package-lock.json).
export const AXE = join(here, 'node_modules', 'axe-core', 'axe.min.js');

// axeViolations runs axe-core over the page as it is now (WCAG 2.x A and AA
// rules and axe's best practices) and returns its serious and critical
// violations as lines: rule, impact, help and the offending elements. The
// script goes in through the DevTools protocol, which the pages' CSP (no
// inline scripts) does not govern, so the page is checked as it is served.
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const res = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    resultTypes: ['violations'],
  }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 5).map((n) => n.target.join(' ') +
      (n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ')}]` : '')).join('; ')}`);
}

// start runs a program until the test ends (it is added to procs, for the
// test to stop), waits until url answers, and returns a function that
// gives what the program printed so far.
export async function start(procs, what, cmd, args, url) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  p.on('error', (e) => { out += `cannot start ${cmd}: ${e.message}`; });
  procs.push(p);
  await poll(`${what} at ${url}`, 15_000, async () => {
    if (p.exitCode !== null) throw new Error(`${what} exited:\n${out}`);
    try { return (await fetch(url)).ok; } catch { return false; }
  });
  return () => out;
}

// apiCall calls the API at base and returns the answer (JSON, or text),
// failing the test on an error status.
export async function apiCall(base, method, path, token, body) {
  const res = await fetch(base + path, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text.startsWith('{') ? JSON.parse(text) : text;
}

// loginAndVerifyExplorer logs in as user on the site's login page, pins
// vkey in the explorer it lands on, waits until its n entries are
// re-verified, and checks that every row says so.
export async function loginAndVerifyExplorer(page, site, user, password, vkey, n) {
  await page.goto(site + '/login.html', { waitUntil: 'domcontentloaded' });
  await waitForApp(page, `login page of ${site}`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForURL(/\/explorer/, { timeout: TIMEOUT });
  await page.locator('#nav-user', { hasText: user }).waitFor({ timeout: TIMEOUT });
  await page.fill('#pinned-key', vkey);
  await page.click('#pin');
  await page.getByText(`${n} of ${n} entries on this page verified`).waitFor({ timeout: TIMEOUT });
  const rows = await page.locator('#entries tbody tr').evaluateAll((rs) => rs.map((r) => r.innerText.replace(/\s+/g, ' ')));
  assert.equal(rows.length, n, `rows: ${rows.join(' | ')}`);
  rows.forEach((r, i) => assert.match(r, /✓ verified/, `entry ${i} should be verified: ${r}`));
}
