// The iframe mode of the eBIOS widget: /embed/calc and /embed/verify load
// this script next to ebios.js. It builds the page's element from the
// query (calc: expression, mode, readonly; verify: bundle-url, key,
// origin) and, when the query names the embedding page's origin
// (parent-origin), talks with that page by postMessage, as
// docs/embedding.md#postmessage-protocol describes:
//
//   - to the parent only, with parent-origin as the target origin:
//     {ebios: 1, event: "ready" | "resize" | "ebios-result" | "ebios-error"
//     | "ebios-progress" | "ebios-verified", detail} and the answers
//     {ebios: 1, id, result} or {ebios: 1, id, error};
//   - from the parent only: {ebios: 1, id, method, params}; a message from
//     any other window or origin is ignored (and counted in
//     document.body.dataset.ignored).
//
// When the browser tells the frame's ancestors (location.ancestorOrigins),
// parent-origin must be the parent's real origin, or no message is sent
// or read.
(() => {
  'use strict';
  const q = new URLSearchParams(location.search);
  const kind = document.body.dataset.embed;
  const el = document.createElement(kind === 'verify' ? 'ebios-verify' : 'ebios-calc');
  const attrs = kind === 'verify' ? ['bundle-url', 'key', 'origin'] : ['expression', 'mode', 'readonly', 'label'];
  for (const a of attrs) if (q.has(a)) el.setAttribute(a, q.get(a));
  document.body.append(el);

  const parentOrigin = q.get('parent-origin');
  const anc = location.ancestorOrigins;
  const linked = !!parentOrigin && window.parent !== window && (!anc || !anc.length || anc[0] === parentOrigin);
  if (!linked) return;
  const post = (msg) => window.parent.postMessage(Object.assign({ ebios: 1 }, msg), parentOrigin);
  const plain = (v) => JSON.parse(JSON.stringify(v)); // errors become their core JSON shape
  let ignored = 0;

  const methods = {
    calc: (p) => ebios.calc(p.expression, { mode: p.mode }),
    parse: (p) => ebios.parse(p.text),
    format: (p) => ebios.format(p.value, p.options),
    verifyEntry: (p) => ebios.verifyEntry(p.entry, p.checkpoint, p.proof, p.key),
    // set changes the element's attributes (null removes one); the element
    // then computes or verifies again and its events follow.
    set: (p) => {
      for (const a of attrs) {
        if (!(a in p)) continue;
        if (p[a] === null || p[a] === false) el.removeAttribute(a);
        else el.setAttribute(a, p[a] === true ? '' : String(p[a]));
      }
      return true;
    },
  };
  window.addEventListener('message', async (ev) => {
    if (ev.source !== window.parent || ev.origin !== parentOrigin) {
      document.body.dataset.ignored = ++ignored;
      return;
    }
    const m = ev.data;
    if (!m || m.ebios !== 1 || !Object.hasOwn(methods, m.method)) {
      if (m && m.ebios === 1) post({ id: m.id, error: { code: 'WIDGET_001', category: 'widget', message: 'bad argument: method', details: 'no method ' + JSON.stringify(m.method) + '; the frame answers ' + Object.keys(methods).join(', ') } });
      return;
    }
    try {
      await customElements.whenDefined(el.localName);
      post({ id: m.id, result: plain(await methods[m.method](m.params || {})) });
    } catch (e) {
      post({ id: m.id, error: plain(e) });
    }
  });
  for (const type of ['ebios-result', 'ebios-error', 'ebios-progress', 'ebios-verified']) {
    el.addEventListener(type, (e) => post({ event: type, detail: plain(e.detail) }));
  }
  new ResizeObserver(() => post({ event: 'resize', detail: { height: document.documentElement.scrollHeight } }))
    .observe(document.body);
  customElements.whenDefined(el.localName).then(() => post({ event: 'ready', detail: { version: ebios.version } }));
})();
