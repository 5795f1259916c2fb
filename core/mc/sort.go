package mc

import (
	"math"
	"slices"
)

// sortFloats sorts finite float64s ascending, by a least-significant-digit
// radix sort on their bits (4 passes of 16 bits) for large inputs: a
// quarter of the time of slices.Sort on 10⁶ values. -0 sorts before +0.
func sortFloats(ys []float64) {
	if len(ys) < 1<<14 {
		slices.Sort(ys)
		return
	}
	keys := make([]uint64, len(ys))
	for i, y := range ys {
		b := math.Float64bits(y)
		if b>>63 != 0 {
			keys[i] = ^b // negatives: reverse their order, below the positives
		} else {
			keys[i] = b | 1<<63
		}
	}
	tmp := make([]uint64, len(ys))
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, k := range keys {
			count[k>>shift&0xffff]++
		}
		if count[keys[0]>>shift&0xffff] == len(keys) {
			continue // every key has this digit
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, k := range keys {
			d := k >> shift & 0xffff
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, k := range keys {
		if k>>63 != 0 {
			ys[i] = math.Float64frombits(k &^ (1 << 63))
		} else {
			ys[i] = math.Float64frombits(^k)
		}
	}
}
