//go:build wasm

package app

import (
	"sync"
	"syscall/js"
	"time"
)

var announceOnce sync.Once

// announceDelay leaves the first seconds after the app starts to the
// user's first computation: the worker's caching (app.wasm revalidated and
// stored, mcworker.wasm downloaded) takes both cores of a small machine for
// a while.
const announceDelay = 2 * time.Second

// announceStarted tells the service worker being installed, announceDelay
// from now and at every later update, that the app has started, so that it
// caches its files then (see serviceWorkerTemplate). The registration may
// not exist yet when the app starts on a fast machine: it is asked for
// again, every half second for ten seconds.
func announceStarted() {
	announceOnce.Do(func() { time.AfterFunc(announceDelay, announce) })
}

func announce() {
	sw := js.Global().Get("navigator").Get("serviceWorker")
	if !sw.Truthy() {
		return
	}
	msg := map[string]any{"type": appStartedMessage}
	post := func(reg js.Value) {
		if w := reg.Get("installing"); w.Truthy() {
			w.Call("postMessage", msg)
		}
	}
	var found, then js.Func
	found = js.FuncOf(func(this js.Value, _ []js.Value) any {
		post(this)
		return nil
	})
	tries := 0
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		reg := args[0]
		if !reg.Truthy() {
			if tries++; tries < 20 {
				time.AfterFunc(500*time.Millisecond, func() { sw.Call("getRegistration").Call("then", then) })
			}
			return nil
		}
		post(reg)
		reg.Call("addEventListener", "updatefound", found)
		return nil
	})
	sw.Call("getRegistration").Call("then", then)
}
