package ledger

import (
	"errors"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

func ops(es []*Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.OpID)
	}
	return out
}

func TestTrace(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 12)
	// Parents by draft(): 1→0, 2→0, 4→2, 5→4, 7→6, 8→6, 10→8, 11→10.
	for _, src := range []EntrySource{l, sliceOf(l)} {
		tr, err := Trace(src, "op-0005", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := ops(tr.Ancestors); !equal(got, []string{"op-0004", "op-0002", "op-0000"}) {
			t.Fatalf("ancestors %v", got)
		}
		tr, err = Trace(src, "op-0000", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := ops(tr.Children); !equal(got, []string{"op-0001", "op-0002"}) || len(tr.Ancestors) != 0 {
			t.Fatalf("children %v ancestors %v", got, ops(tr.Ancestors))
		}
		tr, _ = Trace(src, "op-0000", 1)
		if len(tr.Children) != 1 {
			t.Fatalf("maxChildren ignored: %v", ops(tr.Children))
		}
		if _, err := Trace(src, "nope", 0); !errors.Is(err, &nu.Error{Code: CodeNotFound}) {
			t.Fatalf("unknown op: %v", err)
		}
	}
}

func sliceOf(l *Log) Entries {
	var out Entries
	for i := range l.Len() {
		e, _ := l.Get(i)
		out = append(out, e)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestQuery(t *testing.T) {
	s := newSigner(t, testOrigin)
	l := newTestLog(t, s, 40)
	e10, _ := l.Get(10)
	e20, _ := l.Get(20)
	for _, tc := range []struct {
		name  string
		f     Filter
		limit int
		want  []string // all pages
	}{
		{"operation", Filter{Operation: "catch"}, 3, []string{"op-0003", "op-0008", "op-0013", "op-0018", "op-0023", "op-0028", "op-0033", "op-0038"}},
		{"index range", Filter{FromIndex: 36, ToIndex: 39}, 2, []string{"op-0036", "op-0037", "op-0038"}},
		{"time range", Filter{Since: e10.Timestamp, Until: e20.Timestamp, Operation: "add"}, 1, []string{"op-0010", "op-0015"}},
		{"children", Filter{ParentOpID: "op-0000"}, 0, []string{"op-0001", "op-0002"}},
		{"nothing", Filter{Operation: "none"}, 5, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				p, err := Query(l, tc.f, tc.limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				if tc.limit > 0 && len(p.Entries) > tc.limit {
					t.Fatalf("page of %d entries, limit %d", len(p.Entries), tc.limit)
				}
				got = append(got, ops(p.Entries)...)
				if p.Next == "" {
					break
				}
				if pages > 100 {
					t.Fatal("paging does not end")
				}
				cursor = p.Next
			}
			if got == nil {
				got = []string{}
			}
			if !equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := Query(l, Filter{}, 10, "bogus"); !errors.Is(err, &nu.Error{Code: CodeQuery}) {
		t.Fatalf("bad cursor: %v", err)
	}
	p, _ := Query(l, Filter{}, 5000, "")
	if len(p.Entries) != 40 || p.Next != "" {
		t.Fatalf("limit above max: %d entries, next %q", len(p.Entries), p.Next)
	}
}

// scanSeeker is a [Seeker] that knows every entry: it skips exactly the
// entries that do not match, the most a seeker may skip.
type scanSeeker struct {
	Entries
	seeks int
}

func (s *scanSeeker) Seek(f *Filter, i, end uint64) uint64 {
	s.seeks++
	for ; i < end && !f.match(s.Entries[i]); i++ {
	}
	return i
}

// TestQuerySeeker: with a seeker, Query and Trace give the same pages,
// cursors and children as a scan, whatever the limit, budget and bounds.
func TestQuerySeeker(t *testing.T) {
	var es Entries
	for i := range 3000 {
		e := &Entry{Index: uint64(i), Draft: Draft{OpID: "op" + itoa(i), Operation: []string{"add", "mul", "rare"}[min(i%2, 1)+min(1, i%97/96)],
			Timestamp: int64(1000 + i*10 + (i*7919)%97 - 48)}}
		if i > 0 && i%4 == 0 {
			e.ParentOpID = "op" + itoa((i*31)%i)
		}
		if i%500 == 7 {
			e.ParentOpID = "op3"
		}
		es = append(es, e)
	}
	filters := []Filter{
		{}, {Operation: "rare"}, {Operation: "none"}, {ParentOpID: "op3"}, {ParentOpID: "op0"},
		{Since: 15000, Until: 15100}, {Since: 29000}, {Until: 2000}, {Operation: "mul", Since: 5000, Until: 9000},
		{ParentOpID: "op3", FromIndex: 600, ToIndex: 2600}, {FromIndex: 2990},
	}
	for _, f := range filters {
		for _, limit := range []int{1, 3, 100} {
			sk := &scanSeeker{Entries: es}
			cw, cg := "", ""
			for page := 0; page < 200; page++ {
				want, err1 := Query(es, f, limit, cw)
				got, err2 := Query(sk, f, limit, cg)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if !equal(ops(want.Entries), ops(got.Entries)) || want.Next != got.Next {
					t.Fatalf("%+v limit %d page %d: scan %v next %q, seeker %v next %q", f, limit, page, ops(want.Entries), want.Next,
						ops(got.Entries), got.Next)
				}
				if want.Next == "" {
					break
				}
				cw, cg = want.Next, got.Next
			}
			if (f.Operation != "" || f.ParentOpID != "" || f.Since != 0 || f.Until != 0) && sk.seeks == 0 {
				t.Fatalf("%+v: the seeker was not used", f)
			}
		}
	}
	for _, op := range []string{"op3", "op0", "op8", "op2999"} {
		for _, max := range []int{0, 1, 5} {
			want, err1 := Trace(es, op, max)
			got, err2 := Trace(&scanSeeker{Entries: es}, op, max)
			if err1 != nil || err2 != nil || !equal(ops(want.Children), ops(got.Children)) || !equal(ops(want.Ancestors), ops(got.Ancestors)) {
				t.Fatalf("trace %s: %v %v %v %v", op, ops(want.Children), ops(got.Children), err1, err2)
			}
		}
	}
}
