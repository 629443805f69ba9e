// Package storetest is the conformance suite of the store contract. Every
// implementation of store.Store runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Open { ... })
//	}
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// Open opens a store over one backend's persistent state: every call on the
// same Open sees what earlier stores wrote, as a restarted process would.
type Open func() (store.Store, error)

// NewBackend makes a fresh, empty backend for one test.
type NewBackend func(t *testing.T) Open

// Run runs every conformance test against the backends nb makes.
func Run(t *testing.T, nb NewBackend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"AddAndRead", testAddAndRead},
		{"Idempotent", testIdempotent},
		{"KeepsStrongest", testKeepsStrongest},
		{"ContactApart", testContactApart},
		{"NotFound", testNotFound},
		{"ListFilterPage", testListFilterPage},
		{"ConcurrentAdds", testConcurrentAdds},
		{"DurableAcrossReopen", testDurableAcrossReopen},
		{"APIKeys", testAPIKeys},
		{"RecordActions", testRecordActions},
		{"RecordAllOrNothing", testRecordAllOrNothing},
		{"Histories", testHistories},
		{"QueryFilters", testQueryFilters},
		{"ClaimConflict", testClaimConflict},
		{"StaleAction", testStaleAction},
		{"ActionLog", testActionLog},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Audit", testAudit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, nb(t))
		})
	}
}

