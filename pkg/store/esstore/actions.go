package esstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortorder"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// actionDoc is an action in the actions index, with what orders it: seq
// within its case, and across cases the log key, made of the store clock
// and the position in the Record call.
type actionDoc struct {
	hotline.Action
	Seq       int64     `json:"seq"`
	LogKey    string    `json:"log_key"`
	Effective time.Time `json:"effective"`
}

// logKey orders actions and audit entries across cases and processes: the
// store clock in nanoseconds and a position, zero-padded so that they
// sort as text. (A long in nanoseconds would not survive the client,
// which reads sort values as float64, through search_after.)
func logKey(clock int64, pos int) string { return fmt.Sprintf("%019d-%06d", clock, pos) }

// effective is the time an action counts at in the statistics.
func effective(a hotline.Action) time.Time {
	switch {
	case a.Kind == hotline.ActRequest && a.Request != nil:
		return a.Request.SentAt
	case a.Kind == hotline.ActOutcome && a.Outcome != nil:
		return a.Outcome.SeenAt
	}
	return a.At
}

// casePlan is what Record will write for one case: the case document as
// it will be, the version it was read at, and its new actions.
type casePlan struct {
	id   string
	cd   caseDoc
	ver  version
	acts []actionDoc
	// redo are actions of the call already in the case but pending there:
	// a retry after a crash writes their documents.
	redo []actionDoc
}

type posAction struct {
	pos int
	a   hotline.Action
}

// Record appends and applies actions. Every case's actions are validated
// against the case before anything is written; then each case is written
// (with its new actions pending in it) under optimistic concurrency
// control, and its action documents after it. See the package
// documentation for what is atomic.
func (s *Store) Record(ctx context.Context, actions ...hotline.Action) error {
	if len(actions) == 0 {
		return nil
	}
	recorded := s.tick()
	var order []string
	byCase := map[string][]posAction{}
	for i, a := range actions {
		if _, ok := byCase[a.CaseID]; !ok {
			order = append(order, a.CaseID)
		}
		byCase[a.CaseID] = append(byCase[a.CaseID], posAction{i, a})
	}
	plans := make([]*casePlan, len(order))
	for i, id := range order {
		p, err := s.plan(ctx, id, byCase[id], recorded)
		if err != nil {
			return fmt.Errorf("record actions: %w", err)
		}
		plans[i] = p
	}
	for i, p := range plans {
		for attempt := 0; ; attempt++ {
			err := s.commit(ctx, p)
			if err == nil {
				break
			}
			if !isConflict(err) || attempt >= s.retries {
				return fmt.Errorf("record actions on case %s (%d of %d cases recorded): %w", p.id, i, len(plans), err)
			}
			s.log.Debug("case changed under actions; validating again",
				zap.String("case", p.id), zap.Int("attempt", attempt))
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("record actions: %w", err)
			}
			// The case changed: validate against it as it is now.
			if p, err = s.plan(ctx, p.id, byCase[p.id], recorded); err != nil {
				return fmt.Errorf("record actions (%d of %d cases recorded): %w", i, len(plans), err)
			}
		}
	}
	return nil
}

