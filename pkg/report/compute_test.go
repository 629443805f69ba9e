package report_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/report"
	"github.com/hotline-jp/hotline/pkg/report/scenario"
)

func jst(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, report.Japan())
}

// tc builds one hand-made case for the unit tests.
type tc struct {
	c scenario.Case
	n int
}

func newTC(n int, auto hotline.Category, received time.Time) *tc {
	u := fmt.Sprintf("https://site%d.example/p/%d", n%3, n)
	r := hotline.ClassifiedReport{
		Report:         hotline.Report{ID: fmt.Sprintf("r%d", n), CaseID: hotline.CaseID(u), URL: u, CanonicalURL: u, Text: "t", Source: hotline.SourcePublic, ReceivedAt: received},
		Classification: hotline.Classification{Category: auto, Score: 0.9},
	}
	return &tc{c: scenario.Case{Reports: []hotline.ClassifiedReport{r}}, n: n}
}

func (b *tc) add(a hotline.Action) *tc {
	a.ID = fmt.Sprintf("a%d-%d", b.n, len(b.c.Actions))
	a.CaseID = b.c.Reports[0].Report.CaseID
	if a.Actor == "" {
		a.Actor = "analyst"
	}
	b.c.Actions = append(b.c.Actions, a)
	return b
}

func (b *tc) decide(at time.Time, c hotline.Category, sub string) *tc {
	return b.add(hotline.Action{Kind: hotline.ActDecision, At: at, Category: c, Subcategory: sub})
}

func (b *tc) request(at time.Time, who string) *tc {
	return b.add(hotline.Action{Kind: hotline.ActRequest, At: at, Request: &hotline.DeletionRequest{
		RecipientKind: hotline.RecipientSiteAdmin, Recipient: who, Method: "form", SentAt: at}})
}

func (b *tc) outcome(at time.Time, result string) *tc {
	return b.add(hotline.Action{Kind: hotline.ActOutcome, At: at, Outcome: &hotline.Outcome{Result: result, SeenAt: at}})
}

