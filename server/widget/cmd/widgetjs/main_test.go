package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebios/ebios/server/widget"
)

// TestRun builds the scripts next to a wasm and refuses to run without
// its inputs, saying what is missing.
func TestRun(t *testing.T) {
	src, pool, out := t.TempDir(), t.TempDir(), t.TempDir()
	goJS := filepath.Join(t.TempDir(), "wasm_exec.js")
	os.WriteFile(filepath.Join(src, "ebios.js"), []byte("const V = '__EBIOS_WIDGET_VERSION__'; /*WASM_EXEC*/\n"), 0o644)
	os.WriteFile(filepath.Join(src, "embed.js"), []byte("// embed\n"), 0o644)
	os.WriteFile(goJS, []byte("globalThis.Go = class {};"), 0o644)
	args := []string{"--src", src, "--pool", pool, "--out", out, "--wasm-exec", goJS}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "make wasm") {
		t.Fatalf("without widget.wasm: %v, want an error saying to build it", err)
	}
	os.WriteFile(filepath.Join(out, "widget.wasm"), []byte("\x00asm"), 0o644)
	if err := run(context.Background(), args, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), widget.PoolScript) {
		t.Fatalf("without the signature pool: %v, want an error naming %s", err, widget.PoolScript)
	}
	os.WriteFile(filepath.Join(pool, widget.PoolScript), []byte("// pool\n"), 0o644)
	os.WriteFile(filepath.Join(pool, widget.PoolWorker), []byte("// worker\n"), 0o644)
	if err := run(context.Background(), args, nil, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	js, _ := os.ReadFile(filepath.Join(out, "ebios.js"))
	embed, _ := os.ReadFile(filepath.Join(out, "embed.js"))
	first, rest, _ := strings.Cut(string(js), "\n")
	v := strings.TrimSuffix(strings.TrimPrefix(first, "/*! eBIOS widget "), " */")
	if len(v) != 12 || rest != "const V = '"+v+"'; globalThis.Go = class {};\n" || string(embed) != "// embed\n" {
		t.Fatalf("ebios.js:\n%s\nembed.js:\n%s", js, embed)
	}
	for name, want := range map[string]string{widget.PoolScript: "// pool\n", widget.PoolWorker: "// worker\n"} {
		if got, _ := os.ReadFile(filepath.Join(out, name)); string(got) != want {
			t.Errorf("%s: %q, want the copy of the pool's %q", name, got, want)
		}
	}
	if !strings.Contains(stdout.String(), v) {
		t.Errorf("output %q does not name the version %s", stdout.String(), v)
	}
	// The version follows the wasm.
	os.WriteFile(filepath.Join(out, widget.WasmFile), []byte("\x00asm2"), 0o644)
	run(context.Background(), args, nil, &stdout, &stderr)
	js2, _ := os.ReadFile(filepath.Join(out, "ebios.js"))
	if bytes.Equal(js, js2) {
		t.Error("a new wasm kept the old version")
	}
	if err := run(context.Background(), []string{"--src", src, "--out", out}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "--wasm-exec") {
		t.Errorf("without --wasm-exec: %v", err)
	}
}
