//go:build js && wasm

package cf

import (
	"bytes"
	"context"
	"io"

	"github.com/ebios/ebios/wasm/worker/d1log"
	"github.com/ebios/ebios/wasm/worker/edge"
	"github.com/syumai/workers/cloudflare/r2"
)

// R2 is an R2 bucket as the Worker's object store: export bundles
// (edge.Objects, bundles/<size>.json) and sealed tiles (d1log.TileStore,
// tile/...). Both are immutable once written.
type R2 struct{ b *r2.Bucket }

var (
	_ edge.Objects    = (*R2)(nil)
	_ d1log.TileStore = (*R2)(nil)
)

// NewR2 returns the R2 bucket bound as name.
func NewR2(name string) (*R2, error) {
	b, err := r2.NewBucket(name)
	if err != nil {
		return nil, err
	}
	return &R2{b: b}, nil
}

func r2Err(what, key string, err error) error {
	return edge.Unavailable("the Worker's R2 bucket failed: "+what+" "+key, err.Error(), "retry; check the R2 bucket binding LOG in wrangler.toml")
}

// Get returns the object at key, or nil if there is none.
func (o *R2) Get(_ context.Context, key string) ([]byte, error) {
	obj, err := o.b.Get(key)
	if err != nil {
		return nil, r2Err("reading", key, err)
	}
	if obj == nil {
		return nil, nil
	}
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		return nil, r2Err("reading", key, err)
	}
	return b, nil
}

// Put stores data at key.
func (o *R2) Put(_ context.Context, key string, data []byte) error {
	if _, err := o.b.Put(key, io.NopCloser(bytes.NewReader(data)), nil); err != nil {
		return r2Err("writing", key, err)
	}
	return nil
}
