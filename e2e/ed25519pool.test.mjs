// End-to-end test of the Ed25519 worker pool on its own (web/ed25519.js and
// web/ed25519worker.js, which the audit page uses and any page can load):
// a page served by a small loopback server loads the script and checks
// signatures made here by node's crypto, good and bad ones mixed, in
// batches that the pool splits among its workers. The answers must be the
// right ones in the right order, from one worker per core; the same when
// the workers cannot start (the worker script missing), where the pool
// checks on the page's thread; and a worker spoken to directly follows the
// message protocol in web/ed25519worker.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { here, openBrowser } from './lib.mjs';

let server, base, browser;

before(async () => {
  const files = {
    '/web/ed25519.js': readFileSync(join(here, '..', 'web', 'ed25519.js')),
    '/web/ed25519worker.js': readFileSync(join(here, '..', 'web', 'ed25519worker.js')),
  };
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') {
      res.setHeader('Content-Type', 'text/html');
      res.end('<!doctype html><title>pool</title><script src="/web/ed25519.js"></script>' +
        '<script>const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));</script>');
    } else if (path === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
    } else if (files[path]) {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(files[path]);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await openBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
});

// batch makes n messages of varied lengths (some empty) signed by one key,
// with the signatures at the positions in bad spoiled; it returns the
// arguments of verify in base64 (b64 in the page turns them back into
// Uint8Arrays), and the answers expected.
function batch(n, bad) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const bodies = [], ends = Buffer.alloc(4 * n), sigs = [];
  let end = 0;
  for (let i = 0; i < n; i++) {
    const m = randomBytes(i % 5 === 0 ? 0 : 100 + (i * 37) % 400);
    const s = sign(null, m, privateKey);
    if (bad.includes(i)) s[i % 64] ^= 0x20;
    bodies.push(m);
    sigs.push(s);
    end += m.length;
    ends.writeUInt32LE(end, 4 * i);
  }
  const want = Array.from({ length: n }, (_, i) => (bad.includes(i) ? 0 : 1));
  return { args: [pub, Buffer.concat(bodies), ends, Buffer.concat(sigs)].map((b) => b.toString('base64')), want };
}

// verify runs pool.verify in the page for each batch, all at once, with
// a pool of the given options; it returns the answers and the pool's
// number of workers.
function verify(page, batches, opts) {
  return page.evaluate(async ({ batches, opts }) => {
    const pool = new EbiosEd25519Pool(opts);
    const out = await Promise.all(batches.map((b) => pool.verify(...b.map(b64))));
    const workers = pool.workers ? pool.workers.length : 0;
    pool.terminate();
    return { oks: out.map((o) => [...o]), workers };
  }, { batches, opts });
}

test('the pool checks batches on one worker per core, in order', { timeout: 60_000 }, () => browser.run('ed25519pool', async (page) => {
  await page.goto(base + '/');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const cases = [batch(1, []), batch(1, [0]), batch(31, [30]), batch(200, [0, 63, 64, 65, 199]), batch(1024, [5, 511, 512, 1000])];
  const got = await verify(page, cases.map((c) => c.args), {});
  assert.equal(got.workers, cores, 'workers');
  cases.forEach((c, k) => assert.deepEqual(got.oks[k], c.want, `batch ${k}`));
  // More workers than cores, and a single one.
  for (const size of [1, 5]) {
    const r = await verify(page, cases.map((c) => c.args), { size });
    assert.equal(r.workers, size, `size ${size}`);
    cases.forEach((c, k) => assert.deepEqual(r.oks[k], c.want, `size ${size}, batch ${k}`));
  }
  assert.deepEqual(page.errors, [], 'browser errors');
}));

test('without its worker script the pool checks on the page thread, with the same answers', { timeout: 60_000 }, () => browser.run('ed25519pool-fallback', async (page) => {
  await page.goto(base + '/');
  const c = batch(300, [1, 150, 299]);
  const r = await verify(page, [c.args], { workerURL: base + '/web/missing.js' });
  assert.equal(r.workers, 0, 'no workers left');
  assert.deepEqual(r.oks[0], c.want);
  // ebiosEd25519Verify is the same pool, made at the first call.
  const direct = await page.evaluate(async (args) => {
    const oks = await ebiosEd25519Verify(...args.map(b64));
    return { oks: [...oks], workers: ebiosEd25519Workers() };
  }, c.args);
  assert.deepEqual(direct.oks, c.want);
  assert.equal(direct.workers, await page.evaluate(() => navigator.hardwareConcurrency));
}));

test('a worker follows the message protocol', { timeout: 60_000 }, () => browser.run('ed25519worker', async (page) => {
  await page.goto(base + '/');
  const c = batch(10, [3]);
  const replies = await page.evaluate(async (args) => {
    const w = new Worker('/web/ed25519worker.js');
    const got = [];
    const done = new Promise((resolve) => {
      w.onmessage = (e) => { got.push(e.data); if (got.length === 2) resolve(); };
    });
    const [pub, bodies, ends, sigs] = args.map(b64);
    w.postMessage({ id: 7, pub, bodies, ends, sigs });
    w.postMessage({ id: 8, pub: new Uint8Array(5), bodies, ends, sigs }); // not a public key
    await done;
    w.terminate();
    return got.map((m) => ({ id: m.id, oks: m.oks && [...m.oks], error: m.error }));
  }, c.args);
  const byID = Object.fromEntries(replies.map((r) => [r.id, r]));
  assert.deepEqual(byID[7].oks, c.want, 'answers');
  assert.equal(typeof byID[8].error, 'string', 'a key WebCrypto refuses is an error, not bad signatures');
}));
