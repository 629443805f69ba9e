package classifiers

//go:generate go run ./internal/cmd/packdict -out model/ipa.dictpack

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/ipa"

	"github.com/hotline-jp/hotline/classifiers/internal/dictpack"
	"github.com/hotline-jp/hotline/classifiers/internal/viterbi"
	"github.com/hotline-jp/hotline/classifiers/lexicon"
	"github.com/hotline-jp/hotline/classifiers/textnorm"
)

// embeddedDictPath is the dictionary pack the classifier runs on: kagome's
// IPA dictionary without its contents, packed by `go generate` (see package
// dictpack) so that it loads in tens of milliseconds, not most of a second.
const embeddedDictPath = "model/ipa.dictpack"

// runtimeDict loads the dictionary the classifier runs on, once per process
// however many classifiers and goroutines ask: the embedded pack, or
// kagome's own IPA dictionary without contents if there is no pack.
var runtimeDict = sync.OnceValues(func() (*dict.Dict, error) {
	f, err := modelFS.Open(embeddedDictPath)
	if errors.Is(err, fs.ErrNotExist) {
		return ipa.DictShrink(), nil
	}
	if err == nil {
		defer f.Close()
		var d *dict.Dict
		if d, err = dictpack.DecodeReader(f); err == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("classifiers: embedded dictionary: %w", err)
})

// posClass is the coarse part of speech the features need.
type posClass uint8

const (
	posOther    posClass = iota
	posNoun              // 名詞
	posNumber            // 名詞,数
	posVerb              // 動詞
	posAdj               // 形容詞
	posAux               // 助動詞
	posParticle          // 助詞
	posAdverb            // 副詞
	posSymbol            // 記号
	posUser              // the user dictionary's slang (カスタム名詞)
)

func posClassOf(name string) posClass {
	switch name {
	case "名詞":
		return posNoun
	case "動詞":
		return posVerb
	case "形容詞":
		return posAdj
	case "助動詞":
		return posAux
	case "助詞":
		return posParticle
	case "副詞":
		return posAdverb
	case "記号":
		return posSymbol
	}
	return posOther
}

// token is one morpheme of a sentence. Its strings point into the analysed
// text or the dictionary: making a token allocates nothing.
type token struct {
	surface    string
	lemma      string // base form for inflected words the lemma table knows, else the surface
	reading    string // in hiragana, for words written with kanji the reading table knows and for slang; else ""
	start, end int    // byte offsets in the normalised text
	id         int32  // morph id for known words (posUser: user dictionary id), -1 otherwise
	pos        posClass
}

// morph is the morphological analyser: the best path through the lattice
// of the IPA dictionary with the lexicon's user dictionary, as kagome's
// tokenizer finds it (package viterbi finds the same path, faster). It is
// immutable and safe for concurrent use.
type morph struct {
	dict      *dict.Dict
	udict     *dict.UserDict
	seg       *viterbi.Segmenter
	bufs      sync.Pool  // *[]viterbi.Morpheme
	nameClass []posClass // by POS name id, for the first POS level
	numName   int        // name id of 数 (second level), -1 if absent
	unkClass  []posClass // by unknown-word id
	// userReading is the reading of each user dictionary entry in
	// hiragana, "" where it is spelt as read.
	userReading []string
}

// preloadDict loads the dictionary newMorph(nil) uses (see runtimeDict).
func preloadDict() { _, _ = runtimeDict() }

// newMorph builds the analyser over d, or when d is nil over the IPA
// dictionary without its contents (28 MB instead of 88 MB), loaded once per
// process by runtimeDict.
func newMorph(d *dict.Dict) (*morph, error) {
	if d == nil {
		var err error
		if d, err = runtimeDict(); err != nil {
			return nil, err
		}
	}
	ud, err := lexicon.KagomeUserDict()
	if err != nil {
		return nil, fmt.Errorf("classifiers: %w", err)
	}
	seg, err := viterbi.New(d, ud)
	if err != nil {
		return nil, fmt.Errorf("classifiers: %w", err)
	}
	m := &morph{dict: d, udict: ud, seg: seg, numName: -1}
	m.bufs.New = func() any { return new([]viterbi.Morpheme) }
	m.userReading = make([]string, len(ud.Contents))
	for i, c := range ud.Contents {
		if r := toHiragana(strings.Join(c.Yomi, "")); r != toHiragana(textnorm.Normalize(strings.Join(c.Tokens, "")).Fold) {
			m.userReading[i] = r
		}
	}
	m.nameClass = make([]posClass, len(d.POSTable.NameList))
	for i, n := range d.POSTable.NameList {
		m.nameClass[i] = posClassOf(n)
		if n == "数" {
			m.numName = i
		}
	}
	start := 0
	if v, ok := d.UnkDict.ContentsMeta[dict.POSStartIndex]; ok {
		start = int(v)
	}
	m.unkClass = make([]posClass, len(d.UnkDict.Contents))
	for i, c := range d.UnkDict.Contents {
		if start < len(c) {
			m.unkClass[i] = posClassOf(c[start])
		}
	}
	return m, nil
}

// tokenize appends the morphemes of sentence, which starts at byte offset
// base of the normalised text, to dst. Lemmas come from lemmas.
func (m *morph) tokenize(dst []token, sentence string, base int, lemmas *lemmaTable) []token {
	if sentence == "" {
		return dst
	}
	buf := m.bufs.Get().(*[]viterbi.Morpheme)
	defer m.bufs.Put(buf)
	*buf = m.seg.Segment((*buf)[:0], sentence)
	for _, n := range *buf {
		t := token{
			surface: sentence[n.Start:n.End],
			start:   base + int(n.Start),
			end:     base + int(n.End),
			id:      -1,
		}
		t.lemma = t.surface
		switch n.Class {
		case viterbi.Known:
			t.id = n.ID
			if pos := m.dict.POSTable.POSs[n.ID]; len(pos) > 0 {
				t.pos = m.nameClass[pos[0]]
				if t.pos == posNoun && len(pos) > 1 && int(pos[1]) == m.numName {
					t.pos = posNumber
				}
			}
			if t.pos == posVerb || t.pos == posAdj || t.pos == posAux {
				if l, ok := lemmas.lookup(t.id); ok {
					t.lemma = l
				}
			}
		case viterbi.Unknown:
			if int(n.ID) < len(m.unkClass) {
				t.pos = m.unkClass[n.ID]
			}
		case viterbi.User:
			t.pos = posUser
			t.id = n.ID // in the user dictionary
		}
		if t.pos == posNoun || t.pos == posOther {
			if allDigits(t.surface) {
				t.pos = posNumber
			}
		}
		dst = append(dst, t)
	}
	return dst
}

// setReadings gives the tokens written with kanji their readings, from
// the reading table (known words) or the user dictionary (slang), so that
// the reading features see 自殺 and a respelt じさつ or ジサツ alike.
func (m *morph) setReadings(toks []token, readings *lemmaTable) {
	for i := range toks {
		t := &toks[i]
		switch {
		case t.pos == posUser:
			if int(t.id) < len(m.userReading) {
				t.reading = m.userReading[t.id]
			}
		case t.id >= 0:
			t.reading, _ = readings.lookup(t.id)
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// lemmaTable maps the morph ids of inflected dictionary words to their base
// forms. The model carries the table, restricted to the base forms it was
// trained on, so that the classifier can run on the dictionary without its
// contents (a third of the memory) and still reduce 死に, 死ね, 死の to 死ぬ.
type lemmaTable struct {
	ids    []int32  // strictly increasing
	lemmas []uint32 // index into forms, parallel to ids
	forms  []string

	// The ids as a rank dictionary, made by index: bit id of has is set
	// for every id in ids, and rank[w] counts the ids below word w, so
	// that an id's place in ids is a count of bits, not a search. It
	// takes three sixteenths of a byte per dictionary morph.
	has  []uint64
	rank []uint32
}

// index builds has and rank from ids; every table is indexed once it is
// made or read, before it is shared.
func (t *lemmaTable) index() {
	t.has, t.rank = nil, nil
	if len(t.ids) == 0 {
		return
	}
	words := int(t.ids[len(t.ids)-1])>>6 + 1
	t.has = make([]uint64, words)
	t.rank = make([]uint32, words)
	for _, id := range t.ids {
		t.has[id>>6] |= 1 << (id & 63)
	}
	n := uint32(0)
	for w, x := range t.has {
		t.rank[w] = n
		n += uint32(bits.OnesCount64(x))
	}
}

func (t *lemmaTable) lookup(id int32) (string, bool) {
	if t == nil || id < 0 || int(id>>6) >= len(t.has) {
		return "", false
	}
	w, bit := t.has[id>>6], uint64(1)<<(id&63)
	if w&bit == 0 {
		return "", false
	}
	i := t.rank[id>>6] + uint32(bits.OnesCount64(w&(bit-1)))
	return t.forms[t.lemmas[i]], true
}

// dictContents reads base forms and readings from a full dictionary (with
// contents): the source of the lemma table and of the derived lexicon at
// training.
type dictContents struct {
	m          *morph
	baseIdx    int // index of the base form in the contents, after the POS levels
	readingIdx int
}

func newDictContents(m *morph) (*dictContents, error) {
	d := m.dict
	if len(d.Contents) != len(d.Morphs) {
		return nil, fmt.Errorf("classifiers: training needs the full IPA dictionary (with contents)")
	}
	b, ok := d.ContentsMeta[dict.BaseFormIndex]
	if !ok {
		return nil, fmt.Errorf("classifiers: dictionary has no base form column")
	}
	h, ok := d.ContentsMeta[dict.POSHierarchy]
	if !ok {
		return nil, fmt.Errorf("classifiers: dictionary has no POS hierarchy")
	}
	r, ok := d.ContentsMeta[dict.ReadingIndex]
	if !ok {
		return nil, fmt.Errorf("classifiers: dictionary has no reading column")
	}
	return &dictContents{m: m, baseIdx: int(b) - int(h), readingIdx: int(r) - int(h)}, nil
}

// of returns the base form of morph id if it is an inflected word.
func (b *dictContents) of(id int32) (string, bool) {
	c := b.m.dict.Contents[id]
	if len(c) <= b.baseIdx || c[0] == "*" {
		return "", false
	}
	return c[b.baseIdx], true
}

// table builds the lemma table for every inflected word whose base form is
// in keep.
func (b *dictContents) table(keep map[string]bool) *lemmaTable {
	forms := make([]string, 0, len(keep))
	for f := range keep {
		forms = append(forms, f)
	}
	slices.Sort(forms)
	index := make(map[string]uint32, len(forms))
	for i, f := range forms {
		index[f] = uint32(i)
	}
	t := &lemmaTable{forms: forms}
	for id := range b.m.dict.Contents {
		if f, ok := b.of(int32(id)); ok {
			if i, ok := index[f]; ok {
				t.ids = append(t.ids, int32(id))
				t.lemmas = append(t.lemmas, i)
			}
		}
	}
	t.index()
	return t
}

// tokenizeText normalises text and tokenises it sentence by sentence into
// a.toks, without lemmas (for building the model's tables at training).
func (a *analysis) tokenizeText(m *morph, text string) {
	a.text = textnorm.Normalize(text)
	a.splitSentences()
	a.toks = a.toks[:0]
	for _, s := range a.sents {
		a.toks = m.tokenize(a.toks, a.text.Norm[s.start:s.end], s.start, nil)
	}
}

// readingTable builds the reading table, in hiragana, of the known words
// written with kanji (or other non-kana) among the tokens of items: a word
// spelt in kana reads as it is spelt.
func (b *dictContents) readingTable(items []Item) *lemmaTable {
	readings := map[int32]string{}
	a := &analysis{}
	for _, it := range items {
		a.tokenizeText(b.m, it.Text)
		for _, t := range a.toks {
			if t.id < 0 || t.pos == posUser || t.pos == posSymbol || t.pos == posNumber || isKana(t.surface) {
				continue
			}
			if _, ok := readings[t.id]; ok {
				continue
			}
			if r, ok := b.tokenReading(t); ok && isKana(r) {
				readings[t.id] = toHiragana(r)
			}
		}
	}
	forms := map[string]uint32{}
	t := &lemmaTable{}
	ids := slices.Sorted(maps.Keys(readings))
	for _, id := range ids {
		r := readings[id]
		f, ok := forms[r]
		if !ok {
			f = uint32(len(t.forms))
			forms[r] = f
			t.forms = append(t.forms, r)
		}
		t.ids = append(t.ids, id)
		t.lemmas = append(t.lemmas, f)
	}
	t.index()
	return t
}

// reading returns the reading of norm (a normalised text) in katakana, from
// the reading of each of its words (see tokenReading). It fails if a word
// has none.
func (b *dictContents) reading(norm string) (string, bool) {
	var sb strings.Builder
	for _, t := range b.m.tokenize(nil, norm, 0, nil) {
		r, ok := b.tokenReading(t)
		if !ok {
			return "", false
		}
		sb.WriteString(r)
	}
	return sb.String(), sb.Len() > 0
}

// tokenReading returns a token's reading in katakana: the dictionary's for
// a known word, the user dictionary's for slang, the surface (in katakana)
// for an unknown word written in kana. It fails for unknown words in other
// scripts.
func (b *dictContents) tokenReading(t token) (string, bool) {
	switch {
	case t.pos == posUser:
		return strings.Join(b.m.udict.Contents[t.id].Yomi, ""), true
	case t.id >= 0:
		c := b.m.dict.Contents[t.id]
		if len(c) <= b.readingIdx || c[b.readingIdx] == "*" || c[b.readingIdx] == "" {
			return "", false
		}
		return c[b.readingIdx], true
	case isKana(t.surface):
		return toKatakana(t.surface), true
	}
	return "", false
}

func isKana(s string) bool {
	for _, r := range s {
		if !(r >= 'ぁ' && r <= 'ゖ' || r >= 'ァ' && r <= 'ヺ' || r == 'ー') {
			return false
		}
	}
	return s != ""
}
