package webassets

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

// compressible lists the extensions whose files get .br and .gz forms
// (images such as PNG are compressed already).
var compressible = map[string]bool{".wasm": true, ".js": true, ".css": true, ".svg": true, ".json": true, ".html": true, ".txt": true}

// Generate copies the files of src (a web/ directory holding the built
// app.wasm) into out (dist/, to be embedded), with a brotli (.br) and a
// gzip (.gz) form, both at best compression, of each compressible file
// they make smaller. A file whose copy in out is already identical keeps
// its compressed forms (the wasm builds are reproducible, so an unchanged
// app is not compressed again); files of out that src no longer has are
// removed. Every file is written to a temporary name and renamed, the copy
// itself last, so an interrupted run leaves nothing that looks current.
// It reports what it did to log.
func Generate(src, out string, log io.Writer) error {
	if _, err := os.Stat(filepath.Join(src, AppWasm)); err != nil {
		return fmt.Errorf("%s: %w (build it first: make wasm)", filepath.Join(src, AppWasm), ErrNoApp)
	}
	if err := os.MkdirAll(out, 0o755); err != nil { // #nosec G301 -- build output of public files
		return err
	}
	keep := map[string]bool{placeholder: true}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := compressedOf(rel); ok || rel == placeholder {
			return nil // made here, not copied
		}
		keep[rel] = true
		data, err := os.ReadFile(p) // #nosec G304 -- a file of the web/ directory the build names
		if err != nil {
			return err
		}
		dst := filepath.Join(out, filepath.FromSlash(rel))
		old, err := os.ReadFile(dst) // #nosec G304 -- a file of the build's output directory
		forms := compressible[path.Ext(rel)]
		if err == nil && bytes.Equal(old, data) && (!forms || exists(dst+".br") || exists(dst+".gz")) {
			keepForms(keep, out, rel)
			return nil
		}
		if forms {
			for _, c := range []struct {
				ext string
				fn  func([]byte) ([]byte, error)
			}{{".br", brotliBest}, {".gz", gzipBest}} {
				z, err := c.fn(data)
				if err != nil {
					return fmt.Errorf("compressing %s: %w", rel, err)
				}
				if len(z) >= len(data) {
					continue
				}
				if err := writeAtomic(dst+c.ext, z); err != nil {
					return err
				}
				keep[rel+c.ext] = true
				fmt.Fprintf(log, "webassets: %s%s: %d bytes (%.1f %% of %d)\n", rel, c.ext, len(z), 100*float64(len(z))/float64(len(data)), len(data))
			}
		}
		return writeAtomic(dst, data)
	})
	if err != nil {
		return err
	}
	// Remove what src no longer has.
	return filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil || keep[filepath.ToSlash(rel)] {
			return err
		}
		fmt.Fprintf(log, "webassets: removing %s (no longer in %s)\n", rel, src)
		return os.Remove(p)
	})
}

// keepForms marks the compressed forms of rel that out already holds.
func keepForms(keep map[string]bool, out, rel string) {
	for _, ext := range []string{".br", ".gz"} {
		if exists(filepath.Join(out, filepath.FromSlash(rel+ext))) {
			keep[rel+ext] = true
		}
	}
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// brotliBest compresses at brotli's best quality (11) with its largest
// standard window (16 MiB), which the whole app.wasm fits in.
func brotliBest(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 24})
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func gzipBest(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeAtomic writes data to name through a temporary file in the same
// directory and a rename.
func writeAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil { // #nosec G301 -- build output of public files
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()           // #nosec G104 -- the write's error is the one reported
		os.Remove(tmp.Name()) // #nosec G104 -- best effort; the write's error is the one reported
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name()) // #nosec G104 -- best effort; the close's error is the one reported
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // #nosec G302 -- public web files
		return err
	}
	return os.Rename(tmp.Name(), name)
}
