package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
)

//go:embed stats.css
var styleSheet []byte

//go:embed stats.html.tmpl
var pageTemplate string

// pageData is what the page template renders.
type pageData struct {
	Report     *Report
	Notes      []string
	Rows       []pageRow
	Bars       barChart
	Trend      trendChart
	CSVURL     string
	JSONURL    string
	ProvCSVURL string
	Recipients []provRow
	Hosts      []provRow
	Cutoff     string
}

type pageRow struct {
	Depth                                                  int
	Label, Requested, Removed, Rate, RBR, NotRemoved, Open string
	Median, P90, ReRequested                               string
	Group                                                  bool
}

type provRow struct {
	Name, Requested, Removed, Rate, NotRemoved, Open, Median, P90 string
}

// The charts are plain SVG with presentation attributes: no script and no
// style attribute, so a Content-Security-Policy of default-src 'self'
// leaves them intact.
type barChart struct {
	Width, Height int
	Bars          []bar
	Legend        []legendItem
}

type bar struct {
	Label              string
	LabelY             int
	ReqY, RemY         int
	ReqW, RemW         int
	ReqText, RemText   string
	ReqTextX, RemTextX int
	ReqTextY, RemTextY int
	Color              string
	X                  int
	BarHeight          int
}

type legendItem struct {
	X, Y  int
	Color string
	Label string
	Dash  string
}

type trendChart struct {
	Width, Height int
	Left, Right   int
	Top, Bottom   int
	Grid          []gridLine
	Months        []axisLabel
	Series        []series
	Legend        []legendItem
	Empty         bool
}

type gridLine struct {
	Y     int
	Label string
}

type axisLabel struct {
	X     int
	Label string
}

type series struct {
	Label  string
	Color  string
	Dash   string
	Lines  []string // polyline point lists (a gap where a month had no requests)
	Points []point
}

type point struct {
	X, Y  int
	Title string
}

func groupColor(id string) string {
	switch id {
	case "illegal":
		return "#1f5fa8"
	case "critical_crime":
		return "#c0392b"
	case "criminal_recruitment":
		return "#e67e22"
	case "suicide_inducement":
		return "#7d3c98"
	}
	return "#7f8c8d"
}

// chartRows are the rows charted: the groups and the categories nested in
// them.
func chartRows(rep *Report) []Row {
	var out []Row
	for _, r := range rep.Rows {
		out = append(out, r)
		for _, c := range r.Children {
			if len(c.Children) > 0 { // a nested category
				c.Label = "うち" + c.Label
				out = append(out, c)
			}
		}
	}
	return out
}

func buildBars(rep *Report) barChart {
	rows := chartRows(rep)
	const (
		width, labelW, barArea, rowH, barH = 720, 230, 380, 56, 18
	)
	top := 30
	maxV := 1
	for _, r := range rows {
		maxV = max(maxV, r.Requested)
	}
	ch := barChart{Width: width, Height: top + rowH*len(rows) + 10}
	ch.Legend = []legendItem{
		{X: labelW, Y: 12, Color: "#b0b7bf", Label: "削除依頼件数"},
		{X: labelW + 150, Y: 12, Color: "#1f5fa8", Label: "削除件数（色は区分）"},
	}
	for i, r := range rows {
		y := top + i*rowH
		rw := barArea * r.Requested / maxV
		mw := barArea * r.Removed / maxV
		ch.Bars = append(ch.Bars, bar{
			Label: r.Label, LabelY: y + barH + 4, X: labelW, BarHeight: barH,
			ReqY: y, RemY: y + barH + 2, ReqW: max(rw, 1), RemW: max(mw, 1),
			ReqText: thousands(r.Requested), RemText: thousands(r.Removed) + "（" + percent(r.Removed, r.Requested) + "）",
			ReqTextX: labelW + rw + 6, RemTextX: labelW + mw + 6, ReqTextY: y + barH - 4, RemTextY: y + 2*barH - 2,
			Color: groupColor(r.Category),
		})
	}
	return ch
}

