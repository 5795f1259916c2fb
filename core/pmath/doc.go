// Portions Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style licence that can be
// found in the LICENSE-go file in this directory (a copy of
// /usr/local/go/LICENSE, the Go distribution's LICENSE).

// Package pmath provides elementary functions that return the same bits on
// every platform.
//
// Go's math package gives different results on different platforms for the
// same argument: on amd64, Exp, Log and Hypot are assembly (Exp with FMA
// instructions), so Exp, Pow, Sinh, Cosh and Tanh there differ in the last
// bit from the pure-Go code that GOOS=js GOARCH=wasm runs; and on arm64,
// ppc64, s390x, riscv64 and loong64 (and amd64 built with GOAMD64=v3) the
// compiler may fuse any x*y + z in the pure-Go code into one fused
// multiply-add with a single rounding, which the Go specification allows.
// eBIOS's Monte Carlo uncertainty propagation must be reproducible bit for bit
// in the CLI and server (linux/amd64) and in the browser (js/wasm), so it
// uses these functions instead.
//
// The functions are ports of the pure-Go algorithms of Go's math package
// (which descend from FreeBSD's msun and Stephen L. Moshier's Cephes
// library), in the same order of operations, with every product that is added
// to, subtracted from, assigned, passed or returned written as an explicit
// conversion float64(x*y). The Go specification says that an explicit
// floating-point conversion rounds to the target type and so prevents fusion;
// TestNoFusableProducts checks the rule over the package's own sources.
// Besides IEEE 754 addition, subtraction, multiplication, division and
// comparison, which are the same on every platform Go supports, the functions
// use only exact operations (math.Sqrt, which is correctly rounded
// everywhere, math.Frexp, math.Ldexp, math.Modf, math.Abs, math.Copysign,
// bit manipulation and integer arithmetic). On a platform where the compiler
// does not fuse (amd64 with the default GOAMD64=v1, wasm), every result is
// bit-identical to the pure-Go fallback of Go's math package.
//
// Special values (NaN, ±Inf, ±0, overflow, underflow, domain errors) behave as
// in Go's math package. On js/wasm, where math is all pure Go, every result
// is identical to math's; on amd64 so are those of Sin, Cos, Tan, Asin, Acos,
// Atan, Atan2, Log2, Sqrt and Hypot, and of Log and Log10 at normal
// arguments, while Exp, Cosh and Tanh are at most 2 ulps from math's, Sinh
// 3 and Pow 5 (measured at a million arguments each),
// because math.Exp's assembly rounds differently (its error reaches about
// 1.5 ulp; pmath's Exp stays below 1 ulp). Two differences are bugs of
// math's amd64 assembly, not of pmath: math.Log (and Log10, and Pow with a
// non-integer exponent) is wrong for subnormal arguments (Go issue 56600:
// math.Log(5e-324) = -709.09, Log gives -744.44), and math.Exp returns +Inf
// for x from about 709.436 to 709.78, where Exp gives the finite result
// (as math does on js/wasm). The accuracy is that of Go's algorithms: below
// 1 ulp for Exp and Log, about 2.5 ulps at most for Log10, Sinh, Cosh and
// Tanh, but many ulps for Log2 just above 1 and for Pow with a large
// exponent, where repeated squaring doubles the relative error at each step
// (Pow(1.0002, 1.36e6) is about 5.7e5 ulps, a relative error of 1.3e-10),
// exactly as in math.
//
// A NaN result is a NaN on every platform, but its sign and payload bits are
// not specified: IEEE 754 and WebAssembly leave the payload of a NaN
// produced by arithmetic to the platform. Every other result, including the
// sign of a zero, has the same bits everywhere; TestGoldenHashes checks this
// against the hashes in testdata/golden.json, on linux/amd64, js/wasm and,
// under qemu-user, arm64, ppc64le, s390x and riscv64.
//
// The functions return no errors: like math's, they return NaN or ±Inf. The
// package does no I/O and allocates nothing.
//
// Portions Copyright 2009 The Go Authors, BSD-style licence, see
// /usr/local/go/LICENSE (reproduced in LICENSE-go in this directory). The
// FreeBSD msun and Cephes notices that came with the ported code are kept in
// the files that contain it.
package pmath
