package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Formats a report is written in.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
)

// Views: the category table or the provider scorecard.
const (
	ViewCategories = "categories"
	ViewProviders  = "providers"
)

// ParseQuery turns the parameters of a report request (as the command's
// flags and the HTTP API's query take them; empty for absent) into Options.
// Errors are *OptionError naming the parameter.
func ParseQuery(month, year, cutoff, grace string) (Options, error) {
	var o Options
	var err error
	switch {
	case month != "" && year != "":
		return o, &OptionError{"month", "give either month or year, not both"}
	case month != "":
		if o.Period, err = ParseMonth(month); err != nil {
			return o, &OptionError{"month", err.Error()}
		}
	case year != "":
		if o.Period, err = ParseYear(year); err != nil {
			return o, &OptionError{"year", err.Error()}
		}
	default:
		return o, &OptionError{"month", "a month (YYYY-MM) or a year (YYYY) is required"}
	}
	o.Grace = DefaultGrace
	if grace != "" {
		g, err := strconv.Atoi(grace)
		if err != nil || g < 0 || g > MaxGrace {
			return o, &OptionError{"grace", fmt.Sprintf("%q: want a number of days from 0 to %d", grace, MaxGrace)}
		}
		o.Grace = g
	}
	if cutoff != "" {
		c, err := ParseDate(cutoff)
		if err != nil {
			return o, &OptionError{"cutoff", err.Error()}
		}
		if c.Before(o.Period.LastDay()) {
			return o, &OptionError{"cutoff", fmt.Sprintf("%s is before the last day of the period (%s)", cutoff, formatDate(o.Period.LastDay()))}
		}
		o.Cutoff = c
	}
	return o, nil
}

// WriteJSON writes the report in the published JSON shape.
func WriteJSON(w io.Writer, r *Report) error {
	return writeJSON(w, r)
}

