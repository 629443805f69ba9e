// Package viterbi segments Japanese text into morphemes over a kagome
// dictionary: the same lattice and the same best path as kagome's
// tokenizer in normal mode, computed in one pass over flat arrays.
//
// kagome builds its lattice from pooled node objects in per-position
// lists, finds duplicate dictionary entries through a map and calls back
// through closures for every prefix match. A Segmenter reads the same
// dictionary parts
// (double-array index, morph costs, connection matrix, character classes,
// unknown-word dictionary, user dictionary) but keeps the nodes of a
// sentence in one reusable array, indexes duplicate entries by morph id and
// scores each node as soon as it is added: every node ending where it
// starts is already final, because nodes are added in order of their start.
//
// Ties between equal-cost paths break as in kagome (the earliest node
// added wins), so the segmentation is identical; the package's tests check
// that over the corpus and over random input, and BenchmarkSegment and
// BenchmarkKagomeLattice time the two on the same lines.
package viterbi

import (
	"fmt"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/dict/trie"
)

// Class says which dictionary a morpheme's ID refers to.
type Class uint8

const (
	// Known morphemes are entries of the system dictionary (dict.Morphs).
	Known Class = iota + 1
	// Unknown morphemes are runs of characters of one class, scored by the
	// unknown-word dictionary (dict.UnkDict.Morphs).
	Unknown
	// User morphemes are entries of the user dictionary (its Contents).
	User
)

// Morpheme is one segment of the text on the best path.
type Morpheme struct {
	Start, End int32 // byte offsets in the segmented text
	ID         int32 // in the dictionary Class names
	Class      Class
}

// Constants of kagome's lattice that decide the segmentation.
const (
	maximumCost              = math.MaxInt32
	maximumUnknownWordLength = 1024
	terminator               = 0
)

// Segmenter finds the best segmentation of text. It is immutable and safe
// for concurrent use; each call borrows scratch space from a pool.
type Segmenter struct {
	morphs []dict.Morph
	conn   []int16 // conn[left*rows+right]: kagome's transposed matrix
	rows   int
	index  index
	user   *index // nil without a user dictionary

	category []byte // character class by rune, [0] for the rest
	invoke   []bool // by class: try unknown words even after a match
	group    []bool // by class: an unknown word runs over the class
	unkID    []int32
	unkDup   []int32
	unk      []dict.Morph

	scratch sync.Pool
}

// New prepares a Segmenter over d and the user dictionary u (nil for
// none). It keeps references to d's arrays; d must not change afterwards.
// The dictionaries' entries must be valid UTF-8, as kagome's are (the
// tests check the IPA and the lexicon's dictionaries): a Segmenter looks
// for entries ending only where a character ends.
func New(d *dict.Dict, u *dict.UserDict) (*Segmenter, error) {
	s := &Segmenter{
		morphs:   d.Morphs,
		conn:     d.Connection.Vec,
		rows:     int(d.Connection.Row),
		index:    newIndex(d.Index.Da),
		category: d.CharCategory,
		invoke:   d.InvokeList,
		group:    d.GroupList,
		unk:      d.UnkDict.Morphs,
	}
	if int64(len(s.conn)) != d.Connection.Row*d.Connection.Col {
		return nil, fmt.Errorf("viterbi: connection matrix of %d costs for %d×%d", len(s.conn), d.Connection.Row, d.Connection.Col)
	}
	if len(s.category) == 0 {
		return nil, fmt.Errorf("viterbi: dictionary without character classes")
	}
	for _, ms := range [][]dict.Morph{s.morphs, s.unk} {
		for _, m := range ms {
			if int(m.LeftID) >= int(d.Connection.Col) || int(m.RightID) >= s.rows || m.LeftID < 0 || m.RightID < 0 {
				return nil, fmt.Errorf("viterbi: morph context ids %d/%d outside the %d×%d matrix", m.LeftID, m.RightID, d.Connection.Row, d.Connection.Col)
			}
		}
	}
	var err error
	if s.index.dup, err = dense(d.Index.Dup, len(s.morphs)); err != nil {
		return nil, err
	}
	if u != nil {
		ix := newIndex(u.Index.Da)
		if ix.dup, err = dense(u.Index.Dup, len(u.Contents)); err != nil {
			return nil, err
		}
		s.user = &ix
	}
	classes := len(s.invoke)
	if len(s.group) != classes {
		return nil, fmt.Errorf("viterbi: %d invoke flags for %d group flags", classes, len(s.group))
	}
	for _, c := range s.category {
		if int(c) >= classes {
			return nil, fmt.Errorf("viterbi: character class %d of %d", c, classes)
		}
	}
	s.unkID = make([]int32, classes)
	s.unkDup = make([]int32, classes)
	for c := range classes {
		// A class missing from the maps reads as zero, as in kagome.
		s.unkID[c] = d.UnkDict.Index[int32(c)]
		s.unkDup[c] = d.UnkDict.IndexDup[int32(c)]
		if int(s.unkID[c]+s.unkDup[c]) >= len(s.unk) {
			return nil, fmt.Errorf("viterbi: unknown-word entry %d of %d", s.unkID[c]+s.unkDup[c], len(s.unk))
		}
	}
	s.scratch.New = func() any { return new(graph) }
	return s, nil
}

