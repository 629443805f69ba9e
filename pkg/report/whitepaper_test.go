package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/report"
	"github.com/hotline-jp/hotline/pkg/report/scenario"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

// goldenDir holds the pinned outputs; UPDATE_GOLDEN=1 rewrites them.
var goldenDir = filepath.Join("..", "..", "testdata", "golden")

func mustCompute(t *testing.T, src report.Source, o report.Options) *report.Report {
	t.Helper()
	r, err := report.Compute(context.Background(), src, o)
	if err != nil {
		t.Fatalf("compute %s: %v", o.Period, err)
	}
	return r
}

func period(t *testing.T, s string) report.Period {
	t.Helper()
	var (
		p   report.Period
		err error
	)
	if len(s) == 4 {
		p, err = report.ParseYear(s)
	} else {
		p, err = report.ParseMonth(s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func opts(t *testing.T, s string) report.Options {
	return report.Options{Period: period(t, s), Grace: report.DefaultGrace}
}

func find(rows []report.Row, id string) *report.Row {
	for i := range rows {
		if rows[i].Category == id {
			return &rows[i]
		}
	}
	return nil
}

func TestWhitepaper2024Figures(t *testing.T) {
	_, mem := whitepaperMem(t)
	r := mustCompute(t, mem, opts(t, "2024"))
	if r.Period != "2024" || r.From != "2024-01-01" || r.To != "2024-12-31" || r.Cutoff != "2025-01-31" {
		t.Errorf("period %s %s..%s cutoff %s", r.Period, r.From, r.To, r.Cutoff)
	}
	if len(r.Rows) != 3 {
		t.Fatalf("want 3 top rows, got %d", len(r.Rows))
	}
	for i, want := range []struct {
		id, label          string
		requested, removed int
		rate               float64
	}{
		{"illegal", "違法情報", scenario.WP2024IllegalRequested, scenario.WP2024IllegalRemoved, 0.9108},
		{"critical_crime", "重要犯罪密接関連情報", scenario.WP2024CriticalRequested, scenario.WP2024CriticalRemoved, 0.8457},
		{"suicide_inducement", "自殺誘引等情報", scenario.WP2024SuicideRequested, scenario.WP2024SuicideRemoved, 0.7841},
	} {
		got := r.Rows[i]
		if got.Category != want.id || got.Label != want.label || got.Requested != want.requested || got.Removed != want.removed ||
			got.Rate == nil || *got.Rate != want.rate {
			t.Errorf("row %d = %s %s %d/%d rate %v, want %+v", i, got.Category, got.Label, got.Requested, got.Removed, got.Rate, want)
		}
		if got.Removed+got.NotRemoved+got.Open != got.Requested {
			t.Errorf("%s: removed %d + not removed %d + open %d != requested %d", got.Category, got.Removed, got.NotRemoved, got.Open, got.Requested)
		}
		if got.RemovedBeforeRequest == 0 {
			t.Errorf("%s: the scenario has removals before a request", got.Category)
		}
	}
	// The published figures: 2,186 / 1,991 (91.1%), 9,488 / 8,024 (84.6%), 6,359 / 4,986 (78.4%).
	for id, pct := range map[string]string{"illegal": "91.1", "critical_crime": "84.6", "suicide_inducement": "78.4"} {
		row := find(r.Rows, id)
		if got := jsonPercent(*row.Rate); got != pct {
			t.Errorf("%s rate %v = %s%%, want %s%%", id, *row.Rate, got, pct)
		}
	}
	rec := find(find(r.Rows, "critical_crime").Children, "criminal_recruitment")
	if rec == nil || rec.Label != "犯罪実行者募集情報" || rec.Requested != scenario.WP2024RecruitmentRequested || rec.Removed != scenario.WP2024RecruitmentRemoved {
		t.Fatalf("recruitment under critical_crime = %+v", rec)
	}
	if len(rec.Children) == 0 {
		t.Error("recruitment has no sub-type rows")
	}
	if find(find(r.Rows, "illegal").Children, "criminal_recruitment") != nil {
		t.Error("2024 recruitment listed under illegal")
	}
	if r.ByAutomatic == 0 {
		t.Error("the scenario has removals before a request without a judgement")
	}
}

// jsonPercent is the rate as the white paper prints it, one decimal.
func jsonPercent(rate float64) string {
	b, _ := json.Marshal(float64(int(rate*1000+0.5)) / 10)
	return string(b)
}

func TestWhitepaper2024JSONShape(t *testing.T) {
	_, mem := whitepaperMem(t)
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, mustCompute(t, mem, opts(t, "2024"))); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "top", top, "period", "from", "to", "cutoff", "rows")
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(top["rows"], &rows); err != nil {
		t.Fatal(err)
	}
	var walk func(rows []map[string]json.RawMessage)
	walk = func(rows []map[string]json.RawMessage) {
		for _, r := range rows {
			wantKeys(t, string(r["category"]), r, "category", "label", "requested", "removed", "removed_before_request",
				"not_removed", "open", "rate", "median_days_to_removal", "children")
			var kids []map[string]json.RawMessage
			if err := json.Unmarshal(r["children"], &kids); err != nil {
				t.Fatal(err)
			}
			walk(kids)
		}
	}
	walk(rows)
}

func wantKeys(t *testing.T, what string, m map[string]json.RawMessage, keys ...string) {
	t.Helper()
	if len(m) != len(keys) {
		t.Errorf("%s: %d keys, want %v", what, len(m), keys)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no key %q", what, k)
		}
	}
}

