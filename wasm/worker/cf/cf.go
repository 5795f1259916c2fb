//go:build js && wasm

// Package cf binds the Worker to Cloudflare's stores: D1 as a d1log.DB
// (with batches, which github.com/syumai/workers' database/sql driver
// lacks), R2 as the cache of export bundles, and the log's Durable Object
// as the sequencer that appends go to. It builds only for GOOS=js.
package cf

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/ebios/ebios/wasm/worker/d1log"
	"github.com/syumai/workers/cloudflare"
)

// await waits for a JavaScript promise (the JS event loop runs meanwhile).
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := args[0].Call("toString").String()
		if c := args[0].Get("cause"); c.Truthy() { // D1 puts SQLite's message in the cause
			msg += ": " + c.Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

// D1 is a D1 database binding as a d1log.DB.
type D1 struct{ db js.Value }

var _ d1log.DB = (*D1)(nil)

// NewD1 returns the D1 database bound as name in wrangler.toml.
func NewD1(name string) (*D1, error) {
	db := cloudflare.GetBinding(name)
	if !db.Truthy() {
		return nil, fmt.Errorf("no D1 binding %q: add [[d1_databases]] binding = %q to wrangler.toml", name, name)
	}
	return &D1{db: db}, nil
}

var uint8Array = js.Global().Get("Uint8Array")

// toJS converts a statement argument.
func toJS(a any) any {
	switch x := a.(type) {
	case []byte:
		u := uint8Array.New(len(x))
		js.CopyBytesToJS(u, x)
		return u
	case int64:
		return float64(x) // exact below 2^53: indexes, sizes, times
	case uint64:
		return float64(x)
	}
	return a
}

func (d *D1) prepare(q string, args []any) js.Value {
	st := d.db.Call("prepare", q)
	if len(args) > 0 {
		jargs := make([]any, len(args))
		for i, a := range args {
			jargs[i] = toJS(a)
		}
		st = st.Call("bind", jargs...)
	}
	return st
}

// fromJS converts a column value: numbers to int64, strings, and BLOBs
// (an ArrayBuffer, or an array of bytes) to []byte.
func fromJS(v js.Value) any {
	switch v.Type() {
	case js.TypeNumber:
		return int64(v.Float())
	case js.TypeString:
		return v.String()
	case js.TypeNull, js.TypeUndefined:
		return nil
	}
	if v.InstanceOf(js.Global().Get("ArrayBuffer")) {
		v = uint8Array.New(v)
	}
	if v.InstanceOf(uint8Array) {
		b := make([]byte, v.Length())
		js.CopyBytesToGo(b, v)
		return b
	}
	if js.Global().Get("Array").Call("isArray", v).Bool() {
		u := uint8Array.Call("from", v)
		b := make([]byte, u.Length())
		js.CopyBytesToGo(b, u)
		return b
	}
	return v.String()
}

// Query implements d1log.DB with D1's raw() (rows as arrays).
func (d *D1) Query(_ context.Context, q string, args ...any) ([][]any, error) {
	res, err := await(d.prepare(q, args).Call("raw"))
	if err != nil {
		return nil, err
	}
	out := make([][]any, res.Length())
	for i := range out {
		row := res.Index(i)
		out[i] = make([]any, row.Length())
		for j := range out[i] {
			out[i][j] = fromJS(row.Index(j))
		}
	}
	return out, nil
}

// Batch implements d1log.DB with D1's batch(), which is one transaction.
func (d *D1) Batch(_ context.Context, stmts []d1log.Stmt) error {
	arr := js.Global().Get("Array").New()
	for _, s := range stmts {
		arr.Call("push", d.prepare(s.SQL, s.Args))
	}
	_, err := await(d.db.Call("batch", arr))
	return err
}
