package web

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Segment is a run of a report's text, marked if evidence covers it. The
// page renders segments as text (escaped by html/template); no HTML is ever
// built from reported content.
type Segment struct {
	Text string
	Mark bool
	Why  string // the evidence terms and categories behind a mark
}

// Segments splits text at the evidence spans' byte offsets. Spans out of
// range, empty, or not on UTF-8 boundaries are ignored; overlapping spans
// merge. The segments' texts joined give text back exactly.
func Segments(text string, ev []hotline.Evidence) []Segment {
	type span struct {
		start, end int
		why        []string
	}
	var spans []span
	for _, e := range ev {
		if e.Start < 0 || e.End <= e.Start || e.End > len(text) {
			continue
		}
		if !boundary(text, e.Start) || !boundary(text, e.End) {
			continue
		}
		why := e.Term
		if e.Category != "" {
			why += " (" + e.Category.Label() + ")"
		}
		if e.Kind == "counter" {
			why += " [反証]"
		}
		spans = append(spans, span{e.Start, e.End, []string{why}})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.start < merged[n-1].end {
			if s.end > merged[n-1].end {
				merged[n-1].end = s.end
			}
			merged[n-1].why = append(merged[n-1].why, s.why...)
			continue
		}
		merged = append(merged, s)
	}
	var out []Segment
	pos := 0
	for _, s := range merged {
		if s.start > pos {
			out = append(out, Segment{Text: text[pos:s.start]})
		}
		out = append(out, Segment{Text: text[s.start:s.end], Mark: true, Why: strings.Join(s.why, "、")})
		pos = s.end
	}
	if pos < len(text) || len(out) == 0 {
		out = append(out, Segment{Text: text[pos:]})
	}
	return out
}

func boundary(s string, i int) bool {
	return i == len(s) || utf8.RuneStart(s[i])
}

// topEvidence is the strongest evidence terms, for the queue's "why".
func topEvidence(ev []hotline.Evidence, n int) []string {
	sorted := append([]hotline.Evidence(nil), ev...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Weight > sorted[j].Weight })
	var out []string
	seen := map[string]bool{}
	for _, e := range sorted {
		if e.Kind == "counter" || e.Term == "" || seen[e.Term] {
			continue
		}
		seen[e.Term] = true
		out = append(out, e.Term)
		if len(out) == n {
			break
		}
	}
	return out
}
