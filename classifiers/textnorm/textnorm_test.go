package textnorm

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, norm, fold string
	}{
		{"empty", "", "", ""},
		{"plain", "闇バイトではありません", "闇バイトではありません", "闇ばいとではありません"},
		// NFKC
		{"half-width kana", "ﾔﾐﾊﾞｲﾄ", "ヤミバイト", "やみばいと"},
		{"half-width handakuten", "ﾊﾟｸﾘ", "パクリ", "ぱくり"},
		{"half-width long vowel", "ﾎﾜｲﾄｰ", "ホワイトー", "ほわいとー"},
		{"full-width alnum", "ＵＤ募集", "ud募集", "ud募集"},
		{"full-width digits", "日給１０万円", "日給10万円", "日給10万円"},
		{"circled", "Ⓤⓓ①", "ud1", "ud1"},
		{"compatibility ideograph", "\uF9DC", "\u9686", "\u9686"},
		{"square era", "㍻", "平成", "平成"},
		{"katakana to hiragana", "ヤミバイト", "ヤミバイト", "やみばいと"},
		{"hiragana stays", "やみばいと", "やみばいと", "やみばいと"},
		{"vu", "ヴァ", "ヴァ", "ゔぁ"},
		{"small ke", "霞ヶ関", "霞ヶ関", "霞ゖ関"},
		{"spacing dakuten", "ハ゛イト", "バイト", "ばいと"},
		{"spacing handakuten", "ハ゜チンコ", "パチンコ", "ぱちんこ"},
		{"spacing dakuten alone", "゛", "゛", "゛"},
		// combining marks that compose with nothing
		{"marks on kanji and kana", "死\u0301ね\u0301\u0308", "死ね", "死ね"},
		{"zalgo on katakana", "ヤ\u0336\u0489ミ\u0337バ\u0301イ\u0302ト\u20dd", "ヤミバイト", "やみばいと"},
		{"combining dakuten composes", "ハ\u3099イト", "バイト", "ばいと"},
		{"stray dakuten on kanji", "闇\u3099バイト", "闇バイト", "闇ばいと"},
		{"marks on latin", "u\u0301d\u0301 q\u0327", "úd q", "úd q"},
		{"strikethrough", "闇\u0336バ\u0336イ\u0336ト\u0336募集", "闇バイト募集", "闇ばいと募集"},
		{"keycap digit", "のこり1\ufe0f\u20e3", "のこり1", "のこり1"},
		// fillers between single Japanese characters
		{"emoji filler", "即🔥日🔥即🔥金の高額バイト", "即日即金の高額バイト", "即日即金の高額ばいと"},
		{"emoji with selector filler", "闇❄️バ❄️イ❄️ト", "闇バイト", "闇ばいと"},
		{"bracket filler", "【受】【け】【子】【募】【集】", "【受け子募集】", "【受け子募集】"},
		{"paren filler", "(一)(緒)(に)(死)のう", "(一緒に死)のう", "(一緒に死)のう"},
		{"letter filler", "闇xバxイxト", "闇バイト", "闇ばいと"},
		{"half-width kana filler", "ﾔ🔥ﾐ🔥ﾊﾞ🔥ｲ🔥ﾄ", "ヤミバイト", "やみばいと"},
		{"two fillers are not enough", "闇🔥バ🔥イト", "闇🔥バ🔥イト", "闇🔥ば🔥いと"},
		{"a list is not a filler", "赤、青、黄、緑", "赤、青、黄、緑", "赤、青、黄、緑"},
		{"digits are not fillers", "1日1回1錠1包", "1日1回1錠1包", "1日1回1錠1包"},
		{"filler runs end", "闇🔥バ🔥イ🔥ト🔥🔥です", "闇バイト🔥🔥です", "闇ばいと🔥🔥です"},
		{"words between emoji stay", "今日🔥明日🔥明後日🔥来週", "今日🔥明日🔥明後日🔥来週", "今日🔥明日🔥明後日🔥来週"},
		{"accents compose", "cafe\u0301", "café", "café"},
		{"thai vowel kept", "\u0e01\u0e34", "\u0e01\u0e34", "\u0e01\u0e34"},
		// look-alike kanji between katakana
		{"kanji one for long vowel", "サ一ビス", "サービス", "さーびす"},
		{"kanji power for ka", "ス力ウト 受け子", "スカウト受け子", "すかうと受け子"},
		{"half-width around kanji", "ﾊﾞ一ﾄ", "バート", "ばーと"},
		{"kanji stays beside kanji", "メイン一本 協力 口座", "メイン一本協力口座", "めいん一本協力口座"},
		{"kanji stays at a word edge", "カ一", "カ一", "か一"},
		// case
		{"latin lower", "Telegram ID", "telegram id", "telegram id"},
		// romaji
		{"romaji", "issho ni shinimasen ka", "いっしょにしにませんか", "いっしょにしにませんか"},
		{"romaji caps and kana", "URA BAITO 募集", "うらばいと募集", "うらばいと募集"},
		{"romaji n", "konya kinyoubi gyuunyuu konnichiwa hannya", "こんやきんようびぎゅうにゅうこんにちわはんにゃ", "こんやきんようびぎゅうにゅうこんにちわはんにゃ"},
		{"romaji double consonant", "kitte matte", "きってまって", "きってまって"},
		{"romaji keeps others", "uketori dake / tg / 1kai 3man", "うけとりだけ/ tg / 1かい3まん", "うけとりだけ/ tg / 1かい3まん"},
		{"romaji not english", "hotel ok line", "hotel ok line", "hotel ok line"},
		{"romaji one word", "kite", "kite", "kite"},
		{"romaji url", "t.me/xxxx ni kite", "t.me/xxxx ni kite", "t.me/xxxx ni kite"},
		{"cyrillic lower", "ДА", "да", "да"},
		// separators between Japanese characters
		{"spaces", "闇 バ イ ト", "闇バイト", "闇ばいと"},
		{"ideographic spaces", "闇　バ　イ　ト", "闇バイト", "闇ばいと"},
		{"slashes", "受/け/子", "受け子", "受け子"},
		{"full-width slashes", "受／け／子", "受け子", "受け子"},
		{"nakaguro", "闇・バ・イ・ト", "闇バイト", "闇ばいと"},
		{"half-width nakaguro", "闇･ﾊﾞ･ｲ･ﾄ", "闇バイト", "闇ばいと"},
		{"line break", "闇\nバイト", "闇バイト", "闇ばいと"},
		{"crlf and tab", "闇\r\n\tバイト", "闇バイト", "闇ばいと"},
		{"pipes and dots", "出|し.子", "出し子", "出し子"},
		{"full-width pipes and dots", "出｜し．子", "出し子", "出し子"},
		{"stars and notes", "受★け☆子♪", "受け子", "受け子"},
		{"shapes", "叩◆き●", "叩き", "叩き"},
		{"asterisks underscores", "か*け_子", "かけ子", "かけ子"},
		{"hyphens", "受-け‐子", "受け子", "受け子"},
		{"mixed run", "闇 ★ バイト", "闇バイト", "闇ばいと"},
		{"wave between kanji", "闇〜バイト", "闇バイト", "闇ばいと"},
		{"wave between kana", "し〜に〜た〜い", "しにたい", "しにたい"},
		{"japanese and latin", "UD 募集", "ud募集", "ud募集"},
		{"japanese and digits", "日給 5 万", "日給5万", "日給5万"},
		{"japanese and punctuation", "闇バイト ！", "闇バイト!", "闇ばいと!"},
		{"leading symbol before japanese", "・闇バイト", "闇バイト", "闇ばいと"},
		// Latin
		{"latin words", "hand  carry", "hand carry", "hand carry"},
		{"latin line break", "hand\ncarry", "hand carry", "hand carry"},
		{"initials nakaguro", "U・D", "ud", "ud"},
		{"initials space", "U D", "ud", "ud"},
		{"initials full-width space", "Ｕ　Ｄ", "ud", "ud"},
		{"initials chain", "U.D.T", "udt", "udt"},
		{"initials then japanese", "U・D募集", "ud募集", "ud募集"},
		{"single letter word kept", "I am a cat", "i am a cat", "i am a cat"},
		{"letter and digit", "U 2", "u 2", "u 2"},
		{"symbols between words kept", "cash / card", "cash / card", "cash / card"},
		{"url kept", "t.me/abc_d https://x.com/a_b", "t.me/abc_d https://x.com/a_b", "t.me/abc_d https://x.com/a_b"},
		{"decimal kept", "1.5万", "1.5万", "1.5万"},
		{"phone kept", "090-1234-5678", "090-1234-5678", "090-1234-5678"},
		{"range", "10〜20万", "10~20万", "10~20万"},
		{"trim", "  hello   world  ", "hello world", "hello world"},
		{"only spaces", " \t\n ", "", ""},
		// long vowel
		{"long vowel kept", "ハンドキャリー", "ハンドキャリー", "はんどきゃりー"},
		{"long vowel run", "ハンドキャリーーー", "ハンドキャリー", "はんどきゃりー"},
		{"double long vowel", "ねーー", "ねー", "ねー"},
		{"wave as long vowel", "ね〜！", "ねー!", "ねー!"},
		{"full-width tilde as long vowel", "ハンドキャリ～", "ハンドキャリー", "はんどきゃりー"},
		{"long vowel and wave", "ねー〜〜", "ねー", "ねー"},
		// repeats
		{"repeat kana", "しにたいいいい", "しにたい", "しにたい"},
		{"repeat punctuation", "！！！！", "!", "!"},
		{"double kept", "いい話", "いい話", "いい話"},
		{"digits kept", "日給100000円", "日給100000円", "日給100000円"},
		{"latin kept", "www", "www", "www"},
		{"repeat after separator removal", "し に た い い い", "しにたい", "しにたい"},
		{"repeat symbols kept context", "wow!!!", "wow!", "wow!"},
		// invisibles, emoji, hashtags
		{"variation selector", "❄️", "❄", "❄"},
		{"emoji kept", "🥦❄️ あります", "🥦❄あります", "🥦❄あります"},
		{"emoji spaced", "🥦 ❄️", "🥦❄", "🥦❄"},
		{"zero width", "闇\u200bバ\u200cイ\u200dト\u2060\uFEFF", "闇バイト", "闇ばいと"},
		{"text presentation selector", "☎\uFE0E", "☎", "☎"},
		{"ideographic variation selector", "葛\U000E0100城", "葛城", "葛城"},
		{"soft hyphen", "ud\u00ADbosyu", "udbosyu", "udbosyu"},
		{"hashtag", "#闇バイト", "闇バイト", "闇ばいと"},
		{"full-width hashtag", "＃闇バイト ＃高額報酬", "闇バイト高額報酬", "闇ばいと高額報酬"},
		{"hashtag latin", "#UD #tataki", "ud tataki", "ud tataki"},
		{"control chars", "a\x00b\x1bc", "abc", "abc"},
		// invalid UTF-8
		{"invalid byte", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"invalid in japanese", "闇\xffバイト", "闇\uFFFDバイト", "闇\uFFFDばいと"},
		{"truncated rune", "闇\xe3\x83", "闇\uFFFD\uFFFD", "闇\uFFFD\uFFFD"},
		{"hotline example", "🥦❄️あります　手押し　#ＵＤ募集 ﾎﾜｲﾄ案件！！！", "🥦❄あります手押しud募集ホワイト案件!", "🥦❄あります手押しud募集ほわいと案件!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got.Orig != tt.in {
				t.Errorf("Orig = %q, want %q", got.Orig, tt.in)
			}
			if got.Norm != tt.norm {
				t.Errorf("Norm = %q, want %q", got.Norm, tt.norm)
			}
			if got.Fold != tt.fold {
				t.Errorf("Fold = %q, want %q", got.Fold, tt.fold)
			}
			checkInvariants(t, tt.in)
		})
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		in   string
		norm string // a substring of Norm
		orig string // the part of the input it must map to
	}{
		{"連絡は闇 バ イ ト まで", "闇バイト", "闇 バ イ ト"},
		{"連絡は闇 バ イ ト まで", "まで", "まで"},
		{"ﾔﾐﾊﾞｲﾄ募集", "バ", "ﾊﾞ"},
		{"ﾔﾐﾊﾞｲﾄ募集", "ヤミバイト", "ﾔﾐﾊﾞｲﾄ"},
		{"ﾔﾐﾊﾞｲﾄ募集", "募集", "募集"},
		{"受/け/子を探す", "受け子", "受/け/子"},
		{"急募 ＵＤ募集", "ud", "ＵＤ"},
		{"急募 U・D", "ud", "U・D"},
		{"しにたいいいい", "たい", "たいいいい"},
		{"🥦❄️あります", "❄", "❄️"},
		{"#闇バイト", "闇バイト", "闇バイト"},
		{"㍻生まれ", "成", "㍻"},
		{"ね〜〜！", "ー", "〜〜"},
		{"ハ゛イト", "バ", "ハ゛"},
		{"連絡は闇🔥バ🔥イ🔥トまで", "闇バイト", "闇🔥バ🔥イ🔥ト"},
		{"連絡は闇\u0336バ\u0336イ\u0336ト\u0336まで", "闇バイト", "闇\u0336バ\u0336イ\u0336ト\u0336"},
		{"a\xffb", "\uFFFD", "\xff"},
		{"hand   carry", " ", "   "},
	}
	for _, tt := range tests {
		x := Normalize(tt.in)
		i := strings.Index(x.Norm, tt.norm)
		if i < 0 {
			t.Errorf("Normalize(%q).Norm = %q, does not contain %q", tt.in, x.Norm, tt.norm)
			continue
		}
		os, oe := x.Span(i, i+len(tt.norm))
		if got := tt.in[os:oe]; got != tt.orig {
			t.Errorf("Normalize(%q).Span of %q = %q, want %q", tt.in, tt.norm, got, tt.orig)
		}
	}
}

