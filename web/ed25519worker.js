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
// The worker has no state: a pool may send any batch to any worker. It
// checks with EbiosEd25519Pool.check, from ed25519.js next to it.
'use strict';

importScripts(new URL('ed25519.js', self.location.href).href);

self.onmessage = async (e) => {
  const { id, pub, bodies, ends, sigs } = e.data;
  try {
    const oks = await EbiosEd25519Pool.check(pub, bodies, ends, sigs);
    self.postMessage({ id, oks }, [oks.buffer]);
  } catch (err) {
    self.postMessage({ id, error: String((err && err.message) || err) });
  }
};
