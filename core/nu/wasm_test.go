//go:build js

package nu

// wasmDivisor shortens the exhaustive random checks under GOOS=js, where they
// run several times slower; the native test run carries the full count.
const wasmDivisor = 10