func TestSpanEdges(t *testing.T) {
	var zero Text
	if s, e := zero.Span(0, 10); s != 0 || e != 0 {
		t.Errorf("zero Text: Span = (%d,%d), want (0,0)", s, e)
	}
	blank := Normalize("   ")
	if s, e := blank.Span(0, 0); s != 0 || e != 0 {
		t.Errorf("blank: Span = (%d,%d), want (0,0)", s, e)
	}
	x := Normalize(" 闇バイト ")
	for _, c := range []struct{ start, end, os, oe int }{
		{-5, 100, 1, 13},   // clamped to the whole of Norm
		{6, 3, 7, 7},       // reversed: empty at start
		{0, 0, 1, 1},       // empty at the start
		{12, 12, 13, 13},   // empty at the end
		{1, 2, 1, 4},       // inside a rune: the whole rune
		{100, 200, 13, 13}, // past the end
	} {
		if os, oe := x.Span(c.start, c.end); os != c.os || oe != c.oe {
			t.Errorf("Span(%d,%d) = (%d,%d), want (%d,%d)", c.start, c.end, os, oe, c.os, c.oe)
		}
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		term  string
		texts []string
	}{
		{"闇バイト", []string{"闇 バ イ ト", "闇・バ・イ・ト", "闇ﾊﾞｲﾄ", "闇ばいと", "#闇バイト", "闇\nバイト", "闇\u200bバイト"}},
		{"ヤミバイト", []string{"ﾔﾐﾊﾞｲﾄ", "やみばいと", "ヤ ミ バ イ ト", "ﾔﾐﾊ゛ｲﾄ"}},
		{"受け子", []string{"受/け/子", "受 け 子募集", "受・け・子"}},
		{"UD", []string{"ＵＤ募集", "U・D", "U D", "ud", "急募u.d"}},
		{"UD募集", []string{"ＵＤ募集", "U・D 募集", "ud　募集"}},
		{"ホワイト案件", []string{"ﾎﾜｲﾄ案件", "ほわいと 案件", "ホワイト★案件"}},
		{"ハンドキャリー", []string{"ハンドキャリ〜", "ﾊﾝﾄﾞｷｬﾘｰ", "ハンドキャリーーー"}},
		{"❄️", []string{"❄", "❄️", "🥦❄️あります"}},
		{"高額報酬", []string{"高 額 報 酬", "高額報酬！！！"}},
		{"Telegram", []string{"ＴＥＬＥＧＲＡＭ", "telegram"}},
		{"即日即金", []string{"即日　即金"}},
	}
	for _, tt := range tests {
		k := Key(tt.term)
		if k == "" {
			t.Errorf("Key(%q) is empty", tt.term)
		}
		for _, text := range tt.texts {
			if f := Normalize(text).Fold; !strings.Contains(f, k) {
				t.Errorf("Key(%q) = %q not found in Fold of %q = %q", tt.term, k, text, f)
			}
		}
	}
}

