package classifiers

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

func newClassifier(t testing.TB, opts Options) *Classifier {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Both the lexicon rules alone and the trained model must get the clear
// cases right.
func classifiers(t *testing.T) map[string]*Classifier {
	t.Helper()
	cs := map[string]*Classifier{"rules": newClassifier(t, Options{NoModel: true})}
	if c := newClassifier(t, Options{}); c.model != nil {
		cs["model"] = c
	} else {
		t.Log("no embedded model: testing the rules only")
	}
	return cs
}

func TestClassifyClearCases(t *testing.T) {
	cs := classifiers(t)
	for _, tc := range []struct {
		text string
		want hotline.Category
		sub  string // checked when set
	}{
		{"【即日即金】高額報酬 荷物を受け取るだけの簡単なお仕事 受け子 詳細はテレグラムで @xxxx_123", hotline.CriminalRecruitment, ""},
		{"一緒に死にませんか", hotline.SuicideInducement, "group_suicide"},
		{"死にたい", hotline.None, ""},
		{"もう疲れた。死にたい。誰にも会いたくない", hotline.None, ""},
		{"闇バイトではありません。荷物を運ぶだけで日給5万円。詳細はDMで", hotline.CriminalRecruitment, ""},
		{"ﾔﾐﾊﾞｲﾄ じゃないよ 受/け/子 募集 即日即金", hotline.CriminalRecruitment, "fraud_runner"},
		{"○○県警は、特殊詐欺の受け子をしたとして男を詐欺の疑いで逮捕した。「SNSで闇バイトに応募した」と供述している。", hotline.None, ""},
		{"#STOP闇バイト 高額報酬をうたう求人に注意してください。応募しないで、警察に相談を。", hotline.None, "awareness"},
		{"今日の晩ごはんは野菜炒め。デザートはアイスクリーム", hotline.None, ""},
		{"🥦❄️ 手押し 都内即日 詳細はテレグラムで", hotline.Illegal, "drugs"},
		{"殺してほしい人がいます。報酬は300万円。本気の方だけDMください", hotline.CriticalCrime, "violence_for_hire"},
		{"拳銃売ります。実弾付き。都内手渡し", hotline.CriticalCrime, "firearm_transfer"},
		{"自殺オフ参加者募集。練炭は用意します", hotline.SuicideInducement, ""},
		// struck through, and broken up by a filler: as their plain spellings
		{"自\u0336殺\u0336オ\u0336フ\u0336参\u0336加\u0336者\u0336募\u0336集\u0336。練炭は用意します", hotline.SuicideInducement, ""},
		{"受🔥け🔥子🔥募🔥集🔥中", hotline.CriminalRecruitment, ""},
		{"一🔥緒🔥に🔥死🔥に🔥ま🔥せ🔥ん🔥か", hotline.SuicideInducement, "group_suicide"},
		{"大✨麻✨あ✨り✨ま✨す", hotline.Illegal, "drugs"},
	} {
		for name, c := range cs {
			got := c.Classify(tc.text)
			if got.Category != tc.want {
				t.Errorf("%s: %q: got %s (%.2f, %v), want %s", name, tc.text, got.Category, got.Score, got.Scores, tc.want)
				continue
			}
			if tc.sub != "" && got.Subcategory != tc.sub {
				t.Errorf("%s: %q: sub-type %q, want %q", name, tc.text, got.Subcategory, tc.sub)
			}
		}
	}
}

func TestClassifyShape(t *testing.T) {
	const text = "ﾔﾐﾊﾞｲﾄではありません！　受/け/子 急募、今夜から。連絡は @xxxx_123 まで"
	for name, c := range classifiers(t) {
		got := c.Classify(text)
		if len(got.Scores) != len(hotline.Categories()) {
			t.Errorf("%s: scores %v", name, got.Scores)
		}
		sum := 0.0
		for _, cat := range hotline.Categories() {
			p, ok := got.Scores[cat]
			if !ok || p < 0 || p > 1 {
				t.Errorf("%s: score of %s: %v", name, cat, p)
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: scores sum to %v", name, sum)
		}
		if got.Score != round4(got.Scores[got.Category]) {
			t.Errorf("%s: score %v is not the score of %s (%v)", name, got.Score, got.Category, got.Scores[got.Category])
		}
		if !hotline.ValidSubcategory(got.Category, got.Subcategory) || got.Subcategory == "" {
			t.Errorf("%s: sub-type %q of %s", name, got.Subcategory, got.Category)
		}
		if got.Model != c.Version() || !strings.Contains(got.Model, "lexicon=") {
			t.Errorf("%s: model %q, version %q", name, got.Model, c.Version())
		}
		var terms []string
		features := 0
		for _, e := range got.Evidence {
			switch e.Kind {
			case "lexicon", "counter":
				if e.Start >= e.End || e.End > len(text) {
					t.Errorf("%s: evidence %+v: bad span", name, e)
					continue
				}
				terms = append(terms, e.Term+"="+text[e.Start:e.End])
			case "feature":
				features++
				if e.Start != 0 || e.End != 0 {
					t.Errorf("%s: feature evidence with a span: %+v", name, e)
				}
			case "imminence":
			default:
				t.Errorf("%s: evidence kind %q", name, e.Kind)
			}
		}
		// The spans point at what the reporter wrote, evasion and all (the
		// denial may be found as ヤミバイト plus ではありません, or as the
		// reading of 闇バイトではありません).
		for _, want := range []string{"受け子=受/け/子", "ではありません=ﾔﾐﾊﾞｲﾄではありません"} {
			found := false
			for _, s := range terms {
				found = found || strings.HasSuffix(s, want)
			}
			if !found {
				t.Errorf("%s: evidence %q missing from %q", name, want, terms)
			}
		}
		if (c.model != nil) != (features > 0) {
			t.Errorf("%s: %d feature evidence items", name, features)
		}
	}
}

func TestPriority(t *testing.T) {
	for name, c := range classifiers(t) {
		plain := c.Classify("一緒に死にませんか。関東の方、DMください")
		soon := c.Classify("一緒に死にませんか。今夜決行します。関東の方、DMください")
		distress := c.Classify("死にたい。もう無理")
		recruit := c.Classify("受け子募集。即日即金。詳細はテレグラムで")
		if soon.Category != hotline.SuicideInducement || plain.Category != hotline.SuicideInducement {
			t.Fatalf("%s: %s, %s", name, plain.Category, soon.Category)
		}
		if soon.Priority <= plain.Priority {
			t.Errorf("%s: a date does not raise the priority: %d <= %d", name, soon.Priority, plain.Priority)
		}
		imminence := false
		for _, e := range soon.Evidence {
			imminence = imminence || e.Kind == "imminence"
		}
		if !imminence {
			t.Errorf("%s: no imminence evidence in %+v", name, soon.Evidence)
		}
		if !(plain.Priority > recruit.Priority && recruit.Priority > distress.Priority) {
			t.Errorf("%s: priorities suicide %d, recruitment %d, distress %d", name, plain.Priority, recruit.Priority, distress.Priority)
		}
		hire := c.Classify("殺してほしい人がいます。報酬は300万円")
		if hire.Category == hotline.CriticalCrime && hire.Priority < hotline.Priority(hotline.CriticalCrime, 0, true) {
			t.Errorf("%s: murder for hire is not imminent: %d", name, hire.Priority)
		}
	}
}

func TestClassifyOddInput(t *testing.T) {
	for name, c := range classifiers(t) {
		for _, s := range []string{"", " ", "\n\n", "。。。", "!!??", "\xff\xfe", strings.Repeat("あ", 5000), "@", "http://", "0120-000-000"} {
			got := c.Classify(s)
			if got.Category != hotline.None {
				t.Errorf("%s: %q: %s", name, s, got.Category)
			}
		}
	}
}

func TestClassifyConcurrent(t *testing.T) {
	texts := []string{
		"受け子募集。即日即金。詳細はテレグラムで",
		"一緒に死にませんか",
		"今日は野菜炒め",
		"拳銃売ります",
	}
	for name, c := range classifiers(t) {
		want := make([]hotline.Category, len(texts))
		for i, s := range texts {
			want[i] = c.Classify(s).Category
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					k := (g + i) % len(texts)
					if got := c.Classify(texts[k]).Category; got != want[k] {
						t.Errorf("%s: %q: %s, want %s", name, texts[k], got, want[k])
					}
				}
			})
		}
		wg.Wait()
	}
}

