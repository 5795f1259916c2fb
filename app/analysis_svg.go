package app

import (
	"html"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ebios/ebios/core/analysis"
	"github.com/ebios/ebios/core/mc"
)

// Layout of the analysis charts, in user units (the SVGs scale to their
// box; the text is sized to stay readable at phone widths).
const (
	histW, histH          = 520, 270
	histLeft, histRight   = 76, 14
	histTop, histBottom   = 10, 36
	histCurvePoints       = 160
	histTickTarget        = 5
	histBarGap            = 1.0
	sharesW               = 400
	sharesLabelMin        = 40
	sharesLabelMax        = 170
	sharesCharW           = 12 // a character at the largest font the CSS gives (20 px on phones)
	sharesPctW            = 100
	sharesRowH, sharesTop = 26, 8
	sharesAxisH           = 26
	sharesBarH            = 14.0
	sharesMinBarWidth     = 1.0
)

// sharesSVG draws each budget term's share of the variance as a
// horizontal bar from 0 %: an input's share is positive, a correlation
// term's may be negative (it reduces the variance).
func sharesSVG(b *analysis.Budget) string {
	if len(b.Terms) == 0 {
		return ""
	}
	lo, hi := 0.0, 0.0
	for _, t := range b.Terms {
		lo, hi = math.Min(lo, t.Share), math.Max(hi, t.Share)
	}
	if hi-lo <= 0 || math.IsNaN(hi-lo) {
		hi = 1
	}
	// The label column is as wide as the longest label needs, within
	// bounds; a longer label is squeezed to fit.
	labelW := sharesLabelMin
	for _, t := range b.Terms {
		labelW = max(labelW, sharesCharW*len([]rune(termLabel(t)))+12)
	}
	labelW = min(labelW, sharesLabelMax)
	x0, x1 := float64(labelW), float64(sharesW-sharesPctW)
	scale := func(s float64) float64 { return x0 + (s-lo)/(hi-lo)*(x1-x0) }
	zero := scale(0)
	height := sharesTop + len(b.Terms)*sharesRowH + sharesAxisH
	var title []string
	for _, t := range b.Terms {
		title = append(title, termLabel(t)+" "+pct(t.Share))
	}
	var s strings.Builder
	s.WriteString(`<svg class="chart shares" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ` + itoa(sharesW) + " " + itoa(height) +
		`" aria-labelledby="an-shares-title"><title id="an-shares-title">` +
		html.EscapeString("Shares of the variance: "+strings.Join(title, ", ")) + `</title>`)
	for i, t := range b.Terms {
		y := float64(sharesTop + i*sharesRowH + sharesRowH/2)
		cls := "bar"
		if t.Pair {
			cls = "bar pair"
		}
		a, w := zero, scale(t.Share)
		if w < a {
			a, w = w, a
		}
		if w-a < sharesMinBarWidth {
			w = a + sharesMinBarWidth
		}
		label, fit := truncate(termLabel(t), 24), ""
		if sharesCharW*len([]rune(label))+12 > labelW {
			fit = ` textLength="` + itoa(labelW-12) + `" lengthAdjust="spacingAndGlyphs"`
		}
		s.WriteString(`<text class="label" x="` + itoa(labelW-8) + `" y="` + ff(y+5) + `" text-anchor="end"` + fit + `>` + html.EscapeString(label) + `</text>`)
		s.WriteString(`<rect class="` + cls + `" x="` + ff(a) + `" y="` + ff(y-sharesBarH/2) + `" width="` + ff(w-a) + `" height="` + ff(sharesBarH) + `" rx="2"/>`)
		s.WriteString(`<text class="value" x="` + ff(x1+6) + `" y="` + ff(y+5) + `">` + html.EscapeString(pct(t.Share)) + `</text>`)
	}
	ay := height - sharesAxisH + 4
	s.WriteString(`<line class="axis" x1="` + ff(x0) + `" y1="` + itoa(ay) + `" x2="` + ff(x1) + `" y2="` + itoa(ay) + `"/>`)
	s.WriteString(`<line class="zero" x1="` + ff(zero) + `" y1="` + itoa(sharesTop-4) + `" x2="` + ff(zero) + `" y2="` + itoa(ay) + `"/>`)
	// Ticks at 0 %, the largest share and the most negative one, leaving
	// out one that would overlap a tick already written.
	var placed []float64
	for i, t := range []float64{0, hi, lo} {
		x := scale(t)
		w := float64(sharesCharW * len([]rune(pct(t))))
		if i == 2 && lo == 0 || slices.ContainsFunc(placed, func(p float64) bool { return math.Abs(p-x) < w+8 }) {
			continue
		}
		placed = append(placed, x)
		anchor := "middle"
		switch {
		case x-x0 < w/2:
			anchor = "start"
		case x1-x < w/2:
			anchor = "end"
		}
		s.WriteString(`<text class="tick" x="` + ff(x) + `" y="` + itoa(ay+18) + `" text-anchor="` + anchor + `">` + pct(t) + `</text>`)
	}
	s.WriteString(`</svg>`)
	return s.String()
}

