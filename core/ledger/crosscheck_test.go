//go:build !js

package ledger

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ebios/ebios/core/nu"
)

// pyEntry is an entry as scripts/crosscheck_bundle.py prints it.
type pyEntry struct {
	Index      string    `json:"index"`
	PrevHash   string    `json:"prev_hash"`
	KeyID      string    `json:"key_id"`
	Timestamp  string    `json:"timestamp"`
	OpID       string    `json:"op_id"`
	ParentOpID string    `json:"parent_op_id"`
	Operation  string    `json:"operation"`
	Mode       string    `json:"mode"`
	Expression string    `json:"expression"`
	Inputs     []pyValue `json:"inputs"`
	Output     *pyValue  `json:"output"`
	Coverage   uint64    `json:"coverage"`
	Invariant  struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	} `json:"invariant"`
	Guard []struct {
		Rule      string `json:"rule"`
		Level     string `json:"level"`
		Message   string `json:"message"`
		Value     uint64 `json:"value"`
		Threshold uint64 `json:"threshold"`
	} `json:"guard"`
	PolicyHash string `json:"policy_hash"`
	Signature  string `json:"signature"`
}

type pyValue struct {
	N uint64 `json:"n"`
	U uint64 `json:"u"`
}

type pyBundle struct {
	File       string    `json:"file"`
	Error      string    `json:"error"`
	Origin     string    `json:"origin"`
	Key        string    `json:"key"`
	Checkpoint string    `json:"checkpoint"`
	Entries    []pyEntry `json:"entries"`
}

// asPython is what the Python reader should print for e.
func asPython(e *Entry) pyEntry {
	val := func(v nu.Value) pyValue { return pyValue{math.Float64bits(v.N()), math.Float64bits(v.U())} }
	p := pyEntry{Index: strconv.FormatUint(e.Index, 10), PrevHash: hex.EncodeToString(e.PrevHash[:]), KeyID: e.KeyID.String(),
		Timestamp: time.Unix(0, e.Timestamp).UTC().Format(time.RFC3339Nano), OpID: e.OpID, ParentOpID: e.ParentOpID,
		Operation: e.Operation, Mode: e.Mode, Expression: e.Expression, Inputs: []pyValue{},
		Coverage: math.Float64bits(float64(e.Coverage)), Signature: hex.EncodeToString(e.Signature[:])}
	for _, v := range e.Inputs {
		p.Inputs = append(p.Inputs, val(v))
	}
	if e.Output != nil {
		o := val(*e.Output)
		p.Output = &o
	}
	p.Invariant.OK, p.Invariant.Message = e.Invariant.OK, e.Invariant.Message
	p.Guard = make([]struct {
		Rule      string `json:"rule"`
		Level     string `json:"level"`
		Message   string `json:"message"`
		Value     uint64 `json:"value"`
		Threshold uint64 `json:"threshold"`
	}, len(e.Guard))
	for i, g := range e.Guard {
		p.Guard[i].Rule, p.Guard[i].Level, p.Guard[i].Message = g.Rule, string(g.Level), g.Message
		p.Guard[i].Value, p.Guard[i].Threshold = math.Float64bits(float64(g.Value)), math.Float64bits(float64(g.Threshold))
	}
	if e.PolicyHash != ([32]byte{}) {
		p.PolicyHash = hex.EncodeToString(e.PolicyHash[:])
	}
	return p
}

// python3 returns Debian's python3 (scripts/need-python.sh installs it).
func python3(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for the cross-check with a second JSON reader: run scripts/need-python.sh (apt-get install -y python3)")
	}
	return p
}

// TestCrossCheckPython: wherever our verifier says OK, the values Python's
// standard json module reads from the same bytes are the values we
// verified. The corpus (testdata/strict) holds duplicates, case variants,
// escapes, surrogates, number spellings and member orders.
func TestCrossCheckPython(t *testing.T) {
	m, v := readStrictCorpus(t)
	var files []string
	for _, c := range m.Cases {
		files = append(files, filepath.Join(strictDir, c.File))
	}
	cmd := exec.Command(python3(t), append([]string{"../../scripts/crosscheck_bundle.py"}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("crosscheck_bundle.py: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	checked := 0
	for i, c := range m.Cases {
		var py pyBundle
		if err := dec.Decode(&py); err != nil {
			t.Fatalf("python output for %s: %v", c.File, err)
		}
		if py.File != files[i] {
			t.Fatalf("python output out of order: %s for %s", py.File, files[i])
		}
		data, _ := os.ReadFile(files[i])
		rep, _ := VerifyBundle(bytes.NewReader(data), v, &VerifyOptions{Origin: c.Origin})
		if !rep.OK {
			continue
		}
		checked++
		if py.Error != "" {
			t.Errorf("%s: we verified it, Python cannot read it: %s", c.File, py.Error)
			continue
		}
		b, err := ReadBundle(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if py.Origin != b.Origin || py.Key != b.Key || py.Checkpoint != b.Checkpoint {
			t.Errorf("%s: Python reads another header", c.File)
		}
		if len(py.Entries) != len(b.Entries) {
			t.Errorf("%s: Python reads %d entries, we verified %d", c.File, len(py.Entries), len(b.Entries))
			continue
		}
		for j, e := range b.Entries {
			if want := asPython(e); !reflect.DeepEqual(py.Entries[j], want) {
				t.Errorf("%s entry %d: Python reads\n%+v\nwe verified\n%+v", c.File, j, py.Entries[j], want)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("only %d bundles verified: the corpus lost its accepted cases", checked)
	}
}
