package viterbi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/dict/trie"
	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer/lattice"

	"github.com/hotline-jp/hotline/classifiers/lexicon"
)

// dicts loads kagome's IPA dictionary (without contents, as the classifier
// runs) and the lexicon's user dictionary once for the package's tests.
var dicts = sync.OnceValues(func() (*loaded, error) {
	u, err := lexicon.KagomeUserDict()
	if err != nil {
		return nil, err
	}
	return &loaded{d: ipa.DictShrink(), u: u}, nil
})

type loaded struct {
	d *dict.Dict
	u *dict.UserDict
}

func load(tb testing.TB) (*dict.Dict, *dict.UserDict, *Segmenter) {
	tb.Helper()
	ds, err := dicts()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(ds.d, ds.u)
	if err != nil {
		tb.Fatal(err)
	}
	return ds.d, ds.u, s
}

// kagome segments text with kagome's own lattice in normal mode, in the
// form Segment returns.
func kagome(d *dict.Dict, u *dict.UserDict, text string) []Morpheme {
	if text == "" {
		return nil
	}
	la := lattice.New(d, u)
	defer la.Free()
	la.Build(text)
	la.Forward(lattice.Normal)
	la.Backward(lattice.Normal)
	var out []Morpheme
	for i := len(la.Output) - 1; i >= 0; i-- {
		n := la.Output[i]
		if n.Class == lattice.DUMMY {
			continue
		}
		m := Morpheme{Start: int32(n.Position), End: int32(n.Position + len(n.Surface)), ID: int32(n.ID)}
		switch n.Class {
		case lattice.KNOWN:
			m.Class = Known
		case lattice.UNKNOWN:
			m.Class = Unknown
		case lattice.USER:
			m.Class = User
		}
		out = append(out, m)
	}
	return out
}

func show(text string, ms []Morpheme) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%q/%d:%d ", text[m.Start:m.End], m.Class, m.ID)
	}
	return b.String()
}

