package serve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/auth"
)

// forwardedHeader marks an append a server sent to the lease holder: the
// holder handles it itself, whatever it thinks of the lease by then, so an
// append is forwarded at most once.
const forwardedHeader = "X-Ebios-Forwarded"

// appendRoutes are the routes that append to the log (POST).
var appendRoutes = map[string]bool{
	"/api/v1/operations/execute": true, "/operations/execute": true,
	"/api/v1/operations/batch": true, "/operations/batch": true,
}

// forwarder sends the appends that reach this server to the server that
// holds the sequencer lease (PostgreSQL store), so that one server batches
// every writer's appends into its commits; everything else, and every
// append while this server holds the lease or none is known, it serves
// itself. An append it could not deliver (the holder is gone: the
// connection was refused) it also serves itself; one delivered whose
// answer is lost gets 502, and was not acknowledged. The holder checks the
// credentials and limits, as for any request.
type forwarder struct {
	next    http.Handler
	seq     func() (url string, self bool)
	self    atomic.Pointer[string] // this server's own URL, once it listens
	logger  *slog.Logger
	proxies sync.Map // url → *httputil.ReverseProxy
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !appendRoutes[r.URL.Path] || r.Header.Get(forwardedHeader) != "" {
		f.next.ServeHTTP(w, r)
		return
	}
	to, self := f.seq()
	if own := f.self.Load(); self || to == "" || own != nil && to == *own {
		f.next.ServeHTTP(w, r)
		return
	}
	// The body is kept, to serve the append here if it cannot be delivered.
	body, err := io.ReadAll(io.LimitReader(r.Body, api.DefaultMaxBody+1))
	if err != nil {
		f.next.ServeHTTP(w, r) // the API answers a body it cannot read
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > api.DefaultMaxBody {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		f.next.ServeHTTP(w, r) // too large: the API says so
		return
	}
	r.Header.Set(forwardedHeader, "1")
	f.proxy(to).ServeHTTP(w, r.WithContext(withBody(r.Context(), body)))
}

// proxy returns the reverse proxy to the server at to.
func (f *forwarder) proxy(to string) *httputil.ReverseProxy {
	if p, ok := f.proxies.Load(to); ok {
		return p.(*httputil.ReverseProxy)
	}
	u, err := url.Parse(to)
	if err != nil {
		u = &url.URL{}
	}
	p := httputil.NewSingleHostReverseProxy(u)
	// Keep a connection per writer waiting (the default keeps two, and
	// opens and closes one per append beyond them).
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	p.Transport = t
	p.ErrorLog = slog.NewLogLogger(f.logger.Handler(), slog.LevelWarn)
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" { // not delivered: serve it here
			r.Body = io.NopCloser(bytes.NewReader(bodyOf(r.Context())))
			f.next.ServeHTTP(w, r)
			return
		}
		f.logger.Warn("an append forwarded to the sequencer got no answer", "sequencer", to, "err", err)
		w.Header().Set("Retry-After", "1")
		auth.WriteError(w, http.StatusServiceUnavailable, &nu.Error{Code: api.CodeUnavailable, Category: api.CategoryAPI,
			Message: "the append was sent to the sequencer server, which did not answer: it may or may not be in the log", Details: err.Error(),
			Remediation: "retry with the same op_id: the retry is refused (409) if the first one was logged"})
	}
	f.proxies.Store(to, p)
	return p
}

// bodyKey holds, in a forwarded request's context, its body.
type bodyKey struct{}

func withBody(ctx context.Context, body []byte) context.Context {
	return context.WithValue(ctx, bodyKey{}, body)
}

func bodyOf(ctx context.Context) []byte {
	b, _ := ctx.Value(bodyKey{}).([]byte)
	return b
}

// advertised is the URL the other servers reach this one at: config
// advertise_url, or the scheme and address it listens on, with the first
// address of its network interfaces (not a loopback) when it listens on
// every interface (a pod's IP in Kubernetes).
func advertised(cfgURL, scheme, listenAddr string) string {
	if cfgURL != "" {
		return cfgURL
	}
	host, port, err := net.SplitHostPort(listenAddr)
	if err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
					return scheme + "://" + net.JoinHostPort(ip.IP.String(), port)
				}
			}
		}
	}
	return scheme + "://" + displayHost(listenAddr)
}
