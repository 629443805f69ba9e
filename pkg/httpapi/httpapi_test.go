package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/httpapi"
	"github.com/hotline-jp/hotline/pkg/pipeline"
	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/diskqueue"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

const adminToken = "hla_test-token-0123456789abcdefghijklmnopqrstuvwxyz"

type fixture struct {
	srv *httptest.Server
	q   *diskqueue.Queue
	st  *sqlitestore.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	q, err := diskqueue.Open(ctx, filepath.Join(dir, "queue.db"), diskqueue.Options{Policy: queue.Policy{DeadLetterTopic: pipeline.TopicDead}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t)
	h := httpapi.New(httpapi.Config{
		Intake: pipeline.NewIntake(q, log), Cases: st, Keys: st, Staff: auth.NewStaff(adminToken), Logger: log,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); q.Close(); st.Close() })
	return &fixture{srv: srv, q: q, st: st}
}

func (f *fixture) do(t *testing.T, method, path, token string, body []byte, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: response is not JSON: %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func (f *fixture) queued(t *testing.T) int64 {
	t.Helper()
	n, err := f.q.Lag(context.Background(), pipeline.TopicReports, "inspect")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostReportAccepted(t *testing.T) {
	f := newFixture(t)
	body := `{"url":"https://Example.com:443/board/thread/123/?utm_source=x#res5","description":"受け子募集","contact":"me@example.org"}`
	code, out := f.do(t, "POST", "/api/v1/reports", "", []byte(body))
	if code != http.StatusAccepted {
		t.Fatalf("status %d, body %v", code, out)
	}
	if out["id"] == "" || !strings.HasPrefix(out["case_id"].(string), "c") {
		t.Errorf("answer %v", out)
	}
	code, out2 := f.do(t, "POST", "/api/v1/reports", "", []byte(`{"url":"https://example.com/board/thread/123","description":"2"}`))
	if code != http.StatusAccepted || out2["case_id"] != out["case_id"] {
		t.Errorf("second report: %d %v, want the same case_id %v", code, out2, out["case_id"])
	}
	if n := f.queued(t); n != 2 {
		t.Errorf("queued %d reports, want 2", n)
	}
}

func TestPostReportRejected(t *testing.T) {
	f := newFixture(t)
	big := `{"url":"https://example.com/x","description":"` + strings.Repeat("あ", 400_000) + `"}`
	for _, tc := range []struct {
		name, body string
		header     []string
		code       int
		field      string
	}{
		{"malformed JSON", `{"url":`, nil, 400, "body"},
		{"not an object", `["https://example.com/"]`, nil, 400, "body"},
		{"trailing data", `{"url":"https://example.com/"} {}`, nil, 400, "body"},
		{"missing url", `{"description":"x"}`, nil, 400, "url"},
		{"empty url", `{"url":"","description":"x"}`, nil, 400, "url"},
		{"url not a string", `{"url":5}`, nil, 400, "url"},
		{"javascript url", `{"url":"javascript:alert(1)"}`, nil, 400, "url"},
		{"ftp url", `{"url":"ftp://example.com/a"}`, nil, 400, "url"},
		{"relative url", `{"url":"/board/1"}`, nil, 400, "url"},
		{"invalid UTF-8 description", "{\"url\":\"https://example.com/\",\"description\":\"\xff\xfe\"}", nil, 400, "description"},
		{"invalid UTF-8 url", "{\"url\":\"https://example.com/\xff\"}", nil, 400, "url"},
		{"unknown field", `{"url":"https://example.com/","reporter":"x"}`, nil, 400, "reporter"},
		{"oversized body", big, nil, 413, "body"},
		{"wrong content type", `{"url":"https://example.com/"}`, []string{"Content-Type", "text/plain"}, 415, "Content-Type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := f.do(t, "POST", "/api/v1/reports", "", []byte(tc.body), tc.header...)
			if code != tc.code {
				t.Fatalf("status %d (%v), want %d", code, out, tc.code)
			}
			if out["field"] != tc.field || out["error"] == "" {
				t.Errorf("error body %v, want field %q", out, tc.field)
			}
		})
	}
	if n := f.queued(t); n != 0 {
		t.Errorf("%d rejected reports were queued", n)
	}
}

func TestStaffAuth(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "wrong-token"} {
		code, out := f.do(t, "GET", "/api/v1/cases", tok, nil)
		if code != http.StatusUnauthorized {
			t.Errorf("token %q: status %d %v, want 401", tok, code, out)
		}
	}
	code, out := f.do(t, "GET", "/api/v1/cases?limit=1", adminToken, nil)
	if code != 200 || out["total"] != float64(0) {
		t.Errorf("with the admin token: %d %v", code, out)
	}
	code, out = f.do(t, "GET", "/api/v1/cases?category=nope", adminToken, nil)
	if code != 400 || out["field"] != "category" {
		t.Errorf("bad category: %d %v", code, out)
	}
	code, out = f.do(t, "GET", "/api/v1/cases?limit=-1", adminToken, nil)
	if code != 400 || out["field"] != "limit" {
		t.Errorf("bad limit: %d %v", code, out)
	}
	code, _ = f.do(t, "GET", "/api/v1/cases/c00000000000000000000000000000000", adminToken, nil)
	if code != 404 {
		t.Errorf("unknown case: %d", code)
	}
	code, _ = f.do(t, "GET", "/api/v1/cases/../../etc", adminToken, nil)
	if code != 404 {
		t.Errorf("bad case id: %d", code)
	}
}

