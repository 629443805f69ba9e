package classifiers

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

func TestNewReport(t *testing.T) {
	items := []Item{
		{ID: "a", Text: "受け子募集", Category: hotline.CriminalRecruitment, Subcategory: "fraud_runner", Evasion: true},
		{ID: "b", Text: "一緒に死にませんか", Category: hotline.SuicideInducement, Subcategory: "group_suicide"},
		{ID: "c", Text: "逮捕", Category: hotline.None, Subcategory: "news", HardNegative: true},
		{ID: "d", Text: "野菜", Category: hotline.None, Subcategory: "food", HardNegative: true},
		{ID: "e", Text: "ﾔｻｲ", Category: hotline.Illegal, Subcategory: "drugs", Evasion: true},
	}
	got := []hotline.Classification{
		{Category: hotline.CriminalRecruitment, Subcategory: "courier"},
		{Category: hotline.SuicideInducement, Subcategory: "group_suicide"},
		{Category: hotline.None},
		{Category: hotline.Illegal, Subcategory: "drugs", Score: 0.7},
		{Category: hotline.None},
	}
	r := newReport("m", items, got)
	if r.Items != 5 || math.Abs(r.Accuracy-0.6) > 1e-9 {
		t.Errorf("items %d, accuracy %v", r.Items, r.Accuracy)
	}
	ill := r.Metrics(hotline.Illegal)
	if ill.Precision != 0 || ill.Recall != 0 || ill.Support != 1 || ill.Predicted != 1 {
		t.Errorf("illegal: %+v", ill)
	}
	none := r.Metrics(hotline.None)
	if none.Precision != 0.5 || none.Recall != 0.5 || none.F1 != 0.5 {
		t.Errorf("none: %+v", none)
	}
	// illegal 0, critical_crime 0 (no support, no predictions), suicide 1,
	// recruitment 1, none 0.5.
	if math.Abs(r.MacroF1-2.5/5) > 1e-9 {
		t.Errorf("macro-F1 %v", r.MacroF1)
	}
	if r.Confusion[0][4] != 1 || r.Confusion[4][0] != 1 || r.Confusion[4][4] != 1 {
		t.Errorf("confusion %v", r.Confusion)
	}
	if r.HardNegatives != 2 || r.HardNegativesFlagged != 1 || r.Evasive != 2 || r.EvasiveMissed != 1 {
		t.Errorf("hard negatives %d/%d, evasive %d/%d", r.HardNegativesFlagged, r.HardNegatives, r.EvasiveMissed, r.Evasive)
	}
	if r.SubtypeItems != 3 || r.SubtypeCorrect != 1 {
		t.Errorf("sub-types %d of %d", r.SubtypeCorrect, r.SubtypeItems)
	}
	if len(r.Errors) != 2 || r.Errors[0].ID != "d" || r.Errors[1].ID != "e" {
		t.Errorf("errors %+v", r.Errors)
	}

	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"macro-F1: 0.5000", "criminal_recruitment", "hard negatives flagged: 1 of 2", "d\tnone/food -> illegal/drugs (0.70)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, text.String())
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.MacroF1 != r.MacroF1 || len(back.Confusion) != 5 {
		t.Errorf("JSON round trip: %v", err)
	}
}

func TestEvaluate(t *testing.T) {
	c := newClassifier(t, Options{NoModel: true})
	in := `{"text":"一緒に死にませんか","category":"suicide_inducement"}
{"id":"x","text":"今日は野菜炒め","category":"none","hard_negative":true}

`
	r, err := Evaluate(c, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if r.Items != 2 || r.Accuracy != 1 || r.Model != c.Version() {
		t.Errorf("report %+v", r)
	}
	if _, err := Evaluate(c, strings.NewReader(`{"text":"x","category":"bogus"}`)); err == nil {
		t.Error("unknown category accepted")
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\n b\tc", 10); got != "a b c" {
		t.Errorf("%q", got)
	}
	if got := oneLine("あいうえお", 3); got != "あいう…" {
		t.Errorf("%q", got)
	}
}
