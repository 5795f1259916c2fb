//go:build !js

package pmath

// wasmDivisor is 1 natively: the random checks run their full count.
const wasmDivisor = 1
