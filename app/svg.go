package app

import (
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/nu"
)

// SVG layout, in user units.
const (
	svgWidth  = 600
	svgLabelW = 150 // left column with the labels
	svgRight  = 16  // right margin
	svgRowH   = 28
	svgTop    = 8
	svgAxisH  = 26
)

type svgRow struct {
	label string
	v     nu.Value
	cls   string
}

// intervalSVG draws the interval [n−u, n+u] of the result and of the input
// literals on one shared axis, as an inline SVG document.
func intervalSVG(o *Outcome) string {
	rows := []svgRow{{label: "result", v: o.Value, cls: "out"}}
	inputs := 0
	for _, in := range o.Inputs {
		if inputs == maxDrawnInputs {
			break
		}
		inputs++
		rows = append(rows, svgRow{label: in.String(), v: in, cls: "in"})
	}

	// The axis spans every finite end; infinite ends run to the edge.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		for _, x := range []float64{r.v.Lo(), r.v.Hi(), r.v.N()} {
			if !math.IsInf(x, 0) && !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if lo > hi { // nothing finite
		lo, hi = -1, 1
	}
	if lo == hi {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	zero := lo <= 0 && hi >= 0
	dataLo, dataHi := lo, hi
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	x0, x1 := float64(svgLabelW), float64(svgWidth-svgRight)
	scale := func(x float64) float64 {
		switch {
		case math.IsInf(x, -1) || x < lo:
			return x0
		case math.IsInf(x, 1) || x > hi:
			return x1
		}
		return x0 + (x-lo)/(hi-lo)*(x1-x0)
	}

	height := svgTop + len(rows)*svgRowH + svgAxisH
	var b strings.Builder
	title := "Interval of the result " + o.Value.FormatIn(o.Mode, 2)
	if inputs > 0 {
		title += " and of the " + strconv.Itoa(inputs) + " input values"
	}
	b.WriteString(`<svg class="intervals" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 `)
	b.WriteString(itoa(svgWidth) + " " + itoa(height))
	b.WriteString(`" aria-labelledby="svg-title"><title id="svg-title">`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</title>`)

	// Zero line when zero is on the axis.
	if zero {
		z := ff(scale(0))
		b.WriteString(`<line class="zero" x1="` + z + `" y1="` + itoa(svgTop-4) + `" x2="` + z + `" y2="` + itoa(height-svgAxisH+4) + `"/>`)
	}
	for i, r := range rows {
		y := float64(svgTop + i*svgRowH + svgRowH/2)
		ys := ff(y)
		b.WriteString(`<g class="row ` + r.cls + `">`)
		b.WriteString(`<text class="label" x="` + itoa(svgLabelW-8) + `" y="` + ff(y+4) + `" text-anchor="end">` + html.EscapeString(truncate(r.label, 20)) + `</text>`)
		a, z := scale(r.v.Lo()), scale(r.v.Hi())
		if z-a < 2 { // exact value or a very narrow interval: keep it visible
			a, z = a-1, z+1
		}
		b.WriteString(`<rect class="bar" x="` + ff(a) + `" y="` + ff(y-6) + `" width="` + ff(z-a) + `" height="12" rx="3"/>`)
		if n := r.v.N(); !math.IsInf(n, 0) && !math.IsNaN(n) {
			b.WriteString(`<circle class="dot" cx="` + ff(scale(n)) + `" cy="` + ys + `" r="4"/>`)
		}
		b.WriteString(`</g>`)
	}
	// Axis with the two ends.
	ay := height - svgAxisH + 6
	b.WriteString(`<line class="axis" x1="` + ff(x0) + `" y1="` + itoa(ay) + `" x2="` + ff(x1) + `" y2="` + itoa(ay) + `"/>`)
	// Ticks at the ends of the data (not of the padded axis).
	for _, t := range []struct {
		x      float64
		anchor string
	}{{dataLo, "start"}, {dataHi, "end"}} {
		tx := ff(scale(t.x))
		b.WriteString(`<line class="axis" x1="` + tx + `" y1="` + itoa(ay-4) + `" x2="` + tx + `" y2="` + itoa(ay+4) + `"/>`)
		b.WriteString(`<text class="tick" x="` + tx + `" y="` + itoa(ay+18) + `" text-anchor="` + t.anchor + `">` + html.EscapeString(formatFloat(t.x)) + `</text>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func ff(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
