package textnorm

import "strings"

// Romaji: a text written in romaji to dodge filters (issho ni shinimasen
// ka, uketori dake) is written again in hiragana, so that the lexicons and
// the morphological analysis see いっしょにしにませんか and うけとりだけ.
//
// Only a text that is mostly romaji is converted: at least minRomajiWords
// words of two letters or more convert completely (Hepburn, Kunrei and
// the spellings keyboards use: shi/si, tsu/tu, nn, double consonants), and
// they are at least romajiShare of such words. English words rarely
// convert (hotel, line, order and ok end in a consonant or hold l, v, x or
// c), and a text with a stray one stays as it is. Words touching . @ / _ :
// or - (URLs, mail addresses, handles) are never converted. The spaces
// touching a converted word are dropped, as the normaliser drops those
// next to Japanese characters.

const (
	minRomajiWords = 2
	romajiShare    = 0.6
)

// romajiSyllables maps a romaji syllable to its hiragana.
var romajiSyllables = func() map[string]string {
	m := map[string]string{
		"a": "あ", "i": "い", "u": "う", "e": "え", "o": "お",
		"shi": "し", "si": "し", "chi": "ち", "ti": "ち", "tsu": "つ", "tu": "つ",
		"fu": "ふ", "hu": "ふ", "ji": "じ", "zi": "じ", "di": "ぢ", "du": "づ",
		"wa": "わ", "wo": "を", "ya": "や", "yu": "ゆ", "yo": "よ",
		"sha": "しゃ", "shu": "しゅ", "she": "しぇ", "sho": "しょ",
		"cha": "ちゃ", "chu": "ちゅ", "che": "ちぇ", "cho": "ちょ",
		"ja": "じゃ", "ju": "じゅ", "je": "じぇ", "jo": "じょ",
		"jya": "じゃ", "jyu": "じゅ", "jyo": "じょ",
		"tsa": "つぁ", "fa": "ふぁ", "fi": "ふぃ", "fe": "ふぇ", "fo": "ふぉ",
		"thi": "てぃ", "dhi": "でぃ",
	}
	rows := []struct{ c, kana string }{
		{"k", "かきくけこ"}, {"g", "がぎぐげご"}, {"s", "さ-すせそ"}, {"z", "ざ-ずぜぞ"},
		{"t", "た--てと"}, {"d", "だ--でど"}, {"n", "なにぬねの"}, {"h", "はひ-へほ"},
		{"b", "ばびぶべぼ"}, {"p", "ぱぴぷぺぽ"}, {"m", "まみむめも"}, {"r", "らりるれろ"},
	}
	small := map[byte]string{'a': "ゃ", 'u': "ゅ", 'o': "ょ"}
	for _, row := range rows {
		kana := []rune(row.kana)
		for i, v := range "aiueo" {
			if kana[i] != '-' {
				m[row.c+string(v)] = string(kana[i])
			}
		}
		// kya, sya, tya, nya, ...: the i-column kana and a small ya/yu/yo.
		iKana := string(kana[1])
		switch row.c {
		case "s":
			iKana = "し"
		case "z":
			iKana = "じ"
		case "t":
			iKana = "ち"
		case "d":
			iKana = "ぢ"
		}
		for v, s := range small {
			m[row.c+"y"+string(v)] = iKana + s
		}
	}
	return m
}()

func isVowel(c byte) bool { return strings.IndexByte("aiueo", c) >= 0 }

