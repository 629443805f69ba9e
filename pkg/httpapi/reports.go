package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/pipeline"
)

// readBody reads a JSON request body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &statusError{http.StatusUnsupportedMediaType, "Content-Type", "Content-Type must be application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, &statusError{http.StatusBadRequest, "body", "could not read the request body"}
	}
	return body, nil
}

// decodeObject decodes a JSON object into its fields, checking that the
// document is well formed, that nothing follows it and that every string
// field is valid UTF-8 (encoding/json would silently replace bad bytes), and
// names the field at fault when one is not.
func decodeObject(body []byte, where string) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		msg := "malformed JSON"
		if err != nil {
			msg += ": " + err.Error()
		} else {
			msg = "expected a JSON object"
		}
		return nil, &statusError{http.StatusBadRequest, where, msg}
	}
	if dec.More() {
		return nil, &statusError{http.StatusBadRequest, where, "malformed JSON: data after the object"}
	}
	return fields, nil
}

// readObject reads a JSON object body of at most limit bytes that may hold
// only the allowed fields.
func readObject(w http.ResponseWriter, r *http.Request, limit int64, allowed ...string) (map[string]json.RawMessage, error) {
	body, err := readBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	fields, err := decodeObject(body, "body")
	if err != nil {
		return nil, err
	}
	if err := onlyFields(fields, "", allowed...); err != nil {
		return nil, err
	}
	return fields, nil
}

// stringField decodes an optional string field.
func stringField(fields map[string]json.RawMessage, name, path string) (string, error) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	if !utf8.Valid(raw) {
		return "", &statusError{http.StatusBadRequest, path, path + " is not valid UTF-8"}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &statusError{http.StatusBadRequest, path, path + " must be a string"}
	}
	return s, nil
}

// onlyFields rejects fields other than those named.
func onlyFields(fields map[string]json.RawMessage, prefix string, allowed ...string) error {
	for k := range fields {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			field := prefix + k
			if k == "" { // an empty key still needs a name to point at
				field = strings.TrimSuffix(prefix, ".")
				if field == "" {
					field = "body"
				}
			}
			return &statusError{http.StatusBadRequest, field, fmt.Sprintf("unknown field %q", prefix+k)}
		}
	}
	return nil
}

// postReport takes a public report: {"url","description","contact"}.
func (s *server) postReport(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, MaxReportBody)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	in, err := parseReport(body)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	sub, err := s.cfg.Intake.Prepare(in)
	if fe, ok := pipeline.IsFieldError(err); ok && fe.Field == "text" {
		err = &pipeline.FieldError{Field: "description", Msg: fe.Msg}
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	acc, err := s.cfg.Intake.Publish(r.Context(), sub)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusAccepted, acc[0])
}

func parseReport(body []byte) (pipeline.Input, error) {
	fields, err := decodeObject(body, "body")
	if err != nil {
		return pipeline.Input{}, err
	}
	if err := onlyFields(fields, "", "url", "description", "contact"); err != nil {
		return pipeline.Input{}, err
	}
	var in pipeline.Input
	if in.URL, err = stringField(fields, "url", "url"); err != nil {
		return in, err
	}
	if in.Text, err = stringField(fields, "description", "description"); err != nil {
		return in, err
	}
	if in.Contact, err = stringField(fields, "contact", "contact"); err != nil {
		return in, err
	}
	in.Source = hotline.SourcePublic
	return in, nil
}

// hitResult is the outcome of one crawler hit.
type hitResult struct {
	Index  int    `json:"index"`
	Status string `json:"status"` // "accepted" or "rejected"
	ID     string `json:"id,omitempty"`
	CaseID string `json:"case_id,omitempty"`
	Error  string `json:"error,omitempty"`
	Field  string `json:"field,omitempty"`
}

type hitsResponse struct {
	Accepted int         `json:"accepted"`
	Rejected int         `json:"rejected"`
	Results  []hitResult `json:"results"`
}

// apiKey returns the crawler key of a request: "Authorization: Bearer" or
// "X-API-Key".
func apiKey(r *http.Request) (string, error) {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k, nil
	}
	return auth.BearerToken(r.Header.Get("Authorization"))
}

// postHits takes a batch of crawler hits: {"hits":[{"url","text","hit_id"}]}.
// Valid hits are made durable together; invalid ones are rejected one by
// one, each result naming its problem.
func (s *server) postHits(w http.ResponseWriter, r *http.Request) {
	key, err := apiKey(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	k, err := auth.CheckAPIKey(r.Context(), s.cfg.Keys, key)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	fields, err := readObject(w, r, MaxHitsBody, "hits")
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	var hits []json.RawMessage
	if err := json.Unmarshal(fields["hits"], &hits); err != nil || hits == nil {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "hits", "hits must be an array of objects"})
		return
	}
	if len(hits) == 0 || len(hits) > MaxHits {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "hits", fmt.Sprintf("a batch holds 1 to %d hits", MaxHits)})
		return
	}
	resp := hitsResponse{Results: make([]hitResult, len(hits))}
	var (
		subs  []hotline.Submission
		index []int
	)
	for i, raw := range hits {
		resp.Results[i].Index = i
		in, err := parseHit(raw, i)
		if err == nil {
			in.Source, in.Crawler = hotline.SourceCrawler, k.Name
			var sub hotline.Submission
			if sub, err = s.cfg.Intake.Prepare(in); err == nil {
				subs = append(subs, sub)
				index = append(index, i)
				continue
			}
		}
		res := &resp.Results[i]
		res.Status = "rejected"
		var (
			se *statusError
			fe *pipeline.FieldError
		)
		switch {
		case errors.As(err, &se):
			res.Error, res.Field = se.msg, se.field
		case errors.As(err, &fe):
			res.Error, res.Field = fe.Error(), fmt.Sprintf("hits[%d].%s", i, fe.Field)
		default:
			res.Error = err.Error()
		}
		resp.Rejected++
	}
	acc, err := s.cfg.Intake.Publish(r.Context(), subs...)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	for j, a := range acc {
		res := &resp.Results[index[j]]
		res.Status, res.ID, res.CaseID = "accepted", a.ID, a.CaseID
		resp.Accepted++
	}
	writeJSON(w, http.StatusOK, resp)
}

func parseHit(raw json.RawMessage, i int) (pipeline.Input, error) {
	prefix := fmt.Sprintf("hits[%d].", i)
	fields, err := decodeObject(raw, fmt.Sprintf("hits[%d]", i))
	if err != nil {
		return pipeline.Input{}, err
	}
	if err := onlyFields(fields, prefix, "url", "text", "hit_id"); err != nil {
		return pipeline.Input{}, err
	}
	var in pipeline.Input
	if in.URL, err = stringField(fields, "url", prefix+"url"); err != nil {
		return in, err
	}
	if in.Text, err = stringField(fields, "text", prefix+"text"); err != nil {
		return in, err
	}
	if in.HitID, err = stringField(fields, "hit_id", prefix+"hit_id"); err != nil {
		return in, err
	}
	return in, nil
}
