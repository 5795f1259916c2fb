package gum

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/ebios/ebios/core/nu"
)

// bytesIn reads the fuzzer's bytes; past the end it reads zeros.
type bytesIn struct{ b []byte }

func (r *bytesIn) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// float returns a number of every kind: small integers and fractions,
// wide-ranging magnitudes, and (from 8 raw bytes) anything, NaN and ±Inf
// included.
func (r *bytesIn) float() float64 {
	switch k := r.byte(); k % 4 {
	case 0:
		return float64(int8(r.byte())) / 8
	case 1:
		return float64(int8(r.byte())) * math.Pow(10, float64(int8(r.byte())%40))
	case 2:
		var b [8]byte
		for i := range b {
			b[i] = r.byte()
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
	default:
		return float64(r.byte()) / 64
	}
}

// FuzzOps runs random sequences of operations on a context of a few
// inputs with random correlations: nothing panics, every error is a
// *nu.Error with a code, every value has a finite nominal, U and Budget are
// finite or fail with a *nu.Error, correlations lie in [-1, 1], v − v is
// exactly 0 ± 0 and v·v has u = 2|n|·U(v) when it succeeds.
func FuzzOps(f *testing.F) {
	f.Add([]byte{3, 0, 8, 3, 8, 0, 16, 0, 4, 2, 1, 0, 200, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 1})
	f.Add([]byte{2, 1, 5, 2, 3, 10, 3, 1, 0, 1, 255, 6, 0, 1, 2, 0, 0, 1, 7, 1, 1, 8, 2, 0, 9, 3, 10, 4, 11, 5})
	f.Add([]byte{6, 0, 1, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 4, 0, 1, 0, 5, 0, 1, 0, 6, 0, 1, 5, 0, 1, 250, 1, 2, 250, 0, 2, 5, 0, 1, 2, 3})
	f.Add([]byte{1, 2, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 2, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 0, 0, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &bytesIn{data}
		c := NewContext()
		other := NewContext()
		foreign, _ := other.Input("w", 1, 1)
		check := func(err error) bool {
			t.Helper()
			if err == nil {
				return true
			}
			e, ok := err.(*nu.Error)
			if !ok || e.Code == "" || e.Message == "" {
				t.Fatalf("error %v (%T) is not a structured *nu.Error", err, err)
			}
			return false
		}
		var vals []Value
		var inputs []Value
		for range 1 + int(r.byte())%6 {
			v, err := c.Input("x", r.float(), r.float())
			if check(err) {
				vals = append(vals, v)
				inputs = append(inputs, v)
			}
		}
		vals = append(vals, c.Const(r.float()), foreign)
		for range int(r.byte()) % 8 {
			if len(inputs) == 0 {
				break
			}
			a, b := inputs[int(r.byte())%len(inputs)], inputs[int(r.byte())%len(inputs)]
			check(c.Correlate(a, b, float64(int8(r.byte()))/100))
		}
		if len(inputs) >= 2 && r.byte()%4 == 0 {
			x, y := inputs[0], inputs[1]
			cv := r.float()
			check(c.SetCovariance([]Value{x, y}, [][]float64{{cv * 0, cv}, {cv, r.float()}}))
		}
		pick := func() Value { return vals[int(r.byte())%len(vals)] }
		for len(r.b) > 0 && len(vals) < 200 {
			var v Value
			var err error
			switch op := r.byte() % 14; op {
			case 0:
				v, err = c.Add(pick(), pick())
			case 1:
				v, err = c.Sub(pick(), pick())
			case 2:
				v, err = c.Mul(pick(), pick())
			case 3:
				v, err = c.Div(pick(), pick())
			case 4:
				v = c.Neg(pick())
			case 5:
				v, err = c.Apply(pick(), r.float(), r.float())
			case 6:
				v, err = c.Apply2(pick(), pick(), r.float(), r.float(), r.float())
			case 7:
				v = c.Const(r.float())
			case 8:
				u, err := c.U(pick())
				if check(err) && !(u >= 0 && u <= math.MaxFloat64) {
					t.Fatalf("U = %v", u)
				}
				continue
			case 9:
				x, y := pick(), pick()
				cov, err := c.Covariance(x, y)
				if check(err) && (math.IsNaN(cov) || math.IsInf(cov, 0)) {
					t.Fatalf("Covariance = %v", cov)
				}
				rho, err := c.Correlation(x, y)
				if check(err) && !(rho >= -1 && rho <= 1) {
					t.Fatalf("Correlation = %v", rho)
				}
				continue
			case 10:
				terms, err := c.Budget(pick())
				if check(err) {
					for _, tm := range terms {
						for _, x := range []float64{tm.N, tm.U, tm.Sensitivity, tm.Contribution, tm.Variance, tm.Share, tm.R} {
							if math.IsNaN(x) || math.IsInf(x, 0) {
								t.Fatalf("budget term %+v", tm)
							}
						}
					}
				}
				continue
			case 11:
				res, err := c.Result(pick())
				if check(err) && (math.IsNaN(res.N()) || math.IsInf(res.N(), 0) || !(res.U() >= 0) || math.IsInf(res.U(), 1)) {
					t.Fatalf("Result = %v", res)
				}
				continue
			case 12:
				check(c.Validate())
				continue
			default:
				x := pick()
				d, err := c.Sub(x, x)
				if check(err) {
					if u, err := c.U(d); d.N() != 0 || err != nil || u != 0 {
						t.Fatalf("v - v = %v ± %v, %v", d.N(), u, err)
					}
				}
				sq, err := c.Mul(x, x)
				if check(err) {
					u, err1 := c.U(x)
					u2, err2 := c.U(sq)
					// Within rounding of the variance: relative to Σ|g_i|·u_i,
					// unless the gradient 2n·g or u(v) underflows
					// (subnormal numbers have lost precision).
					var scale float64
					for i, g := range x.g {
						scale += math.Abs(g) * c.u[i]
					}
					for i, g := range sq.g {
						if x.g[i] != 0 && math.Abs(g) < 0x1p-1022 {
							err1 = errNaN("skip")
						}
					}
					scale *= 2 * math.Abs(x.N())
					if err1 == nil && err2 == nil && u >= 0x1p-1000 && math.Abs(u2-2*math.Abs(x.N())*u) > 1e-6*scale {
						t.Fatalf("u(v·v) = %v, 2|n|·u(v) = %v", u2, 2*math.Abs(x.N())*u)
					}
				}
				continue
			}
			if !check(err) {
				continue
			}
			if math.IsNaN(v.N()) || math.IsInf(v.N(), 0) {
				if v.c == nil && v.g == nil { // Const of a non-finite k, or its negation
					continue
				}
				t.Fatalf("value with nominal %v", v.N())
			}
			for _, x := range v.g {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					t.Fatalf("value with gradient %v", v.g)
				}
			}
			vals = append(vals, v)
		}
	})
}