// Scorecard is the provider scorecard's JSON shape.
type Scorecard struct {
	Period     string        `json:"period"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Cutoff     string        `json:"cutoff"`
	Recipients []ProviderRow `json:"recipients"`
	Hosts      []ProviderRow `json:"hosts"`
}

// ScorecardOf returns the report's provider scorecard.
func ScorecardOf(r *Report) Scorecard {
	return Scorecard{Period: r.Period, From: r.From, To: r.To, Cutoff: r.Cutoff, Recipients: r.Recipients, Hosts: r.Hosts}
}

// WriteScorecardJSON writes the provider scorecard as JSON.
func WriteScorecardJSON(w io.Writer, r *Report) error {
	return writeJSON(w, ScorecardOf(r))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// csvHeader is the CSV's first line. level is 0 for a reporting group, 1
// for what is inside it, 2 for the sub-types of a nested category.
func csvHeader() []string {
	return []string{"period", "from", "to", "cutoff", "level", "group", "category", "label", "requested", "removed", "rate",
		"removed_before_request", "not_removed", "open", "median_days_to_removal", "p90_days_to_removal", "re_requested"}
}

// WriteCSV writes the table as CSV (UTF-8, no byte order mark), one line
// per row, groups followed by their children, and a total line.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader())
	var walk func(rows []Row, level int, group string)
	walk = func(rows []Row, level int, group string) {
		for _, row := range rows {
			g := group
			if level == 0 {
				g = row.Category
			}
			_ = cw.Write([]string{r.Period, r.From, r.To, r.Cutoff, strconv.Itoa(level), g, row.Category, row.Label,
				strconv.Itoa(row.Requested), strconv.Itoa(row.Removed), optFloat(row.Rate, 4),
				strconv.Itoa(row.RemovedBeforeRequest), strconv.Itoa(row.NotRemoved), strconv.Itoa(row.Open),
				optFloat(row.MedianDaysToRemoval, 2), optFloat(row.P90DaysToRemoval, 2), strconv.Itoa(row.ReRequested)})
			walk(row.Children, level+1, g)
		}
	}
	walk(r.Rows, 0, "")
	t := r.Total
	_ = cw.Write([]string{r.Period, r.From, r.To, r.Cutoff, "0", "total", "total", t.Label,
		strconv.Itoa(t.Requested), strconv.Itoa(t.Removed), optFloat(t.Rate, 4),
		strconv.Itoa(t.RemovedBeforeRequest), strconv.Itoa(t.NotRemoved), strconv.Itoa(t.Open),
		optFloat(t.MedianDaysToRemoval, 2), optFloat(t.P90DaysToRemoval, 2), strconv.Itoa(t.ReRequested)})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteScorecardCSV writes the provider scorecard as CSV.
func WriteScorecardCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"period", "from", "to", "cutoff", "by", "recipient_kind", "recipient", "host", "requested", "removed", "rate",
		"not_removed", "open", "median_days_to_removal", "p90_days_to_removal", "re_requested"})
	for _, part := range []struct {
		by   string
		rows []ProviderRow
	}{{"recipient", r.Recipients}, {"host", r.Hosts}} {
		for _, p := range part.rows {
			_ = cw.Write([]string{r.Period, r.From, r.To, r.Cutoff, part.by, p.RecipientKind, p.Recipient, p.Host,
				strconv.Itoa(p.Requested), strconv.Itoa(p.Removed), optFloat(p.Rate, 4), strconv.Itoa(p.NotRemoved), strconv.Itoa(p.Open),
				optFloat(p.MedianDaysToRemoval, 2), optFloat(p.P90DaysToRemoval, 2), strconv.Itoa(p.ReRequested)})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func optFloat(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

// Notes are the explanations printed under the table and on the page.
func (r *Report) Notes() []string {
	cut := fmt.Sprintf("削除の確認期限: %s（この日までに削除を確認したものを削除件数に計上", r.Cutoff)
	if r.DefaultCut {
		cut += fmt.Sprintf("。期間末日＋%d日", r.Grace)
	}
	cut += "）"
	if r.Provisional {
		cut += "【暫定値: 確認期限前】"
	}
	notes := []string{
		fmt.Sprintf("依頼日: %s〜%s（日本時間）。最初の削除依頼の日で集計（再依頼は集計月を変えない）", r.From, r.To),
		cut,
		"単位は件（アイテム単位、通報件数ではない）。削除率 = 削除件数 ÷ 削除依頼件数。依頼前削除は別計上で分母に含まない",
		"未削除: 期限までの確認で削除されていないもの（期限後の削除を含む）。確認待ち: 期限までに確認結果の記録がないもの",
		"区分は担当者の判断（期限時点の最新の判断）による",
	}
	if r.ByAutomatic > 0 {
		notes = append(notes, fmt.Sprintf("担当者の判断がない %d 件は自動分類の区分で計上", r.ByAutomatic))
	}
	for _, g := range r.Regimes {
		since := "当初"
		if !g.Since.IsZero() {
			since = formatDate(g.Since) + "〜"
		}
		notes = append(notes, fmt.Sprintf("分類体系（依頼日時点）: %s %s", since, g.Note))
	}
	return notes
}

// recipientKindLabel is the Japanese name of a recipient kind.
func recipientKindLabel(k string) string {
	switch k {
	case "site_admin":
		return "サイト管理者"
	case "hosting_provider":
		return "ホスティング事業者"
	case "inhope":
		return "INHOPE"
	case "other":
		return "その他"
	}
	return k
}

// WriteTable writes the report as a table for a terminal: Japanese
// labels, the period, the cutoff and the notes, then the top providers.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "削除依頼の処理状況 %s\n", r.PeriodLabel)
	for _, n := range r.Notes() {
		b.WriteString("  ※ " + n + "\n")
	}
	b.WriteString("\n")
	head := []string{"区分", "削除依頼", "削除", "削除率", "依頼前削除", "未削除", "確認待ち", "中央値(日)", "p90(日)", "再依頼"}
	var lines [][]string
	var walk func(rows []Row, depth int)
	walk = func(rows []Row, depth int) {
		for _, row := range rows {
			lines = append(lines, rowCells(strings.Repeat("　", depth)+row.Label, row))
			walk(row.Children, depth+1)
		}
	}
	walk(r.Rows, 0)
	lines = append(lines, rowCells(r.Total.Label, r.Total))
	writeGrid(&b, head, lines)

	for _, part := range []struct {
		title string
		rows  []ProviderRow
		name  func(ProviderRow) string
	}{
		{"依頼先別（上位10）", r.Recipients, func(p ProviderRow) string { return recipientKindLabel(p.RecipientKind) + " " + p.Recipient }},
		{"ホスト別（上位10）", r.Hosts, func(p ProviderRow) string { return p.Host }},
	} {
		fmt.Fprintf(&b, "\n%s\n", part.title)
		var pl [][]string
		for i, p := range part.rows {
			if i == 10 {
				break
			}
			pl = append(pl, []string{part.name(p), thousands(p.Requested), thousands(p.Removed), percent(p.Removed, p.Requested),
				thousands(p.NotRemoved), thousands(p.Open), days2(p.MedianDaysToRemoval), days2(p.P90DaysToRemoval), thousands(p.ReRequested)})
		}
		writeGrid(&b, []string{"", "削除依頼", "削除", "削除率", "未削除", "確認待ち", "中央値(日)", "p90(日)", "再依頼"}, pl)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func rowCells(label string, r Row) []string {
	return []string{label, thousands(r.Requested), thousands(r.Removed), percent(r.Removed, r.Requested), thousands(r.RemovedBeforeRequest),
		thousands(r.NotRemoved), thousands(r.Open), days2(r.MedianDaysToRemoval), days2(r.P90DaysToRemoval), thousands(r.ReRequested)}
}

// writeGrid writes a left-aligned first column and right-aligned others,
// padded by display width (CJK characters take two columns).
func writeGrid(b *strings.Builder, head []string, lines [][]string) {
	widths := make([]int, len(head))
	for _, l := range append([][]string{head}, lines...) {
		for i, c := range l {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, l := range append([][]string{head}, lines...) {
		for i, c := range l {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
	}
}

// displayWidth is the width of s in a terminal: East Asian wide and
// full-width characters take two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if wide(r) {
			n++
		}
	}
	return n
}

func wide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
		r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xA000 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
		return true
	}
	return false
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// percent is removed/requested as a percentage with one decimal, computed
// from the counts ("-" when nothing was requested).
func percent(removed, requested int) string {
	if requested == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(removed)*100/float64(requested), 'f', 1, 64) + "%"
}

func days2(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}
