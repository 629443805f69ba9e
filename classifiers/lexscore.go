package classifiers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/hotline-jp/hotline/classifiers/lexicon"
	"github.com/hotline-jp/hotline/classifiers/textnorm"
	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Category indices, in the order of hotline.Categories.
const (
	catIllegal = iota
	catCritical
	catSuicide
	catRecruitment
	catNone
	nCat
	nPos = catNone // the positive categories come first
)

// conceptGroup is the hit group of the first concept: each concept is a
// group of its own, after the positive categories (0..nPos-1) and the
// counter-evidence (nPos).
const conceptGroup = nPos + 1

// subLabel is a sub-type: of a positive category, or for none the kind of
// text.
type subLabel struct {
	cat  int
	name string
}

// labels are the classes the classifier knows, in a fixed order.
type labels struct {
	cats     []hotline.Category
	subs     []subLabel     // every sub-type of every category, in hotline order
	subIndex map[string]int // "category/sub" -> index in subs
	kinds    []string       // counter-evidence kinds
	concepts []string       // lexicon.Concepts
}

func newLabels() *labels {
	l := &labels{cats: hotline.Categories(), subIndex: map[string]int{}, kinds: lexicon.CounterKinds(), concepts: lexicon.Concepts()}
	for ci, c := range l.cats {
		for _, s := range hotline.Subcategories(c) {
			l.subIndex[string(c)+"/"+s] = len(l.subs)
			l.subs = append(l.subs, subLabel{ci, s})
		}
	}
	return l
}

func (l *labels) catIndex(c hotline.Category) int { return slices.Index(l.cats, c) }

// counterEffect says how much one unit of counter-evidence of a kind
// reduces the rule score of a positive category. News and awareness posts
// speak about every kind of content; support replies answer distress;
// business details mark legitimate employers and lenders; fiction tells of
// crimes and deaths; food explains 野菜, アイス and the like.
func counterEffect(kind string, cat int) float64 {
	switch kind {
	case "news", "awareness":
		return 1
	case "support":
		if cat == catSuicide {
			return 1
		}
		return 0.5
	case "business":
		switch cat {
		case catRecruitment:
			return 1
		case catIllegal:
			return 0.7
		}
		return 0.3
	case "fiction":
		switch cat {
		case catCritical, catSuicide:
			return 1
		}
		return 0.5
	case "food":
		if cat == catIllegal {
			return 1
		}
		return 0.2
	}
	return 0
}

// ruleThreshold is the net lexicon score at which the rules call a text
// positive.
const ruleThreshold = 1.5

// entryKey identifies a lexicon entry: its key in its category, and for a
// concept the concept too (one key may mean several concepts).
type entryKey struct{ key, category, concept string }

func keyOf(key, category, sub string) entryKey {
	if category == lexicon.Concept {
		return entryKey{key, category, sub}
	}
	return entryKey{key, category, ""}
}

// infoOf says where an entry of category and sub counts; ok is false for
// an unknown category or sub-type.
func (lb *labels) infoOf(category, sub string) (inf entryInfo, ok bool) {
	switch category {
	case lexicon.Counter:
		inf = entryInfo{group: nPos, sub: slices.Index(lb.kinds, sub)}
	case lexicon.Concept:
		c := slices.Index(lb.concepts, sub)
		inf = entryInfo{group: conceptGroup + c, sub: c}
	default:
		inf = entryInfo{group: lb.catIndex(hotline.Category(category)), sub: -1}
		if i, ok := lb.subIndex[category+"/"+sub]; ok {
			inf.sub = i
		}
	}
	return inf, inf.group >= 0 && inf.sub >= 0
}

// entryInfo is where a lexicon entry counts: group is the category index
// for a positive category, nPos for counter-evidence, conceptGroup plus the
// concept's index for a concept; sub is the sub-type index in labels.subs,
// the counter kind's index in labels.kinds, or the concept's index in
// labels.concepts.
type entryInfo struct {
	group int
	sub   int
	term  string // for a derived entry, the term it was derived from
}

// lexIndex is the loaded lexicon with what the classifier needs to score
// its matches.
type lexIndex struct {
	lex     *lexicon.Lexicon
	derived *lexicon.Lexicon // the model's derived entries (readings, 当て字); may be nil
	info    map[entryKey]entryInfo
	// lexInfo and derivedInfo are info's values for the entries of lex
	// and derived by their index: match looks each up without hashing its
	// key.
	lexInfo, derivedInfo []entryInfo
	effect               [][nPos]float64 // by counter kind
	sha256               string          // of the lexicon files, recorded in the model
}

