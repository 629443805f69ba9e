package esstore_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeES is an in-process Elasticsearch with the semantics the store uses:
// indices with mappings; index, create, get, exists and delete of
// documents with seq_no/primary_term concurrency control; _bulk, _mget,
// _search (bool, term, terms, range, match_all; sort, from/size,
// search_after, track_total_hits, _source filtering), _count,
// _delete_by_query and _refresh. Searches see only refreshed documents,
// as in Elasticsearch: a write is searchable after a refresh, which
// refresh=true or refresh=wait_for on the write, or _refresh, makes; gets
// are real-time. Every request, and every response it answers, is
// validated against Elastic's OpenAPI specification; a request that does
// not validate is answered 400 and fails the test.
type fakeES struct {
	t    *testing.T
	spec *validator

	mu      sync.Mutex
	indices map[string]*fakeIndex
	errs    []string
}

type fakeIndex struct {
	fields     map[string]fieldMapping // searchable fields, by dotted path
	docs       map[string]*fakeDoc     // live: what gets see
	searchable map[string]*fakeDoc     // as of the last refresh: what searches see
	seq        int64
}

type fieldMapping struct{ typ string }

type fakeDoc struct {
	id      string
	source  json.RawMessage
	parsed  map[string]any
	seqNo   int64
	version int64
}

const primaryTerm = 1

func newFakeES(t *testing.T, v *validator) *httptest.Server {
	f := &fakeES{t: t, spec: v, indices: map[string]*fakeIndex{}}
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, e := range f.errs {
			t.Errorf("fake elasticsearch: %s", e)
		}
	})
	return srv
}

// esError is an error response as Elasticsearch gives it.
type esError struct {
	status int
	typ    string
	reason string
}

func (e *esError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.typ, e.reason) }

func (f *fakeES) fail(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if len(body) == 0 {
		body = nil
	}
	tmpl, params := route(r.Method, r.URL.Path)
	q := r.URL.Query()
	vbody := body
	if strings.HasSuffix(tmpl, "/_bulk") && body != nil {
		arr, err := ndjsonArray(body)
		if err != nil {
			f.mu.Lock()
			f.fail("%s %s: %v", r.Method, r.URL.Path, err)
			f.mu.Unlock()
			writeJSON(w, 400, errBody(&esError{400, "illegal_argument_exception", err.Error()}))
			return
		}
		vbody = arr
	}
	if err := f.spec.request(r.Method, tmpl, params, q, vbody); err != nil {
		f.mu.Lock()
		f.fail("request does not match the specification: %v\nbody: %.2000s", err, body)
		f.mu.Unlock()
		writeJSON(w, 400, errBody(&esError{400, "x_content_parse_exception", err.Error()}))
		return
	}
	f.mu.Lock()
	status, resp, err := f.handle(r.Method, tmpl, params, q, body)
	f.mu.Unlock()
	if err != nil {
		if e, ok := err.(*esError); ok {
			status, resp = e.status, errBody(e)
		} else {
			f.mu.Lock()
			f.fail("%s %s: %v", r.Method, r.URL.Path, err)
			f.mu.Unlock()
			status, resp = 500, errBody(&esError{500, "fake_exception", err.Error()})
		}
	}
	var out []byte
	if resp != nil && r.Method != http.MethodHead {
		out, _ = json.Marshal(resp)
		if status < 300 {
			if err := f.spec.response(r.Method, tmpl, params, q, vbody, status, out); err != nil {
				f.mu.Lock()
				f.fail("fake response does not match the specification: %v\nbody: %.2000s", err, out)
				f.mu.Unlock()
			}
		}
	}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if out != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func errBody(e *esError) map[string]any {
	cause := map[string]any{"type": e.typ, "reason": e.reason}
	return map[string]any{"error": map[string]any{"type": e.typ, "reason": e.reason, "root_cause": []any{cause}}, "status": e.status}
}

// route maps a request path to the specification's path template.
func route(method, path string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if path == "/" {
		return "/", nil
	}
	if strings.HasPrefix(segs[0], "_") {
		return "/" + strings.Join(segs, "/"), nil
	}
	p := map[string]string{"index": segs[0]}
	switch len(segs) {
	case 1:
		return "/{index}", p
	case 2:
		return "/{index}/" + segs[1], p
	case 3:
		p["id"] = segs[2]
		return "/{index}/" + segs[1] + "/{id}", p
	}
	return path, nil
}

func ndjsonArray(body []byte) ([]byte, error) {
	var arr []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, fmt.Errorf("bulk line is not JSON: %.200s", line)
		}
		arr = append(arr, append(json.RawMessage(nil), line...))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(arr)
}

