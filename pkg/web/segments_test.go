package web

import (
	"strings"
	"testing"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

func TestSegments(t *testing.T) {
	text := "<b>一緒に死にませんか</b>"
	at := func(s string) (int, int) { i := strings.Index(text, s); return i, i + len(s) }
	s1, e1 := at("一緒に")
	s2, e2 := at("死に")
	tests := []struct {
		name string
		ev   []hotline.Evidence
		want []string // marked segments
	}{
		{"none", nil, nil},
		{"one", []hotline.Evidence{{Term: "一緒に", Start: s1, End: e1}}, []string{"一緒に"}},
		{"two", []hotline.Evidence{{Term: "死に", Start: s2, End: e2}, {Term: "一緒に", Start: s1, End: e1}}, []string{"一緒に", "死に"}},
		{"overlap merges", []hotline.Evidence{{Start: s1, End: e2 - 3}, {Start: s2, End: e2}}, []string{"一緒に死に"}},
		{"mid-rune ignored", []hotline.Evidence{{Start: s1 + 1, End: e1}}, nil},
		{"out of range ignored", []hotline.Evidence{{Start: 5, End: 500}, {Start: -1, End: 2}}, nil},
		{"no span ignored", []hotline.Evidence{{Term: "x"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			segs := Segments(text, tc.ev)
			var b strings.Builder
			var marked []string
			for _, s := range segs {
				b.WriteString(s.Text)
				if s.Mark {
					marked = append(marked, s.Text)
				}
			}
			if b.String() != text {
				t.Errorf("joined segments = %q, want the text back", b.String())
			}
			if strings.Join(marked, "|") != strings.Join(tc.want, "|") {
				t.Errorf("marked = %q, want %q", marked, tc.want)
			}
		})
	}
}

func FuzzSegments(f *testing.F) {
	f.Add("一緒に死にませんか", 0, 9, 3, 12)
	f.Add("<script>", 1, 3, 2, 8)
	f.Fuzz(func(t *testing.T, text string, a, b, c, d int) {
		segs := Segments(text, []hotline.Evidence{{Start: a, End: b}, {Start: c, End: d}})
		var sb strings.Builder
		for _, s := range segs {
			sb.WriteString(s.Text)
		}
		if sb.String() != text {
			t.Fatalf("segments of %q joined = %q", text, sb.String())
		}
	})
}
