package pgstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"golang.org/x/mod/sumdb/tlog"
)

// TestTamper: rows edited in SQL are caught by verify, and the report
// names the entry (or the checkpoint) and the check that failed.
func TestTamper(t *testing.T) {
	pg := startDB(t)
	ctx := context.Background()
	signer := newSigner(t, "example.org/log")
	out := nu.MustNew(3, 0.25)
	bits := binary.BigEndian.AppendUint64(nil, math.Float64bits(3))
	edited := binary.BigEndian.AppendUint64(nil, math.Float64bits(4))
	cases := []struct {
		name  string
		edit  func(st *Store) // the tampering
		index int64           // the entry the report must name (-1: none)
		check string
	}{
		{"an output", func(st *Store) {
			leaf := readLeaf(t, st, 7)
			if !bytes.Contains(leaf, bits) {
				t.Fatal("the output's bytes are not in the leaf")
			}
			writeLeaf(t, st, 7, bytes.Replace(leaf, bits, edited, 1))
		}, 7, ledger.CheckRoot},
		{"an output and its stored hashes", func(st *Store) {
			leaf := bytes.Replace(readLeaf(t, st, 7), bits, edited, 1)
			writeLeaf(t, st, 7, leaf)
			exec(t, st, "UPDATE ebios_entries SET hashes = overlay(hashes placing $1 from 1) WHERE idx = 7", recordHash(leaf))
		}, 7, ledger.CheckRoot},
		{"a signature", func(st *Store) {
			leaf := readLeaf(t, st, 12)
			leaf[len(leaf)-1] ^= 1
			writeLeaf(t, st, 12, leaf)
		}, 12, ledger.CheckRoot},
		{"a deleted row", func(st *Store) { exec(t, st, "DELETE FROM ebios_entries WHERE idx = 5") }, 5, ledger.CheckIndex},
		{"the last row deleted", func(st *Store) { exec(t, st, "DELETE FROM ebios_entries WHERE idx = 19") }, 19, ledger.CheckIndex},
		{"a swapped index", func(st *Store) {
			exec(t, st, "UPDATE ebios_entries SET idx = 1000 WHERE idx = 3")
			exec(t, st, "UPDATE ebios_entries SET idx = 3 WHERE idx = 4")
			exec(t, st, "UPDATE ebios_entries SET idx = 4 WHERE idx = 1000")
		}, 3, ledger.CheckIndex},
		{"an op_id column", func(st *Store) { exec(t, st, "UPDATE ebios_entries SET op_id = 'forged' WHERE idx = 9") }, 9, ledger.CheckFields},
		{"a checkpoint of the history", func(st *Store) {
			exec(t, st, "UPDATE ebios_checkpoints SET checkpoint = (SELECT checkpoint FROM ebios_checkpoints WHERE size = 10) WHERE size = 15")
		}, -1, ledger.CheckCheckpoint},
		{"the head's checkpoint", func(st *Store) {
			exec(t, st, "UPDATE ebios_log SET checkpoint = (SELECT checkpoint FROM ebios_checkpoints WHERE size = 15)")
		}, -1, ledger.CheckCheckpoint},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := fmt.Sprintf("tamper%d", i)
			pg.SQL(t, "CREATE DATABASE "+db)
			st := openT(t, strings.Replace(pg.URL, "/postgres?", "/"+db+"?", 1), signer, nil)
			for k := range 4 { // 20 entries in 4 commits: checkpoints of sizes 5, 10, 15, 20
				var ds []ledger.Draft
				for j := range 5 {
					d := draft(fmt.Sprintf("op-%d", 5*k+j), 0)
					d.Output = &out
					ds = append(ds, d)
				}
				if _, err := st.AppendBatch(ctx, ds); err != nil {
					t.Fatal(err)
				}
			}
			if rep, err := st.VerifyContext(ctx, nil); err != nil || !rep.OK {
				t.Fatalf("before tampering: %+v %v", rep, err)
			}
			c.edit(st)
			rep, err := st.VerifyContext(ctx, nil)
			if err == nil || rep == nil || rep.OK || rep.FirstBad == nil {
				t.Fatalf("tampering not caught: %+v, %v", rep, err)
			}
			f := rep.FirstBad
			if f.Index != c.index || f.Check != c.check {
				t.Errorf("report names entry %d, check %s (%s); want entry %d, check %s", f.Index, f.Check, f.Reason, c.index, c.check)
			}
			if c.index >= 0 && !strings.Contains(f.Reason, fmt.Sprint(c.index)) {
				t.Errorf("the reason does not name entry %d: %s", c.index, f.Reason)
			}
			t.Logf("caught: entry %d, %s: %s", f.Index, f.Check, f.Reason)
		})
	}
}

func readLeaf(t *testing.T, st *Store, i int64) []byte {
	t.Helper()
	var leaf []byte
	if err := st.Pool().QueryRow(context.Background(), "SELECT leaf FROM ebios_entries WHERE idx = $1", i).Scan(&leaf); err != nil {
		t.Fatal(err)
	}
	return leaf
}

func writeLeaf(t *testing.T, st *Store, i int64, leaf []byte) {
	t.Helper()
	exec(t, st, "UPDATE ebios_entries SET leaf = $1 WHERE idx = $2", leaf, i)
}

func exec(t *testing.T, st *Store, sql string, args ...any) {
	t.Helper()
	if _, err := st.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func recordHash(leaf []byte) []byte {
	h := tlog.RecordHash(leaf)
	return h[:]
}
