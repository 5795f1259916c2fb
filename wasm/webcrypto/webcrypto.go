//go:build js && wasm

// Package webcrypto checks entry signatures with the browser's WebCrypto
// Ed25519 for core/ledger's verifier: a [ledger.SignatureChecker] over a
// JS function verify(pub, bodies, ends, sigs) that resolves to a
// Uint8Array of 1s and 0s, such as EbiosEd25519Pool.verify in
// web/ed25519.js, which spreads the checks over Web Workers. The audit page
// (app) and the embeddable widget (wasm/widget) both use it; it needs
// syscall/js only, not go-app.
package webcrypto

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"syscall/js"

	"github.com/ebios/ebios/core/ledger"
)

// checker calls the JS function fn with each batch.
type checker struct{ fn js.Value }

// New returns a checker over fn, if fn is a function that verifies a
// known good signature and refuses a bad one, and nil otherwise (the
// browser has no WebCrypto Ed25519: Go's crypto/ed25519 checks then). It
// blocks until the self-test is done: call it from a goroutine, never from
// a JS callback.
func New(fn js.Value) ledger.SignatureChecker {
	if fn.Type() != js.TypeFunction {
		return nil
	}
	c := checker{fn: fn}
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	msg := []byte("ebios WebCrypto self-test")
	sig := ledger.Signature(ed25519.Sign(priv, msg))
	bad := sig
	bad[0] ^= 1
	oks, err := c.Check(priv.Public().(ed25519.PublicKey), [][]byte{msg, msg}, []ledger.Signature{sig, bad})()
	if err != nil || len(oks) != 2 || !oks[0] || oks[1] {
		return nil
	}
	return c
}

// Check implements ledger.SignatureChecker: one call of the JS function
// per batch, with the bodies back to back, their ends as little-endian
// uint32s and the signatures back to back.
func (c checker) Check(pub ed25519.PublicKey, bodies [][]byte, sigs []ledger.Signature) func() ([]bool, error) {
	total := 0
	for _, b := range bodies {
		total += len(b)
	}
	if total > math.MaxUint32 { // the ends are uint32s
		return func() ([]bool, error) {
			return nil, fmt.Errorf("a batch of %d bytes of entry bodies is too large for one WebCrypto call", total)
		}
	}
	flat := make([]byte, 0, total)
	ends := make([]byte, 0, 4*len(bodies))
	sigBytes := make([]byte, 0, ed25519.SignatureSize*len(sigs))
	for i, b := range bodies {
		flat = append(flat, b...)
		ends = binary.LittleEndian.AppendUint32(ends, uint32(len(flat))) // #nosec G115 -- len(flat) <= total <= MaxUint32, checked above
		sigBytes = append(sigBytes, sigs[i][:]...)
	}
	type result struct {
		oks []bool
		err error
	}
	done := make(chan result, 1)
	p := c.fn.Invoke(bytesJS(pub), bytesJS(flat), bytesJS(ends), bytesJS(sigBytes))
	settle(p, func(v js.Value) {
		out := make([]byte, v.Length())
		js.CopyBytesToGo(out, v)
		oks := make([]bool, len(out))
		for i, b := range out {
			oks[i] = b == 1
		}
		done <- result{oks: oks}
	}, func(err error) { done <- result{err: err} })
	return func() ([]bool, error) {
		r := <-done
		if r.err == nil && len(r.oks) != len(bodies) {
			r.err = errors.New("WebCrypto returned a wrong number of results")
		}
		return r.oks, r.err
	}
}

// bytesJS copies b into a new Uint8Array.
func bytesJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// settle calls ok with the value of promise p once it resolves, or fail
// once it rejects (or p is not a promise).
func settle(p js.Value, ok func(js.Value), fail func(error)) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		fail(errors.New("the signature checker did not return a promise"))
		return
	}
	var onOK, onErr js.Func
	release := func() {
		onOK.Release()
		onErr.Release()
	}
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer release()
		ok(args[0])
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
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
