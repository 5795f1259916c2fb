//go:build js && wasm

package cf

import (
	"bytes"
	"context"
	"io"
	"strconv"

	"github.com/ebios/ebios/wasm/worker/edge"
	"github.com/syumai/workers/cloudflare/r2"
)

// Bundles keeps export bundles in an R2 bucket, one object per tree size
// (bundles/<size>.json): a bundle of a size never changes.
type Bundles struct{ b *r2.Bucket }

var _ edge.BundleCache = (*Bundles)(nil)

// NewBundles returns the bundle cache in the R2 bucket bound as name.
func NewBundles(name string) (*Bundles, error) {
	b, err := r2.NewBucket(name)
	if err != nil {
		return nil, err
	}
	return &Bundles{b: b}, nil
}

func bundleKey(size int64) string { return "bundles/" + strconv.FormatInt(size, 10) + ".json" }

func r2Err(what string, err error) error {
	return edge.Unavailable("the Worker's R2 bucket failed: "+what, err.Error(), "retry; check the R2 bucket binding BUNDLES in wrangler.toml")
}

// Get implements edge.BundleCache.
func (c *Bundles) Get(_ context.Context, size int64) ([]byte, error) {
	o, err := c.b.Get(bundleKey(size))
	if err != nil {
		return nil, r2Err("reading a bundle", err)
	}
	if o == nil {
		return nil, nil
	}
	b, err := io.ReadAll(o.Body)
	if err != nil {
		return nil, r2Err("reading a bundle", err)
	}
	return b, nil
}

// Put implements edge.BundleCache.
func (c *Bundles) Put(_ context.Context, size int64, bundle []byte) error {
	if _, err := c.b.Put(bundleKey(size), io.NopCloser(bytes.NewReader(bundle)), nil); err != nil {
		return r2Err("writing a bundle", err)
	}
	return nil
}
