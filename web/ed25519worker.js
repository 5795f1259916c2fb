// The Web Worker of EbiosEd25519Pool (web/ed25519.js): it checks batches of
// Ed25519 signatures by one public key with the browser's WebCrypto, so
// that the page's own thread does not spend its time issuing them.
//
// Protocol (one message in, one message out, matched by id):
//
//   in:  {id, pub, bodies, ends, sigs}
//        id      any number, echoed back
//        pub     Uint8Array, the raw 32-byte public key
//        bodies  Uint8Array, the signed messages back to back
//        ends    Uint8Array, little-endian uint32s: where each message
//                ends in bodies (so message i is bodies[ends[i-1]..ends[i]])
//        sigs    Uint8Array, the 64-byte signatures back to back
//   out: {id, oks}    oks: Uint8Array, 1 for each signature that verifies
//                     and 0 for each that does not, in order
//        {id, error}  error: a string, when WebCrypto cannot check Ed25519
//                     at all (a bad signature is never an error)
//
// The worker keeps the imported key of the last public key it saw. It has
// no other state: a pool may send any batch to any worker.
'use strict';

let lastPub = null;
let lastKey = null;

function samePub(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function keyFor(pub) {
  if (!samePub(lastPub, pub)) {
    lastKey = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    lastPub = pub.slice();
  }
  return lastKey;
}

self.onmessage = async (e) => {
  const { id, pub, bodies, ends, sigs } = e.data;
  try {
    const key = await keyFor(pub);
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
    self.postMessage({ id, oks }, [oks.buffer]);
  } catch (err) {
    self.postMessage({ id, error: String((err && err.message) || err) });
  }
};
