package report_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/report"
)

func get(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerJSON(t *testing.T) {
	_, mem := whitepaperMem(t)
	h := report.NewHandler(mem, zaptest.NewLogger(t))
	res := get(t, h, "/api/v1/stats?year=2024")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, type %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var r report.Report
	if err := json.Unmarshal([]byte(body(t, res)), &r); err != nil {
		t.Fatal(err)
	}
	if r.Cutoff != "2025-01-31" || len(r.Rows) != 3 || r.Rows[1].Requested != 9488 || r.Rows[1].Removed != 8024 {
		t.Errorf("report = %+v", r)
	}
	// The same figures as the command's JSON.
	if got := body(t, get(t, h, "/api/v1/stats?year=2024&format=json")); got != readGolden(t, "report-2024.json") {
		t.Error("the API's JSON differs from the golden report-2024.json")
	}
	res = get(t, h, "/api/v1/stats?year=2024&view=providers")
	var sc report.Scorecard
	if err := json.Unmarshal([]byte(body(t, res)), &sc); err != nil || len(sc.Recipients) == 0 || len(sc.Hosts) == 0 {
		t.Errorf("scorecard: %v %+v", err, sc)
	}
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerCSV(t *testing.T) {
	_, mem := whitepaperMem(t)
	h := report.NewHandler(mem, zaptest.NewLogger(t))
	res := get(t, h, "/api/v1/stats?year=2024&format=csv")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="hotline-stats-2024.csv"` {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	b := body(t, res)
	if !strings.HasPrefix(b, "\ufeff") {
		t.Error("the download has no byte order mark")
	}
	if strings.TrimPrefix(b, "\ufeff") != readGolden(t, "report-2024.csv") {
		t.Error("the API's CSV differs from the golden report-2024.csv")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r[6] == "criminal_recruitment" && r[5] == "critical_crime" && r[7] == "犯罪実行者募集情報" && r[8] == "9234" && r[9] == "7860" {
			found = true
		}
	}
	if !found {
		t.Error("no recruitment line under critical_crime with 9234 / 7860")
	}
}

func TestHandlerPage(t *testing.T) {
	_, mem := whitepaperMem(t)
	h := report.NewHandler(mem, zaptest.NewLogger(t))
	res := get(t, h, "/stats?year=2024")
	page := body(t, res)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d: %s", res.StatusCode, page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != "default-src 'self'" {
		t.Errorf("CSP = %q", csp)
	}
	for _, want := range []string{"<svg", "</svg>", "<polyline", "違法情報", "重要犯罪密接関連情報", "自殺誘引等情報", "犯罪実行者募集情報",
		"2025-01-31", "9,488", "8,024", "84.6%", `href="/api/v1/stats?format=csv&amp;year=2024"`, `href="/stats/stats.css"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Nothing a Content-Security-Policy of default-src 'self' would block.
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`(?i)<script`), regexp.MustCompile(`(?i)<style`), regexp.MustCompile(`(?i)\sstyle=`),
		regexp.MustCompile(`(?i)\son[a-z]+=`), regexp.MustCompile(`(?i)javascript:`), regexp.MustCompile(`(?i)(src|href)="https?:`)} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("page has %q", page[loc[0]:min(loc[1]+40, len(page))])
		}
	}
	// Each chart is well-formed XML.
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 2 {
		t.Fatalf("%d charts, want 2", len(svgs))
	}
	for _, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("chart is not well-formed: %v", err)
			}
		}
	}
	// A month, also as the form sends it, and the style sheet.
	for _, target := range []string{"/stats?month=2025-04", "/stats?period=2025-04&cutoff="} {
		if res := get(t, h, target); res.StatusCode != 200 || !strings.Contains(body(t, res), "2025年4月") {
			t.Errorf("%s: %d", target, res.StatusCode)
		}
	}
	if res := get(t, h, "/stats/stats.css"); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style sheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestHandlerBadParameters(t *testing.T) {
	h := report.NewHandler(memOf(t), zaptest.NewLogger(t))
	for _, c := range []struct{ target, field string }{
		{"/api/v1/stats", "month"},
		{"/api/v1/stats?month=2024-13", "month"},
		{"/api/v1/stats?month=2024-01&year=2024", "month"},
		{"/api/v1/stats?year=20x4", "year"},
		{"/api/v1/stats?year=2024&cutoff=2024-06-01", "cutoff"},
		{"/api/v1/stats?year=2024&cutoff=tomorrow", "cutoff"},
		{"/api/v1/stats?year=2024&grace=-3", "grace"},
		{"/api/v1/stats?year=2024&format=xml", "format"},
		{"/api/v1/stats?year=2024&view=everything", "view"},
		{"/stats?month=24-01", "month"},
		{"/stats?year=2024&cutoff=2023-01-01", "cutoff"},
		{"/stats?period=2024-1", "period"},
		{"/stats?period=24", "period"},
	} {
		res := get(t, h, c.target)
		var e struct{ Error, Field string }
		if err := json.Unmarshal([]byte(body(t, res)), &e); err != nil || res.StatusCode != 400 || e.Field != c.field || e.Error == "" {
			t.Errorf("%s: %d %+v (%v), want 400 naming %s", c.target, res.StatusCode, e, err, c.field)
		}
	}
	// The page defaults to the current year; the API does not.
	if res := get(t, h, "/stats"); res.StatusCode != 200 || !strings.Contains(body(t, res), time.Now().In(report.Japan()).Format("2006")+"年") {
		t.Errorf("/stats without a period: %d", res.StatusCode)
	}
}

type failing struct{}

func (failing) Histories(context.Context, time.Time, time.Time, func(hotline.Case, []hotline.Action) error) error {
	return errors.New("disk on fire")
}

func TestHandlerStoreError(t *testing.T) {
	h := report.NewHandler(failing{}, zaptest.NewLogger(t))
	for _, target := range []string{"/api/v1/stats?year=2024", "/stats?year=2024"} {
		res := get(t, h, target)
		if b := body(t, res); res.StatusCode != 503 || strings.Contains(b, "disk on fire") {
			t.Errorf("%s: %d %s", target, res.StatusCode, b)
		}
	}
}