// plan reads a case and applies its new actions to it in memory.
func (s *Store) plan(ctx context.Context, id string, acts []posAction, recorded int64) (*casePlan, error) {
	cd, ver, err := s.readCase(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("action %s on case %s: %w", acts[0].a.ID, id, err)
	}
	done := map[string]bool{}
	var redo []actionDoc
	for _, p := range cd.PendingActions {
		done[p.ID] = true
		if slices.ContainsFunc(acts, func(pa posAction) bool { return pa.a.ID == p.ID }) {
			redo = append(redo, p)
		}
	}
	var ids []string
	for _, pa := range acts {
		if !done[pa.a.ID] {
			ids = append(ids, pa.a.ID)
		}
	}
	if len(ids) > 0 {
		res, err := s.es.Mget().Index(s.index(idxActions)).Ids(ids...).Source_("false").Realtime(true).Do(ctx)
		if err != nil {
			return nil, fmt.Errorf("actions of case %s: %w", id, err)
		}
		for _, d := range res.Docs {
			switch d := d.(type) {
			case *types.GetResult:
				if d.Found {
					done[d.Id_] = true
				}
			case *types.MultiGetError:
				return nil, fmt.Errorf("actions of case %s: %s: %s", id, d.Error.Type, deref(d.Error.Reason))
			}
		}
	}
	p := &casePlan{id: id, cd: cd, ver: ver, redo: redo}
	c := &p.cd.Case
	seq := cd.ActionSeq
	for _, pa := range acts {
		a := pa.a
		if done[a.ID] {
			continue // recorded before
		}
		done[a.ID] = true
		a.Before = c.StateOf()
		if err := c.Apply(a); err != nil {
			return nil, fmt.Errorf("action %s on case %s: %w", a.ID, id, err)
		}
		a.After = c.StateOf()
		seq++
		p.acts = append(p.acts, actionDoc{Action: a, Seq: seq, LogKey: logKey(recorded, pa.pos), Effective: effective(a)})
	}
	p.cd.ActionSeq = seq
	return p, nil
}

// commit writes a planned case, then its action documents.
func (s *Store) commit(ctx context.Context, p *casePlan) error {
	if len(p.acts) == 0 {
		if len(p.redo) == 0 {
			return nil
		}
		// Nothing new: write the documents a crash left pending (they
		// stay listed in the case until its next write; that is harmless).
		return s.flushPending(ctx, &caseDoc{Case: hotline.Case{ID: p.id}, PendingActions: p.redo})
	}
	cd := p.cd
	if err := s.flushPending(ctx, &cd); err != nil {
		return err
	}
	cd.Reports = nil
	cd.PendingActions = p.acts
	if err := s.put(ctx, idxCases, p.id, cd, p.ver); err != nil {
		return err
	}
	cd.PendingReports = nil
	return s.flushPending(ctx, &cd)
}

// Actions returns a case's actions in recorded order.
func (s *Store) Actions(ctx context.Context, caseID string) ([]hotline.Action, error) {
	cd, _, err := s.readCase(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("actions of %s: %w", caseID, err)
	}
	m, err := s.actionsOf(ctx, []caseDoc{cd}, true)
	if err != nil {
		return nil, fmt.Errorf("actions of %s: %w", caseID, err)
	}
	out := m[caseID]
	if out == nil {
		out = []hotline.Action{}
	}
	return out, nil
}

