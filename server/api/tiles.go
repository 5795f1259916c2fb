package api

import (
	"net/http"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/auth"
)

// The log in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles),
// under /api/v1/log/, so that standard transparency-log clients (for
// example filippo.io/torchwood, or golang.org/x/mod/sumdb/tlog with C2SP
// paths) read it and check it against the signed checkpoint:
//
//	GET /api/v1/log/checkpoint              the latest signed checkpoint
//	GET /api/v1/log/tile/<L>/<N>[.p/<W>]    a hash tile
//	GET /api/v1/log/tile/entries/<N>[.p/<W>] an entry bundle
//
// Full tiles never change: they are sent with a cache lifetime of a year
// and "immutable". A partial tile of width W never changes either, but the
// full tile replaces it: a minute. The checkpoint: five seconds. The
// permission is ledger:read, like the other ledger reads; with
// Config.LogPublic (log_public = true) these routes need none, and the
// responses may be kept by shared caches ("public"; otherwise "private").

// logPerm is the permission of the tile routes.
func (s *Server) logPerm() auth.Permission {
	if s.cfg.LogPublic {
		return ""
	}
	return auth.PermLedgerRead
}

// cacheControl returns a Cache-Control value for a tile route response.
func (s *Server) cacheControl(rest string) string {
	if s.cfg.LogPublic {
		return "public, " + rest
	}
	return "private, " + rest
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", s.cacheControl("max-age=5"))
	w.Write(s.cfg.Store.Checkpoint()) // #nosec G104 -- write errors to an http.ResponseWriter are the client's disconnect; nothing to do
}

func (s *Server) logTile(w http.ResponseWriter, r *http.Request) {
	s.serveTile(w, "tile/"+r.PathValue("L")+"/"+r.PathValue("N"))
}

func (s *Server) logEntries(w http.ResponseWriter, r *http.Request) {
	s.serveTile(w, "tile/entries/"+r.PathValue("N"))
}

func (s *Server) serveTile(w http.ResponseWriter, path string) {
	t, err := ledger.ParseTilePath(path)
	if err != nil {
		e, _ := nu.AsError(err)
		writeError(w, apiErr(CodeNotFound, "no such tile: "+path, e.Details, e.Remediation))
		return
	}
	data, err := s.cfg.Store.ReadTile(t)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if t.W == ledger.TileWidth {
		w.Header().Set("Cache-Control", s.cacheControl("max-age=31536000, immutable"))
	} else {
		w.Header().Set("Cache-Control", s.cacheControl("max-age=60"))
	}
	w.Write(data) // #nosec G104 G705 -- write errors to an http.ResponseWriter are the client's disconnect; the tile is binary data sent as application/octet-stream with nosniff (serve.secure), never rendered as HTML
}
