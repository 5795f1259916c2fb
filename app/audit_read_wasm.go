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
	var onOK, onErr app.Func
	release := func() {
		onOK.Release()
		onErr.Release()
	}
	onOK = app.FuncOf(func(this app.Value, args []app.Value) any {
		defer release()
		arr := app.Window().Get("Uint8Array").New(args[0])
		b := make([]byte, arr.Length())
		app.CopyBytesToGo(b, arr)
		go done(b, nil) // a JS callback must not block
		return nil
	})
	onErr = app.FuncOf(func(this app.Value, args []app.Value) any {
		defer release()
		msg := "read failed"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		go done(nil, errors.New(msg))
		return nil
	})
	file.Call("arrayBuffer").Call("then", onOK, onErr)
}

// yieldToBrowser blocks the calling goroutine briefly so that the other
// goroutines (the UI) run and, all of them being blocked, Go returns to the
// browser's event loop, which paints.
func yieldToBrowser() { time.Sleep(time.Millisecond) }
