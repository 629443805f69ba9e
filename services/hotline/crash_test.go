package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestCrashedClassifierLosesNothing is issue 4's acceptance scenario with
// real processes: a Kafka-protocol broker (kfake) in this test process,
// and the tracker (SQLite store), the intake and the classifier as three
// processes of the hotline binary. 300 reports of 300 distinct items are
// posted to the intake, each answered 202; the classifier is killed with
// SIGKILL after the 100th and started again. The tracker must end with
// exactly 300 cases holding exactly 300 reports, and keep them. Then every
// stage must stop on SIGTERM, cleanly, within 10 s.
func TestCrashedClassifierLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes")
	}
	began := time.Now()
	bin := buildBinary(t)
	t.Logf("built the binary in %v", time.Since(began).Round(time.Millisecond))

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	defer cluster.Close()
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	common := []string{
		"--brokers", brokers, "--addr", "127.0.0.1:0", "--topic-prefix", "crash.",
		"--partitions", "4", "--replication-factor", "1", "--min-insync-replicas", "1",
		// kfake's shortest group.min.session.timeout.ms: a killed member's
		// partitions move to the new one after this.
		"--session-timeout", "6s", "--heartbeat-interval", "500ms",
		"--log-format", "json",
	}
	logs := t.TempDir()
	data := t.TempDir()
	tracker := startStage(t, bin, logs, "tracker", append(common, "--store", "sqlite", "--data", data)...)
	intake := startStage(t, bin, logs, "intake", common...)
	classifier := startStage(t, bin, logs, "classifier", common...)
	t.Logf("three stages up after %v", time.Since(began).Round(time.Millisecond))

	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatalf("the tracker wrote no admin token: %v", err)
	}
	tok := strings.TrimSpace(string(token))

	// 300 reports from 8 concurrent posters, so that the classifier has
	// work in hand when it is killed after the 100th is accepted.
	const n, posters = 300, 8
	client := &http.Client{Timeout: 30 * time.Second}
	postStart := time.Now()
	jobs := make(chan int)
	hundredth := make(chan struct{})
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body := fmt.Sprintf(`{"url":"https://crash.example/thread/%d","description":"高額報酬 受け子 募集 %d"}`, i, i)
				resp, err := client.Post("http://"+intake.addr+"/api/v1/reports", "application/json", strings.NewReader(body))
				if err != nil {
					t.Errorf("POST report %d: %v", i, err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					t.Errorf("POST report %d: %d %s", i, resp.StatusCode, b)
					continue
				}
				if accepted.Add(1) == 100 {
					close(hundredth)
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 1; i <= n; i++ {
			jobs <- i
		}
	}()
	select {
	case <-hundredth:
	case <-time.After(60 * time.Second):
		t.Fatalf("100 reports not accepted after 60 s")
	}
	classifier.kill(t)
	t.Logf("SIGKILLed the classifier after %d reports were accepted", accepted.Load())
	classifier = startStage(t, bin, logs, "classifier", common...)
	t.Logf("classifier restarted after %d reports were accepted", accepted.Load())
	wg.Wait()
	if t.Failed() || accepted.Load() != n {
		t.Fatalf("%d of %d reports accepted", accepted.Load(), n)
	}
	t.Logf("%d reports accepted (202) in %v", n, time.Since(postStart).Round(time.Millisecond))
	im := scrapeMetrics(t, client, intake.addr)
	t.Logf("intake: %s; %s; %s", metricLine(im, "hotline_queue_produce_latency_seconds_sum"),
		metricLine(im, "hotline_queue_produce_latency_seconds_count"), metricLine(im, "hotline_queue_produce_latency_max_seconds"))

	// Poll until every report is a case.
	waitStart := time.Now()
	deadline := waitStart.Add(90 * time.Second)
	for {
		total, _ := casePage(t, client, tracker.addr, tok, 1)
		if total == n {
			break
		}
		if total > n {
			t.Fatalf("tracker total %d > %d", total, n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracker total is %d, want %d, after %v\nclassifier log tail:\n%s\ntracker log tail:\n%s",
				total, n, time.Since(waitStart), classifier.tail(), tracker.tail())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("tracker reached %d cases %v after the last report", n, time.Since(waitStart).Round(time.Millisecond))

	// Exactly once: 300 cases of one report each, and it stays so.
	check := func(when string) {
		total, reports := casePage(t, client, tracker.addr, tok, 1000)
		if total != n || reports != n {
			t.Errorf("%s: %d cases holding %d reports, want %d and %d", when, total, reports, n, n)
		}
	}
	check("at once")
	time.Sleep(3 * time.Second)
	check("3 s later")
	m := scrapeMetrics(t, client, tracker.addr)
	t.Logf("tracker: %s; %s", metricLine(m, "hotline_reports_stored_total"), metricLine(m, "hotline_queue_dead_lettered_total"))
	if !strings.Contains(m, "hotline_queue_dead_lettered_total 0") {
		t.Errorf("the tracker dead-lettered messages:\n%s", tracker.tail())
	}

	// A graceful stop mid-stream: 50 more reports, the classifier stopped
	// with SIGTERM while it works on them (it must finish what it holds,
	// commit, leave its group and exit 0 within 10 s), then started again.
	const more = 50
	for i := n + 1; i <= n+more; i++ {
		body := fmt.Sprintf(`{"url":"https://crash.example/thread/%d","description":"一緒に死にませんか %d"}`, i, i)
		resp, err := client.Post("http://"+intake.addr+"/api/v1/reports", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST report %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST report %d: %d", i, resp.StatusCode)
		}
		if i == n+more/2 {
			go classifier.terminate(t, 10*time.Second)
		}
	}
	<-classifier.done
	classifier = startStage(t, bin, logs, "classifier", common...)
	deadline = time.Now().Add(60 * time.Second)
	for {
		total, reports := casePage(t, client, tracker.addr, tok, 1000)
		if total == n+more && reports == n+more {
			break
		}
		if total > n+more || reports > n+more || time.Now().After(deadline) {
			t.Fatalf("after a graceful restart: %d cases holding %d reports, want %d", total, reports, n+more)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("after a SIGTERM mid-stream and a restart: %d cases, %d reports", n+more, n+more)

	// Graceful shutdown: SIGTERM, exit 0 within 10 s.
	for _, s := range []*stageProc{intake, classifier, tracker} {
		s.terminate(t, 10*time.Second)
	}
	t.Logf("whole scenario: %v", time.Since(began).Round(time.Millisecond))
}

// buildBinary builds this command into a temporary directory, without the
// race detector (the processes are not what is under the detector here).
func buildBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "hotline")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stageProc is one stage running as a process.
type stageProc struct {
	name string
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed once the process exited
	err  error         // its exit, once done

	mu    sync.Mutex
	lines []string // the last log lines
}

// startStage starts `hotline <name> args...` and waits until it serves.
func startStage(t *testing.T, bin, logDir, name string, args ...string) *stageProc {
	t.Helper()
	logFile, err := os.CreateTemp(logDir, name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	s := &stageProc{name: name, done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{name}, args...)...)
	s.cmd.Stdout = logFile
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	serving := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			s.mu.Lock()
			if s.lines = append(s.lines, line); len(s.lines) > 40 {
				s.lines = s.lines[1:]
			}
			s.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(rec.Msg, "hotline stage serving") && rec.Addr != "" {
				select {
				case serving <- rec.Addr:
				default:
				}
			}
		}
	}()
	go func() {
		<-scanned // Wait must not close the pipe before the logs are read
		s.err = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.addr = <-serving:
		return s
	case <-s.done:
		t.Fatalf("%s exited before serving: %v\n%s", name, s.err, s.tail())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s not serving after 60 s\n%s", name, s.tail())
	}
	return nil
}

func (s *stageProc) tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *stageProc) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s: %v", s.name, err)
	}
	<-s.done
}

