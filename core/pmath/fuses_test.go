//go:build amd64.v3 || arm64 || ppc64 || ppc64le || s390x || riscv64 || loong64

package pmath

// compilerFuses is true where the compiler fuses x*y + z into a fused
// multiply-add, so that Go's pure-Go math code gives different results.
const compilerFuses = true
