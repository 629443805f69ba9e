package lexicon

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// testFold approximates the classifier's normalisation (textnorm.Key):
// NFKC, lower-case, katakana folded to hiragana, separators removed, runs of
// three or more of the same rune collapsed to one. The lexicon must load
// under it without duplicate keys.
func testFold(s string) string {
	var b strings.Builder
	var prev rune
	run := 0
	for _, r := range norm.NFKC.String(s) {
		switch {
		case unicode.IsSpace(r), strings.ContainsRune("・/-_.#、。,!?", r):
			continue
		case r >= 'ァ' && r <= 'ヶ':
			r -= 'ァ' - 'ぁ'
		default:
			r = unicode.ToLower(r)
		}
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run < 3 {
			b.WriteRune(r)
		} else if run == 3 {
			// Collapse: drop the second copy already written.
			str := b.String()
			b.Reset()
			b.WriteString(strings.TrimSuffix(str, string(r)))
		}
	}
	return b.String()
}

func TestTestFold(t *testing.T) {
	for in, want := range map[string]string{
		"ﾔﾐﾊﾞｲﾄ":    "やみばいと",
		"闇 バ イ ト":   "闇ばいと",
		"受/け/子":     "受け子",
		"ＵＤ募集":      "ud募集",
		"草ーーーーー":    "草ー",
		"タタキ":       "たたき",
		"ID・パス売ります": "idぱす売ります",
	} {
		if got := testFold(in); got != want {
			t.Errorf("testFold(%q) = %q, want %q", in, got, want)
		}
	}
}