// terminate sends SIGTERM and checks that the process exits 0 within d.
func (s *stageProc) terminate(t *testing.T, d time.Duration) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM %s: %v", s.name, err)
		return
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Errorf("%s exited with %v after SIGTERM\n%s", s.name, s.err, s.tail())
		}
		t.Logf("%s stopped on SIGTERM in %v", s.name, time.Since(start).Round(time.Millisecond))
	case <-time.After(d):
		t.Errorf("%s still running %v after SIGTERM\n%s", s.name, d, s.tail())
	}
}

// casePage returns the tracker's case total and the reports held by the
// first limit cases.
func casePage(t *testing.T, c *http.Client, addr, token string, limit int) (total, reports int) {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/v1/cases?limit=%d", addr, limit), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET cases: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET cases: %d %s", resp.StatusCode, b)
	}
	var page struct {
		Total int `json:"total"`
		Cases []struct {
			ReportCount int `json:"report_count"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("cases JSON: %v", err)
	}
	for _, c := range page.Cases {
		reports += c.ReportCount
	}
	return page.Total, reports
}

func scrapeMetrics(t *testing.T, c *http.Client, addr string) string {
	t.Helper()
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("GET metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metricLine returns the exposition line of an unlabelled metric.
func metricLine(metrics, name string) string {
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return name + " (absent)"
}