func TestWhitepaper2024Golden(t *testing.T) {
	_, mem := whitepaperMem(t)
	r := mustCompute(t, mem, opts(t, "2024"))
	for _, tc := range []struct {
		file  string
		write func(*bytes.Buffer, *report.Report) error
	}{
		{"report-2024.txt", func(b *bytes.Buffer, r *report.Report) error { return report.WriteTable(b, r) }},
		{"report-2024.csv", func(b *bytes.Buffer, r *report.Report) error { return report.WriteCSV(b, r) }},
		{"report-2024.json", func(b *bytes.Buffer, r *report.Report) error { return report.WriteJSON(b, r) }},
		{"report-2024-providers.json", func(b *bytes.Buffer, r *report.Report) error { return report.WriteScorecardJSON(b, r) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (UPDATE_GOLDEN=1 to accept):\n--- got ---\n%s", name, firstLines(got, 40))
	}
}

func firstLines(b []byte, n int) []byte {
	lines := bytes.SplitAfterN(b, []byte("\n"), n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return bytes.Join(lines, nil)
}

func TestRecruitmentUnderIllegalFrom2025March(t *testing.T) {
	_, mem := whitepaperMem(t)
	// A month after the switch: recruitment only under illegal.
	apr := mustCompute(t, mem, opts(t, "2025-04"))
	if rec := find(find(apr.Rows, "illegal").Children, "criminal_recruitment"); rec == nil || rec.Requested == 0 {
		t.Fatalf("2025-04: recruitment not under illegal: %+v", find(apr.Rows, "illegal"))
	}
	if rec := find(find(apr.Rows, "critical_crime").Children, "criminal_recruitment"); rec != nil {
		t.Errorf("2025-04: recruitment under critical_crime: %+v", rec)
	}
	// The year: January and February under critical_crime, from March under illegal.
	y := mustCompute(t, mem, opts(t, "2025"))
	ill := find(find(y.Rows, "illegal").Children, "criminal_recruitment")
	crit := find(find(y.Rows, "critical_crime").Children, "criminal_recruitment")
	if ill == nil || crit == nil || ill.Requested != 901 || crit.Requested != 301 {
		t.Errorf("2025 recruitment: under illegal %+v, under critical_crime %+v; want 901 and 301", ill, crit)
	}
	// Gambling appears under illegal (it is only requested from 2025-09-25).
	if g := find(find(y.Rows, "illegal").Children, "gambling"); g == nil || g.Requested != 40 {
		t.Errorf("2025 gambling under illegal = %+v", g)
	}
	// February: the last day before the switch.
	feb := mustCompute(t, mem, opts(t, "2025-02"))
	if find(find(feb.Rows, "illegal").Children, "criminal_recruitment") != nil {
		t.Error("2025-02: recruitment under illegal")
	}
}

func TestCutoffChangesOnlyRemovals(t *testing.T) {
	_, mem := whitepaperMem(t)
	def := mustCompute(t, mem, opts(t, "2024"))
	zero := opts(t, "2024")
	zero.Grace = 0
	late := opts(t, "2024")
	late.Cutoff = time.Date(2025, 12, 31, 0, 0, 0, 0, report.Japan())
	noGrace, lateCut := mustCompute(t, mem, zero), mustCompute(t, mem, late)
	if noGrace.Cutoff != "2024-12-31" || lateCut.Cutoff != "2025-12-31" {
		t.Errorf("cutoffs %s %s", noGrace.Cutoff, lateCut.Cutoff)
	}
	// The cutoff decides which removals count and which judgement is in
	// force (a few judgements are corrected in January 2025 and in June
	// 2025), never which items were requested.
	if def.Total.Requested != noGrace.Total.Requested || def.Total.Requested != lateCut.Total.Requested ||
		def.Total.RemovedBeforeRequest != lateCut.Total.RemovedBeforeRequest {
		t.Errorf("the cutoff changed what was requested: %d, %d, %d", noGrace.Total.Requested, def.Total.Requested, lateCut.Total.Requested)
	}
	for i := range def.Rows {
		d, n, l := def.Rows[i], noGrace.Rows[i], lateCut.Rows[i]
		// December requests removed in January count only with a grace;
		// removals after 2025-01-31 only with the later cutoff.
		if !(n.Removed < d.Removed && d.Removed < l.Removed) {
			t.Errorf("%s removed: no grace %d, default %d, 2025-12-31 %d: want increasing", d.Category, n.Removed, d.Removed, l.Removed)
		}
	}
}

func TestOtherYearsStayInTheirYear(t *testing.T) {
	_, mem := whitepaperMem(t)
	r := mustCompute(t, mem, opts(t, "2023"))
	// 2023's Q4 cohorts: recruitment 260 + 40 items continuing into 2024.
	rec := find(find(r.Rows, "critical_crime").Children, "criminal_recruitment")
	if rec == nil || rec.Requested != 300 {
		t.Errorf("2023 recruitment = %+v, want 300 requested", rec)
	}
	if find(r.Rows, "illegal").Requested != 90 || find(r.Rows, "suicide_inducement").Requested != 80 {
		t.Errorf("2023 rows %+v", r.Rows)
	}
}

// TestWhitepaperSQLite writes the whole scenario through the SQLite store
// and checks that its reports are those computed in memory.
func TestWhitepaperSQLite(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("the 21,000-case SQLite build is too slow under -race or -short; TestSQLiteMatchesMemory covers a subset")
	}
	_, mem := whitepaperMem(t)
	st := whitepaperSQLite(t)
	for _, p := range []string{"2024", "2025", "2025-04", "2023"} {
		sameReports(t, p, st, mem)
	}
}

// TestSQLiteMatchesMemory writes a subset of the scenario (every 20th case)
// through the SQLite store and checks its reports are those computed from
// the same cases in memory.
func TestSQLiteMatchesMemory(t *testing.T) {
	cases, _ := whitepaperMem(t)
	var sub []scenario.Case
	for i := 0; i < len(cases); i += 20 {
		sub = append(sub, cases[i])
	}
	mem, err := buildMem(sub)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	if err := scenario.Write(ctx, st, sub, scenario.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases written to SQLite in %v", len(sub), time.Since(start).Round(time.Millisecond))
	// Written twice: idempotent.
	if err := scenario.Write(ctx, st, sub[:50], scenario.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"2024", "2025", "2024-12"} {
		sameReports(t, p, st, mem)
	}
}

func sameReports(t *testing.T, p string, a, b report.Source) {
	t.Helper()
	ra, rb := mustCompute(t, a, opts(t, p)), mustCompute(t, b, opts(t, p))
	var ba, bb bytes.Buffer
	for _, w := range []func(*bytes.Buffer, *report.Report) error{
		func(x *bytes.Buffer, r *report.Report) error { return report.WriteTable(x, r) },
		func(x *bytes.Buffer, r *report.Report) error { return report.WriteJSON(x, r) },
	} {
		if err := w(&ba, ra); err != nil {
			t.Fatal(err)
		}
		if err := w(&bb, rb); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ba.Bytes(), bb.Bytes()) {
		t.Errorf("%s: SQLite and in-memory reports differ:\n%s\n---\n%s", p, firstLines(ba.Bytes(), 30), firstLines(bb.Bytes(), 30))
	}
}
