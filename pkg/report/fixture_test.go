package report_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/report/scenario"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

// The whitepaper-2024 scenario (about 21,000 cases) is generated once per
// test binary and kept in memory the way a store keeps it (hotline.Case
// Merge and Apply, the functions the stores use); the figure and golden
// tests read it from there.
//
// Written through the SQLite store it takes about a minute (one
// transaction per report); under the race detector the pure-Go driver is
// more than ten times slower (the write alone did not finish in ten
// minutes), so the full SQLite round trip runs only without -race
// (TestWhitepaperSQLite), and with -race a subset of the scenario goes
// through SQLite and must give the same reports as in memory
// (TestSQLiteMatchesMemory).
var whitepaper struct {
	once  sync.Once
	cases []scenario.Case
	mem   *memSource
	err   error

	sqlOnce sync.Once
	dir     string
	store   *sqlitestore.Store
	sqlErr  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if whitepaper.store != nil {
		whitepaper.store.Close()
	}
	if whitepaper.dir != "" {
		os.RemoveAll(whitepaper.dir)
	}
	os.Exit(code)
}

// whitepaperMem returns the generated cases and an in-memory store of them.
func whitepaperMem(t *testing.T) ([]scenario.Case, *memSource) {
	t.Helper()
	w := &whitepaper
	w.once.Do(func() {
		start := time.Now()
		w.cases, w.err = scenario.Generate("whitepaper-2024", time.Now())
		if w.err != nil {
			return
		}
		w.mem, w.err = buildMem(w.cases)
		t.Logf("whitepaper-2024: %+v generated and applied in memory in %v", scenario.Summarize(w.cases), time.Since(start).Round(time.Millisecond))
	})
	if w.err != nil {
		t.Fatalf("whitepaper-2024 scenario: %v", w.err)
	}
	return w.cases, w.mem
}

// whitepaperSQLite returns the scenario written to a SQLite store through
// its normal write path, built once per test binary.
func whitepaperSQLite(t *testing.T) *sqlitestore.Store {
	t.Helper()
	cases, _ := whitepaperMem(t)
	w := &whitepaper
	w.sqlOnce.Do(func() {
		ctx := context.Background()
		start := time.Now()
		if w.dir, w.sqlErr = os.MkdirTemp("", "hotline-report-test-"); w.sqlErr != nil {
			return
		}
		if w.store, w.sqlErr = sqlitestore.Open(ctx, filepath.Join(w.dir, "hotline.db")); w.sqlErr != nil {
			return
		}
		w.sqlErr = scenario.Write(ctx, w.store, cases, scenario.WriteOptions{})
		t.Logf("whitepaper-2024 written to SQLite in %v", time.Since(start).Round(time.Millisecond))
	})
	if w.sqlErr != nil {
		t.Fatalf("write whitepaper-2024 to SQLite: %v", w.sqlErr)
	}
	return w.store
}
