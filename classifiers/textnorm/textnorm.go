// Package textnorm normalises reported web text so that the classifier sees
// through the spellings used to dodge keyword filters, and keeps a map back
// to the original text so that evidence spans point at what the reporter
// actually wrote.
//
// Normalize produces two forms of a text. Norm, for morphological analysis:
//
//   - NFKC: full-width alphanumerics (ＵＤ), half-width kana (ﾔﾐﾊﾞｲﾄ, where
//     ﾊﾞ is two runes composing to one), circled and enclosed characters,
//     compatibility ideographs and squared words (㍻) are folded. Spacing
//     ゛ and ゜ compose with the kana before them (ハ゛イト -> バイト); other
//     spacing diacritics are kept as they are rather than split into a
//     space and a combining mark.
//   - Letters are lower-cased.
//   - Zero-width and other invisible format characters, variation selectors
//     (❄️ -> ❄), control characters and hashtag marks (#, ＃) are dropped,
//     and so are combining marks left after NFKC on a Japanese character or
//     a Latin letter or digit (strikethrough 闇̶バ̶イ̶ト̶, "zalgo" text,
//     keycaps 1️⃣): NFKC has composed those that form a character.
//   - A filler, the same one or two characters (an emoji or other symbol, a
//     letter, brackets) put between every two of at least four
//     single Japanese characters, is dropped: 闇🔥バ🔥イ🔥ト, 【受】【け】【子】
//     and (一)(緒)(に) become 闇バイト, 受け子 and (一緒に) (see fillers).
//   - Whitespace and separator symbols (/ | . * _ - ~ + = ・ ‐ — ★ ☆ ♪ ◆ ●
//     ※ and similar) next to a Japanese character or an emoji are removed:
//     闇 バ イ ト, 受/け/子, 闇\nバイト, ＵＤ 募集 and 🥦 ❄️ become 闇バイト,
//     受け子, 闇バイト, ud募集 and 🥦❄. Between one-letter Latin tokens
//     they are removed too (U・D, U D -> ud), except inside what looks like
//     a URL or mail address. Elsewhere a whitespace run becomes one space,
//     symbols are kept, and leading and trailing whitespace is trimmed.
//   - A run of 3 or more of the same character becomes one (しにたいいいい ->
//     しにたい, ！！！！ -> !); Latin letters and digits are exempt
//     (www, 100000円), and doubles are kept.
//   - The long vowel mark ー is part of words and never removed; a run of
//     ー becomes one ー, and a run of 〜 or ～ right after a kana and not
//     followed by a Japanese character is a long vowel too (ね〜 -> ねー).
//     Elsewhere 〜 is a separator (し〜に〜た〜い -> しにたい) or, between
//     non-Japanese characters, ~ (10〜20 -> 10~20).
//
// Fold, for lexicon matching, is Norm with katakana folded to hiragana
// (ァ..ヶ, ヽ ヾ), so that ヤミバイト, ﾔﾐﾊﾞｲﾄ and やみばいと compare equal.
// Fold has exactly the byte length of Norm and the same offsets.
//
// Key applies the same normalisation to a lexicon term, so that a term that
// occurs in a text under any handled spelling is a substring of that text's
// Fold. Text.Span maps a byte range of Norm (or Fold) back to the range of
// Orig that produced it.
//
// A text written mostly in romaji (issho ni shinimasen ka) is written again
// in hiragana in Norm and Fold (いっしょにしにませんか); see romaji.go. A
// kanji that imitates a katakana between two katakana (ス力ウト, サ一ビス) is
// written as that katakana; see lookalike.go.
//
// Limits: kanji and their kana readings are not unified (闇バイト and
// やみバイト are different keys), nor are 当て字; small and large kana are
// distinct. Normalize never panics: invalid UTF-8 bytes become U+FFFD
// in Norm and map back to the invalid byte itself.
package textnorm

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is a reported text in normalised forms, with offsets back to the original.
type Text struct {
	Orig string // the original text, unchanged
	Norm string // for morphological analysis (see the package comment)
	Fold string // for lexicon matching: Norm with katakana folded to hiragana; same byte length and offsets as Norm

	// spans holds one entry per rune of Norm, in order: the rune's byte
	// offset in Norm and the byte range of Orig that produced it. Both the
	// start and the end offsets into Orig are non-decreasing.
	spans []span
}

