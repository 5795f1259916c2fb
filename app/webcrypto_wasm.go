//go:build wasm

package app

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/ebios/ebios/core/ledger"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// webCrypto checks entry signatures with the browser's WebCrypto Ed25519
// through ebiosEd25519Verify (web/ed25519.js): a second implementation,
// independent of the Go code, which the page's Web Workers run (one per
// core) while the Go verifier goes on with the other checks.
type webCrypto struct{ fn app.Value }

var (
	webCryptoOnce    sync.Once
	webCryptoChecker ledger.SignatureChecker
	webCryptoBy      string
)

func init() { signatureChecker = detectWebCrypto }

// detectWebCrypto returns the WebCrypto checker if this browser verifies a
// known good signature and refuses a bad one with it, and nil otherwise
// (then Go's crypto/ed25519 checks the signatures). It blocks: call it
// from a goroutine, never from a JS callback.
func detectWebCrypto() (ledger.SignatureChecker, string) {
	webCryptoOnce.Do(func() {
		fn := app.Window().Get("ebiosEd25519Verify")
		if fn.Type() != app.TypeFunction {
			return
		}
		c := webCrypto{fn: fn}
		priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
		msg := []byte("ebios WebCrypto self-test")
		sig := ledger.Signature(ed25519.Sign(priv, msg))
		bad := sig
		bad[0] ^= 1
		oks, err := c.Check(priv.Public().(ed25519.PublicKey), [][]byte{msg, msg}, []ledger.Signature{sig, bad})()
		if err == nil && len(oks) == 2 && oks[0] && !oks[1] {
			webCryptoChecker, webCryptoBy = c, "the browser's WebCrypto Ed25519 on the page's thread"
			if n := app.Window().Call("ebiosEd25519Workers").Int(); n > 0 {
				webCryptoBy = fmt.Sprintf("the browser's WebCrypto Ed25519 in %d Web Workers", n)
			}
		}
	})
	if webCryptoChecker == nil {
		return nil, "Go crypto/ed25519 (WebAssembly)"
	}
	return webCryptoChecker, webCryptoBy
}

// Check implements ledger.SignatureChecker.
func (c webCrypto) Check(pub ed25519.PublicKey, bodies [][]byte, sigs []ledger.Signature) func() ([]bool, error) {
	total := 0
	for _, b := range bodies {
		total += len(b)
	}
	if total > math.MaxUint32 { // the offsets below are uint32s
		return func() ([]bool, error) {
			return nil, fmt.Errorf("a batch of %d bytes of entry bodies is too large for one WebCrypto call", total)
		}
	}
	flat := make([]byte, 0, total)
	ends := make([]byte, 0, 4*len(bodies))
	sigBytes := make([]byte, 0, 64*len(sigs))
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
	p := c.fn.Invoke(jsBytes(pub), jsBytes(flat), jsBytes(ends), jsBytes(sigBytes))
	onSettled(p, func(v app.Value) {
		out := make([]byte, v.Length())
		app.CopyBytesToGo(out, v)
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

// jsBytes copies b into a new Uint8Array.
func jsBytes(b []byte) app.Value {
	a := app.Window().Get("Uint8Array").New(len(b))
	app.CopyBytesToJS(a, b)
	return a
}
