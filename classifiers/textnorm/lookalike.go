package textnorm

import "unicode/utf8"

// lookalikeKana returns the katakana a kanji that looks like one imitates:
// 一 for ー (サ一ビス), 力 for カ (ス力ウト), 工 for エ, 夕 for タ, 二 for ニ,
// 口 for ロ, 八 for ハ, 卜 for ト.
func lookalikeKana(r rune) (rune, bool) {
	switch r {
	case '一':
		return 'ー', true
	case '力':
		return 'カ', true
	case '工':
		return 'エ', true
	case '夕':
		return 'タ', true
	case '二':
		return 'ニ', true
	case '口':
		return 'ロ', true
	case '八':
		return 'ハ', true
	case '卜':
		return 'ト', true
	}
	return r, false
}

// isKatakana reports whether r is a katakana letter or ー.
func isKatakana(r rune) bool { return 0x30A1 <= r && r <= 0x30FA || r == 0x30FC }

// lookalikes writes a look-alike kanji between two katakana (or ー) as the
// katakana it imitates, so that ス力ウト, サ一ビス and ﾊﾞ一ﾄ read as スカウト,
// サービス and バート. Only the sandwich counts: 一 in メイン一本 or 力 in
// 協力 stay kanji. Every replacement has the byte length of the rune it
// replaces (three bytes), so offsets and spans are unchanged. It returns s
// itself when nothing changes.
func lookalikes(s string) (string, bool) {
	var b []byte
	prev := rune(-1)
	for i, r := range s {
		if k, ok := lookalikeKana(r); ok && isKatakana(prev) {
			if next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]); isKatakana(next) {
				if b == nil {
					b = []byte(s)
				}
				utf8.EncodeRune(b[i:], k)
				r = k
			}
		}
		prev = r
	}
	if b == nil {
		return s, false
	}
	return string(b), true
}
