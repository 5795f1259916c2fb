//go:build !linux && !darwin

package metrics

import "errors"

// diskSpace is not implemented off unix: the free-space metrics are left out.
func diskSpace(string) (free, size uint64, err error) {
	return 0, 0, errors.New("free space is not measured on this system")
}
