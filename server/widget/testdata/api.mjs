// The widget's JS API under node, as a page uses it: ebios.js is run as a
// classic script (with the little of `document` it reads), and loads
// widget.wasm over HTTP from a server on loopback. Run by TestJSAPI:
//
//   node api.mjs DIR   (DIR: ebios.js, widget.wasm, good.json, bad.json, key.txt, entry.json)
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const dir = process.argv[2];
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = http.createServer((req, res) => {
  const name = path.basename(new URL(req.url, 'http://x').pathname);
  fs.readFile(path.join(dir, name), (err, data) => {
    if (err) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(name)] || 'application/octet-stream' });
    res.end(data);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/widget/${process.argv[3]}/`;
globalThis.document = { currentScript: { src: base + 'ebios.js' }, baseURI: base };
const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
vm.runInThisContext(fs.readFileSync(path.join(dir, 'ebios.js'), 'utf8'), { filename: 'ebios.js' });
const { ebios } = globalThis;
let n = 0;
const ok = (name) => console.log(`ok ${++n} ${name}`);

try {
  // Only `ebios` is added to the page's globals (Go's fs, process, path
  // and Go live in the loader's scope).
  const added = Object.getOwnPropertyNames(globalThis).filter((k) => !globalsBefore.has(k));
  assert.deepEqual(added, ['ebios']);
  ok('only ebios is global');

  const p = ebios.calc('(10 ± 0.5) * (20 ± 1)', { mode: 'interval' });
  assert.ok(p instanceof Promise);
  const r = await p;
  assert.equal(r.n, 200);
  assert.equal(r.u, 20.5);
  assert.equal(r.text, '200 ± 21');
  ok('calc interval');
  assert.equal((await ebios.calc('(10 ± 0.5) * (20 ± 1)')).text, '200 ± 14');
  ok('calc nu by default');

  await assert.rejects(ebios.calc('1 + * 2'), (e) => {
    assert.ok(e instanceof ebios.Error && e instanceof Error);
    assert.equal(e.code, 'NUCORE_010');
    assert.equal(e.category, 'syntax');
    assert.equal(e.column, 5);
    assert.ok(e.remediation);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(e))).sort(), ['category', 'code', 'column', 'message', 'remediation']);
    return true;
  });
  ok('calc syntax error is structured');

  assert.deepEqual(await ebios.parse('5.23(12)'), { n: 5.23, u: 0.12 });
  await assert.rejects(ebios.parse('5 ± -1'), { code: 'NUCORE_001' });
  ok('parse');
  assert.equal(await ebios.format({ n: 200, u: 20.5 }, { mode: 'interval' }), '200 ± 21');
  assert.equal(await ebios.format({ n: 7, u: '+Inf' }), '7 ± inf');
  await assert.rejects(ebios.format({ n: 1, u: 1 }, { notation: 'roman' }), { code: 'WIDGET_001', category: 'widget' });
  ok('format');

  const key = fs.readFileSync(path.join(dir, 'key.txt'), 'utf8').trim();
  const good = new Uint8Array(fs.readFileSync(path.join(dir, 'good.json')));
  const seen = [];
  const rep = await ebios.verifyBundle(good, key, { onProgress: (done, total) => seen.push([done, total]) });
  assert.equal(rep.ok, true);
  assert.equal(rep.entries, 3000);
  assert.ok(seen.length >= 1 && seen.at(-1)[0] === 3000 && seen.at(-1)[1] === 3000, JSON.stringify(seen.slice(-3)));
  ok('verifyBundle bytes: good');

  const bad = await ebios.verifyBundle(base + 'bad.json', key);
  assert.equal(bad.ok, false);
  assert.equal(bad.first_bad.index, 1234);
  assert.equal(bad.first_bad.check, 'signature');
  assert.equal(bad.entries, 1234);
  ok('verifyBundle URL (streamed): names the first bad entry');
  assert.equal((await ebios.verifyBundle(new Response(fs.readFileSync(path.join(dir, 'good.json'))), key)).ok, true);
  ok('verifyBundle Response');

  const ctl = new AbortController();
  const running = ebios.verifyBundle(good, key, { signal: ctl.signal, onProgress: () => ctl.abort() });
  await assert.rejects(running, { code: 'WIDGET_002' });
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(ebios.verifyBundle(good, key, { signal: pre.signal }), { code: 'WIDGET_002' });
  ok('verifyBundle cancelled by its signal');
  // The wasm keeps working after a cancellation.
  assert.equal((await ebios.verifyBundle(good, key)).ok, true);
  ok('verifyBundle after a cancellation');

  await assert.rejects(ebios.verifyBundle(base + 'missing.json', key), { code: 'WIDGET_005' });
  await assert.rejects(ebios.verifyBundle(42, key), { code: 'WIDGET_001' });
  ok('verifyBundle bad sources');

  const rec = JSON.parse(fs.readFileSync(path.join(dir, 'entry.json'), 'utf8'));
  const v = await ebios.verifyEntry(rec.entry, rec.inclusion_proof.checkpoint, rec.inclusion_proof, key);
  assert.equal(v.ok, true);
  assert.equal(v.index, rec.entry.index);
  const forged = { ...rec.entry, operation: 'sub' };
  const f = await ebios.verifyEntry(forged, rec.inclusion_proof.checkpoint, rec.inclusion_proof.hashes, key);
  assert.equal(f.ok, false);
  assert.equal(f.check, 'signature');
  assert.equal(f.error.code, 'LEDGER_004');
  ok('verifyEntry');
  console.log(`${n} passed, 0 failed`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  server.close();
  process.exit(process.exitCode || 0);
}
