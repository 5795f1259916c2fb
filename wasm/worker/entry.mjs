// The Worker's entry (wrangler.toml main). Requests run the Go wasm
// through syumai/workers' generated build/worker.mjs, one Go instance per
// request, except the appends of the log (POST execute and batch), which go
// to the log's Durable Object: the one sequencer of the log.
//
// The Durable Object class must be JavaScript; it is thin on purpose. It
// hosts one long-lived instance of the same Go wasm (started as
// build/worker.mjs starts one, with EBIOS_SEQUENCER set) and hands it every
// request it gets. Entry encoding, sequencing, signing and the group
// commit are Go's (wasm/worker/edge).
import "./build/wasm_exec.js";
import { createRuntimeContext, loadModule } from "./build/runtime.mjs";
import worker from "./build/worker.mjs";

// APPENDS are the routes that append to the log (the API's paths and the
// original eBIOS aliases).
const APPENDS = new Set([
  "/api/v1/operations/execute",
  "/operations/execute",
  "/api/v1/operations/batch",
  "/operations/batch",
]);

export default {
  ...worker,
  fetch(req, env, ctx) {
    if (req.method === "POST" && APPENDS.has(new URL(req.url).pathname)) {
      const seq = env.SEQUENCER.get(env.SEQUENCER.idFromName("log"));
      return seq.fetch(req);
    }
    return worker.fetch(req, env, ctx);
  },
};

export class Sequencer {
  constructor(state, env) {
    this.state = state;
    this.env = Object.assign({}, env, { EBIOS_SEQUENCER: "1" });
    this.binding = null;
  }

  // start runs the Go wasm once; it serves until the object goes away.
  async start() {
    const mod = await loadModule();
    const go = new Go();
    const binding = {};
    let ready;
    const started = new Promise((resolve) => (ready = resolve));
    const instance = new WebAssembly.Instance(mod, {
      ...go.importObject,
      workers: { ready: () => ready() },
    });
    go.run(instance, createRuntimeContext({ env: this.env, ctx: this.state, binding }))
      .finally(() => (this.binding = null)); // exited: the next request starts it again
    await started;
    return binding;
  }

  async fetch(req) {
    if (this.binding === null) {
      this.binding = this.start();
      this.binding.catch(() => (this.binding = null)); // a failed start is tried again
    }
    const binding = await this.binding;
    return binding.handleRequest(req);
  }
}