func newLexIndex(fsys fs.FS, lb *labels) (*lexIndex, error) {
	if fsys == nil {
		fsys = lexicon.Default()
	}
	lex, err := lexicon.Load(fsys, textnorm.Key)
	if err != nil {
		return nil, fmt.Errorf("classifiers: %w", err)
	}
	sum, err := lexiconHash(fsys)
	if err != nil {
		return nil, err
	}
	x := &lexIndex{lex: lex, info: make(map[entryKey]entryInfo, lex.Len()), sha256: sum}
	for _, e := range lex.Entries() {
		inf, ok := lb.infoOf(e.Category, e.Subcategory)
		if !ok {
			return nil, fmt.Errorf("classifiers: lexicon entry %q: unknown %s/%s", e.Term, e.Category, e.Subcategory)
		}
		x.info[keyOf(e.Key, e.Category, e.Subcategory)] = inf
	}
	x.lexInfo = x.infoByIndex(lex)
	x.effect = make([][nPos]float64, len(lb.kinds))
	for k, kind := range lb.kinds {
		for c := range nPos {
			x.effect[k][c] = counterEffect(kind, c)
		}
	}
	return x, nil
}

// lexiconHash is the SHA-256 of the lexicon's *.tsv files, in name order.
func lexiconHash(fsys fs.FS) (string, error) {
	names, err := fs.Glob(fsys, "*.tsv")
	if err != nil {
		return "", fmt.Errorf("classifiers: lexicon: %w", err)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", fmt.Errorf("classifiers: lexicon: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hit is one lexicon match in the folded text.
type hit struct {
	entry      *lexicon.Entry
	start, end int // in the folded (= normalised) text
	entryInfo
	kept    bool // counts: not overlapped by a stronger hit of its group
	denial  int  // bytes after end that deny the term (闇バイトではありません)
	mention bool // the term is quoted or named (「即日即金」という投稿), not used
}

// mentionWeight is the share of its weight a term counts for when the text
// only quotes or names it, as warnings and news do: 「荷物を受け取るだけ」
// などの言葉に注意.
const mentionWeight = 0.5

// isMention reports whether the hit at fold[start:end] is quoted (inside
// 「」, 『』, “” or "" not far away) or named (followed by という, といった,
// などの, 等の, なんて).
func isMention(fold string, start, end int) bool {
	rest := fold[end:]
	for _, p := range [...]string{"という", "といった", "などの", "などと", "等の", "なんて", "とかいう"} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	const reach = 90 // bytes: about 30 characters
	open := false
	for i := start - 1; i >= max(0, start-reach); i-- {
		switch c := fold[i]; {
		case c == '"':
			open = true
		case strings.HasPrefix(fold[i:], "「"), strings.HasPrefix(fold[i:], "『"), strings.HasPrefix(fold[i:], "“"):
			open = true
		case strings.HasPrefix(fold[i:], "」"), strings.HasPrefix(fold[i:], "』"), strings.HasPrefix(fold[i:], "”"):
		default:
			continue
		}
		break
	}
	if !open {
		return false
	}
	for i := end; i < min(len(fold), end+reach); i++ {
		switch c := fold[i]; {
		case c == '"', strings.HasPrefix(fold[i:], "」"), strings.HasPrefix(fold[i:], "』"), strings.HasPrefix(fold[i:], "”"):
			return true
		case strings.HasPrefix(fold[i:], "「"), strings.HasPrefix(fold[i:], "『"), strings.HasPrefix(fold[i:], "“"):
			return false
		}
	}
	return false
}

// denialWeight is added for a recruitment or illegal term the text denies:
// 「闇バイトではありません」 reassures a recruit, it does not warn.
const denialWeight = 1.0

// denialAfter returns the length of a denial at the start of rest (the
// folded text after a term): an optional とか/なんか/など, then では or じゃ,
// then ない, ありません or ございません.
func denialAfter(rest string) int {
	n := 0
	for _, p := range [...]string{"とか", "なんか", "など"} {
		if strings.HasPrefix(rest, p) {
			n = len(p)
			break
		}
	}
	if !strings.HasPrefix(rest[n:], "では") && !strings.HasPrefix(rest[n:], "じゃ") {
		return 0
	}
	n += len("では") // = len("じゃ")
	for _, p := range [...]string{"ない", "ありません", "ございません"} {
		if strings.HasPrefix(rest[n:], p) {
			return n + len(p)
		}
	}
	return 0
}

// lexScores sums the hits of a text.
type lexScores struct {
	cat     [nPos]float64 // per positive category
	mention [nPos]float64 // per positive category, of the hits only mentioned
	sub     []float64     // per sub-type (labels.subs)
	counter []float64     // per counter kind
	net     [nPos]float64 // cat reduced by the counter-evidence that concerns it
	concept []float64     // per concept (labels.concepts)
}

func (s *lexScores) reset(lb *labels) {
	s.cat = [nPos]float64{}
	s.mention = [nPos]float64{}
	s.net = [nPos]float64{}
	s.sub = resize(s.sub, len(lb.subs))
	s.counter = resize(s.counter, len(lb.kinds))
	s.concept = resize(s.concept, len(lb.concepts))
}

// resize returns s with length n, zeroed, reusing its storage.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// match finds the lexicon terms in fold, keeps the strongest of each group
// of overlapping hits, and sums them into sc.
func (x *lexIndex) match(hits []hit, fold string, sc *lexScores) []hit {
	hits = hits[:0]
	x.lex.Find(fold, func(m lexicon.Match) {
		hits = append(hits, hit{entry: m.Entry, start: m.Start, end: m.End, entryInfo: x.lexInfo[m.Index]})
	})
	if x.derived != nil {
		x.derived.Find(fold, func(m lexicon.Match) {
			hits = append(hits, hit{entry: m.Entry, start: m.Start, end: m.End, entryInfo: x.derivedInfo[m.Index]})
		})
	}
	// Within a group, the strongest (then longest, then first) hit wins
	// the bytes it covers.
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		if c := cmp.Compare(b.entry.Weight, a.entry.Weight); c != 0 {
			return c
		}
		if c := cmp.Compare(b.end-b.start, a.end-a.start); c != 0 {
			return c
		}
		return cmp.Compare(a.start, b.start)
	})
	for i := range hits {
		h := &hits[i]
		h.kept = true
		for j := i - 1; j >= 0 && hits[j].group == h.group; j-- {
			if o := &hits[j]; o.kept && o.start < h.end && h.start < o.end {
				h.kept = false
				break
			}
		}
		if !h.kept {
			continue
		}
		w := h.entry.Weight
		if h.group >= conceptGroup {
			sc.concept[h.sub] += w
			continue
		}
		if h.group == catRecruitment || h.group == catIllegal {
			if h.denial = denialAfter(fold[h.end:]); h.denial > 0 {
				w += denialWeight
			}
		}
		if h.group != nPos && isMention(fold, h.start, h.end+h.denial) {
			h.mention = true
			sc.mention[h.group] += w
			w *= mentionWeight
		}
		if h.group == nPos {
			sc.counter[h.sub] += w
		} else {
			sc.cat[h.group] += w
			sc.sub[h.sub] += w
		}
	}
	for c := range nPos {
		n := sc.cat[c]
		for k, v := range sc.counter {
			n -= x.effect[k][c] * v
		}
		sc.net[c] = n
	}
	// Back to text order for the evidence.
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(b.end, a.end)
	})
	return hits
}

