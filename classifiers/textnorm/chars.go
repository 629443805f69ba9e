package textnorm

import (
	"unicode"
	"unicode/utf8"
)

// class is what the separator stage needs to know about a rune.
type class uint8

const (
	clsEdge   class = iota // start or end of the text
	clsSpace               // whitespace
	clsSep                 // separator or decorative symbol: / | . * _ - ~ ・ ★ ♪ ◆ ● ...
	clsJa                  // kanji, hiragana, katakana, ー, 々
	clsEmoji               // emoji and other pictographic symbols
	clsLetter              // letters of other scripts (Latin, Cyrillic, Hangul, ...)
	clsDigit               // decimal digits
	clsOther               // punctuation and everything else
)

// classify returns the class of r, which has already been through NFKC and
// lower-casing.
func classify(r rune) class {
	if r < 0x80 {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return clsLetter
		case '0' <= r && r <= '9':
			return clsDigit
		case isSpace(r):
			return clsSpace
		}
		switch r {
		case '/', '\\', '|', '.', '*', '_', '-', '~', '+', '=':
			return clsSep
		}
		return clsOther
	}
	switch {
	case isJa(r):
		return clsJa
	case isSpace(r):
		return clsSpace
	case isSepSymbol(r):
		return clsSep
	case r >= 0x1F000 && r <= 0x1FAFF:
		return clsEmoji
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsDigit(r):
		return clsDigit
	case r >= 0x2000 && (unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r)):
		return clsEmoji
	}
	return clsOther
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// isJa reports whether r is written as part of Japanese words.
func isJa(r rune) bool {
	switch {
	case r < 0x3005:
		return false
	case r <= 0x30FF:
		switch {
		case r <= 0x3007, // 々 〆 〇
			0x3021 <= r && r <= 0x3029, // Suzhou numerals
			0x3031 <= r && r <= 0x3035, // kana repeat marks
			r == 0x303B || r == 0x303C, // 〻 〼
			0x3041 <= r && r <= 0x3096, // hiragana
			0x3099 <= r && r <= 0x309F, // (han)dakuten, ゝ ゞ ゟ
			0x30A1 <= r && r <= 0x30FA, // katakana
			0x30FC <= r:                // ー ヽ ヾ ヿ
			return true
		}
		return false
	case r <= 0x31EF:
		return false
	case r <= 0x31FF: // katakana phonetic extensions
		return true
	case r < 0x3400:
		return false
	case r <= 0x4DBF, 0x4E00 <= r && r <= 0x9FFF, 0xF900 <= r && r <= 0xFAFF:
		return true
	case 0x1B000 <= r && r <= 0x1B16F: // kana supplement and extensions
		return true
	}
	return 0x20000 <= r && r <= 0x3FFFF
}

// isKana reports whether r is a kana letter or ー, which a wave dash may lengthen.
func isKana(r rune) bool {
	return 0x3041 <= r && r <= 0x3096 || r == 0x309D || r == 0x309E ||
		0x30A1 <= r && r <= 0x30FA || 0x30FC <= r && r <= 0x30FE || 0x31F0 <= r && r <= 0x31FF
}

// isWave reports whether r is a wave dash (after NFKC, ～ is ~).
func isWave(r rune) bool {
	return r == '~' || r == '〜' || r == '〰'
}

// isSepSymbol reports whether the non-ASCII r is a separator or decorative
// symbol that is put between characters to break up keywords.
func isSepSymbol(r rune) bool {
	switch r {
	case 0x00B7, // ·
		0x2022,         // •
		0x203B,         // ※
		0x2212,         // −
		0x2219, 0x22C5, // ∙ ⋅
		0x2500, 0x2501, // ─ ━
		0x3013,         // 〓
		0x301C, 0x3030, // 〜 〰
		0x30A0, 0x30FB: // ゠ ・
		return true
	}
	switch {
	case 0x2010 <= r && r <= 0x2015: // hyphens and dashes
		return true
	case 0x2024 <= r && r <= 0x2027: // leaders, hyphenation point
		return true
	case 0x25A0 <= r && r <= 0x25FF: // geometric shapes ■ □ ▲ △ ◆ ◇ ○ ◎ ●
		return true
	case 0x2605 <= r && r <= 0x2606: // ★ ☆
		return true
	case 0x2660 <= r && r <= 0x2667: // card suits, ♡ ♥
		return true
	case 0x2669 <= r && r <= 0x266C: // ♩ ♪ ♫ ♬
		return true
	case 0x2729 <= r && r <= 0x2730: // ✩ ✪ ✫ ✬ ✭ ✮ ✯ ✰
		return true
	}
	return false
}

// ignorable reports whether the non-ASCII r is invisible and carries no
// meaning for classification: zero-width characters, variation selectors,
// bidi and other format controls, C1 controls.
func ignorable(r rune) bool {
	switch {
	case r < 0xA0:
		return r != 0x85 // C1 controls, but NEL is a line break
	case r < 0xAD:
		return false
	case 0x3000 <= r && r < 0xFE00: // CJK, kana: the common case
		return false
	case r == 0x34F, // combining grapheme joiner
		0x180B <= r && r <= 0x180F,   // Mongolian variation selectors
		0xFE00 <= r && r <= 0xFE0F,   // variation selectors
		0xE0100 <= r && r <= 0xE01EF: // variation selectors supplement (ideographic)
		return true
	}
	return unicode.Is(unicode.Cf, r) // soft hyphen, U+200B-200F, U+2060-206F, U+FEFF, tags
}

