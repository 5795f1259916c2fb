//go:build js

package pmath

// wasmDivisor shortens the random checks under GOOS=js, where they run
// several times slower; the native test run carries the full count.
const wasmDivisor = 4
