package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/httpapi"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

// staffFixture serves the staff API with users of every role signed in.
type staffFixture struct {
	srv     *httptest.Server
	st      *sqlitestore.Store
	cookies map[string]*auth.Principal // login → principal (with CSRF)
	secrets map[string]string          // login → session secret
}

func newStaffFixture(t testing.TB) *staffFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	sess := auth.NewSessions(st, auth.SessionOptions{BcryptCost: bcrypt.MinCost})
	log := zap.NewNop() // a fuzz target's F must not be logged to from its inputs
	if tt, ok := t.(*testing.T); ok {
		log = zaptest.NewLogger(tt)
	}
	h := httpapi.New(httpapi.Config{
		Cases: st, Keys: st, Staff: auth.NewStaff(adminToken), Logger: log,
		Sessions: sess, Users: st, Trail: st, Review: review.New(st, review.Policy{}, nil),
	})
	f := &staffFixture{srv: httptest.NewServer(h), st: st, cookies: map[string]*auth.Principal{}, secrets: map[string]string{}}
	t.Cleanup(func() { f.srv.Close(); st.Close() })
	for _, u := range []struct {
		login string
		role  hotline.Role
	}{
		{"ana", hotline.RoleAnalyst}, {"ben", hotline.RoleAnalyst}, {"sue", hotline.RoleSupervisor},
		{"sam", hotline.RoleSupervisor}, {"aud", hotline.RoleAuditor},
	} {
		if _, err := sess.NewUser(ctx, "admin", u.login, u.login+"さん", u.role, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		tok, p, err := sess.Login(ctx, u.login, "correct horse battery", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		f.secrets[u.login], f.cookies[u.login] = tok, &p
	}
	return f
}

func (f *staffFixture) addCase(t testing.TB, id, u string, c hotline.Category, text string) string {
	t.Helper()
	canon := u
	r := hotline.ClassifiedReport{
		Report: hotline.Report{ID: id, CaseID: hotline.CaseID(canon), URL: u, CanonicalURL: canon, Text: text,
			Source: hotline.SourcePublic, ReceivedAt: time.Now().Add(-time.Hour).UTC()},
		Contact:        "reporter-" + id + "@example.org",
		Classification: hotline.Classification{Category: c, Score: 0.9, Priority: hotline.Priority(c, 0.9, false)},
		ClassifiedAt:   time.Now().UTC(),
	}
	if err := f.st.AddReport(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r.Report.CaseID
}

// as calls the API as login ("admin" for the bearer token, "" for nobody).
func (f *staffFixture) as(t testing.TB, login, method, path, body string) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch login {
	case "":
	case "admin":
		req.Header.Set("Authorization", "Bearer "+adminToken)
	default:
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: f.secrets[login]})
		req.Header.Set("X-CSRF-Token", f.cookies[login].CSRF)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

func TestCaseWorkflow(t *testing.T) {
	f := newStaffFixture(t)
	id := f.addCase(t, "r1", "https://bbs.example/t/1", hotline.SuicideInducement, "一緒に死にませんか")
	base := "/api/v1/cases/" + id
	steps := []struct {
		name, login, method, path, body string
		code                            int
		contains                        string
	}{
		{"no credentials", "", "POST", base + "/claim", "", 401, ""},
		{"auditor is read-only", "aud", "POST", base + "/claim", "", 403, "read-only"},
		{"ana claims", "ana", "POST", base + "/claim", "", 200, `"claimed_by":"ana"`},
		{"ben cannot claim ana's case", "ben", "POST", base + "/claim", "", 409, "ana"},
		{"ben cannot decide ana's case", "ben", "POST", base + "/decision", `{"category":"suicide_inducement"}`, 409, "ana"},
		{"ana renews", "ana", "POST", base + "/claim", "", 200, `"claimed_by":"ana"`},
		{"bad category", "ana", "POST", base + "/decision", `{"category":"spam"}`, 400, `"field":"category"`},
		{"bad sub-type", "ana", "POST", base + "/decision", `{"category":"suicide_inducement","subcategory":"courier"}`, 400, `"field":"subcategory"`},
		{"unknown field", "ana", "POST", base + "/decision", `{"category":"none","x":1}`, 400, `"field":"x"`},
		{"ana decides", "ana", "POST", base + "/decision", `{"category":"suicide_inducement","subcategory":"group_suicide"}`, 200, `"status":"reviewed"`},
		{"the decision released the claim", "ben", "POST", base + "/claim", "", 200, `"claimed_by":"ben"`},
		{"ben releases", "ben", "POST", base + "/release", "", 200, `"status":"reviewed"`},
		{"no request before four eyes", "ana", "POST", base + "/requests", `{"recipient_kind":"site_admin","recipient":"admin@bbs.example","method":"email"}`, 409, "四つの目"},
		{"an analyst cannot confirm", "ben", "POST", base + "/confirmation", "", 403, "supervisor"},
		{"sue confirms", "sue", "POST", base + "/confirmation", "", 200, `"confirmed_by":"sue"`},
		{"bad recipient kind", "ana", "POST", base + "/requests", `{"recipient_kind":"police","recipient":"x","method":"email"}`, 400, `"field":"recipient_kind"`},
		{"ana requests", "ana", "POST", base + "/requests", `{"recipient_kind":"site_admin","recipient":"admin@bbs.example","method":"email"}`, 200, `"status":"requested"`},
		{"the letter", "ana", "GET", base + "/letter?recipient_kind=site_admin&recipient=admin@bbs.example", "", 200, "自殺誘引等情報"},
		{"an analyst sees no contacts", "ana", "GET", base + "/contacts", "", 403, ""},
		{"a supervisor sees contacts", "sue", "GET", base + "/contacts", "", 200, "reporter-r1@example.org"},
		{"outcome", "ana", "POST", base + "/outcome", `{"result":"removed"}`, 200, `"status":"closed"`},
		{"an analyst cannot export", "ana", "GET", base + "/audit.csv", "", 403, ""},
		{"history", "aud", "GET", base + "/actions", "", 200, `"kind":"outcome"`},
	}
	for _, s := range steps {
		code, _, raw := f.as(t, s.login, s.method, s.path, s.body)
		if code != s.code || !strings.Contains(raw, s.contains) {
			t.Fatalf("%s: %s %s → %d %s; want %d containing %q", s.name, s.method, s.path, code, raw, s.code, s.contains)
		}
	}

	code, _, raw := f.as(t, "aud", "GET", base+"/audit.csv", "")
	if code != 200 {
		t.Fatalf("audit csv: %d %s", code, raw)
	}
	rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 9 || rows[0][0] != "at" {
		t.Fatalf("audit csv has %d rows: %q", len(rows), rows)
	}
	last := rows[len(rows)-1]
	if last[4] != "outcome" || last[5] != "ana" || !strings.Contains(last[8], `"status":"requested"`) || !strings.Contains(last[9], `"status":"closed"`) {
		t.Errorf("last row = %q, want the outcome with before and after", last)
	}
	// The whole log includes the export just made and the sign-ins.
	code, _, raw = f.as(t, "sue", "GET", "/api/v1/audit.csv", "")
	if code != 200 || !strings.Contains(raw, "staff") || !strings.Contains(raw, ",export,aud,") || !strings.Contains(raw, ",login,") {
		t.Errorf("whole audit log: %d\n%s", code, raw)
	}
}

func TestCSRF(t *testing.T) {
	f := newStaffFixture(t)
	id := f.addCase(t, "r1", "https://bbs.example/t/2", hotline.CriminalRecruitment, "受け子募集")
	tests := []struct {
		name   string
		csrf   string
		bearer bool
		code   int
	}{
		{"cookie without token", "", false, 403},
		{"cookie with a wrong token", "forged", false, 403},
		{"cookie with its token", f.cookies["ana"].CSRF, false, 200},
		{"bearer needs no token", "", true, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/cases/"+id+"/notes", bytes.NewReader([]byte(`{"note":"メモ"}`)))
			if tc.bearer {
				req.Header.Set("Authorization", "Bearer "+adminToken)
			} else {
				req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: f.secrets["ana"]})
			}
			if tc.csrf != "" {
				req.Header.Set("X-CSRF-Token", tc.csrf)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.code)
			}
		})
	}
}

