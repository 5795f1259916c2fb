// End-to-end test of the embeddable widget (docs/embedding.md): a
// third-party page on another origin, under a strict CSP (no inline script
// or style, no eval: only the widget's origin with 'wasm-unsafe-eval'),
// embeds eBIOS all three ways from a real `ebios serve`:
//   - the custom elements of one async script tag: <ebios-calc> computes and
//     reports errors, <ebios-verify> passes a good bundle and names the first
//     bad entry of a tampered one, <ebios-result> shows a signed result
//     with its verified mark;
//   - the JS API (window.ebios);
//   - the iframe /embed/calc: a postMessage round trip works, and messages
//     from a frame of a third origin are ignored.
// The same widget from `ebios static`'s output on a static host works too,
// and only /embed/* may be framed (by the listed site only).
// Screenshots at desktop and phone sizes are kept in E2E_OUT.
//   EBIOS_BIN  the ebios binary (scripts/e2e.sh builds it with make build)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { here, TIMEOUT, openBrowser, poll, shot, freePort, axeViolations, start as startProcess, apiCall } from './lib.mjs';

const EBIOS = resolve(process.env.EBIOS_BIN || join(here, '..', 'bin', 'ebios'));
const ENTRIES = 2000, BAD = 777;

let dir, api, host, foreign, site, browser, bundleKey, logKey, record;
const procs = [], servers = [];

const start = (...args) => startProcess(procs, ...args);
const call = (...args) => apiCall(api, ...args);