func memOf(t *testing.T, cases ...*tc) *memSource {
	t.Helper()
	var sc []scenario.Case
	for _, c := range cases {
		sc = append(sc, c.c)
	}
	m, err := buildMem(sc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type counts struct{ requested, removed, rbr, notRemoved, open, reRequested int }

func countsOf(r *report.Row) counts {
	if r == nil {
		return counts{}
	}
	return counts{r.Requested, r.Removed, r.RemovedBeforeRequest, r.NotRemoved, r.Open, r.ReRequested}
}

func TestCutoff(t *testing.T) {
	sent := jst(2024, 12, 20, 10, 0)
	for _, c := range []struct {
		name   string
		cutoff time.Time // zero: default (2025-01-31 for 2024)
		grace  int
		build  func(*tc)
		want   counts
	}{
		{"removed on the cutoff day", time.Time{}, 31, func(b *tc) { b.outcome(jst(2025, 1, 31, 23, 59), hotline.OutcomeRemoved) }, counts{requested: 1, removed: 1}},
		{"removed the day after the cutoff, never checked", time.Time{}, 31, func(b *tc) { b.outcome(jst(2025, 2, 1, 0, 0), hotline.OutcomeRemoved) }, counts{requested: 1, open: 1}},
		{"checked, then removed after the cutoff", time.Time{}, 31, func(b *tc) {
			b.outcome(jst(2025, 1, 10, 9, 0), hotline.OutcomeNotRemoved).outcome(jst(2025, 2, 3, 9, 0), hotline.OutcomeRemoved)
		}, counts{requested: 1, notRemoved: 1}},
		{"removed in January, no grace", time.Time{}, 0, func(b *tc) { b.outcome(jst(2025, 1, 5, 9, 0), hotline.OutcomeRemoved) }, counts{requested: 1, open: 1}},
		{"removed in January, grace 10", time.Time{}, 10, func(b *tc) { b.outcome(jst(2025, 1, 5, 9, 0), hotline.OutcomeRemoved) }, counts{requested: 1, removed: 1}},
		{"explicit cutoff", jst(2025, 3, 31, 0, 0), 31, func(b *tc) { b.outcome(jst(2025, 3, 31, 12, 0), hotline.OutcomeRemoved) }, counts{requested: 1, removed: 1}},
		{"checked still up, removed later", time.Time{}, 31, func(b *tc) {
			b.outcome(jst(2024, 12, 27, 9, 0), hotline.OutcomeNotRemoved).outcome(jst(2025, 1, 2, 9, 0), hotline.OutcomeRemoved)
		}, counts{requested: 1, removed: 1}},
		{"no outcome", time.Time{}, 31, func(*tc) {}, counts{requested: 1, open: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newTC(1, hotline.Illegal, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.Illegal, "drugs").request(sent, "admin@a.example")
			c.build(b)
			o := report.Options{Period: period(t, "2024"), Cutoff: c.cutoff, Grace: c.grace}
			r := mustCompute(t, memOf(t, b), o)
			if got := countsOf(find(r.Rows, "illegal")); got != c.want {
				t.Errorf("counts = %+v, want %+v (cutoff %s)", got, c.want, r.Cutoff)
			}
		})
	}
}

func TestCohortIsTheFirstRequestInJapanTime(t *testing.T) {
	cases := []*tc{
		// 2024-01-01 00:30 in Japan, still 2023 in UTC: 2024.
		newTC(1, hotline.Illegal, jst(2023, 12, 31, 20, 0)).decide(jst(2023, 12, 31, 21, 0), hotline.Illegal, "").request(jst(2024, 1, 1, 0, 30), "x"),
		// 2023-12-31 23:50 in Japan: 2023, although removed and re-requested in 2024.
		newTC(2, hotline.Illegal, jst(2023, 12, 31, 20, 0)).decide(jst(2023, 12, 31, 21, 0), hotline.Illegal, "").request(jst(2023, 12, 31, 23, 50), "x").
			outcome(jst(2024, 1, 5, 0, 0), hotline.OutcomeNotRemoved).request(jst(2024, 1, 6, 0, 0), "y").outcome(jst(2024, 1, 9, 0, 0), hotline.OutcomeRemoved),
		// 2024-12-31 23:30 in Japan: 2024; 2025-01-01 00:00 in Japan: 2025.
		newTC(3, hotline.Illegal, jst(2024, 12, 31, 20, 0)).decide(jst(2024, 12, 31, 21, 0), hotline.Illegal, "").request(jst(2024, 12, 31, 23, 30), "x"),
		newTC(4, hotline.Illegal, jst(2024, 12, 31, 20, 0)).decide(jst(2024, 12, 31, 21, 0), hotline.Illegal, "").request(jst(2025, 1, 1, 0, 0), "x"),
	}
	m := memOf(t, cases...)
	for _, c := range []struct {
		period string
		want   int
	}{{"2023", 1}, {"2024", 2}, {"2025", 1}, {"2024-01", 1}, {"2024-12", 1}, {"2023-12", 1}} {
		if got := find(mustCompute(t, m, opts(t, c.period)).Rows, "illegal").Requested; got != c.want {
			t.Errorf("%s: requested %d, want %d", c.period, got, c.want)
		}
	}
}

func TestRemovedBeforeRequest(t *testing.T) {
	m := memOf(t,
		newTC(1, hotline.SuicideInducement, jst(2024, 5, 1, 9, 0)).decide(jst(2024, 5, 1, 10, 0), hotline.SuicideInducement, "group_suicide").
			outcome(jst(2024, 5, 2, 9, 0), hotline.OutcomeRemovedBeforeRequest),
		// No judgement: counted by the automatic classification.
		newTC(2, hotline.SuicideInducement, jst(2024, 6, 1, 9, 0)).outcome(jst(2024, 6, 2, 9, 0), hotline.OutcomeRemovedBeforeRequest),
		// Seen removed in 2023: not 2024's.
		newTC(3, hotline.SuicideInducement, jst(2023, 12, 1, 9, 0)).outcome(jst(2023, 12, 2, 9, 0), hotline.OutcomeRemovedBeforeRequest),
		// Judged none: not counted.
		newTC(4, hotline.SuicideInducement, jst(2024, 6, 1, 9, 0)).decide(jst(2024, 6, 1, 10, 0), hotline.None, "").outcome(jst(2024, 6, 2, 9, 0), hotline.OutcomeRemovedBeforeRequest),
		newTC(5, hotline.SuicideInducement, jst(2024, 7, 1, 9, 0)).decide(jst(2024, 7, 1, 10, 0), hotline.SuicideInducement, "assistance").
			request(jst(2024, 7, 2, 9, 0), "x").outcome(jst(2024, 7, 3, 9, 0), hotline.OutcomeRemoved),
	)
	r := mustCompute(t, m, opts(t, "2024"))
	row := find(r.Rows, "suicide_inducement")
	if got, want := countsOf(row), (counts{requested: 1, removed: 1, rbr: 2}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	if row.Rate == nil || *row.Rate != 1 {
		t.Errorf("rate = %v, want 1 (removals before a request are not in the denominator)", row.Rate)
	}
	if r.ByAutomatic != 1 {
		t.Errorf("by automatic classification = %d, want 1", r.ByAutomatic)
	}
}

func TestReRequests(t *testing.T) {
	m := memOf(t,
		newTC(1, hotline.Illegal, jst(2024, 3, 1, 9, 0)).decide(jst(2024, 3, 1, 10, 0), hotline.Illegal, "drugs").request(jst(2024, 3, 2, 9, 0), "admin@a.example").
			outcome(jst(2024, 3, 10, 9, 0), hotline.OutcomeNotRemoved).request(jst(2024, 3, 10, 10, 0), "abuse@host.example").
			outcome(jst(2024, 3, 12, 9, 0), hotline.OutcomeRemoved),
		// Re-requested only after the cutoff: not a re-request of this report.
		newTC(2, hotline.Illegal, jst(2024, 3, 1, 9, 0)).decide(jst(2024, 3, 1, 10, 0), hotline.Illegal, "drugs").request(jst(2024, 3, 2, 9, 0), "admin@a.example").
			outcome(jst(2024, 3, 10, 9, 0), hotline.OutcomeNotRemoved).request(jst(2024, 5, 10, 9, 0), "abuse@host.example"),
	)
	o := report.Options{Period: period(t, "2024-03"), Grace: report.DefaultGrace}
	r := mustCompute(t, m, o)
	row := find(r.Rows, "illegal")
	if got, want := countsOf(row), (counts{requested: 2, removed: 1, notRemoved: 1, reRequested: 1}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	// Days to removal run from the first request: 10 days.
	if row.MedianDaysToRemoval == nil || *row.MedianDaysToRemoval != 10 {
		t.Errorf("median = %v, want 10", row.MedianDaysToRemoval)
	}
	// The scorecard counts the item for both recipients, each from its own request.
	byWho := map[string]report.ProviderRow{}
	for _, p := range r.Recipients {
		byWho[p.Recipient] = p
	}
	if p := byWho["abuse@host.example"]; p.Requested != 1 || p.Removed != 1 || p.MedianDaysToRemoval == nil || *p.MedianDaysToRemoval != 1.96 {
		t.Errorf("hosting provider row = %+v", p)
	}
	if p := byWho["admin@a.example"]; p.Requested != 2 || p.Removed != 1 {
		t.Errorf("site admin row = %+v", p)
	}
}

func TestMedianAndP90(t *testing.T) {
	for _, c := range []struct {
		days        []int
		median, p90 float64
	}{
		{[]int{1, 2, 3}, 2, 3},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 9},
		{[]int{4}, 4, 4},
		{[]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 20}, 1, 1},
		{[]int{10, 1, 9, 2, 8, 3, 7, 4, 6, 5, 11}, 6, 10},
	} {
		t.Run(fmt.Sprint(c.days), func(t *testing.T) {
			var cases []*tc
			for i, d := range c.days {
				sent := jst(2024, 4, 1, 9, 0)
				cases = append(cases, newTC(i, hotline.Illegal, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.Illegal, "drugs").
					request(sent, "x").outcome(sent.Add(time.Duration(d)*24*time.Hour), hotline.OutcomeRemoved))
			}
			row := find(mustCompute(t, memOf(t, cases...), opts(t, "2024-04")).Rows, "illegal")
			if row.MedianDaysToRemoval == nil || *row.MedianDaysToRemoval != c.median || row.P90DaysToRemoval == nil || *row.P90DaysToRemoval != c.p90 {
				t.Errorf("median %v p90 %v, want %v %v", row.MedianDaysToRemoval, row.P90DaysToRemoval, c.median, c.p90)
			}
		})
	}
	// Nothing removed: no median, no rate without requests.
	r := mustCompute(t, memOf(t), opts(t, "2024-04"))
	if row := find(r.Rows, "illegal"); row.MedianDaysToRemoval != nil || row.Rate != nil || row.Children == nil {
		t.Errorf("empty row = %+v", row)
	}
}

func TestJudgementDecidesTheCategory(t *testing.T) {
	sent := jst(2024, 8, 1, 9, 0)
	m := memOf(t,
		// The classifier said illegal, the analyst judged recruitment.
		newTC(1, hotline.Illegal, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.CriminalRecruitment, "courier").request(sent, "x"),
		// Corrected after the request, before the cutoff: the correction counts.
		newTC(2, hotline.CriminalRecruitment, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.Illegal, "bank_account").request(sent, "x").
			decide(sent.Add(48*time.Hour), hotline.CriminalRecruitment, "fraud_runner"),
		// Re-judged after the cutoff: it does not.
		newTC(3, hotline.CriminalRecruitment, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.SuicideInducement, "").request(sent, "x").
			decide(jst(2025, 6, 1, 0, 0), hotline.CriminalRecruitment, "generic"),
		// Judged none after the request: counted as requested under its category then.
		newTC(4, hotline.CriticalCrime, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.CriticalCrime, "stalking").request(sent, "x").
			decide(sent.Add(time.Hour), hotline.None, ""),
	)
	r := mustCompute(t, m, opts(t, "2024"))
	crit := find(r.Rows, "critical_crime")
	rec := find(crit.Children, "criminal_recruitment")
	if crit.Requested != 3 || rec == nil || rec.Requested != 2 || find(crit.Children, "stalking") == nil {
		t.Errorf("critical_crime = %+v", crit)
	}
	if find(r.Rows, "suicide_inducement").Requested != 1 || find(r.Rows, "illegal").Requested != 0 {
		t.Errorf("rows = %+v", r.Rows)
	}
	if r.ByAutomatic != 0 {
		t.Errorf("by automatic = %d", r.ByAutomatic)
	}
}

func TestGroupOf(t *testing.T) {
	for _, c := range []struct {
		cat  hotline.Category
		sub  string
		at   time.Time
		want string
	}{
		{hotline.CriminalRecruitment, "", jst(2023, 9, 28, 23, 59), report.OutOfScope},
		{hotline.CriminalRecruitment, "", jst(2023, 9, 29, 0, 0), "critical_crime"},
		{hotline.CriminalRecruitment, "fraud_runner", jst(2024, 6, 1, 0, 0), "critical_crime"},
		{hotline.CriminalRecruitment, "", jst(2025, 2, 28, 23, 59), "critical_crime"},
		{hotline.CriminalRecruitment, "", jst(2025, 3, 1, 0, 0), "illegal"},
		// 2025-02-28 15:30 UTC is 2025-03-01 00:30 in Japan.
		{hotline.CriminalRecruitment, "", time.Date(2025, 2, 28, 15, 30, 0, 0, time.UTC), "illegal"},
		{hotline.CriticalCrime, "", jst(2023, 2, 14, 12, 0), report.OutOfScope},
		{hotline.CriticalCrime, "stalking", jst(2023, 2, 15, 0, 0), "critical_crime"},
		{hotline.Illegal, "unregistered_lending", jst(2025, 2, 28, 12, 0), report.OutOfScope},
		{hotline.Illegal, "unregistered_lending", jst(2025, 3, 1, 0, 0), "illegal"},
		{hotline.Illegal, "firearm_incitement", jst(2025, 3, 1, 0, 0), "illegal"},
		{hotline.Illegal, "gambling", jst(2025, 9, 24, 23, 59), report.OutOfScope},
		{hotline.Illegal, "gambling", jst(2025, 9, 25, 0, 0), "illegal"},
		{hotline.Illegal, "drugs", jst(2020, 1, 1, 0, 0), "illegal"},
		{hotline.SuicideInducement, "", jst(2020, 1, 1, 0, 0), "suicide_inducement"},
		{hotline.None, "", jst(2024, 1, 1, 0, 0), ""},
	} {
		if got := report.GroupOf(c.cat, c.sub, c.at); got != c.want {
			t.Errorf("GroupOf(%s, %q, %s) = %q, want %q", c.cat, c.sub, c.at.Format(time.RFC3339), got, c.want)
		}
	}
	for _, c := range []struct {
		at   time.Time
		want int
	}{{jst(2022, 1, 1, 0, 0), 0}, {jst(2023, 2, 15, 0, 0), 1}, {jst(2024, 1, 1, 0, 0), 2}, {jst(2025, 3, 1, 0, 0), 3}, {jst(2025, 9, 25, 0, 0), 4}} {
		if got := report.RegimeAt(c.at); got != c.want {
			t.Errorf("RegimeAt(%s) = %d, want %d", c.at, got, c.want)
		}
	}
}

func TestOutOfScopeIsShownOnlyWhenUsed(t *testing.T) {
	sent := jst(2025, 9, 1, 9, 0)
	m := memOf(t, newTC(1, hotline.Illegal, sent.Add(-time.Hour)).decide(sent.Add(-30*time.Minute), hotline.Illegal, "gambling").request(sent, "x"))
	r := mustCompute(t, m, opts(t, "2025-09"))
	oos := find(r.Rows, report.OutOfScope)
	if oos == nil || oos.Requested != 1 || find(oos.Children, "illegal") == nil {
		t.Errorf("out of scope row = %+v", oos)
	}
	if find(mustCompute(t, m, opts(t, "2025-10")).Rows, report.OutOfScope) != nil {
		t.Error("an empty out-of-scope row is shown")
	}
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		month, year, cutoff, grace string
		field                      string // "" for no error
		period, cut                string
	}{
		{month: "2024-06", period: "2024-06"},
		{year: "2024", period: "2024"},
		{year: "2024", cutoff: "2025-03-31", period: "2024", cut: "2025-03-31"},
		{year: "2024", cutoff: "2024-12-31", period: "2024", cut: "2024-12-31"},
		{year: "2024", grace: "0", period: "2024"},
		{field: "month"},
		{month: "2024-6", field: "month"},
		{month: "2024-13", field: "month"},
		{month: "2024-06", year: "2024", field: "month"},
		{year: "24", field: "year"},
		{year: "two", field: "year"},
		{year: "2024", cutoff: "2024-12-30", field: "cutoff"},
		{year: "2024", cutoff: "31/01/2025", field: "cutoff"},
		{year: "2024", grace: "-1", field: "grace"},
		{year: "2024", grace: "x", field: "grace"},
	} {
		o, err := report.ParseQuery(c.month, c.year, c.cutoff, c.grace)
		var oe *report.OptionError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v", c, err)
		case c.field != "" && (!errors.As(err, &oe) || oe.Param != c.field || !errors.Is(err, report.ErrBadOptions)):
			t.Errorf("%+v: error %v, want one naming %s", c, err, c.field)
		case c.field == "":
			if o.Period.String() != c.period {
				t.Errorf("%+v: period %s", c, o.Period)
			}
			if c.cut != "" && o.Cutoff.Format("2006-01-02") != c.cut {
				t.Errorf("%+v: cutoff %s", c, o.Cutoff)
			}
		}
	}
}

func TestCutoffBeforeThePeriodEndIsRefused(t *testing.T) {
	o := report.Options{Period: period(t, "2024"), Cutoff: jst(2024, 6, 1, 0, 0)}
	_, err := report.Compute(context.Background(), memOf(t), o)
	var oe *report.OptionError
	if !errors.As(err, &oe) || oe.Param != "cutoff" {
		t.Errorf("err = %v", err)
	}
}
