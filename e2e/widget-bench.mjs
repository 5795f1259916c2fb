// The embeddable widget, measured (make widget-bench): the sizes of its
// loader and wasm as `ebios serve` sends them (plain, gzip, brotli: the
// files embedded by make build), and the time from navigation to the first
// computed result of an <ebios-calc> on a page of another origin at
// localhost speed, in headless Chromium: with an empty profile each time
// (cold), and again in the same profile (warm: the versioned files come
// from the HTTP cache), and the rate of ebios.verifyBundle on a bundle of
// ENTRIES entries (default 20,000; e2e/genbundle), single-threaded on the
// page's thread. Prints medians of RUNS runs (default 5) and whether the
// size budgets hold. Reports figures; it fails only when a
// visit reaches no result. Run by scripts/e2e.sh with
// E2E_TESTS=e2e/widget-bench.mjs, which builds bin/ebios and starts it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { here, openBrowser, freePort } from './lib.mjs';

const BASE = process.env.EBIOS_URL;
const RUNS = Number(process.env.RUNS || 5);
const ENTRIES = Number(process.env.ENTRIES || 20000);
const servers = [];
after(() => { for (const s of servers) s.close(); });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

test('widget sizes and time to the first result', { timeout: 600_000 }, async () => {
  const dist = join(here, '..', 'server', 'webassets', 'dist', 'widget');
  const size = (f) => { try { return statSync(join(dist, f)).size; } catch { return NaN; } };
  console.log('file          plain       gzip     brotli');
  for (const f of readdirSync(dist).filter((f) => !/\.(br|gz)$/.test(f)).sort()) {
    console.log(`${f.padEnd(12)} ${String(size(f)).padStart(8)} ${String(size(f + '.gz')).padStart(10)} ${String(size(f + '.br')).padStart(10)}`);
  }
  console.log(`budgets: widget.wasm gzip ${size('widget.wasm.gz')} B of 1,048,576 (${size('widget.wasm.gz') <= 1048576 ? 'holds' : 'OVER'}); ` +
    `ebios.js gzip ${size('ebios.js.gz')} B of 10,240 (${size('ebios.js.gz') <= 10240 ? 'holds' : 'OVER'})`);

  const port = await freePort();
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>host</title>
<script src="/host.js"></script><script src="${BASE}/widget/ebios.js" async></script></head>
<body><ebios-calc expression="(10 ± 0.5) * (20 ± 1)"></ebios-calc></body></html>`;
  const s = createServer((req, res) => {
    if (req.url === '/host.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end('document.addEventListener("ebios-result", () => { window.firstResult = performance.now(); }, { once: true });');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': `script-src 'self' ${BASE} 'wasm-unsafe-eval'; connect-src ${BASE}` });
    res.end(page);
  });
  await new Promise((r) => s.listen(port, '127.0.0.1', r));
  servers.push(s);
  const host = `http://127.0.0.1:${port}/`;

  const work = mkdtempSync(join(tmpdir(), 'ebios-widget-bench-'));
  const bundlePath = join(work, 'bundle.json');
  const key = execFileSync('go', ['run', './e2e/genbundle', '-n', String(ENTRIES), '-out', bundlePath],
    { cwd: join(here, '..'), encoding: 'utf8' }).trim();
  const bundle = readFileSync(bundlePath);
  rmSync(work, { recursive: true, force: true });

  const cold = [], warm = [], wire = [], verify = [];
  for (let i = 0; i < RUNS; i++) {
    const browser = await openBrowser();
    try {
      const p = await browser.newPage();
      p.on('requestfinished', async (req) => {
        if (req.url().endsWith('/widget.wasm')) wire.push((await req.sizes()).responseBodySize);
      });
      for (const into of [cold, warm]) {
        await p.goto(host, { waitUntil: 'commit' });
        await p.waitForFunction(() => window.firstResult, null, { timeout: 60_000 });
        assert.match(await p.locator('ebios-calc output').innerText(), /200 ± 14/);
        into.push(await p.evaluate(() => window.firstResult));
      }
      // The bundle is handed over as bytes (no fetch): the time is the
      // verification's.
      const ms = await p.evaluate(async ({ b64, key }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const t = performance.now();
        const rep = await ebios.verifyBundle(bytes, key);
        if (!rep.ok) throw new Error(JSON.stringify(rep.first_bad));
        return performance.now() - t;
      }, { b64: bundle.toString('base64'), key });
      verify.push(ms);
    } finally {
      await browser.close();
    }
  }
  console.log(`first computed result, median of ${RUNS} (ms from navigation): cold ${median(cold).toFixed(0)} ` +
    `(runs ${cold.map((x) => x.toFixed(0)).join(', ')}), warm ${median(warm).toFixed(0)} (runs ${warm.map((x) => x.toFixed(0)).join(', ')}); ` +
    `widget.wasm over the wire: ${median(wire)} B`);
  const v = median(verify);
  console.log(`ebios.verifyBundle, ${ENTRIES} entries (${bundle.length} B), median of ${RUNS}: ${(v / 1000).toFixed(2)} s, ` +
    `${Math.round(ENTRIES / (v / 1000))} entries/s (runs ${verify.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`);
});
