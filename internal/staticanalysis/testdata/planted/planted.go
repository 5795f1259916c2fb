// Package planted holds defects that gosec must find
// (TestGosecFailsOnPlantedDefect). It is testdata: nothing builds it.
package planted

import (
	"net/http"
	"os"
	"os/exec"
)

// Save writes b readable and writable by everyone (G306).
func Save(p string, b []byte) error { return os.WriteFile(p, b, 0o666) }

// Run runs the command a request names (G204, G702).
func Run(w http.ResponseWriter, r *http.Request) {
	cmd := exec.Command(r.URL.Query().Get("cmd"))
	if err := cmd.Run(); err != nil {
		http.Error(w, "failed", http.StatusInternalServerError)
	}
}
