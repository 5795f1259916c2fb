// The Web Worker of the eBIOS calculator's uncertainty analyses (budget,
// expanded uncertainty, Monte Carlo): it runs mcworker.wasm (Go,
// wasm/mcworker) off the page's thread, so the page answers while a long
// Monte Carlo run goes on. The protocol is in app/mcjob: the page posts a
// job as JSON text; the worker posts {type: "ready"}, then per job
// {type: "progress", done, planned} and {type: "done", ...}, or
// {type: "fatal", message} when the wasm cannot start. A busy Go worker
// reads no messages: the page cancels a run by terminating the worker.
//
// Both files are found next to this script, and Go's wasm_exec.js (served
// for the app at the site's root) one level up, so the same script works
// under `ebios serve` and in a static build; the app's service worker
// caches all three, so analyses work offline.
'use strict';

// Jobs posted before Go has started wait here; main() takes them.
self.ebiosMCPending = [];
self.onmessage = (e) => { self.ebiosMCPending.push(e.data); };

(async () => {
  try {
    importScripts(new URL('../wasm_exec.js', self.location.href).href);
    const go = new Go();
    const url = new URL('mcworker.wasm', self.location.href);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
    let instance;
    try {
      instance = (await WebAssembly.instantiateStreaming(res.clone(), go.importObject)).instance;
    } catch (e) { // a host that does not send application/wasm
      instance = (await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject)).instance;
    }
    await go.run(instance); // main never returns while the worker lives
    self.postMessage({ type: 'fatal', message: 'the analysis worker stopped' });
  } catch (e) {
    self.postMessage({ type: 'fatal', message: 'the analysis worker could not start: ' + (e && e.message ? e.message : e) });
  }
})();
