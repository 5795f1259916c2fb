// eBIOS widget loader: the JS API (window.ebios) and the custom elements
// <ebios-calc>, <ebios-verify> and <ebios-result> over the widget's wasm
// (wasm/widget), which it streams from next to itself on first use. One
// async script tag loads it; docs/embedding.md documents it. Built into
// web/widget/ebios.js by server/widget/cmd/widgetjs, which puts Go's
// wasm_exec.js where WASM_EXEC stands and the widget's version for VERSION.
(() => {
  'use strict';
  if (globalThis.ebios && globalThis.ebios.version) return; // loaded twice
  const VERSION = '__EBIOS_WIDGET_VERSION__';
  const doc = globalThis.document || {};
  const scriptURL = (doc.currentScript && doc.currentScript.src) || globalThis.location.href;
  const here = new URL('.', scriptURL);
  // The wasm always comes from the versioned (immutable) directory, also
  // when this file was loaded through the unversioned alias.
  const assets = here.pathname.endsWith('/' + VERSION + '/') ? here : new URL(VERSION + '/', here);

  // Go's runtime looks for fs, process and path among the globals and
  // creates them when missing: here they live in a scope of their own, so
  // the host page's globals stay as they are.
  const own = { fs: undefined, process: undefined, path: undefined };
  const sandbox = new Proxy(globalThis, {
    get: (t, k) => (k in own ? own[k] : Reflect.get(t, k)),
    set: (t, k, v) => { own[k] = v; return true; },
    has: (t, k) => k in own || k in t,
  });
  ((globalThis) => {
    /*WASM_EXEC*/
  })(sandbox);

  class EbiosError extends Error {
    constructor(e) {
      super(e.message);
      this.name = 'EbiosError';
      for (const k of ['code', 'category', 'details', 'remediation', 'column']) if (e[k] !== undefined) this[k] = e[k];
    }
    toJSON() {
      const o = { code: this.code, category: this.category, message: this.message };
      for (const k of ['details', 'remediation', 'column']) if (this[k] !== undefined) o[k] = this[k];
      return o;
    }
  }
  const widgetError = (code, message, details, remediation) =>
    new EbiosError({ code, category: 'widget', message, details, remediation });
  const aborted = () => widgetError('WIDGET_002', 'cancelled by the caller\'s AbortSignal', undefined,
    'call again without aborting the signal to get a result');
  const answer = (json) => { const a = JSON.parse(json); if (a.error) throw new EbiosError(a.error); return a.ok; };

  let loading = null;
  const load = () => loading || (loading = (async () => {
    const go = new own.Go();
    const ready = new Promise((resolve) => { own.ebiosWidgetReady = resolve; });
    const url = new URL('widget.wasm', assets);
    const res = await fetch(url, { credentials: 'omit' });
    if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
    let inst;
    try {
      inst = await WebAssembly.instantiateStreaming(res.clone(), go.importObject);
    } catch (e) { // a host that does not send application/wasm
      if (!(e instanceof TypeError)) throw e;
      inst = await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject);
    }
    go.run(inst.instance);
    return ready;
  })().catch((e) => {
    loading = null;
    throw widgetError('WIDGET_004', 'the eBIOS widget could not load', String(e && e.message || e),
      'check that the page\'s CSP allows ' + assets.origin + ' in script-src and connect-src, with \'wasm-unsafe-eval\'');
  }));
  // enter calls into the wasm; if its instance died (a fatal error in Go),
  // the call fails with WIDGET_003 and the next one starts a new instance.
  const enter = (f) => {
    try {
      return f();
    } catch (e) {
      loading = null;
      throw widgetError('WIDGET_003', 'internal error in the eBIOS widget', String(e && e.message || e),
        'call again: the widget starts anew; report the call that caused it');
    }
  };
  // signatures: WebCrypto Ed25519 checks (ed25519.js), in Web Workers
  // where the widget is on the page's origin (browsers start workers only
  // from it), else on the page's thread; undefined: Go checks them.
  let pooling = null;
  const signatures = () => pooling || (pooling = new Promise((resolve) => {
    if (!doc.createElement || typeof crypto === 'undefined' || !crypto.subtle) return resolve(undefined);
    const names = ['EbiosEd25519Pool', 'ebiosEd25519Verify', 'ebiosEd25519Workers'];
    const before = names.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]);
    const s = doc.createElement('script');
    s.src = new URL('ed25519.js', assets).href;
    s.async = true;
    const done = (Pool) => {
      s.remove();
      for (const [k, d] of before) if (d) Object.defineProperty(globalThis, k, d); else delete globalThis[k];
      if (!Pool) return resolve(undefined);
      if (assets.origin !== globalThis.location.origin) return resolve(Pool.check);
      const pool = new Pool({ workerURL: new URL('ed25519worker.js', assets).href });
      resolve((pub, bodies, ends, sigs) => pool.verify(pub, bodies, ends, sigs));
    };
    s.onload = () => done(globalThis.EbiosEd25519Pool);
    s.onerror = () => done(undefined);
    (doc.head || doc.documentElement).appendChild(s);
  }));

  const call = async (method, args) => {
    const go = await load();
    return answer(enter(() => go.call(method, JSON.stringify(args))));
  };

  // bundleInput turns what verifyBundle accepts into a Uint8Array or a
  // stream reader.
  const bundleInput = async (src, signal) => {
    if (typeof src === 'string' || src instanceof URL) {
      const url = new URL(src, doc.baseURI || scriptURL);
      try {
        src = await fetch(url, { signal, credentials: 'omit' });
      } catch (e) {
        if (signal && signal.aborted) throw aborted();
        throw widgetError('WIDGET_005', 'cannot fetch ' + url, e.message, 'check the URL, and that its server allows this origin (CORS)');
      }
      if (!src.ok) throw widgetError('WIDGET_005', 'cannot fetch ' + url, 'HTTP ' + src.status, 'check the URL');
    }
    if (src instanceof Response) return src.body ? src.body.getReader() : new Uint8Array(await src.arrayBuffer());
    if (src instanceof Blob) return src.stream().getReader();
    if (src instanceof ArrayBuffer) return new Uint8Array(src);
    if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    throw widgetError('WIDGET_001', 'bad argument: bundle', 'want a URL, a Response, a Blob, an ArrayBuffer or a Uint8Array',
      'see docs/embedding.md for the arguments of each call');
  };

  const ebios = {
    version: VERSION,
    Error: EbiosError,
    ready: () => load().then(() => undefined),
    calc: (expression, options) => call('calc', [expression, options]),
    parse: (text) => call('parse', [text]),
    format: (value, options) => call('format', [value, options]),
    verifyEntry: (entry, checkpoint, proof, pinnedKey) => call('verifyEntry', [entry, checkpoint, proof, pinnedKey]),
    async verifyBundle(bundle, pinnedKey, { onProgress, signal, origin } = {}) {
      if (signal && signal.aborted) throw aborted();
      const [go, sigs] = await Promise.all([load(), signatures()]);
      const input = await bundleInput(bundle, signal);
      return new Promise((resolve, reject) => {
        const progress = onProgress && ((done, total) => { try { onProgress(done, total); } catch (e) { /* the caller's */ } });
        try {
          enter(() => go.verifyBundle(input, pinnedKey, origin || '', sigs, progress, () => !!(signal && signal.aborted), (json) => {
            try { resolve(answer(json)); } catch (e) { reject(e); }
          }));
        } catch (e) { reject(e); }
      });
    },
  };
  Object.defineProperty(globalThis, 'ebios', { value: Object.freeze(ebios), enumerable: true });

  // ---- custom elements (where the page has them) ----
  if (!globalThis.customElements) return;
  const CSS = `:host{display:block;font:var(--ebios-font,inherit);color:var(--ebios-color,inherit);
background:var(--ebios-background,transparent);border:var(--ebios-border,1px solid #8884);
border-radius:var(--ebios-radius,6px);padding:var(--ebios-padding,.6em .8em)}
:host([hidden]){display:none}
.row{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}
input,select,button{font:inherit;color:inherit;background:var(--ebios-input-background,transparent);
border:1px solid var(--ebios-input-border,#888);border-radius:var(--ebios-radius,6px);padding:.3em .5em}
input{flex:1 1 12em;min-width:0}
:focus-visible{outline:2px solid var(--ebios-accent,#1f4e79);outline-offset:1px}
label{font-weight:600}
output,.verdict{display:block;margin:.4em 0 0;font-variant-numeric:tabular-nums}
.ok{color:var(--ebios-ok,#1a7f37)}.bad{color:var(--ebios-error,#b3261e)}
progress{width:100%;accent-color:var(--ebios-accent,#1f4e79)}
small{opacity:.75;overflow-wrap:anywhere;min-width:0}`;
  let sheet = null;
  const shadow = (el, html) => {
    const root = el.attachShadow({ mode: 'open' });
    if (!sheet && root.adoptedStyleSheets) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
    if (sheet) root.adoptedStyleSheets = [sheet];
    root.innerHTML = (sheet ? '' : '<style>' + CSS + '</style>') + html;
    return root;
  };
  const mark = (el, cls) => { el.classList.remove('ok', 'bad'); if (cls) el.classList.add(cls); };
  const fire = (el, type, detail) => el.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  const errText = (e) => (e.code ? e.code + ': ' : '') + e.message + (e.column ? ' (column ' + e.column + ')' : '') +
    (e.remediation ? ' — ' + e.remediation : '');
  let ids = 0;

  class Calc extends HTMLElement {
    static observedAttributes = ['expression', 'mode', 'readonly', 'label'];
    constructor() {
      super();
      const id = 'e' + ++ids;
      this.r = shadow(this, `<form class="row" part="form"><label part="label" for="${id}"></label>
<input part="input" id="${id}" autocomplete="off" spellcheck="false">
<select part="mode" aria-label="Mode"><option>nu</option><option>interval</option><option>gum</option></select></form>
<output part="result" aria-live="polite" for="${id}"></output>`);
      [this.lbl, this.inp, this.sel, this.out] = ['label', 'input', 'select', 'output'].map((s) => this.r.querySelector(s));
      this.r.querySelector('form').addEventListener('submit', (e) => { e.preventDefault(); this.run(); });
      this.inp.addEventListener('input', () => { clearTimeout(this.t); this.t = setTimeout(() => this.run(), 250); });
      this.sel.addEventListener('change', () => this.run());
    }
    get expression() { return this.inp.value; }
    set expression(v) { this.setAttribute('expression', v); }
    get mode() { return this.sel.value; }
    set mode(v) { this.setAttribute('mode', v); }
    attributeChangedCallback(name) {
      const ro = this.hasAttribute('readonly');
      this.lbl.textContent = this.getAttribute('label') || 'Expression';
      if (name === 'expression' || !name) this.inp.value = this.getAttribute('expression') || '';
      if (name === 'mode' || !name) this.sel.value = this.getAttribute('mode') || 'nu';
      this.inp.readOnly = ro;
      this.sel.disabled = ro;
      if (this.isConnected) this.run();
    }
    connectedCallback() { this.attributeChangedCallback(''); }
    async run() {
      const expression = this.inp.value, mode = this.sel.value || 'nu', n = ++this.n || (this.n = 1);
      if (!expression.trim()) { this.out.textContent = ''; return; }
      try {
        const result = await ebios.calc(expression, { mode });
        if (n !== this.n) return;
        mark(this.out, 'ok');
        this.out.textContent = '= ' + result.text + ' (' + result.mode + ')';
        this.inp.removeAttribute('aria-invalid');
        fire(this, 'ebios-result', { expression, mode, result });
      } catch (error) {
        if (n !== this.n) return;
        mark(this.out, 'bad');
        this.out.textContent = errText(error);
        this.inp.setAttribute('aria-invalid', 'true');
        fire(this, 'ebios-error', { expression, mode, error });
      }
    }
  }

  class Verify extends HTMLElement {
    static observedAttributes = ['bundle-url', 'key', 'origin'];
    constructor() {
      super();
      this.r = shadow(this, `<div class="row"><button part="button" type="button">Verify</button>
<small part="key"></small></div><progress part="progress" hidden aria-label="Verification progress"></progress>
<p class="verdict" part="verdict" role="status" aria-live="polite"></p>`);
      [this.btn, this.keyEl, this.bar, this.out] = ['button', 'small', 'progress', 'p'].map((s) => this.r.querySelector(s));
      this.btn.addEventListener('click', () => (this.ctl ? this.ctl.abort() : this.verify()));
    }
    attributeChangedCallback() {
      this.keyEl.textContent = 'pinned key: ' + (this.getAttribute('key') || '(none)');
      if (this.isConnected) this.verify();
    }
    connectedCallback() { this.attributeChangedCallback(); }
    disconnectedCallback() { if (this.ctl) this.ctl.abort(); }
    async verify() {
      const url = this.getAttribute('bundle-url'), key = this.getAttribute('key');
      if (this.ctl) this.ctl.abort();
      if (!url || !key) return;
      const ctl = this.ctl = new AbortController();
      this.setAttribute('state', 'running');
      this.btn.textContent = 'Cancel';
      this.bar.hidden = false;
      this.bar.removeAttribute('value');
      mark(this.out, '');
      this.out.textContent = 'Verifying…';
      try {
        const report = await ebios.verifyBundle(url, key, {
          signal: ctl.signal, origin: this.getAttribute('origin') || '',
          onProgress: (done, total) => {
            this.bar.max = total || 1; this.bar.value = done;
            this.out.textContent = 'Verifying… ' + done.toLocaleString() + ' of ' + total.toLocaleString() + ' entries';
            fire(this, 'ebios-progress', { done, total });
          },
        });
        if (ctl !== this.ctl) return;
        const f = report.first_bad;
        this.setAttribute('state', report.ok ? 'ok' : 'failed');
        mark(this.out, report.ok ? 'ok' : 'bad');
        this.out.textContent = report.ok
          ? '✓ Verified: ' + report.entries.toLocaleString() + ' entries of log ' + report.origin + ', Merkle root matches the signed checkpoint'
          : '✗ Failed at ' + (f.index >= 0 ? 'entry ' + f.index : 'the bundle') + ' (' + f.check + '): ' + f.code + ' ' + f.reason;
        fire(this, 'ebios-verified', { report });
      } catch (error) {
        if (ctl !== this.ctl) return;
        this.setAttribute('state', 'error');
        mark(this.out, 'bad');
        this.out.textContent = errText(error);
        fire(this, 'ebios-error', { error });
      } finally {
        if (ctl === this.ctl) { this.ctl = null; this.btn.textContent = 'Verify again'; this.bar.hidden = true; }
      }
    }
  }

  // <ebios-result key="…" src="URL"> shows a signed result (the JSON of
  // GET /api/v1/ledger/verify/{op_id}, or {entry, checkpoint, proof}; from
  // src, from a child <script type="application/json">, or set as .record)
  // and its verified mark.
  class Result extends HTMLElement {
    static observedAttributes = ['src', 'key'];
    constructor() {
      super();
      this.r = shadow(this, `<div part="value" class="row"></div><p class="verdict" part="mark" role="status" aria-live="polite"></p>`);
      [this.val, this.out] = ['div', 'p'].map((s) => this.r.querySelector(s));
    }
    set record(v) { this.rec = v; this.show(); }
    get record() { return this.rec; }
    attributeChangedCallback() { if (this.isConnected) this.show(); }
    connectedCallback() { this.show(); }
    async show() {
      const n = ++this.n || (this.n = 1), key = this.getAttribute('key');
      try {
        let rec = this.rec;
        const src = this.getAttribute('src'), inline = this.querySelector('script[type="application/json"]');
        if (!rec && src) {
          const res = await fetch(new URL(src, doc.baseURI || scriptURL), { credentials: 'omit' });
          if (!res.ok) throw widgetError('WIDGET_005', 'cannot fetch ' + src, 'HTTP ' + res.status, 'check the URL');
          rec = await res.json();
        } else if (!rec && inline) rec = JSON.parse(inline.textContent);
        if (!rec || !key) return;
        const p = rec.inclusion_proof || rec.proof || {};
        const report = await ebios.verifyEntry(rec.entry, rec.checkpoint || p.checkpoint, p.hashes || p, key);
        if (n !== this.n) return;
        const out = report.output;
        this.val.textContent = (report.expression || report.operation) +
          (out ? ' = ' + await ebios.format(out, { mode: report.mode }) : '') + (report.mode ? ' (' + report.mode + ')' : '');
        this.setAttribute('state', report.ok ? 'ok' : 'failed');
        mark(this.out, report.ok ? 'ok' : 'bad');
        this.out.textContent = report.ok
          ? '✓ Verified: entry ' + report.index + ' of log ' + report.origin + ', signed and included in its checkpoint'
          : '✗ Not verified (' + report.check + '): ' + errText(report.error);
        fire(this, 'ebios-verified', { report });
      } catch (error) {
        if (n !== this.n) return;
        this.setAttribute('state', 'error');
        mark(this.out, 'bad');
        this.out.textContent = errText(error);
        fire(this, 'ebios-error', { error });
      }
    }
  }

  for (const [name, cls] of [['ebios-calc', Calc], ['ebios-verify', Verify], ['ebios-result', Result]]) {
    if (!customElements.get(name)) customElements.define(name, cls);
  }
})();
