// Package unjustified suppresses a finding without saying why
// (TestGosecFailsOnPlantedDefect). It is testdata: nothing builds it.
package unjustified

import "os"

// Save writes b readable and writable by everyone.
func Save(p string, b []byte) error {
	return os.WriteFile(p, b, 0o666) // #nosec G306
}