func TestBulkAllOrNothing(t *testing.T) {
	f := newStaffFixture(t)
	a := f.addCase(t, "r1", "https://camp.example/1", hotline.CriminalRecruitment, "受け子募集 1")
	b := f.addCase(t, "r2", "https://camp.example/2", hotline.CriminalRecruitment, "受け子募集 2")
	c := f.addCase(t, "r3", "https://camp.example/3", hotline.CriminalRecruitment, "受け子募集 3")
	if code, _, raw := f.as(t, "ben", "POST", "/api/v1/cases/"+c+"/claim", ""); code != 200 {
		t.Fatal(raw)
	}
	body := func(ids ...string) string {
		j, _ := json.Marshal(map[string]any{"action": "decision", "category": "criminal_recruitment", "subcategory": "fraud_runner", "case_ids": ids})
		return string(j)
	}
	// c is claimed by ben: nothing is recorded for a or b either.
	if code, _, raw := f.as(t, "ana", "POST", "/api/v1/bulk", body(a, b, c)); code != 409 {
		t.Fatalf("bulk over a claimed case: %d %s", code, raw)
	}
	for _, id := range []string{a, b} {
		if cs, _ := f.st.Case(context.Background(), id); cs.Judgement != nil {
			t.Errorf("case %s was decided though the bulk action failed", id)
		}
	}
	if code, out, raw := f.as(t, "ana", "POST", "/api/v1/bulk", body(a, b)); code != 200 || out["recorded"] != float64(2) {
		t.Fatalf("bulk: %d %s", code, raw)
	}
	if code, _, raw := f.as(t, "ana", "POST", "/api/v1/bulk", `{"action":"delete","case_ids":["`+a+`"]}`); code != 400 || !strings.Contains(raw, `"field":"action"`) {
		t.Errorf("unknown bulk action: %d %s", code, raw)
	}
}

