package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Source is what the statistics are read from: the store's histories
// (store.Store satisfies it).
type Source interface {
	Histories(ctx context.Context, from, to time.Time, fn func(hotline.Case, []hotline.Action) error) error
}

// Options choose a report.
type Options struct {
	Period Period
	// Cutoff is the last day (Japan time) on which a removal counts; zero
	// for the last day of the period plus Grace days.
	Cutoff time.Time
	// Grace is the number of days after the period used for the default
	// cutoff; DefaultGrace is the usual value.
	Grace int
	// Now, when set, marks a report whose cutoff has not passed yet as
	// provisional.
	Now time.Time
}

// ErrBadOptions is wrapped by every error about the options.
var ErrBadOptions = errors.New("bad report options")

// OptionError is a bad option, naming the parameter at fault.
type OptionError struct {
	Param string
	Msg   string
}

func (e *OptionError) Error() string { return e.Param + ": " + e.Msg }

// Unwrap makes an OptionError match ErrBadOptions.
func (e *OptionError) Unwrap() error { return ErrBadOptions }

// cutoff returns the cutoff day and validates it.
func (o Options) cutoff() (time.Time, error) {
	if o.Period.Year == 0 {
		return time.Time{}, &OptionError{"period", "a month or a year is required"}
	}
	if o.Grace < 0 || o.Grace > MaxGrace {
		return time.Time{}, &OptionError{"grace", fmt.Sprintf("must be between 0 and %d days", MaxGrace)}
	}
	if o.Cutoff.IsZero() {
		return o.Period.LastDay().AddDate(0, 0, o.Grace), nil
	}
	c := day(o.Cutoff)
	if c.Before(o.Period.LastDay()) {
		return time.Time{}, &OptionError{"cutoff", fmt.Sprintf("must not be before the last day of the period (%s)", formatDate(o.Period.LastDay()))}
	}
	return c, nil
}

// Report is the statistics of one period. Its JSON form is the published
// shape: {"period","from","to","cutoff","rows"}; the rest is for the table,
// the CSV, the HTML page and the provider scorecard.
type Report struct {
	Period string `json:"period"`
	From   string `json:"from"`   // first day, Japan time
	To     string `json:"to"`     // last day, Japan time, inclusive
	Cutoff string `json:"cutoff"` // last day on which a removal counts, inclusive
	Rows   []Row  `json:"rows"`

	PeriodLabel string   `json:"-"`
	Grace       int      `json:"-"` // days after the period, when the cutoff is the default
	DefaultCut  bool     `json:"-"` // the cutoff is the default one
	Provisional bool     `json:"-"` // the cutoff had not passed when the report was made
	Regimes     []Regime `json:"-"` // the regimes in force on the dates counted
	// ByAutomatic counts items without a human judgement, counted by their
	// automatic classification.
	ByAutomatic int `json:"-"`
	// Total sums the top rows.
	Total      Row           `json:"-"`
	Recipients []ProviderRow `json:"-"`
	Hosts      []ProviderRow `json:"-"`
}

// Row is one line of the table: a reporting group, a category nested in it
// or a sub-type.
type Row struct {
	Category             string   `json:"category"`
	Label                string   `json:"label"`
	Requested            int      `json:"requested"`
	Removed              int      `json:"removed"`
	RemovedBeforeRequest int      `json:"removed_before_request"`
	NotRemoved           int      `json:"not_removed"`
	Open                 int      `json:"open"`
	Rate                 *float64 `json:"rate"`
	MedianDaysToRemoval  *float64 `json:"median_days_to_removal"`
	Children             []Row    `json:"children"`

	P90DaysToRemoval *float64 `json:"-"`
	ReRequested      int      `json:"-"`
}

// ProviderRow is one line of the provider scorecard: a recipient of
// requests or a host. An item sent to two recipients counts for each.
type ProviderRow struct {
	RecipientKind       string   `json:"recipient_kind,omitempty"`
	Recipient           string   `json:"recipient,omitempty"`
	Host                string   `json:"host,omitempty"`
	Requested           int      `json:"requested"`
	Removed             int      `json:"removed"`
	NotRemoved          int      `json:"not_removed"`
	Open                int      `json:"open"`
	Rate                *float64 `json:"rate"`
	MedianDaysToRemoval *float64 `json:"median_days_to_removal"`
	P90DaysToRemoval    *float64 `json:"p90_days_to_removal"`
	ReRequested         int      `json:"re_requested"`
}

// item is what the statistics need of one case, read from its actions.
type item struct {
	id, host  string
	auto      hotline.Category
	autoSub   string
	decisions []decision // in recorded order
	requests  []request  // in recorded order
	outcomes  []hotline.Outcome
}

