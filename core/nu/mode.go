package nu

import "strconv"

// Mode selects the algebra an operation uses.
type Mode uint8

// The modes. The zero Mode is ModeNU.
const (
	// ModeNU is the eBIOS N/U algebra: quadrature propagation of standard
	// uncertainties of independent inputs.
	ModeNU Mode = iota
	// ModeInterval is rigorous interval arithmetic with outward rounding.
	ModeInterval
	// ModeGUM is first-order (linear) propagation as the GUM describes it.
	// An expression in this mode tracks the correlations between its
	// variables (package core/gum); the operations on single values here
	// treat their arguments as independent, which is where GUM and nu
	// differ only in the product: GUM drops nu's second-order term u1·u2.
	ModeGUM
)

// Modes lists every mode, the default first.
var Modes = []Mode{ModeNU, ModeInterval, ModeGUM}

// String returns "nu", "interval" or "gum".
func (m Mode) String() string {
	switch m {
	case ModeInterval:
		return "interval"
	case ModeGUM:
		return "gum"
	}
	return "nu"
}

// ParseMode parses "nu", "interval" or "gum" (the empty string means "nu").
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "nu":
		return ModeNU, nil
	case "interval":
		return ModeInterval, nil
	case "gum":
		return ModeGUM, nil
	}
	return 0, &Error{Code: CodeBadMode, Category: CategoryValidation,
		Message: "unknown mode " + strconv.Quote(s), Remediation: `use "nu", "interval" or "gum"`}
}

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Mode) UnmarshalText(b []byte) error {
	x, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = x
	return nil
}

// Add returns a + b in mode m.
func (m Mode) Add(a, b Value) (Value, error) {
	if m == ModeInterval {
		return IntervalAdd(a, b)
	}
	return Add(a, b)
}

// Sub returns a - b in mode m.
func (m Mode) Sub(a, b Value) (Value, error) {
	if m == ModeInterval {
		return IntervalSub(a, b)
	}
	return Sub(a, b)
}

// Mul returns a · b in mode m.
func (m Mode) Mul(a, b Value) (Value, error) {
	switch m {
	case ModeInterval:
		return IntervalMul(a, b)
	case ModeGUM:
		return MulFirstOrder(a, b)
	}
	return Mul(a, b)
}

// Div returns a / b in mode m.
func (m Mode) Div(a, b Value) (Value, error) {
	if m == ModeInterval {
		return IntervalDiv(a, b)
	}
	return Div(a, b)
}

// Scale returns k · a in mode m for an exact constant k.
func (m Mode) Scale(k float64, a Value) (Value, error) {
	if m == ModeInterval {
		return IntervalScale(k, a)
	}
	return Scale(k, a)
}

// Compose combines two estimates of the same quantity in mode m.
func (m Mode) Compose(a, b Value) (Value, error) {
	if m == ModeInterval {
		return IntervalCompose(a, b)
	}
	return Compose(a, b)
}
