// End-to-end test of the calculator's Analysis panel (budget, expanded
// uncertainty, Monte Carlo in a Web Worker) in headless Debian Chromium,
// against a server of its own (it logs in to the API, and its offline test
// stops the server). Run by scripts/e2e.sh, which builds bin/ebios,
// web/app.wasm and web/mcworker.wasm and passes:
//   EBIOS_BIN  the ebios binary (also run here, for `ebios calc --json`)
//   CHROMIUM   the browser (default /usr/bin/chromium)
//   E2E_OUT    where screenshots go (default e2e/out)
// MC_BENCH_RUNS (default 3) is how many times the 10^6-draw run of the
// 5-input formula is timed; the TIMING lines go to docs/benchmarks.md.
// The tests run in order in one fresh browser profile: the offline test
// relies on the service worker installed by the first load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { here, TIMEOUT, openBrowser, poll, shot, waitForApp, waitForCache, axeViolations, freePort } from './lib.mjs';

const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));
const ROOT = resolve(here, '..'); // the server serves ./web from here
const PASSWORD = 'a long e2e passphrase';
const BENCH_RUNS = Number(process.env.MC_BENCH_RUNS || 3);

// The 5-input formula of core/expr's BenchmarkMonteCarlo5 (two correlated
// normals, a uniform, a triangular and a t input), timed here in the
// browser's worker as it is natively and under node (docs/benchmarks.md).
const BENCH = 'a = 1.2 ± 0.1; b = 3 ± 0.2; corr(a, b) = 0.4; c = 0.5 ± 0.05 uniform; d = 2 ± 0.1 triangular; ' +
  'f = 10 ± 0.3 t(9); a * b^2 / d + exp(c) - sqrt(f)';

// Five inputs, five distributions, a model curved enough that the
// first-order interval fails GUM-S1 §8's validation.
const FIVE = 'a = 1.2 ± 0.1 uniform; b = 3 ± 0.2 t(8); c = 2 ± 0.05 triangular; d = uniform(0.9, 1.1); f = 0.5 ± 0.02; a * b^2 / c + d * f';

let work, port, server, serverOut = '', browser, token;
const timings = {};
const base = () => `http://127.0.0.1:${port}`;