func (f *fakeES) handle(method, tmpl string, p map[string]string, q url.Values, body []byte) (int, any, error) {
	idx := f.indices[p["index"]]
	switch method + " " + tmpl {
	case "HEAD /", "GET /":
		return 200, map[string]any{"name": "fake", "cluster_name": "fake", "cluster_uuid": "fake",
			"version": map[string]any{"number": "8.19.0", "build_flavor": "default", "build_type": "docker", "build_hash": "x",
				"build_date": "2025-01-01T00:00:00Z", "build_snapshot": false, "lucene_version": "9.12.0",
				"minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0"},
			"tagline": "You Know, for Search"}, nil
	case "HEAD /{index}":
		if idx == nil {
			return 404, nil, nil
		}
		return 200, nil, nil
	case "PUT /{index}":
		if idx != nil {
			return 0, nil, &esError{400, "resource_already_exists_exception", "index [" + p["index"] + "] already exists"}
		}
		if _, err := f.createIndex(p["index"], body); err != nil {
			return 0, nil, err
		}
		return 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": p["index"]}, nil
	case "GET /{index}/_doc/{id}", "HEAD /{index}/_doc/{id}":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		d := idx.docs[p["id"]]
		if d == nil {
			return 404, map[string]any{"_index": p["index"], "_id": p["id"], "found": false}, nil
		}
		return 200, docResponse(p["index"], d, q.Get("_source") != "false"), nil
	case "PUT /{index}/_doc/{id}", "POST /{index}/_doc/{id}", "PUT /{index}/_create/{id}", "POST /{index}/_create/{id}":
		opType := q.Get("op_type")
		if strings.Contains(tmpl, "_create") {
			opType = "create"
		}
		idx := f.autoIndex(p["index"])
		st, res, err := f.write(idx, p["index"], p["id"], opType, q.Get("if_seq_no"), q.Get("if_primary_term"), body)
		if err != nil {
			return 0, nil, err
		}
		f.afterWrite(idx, q.Get("refresh"))
		return st, res, nil
	case "DELETE /{index}/_doc/{id}":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		d := idx.docs[p["id"]]
		idx.seq++
		if d == nil {
			return 404, writeResult(p["index"], p["id"], "not_found", idx.seq, 1), nil
		}
		delete(idx.docs, p["id"])
		f.afterWrite(idx, q.Get("refresh"))
		return 200, writeResult(p["index"], p["id"], "deleted", idx.seq, d.version+1), nil
	case "POST /_bulk", "PUT /_bulk", "POST /{index}/_bulk", "PUT /{index}/_bulk":
		return f.bulk(p["index"], q, body)
	case "POST /{index}/_mget", "GET /{index}/_mget":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		var req struct {
			IDs []string `json:"ids"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return 0, nil, &esError{400, "x_content_parse_exception", err.Error()}
		}
		docs := []any{}
		for _, id := range req.IDs {
			if d := idx.docs[id]; d != nil {
				docs = append(docs, docResponse(p["index"], d, q.Get("_source") != "false"))
			} else {
				docs = append(docs, map[string]any{"_index": p["index"], "_id": id, "found": false})
			}
		}
		return 200, map[string]any{"docs": docs}, nil
	case "POST /{index}/_search", "GET /{index}/_search":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		return f.search(idx, p["index"], body)
	case "POST /{index}/_count", "GET /{index}/_count":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		var req struct {
			Query json.RawMessage `json:"query"`
		}
		if body != nil {
			if err := json.Unmarshal(body, &req); err != nil {
				return 0, nil, &esError{400, "x_content_parse_exception", err.Error()}
			}
		}
		hits, err := idx.match(req.Query)
		if err != nil {
			return 0, nil, err
		}
		return 200, map[string]any{"count": len(hits), "_shards": shards()}, nil
	case "POST /{index}/_delete_by_query":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		var req struct {
			Query json.RawMessage `json:"query"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return 0, nil, &esError{400, "x_content_parse_exception", err.Error()}
		}
		hits, err := idx.match(req.Query)
		if err != nil {
			return 0, nil, err
		}
		deleted, conflicts := 0, 0
		for _, d := range hits {
			if live := idx.docs[d.id]; live == nil || live.seqNo != d.seqNo {
				conflicts++
				continue
			}
			delete(idx.docs, d.id)
			idx.seq++
			deleted++
		}
		if conflicts > 0 && q.Get("conflicts") != "proceed" {
			return 0, nil, &esError{409, "version_conflict_engine_exception", "version conflict during delete by query"}
		}
		if q.Get("refresh") == "true" {
			idx.refresh()
		}
		return 200, map[string]any{"took": 1, "timed_out": false, "total": len(hits), "deleted": deleted, "batches": 1,
			"version_conflicts": conflicts, "noops": 0, "retries": map[string]any{"bulk": 0, "search": 0},
			"throttled_millis": 0, "requests_per_second": -1, "throttled_until_millis": 0, "failures": []any{}}, nil
	case "POST /{index}/_refresh", "GET /{index}/_refresh":
		if idx == nil {
			return 0, nil, &esError{404, "index_not_found_exception", "no such index [" + p["index"] + "]"}
		}
		idx.refresh()
		return 200, map[string]any{"_shards": shards()}, nil
	}
	return 0, nil, fmt.Errorf("the fake does not implement %s %s", method, tmpl)
}

