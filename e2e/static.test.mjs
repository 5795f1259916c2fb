// End-to-end test of a static build (ebios static, without --api) served by
// Python's http.server, a host that maps no clean URL (/audit) to its file
// (audit.html). The site must offer no page that needs a server, link every
// page by a file the host serves, and reload every page both online and,
// after the first visit, offline from the service worker's cache.
//   EBIOS_BIN  the ebios binary (scripts/e2e.sh builds it with make build: the app embedded)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { here, openBrowser, poll, shot, waitForApp, waitForCache, freePort } from './lib.mjs';

const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));

// Every page of the offline site, its file, and what shows it is ready.
const PAGES = [
  ['/', '#expr', 'Calculator'],
  ['/calc.html', '#expr', 'Calculator'],
  ['/audit.html', '#bundle-file', 'Audit'],
];

let dir, host, hostOut = '', base, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebios-static-'));
  // From the app built into the binary (make build), in a directory without web/.
  execFileSync(EBIOS, ['static', '--out', join(dir, 'site')], { stdio: 'inherit', cwd: dir });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  host = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', join(dir, 'site')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  host.stdout.on('data', (d) => { hostOut += d; });
  host.stderr.on('data', (d) => { hostOut += d; });
  host.on('error', (e) => { hostOut += `cannot start python3: ${e.message}`; });
  await poll(`python3 -m http.server at ${base}:\n${hostOut}`, 15_000, async () => {
    try { return (await fetch(base + '/index.html')).ok; } catch { return false; }
  });
  browser = await openBrowser();
});

async function stopHost() {
  if (!host || host.exitCode !== null) return;
  const done = new Promise((r) => host.once('exit', r));
  host.kill('SIGTERM');
  await done;
}

after(async () => {
  await browser?.close();
  await stopHost();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// expectOfflineNav checks the navigation of a static site without an API:
// Calculator and Audit, linked by their files, and nothing that needs a
// server.
async function expectOfflineNav(page, where) {
  const links = await page.locator('nav.nav a').evaluateAll((as) => as.map((a) => `${a.textContent.trim()} ${a.getAttribute('href')}`));
  assert.deepEqual(links, ['Skip to content #main', 'Calculator /', 'Audit /audit.html'], `${where}: navigation ${links.join(', ')}`);
  assert.equal(await page.locator('#nav-login, #record-login, #record').count(), 0, `${where}: offers a login or the server`);
}

test('a static build without an API: no server pages, every page reloads on python3 -m http.server and offline', { timeout: 120_000 },
  () => browser.run('static', async (page) => {
    // The clean URL is what a plain static host does not serve.
    assert.equal((await fetch(base + '/audit')).status, 404, 'python3 http.server maps /audit to a file: the test host is not plain');

    await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await waitForApp(page, 'first visit');
    await expectOfflineNav(page, 'first visit');
    // A computation offers no recording on a server.
    await page.fill('#expr', '(10 ± 0.5) * (20 ± 1)');
    await page.press('#expr', 'Enter');
    await page.locator('#result .value .big output').waitFor();
    await expectOfflineNav(page, 'after a computation');
    const cached = await waitForCache(page);
    console.log(`static site: the service worker cached ${cached.resources.length} resources: ${cached.resources.join(' ')}`);

    // In-app navigation lands on the file's URL, which a reload then asks the host for.
    await page.click('nav a:text-is("Audit")');
    await page.waitForURL(base + '/audit.html');
    await page.locator(PAGES[2][1]).first().waitFor();

    for (const offline of [false, true]) {
      if (offline) { // Stop the host and cut the network: nothing can come from a server.
        await stopHost();
        await assert.rejects(fetch(base + '/index.html'), 'the host still answers after being stopped');
        await browser.context.setOffline(true);
      }
      const how = offline ? 'offline' : 'online';
      for (const [path, ready, title] of PAGES) {
        await page.goto(base + path, { waitUntil: 'domcontentloaded' });
        await waitForApp(page, `${how} reload of ${path}`);
        await page.locator(ready).first().waitFor();
        await expectOfflineNav(page, `${how} ${path}`);
        const current = await page.locator('nav a[aria-current=page]').innerText();
        assert.equal(current, title, `${how} ${path}: the navigation marks ${current}`);
        await page.reload({ waitUntil: 'domcontentloaded' });
        await waitForApp(page, `${how} second reload of ${path}`);
        await page.locator(ready).first().waitFor();
      }
    }
    await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await waitForApp(page, 'offline calculator');
    await page.fill('#expr', '(1 ± 0.1) + (2 ± 0.2)');
    await page.press('#expr', 'Enter');
    await poll('the offline result', 10_000, async () =>
      (await page.locator('#result .value .big output').textContent().catch(() => '')).trim() === '3.00 ± 0.22');
    await shot(page, 'static-offline');
    // Monte Carlo offline: the analysis worker (web/mcworker.js, wasm_exec.js
    // and web/mcworker.wasm) comes from the service worker's cache.
    await page.locator('#analysis > summary').click();
    await page.fill('#an-draws', '100000');
    await page.click('#an-run');
    await page.locator('#an-result .an-part, #an-result .error').first().waitFor({ timeout: 60_000 });
    const status = (await page.locator('#an-status').textContent()).trim();
    assert.match(status, /^Done in /, `offline Monte Carlo on the static site: ${status}`);
    assert.equal(await page.locator('#an-mc-draws').textContent(), '100,000');
    await browser.context.setOffline(false);
  }));
