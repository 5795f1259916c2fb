//go:build wasm

package app

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// mcWorker is the page's handle on the analysis worker (web/mcworker.js
// running wasm/mcworker; the messages are in app/mcjob).
type mcWorker struct {
	w            app.Value
	onMsg, onErr app.Func
}

// newMCWorker starts the worker script at url; handle gets every message
// it posts, in order, in a JS callback (it must not block).
func newMCWorker(url string, handle func(workerEvent)) (*mcWorker, error) {
	ctor := app.Window().Get("Worker")
	if ctor.Type() != app.TypeFunction {
		return nil, errors.New("this browser has no Web Workers")
	}
	w := &mcWorker{}
	w.onMsg = app.FuncOf(func(_ app.Value, args []app.Value) any {
		if len(args) > 0 {
			handle(readWorkerEvent(args[0].Get("data")))
		}
		return nil
	})
	w.onErr = app.FuncOf(func(_ app.Value, args []app.Value) any {
		msg := "the analysis worker failed"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == app.TypeString && m.String() != "" {
				msg += ": " + m.String()
			}
			args[0].Call("preventDefault")
		}
		handle(workerEvent{Type: "fatal", Message: msg})
		return nil
	})
	w.w = ctor.New(url)
	w.w.Set("onmessage", w.onMsg)
	w.w.Set("onerror", w.onErr)
	return w, nil
}

// readWorkerEvent reads a message of the worker.
func readWorkerEvent(d app.Value) workerEvent {
	str := func(name string) string {
		if v := d.Get(name); v.Type() == app.TypeString {
			return v.String()
		}
		return ""
	}
	num := func(v app.Value) float64 {
		if v.Type() == app.TypeNumber {
			return v.Float()
		}
		return 0
	}
	if d.Type() != app.TypeObject {
		return workerEvent{Type: "fatal", Message: "the analysis worker sent an unknown message"}
	}
	ev := workerEvent{Type: str("type"), Report: str("report"), Error: str("error"), Message: str("message"),
		Done: int(num(d.Get("done"))), Planned: int(num(d.Get("planned"))), Millis: num(d.Get("ms"))}
	if fo := d.Get("first_order"); fo.Type() == app.TypeObject {
		ev.FirstOrder = &firstOrder{N: num(fo.Get("n")), U: num(fo.Get("u"))}
	}
	return ev
}

// post sends a job (JSON text).
func (w *mcWorker) post(job string) { w.w.Call("postMessage", job) }

// terminate stops the worker at once, even in the middle of a run.
func (w *mcWorker) terminate() {
	w.w.Call("terminate")
	w.onMsg.Release()
	w.onErr.Release()
}

// now is the page's clock in milliseconds (performance.now).
func now() float64 { return app.Window().Get("performance").Call("now").Float() }
