// End-to-end tests of the eBIOS audit page (/audit) in headless Debian
// Chromium, driven by playwright-core. Run by scripts/e2e.sh, which builds
// bin/ebios, starts a real server and passes:
//   EBIOS_URL  base URL of the server (http://127.0.0.1:PORT)
//   EBIOS_BIN  the ebios binary the script built (default ../bin/ebios)
//   CHROMIUM   the browser (default /usr/bin/chromium)
//   E2E_OUT    where screenshots go (default e2e/out)
// The bundles are real: made with the CLI (key generate, calc --log, ledger
// export) in a temporary directory. The server is never stopped here (the
// offline test only cuts the browser's network with setOffline), and
// scripts/e2e.sh runs this file before calc.test.mjs, whose offline test
// stops the server. The tests run in order in one fresh browser profile: the
// offline test relies on the service worker installed by the first load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { here, OUT, TIMEOUT, openBrowser, poll, shot, waitForApp, waitForCache } from './lib.mjs';

const BASE = process.env.EBIOS_URL;
const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));

if (!BASE) {
  console.error('EBIOS_URL is not set: run scripts/e2e.sh, which starts a server');
  process.exit(2);
}

const ORIGIN = 'e2e.example/ebios';
const TAMPERED = 17; // the entry whose output nominal the tampered bundle changes

// Expressions logged, one `ebios calc --log` each: varied operations and
// magnitudes, every one with a finite n ± u result.
const EXPRS = [
  '(10 ± 0.5) * (20 ± 1)', '(1 ± 0.1) + (2 ± 0.2)', '(5 ± 0.1) - (3 ± 0.2)', '(8 ± 0.4) / (2 ± 0.1)',
  '2 + 3', '(100 ± 1) * 3', '(0.5 ± 0.01) * (0.25 ± 0.02)', '(12.5 ± 0.3) + (7.25 ± 0.15)',
  '(1000 ± 5) / (4 ± 0.2)', '(3 ± 0.1) * (3 ± 0.1) * (3 ± 0.1)', '(42 ± 2) - (40 ± 1)', '(6 ± 0.2) / (3 ± 0.3)',
  '(7 ± 0.7) * 2 + 1', '(9.81 ± 0.05) * (2.5 ± 0.1)', '(1.5 ± 0.05) + (1.5 ± 0.05) + (1.5 ± 0.05)',
  '(250 ± 10) - (125 ± 5)', '(64 ± 1) / (8 ± 0.5)', '(33 ± 3) * (3 ± 0.3)', '(0.1 ± 0.01) + (0.2 ± 0.02)',
  '(15 ± 1) * (4 ± 0.25)', '(2 ± 0.5) * (2 ± 0.5) - (1 ± 0.1)', '(77 ± 7) / 7', '(11 ± 0.1) + 22 + 33',
  '(123 ± 4) * (0.5 ± 0.05)', '(48 ± 2) - (12 ± 1) - (6 ± 0.5)', '(20 ± 2) / (5 ± 0.5) + (1 ± 0.1)',
  '(3.14159 ± 0.00001) * (2 ± 0.001)', '(50 ± 5) + (50 ± 5)', '(18 ± 0.9) * (1.1 ± 0.11)', '(99 ± 1) / (11 ± 0.5)',
];

let browser;
let context;
let work; // temporary directory of the CLI's keys, data and bundles
let key; // the verifier key of the log
let otherKey; // another key with the same name
let good; // path of the exported bundle
let tampered; // path of its tampered copy
const timings = {};

function ebios(...args) {
  return execFileSync(EBIOS, args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// keyGenerate makes a signer key file and returns the verifier key it prints.
function keyGenerate(file) {
  const vkey = ebios('key', 'generate', '--out', file, '--name', ORIGIN).trim().split('\n')[0].trim();
  assert.match(vkey, /^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/, `ebios key generate printed "${vkey}"`);
  return vkey;
}

const keyID = (vkey) => vkey.split('+')[1];

// tamper returns bundle text with one digit of entry k's output nominal
// changed (the last digit of its integer part, so that the JSON stays valid),
// and says what it changed.
function tamper(text, k) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`{"index":${k},`));
  assert.ok(i >= 0, `entry ${k} not found on a line of its own in the bundle`);
  let change;
  lines[i] = lines[i].replace(/"output":\{"n":(-?\d*)(\d)/, (m, head, d) => {
    const nd = String((Number(d) + 1) % 10);
    change = `output n ${head}${d}… → ${head}${nd}…`;
    return `"output":{"n":${head}${nd}`;
  });
  assert.ok(change, `entry ${k} has no numeric output nominal: ${lines[i]}`);
  const out = lines.join('\n');
  JSON.parse(out); // still valid JSON
  assert.equal(out.length, text.length, 'one byte changed');
  return { text: out, change };
}

