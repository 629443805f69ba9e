package classifiers

import (
	"math"
	"unicode/utf8"
)

// featKind is the family of a feature. It is hashed with the feature's
// strings, so equal strings of different families never share a hash
// unless by chance.
type featKind uint8

const (
	fWord    featKind = iota + 1 // lemma unigram
	fBigram                      // lemma bigram (^ and $ mark the sentence edges)
	fChar2                       // character bigram of the folded text
	fChar3                       // character trigram
	fLexSub                      // lexicon sum of a sub-type
	fLexCat                      // lexicon sum of a category
	fCounter                     // counter-evidence sum of a kind
	fRule                        // rule score of a category (lexicon net of counter-evidence)
	fRuleTop                     // the rules' decision
	fMask                        // a masked contact detail or id, by kind
	fCue                         // time, money, question
	fMention                     // lexicon sum of a category's terms only quoted or named
	fConcept                     // a concept's presence
	fPair                        // two concepts in one text
	fRead3                       // character trigram of the words' readings
)

func (k featKind) prefix() string {
	return [...]string{"", "w:", "b:", "c2:", "c3:", "lex:", "lexcat:", "counter:", "rule:", "ruletop:", "mask:", "cue:", "mention:", "concept:", "pair:", "yomi:"}[k]
}

// block reports which normalisation block a kind belongs to: lemma
// n-grams, character n-grams and reading n-grams are each scaled to unit
// length; the rest keep their values.
func (k featKind) block() int {
	switch k {
	case fWord, fBigram:
		return 1
	case fChar2, fChar3:
		return 2
	case fRead3:
		return 3
	}
	return 0
}

const nBlocks = 4

// feature is one hashed feature of a text. a and b name it for evidence;
// they point into the text, the dictionary or the labels, never copies.
type feature struct {
	h    uint64
	v    float32
	kind featKind
	a, b string
}

// name is how evidence shows the feature: its kind's prefix and its
// strings (w:受け子, pair:weapon transfer).
func (f *feature) name() string {
	if f.b != "" {
		return f.kind.prefix() + f.a + " " + f.b
	}
	return f.kind.prefix() + f.a
}

// FeatureParams fix how a text becomes a feature vector. They are part of
// the model: a model is scored with the parameters it was trained with.
type FeatureParams struct {
	// MinCount is the least number of training rows a feature must be
	// found in to be kept: each kept feature has a row of its own in both
	// networks (see vocabulary); the others are left out.
	MinCount  int     `json:"min_count"`
	WordScale float64 `json:"word_scale"` // length of the lemma n-gram block
	CharScale float64 `json:"char_scale"` // length of the character n-gram block
	LexScale  float64 `json:"lex_scale"`  // factor on lexicon and rule features
	CueScale  float64 `json:"cue_scale"`  // value of mask and cue features
	// ConceptScale is the value of a concept, and of a pair of concepts,
	// present with a weight of 1 or more (less: in proportion).
	ConceptScale float64 `json:"concept_scale"`
	// MinNorm is the least count an n-gram block is normalised by: a
	// block of n features has values scale/sqrt(max(n, MinNorm)), so that
	// the few n-grams of a very short text do not weigh like a long text's.
	MinNorm int `json:"min_norm"`
	// ReadScale is the length of the reading n-gram block; 0 (models
	// trained before it) leaves the block out.
	ReadScale float64 `json:"read_scale,omitempty"`
}

// DefaultFeatureParams are the parameters Train uses unless told otherwise.
func DefaultFeatureParams() FeatureParams {
	return FeatureParams{MinCount: 3, WordScale: 1, CharScale: 1, LexScale: 2, CueScale: 0.5, ConceptScale: 1, MinNorm: 16, ReadScale: 1}
}

// FNV-1a, 64 bits, finished with a mixer so that low and high bits are
// both usable as table indices (see vocabulary).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

type hasher uint64

func newHasher(k featKind) hasher { return hasher((fnvOffset ^ uint64(k)) * fnvPrime) }

func (h hasher) str(s string) hasher {
	for i := 0; i < len(s); i++ {
		h = (h ^ hasher(s[i])) * fnvPrime
	}
	return h
}

func (h hasher) byte(b byte) hasher { return (h ^ hasher(b)) * fnvPrime }

// rune hashes r's UTF-8 bytes, as utf8.EncodeRune writes them (an invalid
// rune as U+FFFD), without writing them: it runs for every character of
// every n-gram.
func (h hasher) rune(r rune) hasher {
	switch u := uint32(r); {
	case u < 0x80:
		return h.byte(byte(u))
	case u < 0x800:
		return h.byte(0xc0 | byte(u>>6)).byte(0x80 | byte(u)&0x3f)
	case u >= 0xd800 && u <= 0xdfff || u > utf8.MaxRune:
		u = utf8.RuneError
		fallthrough
	case u < 0x10000:
		return h.byte(0xe0 | byte(u>>12)).byte(0x80 | byte(u>>6)&0x3f).byte(0x80 | byte(u)&0x3f)
	default:
		return h.byte(0xf0 | byte(u>>18)).byte(0x80 | byte(u>>12)&0x3f).byte(0x80 | byte(u>>6)&0x3f).byte(0x80 | byte(u)&0x3f)
	}
}

