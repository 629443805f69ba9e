package classifiers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-jp/hotline/classifiers/textnorm"
	"github.com/hotline-jp/hotline/pkg/hotline"
)

const corpusDir = "../testdata/corpus"

func TestReadItemsErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not json", "{", "line 1"},
		{"no id", `{"text":"a","category":"none"}`, "no id"},
		{"duplicate id", "{\"id\":\"a\",\"text\":\"x\",\"category\":\"none\"}\n\n{\"id\":\"a\",\"text\":\"y\",\"category\":\"none\"}", "line 1"},
		{"bad category", `{"id":"a","text":"x","category":"spam"}`, "unknown category"},
		{"bad sub-type", `{"id":"a","text":"x","category":"illegal","subcategory":"fraud_runner"}`, "not a sub-type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadItems(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// Evaluation data may lack ids and use sub-types of its own.
	items, err := readItems(strings.NewReader(`{"text":"x","category":"illegal","subcategory":"other"}`), false)
	if err != nil || len(items) != 1 || items[0].ID != "line-1" {
		t.Errorf("lenient read: %v, %v", items, err)
	}
}

func TestWriteItemsRoundTrip(t *testing.T) {
	in := []Item{{ID: "a", Text: "<受け子> & \"募集\"", Category: hotline.CriminalRecruitment, Subcategory: "fraud_runner", Style: "x_post", Evasion: true}}
	var b bytes.Buffer
	if err := WriteItems(&b, in); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `\u003c`) {
		t.Errorf("HTML-escaped: %s", b.String())
	}
	out, err := ReadItems(&b)
	if err != nil || !slices.Equal(in, out) {
		t.Errorf("round trip: %v, %v", out, err)
	}
}

func synthItems(n int) []Item {
	var items []Item
	for i := range n {
		c := hotline.Categories()[i%5]
		subs := hotline.Subcategories(c)
		items = append(items, Item{ID: fmt.Sprintf("x-%04d", i), Text: "t", Category: c, Subcategory: subs[(i/5)%len(subs)]})
	}
	return items
}

func TestSplitItems(t *testing.T) {
	items := synthItems(1000)
	sp, err := SplitItems(items, DevFraction, TestFraction)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sp.Train) + len(sp.Dev) + len(sp.Test); got != len(items) {
		t.Fatalf("%d items split into %d", len(items), got)
	}
	// Stratified: every stratum is divided about 70/15/15.
	strata := map[string][3]int{}
	for p, part := range [][]Item{sp.Train, sp.Dev, sp.Test} {
		for _, it := range part {
			k := string(it.Category) + "/" + it.Subcategory
			s := strata[k]
			s[p]++
			strata[k] = s
		}
	}
	for k, s := range strata {
		n := s[0] + s[1] + s[2]
		for p, frac := range []float64{1 - DevFraction - TestFraction, DevFraction, TestFraction} {
			if d := float64(s[p]) - frac*float64(n); d > 1 || d < -1 {
				t.Errorf("%s: %v of %d", k, s, n)
			}
		}
	}
	// Deterministic and independent of the input order; each part keeps
	// the input order.
	rev := slices.Clone(items)
	slices.Reverse(rev)
	sp2, _ := SplitItems(rev, DevFraction, TestFraction)
	ids := func(items []Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(ids(sp.Test), ids(sp2.Test)) || !slices.Equal(ids(sp.Dev), ids(sp2.Dev)) {
		t.Error("the split depends on the input order")
	}
	if !slices.IsSortedFunc(sp.Train, func(a, b Item) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("train does not keep the input order")
	}
	if _, err := SplitItems(items, 0.5, 0.5); err == nil {
		t.Error("fractions summing to 1 accepted")
	}
}

// The split files are what `go generate` makes of the sources: nobody
// edits them by hand, and they are regenerated when the sources change.
func TestSplitFilesCurrent(t *testing.T) {
	items, err := ReadCorpusDir(filepath.Join(corpusDir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := SplitItems(items, DevFraction, TestFraction)
	if err != nil {
		t.Fatal(err)
	}
	for name, part := range map[string][]Item{"train.jsonl": sp.Train, "dev.jsonl": sp.Dev, "test.jsonl": sp.Test} {
		var want bytes.Buffer
		if err := WriteItems(&want, part); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s is not the split of src/*.jsonl: run go generate ./classifiers", name)
		}
	}
}

// The corpus meets the requirements: its size, every sub-type
// represented, hard negatives and evasion.
func TestCorpusComposition(t *testing.T) {
	items, err := ReadCorpusDir(filepath.Join(corpusDir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	var none, hard, pos, evasive int
	seen := map[string]bool{}
	for _, it := range items {
		seen[string(it.Category)+"/"+it.Subcategory] = true
		if it.Category == hotline.None {
			none++
			if it.HardNegative {
				hard++
			}
		} else {
			pos++
			if it.Evasion {
				evasive++
			}
			if it.HardNegative {
				t.Errorf("%s: a positive item marked hard negative", it.ID)
			}
		}
		if n := len([]rune(it.Text)); n > 400 {
			t.Errorf("%s: %d characters", it.ID, n)
		}
	}
	if len(items) < 1500 {
		t.Errorf("%d items, want at least 1500", len(items))
	}
	if 10*hard < 3*none {
		t.Errorf("%d hard negatives of %d none items, want at least 30%%", hard, none)
	}
	if 10*evasive < 3*pos {
		t.Errorf("%d evasive of %d positive items, want at least 30%%", evasive, pos)
	}
	for _, c := range hotline.Categories() {
		for _, s := range hotline.Subcategories(c) {
			if !seen[string(c)+"/"+s] {
				t.Errorf("no item of %s/%s", c, s)
			}
		}
	}
	t.Logf("%d items: %d positive (%d evasive), %d none (%d hard negatives)", len(items), pos, evasive, none, hard)
}

// TestHeldOutSetsApart checks that the blind and contrast sets share no id
// and no normalised text with the corpus the model is trained on, nor with
// each other: their figures mean something only if nothing leaked.
func TestHeldOutSetsApart(t *testing.T) {
	src, err := ReadCorpusDir(filepath.Join(corpusDir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{} // id or normalised text -> set
	add := func(set string, items []Item) {
		for _, it := range items {
			for _, k := range []string{"id:" + it.ID, "text:" + textnorm.Normalize(it.Text).Fold} {
				if o, ok := owner[k]; ok && o != set {
					t.Errorf("%s: %s also in %s", set, strings.TrimPrefix(strings.TrimPrefix(k, "id:"), "text:"), o)
				}
				owner[k] = set
			}
		}
	}
	add("src", src)
	for _, set := range []string{"blind", "contrast"} {
		f, err := os.Open(filepath.Join(corpusDir, set, set+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		items, err := ReadItems(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		add(set, items)
	}
}
