// Package deploy_test checks what an operator applies: docker-compose.yml
// at the repository root (loaded as Docker Compose loads it, with
// compose-go, since no Docker engine runs where the tests do), the Kafka
// topic specs, the Elasticsearch index templates and the Dockerfile.
package deploy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hotline-jp/hotline/pkg/node"
	"github.com/hotline-jp/hotline/pkg/pipeline"
)

func loadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("hotline", true) })
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return p
}

func flagValue(cmd []string, name string) string {
	for i, a := range cmd {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(cmd) {
			return cmd[i+1]
		}
	}
	return ""
}

func TestCompose(t *testing.T) {
	p := loadCompose(t, map[string]string{})
	for _, name := range []string{"kafka", "elasticsearch", "es-templates", "intake", "classifier", "tracker"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("no service %q; have %v", name, p.ServiceNames())
		}
	}
	for name := range p.Services {
		if strings.Contains(strings.ToLower(name), "zookeeper") {
			t.Errorf("service %q: Kafka must run in KRaft mode, without ZooKeeper", name)
		}
	}

	kafka := p.Services["kafka"]
	if roles := kafka.Environment["KAFKA_PROCESS_ROLES"]; roles == nil || !strings.Contains(*roles, "controller") {
		t.Errorf("kafka: KAFKA_PROCESS_ROLES = %v, want a KRaft controller", roles)
	}
	if _, ok := kafka.Environment["KAFKA_ZOOKEEPER_CONNECT"]; ok {
		t.Error("kafka: configured for ZooKeeper")
	}
	if v := kafka.Environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]; v == nil || *v != "false" {
		t.Error("kafka: topic auto-creation must be off (the services create topics with their spec)")
	}

	es := p.Services["elasticsearch"]
	if !regexp.MustCompile(`elasticsearch:8\.19\.\d+$`).MatchString(es.Image) {
		t.Errorf("elasticsearch image %q, want 8.19.x", es.Image)
	}
	if v := es.Environment["discovery.type"]; v == nil || *v != "single-node" {
		t.Error("elasticsearch: want a single-node development cluster")
	}

	for _, name := range []string{"kafka", "elasticsearch", "intake", "classifier", "tracker"} {
		hc := p.Services[name].HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
	}

	ports := map[string]string{"intake": "8080", "classifier": "8081", "tracker": "8082"}
	for name, port := range ports {
		s := p.Services[name]
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: not built from deploy/Dockerfile: %+v", name, s.Build)
		} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(s.Command) == 0 || s.Command[0] != name {
			t.Errorf("%s: command %q does not start the %s target", name, s.Command, name)
		}
		if got := flagValue(s.Command, "addr"); got != "0.0.0.0:"+port {
			t.Errorf("%s: --addr %q, want 0.0.0.0:%s", name, got, port)
		}
		if got := flagValue(s.Command, "brokers"); got != "kafka:9092" {
			t.Errorf("%s: --brokers %q, want kafka:9092", name, got)
		}
		// The topic spec is baked into the image from deploy/kafka.
		spec := flagValue(s.Command, "topics-config")
		if rel, ok := strings.CutPrefix(spec, "/etc/hotline/kafka/"); !ok {
			t.Errorf("%s: --topics-config %q not from the image's /etc/hotline/kafka", name, spec)
		} else if _, err := node.LoadTopicSpec(filepath.Join("kafka", rel)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		hc := s.HealthCheck
		if hc != nil && !strings.Contains(strings.Join(hc.Test, " "), "hotline probe http://127.0.0.1:"+port+"/readyz") {
			t.Errorf("%s: health check %q does not probe its own /readyz", name, hc.Test)
		}
		if dep, ok := s.DependsOn["kafka"]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: does not wait for a healthy kafka: %+v", name, s.DependsOn)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= 10*time.Second {
			t.Errorf("%s: stop_grace_period %v leaves no room for the 10 s graceful shutdown", name, s.StopGracePeriod)
		}
	}
	tr := p.Services["tracker"]
	if dep, ok := tr.DependsOn["elasticsearch"]; !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("tracker: does not wait for a healthy elasticsearch: %+v", tr.DependsOn)
	}
	if dep, ok := tr.DependsOn["es-templates"]; !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("tracker: does not wait for the index templates: %+v", tr.DependsOn)
	}
	if got := flagValue(tr.Command, "store"); got != node.StoreElasticsearch {
		t.Errorf("tracker: --store %q by default, want elasticsearch", got)
	}
	if dep, ok := p.Services["es-templates"].DependsOn["elasticsearch"]; !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Error("es-templates: does not wait for a healthy elasticsearch")
	}

	// HOTLINE_STORE switches the store without editing the file.
	p = loadCompose(t, map[string]string{"HOTLINE_STORE": "sqlite"})
	for _, name := range []string{"tracker", "intake"} {
		if got := flagValue(p.Services[name].Command, "store"); got != node.StoreSQLite {
			t.Errorf("HOTLINE_STORE=sqlite: %s --store %q", name, got)
		}
	}
}

func TestTopicSpecs(t *testing.T) {
	want := []string{pipeline.TopicReports, pipeline.TopicClassified, pipeline.TopicDead}
	slices.Sort(want)
	for _, c := range []struct {
		file          string
		minRF, minISR int
		minPartitions int
	}{
		{"kafka/topics.json", 3, 2, 6},
		{"kafka/topics.dev.json", 1, 1, 1},
	} {
		s, err := node.LoadTopicSpec(c.file)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if s.ReplicationFactor < c.minRF || s.MinInsyncReplicas < c.minISR || s.Partitions < c.minPartitions {
			t.Errorf("%s: %+v; want replication factor ≥ %d, min.insync.replicas ≥ %d, partitions ≥ %d", c.file, s, c.minRF, c.minISR, c.minPartitions)
		}
		var names []string
		for n := range s.Topics {
			names = append(names, n)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("%s describes topics %v, want %v", c.file, names, want)
		}
	}
}

