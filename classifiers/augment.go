package classifiers

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	unorm "golang.org/x/text/unicode/norm"

	"github.com/hotline-jp/hotline/classifiers/textnorm"
)

// Respelling for training. Writers who dodge filters spell words in kana
// (やみばいと, ｼﾞﾝｿﾞｳ) and spread them out (ﾔ ﾐ ﾊﾞ ｲ ﾄ); the normaliser
// folds widths and separators but cannot turn kana back into kanji. A
// model trained only on the corpus as written learns two wrong lessons
// from that: that a kana spelling is itself a sign of a positive (the
// corpus's evasive items are mostly positives), and nothing about the
// kana spelling of ordinary words. Train therefore adds, for a share of
// the items, a copy respelt in one of the ways below, with the label of
// the original: a spelling never changes what a text is.

// respellMode is a way of respelling a text.
type respellMode uint8

const (
	// respellHiragana writes most words with kanji or katakana in
	// hiragana, from their readings: 闇バイト募集 -> やみばいとぼしゅう.
	respellHiragana respellMode = iota
	// respellKatakana writes every word in katakana: ヤミバイトボシュウ.
	respellKatakana
	// respellHalfwidth writes every word in half-width katakana, words
	// apart: ﾔﾐ ﾊﾞｲﾄ ﾎﾞｼｭｳ.
	respellHalfwidth
	nRespell
)

func (m respellMode) String() string {
	return [...]string{"hiragana", "katakana", "halfwidth"}[m]
}

// respeller respells texts from the readings of a full dictionary. It is
// safe for concurrent use.
type respeller struct {
	dc   *dictContents
	half map[rune]string // full-width katakana -> half-width spelling
}

func newRespeller(dc *dictContents) *respeller {
	r := &respeller{dc: dc, half: map[rune]string{}}
	for h := rune(0xFF61); h <= 0xFF9F; h++ {
		hs := string(h)
		if f := []rune(unorm.NFKC.String(hs)); len(f) == 1 && f[0] != h {
			r.half[f[0]] = hs
		}
		for _, mark := range []string{"\uFF9E", "\uFF9F"} { // ﾞ ﾟ
			if f := []rune(unorm.NFKC.String(hs + mark)); len(f) == 1 {
				r.half[f[0]] = hs + mark
			}
		}
	}
	return r
}

// augmentDraw decides, from the seed and an item's id alone, whether the
// item gets a respelt copy (when share > 0) and in which mode, and seeds
// the copy's own choices.
func augmentDraw(seed int64, id string, share float64) (respellMode, *rand.Rand, bool) {
	h := sha256.Sum256(fmt.Appendf(nil, "respell\x00%d\x00%s", seed, id))
	u := float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
	if u >= share {
		return 0, nil, false
	}
	mode := respellMode(binary.BigEndian.Uint64(h[8:16]) % uint64(nRespell))
	rng := rand.New(rand.NewPCG(binary.BigEndian.Uint64(h[16:24]), binary.BigEndian.Uint64(h[24:32])))
	return mode, rng, true
}

// respell writes text again in mode; rng decides, in respellHiragana,
// which words are respelt. It reports false if nothing would change.
func (r *respeller) respell(text string, mode respellMode, rng *rand.Rand) (string, bool) {
	return r.respellWords(text, mode == respellHalfwidth, func(surface, reading string) string {
		switch mode {
		case respellHiragana:
			if hasKanjiOrKatakana(surface) && rng.Float64() < 0.7 {
				return toHiragana(reading)
			}
			return surface
		case respellKatakana:
			return reading
		case respellHalfwidth:
			return r.toHalfwidth(reading)
		}
		return surface
	})
}

// respellWords writes text normalised, with each word in Japanese script
// that has a reading (katakana) replaced by spell(surface, reading); with
// apart, consecutive Japanese words of a sentence are written a space
// apart. It reports whether any word changed.
func (r *respeller) respellWords(text string, apart bool, spell func(surface, reading string) string) (string, bool) {
	a := &analysis{text: textnorm.Normalize(text)}
	a.splitSentences()
	nt := a.text.Norm
	var sb strings.Builder
	at := 0
	changed := false
	for _, s := range a.sents {
		a.toks = r.dc.m.tokenize(a.toks[:0], nt[s.start:s.end], s.start, nil)
		prevJa := false
		for _, t := range a.toks {
			sb.WriteString(nt[at:t.start])
			at = t.end
			out := t.surface
			ja := hasJapanese(t.surface)
			if ja {
				if rd, ok := r.dc.tokenReading(t); ok {
					out = spell(t.surface, rd)
				}
			}
			if ja && prevJa && apart {
				sb.WriteByte(' ') // words apart
			}
			prevJa = ja
			if out != t.surface {
				changed = true
			}
			sb.WriteString(out)
		}
	}
	sb.WriteString(nt[at:])
	return sb.String(), changed
}

func (r *respeller) toHalfwidth(kata string) string {
	var sb strings.Builder
	for _, c := range kata {
		if h, ok := r.half[c]; ok {
			sb.WriteString(h)
		} else {
			sb.WriteRune(c)
		}
	}
	return sb.String()
}

func toHiragana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ァ' && r <= 'ヶ' {
			return r - 0x60
		}
		return r
	}, s)
}

func toKatakana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ぁ' && r <= 'ゖ' {
			return r + 0x60
		}
		return r
	}, s)
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}

func hasKanjiOrKatakana(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Katakana, unicode.Han) && r != 'ー' {
			return true
		}
	}
	return false
}

// augmentItems returns a respelt copy of a share of items (see
// augmentDraw), each with its original's index in items. Copies are
// labelled as their originals and never evaluated.
func augmentItems(r *respeller, items []Item, seed int64, share float64) (copies []Item, origin []int) {
	if share <= 0 {
		return nil, nil
	}
	for i, it := range items {
		mode, rng, ok := augmentDraw(seed, it.ID, share)
		if !ok {
			continue
		}
		text, changed := r.respell(it.Text, mode, rng)
		if !changed || !utf8.ValidString(text) {
			continue
		}
		c := it
		c.ID = it.ID + "~" + mode.String()
		c.Text = text
		c.Evasion = true
		copies = append(copies, c)
		origin = append(origin, i)
	}
	return copies, origin
}
