package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebios/ebios/internal/debpkg"
	"github.com/ebios/ebios/internal/servetest"
)

// runtimeStage returns the runtime stage of a Containerfile: from its
// "FROM scratch AS runtime" line to the end.
func runtimeStage(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("\nFROM scratch AS runtime\n"))
	if i < 0 {
		t.Fatalf("%s has no line \"FROM scratch AS runtime\"", path)
	}
	return string(b[i:])
}

// TestRuntimeStagesIdentical: the image the tests build (from a prebuilt
// binary) is the image the Dockerfile builds, but for how the binary was
// made.
func TestRuntimeStagesIdentical(t *testing.T) {
	a := runtimeStage(t, "../Dockerfile")
	b := runtimeStage(t, "container/Containerfile.prebuilt")
	if a != b {
		t.Fatalf("the runtime stages differ: copy the Dockerfile's runtime stage into deploy/container/Containerfile.prebuilt\nDockerfile:\n%s\nContainerfile.prebuilt:\n%s", a, b)
	}
	for _, want := range []string{"USER 65532:65532", `VOLUME ["/data"]`, `HEALTHCHECK `, `CMD ["/ebios", "health"]`, `ENTRYPOINT ["/ebios"]`, `CMD ["serve", "--data-dir", "/data"]`} {
		if !strings.Contains(a, want) {
			t.Errorf("the runtime stage lacks %s", want)
		}
	}
}

// podman runs podman with the sandbox's settings (testdata/podman).
type podman struct {
	t   *testing.T
	bin string
	env []string
}

func newPodman(t *testing.T) *podman {
	why := "TestContainer builds and runs the image with podman"
	debpkg.Program(t, "runc", why, "podman", "runc")
	bin := debpkg.Program(t, "podman", why, "podman", "runc")
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return &podman{t: t, bin: bin, env: append(os.Environ(),
		"CONTAINERS_CONF="+abs("testdata/podman/containers.conf"),
		"CONTAINERS_STORAGE_CONF="+abs("testdata/podman/storage.conf"))}
}

// run runs podman args and returns its standard output; it fails the test
// on an error unless allowFail.
func (p *podman) run(allowFail bool, args ...string) (string, error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, args...) // #nosec G204 -- test: podman with the test's own arguments
	cmd.Env = p.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil && !allowFail {
		p.t.Fatalf("podman %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.String(), err
}

// buildEbios builds the static binary into path.
func buildEbios(t *testing.T, path string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-o", path, "../server/cmd/ebios") // #nosec G204 -- test: builds the project's binary
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./server/cmd/ebios: %v\n%s", err, out)
	}
}

// ebios runs the host-built binary (the one in the image) on the host.
func ebios(t *testing.T, bin, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...) // #nosec G204 -- test: the project's binary with the test's arguments
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ebios %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// chownTree gives dir and everything in it to the image's user.
func chownTree(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65532, 65532)
	})
	if err != nil {
		t.Fatalf("giving %s to the image's user 65532: %v", dir, err)
	}
}