func TestFoldKanaUTF8(t *testing.T) {
	for r := rune(0x3000); r < 0x4000; r++ {
		b := []byte(string(r))
		want := string(foldKana(r))
		b1, b2, ok := foldKanaUTF8(b[1], b[2])
		if got := string([]byte{0xE3, b1, b2}); got != want || ok != (foldKana(r) != r) {
			t.Errorf("foldKanaUTF8(%U) = %q, %v; want %q", r, got, ok, want)
		}
	}
}

// TestComposeMark checks the (han)dakuten table against NFC.
func TestComposeMark(t *testing.T) {
	for base := rune(0x3041); base <= 0x30FF; base++ {
		for _, mark := range []rune{0x3099, 0x309A, 0xFF9E, 0xFF9F} {
			want := []rune(norm.NFKC.String(string([]rune{base, mark})))
			got, ok := composeMark(base, mark)
			if len(want) == 1 {
				if !ok || got != want[0] {
					t.Errorf("composeMark(%U, %U) = %U, %v; want %U", base, mark, got, ok, want[0])
				}
			} else if ok {
				t.Errorf("composeMark(%U, %U) = %U; NFC does not compose", base, mark, got)
			}
		}
	}
}

// checkInvariants checks the properties that must hold for every input.
func checkInvariants(t *testing.T, s string) {
	t.Helper()
	x := Normalize(s)
	if x.Orig != s {
		t.Fatalf("Orig changed")
	}
	if !utf8.ValidString(x.Norm) {
		t.Fatalf("Norm %q is not valid UTF-8", x.Norm)
	}
	if len(x.Fold) != len(x.Norm) {
		t.Fatalf("len(Fold) = %d, len(Norm) = %d", len(x.Fold), len(x.Norm))
	}
	for i, r := range x.Norm {
		f, _ := utf8.DecodeRuneInString(x.Fold[i:])
		if f != foldKana(r) {
			t.Fatalf("Fold[%d] = %U, want fold of Norm rune %U", i, f, r)
		}
	}
	if utf8.ValidString(s) {
		// The segmentation and fast paths produce exactly NFKC.
		var got []byte
		n := normalizer{collect: &got}
		n.init(s, false)
		n.process()
		if want := norm.NFKC.String(s); string(got) != want {
			t.Fatalf("NFKC stage = %q, want %q", got, want)
		}
	}
	if k := Key(s); k != x.Fold {
		t.Fatalf("Key(s) = %q, Fold = %q", k, x.Fold)
	}

	origB := boundaries(s)
	onOrig := make(map[int]bool, len(origB))
	for _, b := range origB {
		onOrig[b] = true
	}
	// One span entry per rune of Norm, in order, ranges non-decreasing.
	j := 0
	for i := range x.Norm {
		if j >= len(x.spans) || x.spans[j].norm != i {
			t.Fatalf("span entries do not match the runes of Norm %q: %+v", x.Norm, x.spans)
		}
		j++
	}
	if j != len(x.spans) {
		t.Fatalf("%d span entries for %d runes", len(x.spans), j)
	}
	for i, e := range x.spans {
		if e.os < 0 || e.os > e.oe || e.oe > len(s) || !onOrig[e.os] || !onOrig[e.oe] {
			t.Fatalf("bad span entry %+v for %q", e, s)
		}
		if i > 0 && (e.os < x.spans[i-1].os || e.oe < x.spans[i-1].oe) {
			t.Fatalf("span entries not monotonic at %d: %+v", i, x.spans)
		}
	}

	whole0, whole1 := x.Span(0, len(x.Norm))
	if whole0 < 0 || whole0 > whole1 || whole1 > len(s) || !onOrig[whole0] || !onOrig[whole1] {
		t.Fatalf("Span of the whole Norm = (%d,%d), len(Orig) = %d", whole0, whole1, len(s))
	}
	if len(x.Norm) > 0 && whole0 == whole1 {
		t.Fatalf("non-empty Norm %q maps to an empty range", x.Norm)
	}

	// Spans over rune boundaries of Norm (and a few odd arguments) are
	// valid, inside the whole span, and monotonic: the start of Span(a, b)
	// depends only on a and the end only on b, both non-decreasing.
	nb := boundaries(x.Norm)
	valid := func(a, b, os, oe int) {
		t.Helper()
		if os < 0 || os > oe || oe > len(s) || !onOrig[os] || !onOrig[oe] {
			t.Fatalf("Span(%d,%d) = (%d,%d) invalid for len(Orig) %d", a, b, os, oe, len(s))
		}
		if len(x.Norm) > 0 && (os < whole0 || oe > whole1) {
			t.Fatalf("Span(%d,%d) = (%d,%d) outside the whole span (%d,%d)", a, b, os, oe, whole0, whole1)
		}
	}
	prevStart, prevEnd := -1, -1
	for k, a := range nb {
		if a < len(x.Norm) {
			os, oe := x.Span(a, len(x.Norm))
			valid(a, len(x.Norm), os, oe)
			if os < prevStart {
				t.Fatalf("Span start not monotonic at Norm offset %d", a)
			}
			prevStart = os
			if oe != whole1 {
				t.Fatalf("Span(%d, len(Norm)) ends at %d, want %d", a, oe, whole1)
			}
		}
		if a > 0 {
			os, oe := x.Span(0, a)
			valid(0, a, os, oe)
			if oe < prevEnd {
				t.Fatalf("Span end not monotonic at Norm offset %d", a)
			}
			prevEnd = oe
			if os != whole0 {
				t.Fatalf("Span(0, %d) starts at %d, want %d", a, os, whole0)
			}
		}
		// Empty spans are empty; spans between neighbours combine both ends.
		os, oe := x.Span(a, a)
		valid(a, a, os, oe)
		if os != oe {
			t.Fatalf("empty Span(%d,%d) = (%d,%d)", a, a, os, oe)
		}
		if k > 0 && k+1 < len(nb) {
			p := nb[k-1]
			os, _ := x.Span(p, a)
			_, oe := x.Span(a, nb[k+1])
			if gs, ge := x.Span(p, nb[k+1]); gs != os || ge != oe {
				t.Fatalf("Span(%d,%d) = (%d,%d), want (%d,%d)", p, nb[k+1], gs, ge, os, oe)
			}
		}
	}
	for _, c := range [][2]int{{-1, 1}, {len(x.Norm) / 2, len(x.Norm) + 1}, {1, 0}, {len(x.Norm) + 5, len(x.Norm) + 9}} {
		os, oe := x.Span(c[0], c[1])
		valid(c[0], c[1], os, oe)
	}
}

