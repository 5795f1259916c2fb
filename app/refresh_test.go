//go:build !wasm

package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// refreshAPI accepts the access tokens it issued, and trades each refresh
// token once (a second use is refused, as the server's reuse detection
// does).
func refreshAPI(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var trades atomic.Int64
	var mu sync.Mutex
	valid := map[string]string{"r1": "a1", "r3": "a3"} // refresh token → the access token it gives
	live := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			RefreshToken string `json:"refresh_token"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		defer mu.Unlock()
		trades.Add(1)
		a, ok := valid[req.RefreshToken]
		if !ok {
			w.WriteHeader(401)
			w.Write([]byte(`{"error":{"code":"AUTH_005","message":"refresh token reused"}}`))
			return
		}
		delete(valid, req.RefreshToken)
		live[a] = true
		json.NewEncoder(w).Encode(map[string]any{"access_token": a, "refresh_token": req.RefreshToken + "-next"})
	})
	mux.HandleFunc("GET /api/v1/auth/me", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := live[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			w.Write([]byte(`{"error":{"code":"AUTH_004","message":"token expired"}}`))
			return
		}
		w.Write([]byte(`{"user":{"name":"root","role":"admin"},"permissions":[]}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &trades
}

// TestSilentRefresh: a request refused for an expired access token is sent
// again with a fresh pair, which OnRefresh receives; requests refused at
// the same time trade the refresh token once; a refresh that fails leaves
// the 401, and the client forgets its refresh token.
func TestSilentRefresh(t *testing.T) {
	srv, trades := refreshAPI(t)
	ctx := context.Background()

	var got [2]string
	c := &APIClient{Base: srv.URL, Token: "expired", Refresh: "r1", OnRefresh: func(a, r string) { got = [2]string{a, r} }}
	if me, err := c.Me(ctx); err != nil || me.User.Name != "root" {
		t.Fatalf("with an expired token and a refresh token: %v", err)
	}
	if got != [2]string{"a1", "r1-next"} || c.Token != "a1" || c.Refresh != "r1-next" || trades.Load() != 1 {
		t.Fatalf("after the refresh: OnRefresh %v, client %q %q, %d trades", got, c.Token, c.Refresh, trades.Load())
	}

	// Several requests refused at once: one trade, every one answered.
	trades.Store(0)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = (&APIClient{Base: srv.URL, Token: "expired", Refresh: "r3"}).Me(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if trades.Load() != 1 {
		t.Errorf("%d trades of one refresh token", trades.Load())
	}

	// A spent refresh token: the 401 stays, and the client forgets it.
	c = &APIClient{Base: srv.URL, Token: "expired", Refresh: "r1"}
	if _, err := c.Me(ctx); !Unauthorized(err) || c.Refresh != "" {
		t.Fatalf("with a spent refresh token: %v, refresh %q", err, c.Refresh)
	}
	// Without a refresh token: no trade.
	trades.Store(0)
	if _, err := (&APIClient{Base: srv.URL, Token: "expired"}).Me(ctx); !Unauthorized(err) || trades.Load() != 0 {
		t.Fatalf("without a refresh token: %v, %d trades", err, trades.Load())
	}
}

// TestAfterLogin: the login page goes back to a page of the app, never to
// another site.
func TestAfterLogin(t *testing.T) {
	for _, c := range []struct{ next, want string }{
		{"/policies", "/policies"},
		{"/users", "/users"},
		{"", ExplorerPath},
		{"//evil.example/x", ExplorerPath},
		{"https://evil.example/", ExplorerPath},
		{"/\\evil.example", ExplorerPath},
		{"javascript:alert(1)", ExplorerPath},
	} {
		if got := afterLogin(c.next); got != c.want {
			t.Errorf("next %q: %q, want %q", c.next, got, c.want)
		}
	}
}
