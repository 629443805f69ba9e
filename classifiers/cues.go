package classifiers

import (
	"strings"
	"unicode/utf8"
)

// maskKind is the kind of a contact detail or identifier in a text. Their
// spelling carries no meaning (and in the corpus it is a placeholder), so
// the features see only their kind.
type maskKind uint8

const (
	maskURL maskKind = iota
	maskHandle
	maskPhone
	maskID
	nMask
)

func (k maskKind) String() string {
	return [...]string{"url", "handle", "phone", "id"}[k]
}

// token is how the lemma features see a masked span.
func (k maskKind) token() string {
	return [...]string{"<url>", "<handle>", "<phone>", "<id>"}[k]
}

// mask is a masked byte range of the normalised text.
type mask struct {
	start, end int
	kind       maskKind
}

func hasPrefixAt(s string, i int, p string) bool { return strings.HasPrefix(s[i:], p) }

func isURLByte(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune("\"'<>()[]{}`|^\\", rune(c))
}

// isWordByte reports whether c may be part of a handle, id or phone number.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-'
}

// findMasks appends the URLs, handles, mail addresses, phone numbers and
// ids of norm (lower-case, NFKC) to dst, in text order.
func findMasks(dst []mask, norm string) []mask {
	for i := 0; i < len(norm); {
		c := norm[i]
		if !isWordByte(c) || (i > 0 && isWordByte(norm[i-1])) {
			i++
			continue
		}
		if hasPrefixAt(norm, i, "http://") || hasPrefixAt(norm, i, "https://") || hasPrefixAt(norm, i, "www.") {
			j := i
			for j < len(norm) && isURLByte(norm[j]) {
				j++
			}
			dst = append(dst, mask{i, j, maskURL})
			i = j
			continue
		}
		j := i
		for j < len(norm) && isWordByte(norm[j]) {
			j++
		}
		word := norm[i:j]
		if j < len(norm) && norm[j] == '/' && strings.Contains(word, ".") && !strings.HasPrefix(word, "@") {
			for j < len(norm) && isURLByte(norm[j]) { // t.me/…, example.com/…
				j++
			}
			dst = append(dst, mask{i, j, maskURL})
			i = j
			continue
		}
		if k, ok := classifyWord(word); ok {
			dst = append(dst, mask{i, j, k})
		}
		i = j
	}
	return dst
}

// classifyWord says whether an ASCII word is a handle, mail address, phone
// number or id, and which.
func classifyWord(w string) (maskKind, bool) {
	if len(w) < 2 {
		return 0, false
	}
	if w[0] == '@' || strings.IndexByte(w, '@') > 0 {
		return maskHandle, true
	}
	var letters, digits, hyphens, other int
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == 'x':
			letters++
			if digits > 0 || hyphens > 0 {
				digits++ // 090-xxxx-xxxx: placeholder digits
				letters--
			}
		case 'a' <= c && c <= 'z':
			letters++
		case c == '-':
			hyphens++
		default:
			other++
		}
	}
	switch {
	case digits >= 9 && letters == 0 && other == 0 && (hyphens >= 2 || w[0] == '0'):
		return maskPhone, true
	case strings.Contains(w, "_"), strings.Contains(w, "xxx"):
		return maskID, true
	case letters > 0 && digits > 0 && len(w) >= 4:
		return maskID, true
	}
	return 0, false
}

// timeWords are words that put an act at a near time (folded spelling),
// separated by spaces. Like a date or a clock time, they make a text naming
// an act imminent.
const timeWords = "今夜 今晩 こんや 今日 明日 あした 明後日 今週 週末 今月 来週 " +
	"決行 実行日 当日 日時 集合 待ち合わせ 今から 深夜 夜中 今すぐ"

