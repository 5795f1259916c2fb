package ledger

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/nu"
	"github.com/go-json-experiment/json/jsontext"
)

// Bundle format identification. Writers write BundleVersion; readers read
// every version from MinBundleVersion to BundleVersion. Version 2 adds the
// entry mode "gum" (docs/ledger-format.md, §7); version 3 adds the entry
// member "analysis" ([Analysis]), encoded at the end of the canonical body
// of the entries that have one. The entries without one are encoded as in
// versions 1 and 2, so every version-1 and version-2 bundle still verifies.
const (
	BundleFormat     = "ebios-ledger-bundle"
	BundleVersion    = 3
	MinBundleVersion = 1
)

// bundleVersionOK reports whether this reader knows bundle version v.
func bundleVersionOK(v int) bool { return v >= MinBundleVersion && v <= BundleVersion }

// BundleHeader is everything in a bundle except the entries.
type BundleHeader struct {
	// Format is always [BundleFormat].
	Format string `json:"format"`
	// Version is [BundleVersion] in what this package writes, and from
	// [MinBundleVersion] to it in what it reads.
	Version int `json:"version"`
	// Origin is the log's origin.
	Origin string `json:"origin"`
	// Key is the log's public key in note verifier format. It is
	// informational: a verifier checks against a key it pins, and a bundle
	// whose key differs from the pinned one fails.
	Key string `json:"key"`
	// Checkpoint is the signed checkpoint (note text with signatures) of the
	// tree of exactly the bundle's entries.
	Checkpoint string `json:"checkpoint"`
}

// Bundle is an export of a log: a self-describing, versioned JSON document
//
//	{"format":"ebios-ledger-bundle","version":1,"origin":"...",
//	 "key":"<note verifier key>","checkpoint":"<signed note>",
//	 "entries":[<entry>,<entry>,...]}
//
// with the members in exactly this order (so that it can be verified while
// it streams in) and each entry in the JSON form of [Entry.MarshalJSON].
type Bundle struct {
	BundleHeader
	Entries []*Entry
}

// Bundle returns a bundle of the whole log with a fresh checkpoint.
func (l *Log) Bundle() (*Bundle, error) {
	entries := l.store.Entries()
	cp, err := l.CheckpointAt(int64(len(entries)))
	if err != nil {
		return nil, err
	}
	return &Bundle{BundleHeader: BundleHeader{Format: BundleFormat, Version: BundleVersion,
		Origin: l.origin, Key: l.signer.VerifierKey(), Checkpoint: string(cp)}, Entries: entries}, nil
}

// WriteBundle writes b to w.
func WriteBundle(w io.Writer, b *Bundle) error {
	bw, err := NewBundleWriter(w, b.BundleHeader)
	if err != nil {
		return err
	}
	for _, e := range b.Entries {
		if err := bw.WriteEntry(e); err != nil {
			return err
		}
	}
	return bw.Close()
}

// BundleWriter writes a bundle entry by entry, so that a store can export a
// log of any size in bounded memory. The header's checkpoint must cover
// exactly the entries written.
type BundleWriter struct {
	w   *bufio.Writer
	n   int
	err error
}

// NewBundleWriter writes the header of a bundle to w. Format and Version
// are filled in when empty.
func NewBundleWriter(w io.Writer, h BundleHeader) (*BundleWriter, error) {
	if h.Format == "" {
		h.Format, h.Version = BundleFormat, BundleVersion
	}
	bw := &BundleWriter{w: bufio.NewWriter(w)}
	bw.w.WriteString("{\n")
	for _, f := range []struct {
		k string
		v any
	}{{"format", h.Format}, {"version", h.Version}, {"origin", h.Origin}, {"key", h.Key}, {"checkpoint", h.Checkpoint}} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		bw.w.WriteString(strconv.Quote(f.k) + ": ")
		bw.w.Write(b)
		bw.w.WriteString(",\n")
	}
	bw.w.WriteString("\"entries\": [")
	return bw, nil
}

// WriteEntry writes the next entry.
func (bw *BundleWriter) WriteEntry(e *Entry) error {
	if bw.err != nil {
		return bw.err
	}
	b, err := e.MarshalJSON()
	if err != nil {
		bw.err = err
		return err
	}
	if bw.n > 0 {
		bw.w.WriteByte(',')
	}
	bw.w.WriteString("\n")
	bw.w.Write(b)
	bw.n++
	return nil
}

// Close ends the bundle and flushes it. It does not close the underlying
// writer.
func (bw *BundleWriter) Close() error {
	if bw.err != nil {
		return bw.err
	}
	bw.w.WriteString("\n]\n}\n")
	return bw.w.Flush()
}

// BundleReader reads a bundle entry by entry. Memory stays bounded by the
// size of one entry, whatever the size of the bundle. It reads strictly
// (docs/ledger-format.md §3 and §7): the header members in their fixed
// order, each entry as [Entry.UnmarshalJSON] does, valid UTF-8 only, and
// nothing after the closing brace.
type BundleReader struct {
	// Header is the bundle header, read by [NewBundleReader].
	Header BundleHeader
	r      entryReader
	n      int64
	done   bool
	tail   bool // the entries array has ended: errors are about the bundle, not an entry
}

