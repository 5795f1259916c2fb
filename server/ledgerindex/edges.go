package ledgerindex

import (
	"cmp"
	"math"
	"slices"
)

// edge says that entry c has a parent whose op id hashes to h.
type edge struct{ h, c uint64 }

func cmpEdge(a, b edge) int {
	if c := cmp.Compare(a.h, b.h); c != 0 {
		return c
	}
	return cmp.Compare(a.c, b.c)
}

// bufEdges is the size of the unsorted buffer of new edges.
const bufEdges = 1024

// edges is a set of edges: sorted runs, each at least twice as long as the
// next (merged when not, as in a log-structured merge tree: an edge is
// copied O(log n) times in all), and a buffer of the newest edges in index
// order. A value of edges is never changed once published: [edges.with]
// returns a new one that may share the old one's arrays, writing only
// beyond the lengths the old one shows.
type edges struct {
	runs [][]edge
	buf  []edge
}

func (s edges) len() int {
	n := len(s.buf)
	for _, r := range s.runs {
		n += len(r)
	}
	return n
}

// with returns s plus news (whose children are after every child in s, in
// increasing order).
func (s edges) with(news []edge) edges {
	for len(news) > 0 {
		if s.buf == nil {
			s.buf = make([]edge, 0, bufEdges)
		}
		k := min(len(news), cap(s.buf)-len(s.buf))
		s.buf = append(s.buf, news[:k]...)
		news = news[k:]
		if len(s.buf) == cap(s.buf) {
			run := slices.Clone(s.buf)
			slices.SortFunc(run, cmpEdge)
			runs := append(slices.Clip(s.runs), run) // a new array: readers may hold the old one
			for len(runs) >= 2 && len(runs[len(runs)-2]) <= len(runs[len(runs)-1]) {
				a, b := runs[len(runs)-2], runs[len(runs)-1]
				runs = append(runs[:len(runs)-2], merge(a, b))
			}
			s.runs, s.buf = runs, nil
		}
	}
	return s
}

func merge(a, b []edge) []edge {
	out := make([]edge, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if cmpEdge(a[0], b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// next returns the smallest child index >= i of an edge with hash h, or
// math.MaxUint64.
func (s edges) next(h, i uint64) uint64 {
	best := uint64(math.MaxUint64)
	for _, r := range s.runs {
		k, _ := slices.BinarySearchFunc(r, edge{h, i}, cmpEdge)
		if k < len(r) && r[k].h == h {
			best = min(best, r[k].c)
		}
	}
	for _, e := range s.buf {
		if e.h == h && e.c >= i {
			best = min(best, e.c)
			break
		}
	}
	return best
}
