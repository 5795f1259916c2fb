package ledgerstore

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebios/ebios/core/ledger"
)

// The crash test runs a child process (this test binary, re-executed) that
// appends under load and prints "ack <op id>" for every acknowledged append.
// The parent SIGKILLs it at a random moment, reopens the store, and checks
// that every acknowledged append is there and that the whole log verifies.

const crashEnv = "EBIOS_LEDGERSTORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir, os.Getenv("EBIOS_LEDGERSTORE_CRASH_KEY"), os.Getenv("EBIOS_LEDGERSTORE_CRASH_RUN"))
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir, skey, run string) {
	sg, err := ledger.ParseSignerKey(skey)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	st, err := Open(filepath.Join(dir, "ledger.db"), sg, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(4)
	}
	fmt.Println("ready")
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for w := 0; w < 8; w++ {
		go func() {
			parent := ""
			for k := 0; ; k++ {
				d := draft(fmt.Sprintf("%s-%d-%d", run, w, k))
				d.ParentOpID = parent // causal chains across batches
				e, err := st.Append(context.Background(), d)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(5)
				}
				parent = e.OpID
				mu.Lock()
				fmt.Fprintf(out, "ack %s\n", e.OpID)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns and kills 50 processes")
	}
	dir := t.TempDir()
	skey, _, err := ledger.GenerateKey(crand.Reader, "crash.example/log")
	if err != nil {
		t.Fatal(err)
	}
	sg, _ := ledger.ParseSignerKey(skey)
	const runs = 50
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var acked []string
	for run := 0; run < runs; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, "EBIOS_LEDGERSTORE_CRASH_KEY="+skey,
			fmt.Sprintf("EBIOS_LEDGERSTORE_CRASH_RUN=r%d", run))
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Wait()
			t.Fatalf("run %d: child did not start: %s", run, stderr.String())
		}
		lines := make(chan []string)
		go func() {
			var got []string
			for sc.Scan() {
				if op, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
					got = append(got, op)
				}
			}
			lines <- got
		}()
		time.Sleep(time.Duration(2+r.IntN(25)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		got := <-lines
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("run %d: child reported: %s", run, stderr.String())
		}
		acked = append(acked, got...)

		st, err := Open(filepath.Join(dir, "ledger.db"), sg, nil)
		if err != nil {
			t.Fatalf("run %d: reopen after SIGKILL: %v", run, err)
		}
		for _, op := range acked {
			if _, ok := st.IndexOfOp(op); !ok {
				st.Close()
				t.Fatalf("run %d: acknowledged append %s is missing after the crash", run, op)
			}
		}
		rep, err := st.Verify(nil)
		if err != nil || !rep.OK {
			st.Close()
			t.Fatalf("run %d: log does not verify after the crash: %+v %v", run, rep.FirstBad, err)
		}
		t.Logf("run %d: %d acknowledged this run, %d in the log", run, len(got), st.Len())
		st.Close()
	}
	if len(acked) < runs {
		t.Fatalf("only %d appends acknowledged in %d runs: the child did not get to work", len(acked), runs)
	}
}