func mustOpen(t *testing.T, open Open) store.Store {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var base = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// report makes a classified report of the item u.
func report(id, u string, at time.Time, c hotline.Category, score float64) hotline.ClassifiedReport {
	canon := strings.TrimSuffix(u, "/")
	cl := hotline.Classification{
		Category: c, Score: score,
		Scores:   map[hotline.Category]float64{c: score},
		Priority: hotline.Priority(c, score, false),
		Model:    "test",
	}
	if c != hotline.None {
		cl.Subcategory = hotline.Subcategories(c)[0]
		cl.Evidence = []hotline.Evidence{{Term: "受け子", Category: c, Kind: "lexicon", Weight: 2.5, Start: 3, End: 12}}
	}
	return hotline.ClassifiedReport{
		Report: hotline.Report{
			ID: id, CaseID: hotline.CaseID(canon), URL: u, CanonicalURL: canon,
			Text: "本文 " + id, Source: hotline.SourcePublic, ReceivedAt: at,
		},
		Classification: cl,
		ClassifiedAt:   at.Add(time.Second),
	}
}

func add(t *testing.T, s store.Store, r hotline.ClassifiedReport) {
	t.Helper()
	if err := s.AddReport(context.Background(), r); err != nil {
		t.Fatalf("add report %s: %v", r.Report.ID, err)
	}
}

func get(t *testing.T, s store.Store, id string) hotline.Case {
	t.Helper()
	c, err := s.Case(context.Background(), id)
	if err != nil {
		t.Fatalf("read case %s: %v", id, err)
	}
	return c
}

func testAddAndRead(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/board/1", base, hotline.CriminalRecruitment, 0.93)
	r.Report.Text = "<script>alert(1)</script> 受け子募集"
	add(t, s, r)
	c := get(t, s, r.Report.CaseID)
	if c.ID != r.Report.CaseID || c.URL != r.Report.URL || c.CanonicalURL != r.Report.CanonicalURL {
		t.Errorf("case identity = %s %s %s", c.ID, c.URL, c.CanonicalURL)
	}
	if c.Host != "example.com" {
		t.Errorf("host = %q", c.Host)
	}
	if c.Category != hotline.CriminalRecruitment || c.Subcategory != "fraud_runner" || c.Score != 0.93 {
		t.Errorf("classification = %s/%s %.2f", c.Category, c.Subcategory, c.Score)
	}
	if c.Status != hotline.StatusNew || c.ReportCount != 1 {
		t.Errorf("status %s, count %d", c.Status, c.ReportCount)
	}
	if !c.FirstReportedAt.Equal(base) || !c.LastReportedAt.Equal(base) {
		t.Errorf("reported at %v..%v, want %v", c.FirstReportedAt, c.LastReportedAt, base)
	}
	if len(c.Evidence) != 1 || c.Evidence[0].Term != "受け子" || c.Evidence[0].End != 12 {
		t.Errorf("evidence = %+v", c.Evidence)
	}
	if len(c.Reports) != 1 {
		t.Fatalf("reports = %d", len(c.Reports))
	}
	got := c.Reports[0]
	if got.ID != "r1" || got.Text != r.Report.Text || got.Source != hotline.SourcePublic || !got.ReceivedAt.Equal(base) {
		t.Errorf("report = %+v", got.Report)
	}
	if got.Classification.Category != hotline.CriminalRecruitment {
		t.Errorf("report classification = %s", got.Classification.Category)
	}
}

func testIdempotent(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/a", base, hotline.Illegal, 0.8)
	add(t, s, r)
	add(t, s, r)
	add(t, s, r)
	if c := get(t, s, r.Report.CaseID); c.ReportCount != 1 || len(c.Reports) != 1 {
		t.Errorf("after three adds of one report: count %d, reports %d", c.ReportCount, len(c.Reports))
	}
}

func testKeepsStrongest(t *testing.T, open Open) {
	s := mustOpen(t, open)
	u := "https://example.com/thread/9"
	add(t, s, report("r1", u, base, hotline.SuicideInducement, 0.7))
	add(t, s, report("r2", u, base.Add(time.Hour), hotline.None, 0.99))
	add(t, s, report("r3", u, base.Add(2*time.Hour), hotline.Illegal, 0.95))
	c := get(t, s, hotline.CaseID(u))
	if c.Category != hotline.SuicideInducement || c.Score != 0.7 {
		t.Errorf("case = %s %.2f, want the stronger suicide_inducement 0.70 kept", c.Category, c.Score)
	}
	if c.ReportCount != 3 || !c.LastReportedAt.Equal(base.Add(2*time.Hour)) {
		t.Errorf("count %d, last %v", c.ReportCount, c.LastReportedAt)
	}
	add(t, s, report("r4", u, base.Add(-time.Hour), hotline.SuicideInducement, 0.9))
	c = get(t, s, hotline.CaseID(u))
	if c.Score != 0.9 || !c.FirstReportedAt.Equal(base.Add(-time.Hour)) {
		t.Errorf("after a stronger, earlier report: score %.2f first %v", c.Score, c.FirstReportedAt)
	}
	var ids []string
	for _, r := range c.Reports {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "r4,r1,r2,r3" {
		t.Errorf("reports in order %v, want oldest first r4,r1,r2,r3", ids)
	}
}

func testContactApart(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/c", base, hotline.Illegal, 0.8)
	r.Contact = "reporter@example.org"
	add(t, s, r)
	got, err := s.Contact(context.Background(), "r1")
	if err != nil || got != r.Contact {
		t.Fatalf("contact = %q, %v", got, err)
	}
	c := get(t, s, r.Report.CaseID)
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "reporter@example.org") {
		t.Error("the case carries the reporter's contact")
	}
	p, err := s.Cases(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(p)
	if strings.Contains(string(b), "reporter@example.org") {
		t.Error("the case list carries the reporter's contact")
	}
	if got, err := s.Contact(context.Background(), "nope"); err != nil && !errors.Is(err, store.ErrNotFound) || got != "" {
		t.Errorf("contact of unknown report = %q, %v", got, err)
	}
}

func testNotFound(t *testing.T, open Open) {
	s := mustOpen(t, open)
	if _, err := s.Case(context.Background(), hotline.CaseID("https://nowhere.example/")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing case: %v, want ErrNotFound", err)
	}
	if _, err := s.APIKeyByHash(context.Background(), "nohash"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing key: %v, want ErrNotFound", err)
	}
	if err := s.RevokeAPIKey(context.Background(), "nokey"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke missing key: %v, want ErrNotFound", err)
	}
}

func testListFilterPage(t *testing.T, open Open) {
	s := mustOpen(t, open)
	cats := []hotline.Category{hotline.Illegal, hotline.CriticalCrime, hotline.SuicideInducement, hotline.CriminalRecruitment, hotline.None}
	for i := 0; i < 25; i++ {
		c := cats[i%len(cats)]
		add(t, s, report(fmt.Sprintf("r%02d", i), fmt.Sprintf("https://example.com/item/%02d", i), base.Add(time.Duration(i)*time.Minute), c, 0.5+float64(i)/100))
	}
	// A second report on item 00 raises its count.
	add(t, s, report("r99", "https://example.com/item/00", base.Add(time.Hour), hotline.Illegal, 0.5))
	ctx := context.Background()

	all, err := s.Cases(ctx, store.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 25 || len(all.Cases) != 25 {
		t.Fatalf("all: total %d, %d cases", all.Total, len(all.Cases))
	}
	for i := 1; i < len(all.Cases); i++ {
		a, b := all.Cases[i-1], all.Cases[i]
		if a.Priority < b.Priority || a.Priority == b.Priority && a.ReportCount < b.ReportCount {
			t.Errorf("order: %s (p%d, n%d) before %s (p%d, n%d)", a.ID, a.Priority, a.ReportCount, b.ID, b.Priority, b.ReportCount)
		}
		if len(a.Reports) != 0 {
			t.Errorf("listed case %s carries reports", a.ID)
		}
	}
	crit, err := s.Cases(ctx, store.Query{Category: hotline.CriticalCrime, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if crit.Total != 5 || len(crit.Cases) != 2 {
		t.Errorf("critical_crime: total %d, page %d; want 5, 2", crit.Total, len(crit.Cases))
	}
	for _, c := range crit.Cases {
		if c.Category != hotline.CriticalCrime {
			t.Errorf("filter returned %s", c.Category)
		}
	}
	seen := map[string]bool{}
	for off := 0; off < 25; off += 10 {
		p, err := s.Cases(ctx, store.Query{Limit: 10, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Cases {
			if seen[c.ID] {
				t.Errorf("case %s on two pages", c.ID)
			}
			seen[c.ID] = true
		}
	}
	if len(seen) != 25 {
		t.Errorf("paging saw %d cases, want 25", len(seen))
	}
	st, err := s.Cases(ctx, store.Query{Status: hotline.StatusClosed})
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 0 {
		t.Errorf("closed: total %d, want 0", st.Total)
	}
	nw, err := s.Cases(ctx, store.Query{Status: hotline.StatusNew, Category: hotline.None})
	if err != nil {
		t.Fatal(err)
	}
	if nw.Total != 5 {
		t.Errorf("new none: total %d, want 5", nw.Total)
	}
}

func testConcurrentAdds(t *testing.T, open Open) {
	s := mustOpen(t, open)
	u := "https://example.com/hot"
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := s.AddReport(context.Background(), report(fmt.Sprintf("r%02d", i), u, base.Add(time.Duration(i)*time.Second), hotline.Illegal, 0.6)); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent add: %v", err)
	}
	if c := get(t, s, hotline.CaseID(u)); c.ReportCount != n || len(c.Reports) != n {
		t.Errorf("after %d concurrent adds: count %d, reports %d", n, c.ReportCount, len(c.Reports))
	}
}

func testDurableAcrossReopen(t *testing.T, open Open) {
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	r := report("r1", "https://example.com/d", base, hotline.CriticalCrime, 0.9)
	add(t, s, r)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s2 := mustOpen(t, open)
	add(t, s2, report("r2", "https://example.com/d", base.Add(time.Minute), hotline.None, 0.9))
	add(t, s2, r) // a redelivery after the restart
	if c := get(t, s2, r.Report.CaseID); c.ReportCount != 2 || c.Category != hotline.CriticalCrime {
		t.Errorf("after reopen: count %d, category %s", c.ReportCount, c.Category)
	}
}

func testAPIKeys(t *testing.T, open Open) {
	s := mustOpen(t, open)
	ctx := context.Background()
	k1 := hotline.APIKey{ID: "k1", Name: "patrol", Prefix: "hlk_abcd", Hash: "h1", CreatedAt: base}
	k2 := hotline.APIKey{ID: "k2", Name: "partner", Prefix: "hlk_efgh", Hash: "h2", CreatedAt: base.Add(time.Hour)}
	for _, k := range []hotline.APIKey{k1, k2} {
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("create key: %v", err)
		}
	}
	got, err := s.APIKeyByHash(ctx, "h1")
	if err != nil || got.ID != "k1" || got.Name != "patrol" || got.RevokedAt != nil {
		t.Fatalf("key by hash = %+v, %v", got, err)
	}
	list, err := s.APIKeys(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "k2" {
		t.Fatalf("keys = %+v, %v", list, err)
	}
	if err := s.RevokeAPIKey(ctx, "k1"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	got, err = s.APIKeyByHash(ctx, "h1")
	if err != nil || got.RevokedAt == nil {
		t.Errorf("revoked key = %+v, %v", got, err)
	}
}
