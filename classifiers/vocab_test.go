package classifiers

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBuildVocabulary(t *testing.T) {
	row := func(hs ...uint64) []sparseFeature {
		fs := make([]sparseFeature, len(hs))
		for i, h := range hs {
			fs[i] = sparseFeature{h: h, v: 1}
		}
		return fs
	}
	const a, b, c, d = 0xa0000000_00000001, 0xb0000000_00000002, 0xc0000000_00000003, 0xd0000000_00000004
	x := [][]sparseFeature{row(a, b, c), row(a, b), row(a, d), row(b)}
	v, err := buildVocabulary(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{a, b}; !slices.Equal(v.keys, want) {
		t.Fatalf("kept %x, want %x", v.keys, want)
	}
	if v.rows() != 3 {
		t.Errorf("%d rows, want 3 (two features and the zero row)", v.rows())
	}
	for h, want := range map[uint64]int32{a: 0, b: 1, c: 2, d: 2, 0: 2} {
		if got := v.row(h); got != want {
			t.Errorf("row(%x) = %d, want %d", h, got, want)
		}
	}
}

func TestVocabularyLookup(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[uint64]bool{}
	var keys []uint64
	for len(keys) < 200_000 {
		if h := r.Uint64(); !seen[h&^vocabRowMask] {
			seen[h&^vocabRowMask] = true
			keys = append(keys, h)
		}
	}
	slices.Sort(keys)
	v, err := newVocabulary(keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range keys {
		if got := v.row(h); got != int32(i) {
			t.Fatalf("row of key %d = %d", i, got)
		}
	}
	for range 200_000 {
		if h := r.Uint64(); !seen[h&^vocabRowMask] {
			if got := v.row(h); got != int32(len(keys)) {
				t.Fatalf("unknown hash %x found at row %d", h, got)
			}
		}
	}
}

func TestNewVocabularyErrors(t *testing.T) {
	for name, keys := range map[string][]uint64{
		"not ascending":             {2 << 40, 1 << 40},
		"repeated":                  {1 << 40, 1 << 40},
		"same high bits, same slot": {1<<40 | 1, 1<<40 | 65},
	} {
		if _, err := newVocabulary(keys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