type decision struct {
	at  time.Time
	cat hotline.Category
	sub string
	// requests is how many requests had been recorded before it.
	requests int
}

type request struct {
	sentAt    time.Time
	kind, who string
}

func itemOf(c hotline.Case, acts []hotline.Action) item {
	it := item{id: c.ID, host: c.Host, auto: c.Category, autoSub: c.Subcategory}
	for _, a := range acts {
		switch a.Kind {
		case hotline.ActDecision:
			it.decisions = append(it.decisions, decision{at: a.At, cat: a.Category, sub: a.Subcategory, requests: len(it.requests)})
		case hotline.ActRequest:
			if a.Request != nil {
				it.requests = append(it.requests, request{sentAt: a.Request.SentAt, kind: a.Request.RecipientKind, who: a.Request.Recipient})
			}
		case hotline.ActOutcome:
			if a.Outcome != nil {
				it.outcomes = append(it.outcomes, *a.Outcome)
			}
		}
	}
	return it
}

// firstRequest is the earliest request's time (zero if none).
func (it *item) firstRequest() time.Time {
	var t time.Time
	for _, r := range it.requests {
		if t.IsZero() || r.sentAt.Before(t) {
			t = r.sentAt
		}
	}
	return t
}

// category resolves the item's category as of the end instant: the latest
// decision recorded before it; a decision of none after a request gives way
// to the one the request was sent under. judged is false when there is no
// decision and the automatic classification is used.
func (it *item) category(end time.Time) (c hotline.Category, sub string, judged bool) {
	var last, underRequest *decision
	for i := range it.decisions {
		d := &it.decisions[i]
		if !d.at.Before(end) {
			continue
		}
		last = d
		if d.requests == 0 && d.cat != hotline.None {
			underRequest = d
		}
	}
	switch {
	case last == nil:
		return it.auto, it.autoSub, false
	case last.cat == hotline.None && len(it.requests) > 0 && underRequest != nil:
		return underRequest.cat, underRequest.sub, true
	}
	return last.cat, last.sub, true
}

// status is an item's standing at the end instant.
type status struct {
	removed     bool
	notRemoved  bool
	days        float64 // first request to removal
	removedAt   time.Time
	requests    int // sent before end
	firstByWhom map[string]time.Time
}

func (it *item) status(end time.Time) status {
	st := status{firstByWhom: map[string]time.Time{}}
	first := it.firstRequest()
	for _, r := range it.requests {
		if !r.sentAt.Before(end) {
			continue
		}
		st.requests++
		k := r.kind + "\x00" + r.who
		if t, ok := st.firstByWhom[k]; !ok || r.sentAt.Before(t) {
			st.firstByWhom[k] = r.sentAt
		}
	}
	var removedAt time.Time
	for _, o := range it.outcomes {
		if !o.SeenAt.Before(end) {
			continue
		}
		switch o.Result {
		case hotline.OutcomeRemoved:
			if removedAt.IsZero() || o.SeenAt.Before(removedAt) {
				removedAt = o.SeenAt
			}
		case hotline.OutcomeNotRemoved:
			st.notRemoved = true
		}
	}
	if !removedAt.IsZero() {
		st.removed, st.notRemoved, st.removedAt = true, false, removedAt
		st.days = removedAt.Sub(first).Hours() / 24
	}
	return st
}

// removedBeforeRequest returns when the item was seen removed before any
// request (zero if it was not).
func (it *item) removedBeforeRequest() time.Time {
	if len(it.requests) > 0 {
		return time.Time{}
	}
	for _, o := range it.outcomes {
		if o.Result == hotline.OutcomeRemovedBeforeRequest {
			return o.SeenAt
		}
	}
	return time.Time{}
}

