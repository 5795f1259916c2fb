package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/server/keyfile"
	"golang.org/x/mod/sumdb/tlog"
)

// TestDisasterRecoveryDrill is the DR drill of docs/operations.md, with the
// real binary: serve, load it with concurrent appends, take an online
// backup with `ebios backup`, keep appending, SIGKILL the server, wipe its
// data directory, `ebios restore` the backup (pinned to the last
// checkpoint seen before the crash, with its consistency proof), serve
// again, and check that every entry acknowledged before the backup is back
// with the same content, that the restored log verifies, and that it is a
// prefix of the pre-crash log. It measures the RPO (what was acknowledged
// after the backup, lost) and the RTO (from the wipe to /readyz answering
// 200 on the restored server).
func TestDisasterRecoveryDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ebios binary and runs two servers (SIGKILL, wipe, restore); runs in make unit")
	}
	begin := time.Now()
	dir := t.TempDir()
	bin := filepath.Join(dir, "ebios")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, backups, keyPath, pw := filepath.Join(dir, "data"), filepath.Join(dir, "backups"), filepath.Join(dir, "keys", "ledger.key"), filepath.Join(dir, "pw")
	os.MkdirAll(filepath.Dir(keyPath), 0o700)
	os.MkdirAll(data, 0o700)
	os.WriteFile(pw, []byte("correct horse battery staple drill\n"), 0o600)
	runBin(t, bin, "key", "generate", "--out", keyPath, "--name", "drill.example/log")
	runBin(t, bin, "user", "add", "--data-dir", data, "--role", "admin", "--password-file", pw, "admin")
	serveArgs := []string{"serve", "--data-dir", data, "--ledger-key", keyPath, "--listen", "127.0.0.1:0", "--rate-limit=false",
		"--backup-dir", backups, "--backup-interval", "0"}

	srv, url := startServer(t, bin, serveArgs)
	token := login(t, url)

	// Load: concurrent appends; every acknowledgement is recorded.
	type ack struct {
		index  uint64
		opID   string
		ts     time.Time
		result json.RawMessage
		at     time.Time
	}
	var (
		mu   sync.Mutex
		acks []ack
	)
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf(`{"operation":"add","inputs":[[%d,0.5],[%d.25,0.125]]}`, w, i)
				var r struct {
					Result json.RawMessage `json:"result"`
					Entry  struct {
						Index     uint64    `json:"index"`
						OpID      string    `json:"op_id"`
						Timestamp time.Time `json:"timestamp"`
					} `json:"entry"`
				}
				if status := call(ctx, "POST", url+"/api/v1/operations/execute", token, body, &r); status != http.StatusOK {
					if ctx.Err() == nil && status != 0 {
						t.Errorf("append answered %d", status)
					}
					continue // the server is gone (SIGKILL): not acknowledged
				}
				a := ack{r.Entry.Index, r.Entry.OpID, r.Entry.Timestamp, r.Result, time.Now()}
				mu.Lock()
				acks = append(acks, a)
				mu.Unlock()
			}
		}()
	}
	defer func() { stopLoad(); wg.Wait() }()
	time.Sleep(time.Second)

	// The online backup, through the CLI, while the load goes on.
	mu.Lock()
	before := len(acks) // acknowledged before the backup started: must all come back
	mu.Unlock()
	backupStart := time.Now()
	out := runBin(t, bin, "backup", "--server", url, "--user", "admin", "--password-file", pw, "--json")
	var st struct {
		State    string    `json:"state"`
		Path     string    `json:"path"`
		TreeSize int64     `json:"tree_size"`
		Started  time.Time `json:"started"`
		Finished time.Time `json:"finished"`
	}
	if err := json.Unmarshal(out, &st); err != nil || st.State != "done" {
		t.Fatalf("ebios backup: %v: %s", err, out)
	}
	backupTook := time.Since(backupStart)
	time.Sleep(time.Second) // appends after the backup: what the crash loses

	// The last checkpoint seen before the crash, with the proof that the
	// backup is a prefix of it.
	pin := filepath.Join(dir, "pin.json")
	var proof struct {
		NewSize    int64  `json:"new_size"`
		Checkpoint string `json:"checkpoint"`
	}
	pinBody := get(t, fmt.Sprintf("%s/api/v1/proofs/consistency?old=%d", url, st.TreeSize), token)
	if err := json.Unmarshal(pinBody, &proof); err != nil {
		t.Fatalf("consistency proof: %v: %s", err, pinBody)
	}
	os.WriteFile(pin, pinBody, 0o600)

	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	stopLoad()
	wg.Wait()
	var lastAck time.Time
	var lost int
	for _, a := range acks {
		if int64(a.index) >= st.TreeSize {
			lost++
		}
		if a.at.After(lastAck) {
			lastAck = a.at
		}
	}

	// Disaster: the data directory is gone. Recover.
	wiped := time.Now()
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	rout := runBin(t, bin, "restore", st.Path, "--data-dir", data, "--key", keyPath, "--pin-checkpoint", pin, "--json")
	var rr struct {
		Checkpoint string `json:"checkpoint"`
		PinnedSize int64  `json:"pinned_size"`
		Lost       int64  `json:"lost"`
	}
	if err := json.Unmarshal(rout, &rr); err != nil {
		t.Fatalf("ebios restore: %v: %s", err, rout)
	}
	srv2, url2 := startServer(t, bin, serveArgs)
	for {
		if status := call(context.Background(), "GET", url2+"/readyz", "", "", nil); status == http.StatusOK {
			break
		}
		if time.Since(wiped) > 30*time.Second {
			t.Fatal("the restored server is not ready after 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rto := time.Since(wiped)

	// Every entry acknowledged before the backup is back, the same.
	token2 := login(t, url2) // the users came back with the backup
	for _, a := range acks[:before] {
		if int64(a.index) >= st.TreeSize {
			t.Fatalf("entry %d was acknowledged before the backup started but is not in it (%d entries)", a.index, st.TreeSize)
		}
	}
	for i, a := range acks[:before] {
		if i%7 != 0 && i != before-1 { // a sample keeps the drill short; the full log is verified below
			continue
		}
		var e struct {
			OpID      string          `json:"op_id"`
			Timestamp time.Time       `json:"timestamp"`
			Output    json.RawMessage `json:"output"`
		}
		if err := json.Unmarshal(get(t, fmt.Sprintf("%s/api/v1/ledger/entries/%d", url2, a.index), token2), &e); err != nil {
			t.Fatal(err)
		}
		if e.OpID != a.opID || !e.Timestamp.Equal(a.ts) || !bytes.Equal(compact(e.Output), compact(a.result)) {
			t.Errorf("entry %d after restore: op %s at %v = %s; acknowledged op %s at %v = %s", a.index, e.OpID, e.Timestamp, e.Output, a.opID, a.ts, a.result)
		}
	}
	if got := string(get(t, url2+"/api/v1/checkpoint", token2)); got != rr.Checkpoint {
		t.Errorf("the restored server serves checkpoint\n%s\nnot the backup's\n%s", got, rr.Checkpoint)
	}
	srv2.Process.Signal(syscall.SIGTERM)
	if err := srv2.Wait(); err != nil {
		t.Errorf("the restored server did not stop cleanly: %v", err)
	}

	// The restored log verifies, and is a prefix of the pre-crash log.
	if out := runBin(t, bin, "ledger", "verify", "--data-dir", data); !bytes.Contains(out, []byte("OK:")) {
		t.Errorf("ledger verify: %s", out)
	}
	v, err := keyfile.LoadSigner(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	var pj struct {
		Hashes []string `json:"hashes"`
	}
	json.Unmarshal(pinBody, &pj)
	if _, err := ledger.VerifyConsistency(v.Verifier(), "drill.example/log", []byte(rr.Checkpoint), []byte(proof.Checkpoint), decodeHashes(t, pj.Hashes)); err != nil {
		t.Errorf("the restored checkpoint is not a prefix of the last pre-crash checkpoint: %v", err)
	}
	if rr.PinnedSize != proof.NewSize || rr.Lost != proof.NewSize-st.TreeSize {
		t.Errorf("restore reports pinned %d, lost %d; want %d and %d", rr.PinnedSize, rr.Lost, proof.NewSize, proof.NewSize-st.TreeSize)
	}
	t.Logf("load: %d appends acknowledged in all, %d before the backup; backup of %d entries: %v on the server, %v for the command (login included)",
		len(acks), before, st.TreeSize, st.Finished.Sub(st.Started).Round(time.Millisecond), backupTook.Round(time.Millisecond))
	t.Logf("RPO: %d acknowledged entries lost, the last acknowledged %.2f s after the backup started", lost, lastAck.Sub(backupStart).Seconds())
	t.Logf("RTO: %.2f s from the wipe to the restored server answering /readyz", rto.Seconds())
	t.Logf("drill wall time %v", time.Since(begin).Round(time.Second))
}

// runBin runs the binary and returns its standard output; it fails the
// test with both streams when the command fails.
func runBin(t testing.TB, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ebios %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// startServer starts `ebios serve` and returns it with its URL, read from
// its first line of output. It is killed at the end of the test.
func startServer(t testing.TB, bin string, args []string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "eBIOS serving on "); ok {
				urlc <- strings.Fields(rest)[0]
			}
		}
		close(urlc)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("ebios serve ended before serving: %s", stderr.Bytes())
		}
		go io.Copy(io.Discard, stdout)
		return cmd, u
	case <-time.After(30 * time.Second):
		t.Fatalf("ebios serve did not start in 30 s: %s", stderr.Bytes())
	}
	return nil, ""
}

// call sends a request and decodes a 200 answer into out; it returns the
// status, 0 when the server could not be reached.
func call(ctx context.Context, method, url, token, body string, out any) int {
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if json.NewDecoder(resp.Body).Decode(out) != nil {
			return -1
		}
	}
	return resp.StatusCode
}

func get(t *testing.T, url, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return b
}

func login(t testing.TB, url string) string {
	t.Helper()
	var r struct {
		AccessToken string `json:"access_token"`
	}
	if s := call(context.Background(), "POST", url+"/api/v1/auth/login", "", `{"username":"admin","password":"correct horse battery staple drill"}`, &r); s != http.StatusOK {
		t.Fatalf("login as admin: status %d", s)
	}
	return r.AccessToken
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	json.Compact(&buf, b)
	return buf.Bytes()
}

func decodeHashes(t *testing.T, hs []string) tlog.TreeProof {
	t.Helper()
	var p tlog.TreeProof
	for _, h := range hs {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != tlog.HashSize {
			t.Fatalf("bad proof hash %q", h)
		}
		p = append(p, tlog.Hash(b))
	}
	return p
}
