package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/node"
	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
)

// keywordClassifier stands in for the real classifier: the stages are
// under test here, not the classification.
type keywordClassifier struct{}

func (keywordClassifier) Classify(text string) hotline.Classification {
	if strings.Contains(text, "受け子") {
		return hotline.Classification{Category: hotline.CriminalRecruitment, Score: 0.9, Priority: 3,
			Evidence: []hotline.Evidence{{Term: "受け子", Category: hotline.CriminalRecruitment, Kind: "lexicon", Weight: 1}}}
	}
	return hotline.Classification{Category: hotline.None, Score: 0.9}
}

// stageConfig is a stage over the one-broker cluster at brokers, with
// kfake's shortest group timeouts.
func stageConfig(brokers []string, dir, store string) node.StageConfig {
	return node.StageConfig{
		Addr: "127.0.0.1:0",
		Kafka: kafkaqueue.Config{
			Brokers: brokers, TopicPrefix: "test.",
			Partitions: 3, ReplicationFactor: 1, MinInsyncReplicas: 1,
			SessionTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
			RebalanceTimeout: 6 * time.Second, JoinGroupBackoff: 200 * time.Millisecond,
		},
		Store:   store,
		DataDir: dir,
		Logger:  zap.NewNop(), // kafka-go goroutines may log after a test ended
	}
}

func stopStage(t *testing.T, s *node.Stage) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown %s: %v", s.Name(), err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("shutdown %s took %v", s.Name(), d)
	}
}

// TestDistributedStages runs the three stages of distributed mode in this
// process over an in-process Kafka: reports posted to the intake reach
// the tracker's store as cases, once each, and every stage serves its
// operational endpoints.
func TestDistributedStages(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	ctx := context.Background()
	dir := t.TempDir()

	tracker, err := node.StartTracker(ctx, stageConfig(brokers, dir, node.StoreSQLite))
	if err != nil {
		t.Fatalf("start tracker: %v", err)
	}
	defer stopStage(t, tracker)
	ccfg := stageConfig(brokers, "", "")
	ccfg.Classifier = keywordClassifier{}
	classifier, err := node.StartClassifier(ctx, ccfg)
	if err != nil {
		t.Fatalf("start classifier: %v", err)
	}
	defer stopStage(t, classifier)
	intake, err := node.StartIntake(ctx, stageConfig(brokers, "", ""))
	if err != nil {
		t.Fatalf("start intake: %v", err)
	}
	defer stopStage(t, intake)
	// A second intake with a store, sharing the tracker's, takes crawler hits.
	crawlIntake, err := node.StartIntake(ctx, stageConfig(brokers, dir, node.StoreSQLite))
	if err != nil {
		t.Fatalf("start intake with a store: %v", err)
	}
	defer stopStage(t, crawlIntake)

	token := readToken(t, dir)
	in, tr := "http://"+intake.Addr(), "http://"+tracker.Addr()
	const items, perItem = 12, 3
	for i := 0; i < items; i++ {
		for j := 0; j < perItem; j++ {
			text := "気になる書き込み"
			if i%2 == 0 {
				text = "高額報酬 受け子 募集"
			}
			body, _ := json.Marshal(map[string]string{"url": fmt.Sprintf("https://board.example/t/%d?utm_source=%d", i, j), "description": text})
			if code, b := httpDo(t, "POST", in+"/api/v1/reports", "", string(body)); code != http.StatusAccepted {
				t.Fatalf("POST report: %d %s", code, b)
			}
		}
	}

	// Crawler hits: refused clearly without a store, accepted with one.
	code, b := httpDo(t, "POST", in+"/api/v1/crawler/hits", "", `{"hits":[]}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "store") {
		t.Errorf("crawler hits at an intake without a store: %d %s, want a 503 saying why", code, b)
	}
	code, b = httpDo(t, "POST", tr+"/api/v1/crawler-keys", token, `{"name":"patrol"}`)
	var key struct {
		Key string `json:"key"`
	}
	if json.Unmarshal(b, &key); code != http.StatusCreated || key.Key == "" {
		t.Fatalf("create crawler key at the tracker: %d %s", code, b)
	}
	code, b = httpDo(t, "POST", "http://"+crawlIntake.Addr()+"/api/v1/crawler/hits", key.Key,
		`{"hits":[{"url":"https://board.example/crawled","text":"受け子 募集","hit_id":"c1"}]}`)
	if code/100 != 2 || !strings.Contains(string(b), `"accepted":1`) {
		t.Errorf("crawler hits at an intake with a store: %d %s", code, b)
	}

	var page struct {
		Total int            `json:"total"`
		Cases []hotline.Case `json:"cases"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, b := httpDo(t, "GET", tr+"/api/v1/cases?limit=100", token, "")
		if code != http.StatusOK {
			t.Fatalf("case list: %d %s", code, b)
		}
		page.Cases = nil
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("case list JSON: %v", err)
		}
		reports := 0
		for _, c := range page.Cases {
			reports += c.ReportCount
		}
		if page.Total == items+1 && reports == items*perItem+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracker has %d cases with %d reports, want %d with %d", page.Total, reports, items+1, items*perItem+1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	recruit := 0
	for _, c := range page.Cases {
		if c.Category == hotline.CriminalRecruitment {
			recruit++
		}
	}
	if recruit != items/2+1 {
		t.Errorf("%d criminal recruitment cases, want %d", recruit, items/2+1)
	}

	for _, s := range []*node.Stage{intake, classifier, tracker} {
		base := "http://" + s.Addr()
		for _, p := range []string{"/healthz", "/readyz"} {
			if code, b := httpDo(t, "GET", base+p, "", ""); code != http.StatusOK {
				t.Errorf("%s %s: %d %s", s.Name(), p, code, b)
			}
		}
	}
	want := map[*node.Stage][]string{
		intake:     {"hotline_queue_published_total 36", "hotline_queue_produce_latency_seconds_count"},
		classifier: {`hotline_queue_lag{group="classifier",topic="reports"}`, "hotline_queue_processed_total 37", "hotline_queue_dead_lettered_total 0", "hotline_reports_classified_total"},
		tracker:    {`hotline_queue_lag{group="tracker",topic="classified"}`, "hotline_queue_processed_total 37", "hotline_reports_stored_total 37"},
	}
	for s, lines := range want {
		m := scrape(t, "http://"+s.Addr())
		for _, l := range lines {
			if !strings.Contains(m, l) {
				t.Errorf("%s /metrics lacks %q", s.Name(), l)
			}
		}
	}
	// The staff API is the tracker's alone.
	if code, _ := httpDo(t, "GET", in+"/api/v1/cases", token, ""); code != http.StatusNotFound {
		t.Errorf("intake serves the staff API: %d", code)
	}
	if code, _ := httpDo(t, "POST", "http://"+classifier.Addr()+"/api/v1/reports", "", `{"url":"https://x.example/"}`); code != http.StatusNotFound {
		t.Errorf("classifier serves reports: %d", code)
	}
}

