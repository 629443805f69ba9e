package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// minFillerRepeats is how many times a filler must stand between single
// Japanese characters to be taken for one: 闇🔥バ🔥イ🔥ト has three.
const minFillerRepeats = 3

// fillers appends to dst the byte ranges of s that are fillers: the same
// one or two characters (an emoji or other symbol, with its variation
// selector if any, a letter, brackets) between every two of at least four
// single Japanese characters, put there to break up the words (闇🔥バ🔥イ🔥ト,
// 【受】【け】【子】, (一)(緒)(に)). Digits and punctuation other than brackets
// are not fillers (1日1回1錠1包 counts, 赤、青、黄、緑 is a list); whitespace
// and separator symbols are left to the separator rules. The ranges are in
// order and do not overlap.
func fillers(s string, dst [][2]int) [][2]int {
	// One pass: a run is a filler repeated between single Japanese
	// characters; fill is its filler, reps how many times it has stood so
	// (a run ends at two Japanese characters in a row, or other characters
	// between two).
	var (
		fill   string
		reps   int
		run    int  // where the run's first filler starts
		jEnd   = -1 // where the last Japanese character ends, -1 if it was not the last
		oStart int  // where the other characters since the last one start
		oN     int  // how many (3 once they cannot be a filler)
	)
	closeRun := func() {
		if reps >= minFillerRepeats {
			for p := run; reps > 0; reps-- {
				dst = append(dst, [2]int{p, p + len(fill)})
				p, _ = jaUnit(s, p+len(fill))
			}
		}
		reps = 0
	}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case isJa(r) && !(0x3099 <= r && r <= 0x309C) || 0xFF66 <= r && r <= 0xFF9D:
			if oN == 1 || oN == 2 {
				f := s[oStart:i]
				switch {
				case reps > 0 && f == fill:
					reps++
				case isFiller(f):
					closeRun()
					fill, reps, run = f, 1, oStart
				default:
					closeRun()
				}
			} else {
				closeRun()
			}
			jEnd, oN = i+size, 0
		case jEnd == i && (r == 0xFF9E || r == 0xFF9F || 0x3099 <= r && r <= 0x309C):
			jEnd = i + size // ﾊﾞ is one character
		default:
			if oN == 0 {
				oStart = i
				if jEnd != i {
					oN = 3 // not right after a Japanese character
				}
			}
			oN = min(oN+1, 3)
			jEnd = -1
		}
		i += size
	}
	closeRun()
	return dst
}

// isFiller reports whether every character of f may be part of a filler.
func isFiller(f string) bool {
	for _, r := range f {
		if !fillerRune(r) {
			return false
		}
	}
	return true
}

// fillerRune reports whether r may be part of a filler: not Japanese, not
// a digit (1日1回1錠1包 counts), not whitespace or a control character,
// not punctuation but for brackets.
func fillerRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r != 0x7f && !('0' <= r && r <= '9') && (!unicode.IsPunct(r) || strings.ContainsRune("()[]{}", r))
	}
	return r != utf8.RuneError && !isSpace(r) && !(0xFF66 <= r && r <= 0xFF9F) && !isJa(r) && !unicode.IsDigit(r) &&
		(!unicode.IsPunct(r) || unicode.In(r, unicode.Ps, unicode.Pe))
}

// jaUnit reports whether a single Japanese character starts at byte i of s
// (with the voicing marks that follow it, as in ﾊﾞ) and returns where it
// ends; if not, it returns the end of the character at i (past the end of
// s if i is at its end).
func jaUnit(s string, i int) (int, bool) {
	if i >= len(s) {
		return i + 1, false
	}
	r, size := rune(s[i]), 1
	if r >= utf8.RuneSelf {
		r, size = utf8.DecodeRuneInString(s[i:])
	}
	j := i + size
	if !isJa(r) && !(0xFF66 <= r && r <= 0xFF9D) {
		return j, false
	}
	for j < len(s) {
		m, w := utf8.DecodeRuneInString(s[j:])
		if m != 0xFF9E && m != 0xFF9F && !(0x3099 <= m && m <= 0x309C) {
			break
		}
		j += w
	}
	return j, true
}
