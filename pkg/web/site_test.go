package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/httpapi"
	"github.com/hotline-jp/hotline/pkg/pipeline"
	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/diskqueue"
	"github.com/hotline-jp/hotline/pkg/report"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
	"github.com/hotline-jp/hotline/pkg/web"
)

const (
	adminToken = "hla_test-token-0123456789abcdefghijklmnopqrstuvwxyz"
	password   = "correct horse battery"
	hostile    = `<script>alert(1)</script><img src=x onerror=alert(2)> 一緒に死にませんか`
)

// keywords is a tiny deterministic classifier for the tests: the
// classifier is not their subject, the pages are.
type keywords struct{}

func (keywords) Classify(text string) hotline.Classification {
	rules := []struct {
		term string
		cat  hotline.Category
		sub  string
	}{
		{"死にませんか", hotline.SuicideInducement, "group_suicide"},
		{"受け子", hotline.CriminalRecruitment, "fraud_runner"},
		{"拳銃", hotline.CriticalCrime, "firearm_transfer"},
	}
	for _, r := range rules {
		if i := strings.Index(text, r.term); i >= 0 {
			return hotline.Classification{
				Category: r.cat, Subcategory: r.sub, Score: 0.9,
				Scores:   map[hotline.Category]float64{r.cat: 0.9, hotline.None: 0.1},
				Evidence: []hotline.Evidence{{Term: r.term, Category: r.cat, Subcategory: r.sub, Kind: "lexicon", Weight: 2, Start: i, End: i + len(r.term)}},
				Priority: hotline.Priority(r.cat, 0.9, false), Model: "keywords-test",
			}
		}
	}
	return hotline.Classification{Category: hotline.None, Score: 0.8, Scores: map[hotline.Category]float64{hotline.None: 0.8}, Model: "keywords-test"}
}

// site is the whole staff side over the real pipeline: public reports go
// through the intake, the disk queue, the classifier stage and the tracker
// into the store, as in embedded mode.
type site struct {
	srv *httptest.Server
	st  *sqlitestore.Store
}

