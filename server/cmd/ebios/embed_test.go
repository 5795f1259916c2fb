package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/ebios/ebios/server/webassets"
)

// standInWasm is a compressible stand-in for app.wasm (the real one takes
// minutes to build and compress).
func standInWasm() []byte {
	var b bytes.Buffer
	b.WriteString("\x00asm\x01\x00\x00\x00")
	for i := 0; b.Len() < 60_000; i++ {
		fmt.Fprintf(&b, "(func $f%d (result i32) i32.const %d)", i, i*7)
	}
	return b.Bytes()
}

// buildEmbedded builds the ebios binary as make build does, with
// server/webassets/dist replaced (go build -overlay) by web/'s committed
// files, a stand-in app.wasm and their compressed forms, and version
// stamped. It returns the binary.
func buildEmbedded(t *testing.T, wasm []byte, version string) string {
	t.Helper()
	src, gen, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	for _, name := range []string{"ebios.css", "ed25519.js", "icon-192.png", "icon-512.png", "icon.svg", "mcworker.js"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "web", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, webassets.AppWasm), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := webassets.Generate(src, gen, io.Discard); err != nil {
		t.Fatal(err)
	}
	dist, err := filepath.Abs(filepath.Join("..", "..", "webassets", "dist"))
	if err != nil {
		t.Fatal(err)
	}
	replace := map[string]string{}
	// Hide what make wasm may have put there, then add the stand-ins.
	old, _ := os.ReadDir(dist)
	for _, e := range old {
		if e.Name() != "README.md" {
			replace[filepath.Join(dist, e.Name())] = ""
		}
	}
	made, err := os.ReadDir(gen)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range made {
		replace[filepath.Join(dist, e.Name())] = filepath.Join(gen, e.Name())
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": replace})
	if err := os.WriteFile(filepath.Join(tmp, "overlay.json"), overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "ebios")
	cmd := exec.Command("go", "build", "-overlay", filepath.Join(tmp, "overlay.json"),
		"-ldflags", "-X main.buildVersion="+version, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe runs bin serve in dir on a free loopback port until the test
// ends, and returns its address once /healthz answers.
func startServe(t *testing.T, bin, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "serve", "--dev", "--data-dir", filepath.Join(t.TempDir(), "data"), "--listen", addr, "--log-level", "warn")
	cmd.Dir, cmd.Stderr = dir, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ebios serve did not answer /healthz within 30 s; stderr:\n%s", stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "not built into this binary") {
		t.Errorf("the binary does not use its embedded app: %s", stderr.String())
	}
	return addr
}

// rawHead sends HEAD path on a connection of its own and returns the
// status line, the headers and whatever came after them (which must be
// nothing).
func rawHead(t *testing.T, addr, path string) (string, http.Header, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "HEAD %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n", path, addr)
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, _ := bytes.Cut(all, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	h := http.Header{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		h.Add(k, strings.TrimSpace(v))
	}
	return lines[0], h, rest
}

// TestEmbeddedBinary: the binary built with the app embedded and its
// version stamped, run from an empty directory, prints the version and
// serves the app: app.wasm by brotli, gzip or as it is, each decoding to
// the same bytes with the right Content-Encoding and Content-Length, and
// HEAD of every asset with the headers of GET and no body.
func TestEmbeddedBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ebios binary with a stand-in app embedded and starts ebios serve")
	}
	wasm := standInWasm()
	bin := buildEmbedded(t, wasm, "v9.8.7-embedtest")
	empty := t.TempDir()
	for _, args := range [][]string{{"--version"}, {"version"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = empty
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "ebios v9.8.7-embedtest") {
			t.Errorf("ebios %v: %v %q", args, err, out)
		}
	}
	addr := startServe(t, bin, empty)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Accept-Encoding", accept)
		req.Header.Set("Accept", "text/html")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	if resp, body := get("/", ""); resp.StatusCode != 200 || !bytes.Contains(body, []byte(`src="/app.js"`)) {
		t.Fatalf("GET /: %d\n%s", resp.StatusCode, body)
	}
	// go-app's loading bar counts decompressed bytes against this total.
	if _, body := get("/app.js", ""); !bytes.Contains(body, []byte(`goappWasmContentLength = "`+strconv.Itoa(len(wasm))+`"`)) {
		t.Errorf("app.js does not give the loading bar app.wasm's size %d", len(wasm))
	}
	for _, tc := range []struct{ accept, enc string }{{"gzip, deflate, br", "br"}, {"gzip", "gzip"}, {"identity", ""}} {
		resp, body := get("/web/app.wasm", tc.accept)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.enc || resp.Header.Get("Content-Type") != "application/wasm" ||
			resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("%q: %d, %v, %d bytes", tc.accept, resp.StatusCode, resp.Header, len(body))
			continue
		}
		var r io.Reader = bytes.NewReader(body)
		switch tc.enc {
		case "br":
			r = brotli.NewReader(r)
		case "gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatalf("%q: not gzip: %v", tc.accept, err)
			}
			r = zr
		}
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, wasm) {
			t.Errorf("%q: %s body decodes to %d bytes (%v), not app.wasm's %d", tc.accept, tc.enc, len(got), err, len(wasm))
		}
		if tc.enc != "" && len(body) > len(wasm)/3 {
			t.Errorf("%s: %d bytes for %d", tc.enc, len(body), len(wasm))
		}
	}
	for _, path := range []string{"/", "/calc", "/app.js", "/app-worker.js", "/manifest.webmanifest", "/wasm_exec.js", "/app.css",
		"/web/app.wasm", "/web/ebios.css", "/web/icon-192.png", "/web/icon.svg", "/web/mcworker.js"} {
		status, h, rest := rawHead(t, addr, path)
		resp, body := get(path, "br")
		if !strings.Contains(status, " 200 ") || len(rest) != 0 {
			t.Errorf("HEAD %s: %q, %d bytes of body", path, status, len(rest))
		}
		if h.Get("Content-Type") != resp.Header.Get("Content-Type") || h.Get("Content-Encoding") != resp.Header.Get("Content-Encoding") ||
			(h.Get("Content-Length") != "" && h.Get("Content-Length") != strconv.Itoa(len(body))) {
			t.Errorf("HEAD %s: %v; GET: %v, %d bytes", path, h, resp.Header, len(body))
		}
	}
}
