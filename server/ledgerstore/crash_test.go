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
	"github.com/ebios/ebios/core/nu"
)

// The crash test runs a child process (this test binary, re-executed) that
// appends under load and prints "ack <op id>" for every acknowledged append.
// The parent SIGKILLs it at a random moment, reopens the store, and checks
// that every acknowledged append is there and that the whole log verifies.
// The child seals tiles as soon as it can and compacts its BuntDB file
// often, so that kills land while tiles are written, rows deleted and the
// file rewritten.

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
	sealPause, compactMinSize = 0, 16<<10
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
				// Writer 0 appends batches of 16 (rows that straddle tiles).
				n := 1
				if w == 0 {
					n = 16
				}
				var ds []ledger.Draft
				for j := range n {
					d := draft(fmt.Sprintf("%s-%d-%d-%d", run, w, k, j))
					d.ParentOpID = parent // causal chains across batches
					ds = append(ds, d)
				}
				es, err := st.AppendBatch(context.Background(), ds)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(5)
				}
				parent = es[0].OpID
				mu.Lock()
				for _, e := range es {
					fmt.Fprintf(out, "ack %s\n", e.OpID)
				}
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
	var midTile, midCompact int
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
		if tmp, _ := os.ReadDir(filepath.Join(dir, tileTmpDir)); len(tmp) > 0 {
			midTile++
		}
		if _, err := os.Stat(filepath.Join(dir, "ledger.db.compact")); err == nil {
			midCompact++
		}

		st, err := Open(filepath.Join(dir, "ledger.db"), sg, nil)
		if err != nil {
			e, _ := nu.AsError(err)
			t.Fatalf("run %d: reopen after SIGKILL: %v (%v)", run, err, e)
		}
		for _, op := range acked {
			if _, ok := st.IndexOfOp(op); !ok {
				st.Close()
				t.Fatalf("run %d: acknowledged append %s is missing after the crash", run, op)
			}
		}
		// Every tile and stored hash each time; every signature too at
		// every 10th run (it costs a signature check per entry).
		rep, err := st.checkStored()
		if rep == nil && (run%10 == 9 || run == runs-1) {
			rep, err = st.Verify(nil)
		}
		if rep != nil && (err != nil || !rep.OK) {
			st.Close()
			t.Fatalf("run %d: log does not verify after the crash: %+v %v", run, rep.FirstBad, err)
		}
		sealed, _ := st.SealStatus()
		t.Logf("run %d: %d acknowledged this run, %d in the log, %d sealed", run, len(got), st.Len(), sealed)
		st.Close()
	}
	t.Logf("killed while writing a tile in %d runs, while compacting in %d", midTile, midCompact)
	if len(acked) < runs {
		t.Fatalf("only %d appends acknowledged in %d runs: the child did not get to work", len(acked), runs)
	}
}
