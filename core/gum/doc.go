// Package gum propagates standard uncertainties to first order with
// correlations tracked, as the GUM's law of propagation of uncertainty (JCGM
// 100:2008, 5.1 and 5.2) and Python's uncertainties package do it.
//
// # The model
//
// A [Context] holds the input variables x_1 … x_k, each with a nominal n_i,
// a standard uncertainty u_i and a name, and their correlation coefficients
// r_ij (0 unless set with [Context.Correlate] or [Context.SetCovariance]).
// Their covariance matrix is Σ_ij = r_ij·u_i·u_j.
//
// A [Value] is a nominal n together with a linear form over the inputs, its
// gradient g_i = ∂v/∂x_i at the nominals (the sensitivity coefficients):
//
//	v ≈ n + Σ_i g_i·(x_i − n_i)
//
// Every operation computes the nominal from the nominals and the gradient by
// the chain rule: a + b adds gradients, a·b gives n_b·g_a + n_a·g_b, f(a)
// gives f'(n_a)·g_a ([Context.Apply]; the caller supplies f and f'). The
// standard uncertainty is read off at the end, [Context.U]:
//
//	u(v) = √(gᵀ Σ g) = √(Σ_i (g_i·u_i)² + 2·Σ_{i<j} r_ij·g_i·u_i·g_j·u_j)
//
// Because a value remembers which inputs it depends on, dependence is exact:
// x − x is exactly 0 ± 0 (its gradient is exactly 0), x/x is exactly 1 ± 0,
// and x·x has u = 2|n|·u_x, the same as x² through Apply, where nu mode,
// which treats every operand as independent, gives √2·|n|·u_x plus its
// second-order term. Coefficients that are exactly 0 stay exactly 0, so a
// value that does not depend on an input has no share of its uncertainty.
// [Context.Covariance] and [Context.Correlation] compare two computed values,
// and [Context.Budget] splits a value's variance into the inputs' shares and
// the correlation terms.
//
// # What it does not do
//
// It is first order only: the function is replaced by its tangent at the
// nominals. There are no second-order terms, so a·b has u² = n_b²u_a² +
// n_a²u_b² without the u_a²·u_b² that nu mode (λ = 1) adds: for factors with
// large relative uncertainties (u/|n| near 1 or more) the two modes differ
// markedly, and gum understates the spread of the product. Likewise the
// nominal is f(n), not the mean of f(x), which differs from it for curved f;
// a divisor or a function argument whose uncertainty reaches a pole or an
// edge of the domain is not noticed; and u(f(x)) at a stationary point
// (f'(n) = 0, as for cos at 0) is 0. Nor does it make intervals or coverage
// statements: u is a standard uncertainty, and no distribution is assumed.
//
// # Errors and resources
//
// Errors are *nu.Error values with nu's codes where they fit (overflow,
// division by zero, NaN, negative uncertainty, non-finite constant) and this
// package's GUM_ codes otherwise. No operation returns a NaN or infinite
// nominal, sensitivity or uncertainty: it fails instead. (The one Value
// whose N is not finite is what Const makes of a non-finite constant, which
// every operation then refuses.) The package does no I/O.
//
// Gradients are dense vectors over the inputs that existed when a value was
// made (later inputs count as 0), cut from slabs of at least 2048 float64s
// that the Context allocates, so an operation on a context of ten inputs
// allocates once per two hundred operations, and U allocates nothing. A
// slab stays in memory while any Value cut from it is referenced. A Context
// is not safe for concurrent use; Values are immutable.
package gum