func newSite(t *testing.T) *site {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	log := zaptest.NewLogger(t)
	q, err := diskqueue.Open(ctx, filepath.Join(dir, "queue.db"), diskqueue.Options{Policy: queue.Policy{DeadLetterTopic: pipeline.TopicDead}, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := pipeline.NewMetrics(reg)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{
		pipeline.NewTriage(q, keywords{}, m, log).Run,
		pipeline.NewTracker(q, st, m, log).Run,
	} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	staff := auth.NewStaff(adminToken)
	sess := auth.NewSessions(st, auth.SessionOptions{BcryptCost: bcrypt.MinCost})
	rev := review.New(st, review.Policy{}, nil)
	stats := report.NewHandler(st, log)
	ui, err := web.New(web.Config{Store: st, Review: rev, Sessions: sess, Staff: staff, InsecureCookies: true, Stats: stats, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{
		Intake: pipeline.NewIntake(q, log), Cases: st, Keys: st, Staff: staff,
		Sessions: sess, Users: st, Trail: st, Review: rev, UI: ui, Stats: stats, Registry: reg, Logger: log,
	})
	s := &site{srv: httptest.NewServer(h), st: st}
	t.Cleanup(func() {
		s.srv.Close()
		cancel()
		wg.Wait()
		q.Close()
		st.Close()
	})
	for _, u := range []struct {
		login, name string
		role        hotline.Role
	}{
		{"tanaka", "田中 花子", hotline.RoleAnalyst}, {"suzuki", "鈴木 一郎", hotline.RoleSupervisor}, {"kansa", "監査 太郎", hotline.RoleAuditor},
	} {
		if _, err := sess.NewUser(ctx, "admin", u.login, u.name, u.role, password); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// report posts a public report and waits until its case is in the store.
func (s *site) report(t *testing.T, u, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"url": u, "description": text, "contact": "tsuho@example.org"})
	resp, err := http.Post(s.srv.URL+"/api/v1/reports", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CaseID string `json:"case_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("report: %d %v", resp.StatusCode, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := s.st.Case(context.Background(), out.CaseID); err == nil {
			return out.CaseID
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("case %s never reached the store", out.CaseID)
	return ""
}

func (s *site) get(t *testing.T, c *http.Client, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestDoneWhen checks the conditions without a browser.
func TestDoneWhen(t *testing.T) {
	s := newSite(t)
	id := s.report(t, "https://bbs.example.jp/thread/42", hostile)
	c := noRedirect()

	resp, _ := s.get(t, c, "/")
	if csp := resp.Header.Get("Content-Security-Policy"); csp != web.CSP || !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("/ sends CSP %q", csp)
	}
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("/ signed out: %d to %q, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, h := range [][2]string{{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}, {"X-Frame-Options", "DENY"}} {
		if got := resp.Header.Get(h[0]); got != h[1] {
			t.Errorf("%s = %q, want %q", h[0], got, h[1])
		}
	}
	if resp, _ := s.get(t, c, "/api/v1/cases"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/cases without credentials: %d", resp.StatusCode)
	}
	resp, body := s.get(t, c, "/cases/"+id, "Authorization", "Bearer "+adminToken)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != web.CSP {
		t.Fatalf("case page with the admin token: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; 一緒に<mark") {
		t.Errorf("the hostile text is not shown escaped (with its evidence marked):\n%s", excerpt(body, "alert(1)"))
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Error("the hostile markup reached the page unescaped")
	}
	// No inline script or style anywhere: every script is the static file.
	if m := regexp.MustCompile(`<script(?:[^>]*)>`).FindAllString(body, -1); len(m) != 1 || !strings.Contains(m[0], `src="/static/app.js"`) {
		t.Errorf("scripts on the page: %q", m)
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<style") || regexp.MustCompile(`<[a-zA-Z][^>]*\son[a-z]+=`).MatchString(body) {
		t.Error("inline style or event handler on the page")
	}
	if resp, _ := s.get(t, c, "/static/app.css"); resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("static file: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}

func excerpt(s, near string) string {
	i := strings.Index(s, near)
	if i < 0 {
		return s
	}
	return s[max(0, i-200):min(len(s), i+300)]
}

// login signs in with a cookie jar, returning the client and the page's
// CSRF token.
func (s *site) login(t *testing.T, login string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body := s.get(t, c, "/login")
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if tok == nil {
		t.Fatal("no csrf token on the login page")
	}
	resp, err := c.PostForm(s.srv.URL+"/login", url.Values{"csrf_token": {tok[1]}, "login": {login}, "password": {password}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(b))
	if resp.StatusCode != 200 || page == nil || !strings.Contains(string(b), "審査キュー") {
		t.Fatalf("login as %s: %d", login, resp.StatusCode)
	}
	return c, page[1]
}

func TestFormsNeedCSRF(t *testing.T) {
	s := newSite(t)
	id := s.report(t, "https://bbs.example.jp/t/1", "受け子 募集 高額")
	c, tok := s.login(t, "tanaka")
	for _, tc := range []struct {
		name  string
		token string
		code  int
	}{
		{"no token", "", http.StatusForbidden},
		{"wrong token", "x" + tok, http.StatusForbidden},
		{"right token", tok, http.StatusOK},
	} {
		form := url.Values{"note": {"確認中"}}
		if tc.token != "" {
			form.Set("csrf_token", tc.token)
		}
		resp, err := c.PostForm(s.srv.URL+"/cases/"+id+"/note", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.code)
		}
	}
	// The auditor reads but cannot act, and the form says why.
	a, atok := s.login(t, "kansa")
	resp, err := a.PostForm(s.srv.URL+"/cases/"+id+"/claim", url.Values{"csrf_token": {atok}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor claim: %d, want 403", resp.StatusCode)
	}
	// Only admins reach the admin pages.
	if resp, _ := s.get(t, c, "/admin/users"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst on /admin/users: %d", resp.StatusCode)
	}
	if resp, body := s.get(t, noRedirect(), "/admin/users", "Authorization", "Bearer "+adminToken); resp.StatusCode != 200 || !strings.Contains(body, "tanaka") {
		t.Errorf("admin token on /admin/users: %d", resp.StatusCode)
	}
}

func TestLoginPage(t *testing.T) {
	s := newSite(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body := s.get(t, c, "/login")
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)[1]
	tests := []struct {
		name, csrf, login, pw, next string
		code                        int
		want                        string
	}{
		{"wrong password", tok, "tanaka", "wrong password!", "/", 401, "ログイン名またはパスワードが違います"},
		{"missing csrf", "", "tanaka", password, "/", 403, "有効期限"},
		{"open redirect refused", tok, "tanaka", password, "//evil.example/", 200, "審査キュー"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Each render of the login page sets a new token cookie: fetch it again.
			_, body := s.get(t, c, "/login")
			fresh := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)[1]
			csrf := tc.csrf
			if csrf != "" {
				csrf = fresh
			}
			resp, err := c.PostForm(s.srv.URL+"/login", url.Values{"csrf_token": {csrf}, "login": {tc.login}, "password": {tc.pw}, "next": {tc.next}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.want) {
				t.Errorf("%d, want %d with %q", resp.StatusCode, tc.code, tc.want)
			}
			if resp.Request.URL.Host != strings.TrimPrefix(s.srv.URL, "http://") {
				t.Errorf("redirected off site to %s", resp.Request.URL)
			}
		})
	}
}
