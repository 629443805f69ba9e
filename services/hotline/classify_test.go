package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestClassifyCommand runs `hotline classify` on JSON Lines: one output
// line per input, in order, ids echoed as given, bad lines marked.
func TestClassifyCommand(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","text":"【即日即金】高額報酬 荷物を受け取るだけの簡単なお仕事 受け子 詳細はテレグラムで @xxxx_123"}`,
		`{"id":2,"text":"一緒に死にませんか"}`,
		``,
		`{"id":"c","text":"今日の夕飯は野菜たっぷりのカレー"}`,
		`not json`,
		`{"id":"e"}`,
		`{"id":"f","text":"途中で切れた`,
	}, "\n")
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"classify"}, strings.NewReader(in), &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "3 of 6") {
		t.Errorf("classify with three bad lines: %v, want an error counting them", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d output lines, want 6:\n%s", len(lines), out.String())
	}
	want := []struct{ id, category, error string }{
		{`"a"`, "criminal_recruitment", ""}, {`2`, "suicide_inducement", ""}, {`"c"`, "none", ""},
		{`null`, "", `want {"id":…,"text":"…"}`}, {`"e"`, "", `no string "text"`}, {`null`, "", "not a valid JSON object"},
	}
	for i, line := range lines {
		var got struct {
			ID          json.RawMessage    `json:"id"`
			Category    string             `json:"category"`
			Subcategory string             `json:"subcategory"`
			Score       float64            `json:"score"`
			Scores      map[string]float64 `json:"scores"`
			Evidence    []map[string]any   `json:"evidence"`
			Error       string             `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, line)
		}
		if string(got.ID) != want[i].id {
			t.Errorf("line %d: id %s, want %s", i, got.ID, want[i].id)
		}
		if want[i].category == "" {
			if !strings.Contains(got.Error, want[i].error) {
				t.Errorf("line %d: error %q, want one saying %q", i, got.Error, want[i].error)
			}
			continue
		}
		if got.Category != want[i].category || len(got.Scores) != 5 || got.Score <= 0 {
			t.Errorf("line %d: %s", i, line)
		}
		if got.Category != "none" && len(got.Evidence) == 0 {
			t.Errorf("line %d: no evidence: %s", i, line)
		}
	}
}
