package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestPostgresSharedLimits: three `ebios serve --store` on one database
// hold a client to one rate limit and an account to one limit of failed
// logins, wherever its requests land. (Appends all go to the holder of the
// sequencer lease; reads and logins are served where they arrive, so those
// are what the servers must share.)
func TestPostgresSharedLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ebios binary and runs PostgreSQL and three servers; runs in make unit")
	}
	f := newPGFleet(t, "limits.example/log")
	const reads, failures = 6, 4
	urls := make([]string, 3)
	for i := range urls {
		_, urls[i] = startServer(t, f.bin, f.serveArgs(i,
			"--rate-limit-read", fmt.Sprintf("%d/1m burst %d", reads, reads), "--login-failures", fmt.Sprint(failures)))
	}
	token := login(t, urls[0])
	ctx := context.Background()
	// Every server exchanges its usage every 250 ms: a pause of 600 ms
	// between requests lets each hear of the one before.
	pause := func() { time.Sleep(600 * time.Millisecond) }

	for i := range reads {
		if s := call(ctx, "GET", urls[i%3]+"/api/v1/checkpoint", token, "", nil); s != http.StatusOK {
			t.Fatalf("read %d of the burst of %d, at server %d: status %d", i+1, reads, i%3, s)
		}
		pause()
	}
	for i, u := range urls {
		if s := call(ctx, "GET", u+"/api/v1/checkpoint", token, "", nil); s != http.StatusTooManyRequests {
			t.Errorf("a read past the burst of %d spread over the servers, at server %d: status %d, want 429", reads, i, s)
		}
	}

	const wrong = `{"username":"admin","password":"not the password at all"}`
	for i := range failures {
		if s := call(ctx, "POST", urls[i%3]+"/api/v1/auth/login", "", wrong, nil); s != http.StatusUnauthorized {
			t.Fatalf("failed login %d at server %d: status %d, want 401", i+1, i%3, s)
		}
	}
	for i, u := range urls {
		right := `{"username":"admin","password":"correct horse battery staple drill"}`
		if s := call(ctx, "POST", u+"/api/v1/auth/login", "", right, nil); s != http.StatusTooManyRequests {
			t.Errorf("the right password after %d failures spread over the servers, at server %d: status %d, want 429 (AUTH_020)", failures, i, s)
		}
	}
}
