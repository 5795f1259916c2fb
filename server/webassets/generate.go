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
	in, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer in.Close()
	dst, err := os.OpenRoot(out)
	if err != nil {
		return err
	}
	defer dst.Close()
	keep := map[string]bool{placeholder: true}
	err = fs.WalkDir(in.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		if _, ok := compressedOf(rel); ok || rel == placeholder {
			return nil // made here, not copied
		}
		keep[rel] = true
		data, err := in.ReadFile(rel)
		if err != nil {
			return err
		}
		old, err := dst.ReadFile(rel)
		forms := compressible[path.Ext(rel)]
		if err == nil && bytes.Equal(old, data) && (!forms || exists(dst, rel+".br") || exists(dst, rel+".gz")) {
			for _, ext := range []string{".br", ".gz"} {
				keep[rel+ext] = exists(dst, rel+ext)
			}
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
				if err := writeAtomic(dst, rel+c.ext, z); err != nil {
					return err
				}
				keep[rel+c.ext] = true
				fmt.Fprintf(log, "webassets: %s%s: %d bytes (%.1f %% of %d)\n", rel, c.ext, len(z), 100*float64(len(z))/float64(len(data)), len(data))
			}
		}
		return writeAtomic(dst, rel, data)
	})
	if err != nil {
		return err
	}
	// Remove what src no longer has.
	return fs.WalkDir(dst.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || keep[rel] {
			return err
		}
		fmt.Fprintf(log, "webassets: removing %s (no longer in %s)\n", rel, src)
		return dst.Remove(rel)
	})
}

func exists(r *os.Root, name string) bool {
	st, err := r.Stat(name)
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

// writeAtomic writes data to name in r through a temporary file in the
// same directory and a rename.
func writeAtomic(r *os.Root, name string, data []byte) error {
	if err := r.MkdirAll(path.Dir(name), 0o755); err != nil { // #nosec G301 -- build output of public files
		return err
	}
	tmp := fmt.Sprintf("%s/.%s.tmp%d", path.Dir(name), path.Base(name), os.Getpid())
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644) // #nosec G302 -- public web files
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()     // #nosec G104 -- the write's error is the one reported
		r.Remove(tmp) // #nosec G104 -- best effort; the write's error is the one reported
		return err
	}
	if err := f.Close(); err != nil {
		r.Remove(tmp) // #nosec G104 -- best effort; the close's error is the one reported
		return err
	}
	return r.Rename(tmp, name)
}