// termLabel names a budget term: the input, or r(x, y) for a correlation.
func termLabel(t analysis.BudgetTerm) string {
	if t.Pair {
		return "r(" + t.Name + ", " + t.WithName + ")"
	}
	return t.Name
}

// histogramSVG draws the Monte Carlo histogram with, when fo is known, the
// normal curve of the first-order result n ± u scaled to the counts (a bin
// of width w expects draws·w·φ((x−n)/u)/u values), the Monte Carlo
// coverage interval (solid lines) and, when v is known, the first-order
// interval (dashed).
func histogramSVG(m *mc.Result, fo *firstOrder, v *analysis.Validation) string {
	h := m.Histogram
	nb := len(h.Counts)
	if nb == 0 || !(h.Hi > h.Lo) || math.IsInf(h.Hi-h.Lo, 0) {
		return ""
	}
	bw := (h.Hi - h.Lo) / float64(nb)
	maxCount := 0
	for _, c := range h.Counts {
		maxCount = max(maxCount, c)
	}
	expected := func(x float64) float64 {
		z := (x - fo.N) / fo.U
		return float64(m.Draws) * bw * math.Exp(-z*z/2) / (fo.U * math.Sqrt(2*math.Pi))
	}
	curve := fo != nil && fo.U > 0 && !math.IsInf(fo.U, 0)
	top := float64(maxCount)
	if curve {
		top = math.Max(top, float64(m.Draws)*bw/(fo.U*math.Sqrt(2*math.Pi)))
	}
	if top <= 0 {
		top = 1
	}
	top *= 1.05
	px0, px1 := float64(histLeft), float64(histW-histRight)
	py0, py1 := float64(histTop), float64(histH-histBottom) // top and bottom of the plot
	X := func(x float64) float64 { return px0 + (x-h.Lo)/(h.Hi-h.Lo)*(px1-px0) }
	Y := func(c float64) float64 { return py1 - c/top*(py1-py0) }
	clampX := func(x float64) float64 { return math.Max(px0, math.Min(px1, x)) }

	title := groupDigits(m.Draws) + " Monte Carlo draws: mean " + formatFloat(m.Mean) + ", u " + g4(m.U) + ", " +
		g4(100*m.P) + " % coverage interval [" + formatFloat(m.Lo) + ", " + formatFloat(m.Hi) + "]"
	if v != nil {
		title += "; first-order interval [" + formatFloat(v.Lo) + ", " + formatFloat(v.Hi) + "]"
	}
	if h.Below+h.Above > 0 {
		title += "; " + groupDigits(h.Below) + " draws below and " + groupDigits(h.Above) + " above the chart"
	}
	var s strings.Builder
	s.WriteString(`<svg class="chart hist" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ` + itoa(histW) + " " + itoa(histH) +
		`" aria-labelledby="an-hist-title"><title id="an-hist-title">Histogram of ` + html.EscapeString(title) + `</title>`)
	// Bins.
	s.WriteString(`<g class="bins">`)
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		a, b := X(h.Lo+float64(i)*bw), X(h.Lo+float64(i+1)*bw)
		if b-a > 3*histBarGap {
			b -= histBarGap
		}
		s.WriteString(`<rect x="` + ff(a) + `" y="` + ff(Y(float64(c))) + `" width="` + ff(b-a) + `" height="` + ff(py1-Y(float64(c))) + `"/>`)
	}
	s.WriteString(`</g>`)
	// The first-order normal curve.
	if curve {
		s.WriteString(`<path class="normal" d="`)
		for i := 0; i <= histCurvePoints; i++ {
			x := h.Lo + (h.Hi-h.Lo)*float64(i)/histCurvePoints
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			s.WriteString(cmd + ff(X(x)) + " " + ff(math.Max(py0, Y(expected(x)))) + " ")
		}
		s.WriteString(`"/>`)
	}
	// Intervals: the first order's dashed, Monte Carlo's solid.
	marker := func(cls string, x float64) {
		cx := clampX(X(x))
		s.WriteString(`<line class="` + cls + `" x1="` + ff(cx) + `" y1="` + ff(py0) + `" x2="` + ff(cx) + `" y2="` + ff(py1) + `"/>`)
	}
	if v != nil {
		marker("fo", v.Lo)
		marker("fo", v.Hi)
	}
	marker("mc", m.Lo)
	marker("mc", m.Hi)
	// Axes and ticks.
	s.WriteString(`<line class="axis" x1="` + ff(px0) + `" y1="` + ff(py1) + `" x2="` + ff(px1) + `" y2="` + ff(py1) + `"/>`)
	s.WriteString(`<line class="axis" x1="` + ff(px0) + `" y1="` + ff(py0) + `" x2="` + ff(px0) + `" y2="` + ff(py1) + `"/>`)
	ticks, step := niceTicks(h.Lo, h.Hi, histTickTarget)
	for _, t := range ticks {
		x := X(t)
		s.WriteString(`<line class="axis" x1="` + ff(x) + `" y1="` + ff(py1) + `" x2="` + ff(x) + `" y2="` + ff(py1+5) + `"/>`)
		s.WriteString(`<text class="tick" x="` + ff(x) + `" y="` + ff(py1+22) + `" text-anchor="middle">` + html.EscapeString(tickLabel(t, step)) + `</text>`)
	}
	s.WriteString(`<text class="tick" x="` + ff(px0-6) + `" y="` + ff(py1+5) + `" text-anchor="end">0</text>`)
	s.WriteString(`<text class="tick" x="` + ff(px0-6) + `" y="` + ff(Y(float64(maxCount))+5) + `" text-anchor="end">` + compactCount(maxCount) + `</text>`)
	s.WriteString(`<line class="axis" x1="` + ff(px0-4) + `" y1="` + ff(Y(float64(maxCount))) + `" x2="` + ff(px0) + `" y2="` + ff(Y(float64(maxCount))) + `"/>`)
	s.WriteString(`</svg>`)
	return s.String()
}

