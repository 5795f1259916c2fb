// The in-browser audit benchmark (make audit-bench): a 100,000-entry bundle
// (ENTRIES to change it) made by e2e/genbundle is verified on the audit page
// in headless Chromium, as a person would: pin the key, choose the file,
// press Verify. Prints the page's own timing (the verification alone) and
// the time from the click to the verdict, and keeps a screenshot. Run by
// scripts/e2e.sh with E2E_TESTS=e2e/audit-bench.mjs, which starts the server.
//
// RUNS=N (default 1) repeats it, alternating with the native verifier
// (`ebios ledger verify`, every core) on the same bundle, and with the
// audit page of another server when COMPARE_URL is set (an older build,
// started by hand: see docs/benchmarks.md), so that all of them see the
// same machine; it prints the medians and their ratios.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { here, openBrowser, shot, waitForApp } from './lib.mjs';

const BASE = process.env.EBIOS_URL;
const COMPARE = process.env.COMPARE_URL || '';
const BIN = process.env.EBIOS_BIN;
const ENTRIES = Number(process.env.ENTRIES || 100000);
const RUNS = Number(process.env.RUNS || 1);
const LIMIT = 180_000; // ms: a verdict must come within this

let browser;
let work;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ebios-audit-bench-'));
  browser = await openBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

// audit verifies bundle on the audit page at base and returns the page's
// own time in seconds.
async function audit(base, bundle, vkey, name) {
  const page = await browser.newPage();
  await page.goto(`${base}/audit`);
  await waitForApp(page, `${base}/audit`);
  await page.getByLabel('Log verifier key (name+hash+base64)').fill(vkey);
  await page.getByRole('button', { name: 'Pin key' }).click();
  await page.locator('#pinned .fp-id').waitFor();
  await page.getByLabel('Choose a bundle file').setInputFiles(bundle);
  await page.locator('#bundle-status .loaded').waitFor({ timeout: 60_000 });
  const button = page.locator('#verify');
  await button.waitFor();
  const t1 = Date.now();
  await button.click({ timeout: 120_000 });
  const verdict = page.locator('#audit-result .verdict');
  await verdict.waitFor({ timeout: LIMIT });
  const wall = Date.now() - t1;
  const text = await verdict.innerText();
  await shot(page, name);
  assert.equal(await verdict.getAttribute('id'), 'audit-ok', `${base}: expected OK:\n${text}`);
  const elapsed = (await page.locator('#audit-elapsed').textContent()).trim();
  const rate = (await page.locator('#audit-rate').textContent()).trim();
  const checks = await page.locator('#audit-result').innerText();
  const by = /checked by ([^)]*)\)/.exec(checks)?.[1] ?? '?';
  console.log(`BENCH audit ${base}: ${ENTRIES} entries verified; page says ${elapsed} (${rate}); click to verdict ${wall} ms; signatures by ${by}`);
  assert.deepEqual(page.errors, [], 'browser errors');
  await page.close();
  const m = /^([\d.]+) (s|ms)$/.exec(elapsed);
  assert.ok(m, `elapsed ${elapsed}`);
  return m[2] === 's' ? Number(m[1]) : Number(m[1]) / 1000;
}

// native verifies bundle with `ebios ledger verify` and returns its time in
// seconds.
function native(bundle, vkey) {
  const t0 = process.hrtime.bigint();
  execFileSync(BIN, ['ledger', 'verify', '--key', vkey, bundle], { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`BENCH native: ${ENTRIES} entries in ${s.toFixed(2)} s (${Math.round(ENTRIES / s)} entries/s)`);
  return s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test(`audit of a ${ENTRIES}-entry bundle in the browser`, { timeout: RUNS * (2 * LIMIT + 60_000) + 120_000 }, async () => {
  const bundle = join(work, `bundle-${ENTRIES}.json`);
  const t0 = Date.now();
  const vkey = execFileSync('go', ['run', './e2e/genbundle', '-n', String(ENTRIES), '-out', bundle],
    { cwd: join(here, '..'), encoding: 'utf8' }).trim();
  console.log(`BENCH bundle: ${ENTRIES} entries, ${statSync(bundle).size} bytes, made in ${Date.now() - t0} ms`);

  const times = { new: [], old: [], native: [] };
  for (let i = 0; i < RUNS; i++) {
    if (COMPARE) times.old.push(await audit(COMPARE, bundle, vkey, 'audit-bench-compare'));
    times.new.push(await audit(BASE, bundle, vkey, 'audit-bench'));
    if (BIN) times.native.push(native(bundle, vkey));
  }
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(`BENCH audit medians of ${RUNS}: this build ${median(times.new).toFixed(2)} s [${fmt(times.new)}]`);
  if (COMPARE) {
    console.log(`BENCH audit ${COMPARE}: ${median(times.old).toFixed(2)} s [${fmt(times.old)}]; ` +
      `this build is ${(median(times.old) / median(times.new)).toFixed(2)}x as fast`);
  }
  if (BIN) {
    console.log(`BENCH native ebios ledger verify: ${median(times.native).toFixed(2)} s [${fmt(times.native)}]; ` +
      `the browser's rate is ${(median(times.native) / median(times.new)).toFixed(2)} of the native one`);
  }
});
