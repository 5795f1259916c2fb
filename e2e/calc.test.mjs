// End-to-end tests of the eBIOS calculator PWA in headless Debian Chromium,
// driven by playwright-core. Run by scripts/e2e.sh, which builds and starts a
// real server and passes:
//   EBIOS_URL         base URL of the server (http://127.0.0.1:PORT)
//   EBIOS_SERVER_PID  its process id (the offline test stops it)
//   CHROMIUM          the browser (default /usr/bin/chromium)
//   E2E_OUT           where screenshots go (default e2e/out)
// The tests run in order in one fresh browser profile: the offline test
// relies on the service worker installed by the first load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { here, OUT, TIMEOUT, openBrowser, poll, shot, waitForApp, waitForCache } from './lib.mjs';

const BASE = process.env.EBIOS_URL;
const SERVER_PID = Number(process.env.EBIOS_SERVER_PID || 0);

if (!BASE) {
  console.error('EBIOS_URL is not set: run scripts/e2e.sh, which starts a server');
  process.exit(2);
}

let browser;
let context;
const timings = {};

before(async () => {
  browser = await openBrowser();
  context = browser.context;
});

after(async () => {
  await browser?.close();
  for (const [k, v] of Object.entries(timings)) console.log(`TIMING ${k}: ${v} ms`);
});

// exited reports whether process pid is gone (or a zombie not yet reaped by
// the script that started it).
function exited(pid) {
  try { process.kill(pid, 0); } catch { return true; }
  try { return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ')')); } catch { return true; }
}

// compute types src into the Expression input, presses Enter and waits for
// the result area to show either a value or an error for src.
async function compute(page, src) {
  // A mark that a page load would wipe: see expectComputedInBrowser.
  await page.evaluate(() => { window.ebiosSamePage = true; });
  const input = page.getByLabel('Expression', { exact: true });
  await input.fill(src);
  await input.press('Enter');
  const result = page.locator('#result');
  await result.locator('.value .big output, .error .code strong').first().waitFor();
  return result;
}

// expectValue waits until the big result reads want (and the full precision
// contains full), and says what the result area showed
// when it does not.
async function expectValue(page, want, full, why) {
  const big = page.locator('#result .value .big output');
  try {
    await page.waitForFunction(
      ([w]) => document.querySelector('#result .value .big output')?.textContent.trim() === w,
      [want], { timeout: TIMEOUT });
  } catch {
    const got = await page.locator('#result').innerText().catch(() => '?');
    assert.fail(`${why}: expected result "${want}", the result area shows:\n${got}`);
  }
  assert.equal((await big.textContent()).trim(), want, why);
  const fullText = (await page.locator('#result .value dd.full').textContent()).trim();
  assert.ok(fullText.includes(full), `${why}: full precision "${fullText}" lacks ${full}`);
}

// The computation happened in the browser (wasm), not by a native form
// submission that the server prerendered: the page was not loaded again
// (the mark compute left is still there) and the history (kept only in the
// browser) lists it. The address bar then holds the share link of it.
async function expectComputedInBrowser(page, src, result) {
  assert.ok(await page.evaluate(() => window.ebiosSamePage === true),
    `the page was loaded again (${page.url()}): the form was submitted to the server, the wasm app did not handle Enter`);
  assert.equal(new URL(page.url()).searchParams.get('e'), src, `the address bar is not the share link of ${src}: ${page.url()}`);
  const item = page.locator('section.history li', { hasText: src }).first();
  await item.waitFor();
  const text = await item.innerText();
  assert.ok(text.includes(result), `history item "${text}" lacks ${result}`);
}

test('calculator computes n ± u expressions in both modes and explains errors', { timeout: 60_000 }, () => browser.run('calc', async (page) => {
  const t0 = Date.now();
  await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'first load');
  await compute(page, '(10 ± 0.5) * (20 ± 1)');
  await expectValue(page, '200 ± 14', '14.150971698084906', 'nu mode');
  timings['first load to computed result'] = Date.now() - t0;
  await expectComputedInBrowser(page, '(10 ± 0.5) * (20 ± 1)', '200 ± 14');
  await shot(page, '1-nu-result');

  // Interval mode recomputes the same expression; its display is rounded
  // outward (200 ± 20.5 shows as 200 ± 21).
  await page.locator('label[for="mode-interval"]').click();
  await expectValue(page, '200 ± 21', '20.5', 'interval mode');
  assert.equal(await page.locator('#mode-interval').isChecked(), true, 'interval radio checked');
  await shot(page, '2-interval-result');

  // A bad expression: code, category, column and a fix.
  await page.locator('label[for="mode-nu"]').click();
  const result = await compute(page, '2 ± -1');
  const err = result.locator('.error');
  await err.waitFor();
  await page.waitForFunction(() => document.querySelector('#result .error .code strong')?.textContent === 'NUCORE_001');
  const errText = await err.innerText();
  assert.match(errText, /NUCORE_001/, errText);
  assert.match(errText, /at column 5\b/, `column: ${errText}`);
  assert.match(errText, /Fix:/, `remediation: ${errText}`);
  assert.equal(await page.getByLabel('Expression', { exact: true }).getAttribute('aria-invalid'), 'true');
  await shot(page, '3-error');

  // Phone width: the same page at 390 px, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot(page, '5-phone-width');
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
  assert.deepEqual(page.errors, [], 'browser errors');
}));