// serve answers GET path from files (path → [type, body, headers]).
async function serve(port, files) {
  const s = createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': f[0], ...(f[2] || {}) });
    res.end(f[1]);
  });
  await new Promise((r) => s.listen(port, '127.0.0.1', r));
  servers.push(s);
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebios-widget-'));
  const [apiPort, hostPort, foreignPort, sitePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  site = `http://127.0.0.1:${sitePort}`;
  api = `http://127.0.0.1:${apiPort}`;
  host = `http://127.0.0.1:${hostPort}`;
  foreign = `http://localhost:${foreignPort}`; // a third origin: another host name
  const serverOut = await start('ebios serve', EBIOS, ['serve', '--dev', '--data-dir', join(dir, 'data'),
    '--listen', `127.0.0.1:${apiPort}`, '--rate-limit-allowlist', '127.0.0.1', '--log-level', 'warn',
    '--embed-frame-ancestors', host], api + '/healthz');

  // A signed result to show: one computation logged by the server, as GET
  // /api/v1/ledger/verify/{op_id} returns it (the host page got it from its
  // own back end and puts it in the page).
  const token = serverOut().match(/ebios-setup-[A-Za-z0-9_-]+/)?.[0];
  assert.ok(token, 'the server printed no setup token:\n' + serverOut());
  const password = 'a long e2e passphrase';
  await call('POST', '/api/v1/auth/setup', '', { token, username: 'root', password });
  const { access_token } = await call('POST', '/api/v1/auth/login', '', { username: 'root', password });
  const op = (await call('POST', '/api/v1/operations/execute', access_token, { operation: 'expr', expression: '(10 ± 0.5) * (20 ± 1)' })).entry.op_id;
  record = await call('GET', '/api/v1/ledger/verify/' + op, access_token);
  logKey = (await call('GET', '/api/v1/ledger/key', access_token)).trim();

  // A bundle and a copy with entry BAD altered.
  const bundle = join(dir, 'bundle.json');
  bundleKey = execFileSync('go', ['run', './e2e/genbundle', '-n', String(ENTRIES), '-out', bundle],
    { cwd: join(here, '..'), encoding: 'utf8' }).trim();
  const good = readFileSync(bundle, 'utf8');
  const bad = good.split('\n').map((l) => l.startsWith(`{"index":${BAD},`) ? l.replace('"operation":"add"', '"operation":"sub"') : l).join('\n');
  assert.notEqual(bad, good);

  const loader = `${api}/widget/ebios.js`;
  const csp = ["default-src 'none'", `script-src 'self' ${api} 'wasm-unsafe-eval'`, `connect-src 'self' ${api}`,
    `frame-src ${api} ${foreign}`, "style-src 'self'", "img-src 'self'", "base-uri 'none'", "form-action 'none'"].join('; ');
  const embed = `${api}/embed/calc?expression=${encodeURIComponent('(1 ± 0.1) + (2 ± 0.2)')}&mode=nu&parent-origin=${encodeURIComponent(host)}`;
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>A third-party page</title>
<link rel="stylesheet" href="/host.css"><script src="/host.js"></script>
<script src="${loader}" async></script></head><body>
<h1>A blog post that embeds eBIOS</h1>
<h2>Custom elements</h2>
<ebios-calc id="calc" expression="(10 ± 0.5) * (20 ± 1)" mode="interval" label="Area (m²)"></ebios-calc>
<ebios-calc id="fixed" expression="x = 3 ± 0.1; x - x" mode="gum" readonly></ebios-calc>
<ebios-verify id="good" bundle-url="/good.json" key="${esc(bundleKey)}"></ebios-verify>
<ebios-verify id="bad" bundle-url="/bad.json" key="${esc(bundleKey)}"></ebios-verify>
<ebios-result id="result" key="${esc(logKey)}"><script type="application/json">${JSON.stringify(record).replace(/</g, '\\u003c')}</script></ebios-result>
<h2>In an iframe</h2>
<iframe id="frame" src="${esc(embed)}" title="eBIOS calculator"></iframe>
<iframe id="foreign" src="${foreign}/foreign.html" title="another site"></iframe>
</body></html>`;
  const cors = { 'Access-Control-Allow-Origin': '*' };
  await serve(hostPort, {
    '/host.html': ['text/html; charset=utf-8', page, { 'Content-Security-Policy': csp }],
    // host.js keeps every message the page receives, for the test to read.
    '/host.js': ['text/javascript', 'window.received = []; addEventListener("message", (e) => received.push({ origin: e.origin, data: e.data }));'],
    '/host.css': ['text/css', `body{font:16px/1.5 Georgia,serif;max-width:44rem;margin:1rem auto;padding:0 1rem}
iframe{width:100%;height:9rem;border:1px dashed #999}
#foreign{height:3rem}
ebios-calc,ebios-verify,ebios-result{margin:.6rem 0}
#calc{--ebios-accent:#7a3e9d;--ebios-border:2px solid #7a3e9d;--ebios-radius:10px}
#calc::part(result){font-size:1.25rem}
ebios-verify[state=ok]{--ebios-border:2px solid #1a7f37}
ebios-verify[state=failed]{--ebios-border:2px solid #b3261e}`],
    '/favicon.ico': ['image/x-icon', ''],
    '/good.json': ['application/json', good, cors],
    '/bad.json': ['application/json', bad, cors],
  });
  await serve(foreignPort, {
    '/foreign.html': ['text/html', '<!DOCTYPE html><title>another site</title><p>another site</p>'],
    // A page that takes the widget from the static site.
    '/static.html': ['text/html', `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>static</title>
<script src="${site}/widget/ebios.js" async></script></head><body>
<ebios-calc expression="(10 ± 0.5) * (20 ± 1)"></ebios-calc>
<iframe title="calc" src="${site}/embed/calc.html?expression=1%2B1"></iframe></body></html>`,
    { 'Content-Security-Policy': `script-src ${site} 'wasm-unsafe-eval'; connect-src ${site}; frame-src ${site}` }],
  });

  // ebios static's copy of the widget, on a static host that sends the
  // headers docs/embedding.md lists (CORS on /widget/, application/wasm).
  execFileSync(EBIOS, ['static', '--out', join(dir, 'site')], { stdio: 'inherit', cwd: dir });
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  const s = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(dir, 'site', path);
    if (path.includes('..') || !existsSync(file) || !extname(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': types[extname(file)] || 'application/octet-stream',
      ...(path.startsWith('/widget/') ? { 'Access-Control-Allow-Origin': '*' } : {}) });
    res.end(readFileSync(file));
  });
  await new Promise((r) => s.listen(sitePort, '127.0.0.1', r));
  servers.push(s);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const text = (page, sel) => page.locator(sel).innerText();

