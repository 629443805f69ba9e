package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// postAdmin posts a form with the admin bearer token (which needs no CSRF
// token), without following redirects.
func (s *site) postAdmin(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAdminPages(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name, path string
		form       url.Values
		code       int
		want       string
	}{
		{"create a user", "/admin/users", url.Values{"login": {"yamada"}, "display_name": {"山田"}, "role": {"analyst"}, "password": {"long enough pw"}}, 303, ""},
		{"the same login again", "/admin/users", url.Values{"login": {"yamada"}, "display_name": {"山田"}, "role": {"analyst"}, "password": {"long enough pw"}}, 409, "既に使われています"},
		{"a bad role", "/admin/users", url.Values{"login": {"sato"}, "display_name": {"佐藤"}, "role": {"root"}, "password": {"long enough pw"}}, 400, "入力内容が不正です"},
		{"a short password", "/admin/users", url.Values{"login": {"sato"}, "display_name": {"佐藤"}, "role": {"analyst"}, "password": {"short"}}, 400, "password"},
		{"a key without a name", "/admin/keys", url.Values{"name": {""}}, 400, "名前"},
	}
	for _, tc := range tests {
		resp, body := s.postAdmin(t, tc.path, tc.form)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q", tc.name, resp.StatusCode, tc.code, tc.want)
		}
	}
	// A key is shown once, when it is made, and listed by prefix only.
	resp, body := s.postAdmin(t, "/admin/keys", url.Values{"name": {"patrol"}})
	key := regexp.MustCompile(`hlk_[A-Za-z0-9_-]{20,}`).FindString(body)
	if resp.StatusCode != http.StatusCreated || key == "" {
		t.Fatalf("create key: %d, key %q", resp.StatusCode, key)
	}
	_, list := s.get(t, noRedirect(), "/admin/keys", "Authorization", "Bearer "+adminToken)
	if strings.Contains(list, key) || !strings.Contains(list, key[:12]) {
		t.Error("the key list shows the whole key, or not its prefix")
	}
	keys, _ := s.st.APIKeys(context.Background())
	if resp, _ := s.postAdmin(t, "/admin/keys/"+keys[0].ID+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	// Disable a user: their sessions end.
	c, _ := s.login(t, "tanaka")
	u, _ := s.st.UserByLogin(context.Background(), "tanaka")
	if resp, _ := s.postAdmin(t, "/admin/users/"+u.ID, url.Values{"role": {"analyst"}, "disabled": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := s.get(t, c, "/"); resp.Request.URL.Path != "/login" {
		t.Errorf("a disabled user still reaches %s", resp.Request.URL.Path)
	}
	// Everything above is in the audit log.
	kinds := map[string]int{}
	_ = s.st.Audit(context.Background(), time.Time{}, time.Now().Add(time.Minute), func(e hotline.AuditEntry) error {
		kinds[e.Kind]++
		return nil
	})
	for _, k := range []string{hotline.AuditUserCreated, hotline.AuditUserUpdated, hotline.AuditKeyCreated, hotline.AuditKeyRevoked, hotline.AuditLogin} {
		if kinds[k] == 0 {
			t.Errorf("no %s entry in the audit log: %v", k, kinds)
		}
	}
}

func TestBulkForm(t *testing.T) {
	s := newSite(t)
	a := s.report(t, "https://camp.example/1", "受け子 募集 1")
	b := s.report(t, "https://camp.example/2", "受け子 募集 2")
	c, tok := s.login(t, "tanaka")
	resp, err := c.PostForm(s.srv.URL+"/bulk", url.Values{"csrf_token": {tok}, "action": {"decide"},
		"judgement": {"criminal_recruitment/fraud_runner"}, "case_id": {a, b}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.RawQuery != "done=bulk" {
		t.Fatalf("bulk decision: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	for _, id := range []string{a, b} {
		cs, _ := s.st.Case(context.Background(), id)
		if cs.Judgement == nil || cs.Judgement.Subcategory != "fraud_runner" || cs.Judgement.By != "tanaka" {
			t.Errorf("case %s after the bulk decision: %+v", id, cs.Judgement)
		}
	}
}