// The formulas scientists type: functions and constants, powers, "+-",
// relative uncertainties, variables with correlations in gum mode, an
// interval result shown outward, scientific notation; the address bar keeps
// the share link of what is shown, and the function list is there.
test('calculator: functions, variables, gum mode, +-, outward intervals and scientific notation', { timeout: 60_000 }, () => browser.run('formulas', async (page) => {
  await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'first load');
  await page.locator('label[for="mode-nu"]').click();
  await compute(page, 'sqrt(2 +- 0.1) * sin(pi/6 ± 1%)');
  await expectValue(page, '0.707 ± 0.019', '0.707', 'functions, +- and a relative uncertainty');
  await compute(page, '-2^2 + (3 ± 0.1)**2');
  await expectValue(page, '5.00 ± 0.60', '0.6', 'powers');

  // Variables: gum mode tracks correlations; x - x is exactly 0.
  await page.locator('label[for="mode-gum"]').click();
  await compute(page, 'x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - x');
  await expectValue(page, '3.00 ± 0.66', '0.6557', 'gum mode with a correlation');
  const share = new URL(page.url());
  assert.equal(share.searchParams.get('e'), 'x = 3 ± 0.1; y = 2 ± 0.2; corr(x, y) = 0.5; x*y - x', `share link ${page.url()}`);
  assert.equal(share.searchParams.get('mode'), 'gum', `share link ${page.url()}`);
  await shot(page, '6-gum-correlated');
  await compute(page, 'x = 3 ± 0.1; x - x');
  await expectValue(page, '0', '0', 'x - x in gum mode');

  // Interval mode: a function's result shown outward: the shown intervals
  // contain every exp(x) for x in [0.9, 1.1].
  await page.locator('label[for="mode-interval"]').click();
  await compute(page, 'exp(1 ± 0.1)');
  const shown = (await page.locator('#result .value .big output').textContent()).trim();
  const [n, u] = shown.split(' ± ').map(Number);
  const [lo, hi] = (await page.locator('#result .value dd.interval').textContent()).replace(/[[\]]/g, '').split(', ').map(Number);
  for (const [a, b, what] of [[n - u, n + u, shown], [lo, hi, `[${lo}, ${hi}]`]]) {
    assert.ok(a <= Math.exp(0.9) && b >= Math.exp(1.1), `interval exp(1 ± 0.1) shows ${what}, which does not contain [e^0.9, e^1.1]`);
  }

  // Scientific notation, typeset.
  await page.locator('label[for="mode-nu"]').click();
  await compute(page, '1.23e-4 ± 2e-6');
  await page.waitForFunction(() => document.querySelector('#result .value .big output')?.textContent.trim() === '(1.230 ± 0.020)×10⁻⁴');
  await page.locator('#functions summary').click();
  await page.locator('#functions dt', { hasText: 'atan2(y, x)' }).waitFor();
  await shot(page, '7-scientific-functions');

  // A domain error is structured, with the column of the function.
  const result = await compute(page, '1 + ln(-1 ± 0.1)');
  const err = (await result.locator('.error').innerText());
  assert.match(err, /NUCORE_009/, err);
  assert.match(err, /at column 5\b/, err);
  assert.deepEqual(page.errors, [], 'browser errors');
}));

test('calculator works offline after the first load (service worker)', { timeout: 60_000 }, () => browser.run('offline', async (page) => {
  await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'online load');

  // go-app registers /app-worker.js; its install handler fills the cache
  // without waitUntil, so "activated" does not mean "cached": wait until the
  // page is controlled AND every resource the worker lists is in its cache.
  const cached = await waitForCache(page);
  console.log(`service worker controls the page; cache ${cached.cache} holds ${cached.resources.length} resources: ${cached.resources.join(' ')}`);

  // Cut the network, and stop the server too so nothing can come from it.
  await context.setOffline(true);
  const probe = await page.evaluate(() => fetch('/healthz?probe=' + Date.now(), { cache: 'no-store' })
    .then((r) => `answered ${r.status}`, (e) => `failed: ${e.message}`));
  assert.match(probe, /^failed/, `the network is cut, yet the running server ${probe}`);
  if (SERVER_PID) {
    process.kill(SERVER_PID, 'SIGTERM');
    await poll(`server ${SERVER_PID} to exit after SIGTERM`, 10_000, async () => exited(SERVER_PID));
    await assert.rejects(fetch(BASE + '/healthz'), 'the server still answers after being stopped');
  }

  page.errors.length = 0;
  const t0 = Date.now();
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'offline reload');
  await compute(page, '(1 ± 0.1) + (2 ± 0.2)');
  await expectValue(page, '3.00 ± 0.22', '0.223606797749979', 'offline nu mode');
  timings['offline reload to computed result'] = Date.now() - t0;
  await expectComputedInBrowser(page, '(1 ± 0.1) + (2 ± 0.2)', '3.00 ± 0.22');
  await shot(page, '4-offline-result');
  if (page.errors.length) console.log(`browser messages while offline (not failures): ${page.errors.join(' | ')}`);
}));