async function startServer() {
  server = spawn(EBIOS, ['serve', '--dev', '--data-dir', work, '--listen', `127.0.0.1:${port}`,
    '--rate-limit-allowlist', '127.0.0.1', '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverOut += d; });
  server.stderr.on('data', (d) => { serverOut += d; });
  await poll('the analysis test server to answer /healthz:\n' + serverOut, 15_000, async () => {
    try { return (await fetch(base() + '/healthz')).ok; } catch { return false; }
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null) return;
  const done = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await done;
}

async function api(method, path, body) {
  const res = await fetch(base() + path, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ebios-analysis-'));
  port = await freePort();
  await startServer();
  const setup = serverOut.match(/ebios-setup-[A-Za-z0-9_-]+/)?.[0];
  assert.ok(setup, 'the server printed no setup token:\n' + serverOut);
  await api('POST', '/api/v1/auth/setup', { token: setup, username: 'root', password: PASSWORD });
  token = (await api('POST', '/api/v1/auth/login', { username: 'root', password: PASSWORD })).access_token;
  assert.ok(token, 'no access token');
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await stopServer();
  if (work) rmSync(work, { recursive: true, force: true });
  for (const [k, v] of Object.entries(timings)) console.log(`TIMING ${k}: ${v}`);
});

// open loads the calculator with src in mode and opens the Analysis panel.
async function open(page, src, mode = 'gum') {
  await page.goto(`${base()}/?mode=${mode}&e=${encodeURIComponent(src)}`, { waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'calculator');
  await page.locator('#result .value .big output').waitFor();
  await page.locator('#analysis > summary').click();
  await page.locator('#an-run').waitFor({ state: 'visible' });
}

// run sets the draws and seed (when given), presses Run analysis and
// waits until the panel shows a result or an error; it returns the status.
async function run(page, { draws, seed } = {}) {
  if (draws !== undefined) await page.fill('#an-draws', String(draws));
  if (seed !== undefined) await page.fill('#an-seed', String(seed));
  await page.click('#an-run');
  await page.locator('#an-result .an-part, #an-result .error').first().waitFor({ timeout: 120_000 });
  // The deterministic parts (budget, expanded uncertainty) can show while
  // the Monte Carlo part still runs: the run ends when the status does.
  const status = page.locator('#an-status');
  await poll('the run to end', 120_000, async () => !/^Running/.test((await status.textContent()).trim()));
  return (await status.textContent()).trim();
}

// report is the analysis report as the page shows it in JSON.
async function report(page) {
  return JSON.parse(await page.locator('#an-json-text').textContent());
}

async function progress(page) {
  return page.evaluate(() => {
    const p = document.getElementById('an-progress');
    return p ? { value: Number(p.value), max: Number(p.max), text: document.getElementById('an-progress-text').textContent } : null;
  });
}

test('budget table, expanded uncertainty and histogram for five distributions; screenshots, axe, 10^6 draws timed',
  { timeout: 300_000 }, () => browser.run('analysis', async (page) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await open(page, BENCH);
    assert.match(await page.locator('#an-seed').inputValue(), /^\d+$/, 'a random seed is shown');
    assert.equal(await page.locator('#an-draws').inputValue(), '1000000', 'default draws');

    // The benchmark: 10^6 draws (with the budget and U, as the panel asks
    // by default), BENCH_RUNS times in the same worker.
    const walls = [], workers = [];
    for (let i = 0; i < BENCH_RUNS; i++) {
      const t0 = Date.now();
      const status = await run(page, { seed: 20261207 });
      walls.push(Date.now() - t0);
      assert.match(status, /^Done in /, status);
      const rep = await report(page);
      assert.equal(rep.monte_carlo.draws, 1_000_000);
      workers.push(Number(await page.locator('#an-mc-time').getAttribute('data-ms')));
    }
    timings['10^6 draws of the 5-input formula in the worker (ms, each run)'] = workers.join(', ');
    timings['Run analysis to result on the page (ms, each run; the first starts the worker)'] = walls.join(', ');
    // Its budget has a correlation term of its own.
    const pair = await page.locator('#an-budget-table tbody tr.pair').innerText();
    assert.match(pair, /^r\(a, b\)\s+0\.4\s+correlation term\s+24\.4 %$/, pair);
    await shot(page, 'analysis-correlated-1280');

    await open(page, FIVE);
    assert.match(await run(page, { seed: 20261207 }), /^Done in /);

    // The budget: five inputs with value, u, c, c·u, ν and share.
    const rows = await page.locator('#an-budget-table tbody tr').allInnerTexts();
    assert.equal(rows.length, 5, rows.join('\n'));
    assert.match(rows[0], /^a\s+1\.2\s+0\.1\s+4\.5\s+0\.45\s+∞\s+27\.4 %$/, rows[0]);
    assert.match(rows[1], /^b\s+3\s+0\.2\s+3\.6\s+0\.72\s+8\s+70 %$/, rows[1]);
    assert.equal(await page.locator('svg.shares rect.bar').count(), 5, 'a bar per input');
    assert.deepEqual(await page.locator('svg.shares text.tick').allTextContents(), ['0 %', '70 %'], 'the share axis');
    // The expanded uncertainty: k from p and ν_eff.
    const U = (await page.locator('#an-expanded-u').innerText()).replace(/\s+/g, ' ');
    assert.match(U, /^U = 1\.824 \(k = t ?95 ?\(16\) = 2\.12\)$/, U);
    assert.equal(await page.locator('#an-expanded-interval').textContent(), '[4.07595, 7.72405]');
    // Monte Carlo: the histogram with the normal curve and both intervals, and the note.
    assert.equal(await page.locator('#an-mc-draws').textContent(), '1,000,000');
    assert.equal(await page.locator('#an-mc-seed').textContent(), '20261207');
    assert.equal(await page.locator('svg.hist .bins rect').count() > 30, true, 'histogram bins');
    assert.equal(await page.locator('svg.hist path.normal').count(), 1, 'the normal curve');
    assert.equal(await page.locator('svg.hist line.mc').count(), 2, 'the Monte Carlo interval');
    assert.equal(await page.locator('svg.hist line.fo').count(), 2, 'the first-order interval');
    const legend = await page.locator('#an-mc ul.legend').innerText();
    for (const want of ['Monte Carlo coverage interval', 'first-order coverage interval', 'normal curve of the first-order result']) {
      assert.ok(legend.includes(want), `legend lacks ${want}: ${legend}`);
    }
    const note = await page.locator('#an-validation').innerText();
    assert.match(note, /The first-order interval differs from the Monte Carlo one by more than the GUM-S1 §8 tolerance \(δ = 0\.005\): use the Monte Carlo result\./, note);
    const rep = await report(page);
    assert.equal(rep.validation.agree, false);
    assert.equal(rep.monte_carlo.seed, '20261207');
    const p = await progress(page);
    assert.deepEqual([p.value, p.max, p.text], [1_000_000, 1_000_000, '1,000,000 of 1,000,000 draws']);

    // Screenshots and layout: 1280 and 360 px, light and dark; axe-core in both.
    const found = [];
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [w, h] of [[1280, 900], [360, 740]]) {
        await page.setViewportSize({ width: w, height: h });
        await shot(page, `analysis-${w}-${scheme}`);
        const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(over <= 0, `at ${w} px (${scheme}) the page is ${over} px wider than the screen`);
      }
      for (const v of await axeViolations(page)) found.push(`${scheme}: ${v}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(found, [], 'axe-core found serious or critical violations:\n' + found.join('\n'));
    assert.deepEqual(page.errors.filter((e) => !/beforeinstallprompt/.test(e)), [], 'browser errors');
  }));

// The same seed gives the same bits in the browser (wasm in a Web Worker),
// the CLI and the API: the whole report, Monte Carlo's mean, u, interval
// and histogram counts included. The seed is above 2^53, which a JS
// number could not hold.
test('a fixed seed gives the same report bit for bit in the browser, ebios calc --json and the API', { timeout: 120_000 },
  () => browser.run('bits', async (page) => {
    const draws = 200_000, seed = '18446744073709551557';
    await open(page, FIVE);
    assert.match(await run(page, { draws, seed }), /^Done in /);
    const inBrowser = await report(page);

    const cli = JSON.parse(execFileSync(EBIOS, ['calc', '--json', '--mode', 'gum', '--budget', '--p', '0.95',
      '--mc', String(draws), '--seed', seed, FIVE], { encoding: 'utf8' })).analysis;
    const viaAPI = (await api('POST', '/api/v1/operations/execute', {
      operation: 'expr', expression: FIVE, mode: 'gum',
      analysis: { budget: true, p: 0.95, monte_carlo: { draws, seed } },
    })).analysis;

    const mc = inBrowser.monte_carlo;
    assert.equal(mc.seed, seed);
    assert.equal(mc.draws, draws);
    for (const [who, other] of [['ebios calc --json', cli], ['the API', viaAPI]]) {
      for (const k of ['mean', 'u', 'lo', 'hi', 'min', 'max']) {
        assert.ok(Object.is(mc[k], other.monte_carlo[k]), `${k}: browser ${mc[k]}, ${who} ${other.monte_carlo[k]}`);
      }
      assert.deepStrictEqual(mc.histogram, other.monte_carlo.histogram, `histogram: browser and ${who}`);
      assert.deepStrictEqual(inBrowser, other, `the whole report: browser and ${who}`);
    }
    console.log(`bit for bit: mean ${mc.mean}, u ${mc.u}, [${mc.lo}, ${mc.hi}], ${mc.histogram.counts.length} bins, ` +
      `counts ${mc.histogram.counts.slice(0, 5).join(',')}…, below ${mc.histogram.below}, above ${mc.histogram.above}`);
  }));

// While a long run goes on, the page answers at once: a new expression
// typed and computed shows its result, frames keep coming, and the
// progress advances. Cancel stops it (the worker is terminated), and a new
// run works afterwards.
test('the page stays responsive during a 10,000,000-draw run; cancel stops it; a new run works', { timeout: 180_000 },
  () => browser.run('responsive', async (page) => {
    await open(page, FIVE);
    await page.fill('#an-draws', '10000000');
    await page.click('#an-run');
    await poll('the run to make progress', 30_000, async () => ((await progress(page))?.value || 0) > 0);
    const p1 = await progress(page);
    assert.equal(p1.max, 10_000_000);
    assert.match(p1.text, /^[\d,]+ of 10,000,000 draws$/, p1.text);
    assert.equal(await page.locator('#an-cancel').isEnabled(), true, 'Cancel is enabled while running');

    // Frames: the longest gap between animation frames over 1 s.
    const gap = await page.evaluate(() => new Promise((res) => {
      let last = performance.now(), worst = 0;
      const t0 = last;
      const tick = (t) => { worst = Math.max(worst, t - last); last = t; if (t - t0 < 1000) requestAnimationFrame(tick); else res(worst); };
      requestAnimationFrame(tick);
    }));
    timings['longest gap between animation frames during a run (ms)'] = Math.round(gap);
    assert.ok(gap < 500, `the page froze for ${gap} ms while Monte Carlo ran`);

    // Type a new expression and compute it: its result shows within 1 s.
    const input = page.getByLabel('Expression', { exact: true });
    await input.click();
    await input.press('Control+A');
    const t0 = Date.now();
    await page.keyboard.type('(1 ± 0.1) + (2 ± 0.2)');
    assert.equal(await input.inputValue(), '(1 ± 0.1) + (2 ± 0.2)');
    await input.press('Enter');
    await page.waitForFunction(() => document.querySelector('#result .value .big output')?.textContent.trim() === '3.00 ± 0.22',
      null, { timeout: 1000 });
    timings['typing 21 characters and Enter to the new result, during a run (ms)'] = Date.now() - t0;
    const p2 = await progress(page);
    assert.ok(p2.value > p1.value, `the progress did not advance: ${p1.value} then ${p2.value}`);
    assert.ok(p2.value < 10_000_000, 'the run ended before it could be cancelled: raise the draws');
    await shot(page, 'analysis-running');

    // Cancel: progress stops, the panel says so.
    await page.click('#an-cancel');
    await page.locator('#an-status', { hasText: /^Cancelled after [\d,]+ of 10,000,000 draws\.$/ }).waitFor({ timeout: 2000 });
    const p3 = await progress(page);
    await new Promise((r) => setTimeout(r, 600));
    const p4 = await progress(page);
    assert.equal(p4.value, p3.value, 'the progress moved after Cancel');
    assert.equal(await page.locator('#an-cancel').isDisabled(), true, 'Cancel is disabled once cancelled');
    assert.equal(await page.locator('#an-result .an-part').count(), 0, 'a result was shown for a cancelled run');
    await shot(page, 'analysis-cancelled');

    // A new run (a new worker) on the new expression.
    assert.match(await run(page, { draws: 100_000, seed: 7 }), /^Done in /);
    assert.equal(await page.locator('#an-mc-draws').textContent(), '100,000');
    assert.match(await page.locator('#an-result .an-of code').textContent(), /^\(1 ± 0\.1\) \+ \(2 ± 0\.2\)$/);
  }));

test('a model undefined for some draws shows the structured error MC_004', { timeout: 60_000 },
  () => browser.run('mc-error', async (page) => {
    await open(page, 'x = 0.1 ± 1; sqrt(x)');
    const status = await run(page, { draws: 100_000, seed: 1 });
    assert.equal(status, 'The analysis failed: MC_004.');
    const err = await page.locator('#an-result .error').innerText();
    assert.match(err, /the model is undefined at draw \d+: it gave NaN/, err);
    assert.match(err, /MC_004/, err);
    assert.match(err, /"x" = -\d/, `the draw's input value: ${err}`);
    assert.match(err, /Fix: Monte Carlo needs a model defined wherever the inputs can fall/, err);
    await shot(page, 'analysis-error');
  }));

// Offline: with the service worker installed, the network cut and the
// server stopped, a reloaded calculator still runs Monte Carlo (the worker
// script, wasm_exec.js and mcworker.wasm come from the cache).
test('Monte Carlo runs offline, from the service worker cache', { timeout: 120_000 },
  () => browser.run('offline', async (page) => {
    await open(page, FIVE);
    const cached = await waitForCache(page);
    for (const f of ['/web/mcworker.js', '/web/mcworker.wasm', '/wasm_exec.js']) {
      assert.ok(cached.resources.includes(f), `the service worker does not cache ${f}: ${cached.resources.join(' ')}`);
    }
    await browser.context.setOffline(true);
    await stopServer();
    const probe = await page.evaluate(() => fetch('/healthz?probe=' + Date.now(), { cache: 'no-store' })
      .then((r) => `answered ${r.status}`, (e) => `failed: ${e.message}`));
    assert.match(probe, /^failed/, `offline, yet the server ${probe}`);
    // The calculator's page "/" is cached (a share link's query is not).
    await page.goto(base() + '/', { waitUntil: 'domcontentloaded' });
    await waitForApp(page, 'offline reload');
    await page.locator('label[for="mode-gum"]').click();
    await page.fill('#expr', FIVE);
    await page.press('#expr', 'Enter');
    await page.locator('#result .value .big output').waitFor();
    await page.locator('#analysis > summary').click();
    assert.match(await run(page, { draws: 200_000, seed: 99 }), /^Done in /);
    const rep = await report(page);
    assert.equal(rep.monte_carlo.draws, 200_000);
    assert.equal(rep.monte_carlo.seed, '99');
    await shot(page, 'analysis-offline');
    await browser.context.setOffline(false);
  }));
