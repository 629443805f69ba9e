package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/node"
)

// oneWord is a one-rule test classifier: the pages, not the classifier,
// are under test here.
type oneWord struct{}

func (oneWord) Classify(text string) hotline.Classification {
	if i := strings.Index(text, "死にませんか"); i >= 0 {
		return hotline.Classification{Category: hotline.SuicideInducement, Score: 0.9,
			Evidence: []hotline.Evidence{{Term: "死にませんか", Kind: "lexicon", Start: i, End: i + len("死にませんか")}},
			Priority: hotline.Priority(hotline.SuicideInducement, 0.9, false)}
	}
	return hotline.Classification{Category: hotline.None}
}

// TestStaffPagesDoneWhen is issue 5's check on the embedded node: / sends
// the CSP, the case list needs credentials, and a hostile report shows on
// its case page (with the admin token) as visible, escaped text.
func TestStaffPagesDoneWhen(t *testing.T) {
	base, token, get := startStaffNode(t)

	resp, _ := get("/", "")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("/ sends CSP %q", csp)
	}
	if resp, _ := get("/api/v1/cases", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/cases without credentials: %d, want 401", resp.StatusCode)
	}
	if resp, body := get("/", token); resp.StatusCode != 200 || !strings.Contains(body, "審査キュー") {
		t.Errorf("/ with the admin token: %d", resp.StatusCode)
	}

	const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)> 一緒に死にませんか`
	body, _ := json.Marshal(map[string]string{"url": "https://bbs.example.jp/t/1", "description": hostile})
	r, err := http.Post(base+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		CaseID string `json:"case_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&out)
	r.Body.Close()
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("report: %d", r.StatusCode)
	}
	var page string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, b := get("/cases/"+out.CaseID, token)
		if resp.StatusCode == http.StatusOK {
			page = b
			break
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; 一緒に") {
		t.Fatalf("the hostile report is not on its case page as escaped text:\n%s", page)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Error("hostile markup reached the page unescaped")
	}
}

// TestStatsMounted checks the statistics are served to staff only: the
// JSON API with a token, the page behind sign-in with the pages' CSP.
func TestStatsMounted(t *testing.T) {
	_, token, get := startStaffNode(t)
	if resp, _ := get("/api/v1/stats?year=2024", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("stats without credentials: %d, want 401", resp.StatusCode)
	}
	resp, body := get("/api/v1/stats?year=2024", token)
	var rep struct {
		Period string `json:"period"`
		Cutoff string `json:"cutoff"`
		Rows   []any  `json:"rows"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Period != "2024" || rep.Cutoff == "" {
		t.Errorf("stats JSON: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("/api/v1/stats?year=20x4", token); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad year: %d, want 400", resp.StatusCode)
	}
	if resp, _ := get("/stats?year=2024", ""); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("stats page without sign-in: %d %s, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get("/stats?year=2024", token)
	if resp.StatusCode != 200 || !strings.Contains(body, "<svg") || !strings.Contains(body, "重要犯罪密接関連情報") {
		t.Errorf("stats page: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("stats page CSP %q", csp)
	}
}

// startStaffNode starts an embedded node with the one-rule classifier and
// returns its base URL, the admin token and a GET that does not follow
// redirects.
func startStaffNode(t *testing.T) (base, token string, get func(path, token string) (*http.Response, string)) {
	t.Helper()
	dir := t.TempDir()
	n, err := node.StartEmbedded(context.Background(), node.Config{Addr: "127.0.0.1:0", DataDir: dir, Classifier: oneWord{}, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	base = "http://" + n.Addr()
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	token = strings.TrimSpace(string(tok))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get = func(path, token string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	return base, token, get
}