func loadDefault(t testing.TB, key func(string) string) *Lexicon {
	t.Helper()
	l, err := Load(Default(), key)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(string) string
	}{{"identity", nil}, {"fold", testFold}} {
		t.Run(tc.name, func(t *testing.T) {
			l := loadDefault(t, tc.key)
			count := map[string]int{}
			covered := map[string]bool{}
			for _, e := range l.Entries() {
				count[e.Category]++
				covered[e.Category+"/"+e.Subcategory] = true
				switch {
				case e.Category == Counter:
					if !slices.Contains(CounterKinds(), e.Subcategory) {
						t.Errorf("%q: unknown counter kind %q", e.Term, e.Subcategory)
					}
				case e.Category == Concept:
					if !slices.Contains(Concepts(), e.Subcategory) {
						t.Errorf("%q: unknown concept %q", e.Term, e.Subcategory)
					}
				case !hotline.ValidSubcategory(hotline.Category(e.Category), e.Subcategory) || e.Subcategory == "":
					t.Errorf("%q: %s has no subcategory %q", e.Term, e.Category, e.Subcategory)
				}
				if e.Weight < MinWeight || e.Weight > MaxWeight {
					t.Errorf("%q: weight %v out of range", e.Term, e.Weight)
				}
				if e.Term != strings.TrimSpace(e.Term) || e.Key == "" {
					t.Errorf("%q: bad term or key %q", e.Term, e.Key)
				}
				if tc.key == nil && e.Key != e.Term {
					t.Errorf("identity key: Key %q != Term %q", e.Key, e.Term)
				}
			}
			// Every sub-type of every positive category, and every counter
			// kind, has vocabulary.
			for _, c := range hotline.Categories() {
				if c == hotline.None {
					continue
				}
				for _, sub := range hotline.Subcategories(c) {
					if !covered[string(c)+"/"+sub] {
						t.Errorf("no terms for %s/%s", c, sub)
					}
				}
			}
			for _, k := range CounterKinds() {
				if !covered[Counter+"/"+k] {
					t.Errorf("no counter terms of kind %s", k)
				}
			}
			for _, k := range Concepts() {
				if !covered[Concept+"/"+k] {
					t.Errorf("no terms for concept %s", k)
				}
			}
			t.Logf("entries per category: %v (total %d)", count, l.Len())
		})
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, data string
		line             int
		want             string
	}{
		{"two fields", "illegal.tsv", "# c\n大麻\tdrugs\t1\n手押し\tdrugs\n", 3, "3 tab-separated fields"},
		{"bad weight", "illegal.tsv", "大麻\tdrugs\theavy\n", 1, "weight"},
		{"weight too high", "illegal.tsv", "\n大麻\tdrugs\t3.5\n", 2, "outside"},
		{"weight too low", "illegal.tsv", "大麻\tdrugs\t0\n", 1, "outside"},
		{"weight NaN", "illegal.tsv", "大麻\tdrugs\tNaN\n", 1, "outside"},
		{"unknown subcategory", "illegal.tsv", "大麻\tdrug\t1\n", 1, `unknown subcategory "drug"`},
		{"subcategory of another category", "illegal.tsv", "受け子\tfraud_runner\t1\n", 1, "unknown subcategory"},
		{"empty term", "illegal.tsv", " \tdrugs\t1\n", 1, "empty term"},
		{"empty term inside", "illegal.tsv", "x\tdrugs\t1\n\u3000\tdrugs\t1\n", 2, "empty term"},
		{"duplicate", "criminal_recruitment.tsv", "受け子\tfraud_runner\t2\n\n受け子\tgeneric\t1\n", 3, "line 1"},
		{"counter kind", "counter.tsv", "逮捕\tarrest\t1\n", 1, "unknown subcategory"},
		{"none is not a lexicon", "none.tsv", "逮捕\tnews\t1\n", 0, "not a positive category"},
		{"unknown category", "drugs.tsv", "大麻\tdrugs\t1\n", 0, "not a positive category"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{tc.file: {Data: []byte(tc.data)}}
			_, err := Load(fsys, nil)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.File != tc.file || pe.Line != tc.line {
				t.Errorf("error at %s:%d, want %s:%d", pe.File, pe.Line, tc.file, tc.line)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if tc.line > 0 && !strings.Contains(err.Error(), pe.File+":"+strconv.Itoa(tc.line)+":") {
				t.Errorf("error %q does not name file:line", err)
			}
		})
	}

	t.Run("key normalises to empty", func(t *testing.T) {
		fsys := fstest.MapFS{"illegal.tsv": {Data: []byte("・・\tdrugs\t1\n")}}
		_, err := Load(fsys, testFold)
		if err == nil || !strings.Contains(err.Error(), "illegal.tsv:1: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("duplicate after normalisation", func(t *testing.T) {
		fsys := fstest.MapFS{"criminal_recruitment.tsv": {Data: []byte("闇バイト\tgeneric\t1\n闇ﾊﾞｲﾄ\tgeneric\t1\n")}}
		_, err := Load(fsys, testFold)
		if err == nil || !strings.Contains(err.Error(), "criminal_recruitment.tsv:2: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no files", func(t *testing.T) {
		if _, err := Load(fstest.MapFS{"README": {}}, nil); err == nil {
			t.Fatal("Load succeeded")
		}
	})
}

func TestLoadSameKeyAcrossCategories(t *testing.T) {
	fsys := fstest.MapFS{
		"illegal.tsv": {Data: []byte("アイス\tdrugs\t0.3\n")},
		"counter.tsv": {Data: []byte("アイス\tfood\t0.5\n")},
	}
	l, err := Load(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	l.Find("アイス", func(m Match) { got = append(got, m.Entry.Category) })
	slices.Sort(got)
	if want := []string{Counter, "illegal"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

type span struct {
	term       string
	start, end int
}

func spans(l *Lexicon, text string) []span {
	var out []span
	l.Find(text, func(m Match) {
		if text[m.Start:m.End] != m.Entry.Key {
			panic("match offsets do not cover the key")
		}
		if m.Entry != &l.entries[m.Index] {
			panic("match index is not its entry's")
		}
		out = append(out, span{m.Entry.Term, m.Start, m.End})
	})
	return out
}

func TestFindOverlapping(t *testing.T) {
	fsys := fstest.MapFS{"criminal_recruitment.tsv": {Data: []byte(
		"闇バイト\tgeneric\t1.8\n" +
			"バイト\tgeneric\t0.1\n" +
			"闇バイトではありません\tgeneric\t2.5\n" +
			"受け子\tfraud_runner\t2.5\n" +
			"受け子募集\tfraud_runner\t3\n" +
			"子募\tgeneric\t0.1\n" +
			"ああ\tgeneric\t0.1\n")}}
	l, err := Load(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := "闇バイトではありません。受け子募集ああああ"
	got := spans(l, text)
	at := func(s string) int { return strings.Index(text, s) }
	a := at("ああ")
	want := []span{
		{"闇バイト", 0, len("闇バイト")},
		{"バイト", at("バイト"), len("闇バイト")},
		{"闇バイトではありません", 0, len("闇バイトではありません")},
		{"受け子", at("受け子"), at("受け子") + len("受け子")},
		{"子募", at("子募"), at("子募") + len("子募")},
		{"受け子募集", at("受け子"), a},
		{"ああ", a, a + 6},
		{"ああ", a + 3, a + 9},
		{"ああ", a + 6, a + 12},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Find:\n got %v\nwant %v", got, want)
	}

	if got := spans(l, ""); got != nil {
		t.Errorf("Find on empty text: %v", got)
	}
	if got := spans(l, "ごく普通の文章です"); got != nil {
		t.Errorf("Find on clean text: %v", got)
	}
}

func TestFindASCIIBoundaries(t *testing.T) {
	fsys := fstest.MapFS{"illegal.tsv": {Data: []byte(
		"UD\tfirearm_incitement\t1\nMDMA\tdrugs\t1\nP活\tprostitution\t1\n1日10万\tfirearm_incitement\t1\n")}}
	l, err := Load(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]int{
		"UD募集":           1,
		"UD":             1,
		"#UD":            1,
		"CLOUD":          0,
		"UDON":           0,
		"MDMAあります":       1,
		"XMDMA":          0,
		"P活女子":           1,
		"ZIP活用":          0,
		"1日10万円":         1,
		"11日10万":         0,
		"UD、MDMA、P活":     3,
		"募集UDです":         1,
		"1日10万円UDMDMAあり": 1, // UD and MDMA touch each other
	} {
		if got := len(spans(l, text)); got != want {
			t.Errorf("%q: %d matches, want %d (%v)", text, got, want, spans(l, text))
		}
	}
}

// naive finds what Find should: every occurrence of every key, honouring the
// ASCII boundary rule, ordered by end, longer first, then entry order.
func naive(l *Lexicon, text string) []span {
	type hit struct {
		span
		idx int
	}
	var hits []hit
	for i, e := range l.entries {
		for off := 0; ; {
			j := strings.Index(text[off:], e.Key)
			if j < 0 {
				break
			}
			start, end := off+j, off+j+len(e.Key)
			ok := !(isASCIIAlnum(e.Key[0]) && start > 0 && isASCIIAlnum(text[start-1])) &&
				!(isASCIIAlnum(e.Key[len(e.Key)-1]) && end < len(text) && isASCIIAlnum(text[end]))
			if ok {
				hits = append(hits, hit{span{e.Term, start, end}, i})
			}
			off = start + 1
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.end != b.end {
			return a.end - b.end
		}
		if a.start != b.start {
			return a.start - b.start
		}
		return a.idx - b.idx
	})
	out := make([]span, len(hits))
	for i, h := range hits {
		out[i] = h.span
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var sampleTexts = []string{
	"【高額報酬】即日即金！ホワイト案件です。荷物を受け取るだけの簡単なお仕事。闇バイトではありません。詳細はテレグラムで連絡ください",
	"手押し🥦❄ 野菜あります 即配OK 💊も",
	"一緒に死にませんか。集団自殺の仲間を探しています",
	"県警は受け子の男を詐欺の疑いで逮捕した。調べに対し「高額報酬に惹かれた」と供述している",
	"今日の夕飯は野菜炒めとアイスクリーム。かき氷も食べたい",
	"UD案件あり、CLOUDで管理。口座売ります、通帳買取、SIM買取、オンカジ入金不要ボーナス",
	"拳銃売ります。チャカあり。殺し屋に復讐代行を依頼。硫化水素の作り方。臓器売買",
	"",
	"ああああああ",
}

func TestFindMatchesNaive(t *testing.T) {
	for _, key := range []func(string) string{nil, testFold} {
		l := loadDefault(t, key)
		for _, text := range sampleTexts {
			if key != nil {
				text = key(text)
			}
			got, want := spans(l, text), naive(l, text)
			if !slices.Equal(got, want) {
				t.Errorf("%q:\n got %v\nwant %v", text, got, want)
			}
		}
	}
}

func TestFindDefaultTerms(t *testing.T) {
	l := loadDefault(t, testFold)
	text := testFold("ﾔﾐﾊﾞｲﾄ募集、受/け/子、UD案件、闇バイトではありません。ＭＤＭＡ、🥦、一緒に 死に ませんか")
	found := map[string]bool{}
	l.Find(text, func(m Match) { found[m.Entry.Term] = true })
	for _, term := range []string{"ヤミバイト", "受け子", "UD案件", "UD", "闇バイトではありません", "闇バイト", "MDMA", "🥦", "一緒に死にませんか"} {
		if !found[term] {
			t.Errorf("%q not found in %q", term, text)
		}
	}
}

func TestFindAllocs(t *testing.T) {
	l := loadDefault(t, testFold)
	text := testFold(sampleTexts[0])
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		l.Find(text, func(Match) { n++ })
	})
	if allocs != 0 {
		t.Errorf("Find allocates %v times per run", allocs)
	}
	if n == 0 {
		t.Error("no matches")
	}
	dst := make([]Match, 0, 64)
	allocs = testing.AllocsPerRun(100, func() { dst = l.AppendMatches(dst[:0], text) })
	if allocs != 0 {
		t.Errorf("AppendMatches into a large enough slice allocates %v times per run", allocs)
	}
}

func TestEntriesIsACopy(t *testing.T) {
	l := loadDefault(t, nil)
	es := l.Entries()
	es[0].Weight = 99
	if l.Entries()[0].Weight == 99 {
		t.Error("Entries exposes the lexicon's own slice")
	}
}

func FuzzFind(f *testing.F) {
	f.Add("ab\nabc\nbc\nc\nUD", "xabcabcUD UDP cloud")
	f.Add("闇バイト\nバイト\n受け子", "闇バイトの受け子、バイト")
	f.Add("aa\na", "aaaa")
	f.Fuzz(func(t *testing.T, terms, text string) {
		var b strings.Builder
		seen := map[string]bool{}
		for _, term := range strings.Split(terms, "\n") {
			term = strings.TrimSpace(term)
			if term == "" || term[0] == '#' || strings.ContainsAny(term, "\t\r") || seen[term] {
				continue
			}
			seen[term] = true
			b.WriteString(term + "\tgeneric\t1\n")
		}
		l, err := Load(fstest.MapFS{"criminal_recruitment.tsv": {Data: []byte(b.String())}}, nil)
		if err != nil {
			if len(seen) == 0 {
				return
			}
			t.Fatal(err)
		}
		if got, want := spans(l, text), naive(l, text); !slices.Equal(got, want) {
			t.Errorf("terms %q text %q:\n got %v\nwant %v", terms, text, got, want)
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add("大麻\tdrugs\t1.2\n# c\n\n手押し\tdrugs\t2\n", "手押し大麻")
	f.Add("x\tdrugs\t1e400\n", "x")
	f.Fuzz(func(t *testing.T, data, text string) {
		l, err := Load(fstest.MapFS{"illegal.tsv": {Data: []byte(data)}}, nil)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		l.Find(text, func(m Match) {
			if text[m.Start:m.End] != m.Entry.Key || m.Entry != &l.entries[m.Index] {
				t.Fatalf("bad match %+v", m)
			}
		})
	})
}

func BenchmarkFind(b *testing.B) {
	l := loadDefault(b, testFold)
	// About 200 bytes of typical recruitment text.
	text := testFold("【高額報酬】即日即金！ホワイト案件です。荷物を受け取るだけの簡単なお仕事。闇バイトではありません。詳細はテレグラムで連絡ください、お待ちしてます")
	b.SetBytes(int64(len(text)))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		l.Find(text, func(Match) { n++ })
	}
	_ = n
}

func BenchmarkLoad(b *testing.B) {
	fsys := Default()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(fsys, testFold); err != nil {
			b.Fatal(err)
		}
	}
}
