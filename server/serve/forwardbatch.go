package serve

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/auth"
)

// Appends are forwarded to the lease holder in batches: a server sends,
// in one request to forwardPath, every append it has waiting (at most
// maxForwardBatch, with at most forwardInFlight such requests in flight to
// one holder), and the holder serves each as a request of its own, at once,
// so that they join its group commit as the clients' own requests would.
// One proxied request per append cost a forwarding server about 130 µs of
// CPU an append (docs/benchmarks.md, PostgreSQL); a batch costs it one
// request. A holder that does not know forwardPath (an older binary, during
// an upgrade) gets each append proxied alone, as before.
const (
	forwardPath     = "/internal/v1/forward"
	maxForwardBatch = 128
	forwardInFlight = 2
	// maxForwardBody: a larger append is proxied alone (so that a batch,
	// read before its MAC is checked, stays within 2.6 MB).
	maxForwardBody = 16 << 10
)

// forwardBatch is the body of a request to forwardPath. Its MAC (in
// forwardedHeader) covers the whole body, and Time bounds its age, so the
// holder believes the clients it names.
type forwardBatch struct {
	Time  int64         `json:"time"`
	Items []forwardItem `json:"items"`
}

// forwardItem is one forwarded request.
type forwardItem struct {
	Method string      `json:"method"`
	Path   string      `json:"path"` // with its query
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
	Client string      `json:"client"` // the address it is limited under
}

// forwardReply is the holder's answer to one forwardItem.
type forwardReply struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// forwardResult is what a waiting append gets from its batch.
type forwardResult struct {
	reply *forwardReply
	err   error // the batch got no answer: the append may or may not be in the log
	local bool  // not delivered (the holder is gone): serve it here
	alone bool  // the holder has no forwardPath: proxy it alone
}

type pendingAppend struct {
	item forwardItem
	done chan forwardResult // buffered: the batch never waits for its reader
}

// batcher sends one holder the appends waiting for it.
type batcher struct {
	f      *forwarder
	to     string
	queue  chan *pendingAppend
	slots  chan struct{} // forwardInFlight
	client *http.Client
}