// niceTicks returns about n round values (1, 2 or 5 times a power of ten
// apart) in [lo, hi], and their step.
func niceTicks(lo, hi float64, n int) ([]float64, float64) {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return []float64{lo}, 0
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, k := range []float64{1, 2, 5} {
		if k*mag >= raw {
			step = k * mag
			break
		}
	}
	first := math.Ceil(lo/step) * step
	var ts []float64
	for i := 0; i < 4*n; i++ {
		t := first + float64(i)*step
		if t > hi+step*1e-9 {
			break
		}
		if math.Abs(t) < step*1e-9 {
			t = 0
		}
		ts = append(ts, t)
	}
	return ts, step
}

// tickLabel writes a tick at t of a scale of the given step with just the
// decimals the step needs.
func tickLabel(t, step float64) string {
	if step <= 0 || step < 1e-4 || math.Abs(t) >= 1e6 {
		return strings.Replace(strconv.FormatFloat(t, 'g', 3, 64), "-", "−", 1)
	}
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return strings.Replace(strconv.FormatFloat(t, 'f', dec, 64), "-", "−", 1)
}

// compactCount writes a count briefly: 6690, 66.9k, 1.2M.
func compactCount(n int) string {
	switch {
	case n >= 1_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'g', 3, 64) + "M"
	case n >= 10_000:
		return strconv.FormatFloat(float64(n)/1e3, 'g', 3, 64) + "k"
	}
	return strconv.Itoa(n)
}
