package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

func testQueryFilters(t *testing.T, open Open) {
	s := mustOpen(t, open)
	a := report("f1", "https://a.example/1", base, hotline.CriminalRecruitment, 0.9) // fraud_runner
	b := report("f2", "https://b.example/2", base.Add(48*time.Hour), hotline.SuicideInducement, 0.8)
	b.Report.Source, b.Report.Crawler = hotline.SourceCrawler, "patrol"
	c := report("f3", "https://a.example/3", base.Add(96*time.Hour), hotline.CriminalRecruitment, 0.7)
	c.Classification.Subcategory = "courier"
	for _, r := range []hotline.ClassifiedReport{a, b, c} {
		add(t, s, r)
	}
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"subcategory", store.Query{Subcategory: "courier"}, []string{c.Report.CaseID}},
		{"source", store.Query{Source: hotline.SourceCrawler}, []string{b.Report.CaseID}},
		{"host", store.Query{Host: "a.example"}, []string{a.Report.CaseID, c.Report.CaseID}},
		{"older than", store.Query{ReportedBefore: base.Add(time.Hour)}, []string{a.Report.CaseID}},
		{"newer than", store.Query{ReportedSince: base.Add(48 * time.Hour)}, []string{b.Report.CaseID, c.Report.CaseID}},
		{"category and source", store.Query{Category: hotline.CriminalRecruitment, Source: hotline.SourcePublic}, []string{a.Report.CaseID, c.Report.CaseID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.Cases(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range page.Cases {
				got = append(got, c.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || page.Total != len(tc.want) {
				t.Errorf("cases = %v (total %d), want %v", got, page.Total, tc.want)
			}
		})
	}
}

func testClaimConflict(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/claim", base, hotline.CriminalRecruitment, 0.9)
	add(t, s, r)
	id := r.Report.CaseID
	until := base.Add(15 * time.Minute)
	record(t, s, hotline.Action{ID: "c1", CaseID: id, Kind: hotline.ActClaim, Actor: "alice", At: base, Until: &until})
	later := base.Add(20 * time.Minute)
	tests := []struct {
		name  string
		a     hotline.Action
		claim bool // whether it is refused as claimed
	}{
		{"other analyst within the lease", hotline.Action{ID: "c2", CaseID: id, Kind: hotline.ActClaim, Actor: "bob", At: base.Add(time.Minute), Until: &later}, true},
		{"holder renews", hotline.Action{ID: "c3", CaseID: id, Kind: hotline.ActClaim, Actor: "alice", At: base.Add(2 * time.Minute), Until: &later}, false},
		{"other analyst after expiry", hotline.Action{ID: "c4", CaseID: id, Kind: hotline.ActClaim, Actor: "bob", At: later.Add(time.Second), Until: ptr(later.Add(time.Hour))}, false},
	}
	for _, tc := range tests {
		err := s.Record(context.Background(), tc.a)
		if tc.claim != errors.Is(err, hotline.ErrClaimed) || (!tc.claim && err != nil) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if c := get(t, s, id); c.ClaimedBy != "bob" {
		t.Errorf("claimed by %q, want bob", c.ClaimedBy)
	}
}

func ptr[T any](v T) *T { return &v }

func testActionLog(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r1 := report("r1", "https://example.com/l1", base, hotline.CriminalRecruitment, 0.9)
	r2 := report("r2", "https://example.com/l2", base, hotline.Illegal, 0.9)
	add(t, s, r1)
	add(t, s, r2)
	record(t, s,
		decision("d1", r1.Report.CaseID, "alice", base.Add(time.Hour), hotline.CriminalRecruitment),
		decision("d2", r2.Report.CaseID, "bob", base.Add(25*time.Hour), hotline.Illegal),
		hotline.Action{ID: "n1", CaseID: r1.Report.CaseID, Kind: hotline.ActNote, Actor: "bob", At: base.Add(2 * time.Hour), Note: "メモ"},
	)
	var got []string
	err := s.ActionLog(context.Background(), base, base.Add(24*time.Hour), func(a hotline.Action) error {
		if a.After == nil {
			t.Errorf("action %s without its after state", a.ID)
		}
		got = append(got, a.ID)
		return nil
	})
	if err != nil || fmt.Sprint(got) != "[d1 n1]" {
		t.Errorf("action log = %v, %v; want [d1 n1] in recorded order", got, err)
	}
}

func testUsers(t *testing.T, open Open) {
	ctx := context.Background()
	s := mustOpen(t, open)
	u := hotline.User{ID: "u1", Login: "tanaka", DisplayName: "田中", Role: hotline.RoleAnalyst, PasswordHash: "$2a$hash", CreatedAt: base}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	dup := u
	dup.ID = "u2"
	if err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second user with the same login: err = %v, want ErrConflict", err)
	}
	if err := s.CreateUser(ctx, hotline.User{ID: "u3", Login: "suzuki", DisplayName: "鈴木", Role: hotline.RoleSupervisor, PasswordHash: "x", CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByLogin(ctx, "tanaka")
	if err != nil || got.ID != "u1" || got.DisplayName != "田中" || got.Role != hotline.RoleAnalyst || got.PasswordHash != "$2a$hash" || !got.CreatedAt.Equal(base) || got.Disabled {
		t.Errorf("user by login = %+v, %v", got, err)
	}
	if _, err := s.UserByLogin(ctx, "TANAKA"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("logins compare exactly: err = %v", err)
	}
	got.Disabled, got.Role, got.PasswordHash = true, hotline.RoleAuditor, "new"
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ctx, hotline.User{ID: "nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown user: err = %v", err)
	}
	s.Close()
	s = mustOpen(t, open) // durable across a restart
	again, err := s.User(ctx, "u1")
	if err != nil || !again.Disabled || again.Role != hotline.RoleAuditor || again.PasswordHash != "new" || again.Login != "tanaka" {
		t.Errorf("user after update and reopen = %+v, %v", again, err)
	}
	all, err := s.Users(ctx)
	if err != nil || len(all) != 2 || all[0].Login != "suzuki" || all[1].Login != "tanaka" {
		t.Errorf("users = %+v, %v", all, err)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: err = %v", err)
	}
}

func testSessions(t *testing.T, open Open) {
	ctx := context.Background()
	s := mustOpen(t, open)
	for _, u := range []string{"u1", "u2"} {
		if err := s.CreateUser(ctx, hotline.User{ID: u, Login: u, Role: hotline.RoleAnalyst, PasswordHash: "x", CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, se := range []hotline.Session{
		{Hash: "h1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{Hash: "h2", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{Hash: "h3", UserID: "u2", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = mustOpen(t, open) // sessions survive a restart
	se, err := s.Session(ctx, "h1")
	if err != nil || se.UserID != "u1" || !se.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("session = %+v, %v", se, err)
	}
	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Errorf("deleting a deleted session: %v", err)
	}
	if _, err := s.Session(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: err = %v", err)
	}
	if err := s.DeleteUserSessions(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session of a user whose sessions were deleted: err = %v", err)
	}
	if _, err := s.Session(ctx, "h3"); err != nil {
		t.Errorf("another user's session: %v", err)
	}
}

func testAudit(t *testing.T, open Open) {
	ctx := context.Background()
	s := mustOpen(t, open)
	entries := []hotline.AuditEntry{
		{ID: "e1", At: base, Actor: "admin", Kind: hotline.AuditUserCreated, Subject: "tanaka", Detail: "role=analyst"},
		{ID: "e2", At: base.Add(time.Minute), Actor: "tanaka", Kind: hotline.AuditLoginFailure, IP: "192.0.2.1"},
		{ID: "e3", At: base.Add(2 * time.Hour), Actor: "tanaka", Kind: hotline.AuditLogin, IP: "192.0.2.1"},
	}
	for _, e := range entries {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(ctx, entries[0]); err != nil { // redelivered: no-op
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, open)
	var got []hotline.AuditEntry
	if err := s.Audit(ctx, base, base.Add(time.Hour), func(e hotline.AuditEntry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "e1" || got[1].ID != "e2" || got[0].Detail != "role=analyst" || got[1].IP != "192.0.2.1" || !got[1].At.Equal(base.Add(time.Minute)) {
		t.Errorf("audit = %+v", got)
	}
}

// testStaleAction: an action decided against a state the case has since
// left is refused with hotline.ErrStale and nothing of its batch is
// recorded; decided against the current state (as read back from the
// store), it is recorded.
func testStaleAction(t *testing.T, open Open) {
	s := mustOpen(t, open)
	r := report("r1", "https://example.com/stale", base, hotline.SuicideInducement, 0.9)
	add(t, s, r)
	id := r.Report.CaseID
	seen := get(t, s, id) // what alice's policy check read
	until := base.Add(15 * time.Minute)
	record(t, s, hotline.Action{ID: "s1", CaseID: id, Kind: hotline.ActClaim, Actor: "bob", At: base, Until: &until})

	stale := decision("s2", id, "alice", base.Add(time.Minute), hotline.None)
	stale.Expect = seen.StateOf()
	note := hotline.Action{ID: "s3", CaseID: id, Kind: hotline.ActNote, Actor: "alice", At: base.Add(time.Minute), Note: "x"}
	if err := s.Record(context.Background(), note, stale); !errors.Is(err, hotline.ErrStale) {
		t.Fatalf("decision against a state before bob's claim: %v, want ErrStale", err)
	}
	if acts, _ := s.Actions(context.Background(), id); len(acts) != 1 {
		t.Errorf("a refused batch left %d actions, want bob's claim only", len(acts))
	}
	if c := get(t, s, id); c.ClaimedBy != "bob" || c.Judgement != nil {
		t.Errorf("a refused batch changed the case: %+v", c.Workflow)
	}

	now := get(t, s, id)
	fresh := decision("s4", id, "bob", base.Add(2*time.Minute), hotline.SuicideInducement)
	fresh.Expect = now.StateOf()
	record(t, s, fresh)
	if c := get(t, s, id); c.Judgement == nil || c.Judgement.By != "bob" {
		t.Errorf("a decision against the current state was not recorded: %+v", c.Workflow)
	}
}
