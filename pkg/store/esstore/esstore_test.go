package esstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/hotline-jp/hotline/pkg/store"
	"github.com/hotline-jp/hotline/pkg/store/esstore"
	"github.com/hotline-jp/hotline/pkg/store/storetest"
)

// TestConformance runs the store conformance suite against the fake
// Elasticsearch, every request and response checked against Elastic's
// specification.
func TestConformance(t *testing.T) {
	v := spec(t)
	storetest.Run(t, func(t *testing.T) storetest.Open {
		srv := newFakeES(t, v)
		return func() (store.Store, error) {
			return esstore.Open(context.Background(), esstore.Config{URL: srv.URL, IndexPrefix: "hotline-"})
		}
	})
}

// TestLiveConformance runs the suite against a real cluster at ES_URL
// (ES_USERNAME/ES_PASSWORD or ES_API_KEY authenticate, ES_CA_CERT names
// the PEM file of a private CA), each test in
// indices of its own prefix, deleted afterwards.
func TestLiveConformance(t *testing.T) {
	addr := os.Getenv("ES_URL")
	if addr == "" {
		t.Skip("ES_URL not set: live Elasticsearch conformance skipped")
	}
	cfg := esstore.Config{URL: addr, Username: os.Getenv("ES_USERNAME"), Password: os.Getenv("ES_PASSWORD"), APIKey: os.Getenv("ES_API_KEY")}
	if f := os.Getenv("ES_CA_CERT"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("ES_CA_CERT: %v", err)
		}
		cfg.CACert = pem
	}
	storetest.Run(t, func(t *testing.T) storetest.Open {
		b := make([]byte, 4)
		rand.Read(b)
		c := cfg
		c.IndexPrefix = "hotline-test-" + hex.EncodeToString(b) + "-"
		t.Cleanup(func() { deleteIndices(t, c) })
		return func() (store.Store, error) { return esstore.Open(context.Background(), c) }
	})
}

func deleteIndices(t *testing.T, c esstore.Config) {
	es, err := elasticsearch.NewTypedClient(elasticsearch.Config{Addresses: []string{c.URL}, Username: c.Username, Password: c.Password, APIKey: c.APIKey, CACert: c.CACert})
	if err != nil {
		t.Errorf("clean up: %v", err)
		return
	}
	for _, name := range esstore.IndexNames() {
		if _, err := es.Indices.Delete(c.IndexPrefix + name).IgnoreUnavailable(true).Do(context.Background()); err != nil {
			t.Errorf("clean up index %s: %v", c.IndexPrefix+name, err)
		}
	}
}

// TestIndexBodies checks every index body Open sends against the
// specification, and that the index templates in
// deploy/elasticsearch/index-templates (made from these bodies by the
// deploy package's tests, HOTLINE_REGEN=1 go test ./deploy) carry the
// same settings and mappings and are valid templates.
func TestIndexBodies(t *testing.T) {
	v := spec(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range esstore.IndexNames() {
		body, err := esstore.IndexBody(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.request("PUT", "/{index}", map[string]string{"index": "hotline-" + name}, url.Values{}, body); err != nil {
			t.Errorf("index %s: %v", name, err)
		}
		path := filepath.Join(root, "deploy", "elasticsearch", "index-templates", "hotline-"+name+".json")
		tb, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			t.Logf("no index template %s: the deploy package makes them", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := v.request("PUT", "/_index_template/{name}", map[string]string{"name": "hotline-" + name}, url.Values{}, tb); err != nil {
			t.Errorf("template %s: %v", path, err)
		}
		var tmpl struct {
			IndexPatterns []string `json:"index_patterns"`
			Template      any      `json:"template"`
		}
		var want any
		if err := json.Unmarshal(tb, &tmpl); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tmpl.Template, want) || len(tmpl.IndexPatterns) != 1 || tmpl.IndexPatterns[0] != "hotline-"+name {
			t.Errorf("%s does not match mappings/%s.json: HOTLINE_REGEN=1 go test ./deploy rewrites it", path, name)
		}
	}
}