// cueSet is what the cue scanner found in a text.
type cueSet struct {
	time      bool // a date, a clock time or a near-time word
	timeStart int  // the first time cue, in the normalised text
	timeEnd   int
	money     bool // an amount: digits followed by 万 or 円
	question  bool // a question or an invitation (か?, ませんか)
	masks     [nMask]int
	halfwidth int  // half-width katakana in the original text (ﾔﾐﾊﾞｲﾄ)
	spaced    int  // Japanese characters standing alone between separators (闇 バ イ ト)
	wink      bool // a hint that words mean something else (例の, 意味深, そういう意味)
}

// winkWords hint that the words around them are code (folded spelling).
const winkWords = "例の 意味深 そういう意味 意味わかる わかる人だけ 分かる人だけ 察して じゃない方 隠語"

// scanOrig counts the evasion a text shows in its original spelling:
// half-width katakana, and Japanese characters spelt apart. Ordinary posts
// separate phrases, not characters.
func scanOrig(orig string, cs *cueSet) {
	var prev, prev2 rune // the two runes before r
	for _, r := range orig {
		if r >= 0xFF66 && r <= 0xFF9D {
			cs.halfwidth++
		}
		// prev is a lone Japanese character if separators stand on both sides.
		if isJaRune(prev) && isSeparatorRune(prev2) && isSeparatorRune(r) {
			cs.spaced++
		}
		prev2, prev = prev, r
	}
}

func isJaRune(r rune) bool {
	return r >= 0x3041 && r <= 0x30FF || r >= 0x4E00 && r <= 0x9FFF || r >= 0xFF66 && r <= 0xFF9D
}

func isSeparatorRune(r rune) bool {
	switch r {
	case ' ', '\u3000', '/', '・', '.', '*', '_', '-', '|', '★', '☆', '♪', '◆', '●', '■', '〜', '~':
		return true
	}
	return false
}

func isKanjiDigit(r rune) bool { return strings.ContainsRune("〇一二三四五六七八九十", r) }

// scanCues finds time and money cues in fold (the folded text), in one
// pass: the time and wink words are looked for only where a character
// that begins one of them stands (cueFirst).
func scanCues(fold string, cs *cueSet) {
	cs.timeStart, cs.timeEnd = -1, -1
	setTime := func(s, e int) {
		if !cs.time || s < cs.timeStart {
			cs.time, cs.timeStart, cs.timeEnd = true, s, e
		}
	}
	var prev rune
	prevAt := -1
	for i, r := range fold {
		if cueFirst(r) {
			rest := fold[i:]
			for ws := timeWords; ws != ""; {
				var w string
				w, ws, _ = strings.Cut(ws, " ")
				if strings.HasPrefix(rest, w) {
					setTime(i, i+len(w))
				}
			}
			for ws := winkWords; ws != "" && !cs.wink; {
				var w string
				w, ws, _ = strings.Cut(ws, " ")
				cs.wink = strings.HasPrefix(rest, w)
			}
			if strings.HasPrefix(rest, "ませんか") {
				cs.question = true
			}
		}
		switch r {
		case '月', '日', '時':
			if prevAt >= 0 && (prev >= '0' && prev <= '9' || isKanjiDigit(prev)) {
				setTime(prevAt, i+utf8.RuneLen(r))
			}
		case '万', '円':
			if prev >= '0' && prev <= '9' || isKanjiDigit(prev) {
				cs.money = true
			}
		case ':', '/':
			if prev >= '0' && prev <= '9' && i+1 < len(fold) && fold[i+1] >= '0' && fold[i+1] <= '9' {
				setTime(prevAt, i+2)
			}
		case '?':
			cs.question = true
		}
		prev, prevAt = r, i
	}
}

// cueFirst reports whether r begins a time word, a wink word or ませんか
// (TestCueFirst checks that it knows every one).
func cueFirst(r rune) bool {
	switch r {
	case '今', 'こ', '明', 'あ', '週', '来', '決', '実', '当', '日', '集', '待', '深', '夜', // timeWords
		'例', '意', 'そ', 'わ', '分', '察', 'じ', '隠', // winkWords
		'ま': // ませんか
		return true
	}
	return false
}
