package kafkaqueue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
	"github.com/hotline-jp/hotline/pkg/queue/queuetest"
)

const prefix = "hl."

// newCluster starts an in-process one-broker Kafka. Topics are not seeded
// and auto-creation stays off: the queue must create what it uses.
func newCluster(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// config is a queue over brokers tuned for tests: one broker, so one
// replica, and group timeouts at kfake's minimum session timeout.
func config(brokers []string, p queue.Policy) kafkaqueue.Config {
	return kafkaqueue.Config{
		Brokers:           brokers,
		TopicPrefix:       prefix,
		Partitions:        3,
		ReplicationFactor: 1,
		MinInsyncReplicas: 1,
		Policy:            p,
		SessionTimeout:    6 * time.Second,
		HeartbeatInterval: 500 * time.Millisecond,
		RebalanceTimeout:  6 * time.Second,
		JoinGroupBackoff:  200 * time.Millisecond,
		Logger:            testLogger,
	}
}

// testLogger logs to stderr when KAFKAQUEUE_TEST_LOG is set (to a zap
// level, e.g. debug), and nowhere otherwise. It is not zaptest's logger
// because kafka-go goroutines may log after a test has ended.
var testLogger = func() *zap.Logger {
	lvl, err := zapcore.ParseLevel(os.Getenv("KAFKAQUEUE_TEST_LOG"))
	if os.Getenv("KAFKAQUEUE_TEST_LOG") == "" || err != nil {
		return zap.NewNop()
	}
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	return zap.Must(cfg.Build())
}()

func newQueue(t *testing.T, cfg kafkaqueue.Config) *kafkaqueue.Queue {
	t.Helper()
	q, err := kafkaqueue.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("new queue: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func policy() queue.Policy {
	return queue.Policy{MaxAttempts: 3, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, DeadLetterTopic: "dead"}
}

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queuetest.Open {
		brokers := newCluster(t)
		return func(p queue.Policy) (queue.Queue, error) {
			return kafkaqueue.New(context.Background(), config(brokers, p))
		}
	})
}

func TestTopicCreatedWithConfiguredSettings(t *testing.T) {
	brokers := newCluster(t)
	cfg := config(brokers, policy())
	cfg.Partitions = 5
	q := newQueue(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Publish(ctx, "t.parts", queue.Message{Key: "a", Value: []byte("x")}); err != nil {
		t.Fatalf("publish: %v", err)
	}

	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		t.Fatalf("read partitions: %v", err)
	}
	n := 0
	for _, p := range parts {
		if p.Topic == prefix+"t.parts" {
			n++
		}
		if p.Topic == "t.parts" {
			t.Errorf("topic created without its prefix")
		}
	}
	if n != 5 {
		t.Errorf("topic %st.parts has %d partitions, want 5", prefix, n)
	}

	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	res, err := client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: prefix + "t.parts", ConfigNames: []string{"min.insync.replicas"},
	}}})
	if err != nil {
		t.Fatalf("describe configs: %v", err)
	}
	var minISR string
	for _, r := range res.Resources {
		for _, e := range r.ConfigEntries {
			if e.ConfigName == "min.insync.replicas" {
				minISR = e.ConfigValue
			}
		}
	}
	if minISR != "1" {
		t.Errorf("min.insync.replicas = %q, want 1", minISR)
	}
}

func TestTopicCreationRefused(t *testing.T) {
	brokers := newCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The one broker cannot hold three replicas.
	cfg := config(brokers, policy())
	cfg.ReplicationFactor, cfg.MinInsyncReplicas = 3, 2
	q := newQueue(t, cfg)
	err := q.Publish(ctx, "t.refused", queue.Message{Key: "a", Value: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), `"hl.t.refused"`) || !errors.Is(err, kafka.InvalidReplicationFactor) {
		t.Errorf("publish to an uncreatable topic: %v; want an InvalidReplicationFactor error naming the topic", err)
	}

	cfg = config(brokers, policy())
	cfg.DisableTopicCreation = true
	q = newQueue(t, cfg)
	err = q.Consume(ctx, "t.missing", "g", func(context.Context, queue.Message) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `"hl.t.missing"`) {
		t.Errorf("consume of a missing topic with creation disabled: %v; want an error naming the topic", err)
	}
}

