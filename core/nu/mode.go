package nu

import "strconv"

// Mode selects the algebra an operation uses.
type Mode uint8

// The two modes. The zero Mode is ModeNU.
const (
	// ModeNU is the eBIOS N/U algebra: quadrature propagation of standard
	// uncertainties of independent inputs.
	ModeNU Mode = iota
	// ModeInterval is rigorous interval arithmetic with outward rounding.
	ModeInterval
)

// String returns "nu" or "interval".
func (m Mode) String() string {
	if m == ModeInterval {
		return "interval"
	}
	return "nu"
}

// ParseMode parses "nu" or "interval" (the empty string means "nu").
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "nu":
		return ModeNU, nil
	case "interval":
		return ModeInterval, nil
	}
	return 0, &Error{Code: CodeBadMode, Category: CategoryValidation,
		Message: "unknown mode " + strconv.Quote(s), Remediation: `use "nu" or "interval"`}
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
	if m == ModeInterval {
		return IntervalMul(a, b)
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
