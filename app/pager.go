package app

// pager remembers where Previous goes on a cursor-paged API (the ledger
// entries, the guard events): the cursors of the pages after the first
// that were shown so far. The zero value is on the first page.
type pager struct{ cursors []string }

// cursor is the current page's cursor ("" for the first page).
func (p *pager) cursor() string {
	if len(p.cursors) == 0 {
		return ""
	}
	return p.cursors[len(p.cursors)-1]
}

// hasPrev reports whether there is a page before the current one.
func (p *pager) hasPrev() bool { return len(p.cursors) > 0 }

// next moves to the page at cursor c; prev back one page; first to the
// first page.
func (p *pager) next(c string) { p.cursors = append(p.cursors, c) }
func (p *pager) prev()         { p.cursors = p.cursors[:len(p.cursors)-1] }
func (p *pager) first()        { p.cursors = nil }