before(async () => {
  // A real bundle, made with the CLI.
  const t0 = Date.now();
  work = mkdtempSync(join(tmpdir(), 'ebios-e2e-audit-'));
  key = keyGenerate('signer.key');
  otherKey = keyGenerate('other.key');
  assert.notEqual(otherKey, key, 'two generated keys are equal');
  for (const [i, e] of EXPRS.entries()) {
    const out = ebios('calc', '--log', '--data', 'data', '--key', 'signer.key', e);
    assert.match(out, new RegExp(`logged as entry ${i}\\b`), `calc --log ${e}: ${out}`);
  }
  good = join(work, 'bundle.json');
  ebios('ledger', 'export', '--data', 'data', '--out', good);
  const text = readFileSync(good, 'utf8');
  assert.equal(JSON.parse(text).entries.length, EXPRS.length, 'entries in the exported bundle');
  const t = tamper(text, TAMPERED);
  tampered = join(work, 'tampered.json');
  writeFileSync(tampered, t.text);
  console.log(`bundle of ${EXPRS.length} entries (${text.length} bytes) by the CLI in ${Date.now() - t0} ms; ` +
    `tampered copy: entry ${TAMPERED} ${t.change}`);
  // The CLI agrees: the good bundle verifies, the tampered one fails at entry k.
  ebios('ledger', 'verify', good, '--key', key);
  assert.throws(() => ebios('ledger', 'verify', tampered, '--key', key),
    (e) => new RegExp(`FAILED at entry ${TAMPERED}, check "signature"`).test(String(e.stdout) + String(e.stderr)),
    'ebios ledger verify of the tampered bundle');

  browser = await openBrowser();
  context = browser.context;
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  for (const [k, v] of Object.entries(timings)) console.log(`TIMING ${k}: ${v}`);
});

// pin pastes vkey into the key text area, presses "Pin key" and waits until
// the pinned key's fingerprint shows its key id and name.
async function pin(page, vkey) {
  await page.getByLabel('Log verifier key (name+hash+base64)').fill(vkey);
  await page.getByRole('button', { name: 'Pin key' }).click();
  await expectPinned(page, vkey, 'after Pin key');
}

async function expectPinned(page, vkey, why) {
  try {
    await page.waitForFunction((id) => document.querySelector('#pinned .fp-id')?.textContent.trim() === id,
      keyID(vkey), { timeout: TIMEOUT });
  } catch {
    const got = await page.locator('section.key').innerText().catch(() => '?');
    assert.fail(`${why}: expected the pinned key ${keyID(vkey)}, the key panel shows:\n${got}`);
  }
  assert.equal((await page.locator('#pinned .fp-name').textContent()).trim(), ORIGIN, `${why}: fingerprint name`);
  assert.match((await page.locator('#pinned .fp-sha').textContent()).trim(), /^([0-9a-f]{4} ){7}[0-9a-f]{4}$/,
    `${why}: SHA-256 fingerprint`);
}

// open loads the bundle file at path with the labelled file input and waits
// until the page has read it.
async function open(page, path) {
  const name = path.split('/').pop();
  await page.getByLabel('Choose a bundle file').setInputFiles(path);
  await page.locator('#bundle-status .loaded', { hasText: name }).waitFor();
  const status = await page.locator('#bundle-status').innerText();
  assert.match(status, new RegExp(`origin "${ORIGIN}"`), `bundle status: ${status}`);
}

// verify presses Verify and returns the verdict element (#audit-ok or
// #audit-failed) with its text.
async function verify(page) {
  const button = page.locator('#verify');
  await poll('the Verify button to be enabled', TIMEOUT, () => button.isEnabled());
  const t0 = Date.now();
  await button.click();
  const verdict = page.locator('#audit-result .verdict');
  try {
    await verdict.waitFor();
  } catch {
    const got = await page.locator('main').innerText().catch(() => '?');
    assert.fail(`no verdict after Verify; the page shows:\n${got}`);
  }
  const ms = Date.now() - t0;
  return { id: await verdict.getAttribute('id'), text: await verdict.innerText(), ms };
}

async function text(page, sel) {
  return (await page.locator(sel).textContent()).trim();
}

async function expectOK(page, v, why) {
  assert.equal(v.id, 'audit-ok', `${why}: expected OK, the result is:\n${v.text}`);
  assert.match(v.text, /✓ OK/, why);
  assert.equal(await text(page, '#audit-entries'), String(EXPRS.length), `${why}: entries verified`);
  assert.equal(await text(page, '#audit-size'), String(EXPRS.length), `${why}: tree size`);
  assert.equal(await text(page, '#audit-origin'), ORIGIN, `${why}: origin`);
  assert.equal(await text(page, '#progress-text'), `${EXPRS.length} of ${EXPRS.length} entries checked`, `${why}: progress`);
  // Chromium has WebCrypto Ed25519: the entry signatures must have been
  // checked by it, in one Web Worker per core (web/ed25519.js and
  // web/ed25519worker.js loaded, also offline from the cache).
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.match(v.text, new RegExp(`checked by the browser's WebCrypto Ed25519 in ${cores} Web Workers`), `${why}: signature implementation`);
  const rate = await text(page, '#audit-rate');
  assert.match(rate, /^\d+ entries\/s$/, `${why}: throughput`);
  return `${rate} (page: ${EXPRS.length} entries in ${await text(page, '#audit-elapsed')}; click to verdict ${v.ms} ms)`;
}

