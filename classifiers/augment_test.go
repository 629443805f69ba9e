package classifiers

import (
	"strings"
	"testing"
	"unicode"

	"github.com/ikawaha/kagome-dict/ipa"

	"github.com/hotline-jp/hotline/classifiers/textnorm"
)

func testRespeller(t *testing.T) *respeller {
	t.Helper()
	return newRespeller(testDictContents(t))
}

// testDictContents loads the full IPA dictionary.
func testDictContents(t *testing.T) *dictContents {
	t.Helper()
	mo, err := newMorph(ipa.Dict())
	if err != nil {
		t.Fatal(err)
	}
	dc, err := newDictContents(mo)
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

func TestRespell(t *testing.T) {
	r := testRespeller(t)
	const text = "闇バイト募集中、即日現金。詳細は @user_xxx まで"
	kata, ok := r.respell(text, respellKatakana, nil)
	if !ok {
		t.Fatal("katakana: nothing changed")
	}
	if want := "ヤミバイトボシュウチュウ、ソクジツゲンキン。ショウサイハ@user_xxxマデ"; kata != want {
		t.Errorf("katakana: %q, want %q", kata, want)
	}
	half, ok := r.respell(text, respellHalfwidth, nil)
	if !ok {
		t.Fatal("half-width: nothing changed")
	}
	if !strings.Contains(half, "ﾔﾐﾊﾞｲﾄ ﾎﾞｼｭｳ") || strings.ContainsFunc(half, func(c rune) bool { return unicode.Is(unicode.Han, c) }) {
		t.Errorf("half-width: %q", half)
	}
	// The normaliser folds widths and the spaces between Japanese
	// characters: both respellings read the same to it.
	if a, b := textnorm.Normalize(half).Norm, textnorm.Normalize(kata).Norm; a != b {
		t.Errorf("normalised half-width %q != normalised katakana %q", a, b)
	}
	_, rng, _ := augmentDraw(1, "x", 1)
	hira, ok := r.respell(text, respellHiragana, rng)
	if !ok || !strings.Contains(hira, "@user_xxx") {
		t.Errorf("hiragana: %q, %v", hira, ok)
	}
	for _, c := range hira {
		if unicode.Is(unicode.Katakana, c) && c != 'ー' {
			t.Errorf("hiragana: %q has katakana", hira)
			break
		}
	}
	if _, ok := r.respell("hello world 123", respellKatakana, nil); ok {
		t.Error("a text without Japanese was respelt")
	}
}

func TestAugmentDrawIsStable(t *testing.T) {
	n := 0
	for i := range 2000 {
		id := "item-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		m1, _, ok1 := augmentDraw(7, id, 0.3)
		m2, _, ok2 := augmentDraw(7, id, 0.3)
		if m1 != m2 || ok1 != ok2 {
			t.Fatalf("%s: draws differ", id)
		}
		if ok1 {
			n++
		}
	}
	if n < 500 || n > 700 {
		t.Errorf("%d of 2000 drawn at share 0.3", n)
	}
	if _, _, ok := augmentDraw(7, "a", 0); ok {
		t.Error("share 0 drew an item")
	}
}