func shards() map[string]any {
	return map[string]any{"total": 1, "successful": 1, "skipped": 0, "failed": 0}
}

func docResponse(index string, d *fakeDoc, withSource bool) map[string]any {
	m := map[string]any{"_index": index, "_id": d.id, "found": true, "_seq_no": d.seqNo,
		"_primary_term": primaryTerm, "_version": d.version}
	if withSource {
		m["_source"] = d.source
	}
	return m
}

func writeResult(index, id, result string, seq, version int64) map[string]any {
	return map[string]any{"_index": index, "_id": id, "_version": version, "result": result,
		"_shards": map[string]any{"total": 2, "successful": 1, "failed": 0}, "_seq_no": seq, "_primary_term": primaryTerm}
}

func (f *fakeES) createIndex(name string, body []byte) (*fakeIndex, error) {
	idx := &fakeIndex{fields: map[string]fieldMapping{}, docs: map[string]*fakeDoc{}, searchable: map[string]*fakeDoc{}}
	if body != nil {
		var b struct {
			Mappings json.RawMessage `json:"mappings"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, &esError{400, "x_content_parse_exception", err.Error()}
		}
		if b.Mappings != nil {
			if err := collectFields(idx.fields, "", b.Mappings); err != nil {
				return nil, &esError{400, "mapper_parsing_exception", err.Error()}
			}
		}
	}
	f.indices[name] = idx
	return idx, nil
}

// autoIndex is the index, created without mappings if it is missing, as
// Elasticsearch does on a first write.
func (f *fakeES) autoIndex(name string) *fakeIndex {
	if idx := f.indices[name]; idx != nil {
		return idx
	}
	f.fail("index %s created by a write, without its mappings", name)
	idx, _ := f.createIndex(name, nil)
	return idx
}

// collectFields records the searchable fields of a mapping: those with a
// type, not in an object with enabled: false, not index: false.
func collectFields(into map[string]fieldMapping, prefix string, raw json.RawMessage) error {
	var m struct {
		Enabled    *bool                      `json:"enabled"`
		Type       string                     `json:"type"`
		Index      *bool                      `json:"index"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	if m.Enabled != nil && !*m.Enabled {
		return nil
	}
	if m.Type != "" && m.Type != "object" && m.Type != "nested" {
		if m.Index == nil || *m.Index {
			into[prefix] = fieldMapping{typ: m.Type}
		}
		return nil
	}
	for name, sub := range m.Properties {
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if err := collectFields(into, path, sub); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeES) write(idx *fakeIndex, index, id, opType, ifSeq, ifTerm string, body []byte) (int, map[string]any, error) {
	cur := idx.docs[id]
	if opType == "create" && cur != nil {
		return 0, nil, &esError{409, "version_conflict_engine_exception",
			fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", id, cur.version)}
	}
	if ifSeq != "" || ifTerm != "" {
		if ifSeq == "" || ifTerm == "" {
			return 0, nil, &esError{400, "action_request_validation_exception", "if_seq_no and if_primary_term go together"}
		}
		if cur == nil {
			return 0, nil, &esError{409, "version_conflict_engine_exception",
				fmt.Sprintf("[%s]: version conflict, required seqNo [%s], primary term [%s] but no document was found", id, ifSeq, ifTerm)}
		}
		if ifSeq != strconv.FormatInt(cur.seqNo, 10) || ifTerm != strconv.Itoa(primaryTerm) {
			return 0, nil, &esError{409, "version_conflict_engine_exception",
				fmt.Sprintf("[%s]: version conflict, required seqNo [%s], primary term [%s]. current document has seqNo [%d] and primary term [%d]",
					id, ifSeq, ifTerm, cur.seqNo, primaryTerm)}
		}
	}
	var parsed map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // longs stay exact, as Elasticsearch keeps them
	if err := dec.Decode(&parsed); err != nil {
		return 0, nil, &esError{400, "document_parsing_exception", err.Error()}
	}
	if err := idx.checkDoc(parsed); err != nil {
		return 0, nil, err
	}
	idx.seq++
	d := &fakeDoc{id: id, source: append(json.RawMessage(nil), body...), parsed: parsed, seqNo: idx.seq, version: 1}
	result, st := "created", 201
	if cur != nil {
		d.version = cur.version + 1
		result, st = "updated", 200
	}
	idx.docs[id] = d
	return st, writeResult(index, id, result, d.seqNo, d.version), nil
}

// checkDoc refuses documents whose mapped fields hold values their type
// cannot parse, as Elasticsearch does.
func (idx *fakeIndex) checkDoc(doc map[string]any) error {
	for field, fm := range idx.fields {
		for _, v := range values(doc, field) {
			if _, err := sortKey(fm.typ, v); err != nil {
				return &esError{400, "document_parsing_exception", fmt.Sprintf("failed to parse field [%s] of type [%s]: %v", field, fm.typ, err)}
			}
		}
	}
	return nil
}

func (f *fakeES) afterWrite(idx *fakeIndex, refresh string) {
	if refresh == "true" || refresh == "wait_for" {
		idx.refresh()
	}
}

func (idx *fakeIndex) refresh() { idx.searchable = maps.Clone(idx.docs) }

func (f *fakeES) bulk(defIndex string, q url.Values, body []byte) (int, any, error) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var items []any
	hasErrors := false
	touched := map[*fakeIndex]bool{}
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var action map[string]struct {
			Index       string `json:"_index"`
			ID          string `json:"_id"`
			IfSeqNo     *int64 `json:"if_seq_no"`
			IfPrimaryTm *int64 `json:"if_primary_term"`
		}
		if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
			return 0, nil, &esError{400, "illegal_argument_exception", fmt.Sprintf("malformed action line %.200s", line)}
		}
		for op, meta := range action {
			index := meta.Index
			if index == "" {
				index = defIndex
			}
			idx := f.autoIndex(index)
			var st int
			var res map[string]any
			var err error
			switch op {
			case "create", "index":
				if !sc.Scan() {
					return 0, nil, &esError{400, "illegal_argument_exception", "bulk action without its source"}
				}
				src := append([]byte(nil), bytes.TrimSpace(sc.Bytes())...)
				opType := "index"
				if op == "create" {
					opType = "create"
				}
				var ifSeq, ifTerm string
				if meta.IfSeqNo != nil {
					ifSeq = strconv.FormatInt(*meta.IfSeqNo, 10)
				}
				if meta.IfPrimaryTm != nil {
					ifTerm = strconv.FormatInt(*meta.IfPrimaryTm, 10)
				}
				st, res, err = f.write(idx, index, meta.ID, opType, ifSeq, ifTerm, src)
			case "delete":
				idx.seq++
				if d := idx.docs[meta.ID]; d != nil {
					delete(idx.docs, meta.ID)
					st, res = 200, writeResult(index, meta.ID, "deleted", idx.seq, d.version+1)
				} else {
					st, res = 404, writeResult(index, meta.ID, "not_found", idx.seq, 1)
				}
			default:
				return 0, nil, fmt.Errorf("bulk %s is not implemented", op)
			}
			if err != nil {
				e, ok := err.(*esError)
				if !ok {
					return 0, nil, err
				}
				hasErrors = true
				st = e.status
				res = map[string]any{"_index": index, "_id": meta.ID, "error": map[string]any{"type": e.typ, "reason": e.reason}}
			}
			if st < 300 {
				// refresh=wait_for waits only for what was written.
				touched[idx] = true
			}
			res["status"] = st
			items = append(items, map[string]any{op: res})
		}
	}
	for idx := range touched {
		f.afterWrite(idx, q.Get("refresh"))
	}
	return 200, map[string]any{"took": 1, "errors": hasErrors, "items": items}, nil
}

// values returns the values at a dotted path of a document (arrays
// flattened), as Elasticsearch indexes them.
func values(doc map[string]any, path string) []any {
	var cur []any = []any{doc}
	for _, part := range strings.Split(path, ".") {
		var next []any
		for _, c := range cur {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			v, ok := m[part]
			if !ok || v == nil {
				continue
			}
			if arr, ok := v.([]any); ok {
				for _, x := range arr {
					if x != nil {
						next = append(next, x)
					}
				}
			} else {
				next = append(next, v)
			}
		}
		cur = next
	}
	return cur
}

// sortKey is a value as a field of type typ indexes it: dates as epoch
// milliseconds (date) or nanoseconds (date_nanos), numbers as float64,
// keywords as strings, booleans as 0 or 1.
func sortKey(typ string, v any) (any, error) {
	switch typ {
	case "keyword":
		switch v := v.(type) {
		case string:
			return v, nil
		case json.Number:
			return v.String(), nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case bool:
			return strconv.FormatBool(v), nil
		}
		return nil, fmt.Errorf("not a keyword: %v", v)
	case "date", "date_nanos":
		switch v := v.(type) {
		case string:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, err
			}
			if typ == "date" {
				return t.UnixMilli(), nil
			}
			if t.Before(time.Unix(0, 0)) {
				return nil, fmt.Errorf("date_nanos before 1970: %s", v)
			}
			return t.UnixNano(), nil
		case float64:
			return int64(v), nil
		case json.Number:
			return v.Int64()
		}
		return nil, fmt.Errorf("not a date: %v", v)
	case "long", "integer":
		switch v := v.(type) {
		case json.Number:
			return v.Int64()
		case float64:
			if v != math.Trunc(v) {
				return nil, fmt.Errorf("not an integer: %v", v)
			}
			return int64(v), nil
		case string:
			return strconv.ParseInt(v, 10, 64)
		}
		return nil, fmt.Errorf("not a number: %v", v)
	case "double", "float":
		switch v := v.(type) {
		case json.Number:
			return v.Float64()
		case float64:
			return v, nil
		case string:
			return strconv.ParseFloat(v, 64)
		}
		return nil, fmt.Errorf("not a number: %v", v)
	case "boolean":
		switch v {
		case true, "true":
			return 1.0, nil
		case false, "false":
			return 0.0, nil
		}
		return nil, fmt.Errorf("not a boolean: %v", v)
	case "text":
		return v, nil
	}
	return nil, fmt.Errorf("the fake does not know type %s", typ)
}

