package esstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specFile is Elastic's OpenAPI description of the REST API, kept outside
// the project (with its licence) in ../shared/es-spec from the module
// root.
const specFile = "elasticsearch-serverless-openapi-8.19.json"

// specCache loads the 3.5 MB specification once per test binary; every
// test shares its validator, whose tally TestMain reports.
var specCache = sync.OnceValues(func() (*validator, error) {
	doc, err := loadSpec()
	if err != nil {
		return nil, err
	}
	return &validator{doc: doc, shapes: map[string]int{}}, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if v, err := specCache(); err == nil && testing.Verbose() {
		shapes := v.Shapes()
		ops := map[string]bool{}
		for _, s := range shapes {
			f := strings.SplitN(s, " ", 4)
			ops[f[0]+" "+f[1]+" "+f[2]] = true
		}
		fmt.Printf("validated against the specification: %d distinct request shapes in %d operations with their parameters\n", len(shapes), len(ops))
		for _, op := range slices.Sorted(maps.Keys(ops)) {
			fmt.Printf("  %s\n", op)
		}
	}
	os.Exit(code)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func loadSpec() (*openapi3.T, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "..", "shared", "es-spec", specFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("the Elasticsearch OpenAPI specification is missing (%s): %w", path, err)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	relaxOneOf(doc)
	// _types.Metadata (a _meta object) is Record<string, any> in the
	// TypeScript source but renders as values of type object; Elasticsearch
	// takes any JSON value there.
	if m := doc.Components.Schemas["_types.Metadata"]; m != nil && m.Value != nil {
		m.Value.AdditionalProperties = openapi3.AdditionalProperties{Schema: openapi3.NewSchemaRef("", openapi3.NewSchema())}
	}
	return doc, nil
}

// relaxOneOf turns every oneOf of the specification into an anyOf. The
// specification is generated from TypeScript, whose unions are not
// exclusive: a string is both a FieldValue string and a UserDefinedValue,
// a date range both a DateRangeQuery and an UntypedRangeQuery, a _bulk
// document line both an operation and a document. Read as JSON Schema's
// exclusive oneOf, valid requests would fail; read as anyOf, they are
// checked as Elasticsearch reads them.
func relaxOneOf(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.OneOf) > 0 {
			s.AnyOf = append(s.AnyOf, s.OneOf...)
			s.OneOf = nil
			s.Discriminator = nil
		}
		for _, list := range []openapi3.SchemaRefs{s.AnyOf, s.AllOf} {
			for _, r := range list {
				walk(r)
			}
		}
		walk(s.Not)
		walk(s.Items)
		for _, r := range s.Properties {
			walk(r)
		}
		walk(s.AdditionalProperties.Schema)
	}
	for _, r := range doc.Components.Schemas {
		walk(r)
	}
	for _, rb := range doc.Components.RequestBodies {
		if rb.Value != nil {
			for _, mt := range rb.Value.Content {
				walk(mt.Schema)
			}
		}
	}
	for _, rr := range doc.Components.Responses {
		if rr.Value != nil {
			for _, mt := range rr.Value.Content {
				walk(mt.Schema)
			}
		}
	}
	for _, p := range doc.Components.Parameters {
		if p.Value != nil {
			walk(p.Value.Schema)
		}
	}
	for _, pi := range doc.Paths.Map() {
		for _, op := range pi.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					walk(p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, rr := range op.Responses.Map() {
				if rr.Value != nil {
					for _, mt := range rr.Value.Content {
						walk(mt.Schema)
					}
				}
			}
		}
	}
}

// spec returns a validator over the specification, or skips the test (in
// CI, fails it) when the specification is not there.
func spec(t *testing.T) *validator {
	t.Helper()
	v, err := specCache()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI must provide ../shared/es-spec next to the repository", err)
		}
		t.Skipf("%v: spec-validated Elasticsearch tests skipped", err)
	}
	return v
}

// validator checks requests and responses against the specification and
// counts the distinct request shapes it has seen.
type validator struct {
	doc    *openapi3.T
	mu     sync.Mutex
	shapes map[string]int
}

func (v *validator) route(method, tmpl string) (*routers.Route, error) {
	pi := v.doc.Paths.Find(tmpl)
	if pi == nil {
		return nil, fmt.Errorf("no path %s in the specification", tmpl)
	}
	op := pi.GetOperation(method)
	if op == nil {
		return nil, fmt.Errorf("no %s %s in the specification", method, tmpl)
	}
	return &routers.Route{Spec: v.doc, Path: tmpl, PathItem: pi, Method: method, Operation: op}, nil
}

func (v *validator) input(method, tmpl string, params map[string]string, query url.Values, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, err := v.route(method, tmpl)
	if err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "http", Host: "es.test", Path: tmpl, RawQuery: query.Encode()}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true},
	}, nil
}

// request validates one request: its query parameters and its JSON body
// (for _bulk, the NDJSON lines turned into an array, as the specification
// models it).
func (v *validator) request(method, tmpl string, params map[string]string, query url.Values, body []byte) error {
	in, err := v.input(method, tmpl, params, query, body)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s: %w", method, tmpl, err)
	}
	v.mu.Lock()
	v.shapes[shape(method, tmpl, query, body)]++
	v.mu.Unlock()
	return nil
}

// response validates a response body against the operation's 200
// response (a 201 is checked as the 200 it extends).
func (v *validator) response(method, tmpl string, params map[string]string, query url.Values, reqBody []byte, status int, body []byte) error {
	in, err := v.input(method, tmpl, params, query, reqBody)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		status = http.StatusOK
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h,
		Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true},
	}
	rin.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		return fmt.Errorf("response to %s %s: %w", method, tmpl, err)
	}
	return nil
}

// Shapes returns the distinct request shapes validated, sorted.
func (v *validator) Shapes() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, 0, len(v.shapes))
	for s := range v.shapes {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// shape is a request's operation, query parameter names and the skeleton
// of its body (keys and value kinds, not values).
func shape(method, tmpl string, query url.Values, body []byte) string {
	var keys []string
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sk := ""
	if body != nil {
		var v any
		if json.Unmarshal(body, &v) == nil {
			sk = skeleton(v)
		}
	}
	return fmt.Sprintf("%s %s ?%s %s", method, tmpl, strings.Join(keys, "&"), sk)
}

func skeleton(v any) string {
	switch v := v.(type) {
	case map[string]any:
		var parts []string
		for k, x := range v {
			// Field names under these are data, not structure.
			if k == "_id" || k == "_index" {
				parts = append(parts, k)
				continue
			}
			parts = append(parts, k+":"+skeleton(x))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		seen := map[string]bool{}
		var parts []string
		for _, x := range v {
			s := skeleton(x)
			if !seen[s] {
				seen[s] = true
				parts = append(parts, s)
			}
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, "|") + "]"
	case string:
		return "s"
	case float64:
		return "n"
	case bool:
		return "b"
	case nil:
		return "null"
	}
	return "?"
}