// dense turns a duplicate-count map into a slice indexed by id.
func dense(m map[int32]int32, n int) ([]uint16, error) {
	out := make([]uint16, n)
	for id, k := range m {
		if id < 0 || int(id)+int(k) >= n || k < 0 || k > math.MaxUint16 {
			return nil, fmt.Errorf("viterbi: %d duplicates of entry %d of %d", k, id, n)
		}
		out[id] = uint16(k)
	}
	return out, nil
}

// index is a dictionary's double-array trie, with its duplicate counts by
// entry id and, to save the three dependent steps every position starts
// with, the node each character of the Basic Multilingual Plane leads to
// from the root.
type index struct {
	da    trie.DoubleArray
	dup   []uint16
	first []int32 // by rune: the node after its UTF-8 bytes, -1 if none
}

func newIndex(da trie.DoubleArray) index {
	ix := index{da: da, first: make([]int32, 0x10000)}
	var buf [utf8.UTFMax]byte
	for r := range ix.first {
		ix.first[r] = -1
		if r == 0 || !utf8.ValidRune(rune(r)) {
			continue // NUL ends the search, as kagome's terminator does
		}
		q := 0
		for _, b := range buf[:utf8.EncodeRune(buf[:], rune(r))] {
			if q = ix.next(q, b); q < 0 {
				break
			}
		}
		ix.first[r] = int32(q)
	}
	return ix
}

// next returns the node after byte b from node p, -1 if none.
func (ix *index) next(p int, b byte) int {
	q := int(ix.da[p].Base) + int(b)
	if q >= len(ix.da) || int(ix.da[q].Check) != p {
		return -1
	}
	return q
}

// entry returns the first entry id ending at node q, -1 if none.
func (ix *index) entry(q int) int32 {
	if a := int(ix.da[q].Base) + terminator; a < len(ix.da) && int(ix.da[a].Check) == q && ix.da[a].Base <= 0 {
		return -ix.da[a].Base
	}
	return -1
}

// node is a lattice node: a candidate morpheme with the cost of the best
// path from the start of the text through it.
type node struct {
	cost       int32
	prev       int32 // best predecessor, -1 for none
	next       int32 // the node added before it that ends at the same byte, -1 at the end
	start, end int32
	id         int32
	right      int16
	class      Class
}

// graph is a Segmenter's scratch space for one text.
type graph struct {
	nodes []node
	ends  []int32 // by byte offset: the last node added that ends there, -1 for none
	prevs []prev  // the nodes ending where the nodes being added start
	users []prev  // the user dictionary's node among them, if any
	slot  []int32 // by right context id: where in prevs, valid if mark matches
	mark  []uint32
	round uint32
}

