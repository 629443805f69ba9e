package scenario_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/report/scenario"
	"github.com/hotline-jp/hotline/pkg/store"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

func TestWhitepaperIsReproducible(t *testing.T) {
	a, err := scenario.Generate("whitepaper-2024", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenario.Generate("whitepaper-2024", time.Now().Add(1000*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two generations of whitepaper-2024 differ")
	}
	if s := scenario.Summarize(a); s.Cases < 18000 || s.Reports < s.Cases || s.Actions < 3*s.Cases {
		t.Errorf("summary %+v", s)
	}
	for _, c := range a {
		for _, r := range c.Reports {
			if !strings.HasPrefix(r.Report.Text, "【デモ】") || !strings.HasSuffix(r.Report.Text, "（サンプル）") {
				t.Fatalf("report text %q is not a placeholder", r.Report.Text)
			}
			if !strings.Contains(r.Report.CanonicalURL, ".example/") {
				t.Fatalf("url %q is not under .example", r.Report.CanonicalURL)
			}
		}
	}
}

func TestUnknownScenario(t *testing.T) {
	if _, err := scenario.Generate("whitepaper-1999", time.Now()); err == nil {
		t.Error("no error for an unknown scenario")
	}
}

func TestSampleThroughSQLite(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases, err := scenario.Generate("sample", now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var calls atomic.Int32
	last := 0
	progress := func(done, total int) {
		calls.Add(1)
		if done < last || total != len(cases) {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}
	if err := scenario.Write(ctx, st, cases, scenario.WriteOptions{Chunk: 50, Progress: progress}); err != nil {
		t.Fatal(err)
	}
	if last != len(cases) || calls.Load() == 0 {
		t.Errorf("progress ended at %d of %d", last, len(cases))
	}
	// Writing again adds nothing.
	if err := scenario.Write(ctx, st, cases, scenario.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	statuses := map[hotline.Status]int{}
	for _, s := range []hotline.Status{hotline.StatusNew, hotline.StatusReviewed, hotline.StatusRequested, hotline.StatusClosed} {
		p, err := st.Cases(ctx, store.Query{Status: s, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		statuses[s] = p.Total
	}
	total := 0
	for s, n := range statuses {
		if n == 0 {
			t.Errorf("no %s cases in the sample", s)
		}
		total += n
	}
	if total != len(cases) {
		t.Errorf("%d cases in the store, want %d", total, len(cases))
	}
	// Nothing after now.
	for _, c := range cases {
		for _, a := range c.Actions {
			if a.At.After(now) {
				t.Fatalf("action %s at %s is after now", a.ID, a.At)
			}
		}
	}
}

type failingWriter struct{ n atomic.Int32 }

func (w *failingWriter) AddReport(context.Context, hotline.ClassifiedReport) error {
	if w.n.Add(1) > 10 {
		return errors.New("disk full")
	}
	return nil
}

func (w *failingWriter) Record(context.Context, ...hotline.Action) error { return nil }

func TestWriteStopsAtTheFirstError(t *testing.T) {
	cases, err := scenario.Generate("sample", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = scenario.Write(context.Background(), &failingWriter{}, cases, scenario.WriteOptions{Chunk: 5})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v", err)
	}
}