test('a page on another origin under a strict CSP embeds the widget three ways', { timeout: 180_000 },
  () => browser.run('widget', async (page) => {
    const violations = [];
    page.on('response', (r) => { if (r.status() >= 400) page.errors.push(`HTTP ${r.status()} ${r.url()}`); });
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    // Count the WebCrypto Ed25519 checks: the widget checks signatures with
    // them (on the page's thread here: the widget is on another origin).
    await page.addInitScript(() => {
      const verify = crypto.subtle.verify.bind(crypto.subtle);
      globalThis.webCryptoVerifies = 0;
      crypto.subtle.verify = (...a) => { globalThis.webCryptoVerifies++; return verify(...a); };
    });
    const t0 = Date.now();
    await page.goto(host + '/host.html', { waitUntil: 'domcontentloaded' });

    // 1. The custom elements.
    await page.locator('#calc output', { hasText: '200 ± 21' }).waitFor({ timeout: TIMEOUT });
    console.log(`first computed result after ${Date.now() - t0} ms (page load, loader, wasm, calc)`);
    assert.equal(await text(page, '#calc output'), '= 200 ± 21 (interval)');
    assert.equal(await text(page, '#calc label'), 'Area (m²)');
    await page.locator('#fixed output', { hasText: '= 0 ' }).waitFor();
    assert.equal(await page.locator('#fixed input').getAttribute('readonly'), '');
    // It reports errors, as a structured error with its code and column,
    // and fires events.
    const events = page.evaluate(() => new Promise((res) => {
      const got = [];
      const calc = document.getElementById('calc');
      for (const t of ['ebios-error', 'ebios-result']) calc.addEventListener(t, (e) => { got.push([t, e.detail.error?.code || e.detail.result.text]); if (got.length === 2) res(got); });
    }));
    await page.locator('#calc input').fill('(1 ± 0.1) * ');
    await page.locator('#calc output', { hasText: 'NUCORE_010' }).waitFor();
    assert.match(await text(page, '#calc output'), /NUCORE_010: .*\(column \d+\)/);
    assert.equal(await page.locator('#calc input').getAttribute('aria-invalid'), 'true');
    await page.locator('#calc input').fill('(1 ± 0.1) * 3');
    await page.locator('#calc output', { hasText: '3.00 ± 0.31' }).waitFor();
    assert.deepEqual(await events, [['ebios-error', 'NUCORE_010'], ['ebios-result', '3.00 ± 0.31']]);

    await poll('the good bundle to verify', 60_000, async () => (await page.locator('#good').getAttribute('state')) === 'ok');
    assert.match(await text(page, '#good .verdict'), new RegExp(`Verified: ${ENTRIES.toLocaleString('en-US')} entries of log bench.example/ebios`));
    await poll('the tampered bundle to fail', 60_000, async () => (await page.locator('#bad').getAttribute('state')) === 'failed');
    assert.match(await text(page, '#bad .verdict'), new RegExp(`Failed at entry ${BAD} \\(signature\\): LEDGER_004`));
    const verifies = await page.evaluate(() => globalThis.webCryptoVerifies);
    assert.ok(verifies >= ENTRIES + BAD, `${verifies} WebCrypto checks for the ${ENTRIES} + ${BAD} signatures of the two bundles`);
    await poll('the signed result to verify', 20_000, async () => (await page.locator('#result').getAttribute('state')) === 'ok');
    assert.match(await text(page, '#result [part=value]'), /^\(10 ± 0\.5\) \* \(20 ± 1\) = 200 ± 14 \(nu\)$/);
    assert.match(await text(page, '#result [part=mark]'), /✓ Verified: entry \d+ of log/);

    // 2. The JS API: Promises, structured errors, the CLI's report.
    const apiRes = await page.evaluate(async () => {
      const r = await ebios.calc('(10 ± 0.5) * (20 ± 1)');
      const e = await ebios.calc('1 / (0 ± 1)', { mode: 'interval' }).catch((x) => x.toJSON());
      const rep = await ebios.verifyBundle('/bad.json', document.getElementById('bad').getAttribute('key'));
      return { text: r.text, code: e.code, category: e.category, firstBad: rep.first_bad, entries: rep.entries };
    });
    assert.deepEqual(apiRes, { text: '200 ± 14', code: 'NUCORE_005', category: 'operation',
      firstBad: apiRes.firstBad, entries: BAD });
    assert.equal(apiRes.firstBad.index, BAD);
    assert.equal(apiRes.firstBad.check, 'signature');

    // 3. The iframe: it announced itself to the host, and answers a call.
    const frame = await poll('the embed frame', TIMEOUT, () => page.frames().find((f) => f.url().startsWith(api + '/embed/calc')));
    await frame.locator('ebios-calc output', { hasText: '3.00 ± 0.22' }).waitFor();
    await poll('the frame\'s ready message', TIMEOUT, () => page.evaluate((api) =>
      received.some((m) => m.origin === api && m.data.ebios === 1 && m.data.event === 'ready'), api));
    const answer = await page.evaluate((api) => new Promise((res, rej) => {
      addEventListener('message', (e) => { if (e.origin === api && e.data.id === 'q1') res(e.data); });
      document.getElementById('frame').contentWindow.postMessage({ ebios: 1, id: 'q1', method: 'calc',
        params: { expression: '(10 ± 0.5) * (20 ± 1)', mode: 'interval' } }, api);
      setTimeout(() => rej(new Error('no answer from the frame in 10 s')), 10_000);
    }), api);
    assert.equal(answer.result.text, '200 ± 21');
    const failed = await page.evaluate((api) => new Promise((res) => {
      addEventListener('message', (e) => { if (e.origin === api && e.data.id === 'q2') res(e.data); });
      document.getElementById('frame').contentWindow.postMessage({ ebios: 1, id: 'q2', method: 'parse', params: { text: 'five' } }, api);
    }), api);
    assert.equal(failed.error.code, 'NUCORE_010');
    // set changes the frame's element; its result comes back as an event.
    await page.evaluate((api) => document.getElementById('frame').contentWindow.postMessage(
      { ebios: 1, id: 'q3', method: 'set', params: { expression: '2 * (1 ± 0.5)' } }, api), api);
    await poll('the result event of the new expression', TIMEOUT, () => page.evaluate((api) => received.some((m) =>
      m.origin === api && m.data.event === 'ebios-result' && m.data.detail.result.text === '2.0 ± 1.0'), api));

    // A frame of a third origin posts to the widget's frame: ignored.
    const other = page.frames().find((f) => f.url().startsWith(foreign));
    assert.ok(other, 'the foreign frame is missing');
    await other.evaluate(() => {
      const target = parent.frames[0];
      target.postMessage({ ebios: 1, id: 'evil1', method: 'set', params: { expression: '666' } }, '*');
      target.postMessage({ ebios: 1, id: 'evil2', method: 'calc', params: { expression: '1' } }, '*');
    });
    await poll('the frame to count the foreign messages', TIMEOUT, async () =>
      Number(await frame.evaluate(() => document.body.dataset.ignored || 0)) >= 2);
    assert.equal(await frame.locator('ebios-calc input').inputValue(), '2 * (1 ± 0.5)');
    const leaked = await page.evaluate(() => received.filter((m) => /^evil/.test(m.data && m.data.id)).length);
    assert.equal(leaked, 0, 'the frame answered a foreign message');

    assert.deepEqual(violations, [], 'CSP violations on the host page');
    // Accessible: axe-core finds no serious or critical violation in the
    // elements (their shadow DOM included).
    assert.deepEqual(await axeViolations(page), []);
    assert.deepEqual(page.errors, []);
    await shot(page, 'widget-desktop');
    // The same page opened on a phone-sized screen.
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(host + '/host.html', { waitUntil: 'domcontentloaded' });
    await poll('the bundles to verify on the phone', 60_000, async () =>
      (await phone.locator('#good').getAttribute('state')) === 'ok' && (await phone.locator('#bad').getAttribute('state')) === 'failed');
    const phoneFrame = await poll('the embed frame', TIMEOUT, () => phone.frames().find((f) => f.url().startsWith(api + '/embed/calc')));
    await phoneFrame.locator('ebios-calc output', { hasText: '3.00 ± 0.22' }).waitFor();
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'the page overflows sideways on a phone');
    await phone.locator('#frame').scrollIntoViewIfNeeded();
    await shot(phone, 'widget-phone');
    await phone.close();
  }));