// Load reads the items with a request or outcome in [from, to).
func load(ctx context.Context, src Source, from, to time.Time) ([]item, error) {
	var items []item
	err := src.Histories(ctx, from, to, func(c hotline.Case, acts []hotline.Action) error {
		items = append(items, itemOf(c, acts))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read histories %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return items, nil
}

// Compute reads the histories of the period from src and computes its
// report.
func Compute(ctx context.Context, src Source, o Options) (*Report, error) {
	cut, err := o.cutoff()
	if err != nil {
		return nil, err
	}
	items, err := load(ctx, src, o.Period.From(), o.Period.To())
	if err != nil {
		return nil, err
	}
	return compute(items, o, cut), nil
}

// acc accumulates one row.
type acc struct {
	Row
	days     []float64
	children map[string]*acc
}

func newAcc(id, label string) *acc {
	return &acc{Row: Row{Category: id, Label: label}, children: map[string]*acc{}}
}

func (a *acc) child(id, label string) *acc {
	c, ok := a.children[id]
	if !ok {
		c = newAcc(id, label)
		a.children[id] = c
	}
	return c
}

func (a *acc) addRequested(st status) {
	a.Requested++
	switch {
	case st.removed:
		a.Removed++
		a.days = append(a.days, st.days)
	case st.notRemoved:
		a.NotRemoved++
	default:
		a.Open++
	}
	if st.requests > 1 {
		a.ReRequested++
	}
}

// row finishes an accumulated row; order lists the children's ids in the
// order they are shown (any others follow in id order).
func (a *acc) row(order func(id string) int) Row {
	r := a.Row
	finish(&r, a.days)
	ids := make([]string, 0, len(a.children))
	for id := range a.children {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		oi, oj := order(ids[i]), order(ids[j])
		if oi != oj {
			return oi < oj
		}
		return ids[i] < ids[j]
	})
	r.Children = []Row{}
	for _, id := range ids {
		r.Children = append(r.Children, a.children[id].row(order))
	}
	return r
}

func finish(r *Row, days []float64) {
	r.Rate = rate(r.Removed, r.Requested)
	r.MedianDaysToRemoval, r.P90DaysToRemoval = median(days), percentile(days, 0.9)
}

func rate(removed, requested int) *float64 {
	if requested == 0 {
		return nil
	}
	v := math.Round(float64(removed)/float64(requested)*1e4) / 1e4
	return &v
}

// median is the median of xs in days, rounded to 2 places (nil if empty).
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	v := s[n/2]
	if n%2 == 0 {
		v = (s[n/2-1] + s[n/2]) / 2
	}
	return round2(v)
}

// percentile is the nearest-rank p-th percentile of xs, rounded to 2
// places (nil if empty).
func percentile(xs []float64, p float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	k = max(0, min(k, len(s)-1))
	return round2(s[k])
}

func round2(v float64) *float64 {
	r := math.Round(v*100) / 100
	return &r
}

// childOrder orders children: nested categories first, then sub-types in
// the order of hotline.Subcategories, then the unspecified sub-type.
func childOrder(id string) int {
	for i, c := range hotline.Categories() {
		if string(c) == id {
			return i
		}
	}
	n := 100
	for _, c := range hotline.Categories() {
		for _, s := range hotline.Subcategories(c) {
			if s == id {
				return n
			}
			n++
		}
	}
	if id == unspecified {
		return 1000
	}
	return 999
}

// compute computes the report of o's period from items (which may hold
// items of other periods: they are left out) with the cutoff day cut.
func compute(items []item, o Options, cut time.Time) *Report {
	from, to := o.Period.From(), o.Period.To()
	end := cut.AddDate(0, 0, 1) // the first instant after the cutoff day
	rep := &Report{
		Period:      o.Period.String(),
		PeriodLabel: o.Period.Label(),
		From:        formatDate(from),
		To:          formatDate(o.Period.LastDay()),
		Cutoff:      formatDate(cut),
		DefaultCut:  o.Cutoff.IsZero(),
		Grace:       int(cut.Sub(o.Period.LastDay()).Hours()/24 + 0.5),
		Provisional: !o.Now.IsZero() && o.Now.Before(end),
	}
	groups := map[string]*acc{}
	for _, g := range groupOrder() {
		groups[g] = newAcc(g, groupLabel(g))
	}
	regimes := map[int]bool{}
	recipients := map[string]*provAcc{}
	hosts := map[string]*provAcc{}

	// place returns the rows an item adds to: its group, then the nested
	// category when it is not the group itself, then the sub-type.
	place := func(c hotline.Category, sub string, at time.Time) []*acc {
		g := GroupOf(c, sub, at)
		if g == "" {
			return nil
		}
		regimes[RegimeAt(at)] = true
		ga := groups[g]
		rows := []*acc{ga}
		parent := ga
		if string(c) != g {
			parent = ga.child(string(c), c.Label())
			rows = append(rows, parent)
		}
		sid := sub
		if sid == "" {
			sid = unspecified
		}
		return append(rows, parent.child(sid, subtypeLabel(sub)))
	}

	for i := range items {
		it := &items[i]
		if first := it.firstRequest(); !first.IsZero() {
			if first.Before(from) || !first.Before(to) {
				continue // another period's cohort
			}
			c, sub, judged := it.category(end)
			rows := place(c, sub, first)
			if rows == nil {
				continue
			}
			if !judged {
				rep.ByAutomatic++
			}
			st := it.status(end)
			for _, a := range rows {
				a.addRequested(st)
			}
			for k, t := range st.firstByWhom {
				p, ok := recipients[k]
				if !ok {
					p = &provAcc{row: ProviderRow{RecipientKind: kindOf(k), Recipient: whoOf(k)}}
					recipients[k] = p
				}
				p.add(st, t)
			}
			h, ok := hosts[it.host]
			if !ok {
				h = &provAcc{row: ProviderRow{Host: it.host}}
				hosts[it.host] = h
			}
			h.add(st, first)
			continue
		}
		seen := it.removedBeforeRequest()
		if seen.IsZero() || seen.Before(from) || !seen.Before(to) {
			continue
		}
		c, sub, judged := it.category(end)
		rows := place(c, sub, seen)
		if rows == nil {
			continue
		}
		if !judged {
			rep.ByAutomatic++
		}
		for _, a := range rows {
			a.RemovedBeforeRequest++
		}
	}

	total := newAcc("total", "合計")
	for _, g := range groupOrder() {
		a := groups[g]
		if g == OutOfScope && a.Requested == 0 && a.RemovedBeforeRequest == 0 {
			continue
		}
		rep.Rows = append(rep.Rows, a.row(childOrder))
		total.Requested += a.Requested
		total.Removed += a.Removed
		total.RemovedBeforeRequest += a.RemovedBeforeRequest
		total.NotRemoved += a.NotRemoved
		total.Open += a.Open
		total.ReRequested += a.ReRequested
		total.days = append(total.days, a.days...)
	}
	rep.Total = total.row(childOrder)
	for i, r := range Regimes() {
		if regimes[i] {
			rep.Regimes = append(rep.Regimes, r)
		}
	}
	rep.Recipients = providerRows(recipients)
	rep.Hosts = providerRows(hosts)
	return rep
}

