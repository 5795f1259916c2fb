//go:build !js

// Package local runs the Cloudflare Worker edition offline, in workerd
// through `wrangler dev --local` (npm wrangler pinned by
// wasm/worker/package-lock.json), on a loopback port, for its tests and
// its figures (cmd/workerbench). It installs the npm packages with
// `npm ci` when they are missing or stale, builds the Worker into a
// directory of its own, makes test keys and secrets at run time (never in
// the repository), applies the D1 migrations and starts and stops the
// runtime, whose state persists in a directory the caller names.
package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ebios/ebios/core/ledger"
)

// Root returns the repository's root (this file is in wasm/worker/local).
func Root() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "..")
}

// workerDir is wasm/worker: package.json, wrangler.toml, entry.mjs.
func workerDir() string { return filepath.Join(Root(), "wasm", "worker") }

// NpmCI installs wasm/worker/node_modules from package-lock.json with
// `npm ci` when it is missing or older than the lock file. It fails with
// what to do when npm is missing or the registry cannot be reached.
func NpmCI(ctx context.Context, log io.Writer) error {
	dir := workerDir()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	inst, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err == nil && !lock.ModTime().After(inst.ModTime()) {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "wrangler", "package.json")); err == nil {
			return nil
		}
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm is not installed: install Node.js 20 and npm (Debian: apt-get install nodejs npm), then rerun; " +
			"the Worker's tests run it in workerd through npm wrangler@4.86.0")
	}
	fmt.Fprintln(log, "local: npm ci in wasm/worker (wrangler 4.86.0 from package-lock.json)")
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in wasm/worker failed (%v): the npm registry must be reachable the first time; "+
			"or install by hand with `cd wasm/worker && npm ci`", err)
	}
	return nil
}

// Build builds the Worker into dir as `make worker` does into
// wasm/worker/build (syumai/workers' glue and the Go wasm), with
// wrangler.toml, entry.mjs and the migrations beside it, and a link to
// wasm/worker/node_modules: a tree of its own, so that runs do not clash.
func Build(ctx context.Context, dir string, log io.Writer) error {
	src := workerDir()
	build := filepath.Join(dir, "build")
	run := func(env []string, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...) // #nosec G204 -- the go command with arguments made here
		cmd.Dir, cmd.Stdout, cmd.Stderr = Root(), log, log
		cmd.Env = append(os.Environ(), env...)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
	if err := run(nil, "go", "run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", build); err != nil {
		return err
	}
	if err := run([]string{"GOOS=js", "GOARCH=wasm"}, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(build, "app.wasm"), "./wasm/worker"); err != nil {
		return err
	}
	for _, f := range []string{"wrangler.toml", "entry.mjs"} {
		b, err := os.ReadFile(filepath.Join(src, f)) // #nosec G304 -- wasm/worker's own files
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil { // #nosec G703 -- dir is the caller's build directory; f is one of two names above
			return err
		}
	}
	mig := filepath.Join(dir, "d1log", "migrations")
	if err := os.MkdirAll(mig, 0o750); err != nil {
		return err
	}
	ms, err := filepath.Glob(filepath.Join(src, "d1log", "migrations", "*.sql"))
	if err != nil {
		return err
	}
	for _, m := range ms {
		b, err := os.ReadFile(m) // #nosec G304 -- the repository's migrations
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(mig, filepath.Base(m)), b, 0o600); err != nil { // #nosec G703 -- mig is in the caller's build directory; the names are the repository's migrations
			return err
		}
	}
	return os.Symlink(filepath.Join(src, "node_modules"), filepath.Join(dir, "node_modules"))
}

// BuildTemp installs wrangler (NpmCI) and builds the Worker ([Build]) into
// a new temporary directory, which it returns for the caller to remove. It
// removes the directory itself when the build fails.
func BuildTemp(ctx context.Context, log io.Writer) (string, error) {
	if err := NpmCI(ctx, log); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "ebios-worker-")
	if err != nil {
		return "", err
	}
	if err := Build(ctx, dir, log); err != nil {
		os.RemoveAll(dir) // #nosec G104 -- a leftover temporary directory is all a failed removal leaves; the build error is the one to report
		return "", err
	}
	return dir, nil
}

// Secrets are a Worker's secrets, made at run time.
type Secrets struct {
	LedgerKey   string // note signer key
	VerifierKey string // its verifier key: what an auditor pins
	JWTSecret   string
	SetupToken  string
	// Vars are more settings (wrangler.toml's vars, such as
	// EBIOS_API_CORS_ORIGINS), given to the Worker with the secrets.
	Vars map[string]string
}

// NewSecrets makes fresh secrets for a log called origin.
func NewSecrets(origin string) (*Secrets, error) {
	skey, vkey, err := ledger.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 72)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &Secrets{LedgerKey: skey, VerifierKey: vkey, JWTSecret: base64.RawURLEncoding.EncodeToString(b[:48]),
		SetupToken: base64.RawURLEncoding.EncodeToString(b[48:])}, nil
}

// envFile writes the secrets as a .env file for `wrangler dev --env-file`,
// with cheap argon2id parameters (tests log in often; production's are in
// wrangler.toml).
func (s *Secrets) envFile(path string) error {
	body := "EBIOS_LEDGER_KEY=" + s.LedgerKey + "\nEBIOS_JWT_SECRET=" + s.JWTSecret + "\nEBIOS_SETUP_TOKEN=" + s.SetupToken +
		"\nEBIOS_ARGON2=m=64,t=1,p=1\n"
	for k, v := range s.Vars {
		if strings.ContainsAny(k+v, "\n\r") {
			return fmt.Errorf("the Worker setting %s holds a line break", k)
		}
		body += k + "=" + v + "\n"
	}
	return os.WriteFile(path, []byte(body), 0o600)
}

