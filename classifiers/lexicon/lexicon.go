// Package lexicon holds the hotline's keyword lexicons and finds their terms
// in normalised report text.
//
// The lexicons are data files, embedded in the binary and returned by
// [Default]:
//
//   - illegal.tsv, critical_crime.tsv, suicide_inducement.tsv and
//     criminal_recruitment.tsv list the vocabulary of each positive
//     category, one "term<TAB>subcategory<TAB>weight" per line. The file
//     name is the category id; the subcategory is one of that category's
//     sub-type ids; the weight (0.1–3.0) says how strongly the term alone
//     indicates the sub-type.
//   - counter.tsv lists counter-evidence, "term<TAB>kind<TAB>weight", where
//     kind is one of [CounterKinds] (news of arrests, awareness campaigns,
//     support replies, business details, fiction, food).
//   - concept.tsv lists concepts, "term<TAB>concept<TAB>weight", where
//     concept is one of [Concepts]: words that mean little alone (譲る,
//     報酬, 住所, 一緒に) but whose pairs the classifier learns.
//   - userdict.csv is a kagome user dictionary that keeps the field's slang
//     in one token; see [UserDict] and [KagomeUserDict].
//
// In the TSV files a line whose first non-blank character is '#' is a
// comment, and blank lines are ignored. Terms are written in their natural
// spelling: [Load] passes every term through the same key function the
// classifier applies to report text (NFKC, kana folding, separator removal
// and so on), so a spelling variant that normalisation already covers needs
// no line of its own, and two terms that normalise to the same key in one
// category are an error.
//
// A [Lexicon] finds every occurrence of every key in one pass over the text
// with a byte-level Aho–Corasick automaton, compiled at load time to a DFA
// with one table lookup per input byte. Matching allocates nothing beyond
// what the callback does.
package lexicon

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/ikawaha/kagome-dict/dict"
)

// Counter is the Category of counter-evidence entries (counter.tsv); their
// Subcategory is the kind of counter-evidence.
const Counter = "counter"

// Concept is the Category of concept entries (concept.tsv); their
// Subcategory is the concept, one of [Concepts].
const Concept = "concept"

// Weight bounds: every entry's weight lies in [MinWeight, MaxWeight].
const (
	MinWeight = 0.1
	MaxWeight = 3.0
)

//go:embed data/*.tsv data/*.csv
var data embed.FS

//go:embed data/userdict.csv
var userDict string

// Default returns the embedded lexicon files: the *.tsv files for [Load]
// and userdict.csv.
func Default() fs.FS {
	sub, err := fs.Sub(data, "data")
	if err != nil {
		// fs.Sub fails only for an invalid directory name; "data" is valid.
		panic(err)
	}
	return sub
}

// UserDict returns the embedded kagome user dictionary (userdict.csv): one
// entry a line, "surface,segmentation,readings,pos", each surface kept as a
// single segment with POS カスタム名詞.
//
// kagome's dict.NewUserDict takes a file path, not a reader; to build a
// dictionary from this reader use dict.NewUserDicRecords and its
// NewUserDict method, or call [KagomeUserDict].
func UserDict() io.Reader { return strings.NewReader(userDict) }

// KagomeUserDict builds the embedded user dictionary for
// tokenizer.UserDict.
func KagomeUserDict() (*dict.UserDict, error) {
	recs, err := dict.NewUserDicRecords(UserDict())
	if err != nil {
		return nil, fmt.Errorf("lexicon: userdict.csv: %w", err)
	}
	ud, err := recs.NewUserDict()
	if err != nil {
		return nil, fmt.Errorf("lexicon: userdict.csv: %w", err)
	}
	return ud, nil
}

// CounterKinds returns the kinds of counter-evidence counter.tsv may use.
func CounterKinds() []string {
	return []string{"news", "awareness", "support", "business", "fiction", "food"}
}

func validCounterKind(kind string) bool { return slices.Contains(CounterKinds(), kind) }

