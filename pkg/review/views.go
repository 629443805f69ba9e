package review

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// each calls fn for every case matching q, page by page, up to max cases.
func (s *Service) each(ctx context.Context, q store.Query, max int, fn func(hotline.Case)) error {
	q.Limit, q.Offset = 1000, 0
	for q.Offset < max {
		page, err := s.st.Cases(ctx, q)
		if err != nil {
			return err
		}
		for _, c := range page.Cases {
			fn(c)
		}
		if len(page.Cases) < q.Limit {
			return nil
		}
		q.Offset += len(page.Cases)
	}
	return nil
}

// Due is a case whose deletion request has had no outcome for too long.
type Due struct {
	Case    hotline.Case `json:"case"`
	Overdue string       `json:"overdue"` // how long since the last request, e.g. "9日"
}

// RecheckDue lists the cases with a deletion request sent at least
// RecheckAfter ago and no removal seen since: the items to re-check, and
// re-request if they are still up. Oldest request first.
func (s *Service) RecheckDue(ctx context.Context) ([]Due, error) {
	now := s.Now()
	var out []Due
	err := s.each(ctx, store.Query{Status: hotline.StatusRequested}, 100000, func(c hotline.Case) {
		if c.LastRequestAt == nil || now.Sub(*c.LastRequestAt) < s.pol.RecheckAfter {
			return
		}
		days := int(now.Sub(*c.LastRequestAt).Hours() / 24)
		out = append(out, Due{Case: c, Overdue: fmt.Sprintf("%d日", days)})
	})
	if err != nil {
		return nil, fmt.Errorf("re-checks due: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Case.LastRequestAt.Before(*out[j].Case.LastRequestAt) })
	return out, nil
}

// Similar is what the case page shows beside a case: other cases of the
// same host, and cases elsewhere whose text is nearly the same (the same
// advertisement posted on many sites, say).
type Similar struct {
	SameHost       []hotline.Case `json:"same_host"`
	NearDuplicates []Near         `json:"near_duplicates"`
}

// Near is a near-duplicate case and how alike its text is, in [0,1].
type Near struct {
	Case       hotline.Case `json:"case"`
	Similarity float64      `json:"similarity"`
}

// NearDuplicate is the text similarity from which cases count as near
// duplicates.
const NearDuplicate = 0.6

// Similar finds the cases like c: up to 20 of the same host in queue order,
// and up to 10 near duplicates among the first 100 cases of the same
// automatic category (c must carry its reports).
func (s *Service) Similar(ctx context.Context, c hotline.Case) (Similar, error) {
	var out Similar
	if c.Host != "" {
		page, err := s.st.Cases(ctx, store.Query{Host: c.Host, Limit: 21})
		if err != nil {
			return out, fmt.Errorf("similar cases: %w", err)
		}
		for _, o := range page.Cases {
			if o.ID != c.ID && len(out.SameHost) < 20 {
				out.SameHost = append(out.SameHost, o)
			}
		}
	}
	mine := shingles(caseText(c))
	if len(mine) == 0 {
		return out, nil
	}
	page, err := s.st.Cases(ctx, store.Query{Category: c.Category, Limit: 100})
	if err != nil {
		return out, fmt.Errorf("near duplicates: %w", err)
	}
	for _, o := range page.Cases {
		if o.ID == c.ID || o.Host == c.Host {
			continue
		}
		full, err := s.st.Case(ctx, o.ID)
		if err != nil {
			return out, fmt.Errorf("near duplicates: %w", err)
		}
		if sim := jaccard(mine, shingles(caseText(full))); sim >= NearDuplicate {
			out.NearDuplicates = append(out.NearDuplicates, Near{Case: o, Similarity: sim})
		}
	}
	sort.SliceStable(out.NearDuplicates, func(i, j int) bool { return out.NearDuplicates[i].Similarity > out.NearDuplicates[j].Similarity })
	if len(out.NearDuplicates) > 10 {
		out.NearDuplicates = out.NearDuplicates[:10]
	}
	return out, nil
}

// caseText is the text a case is compared by: its first report's.
func caseText(c hotline.Case) string {
	if len(c.Reports) == 0 {
		return ""
	}
	return c.Reports[0].Text
}

// shingles is the set of character bigrams of a text, folded to lower case
// and without spaces and punctuation, so that reposts with small edits
// still match.
func shingles(text string) map[string]bool {
	var rs []rune
	for _, r := range strings.ToLower(text) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			rs = append(rs, r)
		}
	}
	set := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		set[string(rs[i:i+2])] = true
	}
	return set
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	both := 0
	for k := range a {
		if b[k] {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// CategoryLoad is the queue of one category on the dashboard.
type CategoryLoad struct {
	Category     hotline.Category `json:"category"`
	Label        string           `json:"label"`
	Waiting      int              `json:"waiting"`      // new cases, not yet judged
	Claimed      int              `json:"claimed"`      // of which claimed now
	PastSLA      int              `json:"past_sla"`     // waiting longer than the SLA
	SLA          string           `json:"sla"`          // e.g. "4時間"
	Unconfirmed  int              `json:"unconfirmed"`  // judged, four eyes pending
	OldestWaitID string           `json:"oldest_id"`    // the oldest unclaimed case
	OldestWait   *time.Time       `json:"oldest_since"` // when it was first reported
}

// AnalystDay counts one analyst's decisions on one day (JST).
type AnalystDay struct {
	Actor     string `json:"actor"`
	Day       string `json:"day"` // YYYY-MM-DD
	Decisions int    `json:"decisions"`
}

// Dashboard is the supervisors' view of the queue.
type Dashboard struct {
	At         time.Time      `json:"at"`
	Categories []CategoryLoad `json:"categories"`
	Total      CategoryLoad   `json:"total"`
	Decisions  []AnalystDay   `json:"decisions"` // the last Days days, newest first
	Days       []string       `json:"days"`
	Due        int            `json:"recheck_due"`
}

// FormatDuration says a duration in Japanese, in its largest whole unit.
func FormatDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d日", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d時間", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d分", int(d/time.Minute))
	}
}