// batcherFor returns the batcher of the holder at to, started on first use.
func (f *forwarder) batcherFor(to string) *batcher {
	if b, ok := f.batchers.Load(to); ok {
		return b.(*batcher)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = forwardInFlight
	b := &batcher{f: f, to: to, queue: make(chan *pendingAppend, 4*maxForwardBatch),
		slots: make(chan struct{}, forwardInFlight), client: &http.Client{Transport: t, Timeout: time.Minute}}
	if old, loaded := f.batchers.LoadOrStore(to, b); loaded {
		return old.(*batcher)
	}
	go b.run()
	return b
}

// run gathers what waits into batches, as soon as a batch may be sent.
func (b *batcher) run() {
	for first := range b.queue {
		b.slots <- struct{}{}
		batch := []*pendingAppend{first}
	gather:
		for len(batch) < maxForwardBatch {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		go func() {
			defer func() { <-b.slots }()
			b.send(batch)
		}()
	}
}

// send sends one batch and hands each append its answer.
func (b *batcher) send(batch []*pendingAppend) {
	answer := func(r forwardResult) {
		for _, p := range batch {
			p.done <- r
		}
	}
	fb := forwardBatch{Time: time.Now().Unix(), Items: make([]forwardItem, len(batch))}
	for i, p := range batch {
		fb.Items[i] = p.item
	}
	body, err := json.Marshal(fb)
	if err != nil {
		answer(forwardResult{alone: true})
		return
	}
	req, err := http.NewRequest(http.MethodPost, b.to+forwardPath, bytes.NewReader(body))
	if err != nil {
		answer(forwardResult{alone: true})
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(forwardedHeader, forwardMAC(b.f.key, string(body)))
	resp, err := b.client.Do(req)
	if err != nil {
		answer(forwardResult{err: err, local: notDelivered(err)})
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		answer(forwardResult{alone: true}) // an older holder
		return
	}
	var replies []forwardReply
	if err := json.NewDecoder(resp.Body).Decode(&replies); err != nil || resp.StatusCode != http.StatusOK || len(replies) != len(batch) {
		if err == nil {
			err = errors.New("the sequencer server answered the batch with " + resp.Status)
		}
		answer(forwardResult{err: err})
		return
	}
	for i, p := range batch {
		p.done <- forwardResult{reply: &replies[i]}
	}
}

// forwardBatched sends the append r (whose body is body) to the holder at
// to in a batch and answers it; it reports false, having written nothing,
// if the append is to be proxied alone instead.
func (f *forwarder) forwardBatched(w http.ResponseWriter, r *http.Request, to string, body []byte) bool {
	if len(body) > maxForwardBody {
		return false
	}
	h := r.Header.Clone()
	for _, k := range []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Content-Length", "X-Forwarded-For", forwardedHeader} {
		h.Del(k)
	}
	p := &pendingAppend{item: forwardItem{Method: r.Method, Path: r.URL.RequestURI(), Header: h, Body: body, Client: f.client(r).String()},
		done: make(chan forwardResult, 1)}
	b := f.batcherFor(to)
	select {
	case b.queue <- p:
	case <-r.Context().Done():
		return true // the client has gone; nothing was sent
	}
	var res forwardResult
	select {
	case res = <-p.done:
	case <-r.Context().Done():
		return true
	}
	switch {
	case res.alone:
		return false
	case res.local:
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.next.ServeHTTP(w, r)
	case res.err != nil:
		f.logger.Warn("an append forwarded to the sequencer got no answer", "sequencer", to, "err", res.err)
		writeUnanswered(w, res.err)
	default:
		for k, vs := range res.reply.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.reply.Status)
		w.Write(res.reply.Body) // #nosec G104 -- the client may have gone; nothing else to do
	}
	return true
}

// writeUnanswered answers an append that was sent to the lease holder and
// got no answer.
func writeUnanswered(w http.ResponseWriter, err error) {
	w.Header().Set("Retry-After", "1")
	auth.WriteError(w, http.StatusServiceUnavailable, &nu.Error{Code: api.CodeUnavailable, Category: api.CategoryAPI,
		Message: "the append was sent to the sequencer server, which did not answer: it may or may not be in the log", Details: err.Error(),
		Remediation: "retry with the same op_id: the retry is refused (409) if the first one was logged"})
}

// maxForwardBatchBytes bounds the body of a request to forwardPath.
const maxForwardBatchBytes = maxForwardBatch*(maxForwardBody+4<<10) + 4<<10

// serveBatch serves a batch another server forwarded (forwardPath): each
// append as a request of its own, all at once, from the client named.
func (f *forwarder) serveBatch(w http.ResponseWriter, r *http.Request) {
	// To anyone without the MAC (and to a server whose token secret
	// differs, which then proxies each append alone) it is no route, as
	// the API would say.
	if r.Method != http.MethodPost {
		api.WriteNoRoute(w, r.Method, r.URL.Path)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForwardBatchBytes+1))
	if err != nil || len(body) > maxForwardBatchBytes {
		auth.WriteError(w, http.StatusRequestEntityTooLarge, &nu.Error{Code: api.CodeTooLarge, Category: api.CategoryAPI,
			Message: "the batch of forwarded appends is too large or could not be read", Remediation: "send fewer appends in one batch"})
		return
	}
	var fb forwardBatch
	if !hmac.Equal([]byte(r.Header.Get(forwardedHeader)), []byte(forwardMAC(f.key, string(body)))) ||
		json.Unmarshal(body, &fb) != nil || !recent(fb.Time, time.Now()) {
		f.warnUnchecked("a batch of forwarded appends could not be checked (is auth.secret_file the same on every server?); refused", r)
		api.WriteNoRoute(w, r.Method, r.URL.Path)
		return
	}
	replies := make([]forwardReply, len(fb.Items))
	var wg sync.WaitGroup
	for i, it := range fb.Items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = f.serveItem(r.Context(), it)
		}()
	}
	wg.Wait()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(replies) // #nosec G104 -- the forwarding server may have gone; it answers its clients 503 then
}

// serveItem serves one forwarded append through the API.
func (f *forwarder) serveItem(ctx context.Context, it forwardItem) forwardReply {
	rec := &replyWriter{header: http.Header{}}
	req, err := http.NewRequestWithContext(ctx, it.Method, it.Path, bytes.NewReader(it.Body))
	if err != nil || !appendRoutes[req.URL.Path] || it.Method != http.MethodPost {
		api.WriteNoRoute(rec, it.Method, it.Path)
		return rec.reply()
	}
	req.Header = it.Header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.ContentLength = int64(len(it.Body))
	if a, err := netip.ParseAddr(it.Client); err == nil {
		req.RemoteAddr = netip.AddrPortFrom(a, 0).String()
	}
	f.next.ServeHTTP(rec, req)
	return rec.reply()
}

// replyWriter keeps one forwarded append's answer.
type replyWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *replyWriter) Header() http.Header { return w.header }

func (w *replyWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *replyWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// reply is what was written, as a forwardReply (200 if no status was).
func (w *replyWriter) reply() forwardReply {
	w.WriteHeader(http.StatusOK)
	return forwardReply{Status: w.status, Header: w.header, Body: w.body.Bytes()}
}
