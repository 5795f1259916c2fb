//go:build js && wasm

// Command mcworker is the browser calculator's analysis worker: a small Go
// program, without go-app, that web/mcworker.js runs in a Web Worker so that
// Monte Carlo runs (and the budget and expanded uncertainty that come with
// them) never block the page.
//
//	GOOS=js GOARCH=wasm go build -trimpath -o web/mcworker.wasm ./wasm/mcworker
//
// It reads jobs posted as JSON text, runs each with app/mcjob (the same code
// path as `ebios calc --json` and the API), posts progress at most every
// mcjob.ProgressEvery and then the report or the structured error; the
// protocol is in app/mcjob's documentation. It handles one job at a time,
// in the order they came; to cancel, the page terminates the worker.
package main

import (
	"syscall/js"
	"time"

	"github.com/ebios/ebios/app/mcjob"
)

func main() {
	self := js.Global()
	jobs := make(chan string, 64)
	onMessage := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			text := args[0].Get("data")
			if text.Type() == js.TypeString {
				s := text.String()
				go func() { jobs <- s }() // a JS callback must not block
			}
		}
		return nil
	})
	// web/mcworker.js kept what came before Go started.
	pending := self.Get("ebiosMCPending")
	self.Set("onmessage", onMessage)
	if pending.Type() == js.TypeObject {
		for i := 0; i < pending.Length(); i++ {
			if d := pending.Index(i); d.Type() == js.TypeString {
				jobs <- d.String()
			}
		}
	}
	self.Set("ebiosMCPending", js.Undefined())
	post(map[string]any{"type": "ready"})
	for text := range jobs {
		run(text)
	}
}

// run does one job and posts its answer.
func run(text string) {
	j, bad := mcjob.Decode(text)
	var o mcjob.Outcome
	if bad != nil {
		o.Err = bad
	} else {
		var last time.Time
		o = mcjob.Do(j, func(done, planned int) bool {
			if now := time.Now(); done >= planned || now.Sub(last) >= mcjob.ProgressEvery {
				last = now
				post(map[string]any{"type": "progress", "done": done, "planned": planned})
			}
			return true
		})
	}
	msg := map[string]any{"type": "done", "ms": float64(o.Elapsed.Microseconds()) / 1000}
	if o.Err != nil {
		msg["error"] = string(mcjob.ErrorJSON(o.Err))
	} else {
		msg["report"] = string(o.Report)
	}
	if fo := o.FirstOrder; fo != nil {
		msg["first_order"] = map[string]any{"n": fo.N, "u": fo.U}
	}
	post(msg)
}

func post(msg map[string]any) { js.Global().Call("postMessage", msg) }