// Concepts returns the concepts concept.tsv may use. A concept is a unit
// of meaning that says little alone but much in company: a weapon and a
// transfer make a gun sale, violence and payment a contract, death and
// togetherness an invitation to die together. The classifier pairs the
// concepts it finds in a text, so that paraphrases it never saw still meet
// the pairs it learnt.
func Concepts() []string {
	return []string{
		"weapon",      // guns, ammunition, blades
		"explosive",   // bombs, explosives, gunpowder
		"gas",         // toxic gas
		"drug",        // drugs and their code words
		"transfer",    // selling, buying, handing over, obtaining
		"violence",    // killing, hurting, abducting, burning, threatening
		"request",     // asking someone to do a thing, doing it for them
		"pay",         // reward, payment, high pay
		"locate",      // finding where a person lives or is
		"target",      // a person singled out (あいつ, 元カノ)
		"organ",       // organs and their donors
		"trafficking", // people sold, held or sent to work
		"death",       // dying and its euphemisms
		"together",    // doing a thing together, on one day, as a group
		"invite",      // recruiting, gathering, joining
		"method",      // a way, a tool, a sure or painless means
		"urge",        // urging or telling someone (to die, to go)
		"self",        // the writer speaking of themself
		"finance",     // accounts, cards, phones, SIMs, names
		"job",         // work, jobs, shifts
		"secret",      // hiding: no traces, no questions, other apps
		"illicit",     // unlicensed, unregistered, not legal, real
		"sex",         // sexual services
		"gamble",      // betting, casinos
		"lend",        // lending money
		"account",     // logins, passwords, accounts of services
		"cargo",       // parcels, carrying, collecting
		"elderly",     // old people and their homes: fraud's victims
		"robbery",     // breaking in, taking by force
	}
}

func validConcept(c string) bool { return slices.Contains(Concepts(), c) }

// Entry is one line of a lexicon file.
type Entry struct {
	// Term is the term as written in the file; Key is Term normalised by
	// the key function given to Load, the string Find looks for.
	Term, Key string
	// Category is the file's category id, or Counter for counter.tsv.
	Category string
	// Subcategory is the sub-type id, or for Counter the kind of
	// counter-evidence.
	Subcategory string
	// Weight is how strongly the term alone indicates its sub-type (or, for
	// Counter, speaks against a positive category), in [MinWeight, MaxWeight].
	Weight float64
}

// Match is one occurrence of an entry's key in the text given to Find.
type Match struct {
	Entry *Entry
	Index int // the entry's position in Entries()
	// Start and End are byte offsets of the key in the folded text:
	// folded[Start:End] == Entry.Key.
	Start, End int
}