func TestClosed(t *testing.T) {
	q := newQueue(t, config(newCluster(t), policy()))
	if err := q.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	ctx := context.Background()
	if err := q.Publish(ctx, "t", queue.Message{Key: "a"}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("publish after close: %v, want ErrClosed", err)
	}
	if err := q.Consume(ctx, "t", "g", func(context.Context, queue.Message) error { return nil }); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("consume after close: %v, want ErrClosed", err)
	}
}

// keysOnDistinctPartitions finds two keys that kafka.Hash puts on
// different partitions of n.
func keysOnDistinctPartitions(n int) (string, string) {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = i
	}
	h := &kafka.Hash{}
	first := h.Balance(kafka.Message{Key: []byte("k0")}, parts...)
	for i := 1; ; i++ {
		k := fmt.Sprintf("k%d", i)
		if h.Balance(kafka.Message{Key: []byte(k)}, parts...) != first {
			return "k0", k
		}
	}
}

// TestPartitionsConcurrent checks that a slow partition does not hold up
// another: the handler of one partition's message waits until the other
// partition's message has been handled.
func TestPartitionsConcurrent(t *testing.T) {
	q := newQueue(t, config(newCluster(t), policy()))
	ctx, cancel := context.WithTimeout(context.Background(), queuetest.Timeout)
	defer cancel()
	slow, fast := keysOnDistinctPartitions(3)
	if err := q.Publish(ctx, "t.conc", queue.Message{Key: slow, Value: []byte("slow")}, queue.Message{Key: fast, Value: []byte("fast")}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	fastDone := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var order []string
	err := q.Consume(ctx, "t.conc", "g", func(ctx context.Context, m queue.Message) error {
		if string(m.Value) == "slow" {
			select {
			case <-fastDone:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		mu.Lock()
		order = append(order, string(m.Value))
		done := len(order) == 2
		mu.Unlock()
		if string(m.Value) == "fast" {
			once.Do(func() { close(fastDone) })
		}
		if done {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	if len(order) != 2 || order[0] != "fast" {
		t.Errorf("handled %v, want [fast slow]: partitions must not wait for each other", order)
	}
}

// TestStatsAndLag checks the counters and the lag the cluster reports for
// a group before and after it consumed.
func TestStatsAndLag(t *testing.T) {
	q := newQueue(t, config(newCluster(t), policy()))
	ctx, cancel := context.WithTimeout(context.Background(), queuetest.Timeout)
	defer cancel()
	var msgs []queue.Message
	for i := 0; i < 10; i++ {
		msgs = append(msgs, queue.Message{Key: fmt.Sprintf("k%d", i%4), Value: []byte(fmt.Sprintf("m%d", i))})
	}
	if err := q.Publish(ctx, "t.stats", msgs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if lag, err := q.Lag(ctx, "t.stats", "g"); err != nil || lag != 10 {
		t.Fatalf("lag before consuming = %d, %v; want 10", lag, err)
	}

	// Consume until the nine good messages are handled and the poison one
	// has failed its three attempts (then it is dead-lettered even though
	// the context is cancelled).
	var mu sync.Mutex
	handled := map[string]bool{}
	poisonFails, flaky := 0, 0
	cctx, ccancel := context.WithCancel(ctx)
	defer ccancel()
	err := q.Consume(cctx, "t.stats", "g", func(_ context.Context, m queue.Message) error {
		mu.Lock()
		defer mu.Unlock()
		var err error
		switch v := string(m.Value); {
		case v == "m3":
			poisonFails++
			err = errors.New("poison")
		case v == "m5" && flaky == 0:
			flaky++
			return errors.New("transient")
		default:
			handled[v] = true
		}
		if len(handled) == 9 && poisonFails == 3 {
			ccancel()
		}
		return err
	})
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	s := q.Stats()
	if s.Processed != 9 || s.DeadLettered != 1 || s.FailedAttempts != 3+1 {
		t.Errorf("stats %+v: want 9 processed, 1 dead-lettered, 4 failed attempts", s)
	}
	// 10 messages, then the dead letter.
	if s.Published != 11 || s.ProduceCalls != 2 || s.MeanProduceLatency() <= 0 || s.ProduceLatencyMax < s.MeanProduceLatency() {
		t.Errorf("stats %+v: want 11 published in 2 calls with a latency", s)
	}
	if s.Commits == 0 {
		t.Errorf("stats %+v: no commits", s)
	}
	if lag, err := q.Lag(ctx, "t.stats", "g"); err != nil || lag != 0 {
		t.Errorf("lag after consuming = %d, %v; want 0", lag, err)
	}
	if lag, err := q.Lag(ctx, "dead", "inspect"); err != nil || lag != 1 {
		t.Errorf("lag of the dead-letter topic = %d, %v; want 1", lag, err)
	}
}

// TestPublishToTopicCreatedElsewhere publishes to a topic another process
// created after this queue's writer had cached the cluster's metadata:
// kafka-go's writer would fail on it until its cache expires.
func TestPublishToTopicCreatedElsewhere(t *testing.T) {
	brokers := newCluster(t)
	q1 := newQueue(t, config(brokers, policy()))
	q2 := newQueue(t, config(brokers, policy()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msg := queue.Message{Key: "a", Value: []byte("x")}
	if err := q1.Publish(ctx, "t.first", msg); err != nil {
		t.Fatalf("publish to a new topic: %v", err)
	}
	if err := q1.Publish(ctx, "t.second", msg); err != nil {
		t.Fatalf("publish to a second new topic: %v", err)
	}
	if err := q2.Publish(ctx, "t.third", msg); err != nil {
		t.Fatalf("publish to a third new topic: %v", err)
	}
	if err := q1.Publish(ctx, "t.third", msg); err != nil {
		t.Fatalf("publish to a topic another queue created: %v", err)
	}
}

// TestDeadLetterFailureLeavesUncommitted checks that a message whose
// dead-lettering fails stops the consumer with an error and stays
// uncommitted, while what was handled before it is committed.
func TestDeadLetterFailureLeavesUncommitted(t *testing.T) {
	brokers := newCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), queuetest.Timeout)
	defer cancel()
	q := newQueue(t, config(brokers, policy()))
	if err := q.Publish(ctx, "t.dlfail",
		queue.Message{Key: "x", Value: []byte("ok")},
		queue.Message{Key: "x", Value: []byte("poison")},
	); err != nil {
		t.Fatalf("publish: %v", err)
	}

	// This queue may not create its dead-letter topic.
	p := policy()
	p.DeadLetterTopic = "dead.missing"
	cfg := config(brokers, p)
	cfg.DisableTopicCreation = true
	qc := newQueue(t, cfg)
	err := qc.Consume(ctx, "t.dlfail", "g", func(_ context.Context, m queue.Message) error {
		if string(m.Value) == "poison" {
			return errors.New("cannot parse")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "dead-letter") {
		t.Fatalf("consume = %v, want a dead-letter error", err)
	}
	if lag, err := q.Lag(ctx, "t.dlfail", "g"); err != nil || lag != 1 {
		t.Errorf("lag = %d, %v; want 1: the poison message must stay uncommitted, ok must be committed", lag, err)
	}
	if s := qc.Stats(); s.Processed != 1 || s.DeadLettered != 0 || s.FailedAttempts != 3 {
		t.Errorf("stats %+v: want 1 processed, 0 dead-lettered, 3 failed attempts", s)
	}
}

// TestGroupMisconfigurationFails checks that Consume reports a group
// configuration the broker refuses instead of retrying it forever.
func TestGroupMisconfigurationFails(t *testing.T) {
	cfg := config(newCluster(t), policy())
	cfg.SessionTimeout = time.Second // below kfake's (and Kafka's) 6s minimum
	q := newQueue(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), queuetest.Timeout)
	defer cancel()
	err := q.Consume(ctx, "t.badgroup", "g", func(context.Context, queue.Message) error { return nil })
	if !errors.Is(err, kafka.InvalidSessionTimeout) {
		t.Errorf("consume with a refused session timeout = %v, want InvalidSessionTimeout", err)
	}
}
