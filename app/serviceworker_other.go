//go:build !wasm

package app

// announceStarted does nothing outside the browser.
func announceStarted() {}
