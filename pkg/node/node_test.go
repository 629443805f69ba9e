package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hotline-jp/hotline/classifiers"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/node"
	"github.com/hotline-jp/hotline/pkg/pipeline"
	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/diskqueue"
)

// The classifier loads the dictionary once per process; tests share it.
var (
	clsOnce sync.Once
	cls     *classifiers.Classifier
	clsErr  error
)

func classifier(t *testing.T) *classifiers.Classifier {
	t.Helper()
	clsOnce.Do(func() { cls, clsErr = classifiers.New(classifiers.Options{}) })
	if clsErr != nil {
		t.Fatalf("load classifier: %v", clsErr)
	}
	return cls
}

func start(t *testing.T, dir string) *node.Embedded {
	t.Helper()
	n, err := node.StartEmbedded(context.Background(), node.Config{
		Addr: "127.0.0.1:0", DataDir: dir, Classifier: classifier(t), Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return n
}

func stop(t *testing.T, n *node.Embedded) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// waitCase polls the case until ok accepts it.
func waitCase(t *testing.T, base, token, id string, ok func(hotline.Case) bool) hotline.Case {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var c hotline.Case
	for time.Now().Before(deadline) {
		code, b := httpDo(t, "GET", base+"/api/v1/cases/"+id, token, "")
		if code == 200 {
			c = hotline.Case{}
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatalf("case JSON: %v", err)
			}
			if ok(c) {
				return c
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("case %s did not reach the expected state; last seen %+v", id, c)
	return c
}

const recruitment = "【即日即金】高額報酬 荷物を受け取るだけの簡単なお仕事 受け子 詳細はテレグラムで @xxxx_123"

// TestWalkingPipeline is the scenario: two reports of one item, in
// two spellings of its URL, merge into one case classified as criminal
// recruitment, and the case survives a restart.
func TestWalkingPipeline(t *testing.T) {
	dir := t.TempDir()
	n := start(t, dir)
	base := "http://" + n.Addr()
	token := readToken(t, dir)
	if fi, err := os.Stat(filepath.Join(dir, "admin.token")); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.token mode %v, want 0600", fi.Mode().Perm())
	}

	post := func(url, text string) map[string]string {
		body, _ := json.Marshal(map[string]string{"url": url, "description": text, "contact": "reporter@example.org"})
		code, b := httpDo(t, "POST", base+"/api/v1/reports", "", string(body))
		if code != http.StatusAccepted {
			t.Fatalf("POST report: %d %s", code, b)
		}
		var out map[string]string
		json.Unmarshal(b, &out)
		return out
	}
	a := post("https://Example.com:443/board/thread/123/?utm_source=x#res5", recruitment)
	b := post("https://example.com/board/thread/123", "このスレッドの書き込みが気になります")
	if a["case_id"] == "" || a["case_id"] != b["case_id"] {
		t.Fatalf("case ids %q and %q differ", a["case_id"], b["case_id"])
	}
	if code, body := httpDo(t, "POST", base+"/api/v1/reports", "", `{"url":`); code != 400 {
		t.Errorf("malformed body: %d %s", code, body)
	}
	c := waitCase(t, base, token, a["case_id"], func(c hotline.Case) bool { return c.ReportCount == 2 })
	if c.Category != hotline.CriminalRecruitment {
		t.Errorf("category %s (%v), want criminal_recruitment", c.Category, c.Evidence)
	}
	if c.CanonicalURL != "https://example.com/board/thread/123" || len(c.Reports) != 2 || len(c.Evidence) == 0 {
		t.Errorf("case %+v", c)
	}
	_, raw := httpDo(t, "GET", base+"/api/v1/cases/"+c.ID, token, "")
	if bytes.Contains(raw, []byte("reporter@example.org")) {
		t.Error("the case API shows the reporter's contact")
	}
	stop(t, n)

	n2 := start(t, dir)
	defer stop(t, n2)
	base = "http://" + n2.Addr()
	if readToken(t, dir) != token {
		t.Error("the admin token changed across a restart")
	}
	c = waitCase(t, base, token, a["case_id"], func(hotline.Case) bool { return true })
	if c.ReportCount != 2 || c.Category != hotline.CriminalRecruitment {
		t.Errorf("after restart: count %d category %s", c.ReportCount, c.Category)
	}
	code, body := httpDo(t, "GET", base+"/api/v1/cases?limit=1", token, "")
	var page struct {
		Total int            `json:"total"`
		Cases []hotline.Case `json:"cases"`
	}
	json.Unmarshal(body, &page)
	if code != 200 || page.Total != 1 || len(page.Cases) != 1 {
		t.Errorf("case list: %d %s", code, body)
	}
}

// TestAcceptedBeforeCrashIsProcessed puts a report on the durable queue as
// an intake would and "crashes" before any stage ran; the next start must
// process it.
func TestAcceptedBeforeCrashIsProcessed(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	q, err := diskqueue.Open(ctx, filepath.Join(dir, node.QueueFile), diskqueue.Options{Policy: queue.Policy{DeadLetterTopic: pipeline.TopicDead}})
	if err != nil {
		t.Fatal(err)
	}
	in := pipeline.NewIntake(q, zaptest.NewLogger(t))
	sub, err := in.Prepare(pipeline.Input{URL: "https://example.net/post/9", Text: "一緒に死にませんか 今週末 DMください"})
	if err != nil {
		t.Fatal(err)
	}
	// The same report twice, as a redelivery would bring it: it must count once.
	accs, err := in.Publish(ctx, sub, sub)
	if err != nil {
		t.Fatal(err)
	}
	acc := accs[0]
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	n := start(t, dir)
	defer stop(t, n)
	token := readToken(t, dir)
	base := "http://" + n.Addr()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(scrape(t, base), "hotline_reports_stored_total 2") {
		if time.Now().After(deadline) {
			t.Fatalf("the tracker did not process both deliveries:\n%s", scrape(t, base))
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := waitCase(t, base, token, acc.CaseID, func(hotline.Case) bool { return true })
	if c.ReportCount != 1 || c.Category != hotline.SuicideInducement {
		t.Errorf("case after restart: count %d category %s", c.ReportCount, c.Category)
	}
}
