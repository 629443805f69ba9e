package report_test

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/report/scenario"
)

// memSource keeps cases in memory the way a store does (Merge, then Apply
// of each action in order), for tests that need no database.
type memSource struct {
	cases map[string]*hotline.Case
	acts  map[string][]hotline.Action
}

// buildMem applies cases as a store would: Merge each report into its
// case, then Apply each action in order.
func buildMem(cases []scenario.Case) (*memSource, error) {
	m := &memSource{cases: map[string]*hotline.Case{}, acts: map[string][]hotline.Action{}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, sc := range cases {
		for _, r := range sc.Reports {
			c, ok := m.cases[r.Report.CaseID]
			if !ok {
				c = &hotline.Case{}
				m.cases[r.Report.CaseID] = c
			}
			c.Merge(r, now)
		}
		for _, a := range sc.Actions {
			c := m.cases[a.CaseID]
			if c == nil {
				return nil, fmt.Errorf("action %s for unknown case %s", a.ID, a.CaseID)
			}
			if err := c.Apply(a); err != nil {
				return nil, fmt.Errorf("apply %s: %w", a.ID, err)
			}
			m.acts[a.CaseID] = append(m.acts[a.CaseID], a)
		}
	}
	return m, nil
}

func (m *memSource) Histories(_ context.Context, from, to time.Time, fn func(hotline.Case, []hotline.Action) error) error {
	var ids []string
	for id, acts := range m.acts {
		for _, a := range acts {
			var t time.Time
			switch {
			case a.Kind == hotline.ActRequest:
				t = a.Request.SentAt
			case a.Kind == hotline.ActOutcome:
				t = a.Outcome.SeenAt
			default:
				continue
			}
			if !t.Before(from) && t.Before(to) {
				ids = append(ids, id)
				break
			}
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := fn(*m.cases[id], m.acts[id]); err != nil {
			return err
		}
	}
	return nil
}