func buildTrend(rep *Report, trend []TrendPoint) trendChart {
	const (
		width, height, left, right, top, bottom = 760, 300, 56, 190, 20, 40
	)
	ch := trendChart{Width: width, Height: height, Left: left, Right: width - right, Top: top, Bottom: height - bottom}
	lo := 100.0
	anyData := false
	for _, p := range trend {
		for _, r := range append(append([]Row{}, p.Rows...), p.Total) {
			if r.Requested > 0 {
				anyData = true
				lo = min(lo, float64(r.Removed)*100/float64(r.Requested))
			}
		}
	}
	ch.Empty = !anyData
	floor := 0.0
	if lo >= 50 {
		floor = 50
	}
	plotW, plotH := float64(ch.Right-ch.Left), float64(ch.Bottom-ch.Top)
	yOf := func(pct float64) int { return ch.Bottom - int((pct-floor)/(100-floor)*plotH+0.5) }
	xOf := func(i int) int {
		if len(trend) <= 1 {
			return ch.Left
		}
		return ch.Left + int(float64(i)*plotW/float64(len(trend)-1)+0.5)
	}
	for v := floor; v <= 100; v += (100 - floor) / 5 {
		ch.Grid = append(ch.Grid, gridLine{Y: yOf(v), Label: strconv.Itoa(int(v)) + "%"})
	}
	for i, p := range trend {
		label := strconv.Itoa(int(p.Month.Month)) + "月"
		if i == 0 || p.Month.Month == 1 {
			label = fmt.Sprintf("%d/%d", p.Month.Year, int(p.Month.Month))
		}
		ch.Months = append(ch.Months, axisLabel{X: xOf(i), Label: label})
	}
	ids := []struct{ id, label, dash string }{}
	seen := map[string]bool{}
	for _, p := range trend {
		for _, r := range p.Rows {
			if !seen[r.Category] {
				seen[r.Category] = true
				ids = append(ids, struct{ id, label, dash string }{r.Category, r.Label, ""})
			}
		}
	}
	ids = append(ids, struct{ id, label, dash string }{"total", "合計", "6 4"})
	for si, s := range ids {
		color := groupColor(s.id)
		if s.id == "total" {
			color = "#333333"
		}
		se := series{Label: s.label, Color: color, Dash: s.dash}
		var cur []string
		for i, p := range trend {
			r := p.Total
			if s.id != "total" {
				r = Row{}
				for _, x := range p.Rows {
					if x.Category == s.id {
						r = x
					}
				}
			}
			if r.Requested == 0 {
				if len(cur) > 0 {
					se.Lines = append(se.Lines, strings.Join(cur, " "))
				}
				cur = nil
				continue
			}
			pct := float64(r.Removed) * 100 / float64(r.Requested)
			x, y := xOf(i), yOf(pct)
			cur = append(cur, fmt.Sprintf("%d,%d", x, y))
			se.Points = append(se.Points, point{X: x, Y: y, Title: fmt.Sprintf("%s %s: %s（%s / %s、確認期限 %s）",
				p.Month.Label(), s.label, percent(r.Removed, r.Requested), thousands(r.Removed), thousands(r.Requested), p.Cutoff)})
		}
		if len(cur) > 0 {
			se.Lines = append(se.Lines, strings.Join(cur, " "))
		}
		ch.Series = append(ch.Series, se)
		ch.Legend = append(ch.Legend, legendItem{X: ch.Right + 16, Y: ch.Top + 10 + 22*si, Color: color, Label: s.label, Dash: s.dash})
	}
	return ch
}

func pageRows(rep *Report) []pageRow {
	var out []pageRow
	var walk func(rows []Row, depth int)
	walk = func(rows []Row, depth int) {
		for _, r := range rows {
			out = append(out, pageRow{Depth: depth, Label: r.Label, Requested: thousands(r.Requested), Removed: thousands(r.Removed),
				Rate: percent(r.Removed, r.Requested), RBR: thousands(r.RemovedBeforeRequest), NotRemoved: thousands(r.NotRemoved),
				Open: thousands(r.Open), Median: days2(r.MedianDaysToRemoval), P90: days2(r.P90DaysToRemoval),
				ReRequested: thousands(r.ReRequested), Group: depth == 0})
			walk(r.Children, depth+1)
		}
	}
	walk(rep.Rows, 0)
	t := rep.Total
	out = append(out, pageRow{Label: t.Label, Requested: thousands(t.Requested), Removed: thousands(t.Removed),
		Rate: percent(t.Removed, t.Requested), RBR: thousands(t.RemovedBeforeRequest), NotRemoved: thousands(t.NotRemoved),
		Open: thousands(t.Open), Median: days2(t.MedianDaysToRemoval), P90: days2(t.P90DaysToRemoval), ReRequested: thousands(t.ReRequested), Group: true})
	return out
}

func provRows(rows []ProviderRow, name func(ProviderRow) string) []provRow {
	var out []provRow
	for i, p := range rows {
		if i == 15 {
			break
		}
		out = append(out, provRow{Name: name(p), Requested: thousands(p.Requested), Removed: thousands(p.Removed),
			Rate: percent(p.Removed, p.Requested), NotRemoved: thousands(p.NotRemoved), Open: thousands(p.Open),
			Median: days2(p.MedianDaysToRemoval), P90: days2(p.P90DaysToRemoval)})
	}
	return out
}

func renderPage(w io.Writer, rep *Report, trend []TrendPoint, o Options) error {
	t, err := template.New("stats").Funcs(template.FuncMap{
		"indent": func(d int) string { return strings.Repeat("\u3000", d) },
	}).Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("parse page template: %w", err)
	}
	q := url.Values{}
	d := pageData{Report: rep, Notes: rep.Notes(), Rows: pageRows(rep), Bars: buildBars(rep), Trend: buildTrend(rep, trend)}
	if o.Period.IsYear() {
		q.Set("year", rep.Period)
	} else {
		q.Set("month", rep.Period)
	}
	if !o.Cutoff.IsZero() {
		q.Set("cutoff", rep.Cutoff)
		d.Cutoff = rep.Cutoff
	}
	if o.Grace != DefaultGrace {
		q.Set("grace", strconv.Itoa(o.Grace))
	}
	d.JSONURL = RouteStats + "?" + q.Encode()
	q.Set("format", FormatCSV)
	d.CSVURL = RouteStats + "?" + q.Encode()
	q.Set("view", ViewProviders)
	d.ProvCSVURL = RouteStats + "?" + q.Encode()
	d.Recipients = provRows(rep.Recipients, func(p ProviderRow) string { return recipientKindLabel(p.RecipientKind) + " " + p.Recipient })
	d.Hosts = provRows(rep.Hosts, func(p ProviderRow) string { return p.Host })
	if err := t.Execute(w, d); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return nil
}