func same(a, b []Morpheme) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// corpusTexts reads every text of the labelled corpus, the blind and
// contrast sets included: only their segmentation is looked at.
func corpusTexts(tb testing.TB) []string {
	tb.Helper()
	root := filepath.Join("..", "..", "..", "testdata", "corpus")
	files, err := filepath.Glob(filepath.Join(root, "src", "*.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(root, "*", "*.jsonl"))
	files = append(files, more...)
	var texts []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var it struct{ Text string }
			if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
				tb.Fatalf("%s: %v", f, err)
			}
			texts = append(texts, it.Text)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	if len(texts) < 1000 {
		tb.Fatalf("only %d corpus texts", len(texts))
	}
	return texts
}

// TestSameAsKagomeOnCorpus: every corpus text, whole and line by line,
// segments exactly as kagome's lattice segments it.
func TestSameAsKagomeOnCorpus(t *testing.T) {
	d, u, s := load(t)
	texts := corpusTexts(t)
	if testing.Short() {
		texts = texts[:len(texts)/10]
	}
	var got []Morpheme
	n, bad := 0, 0
	for _, text := range texts {
		for _, part := range append(strings.Split(text, "\n"), text) {
			got = s.Segment(got[:0], part)
			want := kagome(d, u, part)
			n++
			if !same(got, want) {
				if bad++; bad <= 5 {
					t.Errorf("%q:\n got  %s\n want %s", part, show(part, got), show(part, want))
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts segmented differently", bad, n)
	}
	t.Logf("%d texts segmented as kagome does", n)
}

// TestSameAsKagomeOnNoise: random strings over every script the
// dictionary classes, with invalid UTF-8, NUL bytes, U+FFFD and long runs
// of one class.
func TestSameAsKagomeOnNoise(t *testing.T) {
	d, u, s := load(t)
	pieces := []string{
		"あ", "い", "ん", "ー", "ア", "イ", "ン", "ｱ", "ﾞ", "闇", "バイト", "受け子", "出し子", "東京", "人", "死",
		"a", "Z", "0", "9", "１", "Ａ", " ", "　", "\n", "、", "。", "!", "?", "…", "「", "」", "🥦", "❄️", "🔫",
		"\x00", "\xff", "\xe3\x81", "\x81", "\xbf", "\uFFFD", "ω", "д", "한", "٣", "〇", "々", "ヶ", "#", "@", "https://example.com",
		"ホワイト案件", "タタキ", "手押し", "kg", "万円", "即日", "090-xxxx-xxxx",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var got []Morpheme
	for i := range n {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			p := pieces[rng.IntN(len(pieces))]
			for range 1 + rng.IntN(3)*rng.IntN(2)*20 {
				b.WriteString(p)
			}
		}
		text := b.String()
		got = s.Segment(got[:0], text)
		if want := kagome(d, u, text); !same(got, want) {
			t.Fatalf("text %d %q:\n got  %s\n want %s", i, text, show(text, got), show(text, want))
		}
	}
}

func TestEmpty(t *testing.T) {
	_, _, s := load(t)
	if got := s.Segment(nil, ""); len(got) != 0 {
		t.Errorf("empty text: %v", got)
	}
	got := s.Segment([]Morpheme{{ID: 7}}, "猫")
	if len(got) != 2 || got[0].ID != 7 || got[1].Start != 0 || got[1].End != int32(len("猫")) {
		t.Errorf("Segment does not append: %v", got)
	}
}

func TestNewRejectsBrokenDictionaries(t *testing.T) {
	d, u, _ := load(t)
	broken := *d
	broken.Connection.Vec = broken.Connection.Vec[:10]
	if _, err := New(&broken, u); err == nil {
		t.Error("a truncated connection matrix was accepted")
	}
	broken = *d
	broken.Index.Dup = map[int32]int32{int32(len(d.Morphs) - 1): 3}
	if _, err := New(&broken, u); err == nil {
		t.Error("duplicates past the last morph were accepted")
	}
	broken = *d
	broken.GroupList = broken.GroupList[:1]
	if _, err := New(&broken, u); err == nil {
		t.Error("group flags for fewer classes than the invoke flags were accepted")
	}
}

func TestConcurrent(t *testing.T) {
	d, u, s := load(t)
	texts := corpusTexts(t)[:400]
	want := make([][]Morpheme, len(texts))
	for i, text := range texts {
		want[i] = kagome(d, u, text)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var got []Morpheme
			for i := range texts {
				i := (i + g*97) % len(texts)
				if got = s.Segment(got[:0], texts[i]); !same(got, want[i]) {
					t.Errorf("goroutine %d, text %d differs", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
}

// benchLines are the benchmark text's lines (../shared/bench beside the
// repository), the text classifiers/bench/compare-mecab.sh times.
func benchLines(b *testing.B) []string {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "bench", "whitepaper-2025-ch3.txt"))
	if err != nil {
		b.Skipf("no benchmark text: %v", err)
	}
	var lines []string
	for l := range strings.Lines(string(raw)) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// BenchmarkSegment and BenchmarkKagomeLattice segment the same lines, one
// per op, with this package and with kagome's lattice.
func BenchmarkSegment(b *testing.B) {
	_, _, s := load(b)
	lines := benchLines(b)
	var out []Morpheme
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		out = s.Segment(out[:0], lines[i%len(lines)])
		i++
	}
}

func BenchmarkKagomeLattice(b *testing.B) {
	d, u, _ := load(b)
	lines := benchLines(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		la := lattice.New(d, u)
		la.Build(lines[i%len(lines)])
		la.Forward(lattice.Normal)
		la.Backward(lattice.Normal)
		la.Free()
		i++
	}
}

// TestEntriesAreUTF8 reads every entry of the IPA and the user
// dictionary's tries back from its terminal cell up to the root: Segment
// looks for entries only where a character ends, which is right only if
// every entry is valid UTF-8.
func TestEntriesAreUTF8(t *testing.T) {
	d, u, _ := load(t)
	for name, da := range map[string]trie.DoubleArray{"IPA": d.Index.Da, "user": u.Index.Da} {
		// label returns the byte leading to cell q from its parent, or -1
		// if q is not a child (the root, a free cell).
		label := func(q int) int {
			p := int(da[q].Check)
			if q == 0 || p < 0 || p >= len(da) {
				return -1
			}
			if c := q - int(da[p].Base); c >= 0 && c < 256 {
				return c
			}
			return -1
		}
		n := 0
		var key []byte
		for q := range da {
			if label(q) != 0 || da[q].Base > 0 {
				continue // not a terminal cell
			}
			key = key[:0]
			for p := int(da[q].Check); p != 0; p = int(da[p].Check) {
				c := label(p)
				if c <= 0 || len(key) > 1024 {
					t.Fatalf("%s dictionary: broken path up from cell %d", name, q)
				}
				key = append(key, byte(c))
			}
			slices.Reverse(key)
			if n++; !utf8.Valid(key) {
				t.Errorf("%s dictionary: entry %q is not UTF-8", name, key)
			}
		}
		if n < 10 {
			t.Errorf("%s dictionary: only %d entries found", name, n)
		}
		t.Logf("%s dictionary: %d entries, all UTF-8", name, n)
	}
}
