// Command genbundle writes an export bundle of N real entries (additions
// computed with core/nu, chained, signed by a new key) for the in-browser
// audit benchmark (make audit-bench). It prints the log's verifier key.
//
//	go run ./e2e/genbundle -n 100000 -out bundle.json
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "genbundle:", err)
		}
		os.Exit(2)
	}
}

func run(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("genbundle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100000, "number of entries")
	out := fs.String("out", "", "bundle file to write (required)")
	origin := fs.String("origin", "bench.example/ebios", "log origin (the key's name)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: genbundle -n N -out FILE [-origin NAME]\n\nWrites a bundle of N signed entries and prints the log's verifier key.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *n < 0 {
		fs.Usage()
		return errors.New("-out is required and -n must not be negative")
	}
	skey, vkey, err := ledger.GenerateKey(rand.Reader, *origin)
	if err != nil {
		return err
	}
	signer, err := ledger.ParseSignerKey(skey)
	if err != nil {
		return err
	}
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	l, err := ledger.NewLog(*origin, signer, func() time.Time { return t0 })
	if err != nil {
		return err
	}
	for i := range *n {
		a, b := nu.MustNew(float64(i), 0.5), nu.MustNew(2.25, 0.125)
		sum, err := nu.Add(a, b)
		if err != nil {
			return err
		}
		d := ledger.Draft{OpID: fmt.Sprintf("op-%07d", i), Operation: "add", Mode: ledger.ModeNU,
			Inputs: []nu.Value{a, b}, Output: &sum, Coverage: nu.Float(sum.RelativeUncertainty()), Invariant: ledger.Invariant{OK: true},
			Timestamp: t0.Add(time.Duration(i) * time.Millisecond).UnixNano()}
		if i > 0 && i%3 != 0 {
			d.ParentOpID = fmt.Sprintf("op-%07d", i-1)
		}
		if _, err := l.Append(d); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	bundle, err := l.Bundle()
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := ledger.WriteBundle(w, bundle); err != nil {
		f.Close() // #nosec G104 -- the write's error is the one reported
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close() // #nosec G104 -- the write's error is the one reported
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, vkey)
	return nil
}
