// ebiosEd25519Verify checks Ed25519 signatures with the browser's own
// WebCrypto, for the audit page (app/webcrypto_wasm.go): an implementation
// independent of the Go code compiled to WebAssembly, running off the main
// thread. pub is the raw 32-byte public key; bodies holds the signed
// messages back to back, ends (little-endian uint32s) where each one ends;
// sigs holds the 64-byte signatures back to back. It resolves to a
// Uint8Array with 1 for each signature that verifies and 0 for each that
// does not, and rejects when the browser cannot check Ed25519 at all.
globalThis.ebiosEd25519Verify = async function (pub, bodies, ends, sigs) {
  const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  const view = new DataView(ends.buffer, ends.byteOffset, ends.byteLength);
  const n = ends.byteLength / 4;
  const out = new Uint8Array(n);
  const checks = new Array(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = view.getUint32(4 * i, true);
    checks[i] = crypto.subtle.verify('Ed25519', key, sigs.subarray(64 * i, 64 * i + 64), bodies.subarray(start, end))
      .then((ok) => { out[i] = ok ? 1 : 0; });
    start = end;
  }
  await Promise.all(checks);
  return out;
};