// boundaries returns the rune boundaries of s as Go decodes it (each invalid
// byte is a rune of its own), including len(s).
func boundaries(s string) []int {
	var b []int
	for i := range s {
		b = append(b, i)
	}
	return append(b, len(s))
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "闇 バ イ ト", "ﾔﾐﾊﾞｲﾄ", "受/け/子", "ＵＤ募集", "🥦❄️ あります", "U・D", "しにたいいいい",
		"ね〜！", "ハ゛イト", "㍻ﷺ", "a\xffb", "闇\xe3\x83", "#闇バイト", "t.me/a_b", "a\u0301\u0302",
		"ｶﾞﾞﾞ", " \u3000\t\n", "I am a cat", "10〜20万", "\u309b\u309b\u309b",
		"issho ni shinimasen ka", "UKETORI dake / 1kai 3man", "konya wa 🍖 yakiniku",
		"闇🔥バ🔥イ🔥ト", "【受】【け】【子】【募】", "ﾔ🔥ﾐ🔥ﾊﾞ🔥ｲ🔥", "あ🔥",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkInvariants(t, s)
	})
}

// benchText is a ~170-character mixed text in the style of a reported post.
var benchText = "【急募】高額報酬💰即日即金！！ ﾎﾜｲﾄ案件です。闇 バ イ ト ではありません。" +
	"荷物を受け取るだけの簡単なお仕事、ＵＤ・受/け/子 募集中。日給１０万円以上可能✨ " +
	"連絡はテレグラムで #闇バイト #高額バイト 🥦❄️ あります 手押し 野菜 アイス。" +
	"身分証の写真を送ってください。20代〜30代 歓迎‼ 詳細は t.me/example まで"

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		Normalize(benchText)
	}
}

func BenchmarkKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Key("ﾔﾐﾊﾞｲﾄ")
	}
}

// TestSimpleNFKC checks the fast path against the NFKC iterator's view.
func TestSimpleNFKC(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		m, ok := simpleNFKC(r)
		if !ok {
			continue
		}
		s := string(r)
		if got := norm.NFKC.String(s); got != string(m) {
			t.Errorf("simpleNFKC(%U) = %U, NFKC = %q", r, m, got)
		}
		if !norm.NFKC.PropertiesString(s).BoundaryBefore() {
			t.Errorf("simpleNFKC(%U): may combine with what precedes it", r)
		}
	}
}

// BenchmarkNFKCBaseline is plain NFKC of the same text, for comparison.
func BenchmarkNFKCBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		norm.NFKC.String(benchText)
	}
}

// TestNFKCStage checks the segmentation and fast paths against norm.NFKC for
// every BMP character alone, before a voicing mark and before a combining
// accent.
func TestNFKCStage(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		if 0xD800 <= r && r < 0xE000 {
			continue
		}
		for _, s := range []string{string(r), string(r) + "ﾞ", string(r) + "\u3099x", string(r) + "\u0301"} {
			var got []byte
			n := normalizer{collect: &got}
			n.init(s, false)
			n.process()
			if want := norm.NFKC.String(s); string(got) != want {
				t.Fatalf("NFKC stage of %q = %q, want %q", s, got, want)
			}
		}
	}
}

// TestNormalizeReusing normalises texts one after another, each reusing
// the last one's memory, and checks that each comes out as Normalize gives
// it, with the same map back to the original.
func TestNormalizeReusing(t *testing.T) {
	texts := []string{
		benchText,
		"闇 バ イ ト",
		"",
		"issho ni shinimasen ka",
		"ｲｯｼｮﾆ ｼﾅﾅｲ? 🥦❄️",
		benchText + benchText,
		"a",
	}
	var prev Text
	for _, s := range texts {
		want := Normalize(s)
		got := NormalizeReusing(s, prev)
		if got.Orig != want.Orig || got.Norm != want.Norm || got.Fold != want.Fold || !slices.Equal(got.spans, want.spans) {
			t.Errorf("%q: reusing gave %+v, want %+v", s, got, want)
		}
		prev = got
	}
}