type span struct {
	norm   int // byte offset of the rune in Norm (and Fold)
	os, oe int // byte range in Orig
}

// Normalize normalises s. See the package comment for what is done.
func Normalize(s string) Text { return NormalizeReusing(s, Text{}) }

// NormalizeReusing is Normalize, reusing the memory of old's map back to
// the original text, which the caller must not use again: for callers
// that normalise one text after another, such as a pool of analyses.
func NormalizeReusing(s string, old Text) Text {
	var n normalizer
	n.spans = old.spans[:0]
	n.init(s, true)
	n.process()
	return n.text()
}

// Key normalises a lexicon term exactly as Normalize does for Fold, for
// building matchers: if the term occurs in a text in any spelling the package
// handles, Key(term) is a substring of Normalize(text).Fold. Terms that begin
// or end with a separator or a wave dash depend on their context and may not
// match; a term with nothing left (only spaces, say) gives "", which a
// matcher should skip.
func Key(term string) string {
	var n normalizer
	n.init(term, false)
	n.process()
	return n.text().Fold
}

// Span maps the byte range [start, end) of Norm (equivalently of Fold) to the
// byte range of Orig that produced it. Out-of-range or reversed arguments are
// clamped. The result is always a valid range on rune boundaries of Orig. A
// non-empty range covers every original character that contributed to the
// normalised runes it touches (including anything removed between them); an
// empty range maps to an empty range at the corresponding Orig position.
func (t Text) Span(start, end int) (origStart, origEnd int) {
	if len(t.spans) == 0 {
		return 0, 0
	}
	n := len(t.Norm)
	start = min(max(start, 0), n)
	end = min(max(end, start), n)
	if start == end {
		if start == n {
			x := t.spans[len(t.spans)-1].oe
			return x, x
		}
		x := t.spans[t.entry(start)].os
		return x, x
	}
	return t.spans[t.entry(start)].os, t.spans[t.entry(end-1)].oe
}

// entry returns the index of the span entry of the Norm rune containing byte p.
func (t Text) entry(p int) int {
	i := sort.Search(len(t.spans), func(i int) bool { return t.spans[i].norm > p })
	return max(i-1, 0)
}

// item is a rune flowing through the pipeline with the range of the original
// text it came from.
type item struct {
	r      rune
	os, oe int
}

// normalizer runs a single pass over the input. Runes flow through these
// stages, each a method that may hold back a little lookahead:
//
//	NFKC segments -> pushA (drop invisibles, lower-case, compose dakuten)
//	              -> pushB (separators and whitespace, by context)
//	              -> pushC (collapse repeats)
//	              -> emit  (write Norm and the span map)
type normalizer struct {
	src       string
	withSpans bool
	out       strings.Builder
	spans     []span
	hasKata   bool       // Norm contains katakana that Fold must fold
	collect   *[]byte    // tests only: collect the NFKC output instead of normalising
	iter      *norm.Iter // for segments that need full NFKC; allocated on first use
	nfkcBuf   []byte     // NFKC output of the current segment, reused

	// stage A: one rune held back so a following (han)dakuten can compose with it
	held    item
	hasHeld bool
	fill    [][2]int // the input's fillers (see fillers), dropped
	fillAt  int      // the first that may still come

	// stage B
	prevCls    class // class of the last non-separator rune (clsEdge at the start)
	prevRune   rune  // the last non-separator rune
	prevKana   bool  // it is kana or ー
	tokLen     int   // length of the letter/digit token ending with it
	urlish     bool  // inside what looks like a URL or mail address: keep a_b, a.b
	seps       sepRun
	allWave    bool // every pending separator is 〜 or ~
	leftSingle bool // the pending run follows a one-letter token
	cand       item // a letter after the run, waiting to learn whether it is a one-letter token
	hasCand    bool

	// stage C
	run    item // first rune of the current run of equal runes
	run2   item // second rune of the run
	runN   int
	runEnd int // end offset of the run's last rune
}

// sepRun is the pending run of separators, whitespace merged into one ' '
// item. It lives inside the normalizer (no allocation) unless it grows long.
type sepRun struct {
	n    int
	arr  [16]item
	more []item
}

func (r *sepRun) len() int { return r.n }

