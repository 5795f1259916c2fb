//go:build js && wasm

package main

import (
	"context"
	"crypto/sha256"
	"net/http"

	"github.com/ebios/ebios/wasm/worker/cf"
	"github.com/ebios/ebios/wasm/worker/d1log"
	"github.com/ebios/ebios/wasm/worker/edge"
	"github.com/ebios/ebios/wasm/worker/settings"
)

// run builds the Worker's handler from its vars and secrets (getenv).
func run(_ context.Context, getenv func(string) string) (http.Handler, error) {
	set, err := settings.Load(getenv)
	if err != nil {
		return nil, err
	}
	db, err := cf.NewD1("DB")
	if err != nil {
		return nil, settings.Err("the D1 binding DB is missing", err.Error(), "bind the D1 database as DB in wrangler.toml")
	}
	objects, err := cf.NewR2("LOG")
	if err != nil {
		return nil, settings.Err("the R2 binding LOG is missing", err.Error(), "bind the R2 bucket as LOG in wrangler.toml")
	}
	empty, err := edge.EmptyCheckpoint(set.Signer)
	if err != nil {
		return nil, err
	}
	users := &d1log.Users{DB: db}
	if set.SetupToken != "" {
		h := sha256.Sum256([]byte(set.SetupToken))
		users.SetupHash = h[:]
	}
	svc, err := set.Auth(users)
	if err != nil {
		return nil, err
	}
	return cf.Buffered(edge.WithCORS(set.CORSOrigins, edge.New(edge.Config{
		Signer:    set.Signer,
		Auth:      svc,
		Objects:   objects,
		LogPublic: set.LogPublic,
		Version:   version,
		Open: func(ctx context.Context) (edge.Store, error) {
			st, err := d1log.Open(ctx, db, set.Signer.Verifier(), empty)
			if err != nil {
				return nil, err
			}
			st.Sealed = objects
			return st, nil
		},
	}).Handler())), nil
}