// Dashboard computes the dashboard, with decisions over the last days days.
func (s *Service) Dashboard(ctx context.Context, days int) (Dashboard, error) {
	now := s.Now()
	d := Dashboard{At: now}
	loads := map[hotline.Category]*CategoryLoad{}
	for _, c := range hotline.Categories() {
		loads[c] = &CategoryLoad{Category: c, Label: c.Label(), SLA: FormatDuration(s.pol.SLA[c])}
	}
	d.Total.Label = "合計"
	count := func(c hotline.Case, f func(*CategoryLoad)) {
		if l := loads[c.Category]; l != nil {
			f(l)
		}
		f(&d.Total)
	}
	err := s.each(ctx, store.Query{Status: hotline.StatusNew}, 100000, func(c hotline.Case) {
		count(c, func(l *CategoryLoad) {
			l.Waiting++
			if c.ClaimedBy != "" && c.ClaimedUntil != nil && c.ClaimedUntil.After(now) {
				l.Claimed++
			} else if l.OldestWait == nil || c.FirstReportedAt.Before(*l.OldestWait) {
				t := c.FirstReportedAt
				l.OldestWait, l.OldestWaitID = &t, c.ID
			}
			if sla := s.pol.SLA[c.Category]; sla > 0 && now.Sub(c.FirstReportedAt) > sla {
				l.PastSLA++
			}
		})
	})
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	err = s.each(ctx, store.Query{Status: hotline.StatusReviewed}, 100000, func(c hotline.Case) {
		if j := c.Judgement; j != nil && j.ConfirmedBy == "" && s.pol.NeedsFourEyes(j.Category) {
			count(c, func(l *CategoryLoad) { l.Unconfirmed++ })
		}
	})
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	for _, c := range hotline.Categories() {
		d.Categories = append(d.Categories, *loads[c])
	}
	if days <= 0 {
		days = 7
	}
	jst := JST()
	today := time.Date(now.In(jst).Year(), now.In(jst).Month(), now.In(jst).Day(), 0, 0, 0, 0, jst)
	from := today.AddDate(0, 0, -(days - 1))
	for i := 0; i < days; i++ {
		d.Days = append(d.Days, today.AddDate(0, 0, -i).Format("2006-01-02"))
	}
	per := map[[2]string]int{}
	err = s.st.ActionLog(ctx, from, now.Add(time.Second), func(a hotline.Action) error {
		if a.Kind == hotline.ActDecision {
			per[[2]string{a.Actor, a.At.In(jst).Format("2006-01-02")}]++
		}
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	for k, n := range per {
		d.Decisions = append(d.Decisions, AnalystDay{Actor: k[0], Day: k[1], Decisions: n})
	}
	sort.Slice(d.Decisions, func(i, j int) bool {
		a, b := d.Decisions[i], d.Decisions[j]
		if a.Day != b.Day {
			return a.Day > b.Day
		}
		return a.Actor < b.Actor
	})
	due, err := s.RecheckDue(ctx)
	if err != nil {
		return d, err
	}
	d.Due = len(due)
	return d, nil
}

// AuditWriter writes the audit trail as CSV: case actions (with the case's
// state before and after, as JSON) and staff audit entries in one format.
// Cells that a spreadsheet would read as a formula are prefixed with '.
type AuditWriter struct{ w *csv.Writer }

// NewAuditWriter starts an audit CSV on w, writing its header.
func NewAuditWriter(w io.Writer) (*AuditWriter, error) {
	cw := csv.NewWriter(w)
	header := []string{"at", "source", "id", "case_id", "kind", "actor", "subject", "detail", "before", "after"}
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	return &AuditWriter{w: cw}, nil
}

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func jsonCell(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return ""
	}
	return string(b)
}

// Describe says what an action did, in one line.
func Describe(a hotline.Action) string {
	var parts []string
	switch a.Kind {
	case hotline.ActClaim:
		if a.Until != nil {
			parts = append(parts, "until="+a.Until.Format(time.RFC3339))
		}
	case hotline.ActDecision:
		parts = append(parts, "category="+string(a.Category))
		if a.Subcategory != "" {
			parts = append(parts, "subcategory="+a.Subcategory)
		}
	case hotline.ActRequest:
		if r := a.Request; r != nil {
			parts = append(parts, "recipient_kind="+r.RecipientKind, "recipient="+r.Recipient, "method="+r.Method, "sent_at="+r.SentAt.Format(time.RFC3339))
		}
	case hotline.ActOutcome:
		if o := a.Outcome; o != nil {
			parts = append(parts, "result="+o.Result, "seen_at="+o.SeenAt.Format(time.RFC3339))
		}
	}
	if a.Note != "" {
		parts = append(parts, "note="+a.Note)
	}
	return strings.Join(parts, " ")
}

// Action writes one case action.
func (aw *AuditWriter) Action(a hotline.Action) error {
	var before, after any
	if a.Before != nil {
		before = a.Before
	}
	if a.After != nil {
		after = a.After
	}
	return aw.w.Write([]string{a.At.UTC().Format(time.RFC3339Nano), "case", a.ID, a.CaseID, string(a.Kind), cell(a.Actor),
		a.CaseID, cell(Describe(a)), jsonCell(before), jsonCell(after)})
}

// Entry writes one staff audit entry.
func (aw *AuditWriter) Entry(e hotline.AuditEntry) error {
	detail := e.Detail
	if e.IP != "" {
		detail = strings.TrimSpace(detail + " ip=" + e.IP)
	}
	return aw.w.Write([]string{e.At.UTC().Format(time.RFC3339Nano), "staff", e.ID, "", e.Kind, cell(e.Actor),
		cell(e.Subject), cell(detail), "", ""})
}

// Flush flushes the CSV and reports any write error.
func (aw *AuditWriter) Flush() error {
	aw.w.Flush()
	return aw.w.Error()
}