func TestUnauthenticatedCasesIs401(t *testing.T) {
	f := newStaffFixture(t)
	for _, p := range []string{"/api/v1/cases", "/api/v1/rechecks", "/api/v1/audit.csv", "/api/v1/users"} {
		if code, _, _ := f.as(t, "", "GET", p, ""); code != 401 {
			t.Errorf("GET %s without credentials: %d, want 401", p, code)
		}
	}
}

func TestListFilters(t *testing.T) {
	f := newStaffFixture(t)
	f.addCase(t, "r1", "https://a.example/1", hotline.CriminalRecruitment, "受け子")
	f.addCase(t, "r2", "https://b.example/2", hotline.Illegal, "薬物")
	tests := []struct {
		query string
		code  int
		total float64
		field string
	}{
		{"host=a.example", 200, 1, ""},
		{"source=public", 200, 2, ""},
		{"source=crawler", 200, 0, ""},
		{"source=fax", 400, 0, "source"},
		{"subcategory=courier", 200, 0, ""},
		{"subcategory=bogus", 400, 0, "subcategory"},
	}
	for _, tc := range tests {
		code, out, raw := f.as(t, "ana", "GET", "/api/v1/cases?"+tc.query, "")
		if code != tc.code || (code == 200 && out["total"] != tc.total) || (tc.field != "" && out["field"] != tc.field) {
			t.Errorf("?%s: %d %s", tc.query, code, raw)
		}
	}
}
