package serve

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestForwardedClient: the holder of the sequencer lease believes the
// client a forwarded append names only with the right MAC, recently.
func TestForwardedClient(t *testing.T) {
	key := forwardKey([]byte("the token secret every server of the fleet has"))
	other := forwardKey([]byte("another fleet's token secret, as long as the first"))
	now := time.Unix(1_790_000_000, 0)
	client := netip.MustParseAddr("2001:db8::7")
	good := forwardClaim(key, client, now)
	for _, tc := range []struct {
		name  string
		claim string
		at    time.Time
		ok    bool
	}{
		{"the claim as made", good, now, true},
		{"30 s later", good, now.Add(30 * time.Second), true},
		{"2 min later", good, now.Add(2 * time.Minute), false},
		{"another key", forwardClaim(other, client, now), now, false},
		{"another client", "192.0.2.1" + good[len(client.String()):], now, false},
		{"no MAC", client.String() + " 1790000000", now, false},
		{"a client's own value", "1", now, false},
		{"garbage MAC", good[:len(good)-1] + "0", now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := forwardedClient(key, tc.claim, tc.at)
			if ok != tc.ok || ok && got != client {
				t.Errorf("forwardedClient(%q) = %v, %v; want %v", tc.claim, got, ok, tc.ok)
			}
		})
	}

	// Served by the holder: the request comes from the client named, with
	// the forwarding server's X-Forwarded-For dropped; a claim that does not
	// check out leaves the peer as it is.
	var seen *http.Request
	f := &forwarder{key: key, logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		next: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = r })}
	for _, tc := range []struct {
		claim, want string
	}{
		{forwardClaim(key, client, time.Now()), "[2001:db8::7]:0"},
		{forwardClaim(other, client, time.Now()), "198.51.100.2:4711"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/operations/execute", nil)
		r.RemoteAddr = "198.51.100.2:4711"
		r.Header.Set(forwardedHeader, tc.claim)
		r.Header.Set("X-Forwarded-For", "203.0.113.5")
		f.ServeHTTP(httptest.NewRecorder(), r)
		if seen.RemoteAddr != tc.want {
			t.Errorf("claim %q: served as from %s, want %s", tc.claim, seen.RemoteAddr, tc.want)
		}
	}
}

// FuzzForwardedClient: any header value is either refused or a claim made
// with the key, naming the client it was made for.
func FuzzForwardedClient(f *testing.F) {
	key := forwardKey([]byte("the token secret every server of the fleet has"))
	now := time.Unix(1_790_000_000, 0)
	f.Add(forwardClaim(key, netip.MustParseAddr("192.0.2.1"), now))
	f.Add(forwardClaim(key, netip.MustParseAddr("2001:db8::1%eth0"), now))
	f.Add("1")
	f.Add("192.0.2.1 1790000000 00")
	f.Fuzz(func(t *testing.T, v string) {
		a, ok := forwardedClient(key, v, now)
		if ok && !claimAt(key, a, v) {
			t.Fatalf("accepted %q, which the key did not make for %v", v, a)
		}
	})
}

// claimAt reports whether v is the claim of a made with key at the time it
// names (a claim up to forwardMaxAge old is accepted).
func claimAt(key []byte, a netip.Addr, v string) bool {
	for d := -forwardMaxAge; d <= forwardMaxAge; d += time.Second {
		if forwardClaim(key, a, time.Unix(1_790_000_000, 0).Add(d)) == v {
			return true
		}
	}
	return false
}

// TestForwardBatches: appends reaching a server that does not hold the
// lease go to the holder in batches, each answered with its own reply and
// served as from its own client; a holder with another token secret gets
// them proxied one by one, and a holder that is gone leaves them to be
// served where they arrived.
func TestForwardBatches(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := forwardKey([]byte("the token secret every server of the fleet has"))
	var mu sync.Mutex
	batches := 0
	holderNext := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // a commit: the next appends queue meanwhile
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Served-By", "holder")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s|%s|%s", b, r.Header.Get("Authorization"), r.RemoteAddr)
	})
	newHolder := func(k []byte) *httptest.Server {
		h := &forwarder{key: k, logger: quiet, next: holderNext}
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == forwardPath {
				mu.Lock()
				batches++
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		}))
	}
	follower := func(to string) *httptest.Server {
		f := &forwarder{key: key, logger: quiet, seq: func() (string, bool) { return to, false },
			client: func(r *http.Request) netip.Addr { return netip.MustParseAddr("198.51.100.7") },
			next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.Header().Set("X-Served-By", "here")
				fmt.Fprintf(w, "%s", b)
			})}
		return httptest.NewServer(f)
	}
	send := func(url string, n int) []string {
		out := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/operations/execute", strings.NewReader(fmt.Sprint("append-", i)))
				req.Header.Set("Authorization", fmt.Sprint("Bearer token-", i))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					out[i] = err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				out[i] = fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("X-Served-By"), b)
			}()
		}
		wg.Wait()
		return out
	}

	holder := newHolder(key)
	defer holder.Close()
	fw := follower(holder.URL)
	defer fw.Close()
	for i, got := range send(fw.URL, 60) {
		if want := fmt.Sprintf("201 holder append-%d|Bearer token-%d|198.51.100.7:0", i, i); got != want {
			t.Errorf("append %d: %q, want %q", i, got, want)
		}
	}
	mu.Lock()
	if batches == 0 || batches > 20 {
		t.Errorf("60 appends went to the holder in %d batches; want a few", batches)
	}
	mu.Unlock()

	// Another token secret: no batch is accepted, each append is proxied
	// alone and served by the holder as from the forwarding server.
	stranger := newHolder(forwardKey([]byte("another fleet's token secret, as long as the first")))
	defer stranger.Close()
	fs := follower(stranger.URL)
	defer fs.Close()
	for i, got := range send(fs.URL, 5) {
		if want := fmt.Sprintf("201 holder append-%d|Bearer token-%d|127.0.0.1:", i, i); !strings.HasPrefix(got, want) {
			t.Errorf("append %d to a holder of another secret: %q, want %q…", i, got, want)
		}
	}

	// The holder is gone: served here.
	gone := newHolder(key)
	gone.Close()
	fg := follower(gone.URL)
	defer fg.Close()
	for i, got := range send(fg.URL, 5) {
		if want := fmt.Sprintf("200 here append-%d", i); got != want {
			t.Errorf("append %d with the holder gone: %q, want %q", i, got, want)
		}
	}
}