// NewBundleReader reads and checks the header of the bundle in r (format,
// version and member order) and returns a reader positioned at the first
// entry.
func NewBundleReader(r io.Reader) (*BundleReader, error) {
	br := &BundleReader{r: entryReader{d: newEntryDecoder(r)}}
	d := br.r.d
	if err := br.delim('{', "the bundle must be a JSON object"); err != nil {
		return nil, err
	}
	h := &br.Header
	for _, f := range []struct {
		k string
		v *string
	}{{"format", &h.Format}, {"version", nil}, {"origin", &h.Origin}, {"key", &h.Key}, {"checkpoint", &h.Checkpoint}} {
		if err := br.key(f.k); err != nil {
			return nil, err
		}
		if f.v == nil { // version: an integer from MinBundleVersion to BundleVersion
			v, err := d.ReadValue()
			if err != nil {
				return nil, br.errf("member \"version\": %s", reason(br.r.jsonErr(err)))
			}
			if v.Kind() != '0' {
				return nil, br.errf("member \"version\" must be a number")
			}
			h.Version, err = strconv.Atoi(string(v))
			if err != nil || strconv.Itoa(h.Version) != string(v) {
				return nil, br.errf("member \"version\" must be an integer, got %s", truncate(string(v), 20))
			}
			if !bundleVersionOK(h.Version) {
				return nil, newErr(CodeBundle, "bundle version "+itoa(h.Version)+" is not supported (this reader knows versions "+itoa(MinBundleVersion)+" to "+itoa(BundleVersion)+")", "",
					"use a newer eBIOS to verify this bundle")
			}
			continue
		}
		s, err := br.r.str(f.k)
		if err != nil {
			return nil, br.errf("member %q: %s", f.k, reason(err))
		}
		*f.v = string(s)
		if f.k == "format" && h.Format != BundleFormat {
			return nil, br.errf("format is %q, not %q: this is not an eBIOS ledger bundle", truncate(h.Format, 40), BundleFormat)
		}
	}
	if err := br.key("entries"); err != nil {
		return nil, err
	}
	if err := br.delim('[', `"entries" must be an array`); err != nil {
		return nil, err
	}
	return br, nil
}

// Next returns the next entry, or io.EOF after the last one (when the
// bundle is also checked to end properly).
func (br *BundleReader) Next() (*Entry, error) {
	e := new(Entry)
	if err := br.next(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Count returns the number of entries read so far.
func (br *BundleReader) Count() int64 { return br.n }

// next decodes the next entry into e, reusing e's slices.
func (br *BundleReader) next(e *Entry) error {
	if br.done {
		return io.EOF
	}
	d := br.r.d
	if d.PeekKind() == ']' {
		br.done, br.tail = true, true
		if err := br.delim(']', "expected , or ] after an entry"); err != nil {
			return err
		}
		if d.PeekKind() != '}' {
			_, _ = d.ReadToken()
			return br.errf(`"entries" must be the last member`)
		}
		if err := br.delim('}', `"entries" must be the last member`); err != nil {
			return err
		}
		if _, err := d.ReadToken(); err != io.EOF {
			return br.errf("data after the end of the bundle")
		}
		return io.EOF
	}
	if err := br.r.entry(e); err != nil {
		br.done = true
		return br.errf("entry %d: %s", br.n, reason(err))
	}
	br.n++
	return nil
}

func (br *BundleReader) key(k string) error {
	d := br.r.d
	if d.PeekKind() != '"' {
		_, err := d.ReadToken()
		if err == nil {
			return br.errf("expected member %q (members must be format, version, origin, key, checkpoint, entries in this order)", k)
		}
		return br.errf("expected member %q: %s", k, reason(br.r.jsonErr(err)))
	}
	s, err := br.r.name()
	if err != nil {
		return br.errf("expected member %q: %s", k, reason(err))
	}
	if string(s) != k {
		return br.errf("expected member %q, found %q (members must be format, version, origin, key, checkpoint, entries in this order)", k, truncate(string(s), 40))
	}
	return nil
}

func (br *BundleReader) delim(want jsontext.Kind, msg string) error {
	d := br.r.d
	got := d.PeekKind()
	tok, err := d.ReadToken()
	if err != nil {
		return br.errf("%s: %s", msg, reason(br.r.jsonErr(err)))
	}
	if got != want || tok.Kind() != want {
		return br.errf("%s", msg)
	}
	return nil
}

// reason is the message of an entry reader error without its code and
// "malformed entry" prefix, for the bundle error that wraps it.
func reason(err error) string {
	if e, ok := nu.AsError(err); ok {
		return strings.TrimPrefix(e.Message, "malformed entry: ")
	}
	return err.Error()
}

func (br *BundleReader) errf(format string, args ...any) error {
	return newErr(CodeBundle, "malformed bundle: "+sprintf(format, args...),
		"at byte "+itoa64(br.r.d.InputOffset()),
		"the bundle is damaged or not an eBIOS ledger bundle; export it again from the log")
}

// ReadBundle reads a whole bundle into memory. Use [NewBundleReader] or
// [VerifyBundle] for bundles too large for that.
func ReadBundle(r io.Reader) (*Bundle, error) {
	br, err := NewBundleReader(r)
	if err != nil {
		return nil, err
	}
	b := &Bundle{BundleHeader: br.Header}
	for {
		e, err := br.Next()
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		b.Entries = append(b.Entries, e)
	}
}