async function expectFailed(page, v, where, check, code, why) {
  assert.equal(v.id, 'audit-failed', `${why}: expected FAILED, the result is:\n${v.text}`);
  assert.match(v.text, new RegExp(`✗ FAILED at ${where}\\n`), `${why}: verdict`);
  assert.equal(await text(page, '#fail-check'), check, `${why}: check`);
  assert.equal(await text(page, '#fail-code'), code, `${why}: code`);
  assert.match(v.text, /Why: \S/, `${why}: reason`);
  assert.match(v.text, /What to do: \S/, `${why}: remediation`);
}

// waitForAuditCache is waitForCache, checking that /audit is among the
// cached resources.
async function waitForAuditCache(page) {
  const cached = await waitForCache(page);
  assert.ok(cached.resources.includes('/audit'), `the service worker does not cache /audit: ${cached.resources.join(' ')}`);
  return cached;
}

test('audit page verifies a real bundle, names the tampered entry, and rejects another key', { timeout: 90_000 }, () => browser.run('audit', async (page) => {
  const t0 = Date.now();
  await page.goto(BASE + '/audit', { waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'first load of /audit');
  timings['audit page first load to app started'] = `${Date.now() - t0} ms`;
  assert.equal(await page.title(), 'eBIOS audit');
  await pin(page, key);

  // The good bundle: OK, every entry.
  await open(page, good);
  assert.match(await page.locator('#bundle-status').innerText(), /same as the pinned key/);
  const ok = await verify(page);
  timings[`audit verify online (${EXPRS.length} entries)`] = await expectOK(page, ok, 'good bundle');
  await shot(page, 'audit-ok');

  // The tampered copy: the first bad entry is the one changed, by its signature.
  await open(page, tampered);
  const bad = await verify(page);
  await expectFailed(page, bad, `entry ${TAMPERED}`, 'signature', 'LEDGER_004', 'tampered bundle');
  assert.equal(await text(page, '#fail-index'), String(TAMPERED), 'first bad entry');
  assert.equal(await text(page, '#audit-entries'), String(TAMPERED), 'entries that passed before the failure');
  assert.match(bad.text, new RegExp(`${TAMPERED} entries passed every check before the failure`), bad.text);
  await shot(page, 'audit-failed');

  // Another key with the same name: the bundle is not by the pinned key.
  await pin(page, otherKey);
  assert.notEqual(keyID(otherKey), keyID(key));
  await open(page, good);
  assert.match(await page.locator('#bundle-status').innerText(), /differs from the pinned key/);
  const wrong = await verify(page);
  await expectFailed(page, wrong, 'the bundle as a whole', 'key', 'LEDGER_008', 'another pinned key');
  assert.equal(await text(page, '#audit-entries'), '0', 'no entry verified under another key');
  await shot(page, 'audit-wrong-key');
  assert.deepEqual(page.errors, [], 'browser errors');
}));

test('audit page verifies a bundle offline after the first load (service worker)', { timeout: 90_000 }, () => browser.run('audit-offline', async (page) => {
  await page.goto(BASE + '/audit', { waitUntil: 'domcontentloaded' });
  await waitForApp(page, 'online load of /audit');
  await pin(page, key); // remembered in local storage for the offline reload
  const cached = await waitForAuditCache(page);
  console.log(`service worker controls /audit; cache ${cached.cache} holds ${cached.resources.length} resources: ${cached.resources.join(' ')}`);

  // Cut the browser's network (the server keeps running for calc.test.mjs).
  await context.setOffline(true);
  try {
    const probe = await page.evaluate(() => fetch('/healthz?probe=' + Date.now(), { cache: 'no-store' })
      .then((r) => `answered ${r.status}`, (e) => `failed: ${e.message}`));
    assert.match(probe, /^failed/, `the network is cut, yet the server ${probe}`);

    page.errors.length = 0;
    const t0 = Date.now();
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForApp(page, 'offline reload of /audit');
    await expectPinned(page, key, 'offline reload (pinned key from local storage)');
    await open(page, good);
    const ok = await verify(page);
    timings[`audit verify offline (${EXPRS.length} entries)`] = await expectOK(page, ok, 'offline, good bundle');
    timings['audit offline reload to verdict'] = `${Date.now() - t0} ms`;
    await shot(page, 'audit-offline');
    if (page.errors.length) console.log(`browser messages while offline (not failures): ${page.errors.join(' | ')}`);
  } finally {
    await context.setOffline(false);
  }
}));