// ParseError is a malformed line in a lexicon file.
type ParseError struct {
	File string // file name within the fs.FS given to Load
	Line int    // 1-based line number; 0 when the error concerns the whole file
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("lexicon: %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("lexicon: %s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Lexicon is a loaded set of entries and the automaton that finds them. It
// is immutable and safe for concurrent use.
type Lexicon struct {
	entries []Entry
	// bounds holds, per entry, whether the key starts / ends with an ASCII
	// letter or digit and so must not touch one in the text.
	bounds []uint8
	ac     automaton
}

const (
	boundLeft  uint8 = 1 << iota // key starts with an ASCII letter or digit
	boundRight                   // key ends with an ASCII letter or digit
)

// Load reads every *.tsv file at the top of fsys (in name order) and builds
// a Lexicon. The file name without ".tsv" is the category: one of the
// positive hotline categories, or Counter. key normalises each term into
// the form Find will see in the text; the classifier passes the same
// function it applies to report text. A nil key is the identity.
//
// Errors are *ParseError values naming the file and line.
func Load(fsys fs.FS, key func(string) string) (*Lexicon, error) {
	if key == nil {
		key = func(s string) string { return s }
	}
	names, err := fs.Glob(fsys, "*.tsv")
	if err != nil {
		return nil, fmt.Errorf("lexicon: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("lexicon: no *.tsv files")
	}
	sort.Strings(names)
	var entries []Entry
	for _, name := range names {
		entries, err = loadFile(fsys, name, key, entries)
		if err != nil {
			return nil, err
		}
	}
	l := &Lexicon{entries: entries, bounds: make([]uint8, len(entries))}
	keys := make([]string, len(entries))
	for i := range entries {
		k := entries[i].Key
		keys[i] = k
		if isASCIIAlnum(k[0]) {
			l.bounds[i] |= boundLeft
		}
		if isASCIIAlnum(k[len(k)-1]) {
			l.bounds[i] |= boundRight
		}
	}
	l.ac = buildAutomaton(keys)
	return l, nil
}

func loadFile(fsys fs.FS, name string, key func(string) string, entries []Entry) ([]Entry, error) {
	category := strings.TrimSuffix(path.Base(name), ".tsv")
	var validSub func(string) bool
	switch category {
	case Counter:
		validSub = validCounterKind
	case Concept:
		validSub = validConcept
	default:
		c, err := hotline.ParseCategory(category)
		if err != nil || c == hotline.None {
			return nil, &ParseError{File: name, Err: fmt.Errorf("file name is not a positive category id, %q or %q", Counter, Concept)}
		}
		validSub = func(sub string) bool { return hotline.ValidSubcategory(c, sub) }
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	defer f.Close()

	// key -> line, within this file (= category); a concept file may give
	// one key to several concepts, never twice to one.
	seen := make(map[string]int)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		perr := func(format string, args ...any) error {
			return &ParseError{File: name, Line: n, Err: fmt.Errorf(format, args...)}
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			return nil, perr("want 3 tab-separated fields (term, subcategory, weight), got %d", len(fields))
		}
		term := strings.TrimSpace(fields[0])
		sub := strings.TrimSpace(fields[1])
		if term == "" {
			return nil, perr("empty term")
		}
		if !validSub(sub) {
			return nil, perr("unknown subcategory %q for %s", sub, category)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(fields[2]), 64)
		if err != nil {
			return nil, perr("weight: %w", err)
		}
		if !(w >= MinWeight && w <= MaxWeight) {
			return nil, perr("weight %v outside [%v, %v]", w, MinWeight, MaxWeight)
		}
		k := key(term)
		if k == "" {
			return nil, perr("term %q normalises to the empty key", term)
		}
		sk := k
		if category == Concept {
			sk += "\t" + sub
		}
		if prev, dup := seen[sk]; dup {
			return nil, perr("term %q has the same key %q as line %d", term, k, prev)
		}
		seen[sk] = n
		entries = append(entries, Entry{Term: term, Key: k, Category: category, Subcategory: sub, Weight: w})
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	return entries, nil
}

// Entries returns a copy of every entry, in file-name then line order.
func (l *Lexicon) Entries() []Entry {
	return append([]Entry(nil), l.entries...)
}

// Len returns the number of entries.
func (l *Lexicon) Len() int { return len(l.entries) }

// Find calls fn for every occurrence of every entry's key in folded, the
// text already normalised by the key function given to Load. Occurrences
// are reported in order of their end offset, the longest first among those
// ending at the same byte; overlapping and nested occurrences of different
// keys are all reported, and an entry whose key is shared by several
// categories is reported once per entry.
//
// A key that begins (ends) with an ASCII letter or digit matches only where
// the text does not continue it with another ASCII letter or digit before
// (after) it, so "UD" is found in "UD募集" but not in "cloud". Since both
// key and text are UTF-8, matches always fall on rune boundaries.
func (l *Lexicon) Find(folded string, fn func(Match)) {
	ac := &l.ac
	s := int32(0)
	for i := 0; i < len(folded); i++ {
		s = ac.delta[s*ac.nclass+ac.class[folded[i]]]
		if s >= 0 {
			continue
		}
		s = ^s
		t := s
		if ac.states[t].outLo == ac.states[t].outHi {
			t = ac.states[t].dict
		}
		for ; t > 0; t = ac.states[t].dict {
			st := &ac.states[t]
			end := i + 1
			start := end - int(st.depth)
			for _, e := range ac.outs[st.outLo:st.outHi] {
				if b := l.bounds[e]; b != 0 {
					if b&boundLeft != 0 && start > 0 && isASCIIAlnum(folded[start-1]) {
						continue
					}
					if b&boundRight != 0 && end < len(folded) && isASCIIAlnum(folded[end]) {
						continue
					}
				}
				fn(Match{Entry: &l.entries[e], Index: int(e), Start: start, End: end})
			}
		}
	}
}

// AppendMatches appends every match Find reports to dst and returns the
// extended slice.
func (l *Lexicon) AppendMatches(dst []Match, folded string) []Match {
	l.Find(folded, func(m Match) { dst = append(dst, m) })
	return dst
}

func isASCIIAlnum(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}
