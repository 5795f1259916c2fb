// Package justified suppresses a finding with a reason
// (TestGosecFailsOnPlantedDefect). It is testdata: nothing builds it.
package justified

import "os"

// Save writes b readable and writable by everyone.
func Save(p string, b []byte) error {
	return os.WriteFile(p, b, 0o666) // #nosec G306 -- a test of the suppression syntax: the file is meant to be shared
}