func compareKeys(a, b any) int {
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case int64:
		bb := b.(int64)
		switch {
		case a < bb:
			return -1
		case a > bb:
			return 1
		}
		return 0
	case float64:
		bb := b.(float64)
		switch {
		case a < bb:
			return -1
		case a > bb:
			return 1
		}
		return 0
	}
	return 0
}

// fieldFor returns the mapping of a field a query or a sort uses, or an
// error like Elasticsearch's for a field it cannot search or sort on.
func (idx *fakeIndex) fieldFor(field string) (fieldMapping, error) {
	fm, ok := idx.fields[field]
	if !ok {
		return fm, &esError{400, "search_phase_execution_exception", fmt.Sprintf("no searchable mapping for [%s]", field)}
	}
	if fm.typ == "text" {
		return fm, &esError{400, "illegal_argument_exception", fmt.Sprintf("text field [%s] used for exact matching or sorting", field)}
	}
	return fm, nil
}

// match returns the refreshed documents a query matches, by id.
func (idx *fakeIndex) match(query json.RawMessage) ([]*fakeDoc, error) {
	var out []*fakeDoc
	for _, d := range idx.searchable {
		ok := true
		if query != nil {
			var err error
			if ok, err = idx.eval(query, d); err != nil {
				return nil, err
			}
		}
		if ok {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

func (idx *fakeIndex) eval(raw json.RawMessage, d *fakeDoc) (bool, error) {
	var q map[string]json.RawMessage
	if err := json.Unmarshal(raw, &q); err != nil {
		return false, &esError{400, "parsing_exception", err.Error()}
	}
	if len(q) != 1 {
		return false, &esError{400, "parsing_exception", "a query has exactly one type"}
	}
	for typ, body := range q {
		switch typ {
		case "match_all":
			return true, nil
		case "bool":
			return idx.evalBool(body, d)
		case "term", "terms":
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				return false, &esError{400, "parsing_exception", err.Error()}
			}
			for field, v := range m {
				if field == "boost" || field == "_name" {
					continue
				}
				fm, err := idx.fieldFor(field)
				if err != nil {
					return false, err
				}
				var wants []any
				if typ == "term" {
					var tq struct {
						Value any `json:"value"`
					}
					if err := json.Unmarshal(v, &tq); err != nil {
						return false, &esError{400, "parsing_exception", err.Error()}
					}
					wants = []any{tq.Value}
				} else if err := json.Unmarshal(v, &wants); err != nil {
					return false, &esError{400, "parsing_exception", err.Error()}
				}
				for _, have := range values(d.parsed, field) {
					hk, err := sortKey(fm.typ, have)
					if err != nil {
						return false, err
					}
					for _, w := range wants {
						wk, err := sortKey(fm.typ, w)
						if err != nil {
							return false, &esError{400, "query_shard_exception", err.Error()}
						}
						if compareKeys(hk, wk) == 0 {
							return true, nil
						}
					}
				}
				return false, nil
			}
			return false, &esError{400, "parsing_exception", typ + " without a field"}
		case "range":
			var m map[string]map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				return false, &esError{400, "parsing_exception", err.Error()}
			}
			for field, r := range m {
				fm, err := idx.fieldFor(field)
				if err != nil {
					return false, err
				}
				for _, have := range values(d.parsed, field) {
					hk, err := sortKey(fm.typ, have)
					if err != nil {
						return false, err
					}
					ok := true
					for op, bound := range r {
						bk, err := sortKey(fm.typ, bound)
						if err != nil {
							return false, &esError{400, "parse_exception", err.Error()}
						}
						c := compareKeys(hk, bk)
						switch op {
						case "gte":
							ok = ok && c >= 0
						case "gt":
							ok = ok && c > 0
						case "lte":
							ok = ok && c <= 0
						case "lt":
							ok = ok && c < 0
						default:
							return false, fmt.Errorf("the fake does not implement range %s", op)
						}
					}
					if ok {
						return true, nil
					}
				}
				return false, nil
			}
			return false, &esError{400, "parsing_exception", "range without a field"}
		}
		return false, fmt.Errorf("the fake does not implement query %s", typ)
	}
	return false, nil
}

func (idx *fakeIndex) evalBool(body json.RawMessage, d *fakeDoc) (bool, error) {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(body, &b); err != nil {
		return false, &esError{400, "parsing_exception", err.Error()}
	}
	clauses := func(raw json.RawMessage) ([]json.RawMessage, error) {
		if raw == nil {
			return nil, nil
		}
		var list []json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			err := json.Unmarshal(raw, &list)
			return list, err
		}
		return []json.RawMessage{raw}, nil
	}
	for k := range b {
		switch k {
		case "filter", "must", "must_not", "should":
		default:
			return false, fmt.Errorf("the fake does not implement bool.%s", k)
		}
	}
	for _, k := range []string{"filter", "must"} {
		list, err := clauses(b[k])
		if err != nil {
			return false, err
		}
		for _, c := range list {
			if ok, err := idx.eval(c, d); err != nil || !ok {
				return false, err
			}
		}
	}
	list, err := clauses(b["must_not"])
	if err != nil {
		return false, err
	}
	for _, c := range list {
		if ok, err := idx.eval(c, d); err != nil || ok {
			return false, err
		}
	}
	list, err = clauses(b["should"])
	if err != nil {
		return false, err
	}
	if len(list) > 0 && b["filter"] == nil && b["must"] == nil {
		for _, c := range list {
			if ok, err := idx.eval(c, d); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return true, nil
}

type sortField struct {
	field  string
	typ    string
	desc   bool
	format bool // dates sorted with a format give their sort values as text
}

func (f *fakeES) search(idx *fakeIndex, index string, body []byte) (int, any, error) {
	var req struct {
		Query          json.RawMessage              `json:"query"`
		From           *int                         `json:"from"`
		Size           *int                         `json:"size"`
		Sort           []map[string]json.RawMessage `json:"sort"`
		SearchAfter    []any                        `json:"search_after"`
		TrackTotalHits any                          `json:"track_total_hits"`
		Source         json.RawMessage              `json:"_source"`
	}
	if body != nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&req); err != nil {
			return 0, nil, &esError{400, "parsing_exception", err.Error()}
		}
	}
	from, size := 0, 10
	if req.From != nil {
		from = *req.From
	}
	if req.Size != nil {
		size = *req.Size
	}
	if from+size > 10000 {
		return 0, nil, &esError{400, "illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [10000]"}
	}
	var order []sortField
	for _, s := range req.Sort {
		for field, raw := range s {
			fm, err := idx.fieldFor(field)
			if err != nil {
				return 0, nil, err
			}
			var o struct {
				Order  string `json:"order"`
				Format string `json:"format"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				return 0, nil, &esError{400, "parsing_exception", err.Error()}
			}
			if o.Format != "" && o.Format != "strict_date_optional_time_nanos" {
				return 0, nil, fmt.Errorf("the fake does not implement sort format %s", o.Format)
			}
			if o.Format != "" && fm.typ != "date" && fm.typ != "date_nanos" {
				return 0, nil, &esError{400, "illegal_argument_exception", "format on the sort of non-date field " + field}
			}
			order = append(order, sortField{field, fm.typ, o.Order == "desc", o.Format != ""})
		}
	}
	if req.SearchAfter != nil && len(req.SearchAfter) != len(order) {
		return 0, nil, &esError{400, "illegal_argument_exception", "search_after has not the same number of values as the sort"}
	}
	hits, err := idx.match(req.Query)
	if err != nil {
		return 0, nil, err
	}
	keys := map[string][]any{}
	for _, d := range hits {
		k := make([]any, len(order))
		for i, o := range order {
			vs := values(d.parsed, o.field)
			if len(vs) == 0 {
				return 0, nil, fmt.Errorf("the fake does not sort documents missing [%s]", o.field)
			}
			kk, err := sortKey(o.typ, vs[0]) // single-valued sort fields only
			if err != nil {
				return 0, nil, err
			}
			k[i] = kk
		}
		keys[d.id] = k
	}
	cmp := func(a, b []any) int {
		for i, o := range order {
			c := compareKeys(a[i], b[i])
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	slices.SortStableFunc(hits, func(a, b *fakeDoc) int { return cmp(keys[a.id], keys[b.id]) })
	total := len(hits)
	if req.SearchAfter != nil {
		after := make([]any, len(order))
		for i, o := range order {
			k, err := sortKey(o.typ, req.SearchAfter[i])
			if err != nil {
				return 0, nil, &esError{400, "illegal_argument_exception", err.Error()}
			}
			after[i] = k
		}
		var rest []*fakeDoc
		for _, d := range hits {
			if cmp(keys[d.id], after) > 0 {
				rest = append(rest, d)
			}
		}
		hits = rest
		if from != 0 {
			return 0, nil, &esError{400, "illegal_argument_exception", "from must be 0 with search_after"}
		}
	}
	if from > len(hits) {
		from = len(hits)
	}
	hits = hits[from:min(len(hits), from+size)]
	out := []any{}
	for _, d := range hits {
		src, err := filterSource(d.source, req.Source)
		if err != nil {
			return 0, nil, err
		}
		h := map[string]any{"_index": index, "_id": d.id, "_score": nil}
		if src != nil {
			h["_source"] = src
		}
		if len(order) > 0 {
			sv := make([]any, len(order))
			for i, k := range keys[d.id] {
				sv[i] = k
				switch {
				case order[i].format && order[i].typ == "date_nanos":
					sv[i] = time.Unix(0, k.(int64)).UTC().Format(time.RFC3339Nano)
				case order[i].format:
					sv[i] = time.UnixMilli(k.(int64)).UTC().Format(time.RFC3339Nano)
				}
			}
			h["sort"] = sv
		}
		out = append(out, h)
	}
	hitsMeta := map[string]any{"max_score": nil, "hits": out}
	switch tth := req.TrackTotalHits.(type) {
	case bool:
		if tth {
			hitsMeta["total"] = map[string]any{"value": total, "relation": "eq"}
		}
	case nil:
		if total > 10000 {
			hitsMeta["total"] = map[string]any{"value": 10000, "relation": "gte"}
		} else {
			hitsMeta["total"] = map[string]any{"value": total, "relation": "eq"}
		}
	default:
		return 0, nil, fmt.Errorf("the fake does not implement track_total_hits %v", tth)
	}
	return 200, map[string]any{"took": 1, "timed_out": false, "_shards": shards(), "hits": hitsMeta}, nil
}

// filterSource applies a _source filter of top-level includes/excludes
// (or false).
func filterSource(src json.RawMessage, filter json.RawMessage) (json.RawMessage, error) {
	if filter == nil {
		return src, nil
	}
	if string(filter) == "false" {
		return nil, nil
	}
	if string(filter) == "true" {
		return src, nil
	}
	var fl struct {
		Includes []string `json:"includes"`
		Excludes []string `json:"excludes"`
	}
	if err := json.Unmarshal(filter, &fl); err != nil {
		return nil, fmt.Errorf("the fake does not implement _source %s", filter)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(src, &m); err != nil {
		return nil, err
	}
	if len(fl.Includes) > 0 {
		kept := map[string]json.RawMessage{}
		for _, k := range fl.Includes {
			if v, ok := m[k]; ok {
				kept[k] = v
			}
		}
		m = kept
	}
	for _, k := range fl.Excludes {
		delete(m, k)
	}
	return json.Marshal(m)
}
