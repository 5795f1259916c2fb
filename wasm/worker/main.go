//go:build js && wasm

// Command worker is eBIOS as a Cloudflare Worker (github.com/syumai/workers):
// the API of `ebios serve` (wasm/worker/edge) over D1, R2 and a Durable
// Object (wasm/worker/cf). `make worker` builds it into wasm/worker/build;
// entry.mjs is the Worker's entry and holds the Durable Object class.
//
// Settings are Worker vars, keys are secrets (docs/worker.md):
//
//	EBIOS_LEDGER_KEY   secret: the ledger signing key (note signer key; its name is the log origin)
//	EBIOS_JWT_SECRET   secret: the HMAC key of access and refresh tokens, at least 32 bytes
//	EBIOS_SETUP_TOKEN  secret, optional: makes the first admin (POST /api/v1/auth/setup)
//	EBIOS_ARGON2       var, optional: argon2id parameters of new password hashes, "m=KiB,t=N,p=N"
//	EBIOS_LOG_PUBLIC   var, optional: "true" serves the checkpoint and tiles without a token
//	EBIOS_API_CORS_ORIGINS var, optional: web origins whose pages may call the API (as ebios serve's)
//	EBIOS_SEQUENCER    set by entry.mjs in the Durable Object only: this instance appends
//
// In the Worker a Go instance serves one request (syumai/workers' glue
// starts one for each), so main builds everything for that request and
// serves it. In the Durable Object (EBIOS_SEQUENCER), entry.mjs keeps one
// instance for the object's life and sends it every append of the log, so
// main serves without end there and the appends are committed in groups.
package main

import (
	"context"
	"net/http"
	"os"
	"runtime/debug"

	"github.com/ebios/ebios/wasm/worker/edge"
	"github.com/ebios/ebios/wasm/worker/settings"
	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
)

// version is stamped by make worker (-ldflags -X main.version=...).
var version = "dev"

// memoryLimit keeps the Go heap well inside a Worker's 128 MB, which the
// isolate's other instances share: the Durable Object's instance lives on
// and its linear memory never shrinks, so it collects early instead.
const memoryLimit = 48 << 20

func main() {
	debug.SetMemoryLimit(memoryLimit)
	h, err := run(context.Background(), cloudflare.Getenv)
	if err != nil {
		// Misconfigured: every request gets the structured error.
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { edge.WriteError(w, err) })
	}
	if cloudflare.Getenv(settings.Sequencer) == "1" {
		workers.ServeNonBlock(h)
		workers.Ready()
		select {} // entry.mjs calls the handler for as long as the object lives
	}
	workers.Serve(h)
	os.Exit(0)
}
