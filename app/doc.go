// Package app is the eBIOS browser application: go-app v10 components that
// are compiled twice, for the server (which prerenders pages and serves the
// PWA through [Handler]) and for the browser (wasm/app, GOOS=js GOARCH=wasm).
//
// The first page is the offline calculator at "/" and "/calc": it evaluates
// expressions of the `ebios calc` language with core/expr entirely in the
// browser, in either mode, and keeps a history in local storage. Its
// Analysis panel (analysis.go) shows the uncertainty budget, an expanded
// uncertainty and a Monte Carlo run (histogram with the first-order normal
// curve and both intervals, GUM-S1 §8 validation): all computed by
// analysis.Run in a Web Worker (web/mcworker.js running wasm/mcworker, the
// job and messages of app/mcjob), so the page stays responsive, a run can
// be cancelled by terminating the worker, and Monte Carlo's code stays out
// of app.wasm. The service worker caches the worker's files (see
// [Handler]), so analyses work offline too.
//
// The audit page at "/audit" verifies an exported ledger bundle in the
// browser, offline, with core/ledger against a key the user pins (kept in
// local storage): the bundle's own key is never trusted. The file is read
// with the File API (audit_read_wasm.go; a native stub keeps the package
// testable), verified in ctx.Async with a progress bar, and the result names
// the first failing entry, check, code and reason, with the throughput.
//
// Both mains must call [Routes] before anything else so that the server and
// the client agree on the route table.
package app
