package expr

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ebios/ebios/core/mc"
	"github.com/ebios/ebios/core/nu"
)

// program10 is a gum program over 10 inputs, every pair correlated (a full
// 10×10 covariance matrix with r = 0.3), and an expression that uses each
// input at least once with functions and powers.
func program10() string {
	var b strings.Builder
	names := make([]string, 10)
	for i := range names {
		names[i] = "x" + strconv.Itoa(i)
		b.WriteString(names[i] + " = " + strconv.Itoa(i+2) + " ± 0.1; ")
	}
	b.WriteString("cov(" + strings.Join(names, ", ") + ") = [")
	for i := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("[")
		for j := range names {
			if j > 0 {
				b.WriteString(", ")
			}
			c := 0.003 // r = 0.3 with u = 0.1
			if i == j {
				c = 0.01
			}
			b.WriteString(strconv.FormatFloat(c, 'g', -1, 64))
		}
		b.WriteString("]")
	}
	b.WriteString("]; x0*x1 + sqrt(x2) - x3/x4 + exp(x5/10) * sin(x6) + x7^2 - ln(x8) + x9 - x0")
	return b.String()
}

// BenchmarkEvalGUM10Correlated: evaluating (not parsing) a gum program with
// 10 fully correlated inputs; docs/benchmarks.md reports it in µs.
func BenchmarkEvalGUM10Correlated(b *testing.B) {
	e, err := Parse(program10())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Eval(nu.ModeGUM); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Eval(nu.ModeGUM)
	}
}

// BenchmarkEvalModes: the same expression without the correlations in the
// three modes.
func BenchmarkEvalModes(b *testing.B) {
	src := program10()
	src = src[:strings.Index(src, "cov(")] + src[strings.LastIndex(src, "]; ")+3:]
	e, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range nu.Modes {
		b.Run(m.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Eval(m)
			}
		})
	}
}

// mcProgram5 is the 5-input formula of the Monte Carlo benchmarks: every
// distribution, a correlation and a few functions.
const mcProgram5 = "a = 1.2 ± 0.1; b = 3 ± 0.2; corr(a, b) = 0.4; c = 0.5 ± 0.05 uniform; d = 2 ± 0.1 triangular; " +
	"f = 10 ± 0.3 t(9); a * b^2 / d + exp(c) - sqrt(f)"

// BenchmarkMonteCarlo5 is one run of 10⁶ draws of mcProgram5; ns/draw is
// the figure docs/benchmarks.md records, natively and under wasm.
func BenchmarkMonteCarlo5(b *testing.B) {
	e, err := Parse(mcProgram5)
	if err != nil {
		b.Fatal(err)
	}
	const draws = 1_000_000
	for b.Loop() {
		if _, err := e.MonteCarlo(mc.Options{Draws: draws, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/draws, "ns/draw")
}
