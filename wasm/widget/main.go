//go:build js && wasm

// Command widget is the embeddable eBIOS widget's wasm: the JS API of
// wasm/widget/widgetapi over core alone (no go-app, no net/http), which the
// loader ebios.js streams, starts and wraps in Promises and custom
// elements.
//
//	GOOS=js GOARCH=wasm go build -trimpath -o web/widget/widget.wasm ./wasm/widget
//
// main hands the loader one object, through the function ebiosWidgetReady
// that the loader defines in its own scope (nothing is added to the host
// page's globals), with two methods:
//
//   - call(method, argsJSON) returns the answer's JSON, {"ok": RESULT} or
//     {"error": ERROR} (widgetapi.Call), at once;
//   - verifyBundle(source, pinnedKey, origin, sigs, onProgress, aborted, done)
//     starts a verification and returns; sigs, when a function, checks
//     signatures as EbiosEd25519Pool.verify does (web/ed25519.js:
//     WebCrypto in Web Workers); source is a Uint8Array or a
//     ReadableStreamDefaultReader of the bundle's bytes, onProgress(done,
//     total) is called now and then, aborted() says whether the caller's
//     AbortSignal fired, and done(answerJSON) is called once at the end.
//
// A verification runs on the page's thread: it gives the page back its
// event loop at least every yieldEvery, so that the page stays responsive,
// progress shows and a cancellation is seen.
package main

import (
	"io"
	"sync"
	"syscall/js"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/wasm/webcrypto"
	"github.com/ebios/ebios/wasm/widget/widgetapi"
)

// yieldEvery bounds how long a verification holds the page's thread.
const yieldEvery = 50 * time.Millisecond

func main() {
	api := js.Global().Get("Object").New()
	api.Set("call", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
			return string(widgetapi.ErrorJSON(widgetapi.BadArgument("call", "want (method, argsJSON)")))
		}
		return string(widgetapi.Call(args[0].String(), []byte(args[1].String())))
	}))
	api.Set("verifyBundle", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 7 {
			return nil
		}
		go verifyBundle(args[0], args[1], args[2], args[3], args[4], args[5], args[6])
		return nil
	}))
	js.Global().Call("ebiosWidgetReady", api)
	select {}
}

// checked is the signature checker of the JS verify function the loader
// passes (the same one every time), made at the first verification: its
// self-test runs once.
var checked struct {
	sync.Mutex
	fn js.Value
	c  ledger.SignatureChecker
}

// signatureChecker returns the WebCrypto checker over fn (wasm/webcrypto),
// or nil when fn is not a function or the browser has no WebCrypto
// Ed25519: then Go checks the signatures.
func signatureChecker(fn js.Value) ledger.SignatureChecker {
	if fn.Type() != js.TypeFunction {
		return nil
	}
	checked.Lock()
	defer checked.Unlock()
	if !checked.fn.Equal(fn) {
		checked.fn, checked.c = fn, webcrypto.New(fn)
	}
	return checked.c
}

func verifyBundle(source, key, origin, sigs, onProgress, aborted, done js.Value) {
	answer := func() (answer []byte) {
		defer func() {
			if v := recover(); v != nil {
				answer = widgetapi.ErrorJSON(widgetapi.Internal(v))
			}
		}()
		r, err := reader(source)
		if err != nil {
			return widgetapi.ErrorJSON(err)
		}
		if key.Type() != js.TypeString {
			return widgetapi.ErrorJSON(widgetapi.BadArgument("pinnedKey", "want a string (the log's verifier key)"))
		}
		o := ""
		if origin.Type() == js.TypeString {
			o = origin.String()
		}
		last := time.Now()
		rep, err := widgetapi.VerifyBundle(r, key.String(), o, signatureChecker(sigs), func(n, total int64) bool {
			if time.Since(last) >= yieldEvery {
				if onProgress.Type() == js.TypeFunction {
					onProgress.Invoke(n, total)
				}
				time.Sleep(time.Millisecond) // the page's event loop runs
				last = time.Now()
			}
			return !aborted.Invoke().Truthy()
		})
		if err == nil && aborted.Invoke().Truthy() { // the stream failed because it was aborted
			err = widgetapi.Aborted()
		}
		if err == nil && onProgress.Type() == js.TypeFunction {
			onProgress.Invoke(rep.Entries, rep.TreeSize)
		}
		return widgetapi.Answer(rep, err)
	}()
	done.Invoke(string(answer))
}

// reader reads a bundle from a Uint8Array (in place, a slice at a time)
// or a ReadableStreamDefaultReader.
func reader(source js.Value) (io.Reader, error) {
	if source.Type() == js.TypeObject {
		if source.InstanceOf(js.Global().Get("Uint8Array")) {
			return &bytesReader{arr: source, size: source.Get("length").Int()}, nil
		}
		if source.Get("read").Type() == js.TypeFunction {
			return &streamReader{r: source}, nil
		}
	}
	return nil, widgetapi.BadArgument("bundle", "want a Uint8Array, an ArrayBuffer, a URL or a Response")
}

type bytesReader struct {
	arr       js.Value
	off, size int
}

func (b *bytesReader) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	end := min(b.size, b.off+len(p))
	n := js.CopyBytesToGo(p, b.arr.Call("subarray", b.off, end))
	b.off += n
	return n, nil
}

// streamReader reads a ReadableStreamDefaultReader, awaiting each chunk
// (the page's event loop runs meanwhile).
type streamReader struct {
	r    js.Value
	buf  []byte
	done bool
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.done {
			return 0, io.EOF
		}
		res, err := await(s.r.Call("read"))
		if err != nil {
			return 0, err
		}
		if res.Get("done").Truthy() {
			s.done = true
			continue
		}
		chunk := res.Get("value")
		s.buf = make([]byte, chunk.Get("length").Int())
		js.CopyBytesToGo(s.buf, chunk)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// await waits for a JS promise.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{v: a[0]}; return nil })
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "reading the bundle failed"
		if len(a) > 0 && a[0].Type() == js.TypeObject && a[0].Get("message").Type() == js.TypeString {
			msg += ": " + a[0].Get("message").String()
		}
		ch <- result{err: &streamError{msg}}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

type streamError struct{ msg string }

func (e *streamError) Error() string { return e.msg }