test('ebios static delivers the widget too: a page of another origin loads it from a static host', { timeout: 60_000 },
  () => browser.run('widget-static', async (page) => {
    await page.goto(foreign + '/static.html', { waitUntil: 'domcontentloaded' });
    await page.locator('ebios-calc output', { hasText: '200 ± 14' }).waitFor();
    const frame = await poll('the static embed frame', TIMEOUT, () => page.frames().find((f) => f.url().startsWith(site + '/embed/calc.html')));
    await frame.locator('ebios-calc output', { hasText: '= 2 (nu)' }).waitFor();
    // The loader came through the unversioned alias and took the wasm from
    // its version's directory.
    const wasm = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm')));
    assert.equal(wasm.length, 1, wasm.join(' '));
    assert.match(wasm[0], new RegExp(`^${site}/widget/[0-9a-f]{12}/widget\\.wasm$`));
  }));

test('only /embed/* may be framed; the iframe page refuses a site not listed', { timeout: 60_000 }, async () => {
  const pageRes = await fetch(api + '/embed/calc');
  assert.equal(pageRes.status, 200);
  assert.match(pageRes.headers.get('content-security-policy'), new RegExp(`frame-ancestors ${host}$`));
  assert.equal(pageRes.headers.get('x-frame-options'), null);
  for (const p of ['/', '/calc', '/users']) {
    const r = await fetch(api + p, { headers: { Accept: 'text/html' } });
    assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'$/, p);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
  }
  const js = await fetch(api + '/widget/ebios.js');
  const version = (await js.text()).match(/^\/\*! eBIOS widget ([0-9a-f]+) \*\//)?.[1];
  assert.ok(version, 'the loader names no version');
  const wasm = await fetch(`${api}/widget/${version}/widget.wasm`, { headers: { 'Accept-Encoding': 'br, gzip', Origin: host } });
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('access-control-allow-origin'), '*');
  assert.match(wasm.headers.get('cache-control'), /immutable/);
  // A site that the server does not list cannot show the iframe page.
  await browser.run('widget-refused', async (page) => {
    const blocked = [];
    page.on('console', (m) => { if (/frame-ancestors/.test(m.text())) blocked.push(m.text()); });
    await page.goto(foreign + '/foreign.html');
    await page.evaluate((src) => { const f = document.createElement('iframe'); f.src = src; document.body.append(f); }, api + '/embed/calc');
    await poll('Chromium to refuse the frame', TIMEOUT, () => blocked.length > 0);
  });
});
