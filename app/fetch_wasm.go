//go:build wasm

package app

import (
	"context"
	"errors"
	"syscall/js"
)

// send performs one request with the browser's Fetch API, same origin.
func send(ctx context.Context, method, url string, hdr map[string]string, body []byte) (int, []byte, error) {
	opts := js.Global().Get("Object").New()
	opts.Set("method", method)
	opts.Set("credentials", "same-origin")
	h := js.Global().Get("Object").New()
	for k, v := range hdr {
		h.Set(k, v)
	}
	opts.Set("headers", h)
	if body != nil {
		opts.Set("body", string(body))
	}
	res, err := await(ctx, js.Global().Call("fetch", url, opts))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, err
		}
		// fetch rejects only when there is no answer at all ("TypeError:
		// Failed to fetch"): offline, or the server is down.
		origin := js.Global().Get("location").Get("origin").String()
		return 0, nil, &UnreachableError{Cause: err.Error(), Origin: crossOrigin(origin, url)}
	}
	buf, err := await(ctx, res.Call("arrayBuffer"))
	if err != nil {
		return 0, nil, err
	}
	arr := js.Global().Get("Uint8Array").New(buf)
	n := arr.Get("length").Int()
	if n > maxResponse {
		return 0, nil, errors.New("the API answer is too large")
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, arr)
	return res.Get("status").Int(), b, nil
}

// await waits for a JavaScript promise.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "request failed"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	release := func() { ok.Release(); fail.Release() }
	p.Call("then", ok, fail)
	select {
	case r := <-ch:
		release()
		return r.v, r.err
	case <-ctx.Done():
		// The promise settles later; release the callbacks only then.
		go func() { <-ch; release() }()
		return js.Value{}, ctx.Err()
	}
}