// Worker is a running local Worker.
type Worker struct {
	URL  string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	out  bytes.Buffer // wrangler's output
}

// wrangler runs npx wrangler in dir.
func wrangler(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "npx", append([]string{"--no-install", "wrangler"}, args...)...) // #nosec G204 -- npx wrangler with arguments made in this package
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WRANGLER_SEND_METRICS=false", "CI=1", "NO_COLOR=1", "FORCE_COLOR=0")
	return cmd
}

// Migrate applies the D1 migrations to the local state in persist.
func Migrate(ctx context.Context, dir, persist string) error {
	out, err := wrangler(ctx, dir, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist).CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrangler d1 migrations apply: %v\n%s", err, out)
	}
	return nil
}

// freePort returns a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts `wrangler dev --local` for the Worker built in dir, with
// its state in persist and the secrets s, and waits until wrangler says it
// is ready (at most a minute). The port is picked free, then given to
// wrangler, which picks more ports for itself in between and may take the
// same one (CI saw "Address already in use" on it): then it starts again
// on another port, three times at most.
func Start(ctx context.Context, dir, persist string, s *Secrets) (*Worker, error) {
	for attempt := 1; ; attempt++ {
		w, err := startOnce(ctx, dir, persist, s)
		if err == nil || attempt == 3 || !errors.Is(err, errPortTaken) {
			return w, err
		}
	}
}

// errPortTaken is startOnce's error when wrangler could not listen on the port.
var errPortTaken = errors.New("the port was taken")

func startOnce(ctx context.Context, dir, persist string, s *Secrets) (*Worker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := filepath.Join(dir, ".env.local")
	if err := s.envFile(env); err != nil {
		return nil, err
	}
	cmd := wrangler(context.Background(), dir, "dev", "--local", "--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--persist-to", persist, "--env-file", env, "--show-interactive-dev-session=false", "--log-level", "info")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Stop ends wrangler and its workerd
	w := &Worker{URL: "http://127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: cmd, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting wrangler dev: %w", err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.out.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(w.done) }() // #nosec G104 -- the exit is seen through done
	// Ready when wrangler says so; the first request is then the first the
	// runtime serves (what cmd/workerbench times as the cold request).
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(w.Output(), "Ready on http://127.0.0.1:"+strconv.Itoa(port)) {
		if time.Now().After(deadline) {
			w.Stop()
			return nil, fmt.Errorf("wrangler dev was not ready within a minute:\n%s", w.Output())
		}
		select {
		case <-w.done:
			if strings.Contains(w.Output(), "Address already in use (127.0.0.1:"+strconv.Itoa(port)+")") {
				return nil, fmt.Errorf("wrangler dev on port %d: %w:\n%s", port, errPortTaken, w.Output())
			}
			return nil, fmt.Errorf("wrangler dev exited before it was ready:\n%s", w.Output())
		case <-ctx.Done():
			w.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return w, nil
}

// Output returns what wrangler printed so far.
func (w *Worker) Output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// Stop ends wrangler dev and workerd (the process group) and waits.
func (w *Worker) Stop() {
	select {
	case <-w.done:
		return
	default:
	}
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM) // #nosec G104 -- the group may be gone already
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL) // #nosec G104 -- the group may be gone already
		<-w.done
	}
}

// defaultClient gives up on a request after a minute: a Worker that hangs
// fails the test with wrangler's output rather than at the test's timeout.
var defaultClient = &http.Client{Timeout: time.Minute}

// Client talks JSON to a Worker (or to `ebios serve`: the same API).
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// Do sends a request with body (JSON-encoded unless nil) and returns the
// status and the body.
func (c *Client) Do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// JSON sends a request and decodes a 2xx answer into out (nil: ignore).
func (c *Client) JSON(method, path string, body, out any) error {
	st, b, err := c.Do(method, path, body)
	if err != nil {
		return err
	}
	if st/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, st, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Admin makes the first admin with the setup token (unless one exists)
// and logs in as it, returning a client with its access token.
func Admin(url string, s *Secrets) (*Client, error) {
	return AdminAs(url, s, "admin", "a worker test passphrase")
}

// AdminAs is [Admin] with the admin's name and password.
func AdminAs(url string, s *Secrets, name, pw string) (*Client, error) {
	c := &Client{URL: url}
	var setup struct {
		Needed bool `json:"needed"`
	}
	if err := c.JSON("GET", "/api/v1/auth/setup", nil, &setup); err != nil {
		return nil, err
	}
	if setup.Needed {
		if err := c.JSON("POST", "/api/v1/auth/setup", map[string]string{"token": s.SetupToken, "username": name, "password": pw}, nil); err != nil {
			return nil, err
		}
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.JSON("POST", "/api/v1/auth/login", map[string]string{"username": name, "password": pw}, &login); err != nil {
		return nil, err
	}
	c.Token = login.AccessToken
	return c, nil
}

// DryRunSize runs `wrangler deploy --dry-run` for the Worker built in dir
// and returns the upload's size and its gzip size as wrangler prints them
// ("Total Upload: 9876.54 KiB / gzip: 2345.67 KiB"): the size Cloudflare's
// limits apply to.
func DryRunSize(ctx context.Context, dir string) (total, gzip string, err error) {
	out, err := wrangler(ctx, dir, "deploy", "--dry-run", "--outdir", filepath.Join(dir, "dry-run")).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("wrangler deploy --dry-run: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "Total Upload:"); ok {
			t, g, _ := strings.Cut(rest, "/ gzip:")
			return strings.TrimSpace(t), strings.TrimSpace(g), nil
		}
	}
	return "", "", fmt.Errorf("wrangler deploy --dry-run printed no size:\n%s", out)
}
