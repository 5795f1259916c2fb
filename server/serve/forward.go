package serve

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/server/api"
)

// forwardedHeader marks an append a server sent to the lease holder: the
// holder handles it itself, whatever it thinks of the lease by then, so an
// append is forwarded at most once. Its value names the client the
// forwarding server took the request from, with a time and a MAC
// ("ADDR TIME MAC", see forwardMAC), so that the holder limits the client
// and not the forwarding server; a value that does not check out is
// ignored (the request is limited as the forwarding server's, as any
// request of that peer).
const forwardedHeader = "X-Ebios-Forwarded"

// forwardMaxAge bounds how old a forwarded client's claim may be.
const forwardMaxAge = time.Minute

// forwardKey returns the key of the MACs of forwarded client addresses,
// derived from the token secret, which every server of a fleet shares.
func forwardKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ebios forwarded client v1"))
	return m.Sum(nil)
}

// forwardClaim is the value of forwardedHeader for client at now.
func forwardClaim(key []byte, client netip.Addr, now time.Time) string {
	body := client.String() + " " + strconv.FormatInt(now.Unix(), 10)
	return body + " " + forwardMAC(key, body)
}

func forwardMAC(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// forwardedClient checks a forwardedHeader value and returns the client it
// names, if its MAC is right and it is recent.
func forwardedClient(key []byte, v string, now time.Time) (netip.Addr, bool) {
	i := strings.LastIndexByte(v, ' ')
	if i < 0 || !hmac.Equal([]byte(v[i+1:]), []byte(forwardMAC(key, v[:i]))) {
		return netip.Addr{}, false
	}
	addr, ts, _ := strings.Cut(v[:i], " ")
	sec, err := strconv.ParseInt(ts, 10, 64)
	a, err2 := netip.ParseAddr(addr)
	if err != nil || err2 != nil || !recent(sec, now) {
		return netip.Addr{}, false
	}
	return a, true
}

// recent reports whether the Unix time sec is within forwardMaxAge of now.
func recent(sec int64, now time.Time) bool {
	return now.Sub(time.Unix(sec, 0)).Abs() <= forwardMaxAge
}

// notDelivered reports whether err, from sending to the lease holder, says
// that nothing reached it (the connection was refused): the append is then
// served here.
func notDelivered(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// appendRoutes are the routes that append to the log (POST).
var appendRoutes = map[string]bool{
	"/api/v1/operations/execute": true, "/operations/execute": true,
	"/api/v1/operations/batch": true, "/operations/batch": true,
}

// forwarder sends the appends that reach this server to the server that
// holds the sequencer lease (PostgreSQL store), in batches (forwardbatch.go),
// or proxied one by one where batches are not taken, so that one server
// batches every writer's appends into its commits; everything else, and every
// append while this server holds the lease or none is known, it serves
// itself. An append it could not deliver (the holder is gone: the
// connection was refused) it also serves itself; one delivered whose
// answer is lost gets 502, and was not acknowledged. The holder checks the
// credentials and limits, as for any request.
type forwarder struct {
	next     http.Handler
	seq      func() (url string, self bool)
	key      []byte                         // forwardKey
	client   func(*http.Request) netip.Addr // the address a request is limited under
	self     atomic.Pointer[string]         // this server's own URL, once it listens
	warned   atomic.Int64                   // Unix time of the last warning of a claim that did not check out
	logger   *slog.Logger
	proxies  sync.Map // url → *httputil.ReverseProxy
	batchers sync.Map // url → *batcher
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == forwardPath {
		f.serveBatch(w, r)
		return
	}
	if v := r.Header.Get(forwardedHeader); v != "" {
		// Sent by another server: served here, as from the client it names.
		if a, ok := forwardedClient(f.key, v, time.Now()); ok {
			r.RemoteAddr = netip.AddrPortFrom(a, 0).String()
			r.Header.Del("X-Forwarded-For")
		} else {
			f.warnUnchecked("a forwarded append's client could not be checked (is auth.secret_file the same on every server?); it is limited as its peer's", r)
		}
		f.next.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost || !appendRoutes[r.URL.Path] {
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
	if f.forwardBatched(w, r, to, body) {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set(forwardedHeader, forwardClaim(f.key, f.client(r), time.Now()))
	f.proxy(to).ServeHTTP(w, r.WithContext(withBody(r.Context(), body)))
}

// warnUnchecked logs msg about a request from another server whose MAC
// did not check out, at most once a minute (clients can send the header
// too).
func (f *forwarder) warnUnchecked(msg string, r *http.Request) {
	if now := time.Now().Unix(); f.warned.Load() < now-60 {
		f.warned.Store(now)
		f.logger.Warn(msg, "peer", r.RemoteAddr)
	}
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
		if notDelivered(err) { // serve it here
			r.Body = io.NopCloser(bytes.NewReader(bodyOf(r.Context())))
			f.next.ServeHTTP(w, r)
			return
		}
		f.logger.Warn("an append forwarded to the sequencer got no answer", "sequencer", to, "err", err)
		writeUnanswered(w, err)
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