// actionsOf reads the actions of the cases, each case's in seq order,
// with the ones still pending in the case documents; without their
// Before and After states unless states is set.
func (s *Store) actionsOf(ctx context.Context, cases []caseDoc, states bool) (map[string][]hotline.Action, error) {
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	docs := map[string][]actionDoc{}
	seen := map[string]bool{}
	req := &search.Request{Query: termsQuery("case_id", ids...), Sort: sorts("case_id", sortorder.Asc, "seq", sortorder.Asc, "id", sortorder.Asc)}
	if !states {
		req.Source_ = types.SourceFilter{Excludes: []string{"before", "after"}}
	}
	err := s.searchAll(ctx, idxActions, req, s.limits.page, func(h types.Hit) error {
		var a actionDoc
		if err := json.Unmarshal(h.Source_, &a); err != nil {
			return fmt.Errorf("action %s: %w", deref(h.Id_), err)
		}
		seen[a.ID] = true
		docs[a.CaseID] = append(docs[a.CaseID], a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]hotline.Action{}
	for _, c := range cases {
		list := docs[c.ID]
		for _, p := range c.PendingActions {
			if !seen[p.ID] {
				if !states {
					p.Before, p.After = nil, nil
				}
				list = append(list, p)
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].Seq < list[j].Seq })
		acts := make([]hotline.Action, len(list))
		for i, a := range list {
			acts[i] = a.Action
		}
		out[c.ID] = acts
	}
	return out, nil
}

// Histories calls fn, in case id order, for every case with a deletion
// request sent or an outcome seen in [from, to), with its actions
// without their Before and After states (the statistics do not need
// them).
func (s *Store) Histories(ctx context.Context, from, to time.Time, fn func(hotline.Case, []hotline.Action) error) error {
	req := &search.Request{
		Query: &types.Query{Bool: &types.BoolQuery{Filter: []types.Query{
			*termsQuery("kind", string(hotline.ActRequest), string(hotline.ActOutcome)),
			{Range: map[string]types.RangeQuery{"effective": types.DateRangeQuery{Gte: ptr(formatTime(from)), Lt: ptr(formatTime(to))}}},
		}}},
		Sort:    sorts("case_id", sortorder.Asc, "id", sortorder.Asc),
		Source_: types.SourceFilter{Includes: []string{"case_id"}},
	}
	var (
		batch  []string
		lastID string
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ids := batch
		batch = nil
		return s.histories(ctx, ids, fn)
	}
	err := s.searchAll(ctx, idxActions, req, s.limits.page, func(h types.Hit) error {
		var a struct {
			CaseID string `json:"case_id"`
		}
		if err := json.Unmarshal(h.Source_, &a); err != nil {
			return fmt.Errorf("action %s: %w", deref(h.Id_), err)
		}
		if a.CaseID == lastID {
			return nil
		}
		lastID = a.CaseID
		if len(batch) == s.limits.historyBatch {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, a.CaseID)
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("histories: %w", err)
	}
	return nil
}

// histories reads the cases ids (in order) with their actions and calls
// fn for each.
func (s *Store) histories(ctx context.Context, ids []string, fn func(hotline.Case, []hotline.Action) error) error {
	res, err := s.es.Mget().Index(s.index(idxCases)).Ids(ids...).Realtime(true).Do(ctx)
	if err != nil {
		return fmt.Errorf("read cases: %w", err)
	}
	var cases []caseDoc
	for _, d := range res.Docs {
		switch d := d.(type) {
		case *types.GetResult:
			if !d.Found {
				continue // an action without its case: cannot happen, skip
			}
			var cd caseDoc
			if err := json.Unmarshal(d.Source_, &cd); err != nil {
				return fmt.Errorf("case %s: %w", d.Id_, err)
			}
			cases = append(cases, cd)
		case *types.MultiGetError:
			return fmt.Errorf("read cases: %s: %s", d.Error.Type, deref(d.Error.Reason))
		}
	}
	acts, err := s.actionsOf(ctx, cases, false)
	if err != nil {
		return fmt.Errorf("read actions: %w", err)
	}
	for _, cd := range cases {
		c := cd.Case
		c.Reports = nil
		if err := fn(c, acts[c.ID]); err != nil {
			return err
		}
	}
	return nil
}

// ActionLog calls fn for every action recorded at a time in [from, to),
// in recorded order: by the recording store's clock, then by position in
// the Record call.
func (s *Store) ActionLog(ctx context.Context, from, to time.Time, fn func(hotline.Action) error) error {
	req := &search.Request{
		Query: &types.Query{Range: map[string]types.RangeQuery{"at": types.DateRangeQuery{Gte: ptr(formatTime(from)), Lt: ptr(formatTime(to))}}},
		Sort:  sorts("log_key", sortorder.Asc, "id", sortorder.Asc),
	}
	err := s.searchAll(ctx, idxActions, req, s.limits.page, func(h types.Hit) error {
		var a actionDoc
		if err := json.Unmarshal(h.Source_, &a); err != nil {
			return fmt.Errorf("action %s: %w", deref(h.Id_), err)
		}
		return fn(a.Action)
	})
	if err != nil {
		return fmt.Errorf("action log: %w", err)
	}
	return nil
}
