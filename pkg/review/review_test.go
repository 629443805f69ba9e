package review_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, pol review.Policy) (*review.Service, *sqlitestore.Store, *clock) {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC)}
	return review.New(st, pol, clk.now), st, clk
}

func addCase(t *testing.T, st *sqlitestore.Store, n string, c hotline.Category, at time.Time) string {
	t.Helper()
	u := "https://example.jp/" + n
	r := hotline.ClassifiedReport{
		Report: hotline.Report{ID: "r" + n, CaseID: hotline.CaseID(u), URL: u, CanonicalURL: u, Text: "本文 " + n,
			Source: hotline.SourcePublic, ReceivedAt: at},
		Classification: hotline.Classification{Category: c, Score: 0.9, Priority: hotline.Priority(c, 0.9, false)},
		ClassifiedAt:   at,
	}
	if err := st.AddReport(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r.Report.CaseID
}

var (
	ana = review.Actor{Name: "ana", Role: hotline.RoleAnalyst}
	ben = review.Actor{Name: "ben", Role: hotline.RoleAnalyst}
	sue = review.Actor{Name: "sue", Role: hotline.RoleSupervisor}
	aud = review.Actor{Name: "aud", Role: hotline.RoleAuditor}
)

func decide(c hotline.Category) review.Input {
	return review.Input{Kind: hotline.ActDecision, Category: c}
}

func request() review.Input {
	return review.Input{Kind: hotline.ActRequest, Request: &hotline.DeletionRequest{RecipientKind: hotline.RecipientSiteAdmin, Recipient: "abuse@example.jp", Method: "email"}}
}

func TestPolicy(t *testing.T) {
	type step struct {
		who  review.Actor
		in   review.Input
		want error // nil, review.ErrForbidden, review.ErrConflict or hotline.ErrInvalidAction
	}
	tests := []struct {
		name  string
		pol   review.Policy
		cat   hotline.Category
		steps []step
	}{
		{"four eyes by default for suicide inducement", review.Policy{}, hotline.SuicideInducement, []step{
			{ana, decide(hotline.SuicideInducement), nil},
			{ana, request(), review.ErrConflict},
			{ana, review.Input{Kind: hotline.ActConfirmation}, review.ErrForbidden},
			{sue, review.Input{Kind: hotline.ActConfirmation}, nil},
			{sue, review.Input{Kind: hotline.ActConfirmation}, review.ErrConflict},
			{ana, request(), nil},
			{ana, request(), nil}, // a re-request
		}},
		{"a supervisor cannot confirm their own decision", review.Policy{}, hotline.CriticalCrime, []step{
			{sue, decide(hotline.CriticalCrime), nil},
			{sue, review.Input{Kind: hotline.ActConfirmation}, review.ErrConflict},
		}},
		{"no four eyes for recruitment by default", review.Policy{}, hotline.CriminalRecruitment, []step{
			{ana, decide(hotline.CriminalRecruitment), nil},
			{ana, request(), nil},
		}},
		{"four eyes configured for recruitment", review.Policy{FourEyes: []hotline.Category{hotline.CriminalRecruitment}}, hotline.CriminalRecruitment, []step{
			{ana, decide(hotline.CriminalRecruitment), nil},
			{ana, request(), review.ErrConflict},
		}},
		{"no request without a positive decision", review.Policy{}, hotline.Illegal, []step{
			{ana, request(), review.ErrConflict},
			{ana, decide(hotline.None), nil},
			{ana, request(), review.ErrConflict},
		}},
		{"claims", review.Policy{}, hotline.Illegal, []step{
			{ana, review.Input{Kind: hotline.ActClaim}, nil},
			{ben, review.Input{Kind: hotline.ActClaim}, review.ErrConflict},
			{ben, decide(hotline.Illegal), review.ErrConflict},
			{ben, review.Input{Kind: hotline.ActRelease}, review.ErrConflict},
			{sue, review.Input{Kind: hotline.ActRelease}, nil}, // a supervisor may release
			{ben, review.Input{Kind: hotline.ActClaim}, nil},
		}},
		{"the auditor changes nothing", review.Policy{}, hotline.Illegal, []step{
			{aud, review.Input{Kind: hotline.ActNote, Note: "x"}, review.ErrForbidden},
			{aud, review.Input{Kind: hotline.ActClaim}, review.ErrForbidden},
		}},
		{"outcomes", review.Policy{}, hotline.Illegal, []step{
			{ana, review.Input{Kind: hotline.ActOutcome, Outcome: &hotline.Outcome{Result: hotline.OutcomeRemoved}}, hotline.ErrInvalidAction},
			{ana, review.Input{Kind: hotline.ActOutcome, Outcome: &hotline.Outcome{Result: hotline.OutcomeRemovedBeforeRequest}}, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, clk := setup(t, tc.pol)
			id := addCase(t, st, "1", tc.cat, clk.t.Add(-time.Hour))
			for i, s := range tc.steps {
				clk.t = clk.t.Add(time.Minute)
				_, err := svc.Do(context.Background(), s.who, s.in, id)
				if (s.want == nil) != (err == nil) || (s.want != nil && !errors.Is(err, s.want)) {
					t.Fatalf("step %d (%s %s): err = %v, want %v", i, s.who.Name, s.in.Kind, err, s.want)
				}
			}
		})
	}
}

func TestLeaseExpires(t *testing.T) {
	svc, st, clk := setup(t, review.Policy{Lease: 10 * time.Minute})
	id := addCase(t, st, "1", hotline.Illegal, clk.t)
	if _, err := svc.Do(context.Background(), ana, review.Input{Kind: hotline.ActClaim}, id); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(11 * time.Minute)
	if _, err := svc.Do(context.Background(), ben, review.Input{Kind: hotline.ActClaim}, id); err != nil {
		t.Errorf("claim after the lease expired: %v", err)
	}
}

func TestRecheckDueAndDashboard(t *testing.T) {
	svc, st, clk := setup(t, review.Policy{RecheckAfter: 7 * 24 * time.Hour})
	ctx := context.Background()
	start := clk.t
	old := addCase(t, st, "old", hotline.CriminalRecruitment, start.Add(-48*time.Hour))
	fresh := addCase(t, st, "fresh", hotline.CriminalRecruitment, start.Add(-time.Hour))
	waiting := addCase(t, st, "wait", hotline.SuicideInducement, start.Add(-6*time.Hour)) // past its 4h SLA
	for _, id := range []string{old, fresh} {
		if _, err := svc.Do(ctx, ana, decide(hotline.CriminalRecruitment), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Do(ctx, ana, request(), old); err != nil {
		t.Fatal(err)
	}
	clk.t = start.Add(3 * 24 * time.Hour)
	if _, err := svc.Do(ctx, ana, request(), fresh); err != nil {
		t.Fatal(err)
	}
	clk.t = start.Add(8 * 24 * time.Hour)
	due, err := svc.RecheckDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Case.ID != old || due[0].Overdue != "8日" {
		t.Errorf("due = %+v, want only the request of 8 days ago", due)
	}
	d, err := svc.Dashboard(ctx, 14)
	if err != nil {
		t.Fatal(err)
	}
	var si review.CategoryLoad
	for _, l := range d.Categories {
		if l.Category == hotline.SuicideInducement {
			si = l
		}
	}
	if si.Waiting != 1 || si.PastSLA != 1 || si.OldestWaitID != waiting || d.Total.Waiting != 1 || d.Due != 1 {
		t.Errorf("dashboard = %+v (suicide inducement %+v)", d, si)
	}
	if len(d.Decisions) != 1 || d.Decisions[0].Actor != "ana" || d.Decisions[0].Decisions != 2 {
		t.Errorf("decisions per analyst per day = %+v", d.Decisions)
	}
}

func TestBulkAllOrNothing(t *testing.T) {
	svc, st, clk := setup(t, review.Policy{})
	ctx := context.Background()
	a := addCase(t, st, "a", hotline.Illegal, clk.t)
	b := addCase(t, st, "b", hotline.Illegal, clk.t)
	if _, err := svc.Do(ctx, ben, review.Input{Kind: hotline.ActClaim}, b); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Do(ctx, ana, decide(hotline.Illegal), a, b); !errors.Is(err, review.ErrConflict) {
		t.Fatalf("bulk over a case ben holds: %v", err)
	}
	if c, _ := st.Case(ctx, a); c.Judgement != nil {
		t.Error("case a was decided though the bulk action failed")
	}
	acts, err := svc.Do(ctx, ben, decide(hotline.Illegal), a, b, a)
	if err != nil || len(acts) != 2 {
		t.Errorf("bulk decision: %d actions, %v", len(acts), err)
	}
}

func TestLetter(t *testing.T) {
	c := hotline.Case{ID: "c1", URL: "https://bbs.example.jp/t/1?<x>", Classification: hotline.Classification{Category: hotline.CriminalRecruitment},
		Workflow: hotline.Workflow{Judgement: &hotline.Judgement{Category: hotline.CriminalRecruitment, Subcategory: "fraud_runner"}}}
	tests := []struct {
		kind, recipient string
		want            []string
	}{
		{hotline.RecipientSiteAdmin, "abuse@bbs.example.jp", []string{"abuse@bbs.example.jp\nサイト管理者 様", "犯罪実行者募集情報", "https://bbs.example.jp/t/1?<x>", "2026年4月1日", "利用規約"}},
		{hotline.RecipientINHOPE, "", []string{"INHOPE 加盟ホットライン 様", "INHOPE の手続き"}},
	}
	for _, tc := range tests {
		got := review.Letter(review.LetterInput{Case: c, RecipientKind: tc.kind, Recipient: tc.recipient, Date: time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC)})
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s letter lacks %q:\n%s", tc.kind, w, got)
			}
		}
	}
}

func TestSimilar(t *testing.T) {
	svc, st, clk := setup(t, review.Policy{})
	ctx := context.Background()
	add := func(u, text string) string {
		r := hotline.ClassifiedReport{
			Report: hotline.Report{ID: "r-" + u, CaseID: hotline.CaseID(u), URL: u, CanonicalURL: u, Text: text,
				Source: hotline.SourcePublic, ReceivedAt: clk.t},
			Classification: hotline.Classification{Category: hotline.CriminalRecruitment, Score: 0.9},
		}
		if err := st.AddReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.Report.CaseID
	}
	ad := "【即日即金】高額報酬 荷物を受け取るだけの簡単なお仕事 詳細はテレグラムで @xxxx_123"
	me := add("https://a.example/1", ad)
	sameHost := add("https://a.example/2", "まったく別の話題です")
	repost := add("https://b.example/9", "【即日即金】高額報酬！荷物を受け取るだけの簡単なお仕事。詳細はテレグラムで @xxxx_123")
	add("https://c.example/5", "高額報酬のアルバイト募集、普通の倉庫作業です")
	c, err := st.Case(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := svc.Similar(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.SameHost) != 1 || sim.SameHost[0].ID != sameHost {
		t.Errorf("same host = %+v", sim.SameHost)
	}
	if len(sim.NearDuplicates) != 1 || sim.NearDuplicates[0].Case.ID != repost || sim.NearDuplicates[0].Similarity < 0.9 {
		t.Errorf("near duplicates = %+v, want only the repost", sim.NearDuplicates)
	}
}

// racingStore lets another actor act on a case just after the service
// has read it, between its policy check and its write.
type racingStore struct {
	*sqlitestore.Store
	meanwhile func(hotline.Case)
}

func (s racingStore) Case(ctx context.Context, id string) (hotline.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err == nil && s.meanwhile != nil {
		s.meanwhile(c)
	}
	return c, err
}

// TestPolicyCheckedAgainstWhatIsWritten: the policy is checked against the
// case as read, and the store refuses the write if the case has changed
// since (hotline.ErrStale), so that no check can be overtaken.
func TestPolicyCheckedAgainstWhatIsWritten(t *testing.T) {
	ctx := context.Background()
	_, st, clk := setup(t, review.Policy{})
	other := review.New(st, review.Policy{}, clk.now)
	id := addCase(t, st, "race", hotline.CriminalRecruitment, clk.t)
	// ben claims the case while ana's decision is being checked.
	svc := review.New(racingStore{Store: st, meanwhile: func(hotline.Case) {
		if _, err := other.Do(ctx, ben, review.Input{Kind: hotline.ActClaim}, id); err != nil {
			t.Errorf("ben's claim: %v", err)
		}
	}}, review.Policy{}, clk.now)
	_, err := svc.Do(ctx, ana, decide(hotline.None), id)
	if !errors.Is(err, hotline.ErrStale) {
		t.Fatalf("ana's decision overtaken by ben's claim: %v, want ErrStale", err)
	}
	c, err := st.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Judgement != nil || c.ClaimedBy != "ben" {
		t.Errorf("case after the race: %+v", c.Workflow)
	}
	// Read again, the case is ben's: the policy now refuses ana outright.
	if _, err := review.New(st, review.Policy{}, clk.now).Do(ctx, ana, decide(hotline.None), id); !errors.Is(err, review.ErrConflict) {
		t.Errorf("ana's decision on ben's case: %v, want ErrConflict", err)
	}
}
