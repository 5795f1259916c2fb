package fake

import "testing"

func TestAdd(t *testing.T) {}

func TestSkipped(t *testing.T) { t.Skip("needs a large input") }

func FuzzAdd(f *testing.F) {}

func BenchmarkAdd(b *testing.B) {}

func helper() {}