func (r *sepRun) at(i int) *item {
	if i < len(r.arr) {
		return &r.arr[i]
	}
	return &r.more[i-len(r.arr)]
}

func (r *sepRun) add(it item) {
	if r.n < len(r.arr) {
		r.arr[r.n] = it
	} else {
		r.more = append(r.more, it)
	}
	r.n++
}

func (r *sepRun) reset() {
	r.n = 0
	r.more = r.more[:0]
}

func (n *normalizer) init(s string, withSpans bool) {
	n.src = s
	n.fill = fillers(s, n.fill[:0])
	n.withSpans = withSpans
	n.prevCls = clsEdge
	// Norm is rarely longer than the input; Fold may follow it in the same buffer.
	n.out.Grow(2*len(s) + 8)
	if withSpans {
		// One span a character of Norm: about as many as the input has,
		// never more than its bytes but for a few expansions (no pass to
		// count them: the memory is reused).
		n.spans = slices.Grow(n.spans[:0], len(s)+len(s)/8+4)
	}
}

// process cuts the input into NFKC segments (a character and any following
// characters that may combine with it) and passes each on with its input
// range. Common characters whose NFKC form simpleNFKC knows, and characters
// with no decomposition that cannot combine with what precedes them, start a
// new segment and are passed on directly; segments with anything else are
// normalised with norm.NFKC. Invalid bytes become U+FFFD.
func (n *normalizer) process() {
	s := n.src
	start := 0        // start of the segment being collected
	var single rune   // NFKC of s[start:i] if it is one simple rune
	isSingle := false // whether it is
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				n.flushSeg(start, i, single, isSingle)
				n.pushA(item{utf8.RuneError, i, i + 1})
				i++
				start, isSingle = i, false
				continue
			}
		}
		if isSingle && isVoicingMark(r) {
			// ﾊﾞ, ハ\u3099: compose as NFKC would, without the slow path.
			if c, ok := composeMark(single, r); ok {
				single = c
				i += size
				continue
			}
		}
		if m, ok := simpleNFKC(r); ok {
			n.flushSeg(start, i, single, isSingle)
			start, single, isSingle = i, m, true
		} else if p := norm.NFKC.PropertiesString(s[i:]); p.BoundaryBefore() {
			n.flushSeg(start, i, single, isSingle)
			start, single, isSingle = i, r, p.Decomposition() == nil
		} else {
			isSingle = false // a combining character joins the segment
		}
		i += size
	}
	n.flushSeg(start, len(s), single, isSingle)
	n.finish()
}

// flushSeg passes on the segment s[start:end]; if isSingle, its NFKC form is
// the single rune single.
func (n *normalizer) flushSeg(start, end int, single rune, isSingle bool) {
	if start == end {
		return
	}
	if isSingle {
		if n.collect != nil {
			*n.collect = utf8.AppendRune(*n.collect, single)
			return
		}
		n.pushA(item{single, start, end})
		return
	}
	seg := n.src[start:end]
	if n.iter == nil {
		n.iter = new(norm.Iter)
	}
	n.iter.InitString(norm.NFKC, seg)
	n.nfkcBuf = n.nfkcBuf[:0]
	for !n.iter.Done() {
		n.nfkcBuf = append(n.nfkcBuf, n.iter.Next()...)
	}
	n.segment(n.nfkcBuf, seg, start, end)
}

// segment pushes the runes of one NFKC segment out, produced by the input
// bytes orig at [os, oe).
func (n *normalizer) segment(out []byte, orig string, os, oe int) {
	if n.collect != nil {
		*n.collect = append(*n.collect, out...)
		return
	}
	if len(out) == 0 {
		return
	}
	if len(out) == 1 { // ASCII fast path
		n.pushA(item{rune(out[0]), os, oe})
		return
	}
	if out[0] == ' ' && len(out) > 1 && orig[0] != ' ' {
		// NFKC turns spacing diacritics (゛ ゜ ´ ¨ ￣) into a space and a
		// combining mark. Keep the original character instead, so that
		// no space appears inside a word; ゛ and ゜ may still compose.
		for _, r := range orig {
			n.pushA(item{r, os, oe})
		}
		return
	}
	for _, r := range string(out) {
		n.pushA(item{r, os, oe})
	}
}

