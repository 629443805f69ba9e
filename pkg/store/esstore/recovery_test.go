package esstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store/esstore"
)

// crashing fails, while armed, every request whose method and path match
// (the client retries a failed request), as a process dying before it
// sent it would.
type crashing struct {
	method, path string
	armed        atomic.Bool
	skip         atomic.Int32 // matching requests let through before failing
}

var errCrash = errors.New("crashed")

func (c *crashing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == c.method && strings.HasPrefix(r.URL.Path, c.path) && c.armed.Load() && c.skip.Add(-1) < 0 {
		return nil, errCrash
	}
	return http.DefaultTransport.RoundTrip(r)
}

func testReport(id, u string, at time.Time) hotline.ClassifiedReport {
	return hotline.ClassifiedReport{
		Report: hotline.Report{ID: id, CaseID: hotline.CaseID(u), URL: u, CanonicalURL: u, Text: "本文", Source: hotline.SourcePublic, ReceivedAt: at},
		Classification: hotline.Classification{Category: hotline.Illegal, Subcategory: "drugs", Score: 0.9,
			Priority: hotline.Priority(hotline.Illegal, 0.9, false)},
		ClassifiedAt: at,
	}
}

// TestCrashBetweenCaseAndReport checks the design of AddReport: when the
// process dies after writing the case and before writing the report
// document, readers already see the report (pending in the case), and a
// redelivery completes the write without counting the report twice.
func TestCrashBetweenCaseAndReport(t *testing.T) {
	srv := newFakeES(t, spec(t))
	tr := &crashing{method: http.MethodPut, path: "/hotline-reports/_doc/"}
	ctx := context.Background()
	s, err := esstore.Open(ctx, esstore.Config{URL: srv.URL, Transport: tr, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	u := "https://example.com/crash"
	r1 := testReport("r1", u, base)
	tr.armed.Store(true)
	if err := s.AddReport(ctx, r1); !errors.Is(err, errCrash) {
		t.Fatalf("add with a crash before the report write: %v", err)
	}
	tr.armed.Store(false)
	c, err := s.Case(ctx, r1.Report.CaseID)
	if err != nil || c.ReportCount != 1 || len(c.Reports) != 1 || c.Reports[0].ID != "r1" {
		t.Fatalf("after the crash: count %d, reports %d, %v", c.ReportCount, len(c.Reports), err)
	}
	if err := s.AddReport(ctx, r1); err != nil { // the redelivery
		t.Fatal(err)
	}
	// Another report flushes what the crash left pending.
	if err := s.AddReport(ctx, testReport("r2", u, base.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReport(ctx, r1); err != nil {
		t.Fatal(err)
	}
	c, err = s.Case(ctx, r1.Report.CaseID)
	if err != nil || c.ReportCount != 2 || len(c.Reports) != 2 {
		t.Fatalf("after the redeliveries: count %d, reports %d, %v", c.ReportCount, len(c.Reports), err)
	}
}

// TestCrashBetweenCaseAndActions checks the same for Record: the actions
// written into the case but not yet into the actions index are read from
// the case, and recording them again changes nothing.
func TestCrashBetweenCaseAndActions(t *testing.T) {
	srv := newFakeES(t, spec(t))
	tr := &crashing{method: http.MethodPost, path: "/_bulk"}
	ctx := context.Background()
	s, err := esstore.Open(ctx, esstore.Config{URL: srv.URL, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	r := testReport("r1", "https://example.com/acts", base)
	if err := s.AddReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	id := r.Report.CaseID
	acts := []hotline.Action{
		{ID: "a1", CaseID: id, Kind: hotline.ActDecision, Actor: "alice", At: base.Add(time.Minute), Category: hotline.Illegal},
		{ID: "a2", CaseID: id, Kind: hotline.ActNote, Actor: "alice", At: base.Add(2 * time.Minute), Note: "メモ"},
	}
	got, err := s.Actions(ctx, id)
	if err != nil || len(got) != 0 {
		t.Fatalf("actions before: %v, %v", got, err)
	}
	if err := s.Record(ctx, hotline.Action{ID: "a0", CaseID: id, Kind: hotline.ActNote, Actor: "bob", At: base, Note: "first"}); err != nil {
		t.Fatal(err)
	}
	// The case write flushes a0, pending in the case, with a bulk request
	// first; crash on the second bulk, the one of the new actions.
	tr.skip.Store(1)
	tr.armed.Store(true)
	if err := s.Record(ctx, acts...); !errors.Is(err, errCrash) {
		t.Fatalf("record with a crash before the action documents: %v", err)
	}
	tr.armed.Store(false)
	got, err = s.Actions(ctx, id)
	if err != nil || len(got) != 3 || got[1].ID != "a1" || got[2].ID != "a2" || got[1].After == nil {
		t.Fatalf("actions after the crash: %+v, %v", got, err)
	}
	if err := s.Record(ctx, acts...); err != nil { // retried
		t.Fatal(err)
	}
	got, err = s.Actions(ctx, id)
	if err != nil || len(got) != 3 {
		t.Fatalf("actions after the retry: %d, %v", len(got), err)
	}
	// The retry wrote the action documents: the log, which searches
	// them, has them.
	var logged []string
	if err := s.ActionLog(ctx, base, base.Add(time.Hour), func(a hotline.Action) error {
		logged = append(logged, a.ID)
		return nil
	}); err != nil || strings.Join(logged, ",") != "a0,a1,a2" {
		t.Errorf("action log after the retry = %v, %v", logged, err)
	}
	c, err := s.Case(ctx, id)
	if err != nil || c.Judgement == nil || c.Status != hotline.StatusReviewed {
		t.Fatalf("case after the retry: %+v, %v", c.Workflow, err)
	}
}

// TestValidatorRejects makes sure the specification check bites: requests
// Elasticsearch would refuse fail it.
func TestValidatorRejects(t *testing.T) {
	v := spec(t)
	tests := []struct {
		name, method, tmpl string
		query              url.Values
		body               string
	}{
		{"short term query", "POST", "/{index}/_search", nil, `{"query":{"term":{"status":"new"}}}`},
		{"size as text", "POST", "/{index}/_search", nil, `{"size":"ten"}`},
		{"track_total_hits as text", "POST", "/{index}/_search", nil, `{"track_total_hits":"yes"}`},
		{"bool filter of a string", "POST", "/{index}/_search", nil, `{"query":{"bool":{"filter":"x"}}}`},
		{"refresh value", "PUT", "/{index}/_doc/{id}", url.Values{"refresh": {"later"}}, `{}`},
		{"op_type value", "PUT", "/{index}/_doc/{id}", url.Values{"op_type": {"upsert"}}, `{}`},
		{"if_seq_no not a number", "PUT", "/{index}/_doc/{id}", url.Values{"if_seq_no": {"x"}}, `{}`},
		{"mget ids not a list", "POST", "/{index}/_mget", nil, `{"ids":3}`},
		{"mapping type", "PUT", "/{index}", nil, `{"mappings":{"properties":{"a":{"type":7}}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.query
			if q == nil {
				q = url.Values{}
			}
			params := map[string]string{"index": "i", "id": "1"}
			if err := v.request(tc.method, tc.tmpl, params, q, []byte(tc.body)); err == nil {
				t.Errorf("%s %s %s passed the specification check", tc.method, tc.tmpl, tc.body)
			}
		})
	}
}

// TestValidatorRejectsResponses makes sure the fake's answers are checked
// too.
func TestValidatorRejectsResponses(t *testing.T) {
	v := spec(t)
	params := map[string]string{"index": "i", "id": "1"}
	tests := []struct{ name, method, tmpl, body string }{
		{"hits not a list", "POST", "/{index}/_search", `{"took":1,"timed_out":false,"_shards":{"total":1,"successful":1,"failed":0},"hits":{"hits":"x"}}`},
		{"seq_no as text", "PUT", "/{index}/_doc/{id}", `{"_index":"i","_id":"1","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":"x","_primary_term":1}`},
		{"bulk without items", "POST", "/_bulk", `{"took":1,"errors":false}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.response(tc.method, tc.tmpl, params, url.Values{}, []byte(`{}`), 200, []byte(tc.body)); err == nil {
				t.Errorf("response %s passed the specification check", tc.body)
			}
		})
	}
}
