package api

import (
	"strconv"

	"github.com/ebios/ebios/server/ledgerindex"
)

// MaxIndexLag is how many entries the read index may lag behind the log
// for a trace or a guard events page to be answered: the entries it has not
// read yet are read by the request itself. Beyond it (while the index is
// built after a start, about 2 s per million entries on two cores) these
// reads answer 503 with Retry-After instead of scanning the log.
var MaxIndexLag uint64 = 1 << 16

// readIndex returns the read index of the store, after nudging it to catch
// up; an API_013 error while it lags by more than MaxIndexLag entries.
func (s *Server) readIndex() (*ledgerindex.Index, error) {
	s.index.Notify()
	st := s.index.Status()
	if st.Len <= st.Indexed+MaxIndexLag {
		return s.index, nil
	}
	if st.Err != nil {
		s.cfg.Logger.Warn("the read index cannot read the log", "indexed", st.Indexed, "entries", st.Len, "err", st.Err)
	}
	return nil, apiErr(CodeIndexing, "the read index of the ledger is still being built ("+
		strconv.FormatUint(st.Indexed, 10)+" of "+strconv.FormatUint(st.Len, 10)+" entries indexed)", "",
		"retry in a few seconds (Retry-After): the index reads about half a million entries a second")
}