// TestStageStartErrors checks that a stage refuses a configuration it
// cannot run with, saying why.
func TestStageStartErrors(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	ctx := context.Background()
	esMissing := "not available in this build"
	if node.StoreAvailable(node.StoreElasticsearch) {
		esMissing = "no addresses"
	}
	cases := []struct {
		name  string
		start func(context.Context, node.StageConfig) (*node.Stage, error)
		cfg   node.StageConfig
		want  string
	}{
		{"tracker without a store", node.StartTracker, stageConfig(brokers, t.TempDir(), ""), "no store"},
		{"elasticsearch without addresses", node.StartTracker, stageConfig(brokers, t.TempDir(), node.StoreElasticsearch), esMissing},
		{"classifier without classifier", node.StartClassifier, stageConfig(brokers, "", ""), "no classifier"},
		{"too many replicas", node.StartIntake, func() node.StageConfig {
			c := stageConfig(brokers, "", "")
			c.Kafka.ReplicationFactor, c.Kafka.MinInsyncReplicas = 3, 2
			return c
		}(), `"test.reports"`},
		{"topic creation disabled", node.StartIntake, func() node.StageConfig {
			c := stageConfig(brokers, "", "")
			c.Kafka.DisableTopicCreation = true
			c.Kafka.TopicPrefix = "absent."
			return c
		}(), "topic creation is disabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.start(ctx, c.cfg)
			if err == nil {
				stopStage(t, s)
				t.Fatalf("started; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// httpDo makes a request with an optional bearer token and JSON body.
func httpDo(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func readToken(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, auth.AdminTokenFile))
	if err != nil {
		t.Fatalf("admin token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	_, b := httpDo(t, "GET", base+"/metrics", "", "")
	return string(b)
}
