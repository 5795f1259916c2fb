package pmath

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from this platform's results")

const (
	goldenPath  = "testdata/golden.json"
	goldenCount = 200_000
	// Seeds of the PCG streams: seed 1 is fixed, seed 2 is the function's
	// index in functions plus goldenSeed2.
	goldenSeed1 = 0x65_42_49_4f_53 // "eBIOS"
	goldenSeed2 = 0x706d617468     // "pmath"
)

type goldenFile struct {
	Comment   string                  `json:"comment"`
	Count     int                     `json:"count"`
	Functions map[string]goldenHashes `json:"functions"`
}

type goldenHashes struct {
	// Args is the sha256 of the arguments' bits, so that a mismatch can be
	// told apart from a generator that is not portable.
	Args    string `json:"args"`
	Results string `json:"results"`
}

// goldenNaN stands for every NaN in the hashes: a NaN result is a NaN on
// every platform, but IEEE 754 and WebAssembly leave its sign and payload
// to the platform.
const goldenNaN = 0x7ff8000000000001

// goldenHash evaluates f at the golden arguments: every value in specials
// (every pair for two-argument functions), then goldenCount arguments from
// the function's generators, drawn from a PCG stream whose integer output
// is the same on every platform.
func goldenHash(i int, f *fn) goldenHashes {
	args, results := sha256.New(), sha256.New()
	var buf [8]byte
	put := func(h interface{ Write([]byte) (int, error) }, v float64) {
		b := math.Float64bits(v)
		if math.IsNaN(v) {
			b = goldenNaN
		}
		binary.LittleEndian.PutUint64(buf[:], b)
		h.Write(buf[:])
	}
	eval := func(x, y float64) {
		put(args, x)
		if f.f2 != nil {
			put(args, y)
			put(results, f.f2(x, y))
		} else {
			put(results, f.f1(x))
		}
	}
	for _, x := range specials {
		if f.f2 == nil {
			eval(x, 0)
			continue
		}
		for _, y := range specials {
			eval(x, y)
		}
	}
	r := rand.New(rand.NewPCG(goldenSeed1, goldenSeed2+uint64(i)))
	for k := 0; k < goldenCount; k++ {
		x, y := f.draw(r, k)
		eval(x, y)
	}
	return goldenHashes{Args: hex.EncodeToString(args.Sum(nil)), Results: hex.EncodeToString(results.Sum(nil))}
}

// TestGoldenHashes is the cross-platform bit test: it hashes each function's
// results at a fixed set of arguments (see goldenHash), covering wide ranges
// with huge trigonometric arguments, subnormals, infinities and NaNs, and
// compares the hashes with testdata/golden.json. The same file must match
// natively (linux/amd64), under GOOS=js GOARCH=wasm (make wasm-test) and on
// the platforms whose compiler fuses multiply-adds (arm64, ppc64le, s390x,
// riscv64; under qemu-user where available). -update rewrites the file.
func TestGoldenHashes(t *testing.T) {
	got := goldenFile{
		Comment: "sha256 of the argument and result bits (NaN as 0x7ff8000000000001) of each pmath function " +
			"at the specials and goldenCount PCG-drawn arguments; go test ./core/pmath -run TestGoldenHashes -update rewrites it",
		Count:     goldenCount,
		Functions: map[string]goldenHashes{},
	}
	for i := range functions {
		got.Functions[functions[i].name] = goldenHash(i, &functions[i])
	}
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s on %s/%s", goldenPath, runtime.GOOS, runtime.GOARCH)
		return
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (write it with go test ./core/pmath -run TestGoldenHashes -update)", err)
	}
	var want goldenFile
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if want.Count != goldenCount || len(want.Functions) != len(functions) {
		t.Fatalf("%s was written for count %d and %d functions, the test has %d and %d; run with -update", goldenPath, want.Count, len(want.Functions), goldenCount, len(functions))
	}
	for _, f := range functions {
		g, w := got.Functions[f.name], want.Functions[f.name]
		switch {
		case g.Args != w.Args:
			t.Errorf("%s: the arguments differ on %s/%s (args hash %s, golden %s): a generator is not portable", f.name, runtime.GOOS, runtime.GOARCH, g.Args, w.Args)
		case g.Results != w.Results:
			t.Errorf("%s: results differ on %s/%s: hash %s, golden %s", f.name, runtime.GOOS, runtime.GOARCH, g.Results, w.Results)
		default:
			t.Logf("%-6s %s", f.name, g.Results)
		}
	}
}
