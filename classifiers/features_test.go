package classifiers

import (
	"testing"
	"unicode/utf8"
)

func TestHasherRune(t *testing.T) {
	slow := func(h hasher, r rune) hasher {
		var buf [utf8.UTFMax]byte
		for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
			h = h.byte(b)
		}
		return h
	}
	h := newHasher(fChar2)
	for r := rune(-2); r <= utf8.MaxRune+2; r++ {
		if got, want := h.rune(r), slow(h, r); got != want {
			t.Fatalf("rune %#x: hash %#x, want %#x", r, got, want)
		}
	}
	for _, r := range []rune{-1 << 31, 1<<31 - 1, 0x7fffffff} {
		if got, want := h.rune(r), slow(h, r); got != want {
			t.Fatalf("rune %#x: hash %#x, want %#x", r, got, want)
		}
	}
}