func (h hasher) sum() uint64 {
	x := uint64(h)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func (a *analysis) add(k featKind, h hasher, v float32, x, y string) {
	a.feats = append(a.feats, feature{h: h.sum(), v: v, kind: k, a: x, b: y})
}

func (a *analysis) addNamed(k featKind, v float64, name string) {
	a.add(k, newHasher(k).str(name), float32(v), name, "")
}

// featurize computes the features of an analysed text into a.feats: one
// per hash, with their final values.
func (a *analysis) featurize(p *FeatureParams, lb *labels) {
	a.feats = a.feats[:0]
	a.lemmaFeatures()
	a.charFeatures()
	if p.ReadScale > 0 {
		a.readingFeatures()
	}

	ls := p.LexScale
	for i, v := range a.lex.sub {
		if v > 0 {
			s := &lb.subs[i]
			a.add(fLexSub, newHasher(fLexSub).str(string(lb.cats[s.cat])).byte('/').str(s.name), float32(ls*math.Log1p(v)), string(lb.cats[s.cat]), s.name)
		}
	}
	top, topNet := catNone, 0.0
	for c := range nPos {
		if v := a.lex.mention[c]; v > 0 {
			a.addNamed(fMention, ls*math.Log1p(v), string(lb.cats[c]))
		}
		if v := a.lex.cat[c]; v > 0 {
			a.addNamed(fLexCat, ls*math.Log1p(v), string(lb.cats[c]))
		}
		if n := a.lex.net[c]; n > 0 {
			a.addNamed(fRule, ls*math.Log1p(n), string(lb.cats[c]))
			if n >= ruleThreshold && n > topNet {
				top, topNet = c, n
			}
		}
	}
	a.addNamed(fRuleTop, ls, string(lb.cats[top]))
	for k, v := range a.lex.counter {
		if v > 0 {
			a.addNamed(fCounter, ls*math.Log1p(v), lb.kinds[k])
		}
	}
	a.conceptFeatures(p.ConceptScale, lb)
	cs := p.CueScale
	for k, n := range a.cues.masks {
		if n > 0 {
			a.addNamed(fMask, cs, maskKind(k).String())
		}
	}
	if a.cues.time {
		a.addNamed(fCue, cs, "time")
	}
	if a.cues.money {
		a.addNamed(fCue, cs, "money")
	}
	if a.cues.question {
		a.addNamed(fCue, cs, "question")
	}
	if a.cues.wink {
		a.addNamed(fCue, cs, "wink")
	}
	if a.cues.halfwidth >= 3 {
		a.addNamed(fCue, cs, "halfwidth")
	}
	if a.cues.spaced >= 3 {
		a.addNamed(fCue, cs, "spaced")
	}

	// One feature per hash (the first); then scale the n-gram blocks to
	// their lengths.
	a.dedupe()
	var n [nBlocks]int
	for i := range a.feats {
		n[a.feats[i].kind.block()]++
	}
	scale := [nBlocks]float32{1, 0, 0, 0}
	for b, s := range [nBlocks]float64{1: p.WordScale, 2: p.CharScale, 3: p.ReadScale} {
		if b > 0 && n[b] > 0 {
			scale[b] = float32(s / math.Sqrt(float64(max(n[b], p.MinNorm))))
		}
	}
	for i := range a.feats {
		if b := a.feats[i].kind.block(); b != 0 {
			a.feats[i].v = scale[b]
		}
	}
}

// conceptFeatures adds a feature per concept present and one per pair of
// concepts present, each worth scale at a concept weight of 1 or more
// (less: in proportion).
func (a *analysis) conceptFeatures(scale float64, lb *labels) {
	if scale == 0 {
		return
	}
	for i, vi := range a.lex.concept {
		if vi <= 0 {
			continue
		}
		wi := min(vi, 1)
		a.add(fConcept, newHasher(fConcept).str(lb.concepts[i]), float32(scale*wi), lb.concepts[i], "")
		for j := i + 1; j < len(a.lex.concept); j++ {
			if vj := a.lex.concept[j]; vj > 0 {
				h := newHasher(fPair).str(lb.concepts[i]).byte('+').str(lb.concepts[j])
				a.add(fPair, h, float32(scale*wi*min(vj, 1)), lb.concepts[i], lb.concepts[j])
			}
		}
	}
}

// dedupe keeps the first feature of each hash, in order, with an
// open-addressing set of hashes that lives in the analysis.
func (a *analysis) dedupe() {
	size := 64
	for size < 2*len(a.feats) {
		size *= 2
	}
	a.seen = resize(a.seen, size)
	mask := uint64(size - 1)
	out := a.feats[:0]
	for _, f := range a.feats {
		h := max(f.h, 1) // 0 marks an empty slot
		for i := h & mask; ; i = (i + 1) & mask {
			if a.seen[i] == 0 {
				a.seen[i] = h
				out = append(out, f)
				break
			}
			if a.seen[i] == h {
				break
			}
		}
	}
	a.feats = out
}

// lemmaFeatures adds the lemma unigrams and bigrams of every sentence.
// Symbols are skipped; a masked contact detail is one token named by its
// kind; digits are one token "0".
func (a *analysis) lemmaFeatures() {
	fold := a.text.Fold
	mi := 0
	for _, sent := range a.sents {
		prev := "^"
		for i := sent.tokLo; i < sent.tokHi; i++ {
			t := &a.toks[i]
			for mi < len(a.masks) && a.masks[mi].end <= t.start {
				mi++
			}
			var lemma string
			switch {
			case mi < len(a.masks) && a.masks[mi].start < t.end:
				m := a.masks[mi]
				if i > sent.tokLo && a.toks[i-1].end > m.start {
					continue // the rest of a masked span
				}
				lemma = m.kind.token()
			case t.pos == posSymbol:
				continue
			case t.pos == posNumber:
				lemma = "0"
			case t.lemma != t.surface:
				lemma = t.lemma
			default:
				lemma = fold[t.start:t.end]
			}
			a.add(fWord, newHasher(fWord).str(lemma), 1, lemma, "")
			a.add(fBigram, newHasher(fBigram).str(prev).byte(0).str(lemma), 1, prev, lemma)
			prev = lemma
		}
		if prev != "^" {
			a.add(fBigram, newHasher(fBigram).str(prev).byte(0).str("$"), 1, prev, "$")
		}
	}
}

// unit is one character position of the character n-grams: a rune, or a
// whole masked span.
type unit struct {
	r          rune
	start, end int
}

const maskRune = 0xE000 // private use: the masked span of maskRune+kind

// charFeatures adds the character bigrams and trigrams of the folded text,
// digits folded to 0, masked spans as one character each, whitespace
// breaking the sequence.
func (a *analysis) charFeatures() {
	fold := a.text.Fold
	var u [3]unit
	n := 0
	mi := 0
	for i := 0; i < len(fold); {
		r, size := utf8.DecodeRuneInString(fold[i:])
		next := unit{r, i, i + size}
		for mi < len(a.masks) && a.masks[mi].end <= i {
			mi++
		}
		if mi < len(a.masks) && a.masks[mi].start <= i {
			m := a.masks[mi]
			next = unit{maskRune + rune(m.kind), m.start, m.end}
		}
		i = next.end
		switch {
		case r == ' ' || r == '\n' || r == '\t':
			n = 0
			continue
		case r >= '0' && r <= '9':
			next.r = '0'
		}
		u[0], u[1], u[2] = u[1], u[2], next
		n++
		if n >= 2 {
			h := newHasher(fChar2).rune(u[1].r).rune(u[2].r)
			a.add(fChar2, h, 1, fold[u[1].start:u[2].end], "")
		}
		if n >= 3 {
			h := newHasher(fChar3).rune(u[0].r).rune(u[1].r).rune(u[2].r)
			a.add(fChar3, h, 1, fold[u[0].start:u[2].end], "")
		}
	}
}

// readingFeatures adds the character trigrams of each sentence read
// aloud: the words written with kanji by their readings (set by
// morph.setReadings), the rest as folded (katakana as hiragana), digits as
// 0; symbols and masked spans break the sequence. 自殺しよう, じさつしよう and
// ジサツシヨウ share them, which the character and lemma n-grams of the
// three spellings do not. A trigram is named by the folded text it was
// read from: its characters, or the whole of a word read.
func (a *analysis) readingFeatures() {
	fold := a.text.Fold
	var u [3]unit // r: the rune; start, end: the word it was read from
	n := 0
	mi := 0
	for _, sent := range a.sents {
		n = 0
		for i := sent.tokLo; i < sent.tokHi; i++ {
			t := &a.toks[i]
			for mi < len(a.masks) && a.masks[mi].end <= t.start {
				mi++
			}
			if t.pos == posSymbol || mi < len(a.masks) && a.masks[mi].start < t.end {
				n = 0
				continue
			}
			s, read := t.reading, true
			if s == "" {
				s, read = fold[t.start:t.end], false
			}
			for j, r := range s {
				switch {
				case r == ' ' || r == '\n' || r == '\t':
					n = 0
					continue
				case r >= '0' && r <= '9':
					r = '0'
				}
				next := unit{r, t.start, t.end} // a read word: all of it
				if !read {
					next = unit{r, t.start + j, t.start + j + utf8.RuneLen(r)}
				}
				u[0], u[1], u[2] = u[1], u[2], next
				if n++; n >= 3 {
					h := newHasher(fRead3).rune(u[0].r).rune(u[1].r).rune(u[2].r)
					a.add(fRead3, h, 1, fold[u[0].start:u[2].end], "")
				}
			}
		}
	}
}
