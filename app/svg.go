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
	svgLabelW = 150 // left column with the labels: 18 characters of 13 px monospace
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

// intervalSVG draws the result and the input literals as an inline SVG
// document, each row on the same relative scale: a bar from (n−u)/|n| to
// (n+u)/|n| around its own nominal, in percent. A result of 200 ± 14 and
// inputs of 10 ± 0.5 and 20 ± 1 are then all readable, which one absolute
// axis would not allow. A row whose relative uncertainty is infinite (n = 0
// < u, or u = ∞) runs to both edges and says so.
func intervalSVG(o *Outcome) string {
	rows := []svgRow{{label: "result", v: o.Value, cls: "out"}}
	inputs := 0
	for _, in := range o.Inputs {
		if inputs == maxDrawnInputs {
			break
		}
		inputs++
		rows = append(rows, svgRow{label: display(in, o.Mode), v: in, cls: "in"})
	}

	// The axis spans ±the largest finite relative uncertainty.
	span := 0.0
	for _, r := range rows {
		if ru := r.v.RelativeUncertainty(); !math.IsInf(ru, 0) && !math.IsNaN(ru) {
			span = math.Max(span, ru)
		}
	}
	if span == 0 {
		span = 0.01 // exact values only: a ±1 % axis
	}
	lim := span * 1.05
	x0, x1 := float64(svgLabelW), float64(svgWidth-svgRight)
	mid := (x0 + x1) / 2
	scale := func(rel float64) float64 {
		switch {
		case math.IsNaN(rel):
			return mid
		case rel <= -lim:
			return x0
		case rel >= lim:
			return x1
		}
		return mid + rel/lim*(x1-mid)
	}

	height := svgTop + len(rows)*svgRowH + svgAxisH
	var b strings.Builder
	title := "Relative uncertainty of the result " + display(o.Value, o.Mode)
	if inputs > 0 {
		title += " and of the " + strconv.Itoa(inputs) + " input values"
	}
	b.WriteString(`<svg class="intervals" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 `)
	b.WriteString(itoa(svgWidth) + " " + itoa(height))
	b.WriteString(`" aria-labelledby="svg-title"><title id="svg-title">`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</title>`)

	// The nominal line: every row's n sits on it.
	z := ff(mid)
	b.WriteString(`<line class="zero" x1="` + z + `" y1="` + itoa(svgTop-4) + `" x2="` + z + `" y2="` + itoa(height-svgAxisH+4) + `"/>`)
	for i, r := range rows {
		y := float64(svgTop + i*svgRowH + svgRowH/2)
		ys := ff(y)
		b.WriteString(`<g class="row ` + r.cls + `">`)
		// A label longer than the column is squeezed to fit (a typeset
		// (1.230 ± 0.020)×10⁻⁴ must keep its exponent), and only a very
		// long one is cut.
		label, fit := truncate(r.label, 28), ""
		if len([]rune(label)) > 18 {
			fit = ` textLength="` + itoa(svgLabelW-10) + `" lengthAdjust="spacingAndGlyphs"`
		}
		b.WriteString(`<text class="label" x="` + itoa(svgLabelW-8) + `" y="` + ff(y+4) + `" text-anchor="end"` + fit + `>` + html.EscapeString(label) + `</text>`)
		ru := r.v.RelativeUncertainty()
		a, w := scale(-ru), scale(ru)
		if w-a < 2 { // exact value or a very narrow interval: keep it visible
			a, w = a-1, w+1
		}
		b.WriteString(`<rect class="bar" x="` + ff(a) + `" y="` + ff(y-6) + `" width="` + ff(w-a) + `" height="12" rx="3"/>`)
		b.WriteString(`<circle class="dot" cx="` + z + `" cy="` + ys + `" r="4"/>`)
		b.WriteString(`</g>`)
	}
	// Axis: −span, the nominal, +span, in percent.
	ay := height - svgAxisH + 6
	b.WriteString(`<line class="axis" x1="` + ff(x0) + `" y1="` + itoa(ay) + `" x2="` + ff(x1) + `" y2="` + itoa(ay) + `"/>`)
	pct := strconv.FormatFloat(span*100, 'g', 3, 64) + " %"
	for _, t := range []struct {
		x      float64
		text   string
		anchor string
	}{{scale(-span), "−" + pct, "start"}, {mid, "n", "middle"}, {scale(span), "+" + pct, "end"}} {
		tx := ff(t.x)
		b.WriteString(`<line class="axis" x1="` + tx + `" y1="` + itoa(ay-4) + `" x2="` + tx + `" y2="` + itoa(ay+4) + `"/>`)
		b.WriteString(`<text class="tick" x="` + tx + `" y="` + itoa(ay+18) + `" text-anchor="` + t.anchor + `">` + html.EscapeString(t.text) + `</text>`)
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