// DerivedEntry is a lexicon entry that training derived from a term of the
// lexicon files and that the model carries: the term's kana reading
// (一緒に死にませんか -> いっしょにしにませんか, for texts spelt in kana to
// dodge filters) or an 当て字 variant (死 -> タヒ).
type DerivedEntry struct {
	Category    string  `json:"category"` // a positive category id, or "counter"
	Subcategory string  `json:"subcategory"`
	Key         string  `json:"key"`  // already normalised (textnorm.Key)
	Term        string  `json:"term"` // the lexicon term it comes from
	Weight      float64 `json:"weight"`
}

// withDerived returns a copy of x that also finds the derived entries. An
// entry whose key the lexicon files already have in its category is
// skipped; of several derived entries with one key, the heaviest is kept.
func (x *lexIndex) withDerived(entries []DerivedEntry, lb *labels) (*lexIndex, error) {
	y := &lexIndex{lex: x.lex, info: make(map[entryKey]entryInfo, len(x.info)+len(entries)), lexInfo: x.lexInfo, effect: x.effect, sha256: x.sha256}
	for k, v := range x.info {
		y.info[k] = v
	}
	best := map[entryKey]DerivedEntry{}
	var order []entryKey
	for _, e := range entries {
		k := keyOf(e.Key, e.Category, e.Subcategory)
		if _, ok := x.info[k]; ok {
			continue
		}
		old, seen := best[k]
		if !seen {
			order = append(order, k)
		}
		if !seen || e.Weight > old.Weight {
			best[k] = e
		}
	}
	if len(order) == 0 {
		return y, nil
	}
	files := map[string]*strings.Builder{}
	for _, k := range order {
		e := best[k]
		inf, ok := lb.infoOf(e.Category, e.Subcategory)
		if !ok || strings.ContainsAny(e.Key, "\t\n") {
			return nil, fmt.Errorf("classifiers: derived lexicon entry %q: unknown %s/%s", e.Key, e.Category, e.Subcategory)
		}
		inf.term = e.Term
		y.info[k] = inf
		b := files[e.Category+".tsv"]
		if b == nil {
			b = &strings.Builder{}
			files[e.Category+".tsv"] = b
		}
		fmt.Fprintf(b, "%s\t%s\t%g\n", e.Key, e.Subcategory, e.Weight)
	}
	fsys := fstest.MapFS{}
	for name, b := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(b.String())}
	}
	lex, err := lexicon.Load(fsys, nil)
	if err != nil {
		return nil, fmt.Errorf("classifiers: derived lexicon: %w", err)
	}
	y.derived = lex
	y.derivedInfo = y.infoByIndex(lex)
	return y, nil
}

// infoByIndex returns info's value for each entry of lex, by its index.
func (x *lexIndex) infoByIndex(lex *lexicon.Lexicon) []entryInfo {
	es := lex.Entries()
	out := make([]entryInfo, len(es))
	for i, e := range es {
		out[i] = x.info[keyOf(e.Key, e.Category, e.Subcategory)]
	}
	return out
}
