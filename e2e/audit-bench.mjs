// The in-browser audit benchmark (make audit-bench): a 100,000-entry bundle
// (ENTRIES to change it) made by e2e/genbundle is verified on the audit page
// in headless Chromium, as a person would: pin the key, choose the file,
// press Verify. Prints the page's own timing (the verification alone) and
// the time from the click to the verdict, and keeps a screenshot. Run by
// scripts/e2e.sh with E2E_TESTS=e2e/audit-bench.mjs, which starts the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { here, openBrowser, shot, waitForApp } from './lib.mjs';

const BASE = process.env.EBIOS_URL;
const ENTRIES = Number(process.env.ENTRIES || 100000);
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

test(`audit of a ${ENTRIES}-entry bundle in the browser`, { timeout: LIMIT + 120_000 }, async () => {
  const bundle = join(work, `bundle-${ENTRIES}.json`);
  const t0 = Date.now();
  const vkey = execFileSync('go', ['run', './e2e/genbundle', '-n', String(ENTRIES), '-out', bundle],
    { cwd: join(here, '..'), encoding: 'utf8' }).trim();
  console.log(`BENCH bundle: ${ENTRIES} entries, ${statSync(bundle).size} bytes, made in ${Date.now() - t0} ms`);

  const page = await browser.newPage();
  await page.goto(`${BASE}/audit`);
  await waitForApp(page);
  await page.getByLabel('Log verifier key (name+hash+base64)').fill(vkey);
  await page.getByRole('button', { name: 'Pin key' }).click();
  await page.locator('#pinned .fp-id').waitFor();
  await page.getByLabel('Choose a bundle file').setInputFiles(bundle);
  await page.locator('#bundle-status .loaded').waitFor({ timeout: 60_000 });
  const button = page.locator('#verify');
  await button.waitFor();
  const t1 = Date.now();
  await button.click();
  const verdict = page.locator('#audit-result .verdict');
  await verdict.waitFor({ timeout: LIMIT });
  const wall = Date.now() - t1;
  const text = await verdict.innerText();
  await shot(page, 'audit-bench');
  assert.equal(await verdict.getAttribute('id'), 'audit-ok', `expected OK:\n${text}`);
  const elapsed = (await page.locator('#audit-elapsed').textContent()).trim();
  const rate = (await page.locator('#audit-rate').textContent()).trim();
  const checks = await page.locator('#audit-result').innerText();
  const by = /checked by ([^)]*)\)/.exec(checks)?.[1] ?? '?';
  console.log(`BENCH audit: ${ENTRIES} entries verified; page says ${elapsed} (${rate}); click to verdict ${wall} ms; signatures by ${by}`);
  assert.deepEqual(page.errors, [], 'browser errors');
});