// strayMark reports whether the non-ASCII r is a combining mark that NFKC
// left on the held rune, a Japanese character or a Latin letter or digit,
// and is dropped: NFKC composes every mark that forms a character with its
// base (か+゙, e+́), so those left decorate (strikethrough 闇̶バ̶イ̶ト̶, "zalgo"
// text, 死́ね́) and would break up the words. Marks on other scripts, where
// they spell vowels, are kept.
func (n *normalizer) strayMark(r rune) bool {
	if !isMark(r) {
		return false
	}
	b := n.held.r
	if b < utf8.RuneSelf {
		return 'a' <= b && b <= 'z' || '0' <= b && b <= '9'
	}
	return isJa(b) || unicode.In(b, unicode.Latin, unicode.Nd)
}

func (n *normalizer) finish() {
	if n.hasHeld {
		n.hasHeld = false
		n.pushB(n.held)
	}
	if n.hasCand {
		n.hasCand = false
		n.seps.reset() // the candidate ends the text: a one-letter token
		n.word(n.cand, clsLetter)
	}
	if n.seps.len() > 0 {
		n.resolve(clsEdge)
	}
	n.flushC()
}

func (n *normalizer) text() Text {
	all := n.out.String()
	if r, sp, ok := romanize(all, n.spans); ok {
		all, n.spans = r, sp
		n.out.Reset()
		n.out.WriteString(all)
		all = n.out.String()
	}
	if n.hasKata {
		if l, ok := lookalikes(all); ok {
			n.out.Reset()
			n.out.WriteString(l)
			all = n.out.String()
		}
	}
	t := Text{Orig: n.src, Norm: all, Fold: all, spans: n.spans}
	if !n.hasKata {
		return t
	}
	// Append Fold after Norm in the same buffer. Writing to the builder
	// never changes the bytes already returned by String.
	nl := len(all)
	n.out.Grow(nl)
	done := 0 // all[:done] is written
	for i := 0; i+2 < nl; i++ {
		if all[i] != 0xE3 {
			continue
		}
		if b1, b2, ok := foldKanaUTF8(all[i+1], all[i+2]); ok {
			n.out.WriteString(all[done:i])
			n.out.WriteByte(0xE3)
			n.out.WriteByte(b1)
			n.out.WriteByte(b2)
			done = i + 3
		}
		i += 2
	}
	n.out.WriteString(all[done:])
	all = n.out.String()
	t.Norm, t.Fold = all[:nl], all[nl:]
	return t
}

// Stage A: invisibles, hashtags, lower case, composition of (han)dakuten.
func (n *normalizer) pushA(it item) {
	r := it.r
	for n.fillAt < len(n.fill) && n.fill[n.fillAt][1] <= it.os {
		n.fillAt++
	}
	if n.fillAt < len(n.fill) && n.fill[n.fillAt][0] <= it.os && it.oe <= n.fill[n.fillAt][1] {
		if n.hasHeld {
			n.held.oe = it.oe // 闇🔥 maps back to 闇 and the filler after it
		}
		return
	}
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			it.r += 'a' - 'A'
		} else if r == '#' || (r < ' ' && !isSpace(r)) || r == 0x7f {
			return
		}
	case ignorable(r):
		if n.hasHeld && n.held.oe == it.os {
			n.held.oe = it.oe // ❄️ maps back to ❄ and its variation selector
		}
		return
	case r == 0x3099 || r == 0x309A || r == 0x309B || r == 0x309C:
		if n.hasHeld {
			if c, ok := composeMark(n.held.r, r); ok {
				n.held.r = c
				n.held.oe = it.oe
				return
			}
			if n.strayMark(r) {
				n.held.oe = it.oe
				return
			}
		}
	case n.hasHeld && n.strayMark(r):
		n.held.oe = it.oe // 闇̶ maps back to 闇 and its stroke
		return
	default:
		it.r = lower(r)
	}
	if n.hasHeld {
		n.pushB(n.held)
	}
	n.held, n.hasHeld = it, true
}