// isMark reports whether the non-ASCII r is a combining mark (Mn, Me),
// quickly for kana and kanji, which have none but the combining
// (han)dakuten and the ideographic tone marks.
func isMark(r rune) bool {
	switch {
	case r < 0x300:
		return false
	case 0x3000 <= r && r < 0xA66F:
		return 0x302A <= r && r <= 0x302D || r == 0x3099 || r == 0x309A
	}
	return unicode.In(r, unicode.Mn, unicode.Me)
}

// lower lower-cases the non-ASCII r.
func lower(r rune) rune {
	if 0x3000 <= r && r < 0xA640 || r >= 0x1F000 {
		return r // no case
	}
	return unicode.ToLower(r)
}

// collapsible reports whether a run of three or more r should become one r.
// Latin letters and digits are kept (www, 100000円).
func collapsible(r rune) bool {
	switch {
	case r < 0x80:
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	case r < 0x250:
		return !unicode.IsLetter(r)
	case 0x3000 <= r && r < 0xA000:
		return true
	}
	return !unicode.IsDigit(r)
}

// foldKana maps katakana to the corresponding hiragana (ァ-ヶ to ぁ-ゖ,
// ヴ to ゔ, ヽ ヾ to ゝ ゞ). Both are three bytes in UTF-8.
func foldKana(r rune) rune {
	if 0x30A1 <= r && r <= 0x30F6 || r == 0x30FD || r == 0x30FE {
		return r - 0x60
	}
	return r
}

// isVoicingMark reports whether r is a dakuten or handakuten, combining or
// half-width (ﾞ ﾟ, whose NFKC forms are the combining marks).
func isVoicingMark(r rune) bool {
	return r == 0x3099 || r == 0x309A || r == 0xFF9E || r == 0xFF9F
}

// foldKanaUTF8 is foldKana on UTF-8: given the second and third bytes of a
// three-byte sequence starting 0xE3 (U+3000..U+3FFF), it returns those of
// the folded rune, if it changes.
func foldKanaUTF8(b1, b2 byte) (byte, byte, bool) {
	switch {
	case b1 == 0x82 && 0xA1 <= b2 && b2 <= 0xBF: // ァ..タ U+30A1..U+30BF
		return 0x81, b2 - 0x20, true
	case b1 == 0x83 && b2 <= 0x9F: // ダ..ミ U+30C0..U+30DF
		return 0x81, b2 + 0x20, true
	case b1 == 0x83 && (0xA0 <= b2 && b2 <= 0xB6 || b2 == 0xBD || b2 == 0xBE): // ム..ヶ, ヽ ヾ
		return 0x82, b2 - 0x20, true
	}
	return b1, b2, false
}

// composeMark composes a kana with a following dakuten or handakuten
// (combining U+3099/U+309A or spacing ゛/゜), as NFC would for the combining
// marks. It reports false when there is no precomposed character.
func composeMark(base, mark rune) (rune, bool) {
	h := base
	if 0x30A1 <= base && base <= 0x30F6 {
		h = base - 0x60
	}
	switch mark {
	case 0x3099, 0x309B, 0xFF9E: // dakuten
		switch {
		case 0x304B <= h && h <= 0x3061 && h%2 == 1, // か..ち
			h == 0x3064, h == 0x3066, h == 0x3068, // つ て と
			h == 0x306F, h == 0x3072, h == 0x3075, h == 0x3078, h == 0x307B, // は..ほ
			base == 0x309D, base == 0x30FD: // ゝ ヽ
			return base + 1, true
		case base == 0x3046:
			return 0x3094, true // ゔ
		case base == 0x30A6:
			return 0x30F4, true // ヴ
		case 0x30EF <= base && base <= 0x30F2:
			return base + 8, true // ヷ ヸ ヹ ヺ
		}
	case 0x309A, 0x309C, 0xFF9F: // handakuten
		switch h {
		case 0x306F, 0x3072, 0x3075, 0x3078, 0x307B:
			return base + 2, true
		}
	}
	return 0, false
}

// halfKana holds the NFKC forms of U+FF61..U+FF9D (half-width punctuation
// and kana), three bytes each.
const halfKana = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"

// simpleNFKC returns the NFKC form of r for common characters that are
// normalised on their own: r cannot combine with anything before it, and maps
// to a single rune. It reports false for every other rune, which the caller
// must leave to the NFKC iterator; a rune it knows ends every such region.
func simpleNFKC(r rune) (rune, bool) {
	switch {
	case r < 0x80:
		return r, true
	case r < 0x3000:
		return 0, false
	case r == 0x3000:
		return ' ', true
	case r <= 0x301C, // CJK punctuation and brackets, 々 〆 〇, 〜
		0x3041 <= r && r <= 0x3096, // hiragana
		r == 0x309D || r == 0x309E, // ゝ ゞ
		0x30A1 <= r && r <= 0x30FE, // katakana, ・ ー ヽ ヾ
		0x3400 <= r && r <= 0x4DBF, // CJK ideographs
		0x4E00 <= r && r <= 0x9FFF:
		return r, true
	case 0xFF01 <= r && r <= 0xFF5E: // full-width ASCII
		return r - 0xFEE0, true
	case 0xFF61 <= r && r <= 0xFF9D: // half-width kana, but not the voicing marks
		k := 3 * int(r-0xFF61)
		m, _ := utf8.DecodeRuneInString(halfKana[k : k+3])
		return m, true
	}
	return 0, false
}