// prev is a node that new nodes may follow, copied next to the others
// that end at the same byte so that scoring reads one small array.
type prev struct {
	cost  int32
	node  int32
	right int32 // unused for user dictionary words, which connect at no cost
}

const bos = 0 // the start node; its class is zero, like kagome's DUMMY

// Segment appends the morphemes of the best path through text to dst.
func (s *Segmenter) Segment(dst []Morpheme, text string) []Morpheme {
	if text == "" {
		return dst
	}
	la := s.scratch.Get().(*graph)
	defer s.scratch.Put(la)
	la.nodes = append(la.nodes[:0], node{prev: -1, next: -1})
	if cap(la.ends) < len(text)+1 {
		la.ends = make([]int32, len(text)+1)
	}
	la.ends = la.ends[:len(text)+1]
	for i := range la.ends {
		la.ends[i] = -1
	}
	la.ends[0] = bos
	if len(la.mark) != s.rows {
		la.mark, la.slot, la.round = make([]uint32, s.rows), make([]int32, s.rows), 0
	}

	for pos, ch := range text {
		s.gather(la, pos)
		if s.user != nil && s.match(la, s.user, User, text, pos, ch) {
			continue
		}
		matched := s.match(la, &s.index, Known, text, pos, ch)
		class := s.categoryOf(ch)
		if matched && !s.invoke[class] {
			continue
		}
		end := pos + 1
		if ch != utf8.RuneError {
			end = pos + utf8.RuneLen(ch)
		}
		if s.group[class] {
			for n := 1; end < len(text); {
				c, w := utf8.DecodeRuneInString(text[end:])
				if s.categoryOf(c) != class {
					break
				}
				end += w
				if n++; n >= maximumUnknownWordLength {
					break
				}
			}
		}
		short := pos
		if c, w := utf8.DecodeLastRuneInString(text[pos:end]); c != utf8.RuneError {
			short = end - w
		}
		id := s.unkID[class]
		for x := range s.unkDup[class] + 1 {
			m := s.unk[id+x]
			if pos < short {
				s.add(la, pos, short, id+x, Unknown, m)
			}
			s.add(la, pos, end, id+x, Unknown, m)
		}
	}

	// The end node: the best path into the end of the text.
	s.gather(la, len(text))
	_, last := s.best(la, 0, 0, false)
	if last < 0 {
		return dst
	}
	// Follow the path back, then reverse what was appended.
	first := len(dst)
	for i := last; i > bos; i = la.nodes[i].prev {
		n := &la.nodes[i]
		dst = append(dst, Morpheme{Start: n.start, End: n.end, ID: n.id, Class: n.class})
	}
	for i, j := first, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
	return dst
}

func (s *Segmenter) categoryOf(r rune) byte {
	if int(r) < len(s.category) && r >= 0 {
		return s.category[r]
	}
	return s.category[0]
}

// match adds the entries of ix (of class Known or User) that start at
// byte pos, where the text has ch, and reports whether there were any.
// It walks the trie as kagome does, byte by byte (the first character in
// one step when it can), but looks for an entry only where a character
// ends: every entry is valid UTF-8, so every byte walked so far is part of
// one, and its lead bytes say where its characters end.
func (s *Segmenter) match(la *graph, ix *index, class Class, text string, pos int, ch rune) bool {
	matched := false
	q, i := 0, pos
	if ch != utf8.RuneError && int(ch) < len(ix.first) {
		if q = int(ix.first[ch]); q < 0 {
			return false
		}
		i += utf8.RuneLen(ch)
		matched = s.addEntries(la, ix, class, q, pos, i)
	}
	for more := 0; i < len(text); i++ {
		b := text[i]
		if b == terminator {
			break
		}
		if q = ix.next(q, b); q < 0 {
			break
		}
		switch {
		case b < utf8.RuneSelf:
			more = 0
		case b >= 0xf0:
			more = 3
		case b >= 0xe0:
			more = 2
		case b >= 0xc0:
			more = 1
		default:
			more--
		}
		if more == 0 && s.addEntries(la, ix, class, q, pos, i+1) {
			matched = true
		}
	}
	return matched
}

