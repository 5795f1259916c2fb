package mc

import (
	"math"
	"strconv"
)

// gen draws every input of a run.
type gen struct {
	dists   []Dist
	streams []*stream
	// The normal inputs correlated with another, in index order, the
	// lower-triangular Cholesky factor of their correlation matrix, and
	// buffers for their standard normals.
	group []int
	chol  [][]float64
	raw   [][]float64
	z     [][]float64
	zOf   map[int]int // input index → row of group
}

func newGen(inputs []Input, corr [][]float64, seed uint64) (*gen, error) {
	g := &gen{dists: make([]Dist, len(inputs)), streams: make([]*stream, len(inputs))}
	for i, in := range inputs {
		g.dists[i] = in.Dist
		g.streams[i] = newStream(seed, i)
	}
	if corr == nil {
		return g, nil
	}
	if len(corr) != len(inputs) {
		return nil, errCorrelation("the correlation matrix has " + strconv.Itoa(len(corr)) + " rows for " + strconv.Itoa(len(inputs)) + " inputs")
	}
	for i, row := range corr {
		if len(row) != len(inputs) {
			return nil, errCorrelation("row " + strconv.Itoa(i+1) + " of the correlation matrix has the wrong length")
		}
		for j, r := range row {
			if i == j || r == 0 || inputs[i].Dist.Exact() || inputs[j].Dist.Exact() {
				continue
			}
			if !(r >= -1 && r <= 1) || corr[j][i] != r {
				return nil, errCorrelation("the correlation of " + label(inputs, i) + " and " + label(inputs, j) + " is not a symmetric coefficient in [-1, 1]")
			}
			if inputs[i].Dist.Kind != Normal {
				return nil, errCorrelation(label(inputs, i) + " is correlated with " + label(inputs, j) +
					" but has a " + inputs[i].Dist.Kind.String() + " distribution: only normal inputs can be correlated in Monte Carlo")
			}
			if len(g.group) == 0 || g.group[len(g.group)-1] != i {
				g.group = append(g.group, i)
			}
		}
	}
	if len(g.group) == 0 {
		return g, nil
	}
	n := len(g.group)
	g.zOf = make(map[int]int, n)
	g.chol = make([][]float64, n)
	for a, i := range g.group {
		g.zOf[i] = a
		g.chol[a] = make([]float64, a+1)
		for b := 0; b <= a; b++ {
			s := corr[i][g.group[b]]
			if a == b {
				s = 1
			}
			for k := range b {
				s -= float64(g.chol[a][k] * g.chol[b][k])
			}
			if a == b {
				// Positive semidefinite: a pivot may be 0 (r = ±1), never
				// negative beyond rounding.
				if s < -1e-10 {
					return nil, errCorrelation("the correlations are not consistent (not positive semidefinite); " +
						"check the coefficients involving " + label(inputs, i))
				}
				if s < 1e-14 {
					s = 0
				}
				g.chol[a][a] = math.Sqrt(s)
			} else if d := g.chol[b][b]; d > 0 {
				g.chol[a][b] = s / d
			}
		}
	}
	g.raw = make([][]float64, n)
	g.z = make([][]float64, n)
	for a := range g.raw {
		g.raw[a] = make([]float64, batchSize)
		g.z[a] = make([]float64, batchSize)
	}
	return g, nil
}

func label(inputs []Input, i int) string {
	if inputs[i].Name != "" {
		return strconv.Quote(inputs[i].Name)
	}
	return "input " + strconv.Itoa(i+1)
}

// fill writes the next len(in[0]) draws of every input.
func (g *gen) fill(in [][]float64) {
	if len(in) == 0 {
		return
	}
	b := len(in[0])
	for a, i := range g.group {
		raw := g.raw[a][:b]
		s := g.streams[i]
		for j := range raw {
			raw[j] = s.normal()
		}
	}
	for a := range g.group {
		z := g.z[a][:b]
		row := g.chol[a]
		for j := range z {
			var v float64
			for k, l := range row {
				v += float64(l * g.raw[k][j])
			}
			z[j] = v
		}
	}
	for i, d := range g.dists {
		x := in[i]
		if d.Exact() {
			for j := range x {
				x[j] = d.N
			}
			continue
		}
		var z []float64
		if a, ok := g.zOf[i]; ok {
			z = g.z[a][:b]
		}
		g.streams[i].fill(d, x, z)
	}
}
