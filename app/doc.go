// Package app is the eBIOS browser application: go-app v10 components that
// are compiled twice, for the server (which prerenders pages and serves the
// PWA through [Handler]) and for the browser (wasm/app, GOOS=js GOARCH=wasm).
//
// The first page is the offline calculator at "/" and "/calc": it evaluates
// expressions of the `ebios calc` language with core/expr entirely in the
// browser, in either mode, and keeps a history in local storage.
//
// Both mains must call [Routes] before anything else so that the server and
// the client agree on the route table.
package app