// TestContainer builds the runtime image from a host-built static binary
// (deploy/container/Containerfile.prebuilt, whose runtime stage is the
// Dockerfile's), runs it on a data directory of the host, waits until its
// HEALTHCHECK passes, appends through the API, restarts the container and
// finds the entry still there, then verifies the ledger on the host.
func TestContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: TestContainer builds and runs a container image with podman (make unit runs it)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("TestContainer runs podman as root (rootless podman needs subuids this sandbox lacks): run the tests as root")
	}
	p := newPodman(t)
	var rnd [4]byte
	rand.Read(rnd[:])
	name := "ebios-test-" + hex.EncodeToString(rnd[:])
	image := "localhost/" + name

	// The build context: the image's files (Containerfile.prebuilt).
	ctxDir := t.TempDir()
	bin := filepath.Join(ctxDir, "rootfs", "ebios")
	buildEbios(t, bin)
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatalf("the image needs the host's CA bundle: %v (apt-get install ca-certificates)", err)
	}
	certDir := filepath.Join(ctxDir, "rootfs", "etc", "ssl", "certs")
	if err := os.MkdirAll(certDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certDir, "ca-certificates.crt"), certs, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(ctxDir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The build leaves the rootfs stage as an untagged image: remove the
	// ones it adds.
	dangling := func() []string {
		out, _ := p.run(false, "images", "-q", "--no-trunc", "--filter", "dangling=true")
		return strings.Fields(out)
	}
	before := dangling()
	t.Cleanup(func() {
		for _, id := range dangling() {
			if !slices.Contains(before, id) {
				p.run(true, "rmi", "-f", id)
			}
		}
	})
	start := time.Now()
	// --format docker: the OCI image format has no HEALTHCHECK, and podman
	// drops it from OCI images (its default).
	p.run(false, "build", "--format", "docker", "--target", "runtime", "-f", "container/Containerfile.prebuilt", "-t", image, ctxDir)
	t.Cleanup(func() { p.run(true, "rmi", "-f", image) })
	t.Logf("podman build: %s", time.Since(start).Round(time.Millisecond))

	// The image as the Dockerfile describes it.
	out, _ := p.run(false, "image", "inspect", "--format", "{{json .Config}}|{{.Size}}", image)
	cfgJSON, size, _ := strings.Cut(strings.TrimSpace(out), "|")
	var cfg struct {
		User       string
		Entrypoint []string
		Cmd        []string
		Volumes    map[string]struct{}
		Env        []string
	}
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		t.Fatalf("podman image inspect: %v in %s", err, cfgJSON)
	}
	if cfg.User != "65532:65532" || strings.Join(cfg.Entrypoint, " ") != "/ebios" ||
		strings.Join(cfg.Cmd, " ") != "serve --data-dir /data" || len(cfg.Volumes) != 1 {
		t.Errorf("image config: user %q, entrypoint %q, cmd %q, volumes %v", cfg.User, cfg.Entrypoint, cfg.Cmd, cfg.Volumes)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("image volumes %v, want /data", cfg.Volumes)
	}
	t.Logf("image size: %s bytes", size)

	// The data directory: the log's key and the first admin, made before
	// the first start with the same binary, owned by the image's user.
	data := t.TempDir()
	if err := os.Chmod(data, 0o700); err != nil {
		t.Fatal(err)
	}
	ebios(t, bin, "", "key", "generate", "--out", filepath.Join(data, "ledger.key"), "--name", "test.ebios/container")
	const password = "container-test-password-1"
	ebios(t, bin, password+"\n", "user", "add", "--data-dir", data, "--role", "admin", "alice")
	chownTree(t, data)

	addr := freePort(t)
	base := "http://" + addr
	p.run(false, "run", "-d", "--name", name, "--network", "host", "-v", data+":/data",
		"-e", "EBIOS_SERVER_LISTEN="+addr, image)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := p.run(true, "logs", name)
			t.Logf("container logs:\n%s", logs)
		}
		p.run(true, "rm", "-f", "-t", "5", name)
	})
	waitHealthy(t, p, name)

	// Append through the API.
	token := login(t, base, password)
	var exec struct {
		Entry struct {
			Index uint64 `json:"index"`
			OpID  string `json:"op_id"`
		} `json:"entry"`
	}
	apiJSON(t, "POST", base+"/api/v1/operations/execute", token, `{"operation":"add","inputs":[[5.0,0.1],[3.0,0.2]]}`, &exec)
	if exec.Entry.OpID == "" {
		t.Fatal("execute answered no entry")
	}

	// Restart: the entry is still there.
	start = time.Now()
	p.run(false, "restart", "-t", "30", name)
	waitHealthy(t, p, name)
	t.Logf("restart until healthy: %s", time.Since(start).Round(time.Millisecond))
	token = login(t, base, password)
	var got struct {
		OpID string `json:"op_id"`
	}
	apiJSON(t, "GET", fmt.Sprintf("%s/api/v1/ledger/entries/%d", base, exec.Entry.Index), token, "", &got)
	if got.OpID != exec.Entry.OpID {
		t.Fatalf("after the restart, entry %d has op_id %q, want %q", exec.Entry.Index, got.OpID, exec.Entry.OpID)
	}

	// Stopped, the data directory verifies on the host.
	p.run(false, "stop", "-t", "30", name)
	want := fmt.Sprintf("OK: %d entries", exec.Entry.Index+1)
	if out := ebios(t, bin, "", "ledger", "verify", "--data-dir", data); !strings.HasPrefix(out, want) {
		t.Errorf("ebios ledger verify: %s\nwant %q", out, want)
	}
}

// waitHealthy runs the image's HEALTHCHECK until it passes.
func waitHealthy(t *testing.T, p *podman, name string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, err := p.run(true, "healthcheck", "run", name)
		if err == nil {
			return
		}
		if strings.Contains(err.Error(), "no defined healthcheck") {
			t.Fatalf("the image has no HEALTHCHECK (podman keeps it only with build --format docker): %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("podman healthcheck run %s: still failing after 90 s: %v", name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func login(t *testing.T, base, password string) string {
	t.Helper()
	var m struct {
		AccessToken string `json:"access_token"`
	}
	apiJSON(t, "POST", base+"/api/v1/auth/login", "", `{"username":"alice","password":"`+password+`"}`, &m)
	return m.AccessToken
}

// apiJSON sends a request and decodes its 200 answer into v.
func apiJSON(t *testing.T, method, url, token, body string, v any) {
	t.Helper()
	code, b := servetest.Request(t, method, url, token, body)
	if code != http.StatusOK {
		t.Fatalf("%s %s: %d: %s", method, url, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s %s: %v in %s", method, url, err, b)
	}
}