func TestSplitSentences(t *testing.T) {
	a := &analysis{}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"一緒に死にませんか", []string{"一緒に死にませんか"}},
		{"死にたい。誰か!本当?", []string{"死にたい", "誰か", "本当"}},
		{"。。あ。", []string{"あ"}},
	} {
		a.text.Norm = tc.in
		a.splitSentences()
		var got []string
		for _, s := range a.sents {
			got = append(got, tc.in[s.start:s.end])
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFindMasks(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"詳細は@xxxx_123まで", "handle:@xxxx_123"},
		{"https://example.com/a_b?x=1 を見て", "url:https://example.com/a_b?x=1"},
		{"t.me/xxxx へ", "url:t.me/xxxx"},
		{"電話090-xxxx-xxxx", "phone:090-xxxx-xxxx"},
		{"0120783556", "phone:0120783556"},
		{"line id: abc_123", "id:abc_123"},
		{"ud 募集 dm ok 100万 5g", ""},
		{"mail: foo@example.com", "handle:foo@example.com"},
	} {
		var got []string
		for _, m := range findMasks(nil, tc.in) {
			got = append(got, m.kind.String()+":"+tc.in[m.start:m.end])
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScanCues(t *testing.T) {
	for _, tc := range []struct {
		in                    string
		time, money, question bool
	}{
		{"今夜決行", true, false, false},
		{"10月12日に", true, false, false},
		{"22:00集合", true, false, false},
		{"日給5万円", false, true, false},
		{"一緒に死にませんか", false, false, true},
		{"死にたい", false, false, false},
	} {
		var cs cueSet
		scanCues(tc.in, &cs)
		if cs.time != tc.time || cs.money != tc.money || cs.question != tc.question {
			t.Errorf("%q: time %v money %v question %v", tc.in, cs.time, cs.money, cs.question)
		}
	}
}

// TestCueFirst checks that scanCues looks at every place a time word, a
// wink word or ませんか may begin.
func TestCueFirst(t *testing.T) {
	for _, w := range slices.Concat(strings.Fields(timeWords), strings.Fields(winkWords), []string{"ませんか"}) {
		if r, _ := utf8.DecodeRuneInString(w); !cueFirst(r) {
			t.Errorf("cueFirst(%q) is false: %q would not be found", r, w)
		}
		var cs cueSet
		scanCues("あいう"+w+"えお", &cs)
		if !cs.time && !cs.wink && !cs.question {
			t.Errorf("%q: no cue found", w)
		}
	}
}

func TestDenialAndMention(t *testing.T) {
	for rest, want := range map[string]string{
		"ではありません。": "ではありません",
		"じゃないよ":    "じゃない",
		"とかではないので": "とかではない",
		"です":       "",
		"では、":      "",
	} {
		if n := denialAfter(rest); rest[:n] != want {
			t.Errorf("denialAfter(%q) = %q, want %q", rest, rest[:n], want)
		}
	}
	for _, tc := range []struct {
		text, term string
		want       bool
	}{
		{"「即日即金」という投稿に注意", "即日即金", true},
		{"即日即金などの言葉", "即日即金", true},
		{"【即日即金】受け子募集", "即日即金", false},
		{"即日即金です。「詳細」はdmで", "即日即金", false},
		{"\"受け子\"の男を逮捕", "受け子", true},
	} {
		i := strings.Index(tc.text, tc.term)
		if got := isMention(tc.text, i, i+len(tc.term)); got != tc.want {
			t.Errorf("isMention(%q, %q) = %v", tc.text, tc.term, got)
		}
	}
}
