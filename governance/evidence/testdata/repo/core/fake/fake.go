// Package fake is a fixture of governance/evidence's tests: a package
// whose names the fixture requirements cite. It is never compiled.
package fake

// Limit is a constant the fixture cites.
const Limit = 3

// T is a type with a method.
type T struct{}

// M is a method.
func (*T) M() {}

// Add adds.
func Add(a, b int) int { return a + b }