func TestCrawlerHits(t *testing.T) {
	f := newFixture(t)
	hits := []byte(`{"hits":[{"url":"https://example.com/a","text":"受け子","hit_id":"1"},{"url":"mailto:x@example.com","text":"y"},{"url":"https://example.com/b","text":"z","hit_id":"2"}]}`)
	if code, _ := f.do(t, "POST", "/api/v1/crawler/hits", "", hits); code != 401 {
		t.Errorf("without a key: %d, want 401", code)
	}
	if code, _ := f.do(t, "POST", "/api/v1/crawler/hits", "hlk_wrong", hits); code != 401 {
		t.Errorf("with a wrong key: %d, want 401", code)
	}
	code, key := f.do(t, "POST", "/api/v1/crawler-keys", adminToken, []byte(`{"name":"patrol"}`))
	if code != 201 || !strings.HasPrefix(key["key"].(string), "hlk_") {
		t.Fatalf("create key: %d %v", code, key)
	}
	code, out := f.do(t, "POST", "/api/v1/crawler/hits", key["key"].(string), hits)
	if code != 200 || out["accepted"] != float64(2) || out["rejected"] != float64(1) {
		t.Fatalf("hits: %d %v", code, out)
	}
	res := out["results"].([]any)
	if r := res[1].(map[string]any); r["status"] != "rejected" || r["field"] != "hits[1].url" {
		t.Errorf("bad hit result %v", r)
	}
	first := res[0].(map[string]any)
	// Resending the batch (X-API-Key this time) gives the same report ids.
	code, again := f.do(t, "POST", "/api/v1/crawler/hits", "", hits, "X-API-Key", key["key"].(string))
	if code != 200 || again["results"].([]any)[0].(map[string]any)["id"] != first["id"] {
		t.Errorf("resent batch: %d %v", code, again)
	}
	code, list := f.do(t, "GET", "/api/v1/crawler-keys", adminToken, nil)
	if code != 200 || len(list["keys"].([]any)) != 1 || strings.Contains(mustJSON(list), key["key"].(string)) {
		t.Errorf("key list: %d %v", code, list)
	}
	if code, _ := f.do(t, "DELETE", "/api/v1/crawler-keys/"+key["id"].(string), adminToken, nil); code != 204 {
		t.Errorf("revoke: %d", code)
	}
	if code, _ := f.do(t, "POST", "/api/v1/crawler/hits", key["key"].(string), hits); code != 401 {
		t.Errorf("with a revoked key: %d, want 401", code)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOperationalEndpoints(t *testing.T) {
	f := newFixture(t)
	if code, out := f.do(t, "GET", "/healthz", "", nil); code != 200 || out["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, out)
	}
	if code, _ := f.do(t, "GET", "/readyz", "", nil); code != 200 {
		t.Errorf("readyz: %d", code)
	}
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "hotline_http_requests_total") {
		t.Errorf("metrics: %d %.200s", resp.StatusCode, b)
	}
}