func kindOf(k string) string {
	for i := range len(k) {
		if k[i] == 0 {
			return k[:i]
		}
	}
	return k
}

func whoOf(k string) string {
	for i := range len(k) {
		if k[i] == 0 {
			return k[i+1:]
		}
	}
	return ""
}

type provAcc struct {
	row  ProviderRow
	days []float64
}

// add counts an item for a provider; since is when the provider was first
// asked, from which its days to removal are measured.
func (p *provAcc) add(st status, since time.Time) {
	p.row.Requested++
	switch {
	case st.removed:
		p.row.Removed++
		p.days = append(p.days, st.removedAt.Sub(since).Hours()/24)
	case st.notRemoved:
		p.row.NotRemoved++
	default:
		p.row.Open++
	}
	if st.requests > 1 {
		p.row.ReRequested++
	}
}

func providerRows(m map[string]*provAcc) []ProviderRow {
	out := make([]ProviderRow, 0, len(m))
	for _, p := range m {
		r := p.row
		r.Rate = rate(r.Removed, r.Requested)
		r.MedianDaysToRemoval, r.P90DaysToRemoval = median(p.days), percentile(p.days, 0.9)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requested != out[j].Requested {
			return out[i].Requested > out[j].Requested
		}
		if out[i].Host != out[j].Host {
			return out[i].Host < out[j].Host
		}
		if out[i].RecipientKind != out[j].RecipientKind {
			return out[i].RecipientKind < out[j].RecipientKind
		}
		return out[i].Recipient < out[j].Recipient
	})
	return out
}

// TrendPoint is one month of the removal-rate trend.
type TrendPoint struct {
	Month  Period
	Cutoff string
	Rows   []Row // the top rows of the month's report
	Total  Row
}

// TrendMonths is how many months the trend shows.
const TrendMonths = 12

// ComputeWithTrend computes the report of o's period and, for the
// TrendMonths months ending with it, each month's report with its own
// default cutoff (the month's last day plus the grace), never later than
// the report's cutoff: the monthly figures as they were published.
func ComputeWithTrend(ctx context.Context, src Source, o Options) (*Report, []TrendPoint, error) {
	cut, err := o.cutoff()
	if err != nil {
		return nil, nil, err
	}
	months := trailingMonths(o.Period, TrendMonths)
	items, err := load(ctx, src, months[0].From(), o.Period.To())
	if err != nil {
		return nil, nil, err
	}
	rep := compute(items, o, cut)
	trend := make([]TrendPoint, 0, len(months))
	for _, m := range months {
		mc := m.LastDay().AddDate(0, 0, o.Grace)
		if mc.After(cut) {
			mc = cut
		}
		mo := Options{Period: m, Cutoff: mc, Grace: o.Grace}
		mr := compute(items, mo, mc)
		trend = append(trend, TrendPoint{Month: m, Cutoff: mr.Cutoff, Rows: mr.Rows, Total: mr.Total})
	}
	return rep, trend, nil
}
