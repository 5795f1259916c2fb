// Package nu implements nominal/uncertainty values n ± u and the two algebras
// eBIOS computes with.
//
// A [Value] is a pair (n, u) with n finite and u ≥ 0 (u may be +Inf, which is
// what [Catch] produces for an invalid input). Every operation exists in two
// modes:
//
//   - [ModeNU] (the default) is the eBIOS N/U algebra: uncertainties combine in
//     quadrature, as standard uncertainties of independent inputs do. It is a
//     propagation rule, not a worst-case bound: when the inputs are intervals
//     [n-u, n+u], the exact result set is enclosed by [n-k·u, n+k·u] only with
//     k = √2 for add and subtract and k = √3 for multiply (see proofs/).
//   - [ModeInterval] is rigorous interval arithmetic: the result's [n-u, n+u]
//     contains every real result of every input in the input intervals, and every
//     floating-point step is rounded outward so that this holds despite rounding.
//
// The package does no I/O and allocates nothing on the hot paths. Errors are
// *[Error] values with a stable code, a category and a remediation, and they
// marshal to the same JSON shape the API and the CLI use.
package nu
