//go:build wasm

package app

import (
	"fmt"
	"sync"
	"syscall/js"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/wasm/webcrypto"
)

var (
	webCryptoOnce    sync.Once
	webCryptoChecker ledger.SignatureChecker
	webCryptoBy      string
)

func init() { signatureChecker = detectWebCrypto }

// detectWebCrypto returns the checker of wasm/webcrypto over
// ebiosEd25519Verify (web/ed25519.js: the browser's WebCrypto Ed25519 in
// Web Workers, an implementation independent of the Go code) if this
// browser has WebCrypto Ed25519, and nil otherwise (then Go's
// crypto/ed25519 checks the signatures). It blocks: call it from a
// goroutine, never from a JS callback.
func detectWebCrypto() (ledger.SignatureChecker, string) {
	webCryptoOnce.Do(func() {
		webCryptoChecker = webcrypto.New(js.Global().Get("ebiosEd25519Verify"))
		if webCryptoChecker == nil {
			return
		}
		webCryptoBy = "the browser's WebCrypto Ed25519 on the page's thread"
		if n := js.Global().Call("ebiosEd25519Workers").Int(); n > 0 {
			webCryptoBy = fmt.Sprintf("the browser's WebCrypto Ed25519 in %d Web Workers", n)
		}
	})
	if webCryptoChecker == nil {
		return nil, "Go crypto/ed25519 (WebAssembly)"
	}
	return webCryptoChecker, webCryptoBy
}
