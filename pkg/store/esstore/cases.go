package esstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/bulk"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortorder"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// caseDoc is a case as stored in the cases index: the case summary
// (flattened, as hotline.Case marshals), the sources of its reports, the
// counter that numbers its actions, and the pending writes of the last
// writer (see the package documentation).
type caseDoc struct {
	hotline.Case
	Sources        []hotline.Source `json:"sources"`
	ActionSeq      int64            `json:"action_seq"`
	PendingReports []reportDoc      `json:"pending_reports,omitempty"`
	PendingActions []actionDoc      `json:"pending_actions,omitempty"`
}

// reportDoc is a report in the reports index.
type reportDoc struct {
	hotline.Report
	Classification hotline.Classification `json:"classification"`
	ClassifiedAt   time.Time              `json:"classified_at"`
}

// contactDoc is a reporter's contact, in an index that is never searched.
type contactDoc struct {
	ReportID string `json:"report_id"`
	Contact  string `json:"contact"`
}

// pendingFields are left out of every case read that is not a write.
var pendingFields = []string{"pending_reports", "pending_actions"}

// AddReport merges r into its case. See the package documentation for how
// it stays idempotent and loses no report without transactions.
func (s *Store) AddReport(ctx context.Context, r hotline.ClassifiedReport) error {
	rep := r.Report
	if rep.ID == "" || rep.CaseID == "" {
		return errors.New("add report: missing report or case id")
	}
	if r.Contact != "" {
		// The contact goes first, apart: a redelivery finds it there.
		if _, err := s.create(ctx, idxContacts, rep.ID, contactDoc{ReportID: rep.ID, Contact: r.Contact}); err != nil {
			return fmt.Errorf("add report %s: contact: %w", rep.ID, err)
		}
	}
	rd := reportDoc{Report: rep, Classification: r.Classification, ClassifiedAt: r.ClassifiedAt}
	for attempt := 0; ; attempt++ {
		var cd caseDoc
		ver, err := s.getDoc(ctx, idxCases, rep.CaseID, &cd)
		if err != nil {
			return fmt.Errorf("add report %s: read case %s: %w", rep.ID, rep.CaseID, err)
		}
		if ver.found {
			merged := slices.ContainsFunc(cd.PendingReports, func(p reportDoc) bool { return p.ID == rep.ID })
			if !merged {
				// Read after the case: a writer that flushed the report
				// from the case's pending list wrote the report first.
				merged, err = s.es.Exists(s.index(idxReports), rep.ID).IsSuccess(ctx)
				if err != nil {
					return fmt.Errorf("add report %s: %w", rep.ID, err)
				}
			}
			if merged {
				// A redelivery: make sure the report document is written.
				if _, err := s.create(ctx, idxReports, rep.ID, rd); err != nil {
					return fmt.Errorf("add report %s: %w", rep.ID, err)
				}
				return nil
			}
			if err := s.flushPending(ctx, &cd); err != nil {
				return fmt.Errorf("add report %s: %w", rep.ID, err)
			}
		}
		cd.Merge(r, s.clock())
		if !slices.Contains(cd.Sources, rep.Source) {
			cd.Sources = append(cd.Sources, rep.Source)
			slices.Sort(cd.Sources)
		}
		cd.Reports = nil
		cd.PendingReports = []reportDoc{rd}
		err = s.put(ctx, idxCases, rep.CaseID, cd, ver)
		if isConflict(err) && attempt < s.retries {
			s.log.Debug("case changed under a report; retrying",
				zap.String("case", rep.CaseID), zap.String("report", rep.ID), zap.Int("attempt", attempt))
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("add report %s: %w", rep.ID, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("add report %s: write case %s: %w", rep.ID, rep.CaseID, err)
		}
		if _, err := s.create(ctx, idxReports, rep.ID, rd); err != nil {
			return fmt.Errorf("add report %s: %w", rep.ID, err)
		}
		return nil
	}
}

// flushPending makes sure the documents the last writer of the case left
// pending exist (creating those that do not), and drops them from cd,
// which the caller then writes.
func (s *Store) flushPending(ctx context.Context, cd *caseDoc) error {
	if len(cd.PendingReports) == 0 && len(cd.PendingActions) == 0 {
		return nil
	}
	b := s.es.Bulk().Refresh(s.refresh)
	for _, r := range cd.PendingReports {
		if err := b.CreateOp(types.CreateOperation{Index_: ptr(s.index(idxReports)), Id_: ptr(r.ID)}, r); err != nil {
			return fmt.Errorf("flush pending report %s: %w", r.ID, err)
		}
	}
	for _, a := range cd.PendingActions {
		if err := b.CreateOp(types.CreateOperation{Index_: ptr(s.index(idxActions)), Id_: ptr(a.ID)}, a); err != nil {
			return fmt.Errorf("flush pending action %s: %w", a.ID, err)
		}
	}
	if err := s.doCreates(ctx, b); err != nil {
		return fmt.Errorf("flush pending writes of case %s: %w", cd.ID, err)
	}
	cd.PendingReports, cd.PendingActions = nil, nil
	return nil
}

// doCreates runs a bulk request of create operations: a document that
// exists already (409) is success.
func (s *Store) doCreates(ctx context.Context, b *bulk.Bulk) error {
	res, err := b.Do(ctx)
	if err != nil {
		return err
	}
	if !res.Errors {
		return nil
	}
	for _, item := range res.Items {
		for _, it := range item {
			if it.Status >= 300 && it.Status != 409 {
				reason := ""
				if it.Error != nil {
					reason = it.Error.Type
					if it.Error.Reason != nil {
						reason += ": " + *it.Error.Reason
					}
				}
				id := ""
				if it.Id_ != nil {
					id = *it.Id_
				}
				return fmt.Errorf("bulk create %s/%s: status %d %s", it.Index_, id, it.Status, reason)
			}
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// readCase reads a case document in real time.
func (s *Store) readCase(ctx context.Context, id string) (caseDoc, version, error) {
	var cd caseDoc
	ver, err := s.getDoc(ctx, idxCases, id, &cd)
	if err != nil {
		return cd, ver, err
	}
	if !ver.found {
		return cd, ver, store.ErrNotFound
	}
	return cd, ver, nil
}

// Case returns a case with its reports, oldest first.
func (s *Store) Case(ctx context.Context, id string) (hotline.Case, error) {
	cd, _, err := s.readCase(ctx, id)
	if err != nil {
		return hotline.Case{}, fmt.Errorf("case %s: %w", id, err)
	}
	c := cd.Case
	seen := map[string]bool{}
	req := &search.Request{
		Query: termQuery("case_id", id),
		Sort:  sorts("received_at", sortorder.Asc, "id", sortorder.Asc),
	}
	err = s.searchAll(ctx, idxReports, req, s.limits.page, func(h types.Hit) error {
		var r reportDoc
		if err := json.Unmarshal(h.Source_, &r); err != nil {
			return fmt.Errorf("report %s: %w", deref(h.Id_), err)
		}
		seen[r.ID] = true
		c.Reports = append(c.Reports, hotline.CaseReport{Report: r.Report, Classification: r.Classification})
		return nil
	})
	if err != nil {
		return hotline.Case{}, fmt.Errorf("case %s: reports: %w", id, err)
	}
	added := false
	for _, r := range cd.PendingReports {
		if !seen[r.ID] {
			c.Reports = append(c.Reports, hotline.CaseReport{Report: r.Report, Classification: r.Classification})
			added = true
		}
	}
	if added {
		sort.SliceStable(c.Reports, func(i, j int) bool {
			a, b := c.Reports[i], c.Reports[j]
			if !a.ReceivedAt.Equal(b.ReceivedAt) {
				return a.ReceivedAt.Before(b.ReceivedAt)
			}
			return a.ID < b.ID
		})
	}
	return c, nil
}

// Cases lists the cases matching q in queue order.
func (s *Store) Cases(ctx context.Context, q store.Query) (store.Page, error) {
	q = q.Normalized()
	var filter []types.Query
	term := func(field, value string) {
		if value != "" {
			filter = append(filter, *termQuery(field, value))
		}
	}
	term("status", string(q.Status))
	term("category", string(q.Category))
	term("subcategory", q.Subcategory)
	term("sources", string(q.Source))
	term("host", q.Host)
	if !q.ReportedBefore.IsZero() || !q.ReportedSince.IsZero() {
		dr := types.DateRangeQuery{}
		if !q.ReportedSince.IsZero() {
			dr.Gte = ptr(formatTime(q.ReportedSince))
		}
		if !q.ReportedBefore.IsZero() {
			dr.Lt = ptr(formatTime(q.ReportedBefore))
		}
		filter = append(filter, types.Query{Range: map[string]types.RangeQuery{"first_reported_at": dr}})
	}
	query := &types.Query{MatchAll: &types.MatchAllQuery{}}
	if len(filter) > 0 {
		query = &types.Query{Bool: &types.BoolQuery{Filter: filter}}
	}
	order := sorts("priority", sortorder.Desc, "report_count", sortorder.Desc, "first_reported_at", sortorder.Asc, "id", sortorder.Asc)
	page := store.Page{Cases: []hotline.Case{}}
	decode := func(h types.Hit) error {
		var cd caseDoc
		if err := json.Unmarshal(h.Source_, &cd); err != nil {
			return fmt.Errorf("case %s: %w", deref(h.Id_), err)
		}
		cd.Case.Reports = nil
		page.Cases = append(page.Cases, cd.Case)
		return nil
	}
	if q.Offset+q.Limit <= s.limits.window {
		res, err := s.es.Search().Index(s.index(idxCases)).Request(&search.Request{
			Query: query, Sort: order, From: ptr(q.Offset), Size: ptr(q.Limit),
			TrackTotalHits: true, Source_: types.SourceFilter{Excludes: pendingFields},
		}).Do(ctx)
		if err != nil {
			return page, fmt.Errorf("list cases: %w", err)
		}
		if res.Hits.Total != nil {
			page.Total = int(res.Hits.Total.Value)
		}
		for _, h := range res.Hits.Hits {
			if err := decode(h); err != nil {
				return page, fmt.Errorf("list cases: %w", err)
			}
		}
		return page, nil
	}
	// A deep page: count, then walk with search_after to the offset.
	cnt, err := s.es.Count().Index(s.index(idxCases)).Query(query).Do(ctx)
	if err != nil {
		return page, fmt.Errorf("count cases: %w", err)
	}
	page.Total = int(cnt.Count)
	skip := q.Offset
	errDone := errors.New("done")
	err = s.searchAll(ctx, idxCases, &search.Request{Query: query, Sort: order, Source_: types.SourceFilter{Excludes: pendingFields}}, s.limits.page,
		func(h types.Hit) error {
			if skip > 0 {
				skip--
				return nil
			}
			if len(page.Cases) == q.Limit {
				return errDone
			}
			return decode(h)
		})
	if err != nil && !errors.Is(err, errDone) {
		return page, fmt.Errorf("list cases: %w", err)
	}
	return page, nil
}

// searchAll runs req page by page (search_after on its sort, which must
// end in a unique field) and calls fn for every hit.
func (s *Store) searchAll(ctx context.Context, index string, req *search.Request, pageSize int, fn func(types.Hit) error) error {
	r := *req
	r.Size = ptr(pageSize)
	r.TrackTotalHits = false
	for {
		res, err := s.es.Search().Index(s.index(index)).Request(&r).Do(ctx)
		if err != nil {
			return err
		}
		for _, h := range res.Hits.Hits {
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(res.Hits.Hits) < pageSize {
			return nil
		}
		next := res.Hits.Hits[len(res.Hits.Hits)-1].Sort
		if fmt.Sprint(next) == fmt.Sprint(r.SearchAfter) {
			// A sort value that does not survive the round trip would
			// page forever.
			return fmt.Errorf("search_after does not advance past %v", next)
		}
		r.SearchAfter = next
	}
}

func termQuery(field, value string) *types.Query {
	return &types.Query{Term: map[string]types.TermQuery{field: {Value: value}}}
}

func termsQuery(field string, values ...string) *types.Query {
	vs := make([]types.FieldValue, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return &types.Query{Terms: &types.TermsQuery{TermsQuery: map[string]types.TermsQueryField{field: vs}}}
}

// dateFields are the date and date_nanos fields the store sorts on.
// They are sorted with a format, so that their sort values, which
// search_after sends back, are exact strings: as epoch nanoseconds they
// would lose precision in the client, which reads them as float64.
func isDateField(field string) bool {
	switch field {
	case "received_at", "first_reported_at", "created_at":
		return true
	}
	return false
}

// sorts makes a sort from field, order pairs.
func sorts(pairs ...any) []types.SortCombinations {
	var out []types.SortCombinations
	for i := 0; i+1 < len(pairs); i += 2 {
		field, o := pairs[i].(string), pairs[i+1].(sortorder.SortOrder)
		fs := types.FieldSort{Order: &o}
		if isDateField(field) {
			fs.Format = ptr("strict_date_optional_time_nanos")
		}
		out = append(out, types.SortOptions{SortOptions: map[string]types.FieldSort{field: fs}})
	}
	return out
}

// formatTime is how times go into queries: as they are stored.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
