package esstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
	"github.com/hotline-jp/hotline/pkg/store/esstore"
)

// TestPaging runs the paged reads over many pages: search_after on
// reports, actions, the action log and the histories, histories read in
// batches, and case pages beyond the result window.
func TestPaging(t *testing.T) {
	srv := newFakeES(t, spec(t))
	ctx := context.Background()
	s, err := esstore.Open(ctx, esstore.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	esstore.SetLimits(s, 7, 5, 20)
	base := time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	const n = 40
	var ids []string
	var logged []string
	for i := range n {
		r := testReport(fmt.Sprintf("r%02d", i), fmt.Sprintf("https://example.com/p/%02d", i), base.Add(time.Duration(i)*time.Minute))
		if i%3 == 0 {
			r.Classification.Score = 0.5 // a lower priority for some
			r.Classification.Priority = hotline.Priority(hotline.Illegal, 0.5, false)
		}
		if err := s.AddReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		id := r.Report.CaseID
		ids = append(ids, id)
		if i < 30 {
			at := base.Add(time.Duration(i) * time.Hour)
			acts := []hotline.Action{
				{ID: fmt.Sprintf("d%02d", i), CaseID: id, Kind: hotline.ActDecision, Actor: "a", At: at, Category: hotline.Illegal},
				{ID: fmt.Sprintf("q%02d", i), CaseID: id, Kind: hotline.ActRequest, Actor: "a", At: at,
					Request: &hotline.DeletionRequest{RecipientKind: hotline.RecipientSiteAdmin, Recipient: "x@example.com", Method: "email", SentAt: at}},
				{ID: fmt.Sprintf("o%02d", i), CaseID: id, Kind: hotline.ActOutcome, Actor: "a", At: at.Add(time.Hour),
					Outcome: &hotline.Outcome{Result: hotline.OutcomeRemoved, SeenAt: at.Add(time.Hour)}},
			}
			if err := s.Record(ctx, acts...); err != nil {
				t.Fatal(err)
			}
			for _, a := range acts {
				logged = append(logged, a.ID)
			}
		}
	}
	// One case with many reports.
	for i := range 17 {
		if err := s.AddReport(ctx, testReport(fmt.Sprintf("m%02d", i), "https://example.com/p/00", base.Add(-time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.Case(ctx, ids[0])
	if err != nil || c.ReportCount != 18 || len(c.Reports) != 18 || c.Reports[0].ID != "m16" || c.Reports[17].ID != "r00" {
		t.Fatalf("case with 18 reports: count %d, %d reports, %v", c.ReportCount, len(c.Reports), err)
	}

	var got []string
	err = s.Histories(ctx, base, base.AddDate(0, 1, 0), func(c hotline.Case, acts []hotline.Action) error {
		got = append(got, c.ID)
		if len(acts) != 3 {
			t.Errorf("history of %s: %d actions", c.ID, len(acts))
		}
		return nil
	})
	if err != nil || len(got) != 30 {
		t.Fatalf("histories: %d cases, %v", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Errorf("histories out of id order: %s before %s", got[i-1], got[i])
		}
	}

	var log []string
	if err := s.ActionLog(ctx, base, base.AddDate(0, 1, 0), func(a hotline.Action) error {
		log = append(log, a.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(log) != fmt.Sprint(logged) {
		t.Errorf("action log = %v\nwant %v", log, logged)
	}

	var all []hotline.Case
	for off := 0; off < n; off += 10 {
		p, err := s.Cases(ctx, store.Query{Limit: 10, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != n || len(p.Cases) != 10 {
			t.Fatalf("page at %d: total %d, %d cases", off, p.Total, len(p.Cases))
		}
		all = append(all, p.Cases...)
	}
	seen := map[string]bool{}
	for i, c := range all {
		if seen[c.ID] {
			t.Errorf("case %s on two pages", c.ID)
		}
		seen[c.ID] = true
		if i == 0 {
			continue
		}
		a := all[i-1]
		if a.Priority < c.Priority || a.Priority == c.Priority && (a.ReportCount < c.ReportCount ||
			a.ReportCount == c.ReportCount && (a.FirstReportedAt.After(c.FirstReportedAt) ||
				a.FirstReportedAt.Equal(c.FirstReportedAt) && a.ID > c.ID)) {
			t.Errorf("queue order broken at %d: %s before %s", i, a.ID, c.ID)
		}
	}
}

// TestRefreshPolicy shows why writes wait for a refresh: with refresh
// "false", a case is read at once (gets are real time, and its report is
// pending in it) but not listed until the index refreshes.
func TestRefreshPolicy(t *testing.T) {
	srv := newFakeES(t, spec(t))
	ctx := context.Background()
	s, err := esstore.Open(ctx, esstore.Config{URL: srv.URL, Refresh: "false"})
	if err != nil {
		t.Fatal(err)
	}
	r := testReport("r1", "https://example.com/lag", time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC))
	if err := s.AddReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Case(ctx, r.Report.CaseID); err != nil || c.ReportCount != 1 || len(c.Reports) != 1 {
		t.Errorf("case read in real time: %+v, %v", c, err)
	}
	if p, err := s.Cases(ctx, store.Query{}); err != nil || p.Total != 0 {
		t.Errorf("listed before a refresh: total %d, %v", p.Total, err)
	}
	if _, err := esstore.Open(ctx, esstore.Config{URL: srv.URL, Refresh: "sometimes"}); err == nil {
		t.Error("an unknown refresh policy was accepted")
	}
	for _, p := range []string{"Hotline-", "_hotline", "hot line-", "a/b"} {
		if _, err := esstore.Open(ctx, esstore.Config{URL: srv.URL, IndexPrefix: p}); err == nil {
			t.Errorf("index prefix %q was accepted", p)
		}
	}
}
