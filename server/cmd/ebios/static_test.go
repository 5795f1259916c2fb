package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeWeb makes a web/ directory with the assets the app references and a
// dummy app.wasm.
func fakeWeb(t *testing.T) string {
	t.Helper()
	web := filepath.Join(t.TempDir(), "web")
	files := map[string]string{
		"app.wasm":     "\x00asm dummy",
		"ebios.css":    "body{}",
		"icon.svg":     "<svg/>",
		"icon-192.png": "png",
		"icon-512.png": "png",
	}
	if err := os.MkdirAll(web, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(web, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return web
}

func runStaticCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	err := runStatic(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), exitCode(err)
}

func readOut(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(b)
}

func TestStatic(t *testing.T) {
	web := fakeWeb(t)
	for _, api := range []string{"", "https://api.example.org/"} {
		out := filepath.Join(t.TempDir(), "site")
		args := []string{"--out", out, "--web", web, "--version", "v-test"}
		if api != "" {
			args = append(args, "--api", api)
		}
		stdout, stderr, code := runStaticCLI(args...)
		if code != 0 {
			t.Fatalf("api %q: exit %d: %s %s", api, code, stdout, stderr)
		}
		for _, page := range []string{"index.html", "calc.html", "audit.html", "login.html", "explorer.html", "policies.html", "users.html"} {
			s := readOut(t, out, page)
			for _, want := range []string{`src="/app.js"`, `href="/manifest.webmanifest"`, `href="/web/ebios.css"`} {
				if !strings.Contains(s, want) {
					t.Errorf("api %q: %s lacks %s", api, page, want)
				}
			}
		}
		for page, want := range map[string]string{"index.html": "Expression", "calc.html": "Expression", "audit.html": "Pin key", "login.html": "Username"} {
			if !strings.Contains(readOut(t, out, page), want) {
				t.Errorf("%s lacks %q: not the expected page", page, want)
			}
		}
		appJS := readOut(t, out, "app.js")
		if !strings.Contains(appJS, `"/web/app.wasm"`) || !strings.Contains(appJS, `"/app-worker.js"`) {
			t.Errorf("app.js does not load /web/app.wasm and /app-worker.js")
		}
		if !strings.Contains(appJS, `"GOAPP_VERSION":"v-test"`) {
			t.Errorf("app.js lacks the version")
		}
		worker := readOut(t, out, "app-worker.js")
		for _, want := range []string{`"/web/app.wasm"`, `"/calc.html"`, `"/audit.html"`, `"app-" + "v-test"`} {
			if !strings.Contains(worker, want) && !strings.Contains(worker, strings.ReplaceAll(want, `" + "`, "")) {
				t.Errorf("app-worker.js lacks %s", want)
			}
		}
		if strings.Contains(worker, `"/calc"`) {
			t.Errorf("app-worker.js caches /calc, which plain static hosts do not serve")
		}
		if s := readOut(t, out, "manifest.webmanifest"); !strings.Contains(s, "/web/icon-512.png") {
			t.Errorf("manifest lacks the icon: %s", s)
		}
		for _, f := range []string{"wasm_exec.js", "app.css", "web/app.wasm", "web/ebios.css", "web/icon.svg", "web/icon-192.png", "web/icon-512.png"} {
			readOut(t, out, f)
		}
		if got := readOut(t, out, "web/app.wasm"); got != "\x00asm dummy" {
			t.Errorf("web/app.wasm = %q", got)
		}
		hasAPI := strings.Contains(appJS, `"EBIOS_API_URL":"https://api.example.org"`)
		if api != "" && !hasAPI {
			t.Errorf("app.js lacks the API URL")
		}
		if api == "" && strings.Contains(appJS, "EBIOS_API_URL") {
			t.Errorf("app.js has an API URL without --api")
		}
	}
}

func TestStaticErrors(t *testing.T) {
	web := fakeWeb(t)
	out := filepath.Join(t.TempDir(), "site")
	if _, stderr, code := runStaticCLI("--web", web); code != exitUsage || !strings.Contains(stderr, "--out") {
		t.Errorf("no --out: exit %d, %s", code, stderr)
	}
	if _, stderr, code := runStaticCLI("--out", out, "--web", web, "--api", "ftp://x"); code != exitUsage || !strings.Contains(stderr, "http") {
		t.Errorf("bad --api: exit %d, %s", code, stderr)
	}
	if _, stderr, code := runStaticCLI("--out", out, "--web", t.TempDir()); code != exitFail || !strings.Contains(stderr, "make wasm") {
		t.Errorf("no app.wasm: exit %d, %s", code, stderr)
	}
	if _, _, code := runStaticCLI("--out", filepath.Join(web, "site"), "--web", web); code != exitFail {
		t.Errorf("out inside web: exit %d", code)
	}
	// The default version is derived from app.wasm.
	stdout, stderr, code := runStaticCLI("--out", out, "--web", web)
	if code != 0 || !strings.Contains(stdout, "offline-only") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if !strings.Contains(readOut(t, out, "app.js"), `"GOAPP_VERSION":"`) {
		t.Errorf("app.js lacks a version")
	}
}
