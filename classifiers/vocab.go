package classifiers

import (
	"errors"
	"slices"
)

// A vocabulary gives each feature kept for a model (seen in at least
// FeatureParams.MinCount training rows) a row of its own, so that no two
// kept features share weights as hashed buckets do; every other feature
// gets the last row, which stays zero. It is an open-addressing table of
// slots, each the top bits of a feature's hash and its row plus one.
type vocabulary struct {
	keys  []uint64 // the kept features' hashes, by row (ascending)
	slots []uint64 // 0: empty; else hash&^rowMask | row+1
	mask  uint64
}

const (
	vocabRowBits = 24
	vocabRowMask = 1<<vocabRowBits - 1
	// maxVocab is the most rows a vocabulary can name.
	maxVocab = vocabRowMask - 1
)

// newVocabulary builds the table of keys, which must be ascending and
// unique. Slots are taken from the low bits of a hash and matched on its
// high bits: keys that agree on their high 40 bits are refused where one
// lies in the other's way (buildVocabulary keeps only one of them), so
// that every key is found at its own row. An unknown feature that agrees
// with a key on 40 bits and lies in its way would take its row: at a few
// hundred thousand features, a chance of about 2^-40 per feature.
func newVocabulary(keys []uint64) (*vocabulary, error) {
	if len(keys) > maxVocab {
		return nil, errors.New("vocabulary too large")
	}
	size := 64
	for size < len(keys)+len(keys)/3 {
		size *= 2
	}
	v := &vocabulary{keys: keys, slots: make([]uint64, size), mask: uint64(size - 1)}
	for r, h := range keys {
		if r > 0 && keys[r-1] >= h {
			return nil, errors.New("vocabulary keys not ascending")
		}
		i := h & v.mask
		for v.slots[i] != 0 {
			if v.slots[i]&^vocabRowMask == h&^vocabRowMask {
				return nil, errors.New("vocabulary keys share their high bits")
			}
			i = (i + 1) & v.mask
		}
		v.slots[i] = h&^vocabRowMask | uint64(r+1)
	}
	return v, nil
}

// buildVocabulary keeps the hashes found in at least minCount rows.
func buildVocabulary(x [][]sparseFeature, minCount int) (*vocabulary, error) {
	df := map[uint64]int{}
	for _, row := range x {
		for _, f := range row {
			df[f.h]++
		}
	}
	var keys []uint64
	for h, n := range df {
		if n >= minCount {
			keys = append(keys, h)
		}
	}
	slices.Sort(keys)
	// Keep only the first (smallest) of keys that share their high bits,
	// so that the table can tell every kept feature apart (at 2^-40 a
	// pair, this drops nothing in practice).
	hi := map[uint64]bool{}
	kept := keys[:0]
	for _, h := range keys {
		if !hi[h&^vocabRowMask] {
			hi[h&^vocabRowMask] = true
			kept = append(kept, h)
		}
	}
	return newVocabulary(kept)
}

// rows returns the number of rows a network over v has: one per kept
// feature and the zero row.
func (v *vocabulary) rows() int { return len(v.keys) + 1 }

// row returns the row of the feature with hash h.
func (v *vocabulary) row(h uint64) int32 {
	for i := h & v.mask; ; i = (i + 1) & v.mask {
		s := v.slots[i]
		if s == 0 {
			return int32(len(v.keys))
		}
		if s&^vocabRowMask == h&^vocabRowMask {
			return int32(s&vocabRowMask) - 1
		}
	}
}