// romajiWord converts a lower-case word of ASCII letters to hiragana, or
// reports that it is not romaji.
func romajiWord(w string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(w); {
		c := w[i]
		switch {
		case c == 'n' && (i+1 == len(w) || !isVowel(w[i+1]) && w[i+1] != 'y'):
			b.WriteString("ん")
			i++
			if i < len(w) && w[i] == 'n' && (i+1 == len(w) || !isVowel(w[i+1]) && w[i+1] != 'y') {
				i++ // nn
			}
			continue
		case c == '\'':
			i++
			continue
		case c == 'n' && i > 0 && isVowel(w[i-1]) && i+2 < len(w) && w[i+1] == 'y' && (w[i+2] == 'a' || w[i+2] == 'o'):
			// konya, kinyoubi: after a vowel, nya and nyo are more often
			// ん+や/よ (今夜, 金曜日) than にゃ/にょ; nyu stays にゅ (牛乳).
			b.WriteString("ん")
			i++
			continue
		case i+1 < len(w) && c == w[i+1] && !isVowel(c) && c != 'n':
			b.WriteString("っ") // kk, ss, tt, pp: a double consonant
			i++
			continue
		case c == 't' && i+2 < len(w) && w[i+1] == 'c' && w[i+2] == 'h':
			b.WriteString("っ") // tch
			i++
			continue
		}
		ok := false
		for l := min(3, len(w)-i); l >= 1; l-- {
			if k, found := romajiSyllables[w[i:i+l]]; found {
				b.WriteString(k)
				i += l
				ok = true
				break
			}
		}
		if !ok {
			return "", false
		}
	}
	return b.String(), true
}

func isASCIILower(c byte) bool { return 'a' <= c && c <= 'z' }

// romajiWords finds the words of s (maximal runs of a-z) that may be
// converted: not touching . @ / _ : or -. It returns their byte ranges and
// conversions, or nil if the text is not mostly romaji.
func romajiWords(s string) (ranges [][2]int, kana []string) {
	total, conv := 0, 0
	for i := 0; i < len(s); {
		if !isASCIILower(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && (isASCIILower(s[j]) || s[j] == '\'') {
			j++
		}
		w := s[i:j]
		touches := i > 0 && strings.IndexByte(".@/_:-", s[i-1]) >= 0 ||
			j < len(s) && strings.IndexByte(".@/_:-", s[j]) >= 0
		if len(w) >= 2 {
			total++
			if k, ok := romajiWord(w); ok && !touches {
				conv++
				ranges = append(ranges, [2]int{i, j})
				kana = append(kana, k)
			}
		}
		i = j
	}
	if conv < minRomajiWords || float64(conv) < romajiShare*float64(total) {
		return nil, nil
	}
	return ranges, kana
}

// romanize rewrites the romaji words of norm in hiragana, with their span
// entries (spans may be nil: Key keeps none). ok is false when the text is
// not mostly romaji and nothing changed.
func romanize(norm string, spans []span) (string, []span, bool) {
	ranges, kana := romajiWords(norm)
	if ranges == nil {
		return norm, spans, false
	}
	var b strings.Builder
	b.Grow(3 * len(norm)) // at most one 3-byte kana per ASCII letter
	var out []span
	if spans != nil {
		out = make([]span, 0, len(spans))
	}
	// spans has one entry per rune of norm; ri walks it alongside.
	ri := 0
	copyRunes := func(from, to int) { // norm[from:to] unchanged
		for ri < len(spans) && spans[ri].norm < to {
			if spans[ri].norm >= from {
				e := spans[ri]
				e.norm = b.Len() + (e.norm - from)
				out = append(out, e)
			}
			ri++
		}
		b.WriteString(norm[from:to])
	}
	done := 0
	for k, r := range ranges {
		// Drop the whitespace touching a converted word, as the
		// normaliser drops that next to Japanese characters.
		from, to := done, r[0]
		if k > 0 {
			for from < to && norm[from] == ' ' {
				from++
			}
		}
		for to > from && norm[to-1] == ' ' {
			to--
		}
		copyRunes(from, to)
		// The word is ASCII: one span entry per byte. Each kana rune maps
		// to the whole word's original range.
		var os, oe int
		if spans != nil {
			for ri < len(spans) && spans[ri].norm < r[0] {
				ri++
			}
			os = spans[ri].os
			for ri < len(spans) && spans[ri].norm < r[1] {
				oe = spans[ri].oe
				ri++
			}
		}
		for _, kr := range kana[k] {
			if spans != nil {
				out = append(out, span{norm: b.Len(), os: os, oe: oe})
			}
			b.WriteRune(kr)
		}
		done = r[1]
	}
	for done < len(norm) && norm[done] == ' ' {
		done++
	}
	copyRunes(done, len(norm))
	return b.String(), out, true
}
