//go:build wasm

package app

import (
	"errors"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// readFile reads the bytes of a browser File (or Blob) with the
// Blob.arrayBuffer() promise and calls done, in a new goroutine, with them.
func readFile(file app.Value, done func([]byte, error)) {
	if !file.Truthy() || file.Get("arrayBuffer").Type() != app.TypeFunction {
		go done(nil, errors.New("this browser cannot read files (no Blob.arrayBuffer)"))
		return
	}
	onSettled(file.Call("arrayBuffer"), func(buf app.Value) {
		arr := app.Window().Get("Uint8Array").New(buf)
		b := make([]byte, arr.Length())
		app.CopyBytesToGo(b, arr)
		go done(b, nil) // a JS callback must not block
	}, func(err error) { go done(nil, err) })
}

// onSettled calls ok with the value of promise p once it resolves, or fail
// with its reason once it rejects, and releases its callbacks. Both run in
// a JS callback: they must not block.
func onSettled(p app.Value, ok func(app.Value), fail func(error)) {
	var onOK, onErr app.Func
	release := func() {
		onOK.Release()
		onErr.Release()
	}
	onOK = app.FuncOf(func(this app.Value, args []app.Value) any {
		defer release()
		ok(args[0])
		return nil
	})
	onErr = app.FuncOf(func(this app.Value, args []app.Value) any {
		defer release()
		msg := "the promise was rejected"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		fail(errors.New(msg))
		return nil
	})
	p.Call("then", onOK, onErr)
}

// yieldToBrowser blocks the calling goroutine briefly so that the other
// goroutines (the UI) run and, all of them being blocked, Go returns to the
// browser's event loop, which paints.
func yieldToBrowser() { time.Sleep(time.Millisecond) }
