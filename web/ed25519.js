// Ed25519 signature checks with the browser's own WebCrypto, spread over
// Web Workers: an implementation independent of the Go code compiled to
// WebAssembly. It does not depend on go-app: any page can load it with a
// plain <script src=".../ed25519.js"> (next to ed25519worker.js) and use
//
//   const pool = new EbiosEd25519Pool({size, workerURL});
//   const oks = await pool.verify(pub, bodies, ends, sigs);
//   pool.terminate();
//
// size defaults to navigator.hardwareConcurrency and workerURL to
// ed25519worker.js next to this script. verify takes one batch (pub the raw
// 32-byte public key; bodies the signed messages back to back; ends
// little-endian uint32s saying where each message ends in bodies; sigs the
// 64-byte signatures back to back, all Uint8Arrays) and resolves to a
// Uint8Array with 1 for each signature that verifies and 0 for each that
// does not. It splits the batch among the workers (the message protocol is
// in ed25519worker.js) and rejects when the browser cannot check Ed25519
// at all. Where Web Workers cannot start (none in this browser, a CSP
// without worker-src, the script missing), it checks on the calling
// thread, with the same answers.
//
// Chromium runs every WebCrypto operation of a page (its workers included)
// on one "WebCrypto" thread; what the workers take off the page is the
// cost of issuing each operation, which is as large as the check itself.
//
// ebiosEd25519Verify(pub, bodies, ends, sigs) is verify on a pool made at
// the first call, and ebiosEd25519Workers() the number of workers it runs:
// the audit page's bridge (app/webcrypto_wasm.go).
(function () {
  'use strict';

  const here = (typeof document !== 'undefined' && document.currentScript && document.currentScript.src) ||
    self.location.href; // in a worker: the worker script, next to this one

  // A batch is split into parts of at least this many signatures.
  const minPart = 32;

  // verifyHere checks a batch on the calling thread (the workers do it
  // too, as EbiosEd25519Pool.check).
  async function verifyHere(pub, bodies, ends, sigs) {
    const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    const view = new DataView(ends.buffer, ends.byteOffset, ends.byteLength);
    const n = ends.byteLength / 4;
    const oks = new Uint8Array(n);
    const checks = new Array(n);
    let start = 0;
    for (let i = 0; i < n; i++) {
      const end = view.getUint32(4 * i, true);
      checks[i] = crypto.subtle.verify('Ed25519', key, sigs.subarray(64 * i, 64 * i + 64), bodies.subarray(start, end))
        .then((ok) => { oks[i] = ok ? 1 : 0; });
      start = end;
    }
    await Promise.all(checks);
    return oks;
  }

  class EbiosEd25519Pool {
    constructor({ size, workerURL } = {}) {
      this.size = Math.max(1, size || (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2);
      this.workerURL = workerURL || new URL('ed25519worker.js', here).href;
      this.workers = null; // started at the first batch
      this.broken = typeof Worker === 'undefined';
      this.pending = new Map(); // id -> {resolve, reject, args} of a part sent to a worker
      this.nextID = 0;
      this.turn = 0;
    }

    start() {
      this.workers = [];
      try {
        for (let i = 0; i < this.size; i++) {
          const w = new Worker(this.workerURL);
          w.onmessage = (e) => this.answer(e.data);
          w.onerror = (e) => { e.preventDefault(); this.fail(); };
          this.workers.push(w);
        }
      } catch (e) {
        this.terminate();
        this.broken = true;
      }
    }

    answer({ id, oks, error }) {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (error !== undefined) p.reject(new Error(error));
      else p.resolve(oks);
    }

    // fail gives up on the workers (one could not start or crashed): the
    // parts they hold, and every later batch, are checked on this thread.
    fail() {
      this.broken = true;
      const held = [...this.pending.values()];
      this.pending.clear();
      this.terminate();
      for (const p of held) verifyHere(...p.args).then(p.resolve, p.reject);
    }

    // part sends one part of a batch to the next worker.
    part(args) {
      const w = this.workers[this.turn++ % this.workers.length];
      const id = this.nextID++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, args });
        const [pub, bodies, ends, sigs] = args;
        // Copied, not transferred: fail() may need them back.
        w.postMessage({ id, pub, bodies, ends, sigs });
      });
    }

    async verify(pub, bodies, ends, sigs) {
      if (!this.workers && !this.broken) this.start();
      if (this.broken) return verifyHere(pub, bodies, ends, sigs);
      const n = ends.byteLength / 4;
      const view = new DataView(ends.buffer, ends.byteOffset, ends.byteLength);
      const parts = Math.max(1, Math.min(this.workers.length, Math.floor(n / minPart)));
      const jobs = [];
      let from = 0;
      let start = 0;
      for (let k = 0; k < parts; k++) {
        const to = Math.round(n * (k + 1) / parts);
        const end = to > 0 ? view.getUint32(4 * (to - 1), true) : 0;
        const partEnds = new Uint8Array(4 * (to - from));
        const pv = new DataView(partEnds.buffer);
        for (let i = from; i < to; i++) pv.setUint32(4 * (i - from), view.getUint32(4 * i, true) - start, true);
        jobs.push(this.part([pub.slice(), bodies.slice(start, end), partEnds, sigs.slice(64 * from, 64 * to)]));
        from = to;
        start = end;
      }
      const answers = await Promise.all(jobs);
      const oks = new Uint8Array(n);
      let at = 0;
      for (const a of answers) {
        oks.set(a, at);
        at += a.length;
      }
      return oks;
    }

    terminate() {
      for (const w of this.workers || []) w.terminate();
      this.workers = null;
    }
  }

  EbiosEd25519Pool.check = verifyHere;
  globalThis.EbiosEd25519Pool = EbiosEd25519Pool;

  let pool = null;
  globalThis.ebiosEd25519Verify = function (pub, bodies, ends, sigs) {
    if (!pool) pool = new EbiosEd25519Pool();
    return pool.verify(pub, bodies, ends, sigs);
  };
  // ebiosEd25519Workers is the number of workers ebiosEd25519Verify's pool
  // runs (0 before its first batch and when it checks on this thread).
  globalThis.ebiosEd25519Workers = () => (pool && pool.workers ? pool.workers.length : 0);
})();
