//go:build js && wasm

package cf

import (
	"bytes"
	"net/http"
	"syscall/js"
)

// rawBodyWriter is syumai/workers' ResponseWriter, which can take a whole
// body as a JavaScript value instead of streaming it from a Go pipe.
type rawBodyWriter interface {
	WriteRawJSBody(body js.Value)
}

// recorder holds a response until the handler is done.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// Buffered answers with whole bodies: h's response is held until h
// returns, then handed to the runtime as one Uint8Array. A Go instance
// that serves many requests at once (the Durable Object's) otherwise
// streams each body through a pipe that the JavaScript side pulls, and
// under a few hundred concurrent requests some of those streams were never
// finished (make worker-test saw it).
func Buffered(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := w.(rawBodyWriter)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		rec := &recorder{h: w.Header()}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		body := uint8Array.New(rec.body.Len())
		js.CopyBytesToJS(body, rec.body.Bytes())
		raw.WriteRawJSBody(body)
		w.WriteHeader(rec.status)
	})
}