// addEntries adds the entries of ix ending at node q, from start to end.
func (s *Segmenter) addEntries(la *graph, ix *index, class Class, q, start, end int) bool {
	id := ix.entry(q)
	if id < 0 {
		return false
	}
	for x := int32(0); x <= int32(ix.dup[id]); x++ {
		var m dict.Morph
		if class == Known {
			m = s.morphs[id+x]
		}
		s.add(la, start, end, id+x, class, m)
	}
	return true
}

// add scores a node from start to end and files it under its end.
func (s *Segmenter) add(la *graph, start, end int, id int32, class Class, m dict.Morph) {
	cost, prev := s.best(la, m.LeftID, m.Weight, class == User)
	n := node{cost: cost, prev: prev, start: int32(start), end: int32(end), id: id, right: m.RightID, class: class}
	n.next = la.ends[end]
	la.ends[end] = int32(len(la.nodes))
	la.nodes = append(la.nodes, n)
}

// gather copies the nodes ending at byte at into la.prevs, one per right
// context: the connection cost depends on nothing else, so of the nodes
// sharing a context only the cheapest can be followed (the oldest of equal
// costs, as kagome would pick; the chain is visited newest first). User
// dictionary words connect at no cost: the cheapest goes to la.users.
func (s *Segmenter) gather(la *graph, at int) {
	la.prevs, la.users = la.prevs[:0], la.users[:0]
	if la.round++; la.round == 0 {
		clear(la.mark)
		la.round = 1
	}
	for i := la.ends[at]; i >= 0; i = la.nodes[i].next {
		n := &la.nodes[i]
		if n.class == User {
			if len(la.users) == 0 {
				la.users = append(la.users, prev{cost: n.cost, node: i})
			} else if n.cost <= la.users[0].cost {
				la.users[0] = prev{cost: n.cost, node: i}
			}
			continue
		}
		r := int32(n.right)
		if la.mark[r] == la.round {
			if p := &la.prevs[la.slot[r]]; n.cost <= p.cost {
				p.cost, p.node = n.cost, i
			}
			continue
		}
		la.mark[r], la.slot[r] = la.round, int32(len(la.prevs))
		la.prevs = append(la.prevs, prev{cost: n.cost, node: i, right: r})
	}
}

// best returns the cost and the predecessor of the cheapest path into a
// node from la.prevs and la.users, the node's own weight included; of
// equal costs, the oldest node, as kagome's "first strictly cheaper"
// picks. With no node to follow, the cost is the maximum and there is no
// predecessor, as in kagome.
//
// Costs are summed in 64 bits and what exceeds the maximum counts as the
// maximum, as in kagome. A path is keyed by its cost in the high 32 bits
// and its node (never negative) in the low: the smallest key is the
// cheapest path, the oldest of equal costs.
func (s *Segmenter) best(la *graph, left, weight int16, user bool) (int32, int32) {
	w := int64(weight)
	key := int64(math.MaxInt64)
	if user {
		for _, p := range la.prevs {
			key = min(key, min(int64(p.cost)+w, maximumCost)<<32|int64(p.node))
		}
	} else {
		row := s.conn[int(left)*s.rows : (int(left)+1)*s.rows]
		for _, p := range la.prevs {
			key = min(key, min(int64(p.cost)+w+int64(row[p.right]), maximumCost)<<32|int64(p.node))
		}
	}
	for _, p := range la.users {
		key = min(key, min(int64(p.cost)+w, maximumCost)<<32|int64(p.node))
	}
	if key == math.MaxInt64 {
		return maximumCost, -1
	}
	return int32(key >> 32), int32(key)
}
