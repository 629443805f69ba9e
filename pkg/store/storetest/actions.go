package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

func decision(id, caseID, actor string, at time.Time, c hotline.Category) hotline.Action {
	return hotline.Action{ID: id, CaseID: caseID, Kind: hotline.ActDecision, Actor: actor, At: at, Category: c}
}

func request(id, caseID string, sent time.Time) hotline.Action {
	return hotline.Action{ID: id, CaseID: caseID, Kind: hotline.ActRequest, Actor: "analyst1", At: sent,
		Request: &hotline.DeletionRequest{RecipientKind: hotline.RecipientSiteAdmin, Recipient: "admin@example.com", Method: "email", SentAt: sent}}
}

func outcome(id, caseID, result string, seen time.Time) hotline.Action {
	return hotline.Action{ID: id, CaseID: caseID, Kind: hotline.ActOutcome, Actor: "analyst1", At: seen,
		Outcome: &hotline.Outcome{Result: result, SeenAt: seen}}
}

func record(t *testing.T, s store.Store, acts ...hotline.Action) {
	t.Helper()
	if err := s.Record(context.Background(), acts...); err != nil {
		t.Fatalf("record: %v", err)
	}
}

func testRecordActions(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/w", base, hotline.CriminalRecruitment, 0.9)
	add(t, s, r)
	id := r.Report.CaseID
	until := base.Add(15 * time.Minute)
	record(t, s,
		hotline.Action{ID: "a1", CaseID: id, Kind: hotline.ActClaim, Actor: "analyst1", At: base, Until: &until},
		decision("a2", id, "analyst1", base.Add(time.Minute), hotline.CriminalRecruitment),
		hotline.Action{ID: "a3", CaseID: id, Kind: hotline.ActConfirmation, Actor: "super1", At: base.Add(2 * time.Minute)},
		request("a4", id, base.Add(time.Hour)),
	)
	// A redelivered action is skipped.
	record(t, s, request("a4", id, base.Add(time.Hour)))
	c := get(t, s, id)
	if c.Status != hotline.StatusRequested || c.RequestCount != 1 || c.Judgement == nil ||
		c.Judgement.Category != hotline.CriminalRecruitment || c.Judgement.ConfirmedBy != "super1" || c.ClaimedBy != "" {
		t.Fatalf("case after actions: status %s, workflow %+v", c.Status, c.Workflow)
	}
	if c.Category != hotline.CriminalRecruitment || c.ReportCount != 1 {
		t.Errorf("actions changed the automatic classification or count: %s %d", c.Category, c.ReportCount)
	}
	acts, err := s.Actions(context.Background(), id)
	if err != nil || len(acts) != 4 {
		t.Fatalf("actions = %d, %v", len(acts), err)
	}
	for i, want := range []string{"a1", "a2", "a3", "a4"} {
		if acts[i].ID != want {
			t.Errorf("action %d = %s, want %s", i, acts[i].ID, want)
		}
	}
	if acts[1].Before == nil || acts[1].Before.Status != hotline.StatusNew || acts[1].After.Status != hotline.StatusReviewed {
		t.Errorf("decision before/after = %+v / %+v", acts[1].Before, acts[1].After)
	}
	if acts[3].Request == nil || !acts[3].Request.SentAt.Equal(base.Add(time.Hour)) {
		t.Errorf("request round trip = %+v", acts[3].Request)
	}
	// A later outcome closes the case.
	record(t, s, outcome("a5", id, hotline.OutcomeRemoved, base.Add(26*time.Hour)))
	if c := get(t, s, id); c.Status != hotline.StatusClosed || c.Outcome != hotline.OutcomeRemoved || !c.OutcomeAt.Equal(base.Add(26*time.Hour)) {
		t.Errorf("after removal: %s %+v", c.Status, c.Workflow)
	}
}

func testRecordAllOrNothing(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/aon", base, hotline.Illegal, 0.9)
	add(t, s, r)
	id := r.Report.CaseID
	err := s.Record(context.Background(),
		decision("b1", id, "analyst1", base, hotline.Illegal),
		outcome("b2", id, hotline.OutcomeRemoved, base), // no request sent: invalid
	)
	if !errors.Is(err, hotline.ErrInvalidAction) {
		t.Fatalf("invalid batch: %v, want ErrInvalidAction", err)
	}
	if acts, _ := s.Actions(context.Background(), id); len(acts) != 0 {
		t.Errorf("a failed batch left %d actions", len(acts))
	}
	if c := get(t, s, id); c.Judgement != nil || c.Status != hotline.StatusNew {
		t.Errorf("a failed batch changed the case: %s %+v", c.Status, c.Workflow)
	}
	err = s.Record(context.Background(), decision("b3", hotline.CaseID("https://nowhere.example/"), "analyst1", base, hotline.Illegal))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("action on a missing case: %v, want ErrNotFound", err)
	}
	if _, err := s.Actions(context.Background(), hotline.CaseID("https://nowhere.example/")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("actions of a missing case: %v, want ErrNotFound", err)
	}
}

func testHistories(t *testing.T, open Open) {
	s := mustOpen(t, open)
	jan := time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	mk := func(rid, u string) string {
		r := report(rid, u, jan.Add(-48*time.Hour), hotline.SuicideInducement, 0.9)
		add(t, s, r)
		return r.Report.CaseID
	}
	inJan := mk("h1", "https://example.com/h/1")
	record(t, s, decision("h1d", inJan, "a", jan, hotline.SuicideInducement), request("h1r", inJan, jan),
		outcome("h1o", inJan, hotline.OutcomeRemoved, jan.AddDate(0, 1, 5)))
	inDec := mk("h2", "https://example.com/h/2")
	record(t, s, decision("h2d", inDec, "a", jan.AddDate(0, -1, 0), hotline.SuicideInducement), request("h2r", inDec, jan.AddDate(0, -1, 0)))
	before := mk("h3", "https://example.com/h/3")
	record(t, s, outcome("h3o", before, hotline.OutcomeRemovedBeforeRequest, jan.Add(24*time.Hour)))
	mk("h4", "https://example.com/h/4") // no actions at all

	var got []string
	err := s.Histories(context.Background(), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
		func(c hotline.Case, acts []hotline.Action) error {
			got = append(got, c.ID)
			if c.ID == inJan && len(acts) != 3 {
				t.Errorf("history of %s has %d actions, want all 3 (the February outcome too)", c.ID, len(acts))
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{inJan: true, before: true}
	if len(got) != 2 || !want[got[0]] || !want[got[1]] || got[0] > got[1] {
		t.Errorf("histories of January = %v, want %s and %s in id order", got, inJan, before)
	}
}
