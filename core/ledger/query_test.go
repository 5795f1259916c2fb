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