// Stage B: separators and whitespace, resolved by the characters on either side.
func (n *normalizer) pushB(it item) {
	c := classify(it.r)
	if n.hasCand {
		n.hasCand = false
		if c == clsLetter || c == clsDigit {
			n.resolve(clsLetter) // the candidate starts a longer token
		} else {
			n.seps.reset() // U・D: join one-letter tokens
		}
		n.word(n.cand, clsLetter)
	}
	switch {
	case c == clsSpace || c == clsJa || c == clsEmoji:
		n.urlish = false
	case it.r == '@', it.r == '/' && n.seps.len() == 0 && (n.prevRune == ':' || n.tokLen >= 2):
		n.urlish = true // https://, t.me/, x.com/, user@
	}
	if c == clsSpace || c == clsSep {
		k := n.seps.len()
		if k == 0 {
			n.leftSingle = n.prevCls == clsLetter && n.tokLen == 1 && !n.urlish
			n.tokLen = 0
			n.allWave = true
		}
		if c == clsSpace {
			if k > 0 && n.seps.at(k-1).r == ' ' {
				n.seps.at(k - 1).oe = it.oe
				return
			}
			it.r = ' '
			n.allWave = false
		} else if !isWave(it.r) {
			n.allWave = false
		}
		if k >= 3 && n.seps.at(k-1).r == it.r && n.seps.at(k-2).r == it.r && n.seps.at(k-3).r == it.r {
			n.seps.at(k - 1).oe = it.oe // stage C collapses the run anyway; keep the buffer short
			return
		}
		n.seps.add(it)
		return
	}
	if n.seps.len() > 0 {
		if n.leftSingle && c == clsLetter {
			n.cand, n.hasCand = it, true
			return
		}
		n.resolve(c)
	}
	n.word(it, c)
}

// word passes a non-separator rune of class c on to stage C.
func (n *normalizer) word(it item, c class) {
	if c == clsLetter || c == clsDigit {
		n.tokLen++
	} else {
		n.tokLen = 0
	}
	n.prevCls = c
	n.prevRune = it.r
	n.prevKana = isKana(it.r)
	n.pushC(it)
}

// resolve decides the pending separator run, which lies between the last
// non-separator rune (n.prevCls) and one of class next.
func (n *normalizer) resolve(next class) {
	seps := &n.seps
	if seps.len() == 0 {
		return
	}
	a, b := n.prevCls, next
	switch {
	case n.allWave && n.prevKana && b != clsJa:
		// ね〜, ハンドキャリ〜: a wave dash lengthening a kana is a long vowel.
		n.pushC(item{'ー', seps.at(0).os, seps.at(seps.len() - 1).oe})
	case a == clsJa || a == clsEmoji || b == clsJa || b == clsEmoji:
		// 闇 バ イ ト, 受/け/子, 闇\nバイト, UD 募集, 🥦 ❄: Japanese needs no spaces.
	default:
		edge := a == clsEdge || b == clsEdge
		for i := range seps.len() {
			s := *seps.at(i)
			if s.r == ' ' && edge {
				continue // trim whitespace at the edges, keep symbols
			}
			if s.r == '〜' || s.r == '〰' {
				s.r = '~'
			}
			n.pushC(s)
		}
	}
	seps.reset()
}

// Stage C: a run of three or more equal runes (two or more for ー) becomes
// one. Latin letters and digits are left alone (100000円, www).
func (n *normalizer) pushC(it item) {
	if n.runN > 0 && it.r == n.run.r && collapsible(it.r) {
		n.runN++
		if n.runN == 2 {
			n.run2 = it
		}
		n.runEnd = it.oe
		return
	}
	n.flushC()
	n.run, n.runN, n.runEnd = it, 1, it.oe
}

func (n *normalizer) flushC() {
	switch {
	case n.runN == 0:
	case n.runN >= 3 || (n.runN == 2 && n.run.r == 'ー'):
		n.emit(n.run.r, n.run.os, n.runEnd)
	default:
		n.emit(n.run.r, n.run.os, n.run.oe)
		if n.runN == 2 {
			n.emit(n.run2.r, n.run2.os, n.run2.oe)
		}
	}
	n.runN = 0
}

// emit writes a rune of Norm and records where it came from.
func (n *normalizer) emit(r rune, os, oe int) {
	if n.withSpans {
		n.spans = append(n.spans, span{n.out.Len(), os, oe})
	}
	if r < utf8.RuneSelf {
		n.out.WriteByte(byte(r))
		return
	}
	n.out.WriteRune(r)
	if foldKana(r) != r {
		n.hasKata = true
	}
}