// esstoreMappings is where the Elasticsearch store keeps the settings and
// mappings of its indices (embedded in the binary); the index templates
// here are made from them.
const esstoreMappings = "../pkg/store/esstore/mappings"

// indexTemplate is the template of an index whose creation body (settings
// and mappings) is body.
func indexTemplate(name string, body json.RawMessage) ([]byte, error) {
	var tpl = struct {
		IndexPatterns []string        `json:"index_patterns"`
		Priority      int             `json:"priority"`
		Meta          map[string]any  `json:"_meta"`
		Template      json.RawMessage `json:"template"`
	}{
		IndexPatterns: []string{"hotline-" + name},
		Priority:      200,
		Meta: map[string]any{
			"description": "Made from pkg/store/esstore/mappings/" + name + ".json (HOTLINE_REGEN=1 go test ./deploy); do not edit. The tracker creates the index with the same body when it is missing; apply this beforehand where it may not.",
		},
		Template: body,
	}
	b, err := json.MarshalIndent(tpl, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// TestIndexTemplatesMatchStore checks that the index templates an operator
// applies are the store's own index bodies, so that a template never
// contradicts the index the tracker creates. HOTLINE_REGEN=1 rewrites them.
func TestIndexTemplatesMatchStore(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(esstoreMappings, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no Elasticsearch store in this checkout")
	}
	regen := os.Getenv("HOTLINE_REGEN") == "1"
	want := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		want["hotline-"+name+".json"] = true
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := indexTemplate(name, body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		path := filepath.Join("elasticsearch", "index-templates", "hotline-"+name+".json")
		if regen {
			if err := os.WriteFile(path, tpl, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("no index template for the store's index %s: %v (HOTLINE_REGEN=1 go test ./deploy makes it)", name, err)
			continue
		}
		if !sameJSON(t, have, tpl) {
			t.Errorf("%s differs from %s (HOTLINE_REGEN=1 go test ./deploy rewrites it)", path, f)
		}
	}
	have, _ := filepath.Glob(filepath.Join("elasticsearch", "index-templates", "*.json"))
	for _, h := range have {
		if !want[filepath.Base(h)] {
			t.Errorf("%s matches no index of the store", h)
		}
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Errorf("invalid JSON: %v", err)
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Errorf("invalid JSON: %v", err)
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestIndexTemplates checks every template: one index each, and no
// reporter contact in any searchable field.
func TestIndexTemplates(t *testing.T) {
	files, err := filepath.Glob("elasticsearch/index-templates/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no index templates: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tpl struct {
			IndexPatterns []string `json:"index_patterns"`
			Template      struct {
				Mappings map[string]any `json:"mappings"`
			} `json:"template"`
		}
		if err := json.Unmarshal(b, &tpl); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		seen[name] = true
		if len(tpl.IndexPatterns) != 1 || tpl.IndexPatterns[0] != name {
			t.Errorf("%s: index patterns %v, want [%s]", f, tpl.IndexPatterns, name)
		}
		if tpl.Template.Mappings == nil {
			t.Errorf("%s: no mappings", f)
			continue
		}
		if dyn, ok := tpl.Template.Mappings["dynamic"]; ok && dyn != "false" && dyn != "strict" {
			t.Errorf("%s: dynamic %v maps unplanned fields (a contact among them); want false or strict", f, dyn)
		}
		if name == "hotline-contacts" {
			if tpl.Template.Mappings["enabled"] != false && !allUnindexed(tpl.Template.Mappings) {
				t.Errorf("%s: contacts must not be searchable (mappings enabled: false, or every field index: false)", f)
			}
			continue
		}
		for _, path := range searchable("", tpl.Template.Mappings) {
			if strings.Contains(path, "contact") {
				t.Errorf("%s: field %s: reporter contacts belong in hotline-contacts only, unsearchable", f, path)
			}
		}
	}
	for _, want := range []string{"hotline-cases", "hotline-reports", "hotline-actions", "hotline-contacts"} {
		if !seen[want] {
			t.Errorf("no index template %s", want)
		}
	}
}

// searchable lists the indexed field paths under a mapping.
func searchable(prefix string, m map[string]any) []string {
	if m["enabled"] == false || m["index"] == false {
		return nil
	}
	props, _ := m["properties"].(map[string]any)
	var out []string
	for name, v := range props {
		sub, _ := v.(map[string]any)
		if sub == nil {
			continue
		}
		if sub["enabled"] != false && sub["index"] != false {
			out = append(out, prefix+name)
		}
		out = append(out, searchable(prefix+name+".", sub)...)
	}
	return out
}

func allUnindexed(m map[string]any) bool {
	return len(searchable("", m)) == 0
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	user := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
			user = "" // per stage
		case "USER":
			user = f[1]
		}
	}
	if len(froms) < 2 || !strings.HasPrefix(froms[0], "golang:1.26") {
		t.Errorf("want a multi-stage build from golang:1.26, got stages %v", froms)
	}
	final := froms[len(froms)-1]
	if !strings.Contains(final, "distroless") && !strings.Contains(final, "slim") {
		t.Errorf("final stage %q: want distroless or debian-slim", final)
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("final stage runs as %q; want a non-root user", user)
	}
}
