//go:build !(amd64.v3 || arm64 || ppc64 || ppc64le || s390x || riscv64 || loong64)

package pmath

// compilerFuses is false where the compiler does not fuse x*y + z, so that
// Go's pure-Go math code rounds every operation, as pmath does.
const compilerFuses = false
