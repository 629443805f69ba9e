// Package queuetest is the conformance suite of the queue contract. Every
// implementation of queue.Queue runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T) queuetest.Open { ... })
//	}
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/queue"
)

// Open opens a queue over one backend's persistent state: every call on the
// same Open sees the same topics, messages and committed offsets, as a
// process restarted on the same data directory or brokers would. The queue
// must deliver under p.
type Open func(p queue.Policy) (queue.Queue, error)

// NewBackend makes a fresh, empty backend for one test and returns how to
// open queues over it. Cleanup is the backend's, through t.Cleanup.
type NewBackend func(t *testing.T) Open

// Timeout bounds every wait of the suite; a consumer group join on a real
// broker takes seconds.
const Timeout = 60 * time.Second

// policy is the suite's delivery policy: quick retries, a dead-letter topic.
func policy() queue.Policy {
	return queue.Policy{MaxAttempts: 3, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, DeadLetterTopic: "dead"}
}

// Run runs every conformance test against the backends nb makes.
func Run(t *testing.T, nb NewBackend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"PublishConsume", testPublishConsume},
		{"OrderPerKey", testOrderPerKey},
		{"DurableAcrossReopen", testDurableAcrossReopen},
		{"ResumeFromCommitted", testResumeFromCommitted},
		{"RetryThenSucceed", testRetryThenSucceed},
		{"DeadLetter", testDeadLetter},
		{"GroupsIndependent", testGroupsIndependent},
		{"ConcurrentPublishers", testConcurrentPublishers},
		{"CancelReturns", testCancelReturns},
		{"PublishAfterClose", testPublishAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, nb(t))
		})
	}
}

func mustOpen(t *testing.T, open Open) queue.Queue {
	t.Helper()
	q, err := open(policy())
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	return q
}

func publishN(t *testing.T, q queue.Queue, topic string, keys []string, n int) []queue.Message {
	t.Helper()
	var msgs []queue.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, queue.Message{
			Key:     keys[i%len(keys)],
			Value:   []byte(fmt.Sprintf("m%03d", i)),
			Headers: map[string]string{"n": strconv.Itoa(i)},
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := q.Publish(ctx, topic, msgs...); err != nil {
		t.Fatalf("publish %d messages to %s: %v", n, topic, err)
	}
	return msgs
}

// collector records deliveries and ends consumption once want distinct
// values have been handled.
type collector struct {
	mu     sync.Mutex
	got    []queue.Message
	seen   map[string]bool
	want   int
	cancel context.CancelFunc
	fail   func(queue.Message) error
}

func (c *collector) handle(_ context.Context, m queue.Message) error {
	if c.fail != nil {
		if err := c.fail(m); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, m)
	c.seen[string(m.Value)] = true
	if len(c.seen) >= c.want && c.cancel != nil {
		c.cancel()
	}
	return nil
}

func (c *collector) messages() []queue.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]queue.Message(nil), c.got...)
}

func (c *collector) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// consume runs Consume until want distinct values were handled or the
// suite's timeout, and returns what was delivered.
func consume(t *testing.T, q queue.Queue, topic, group string, want int, fail func(queue.Message) error) *collector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c := &collector{seen: map[string]bool{}, want: want, cancel: cancel, fail: fail}
	done := make(chan error, 1)
	go func() { done <- q.Consume(ctx, topic, group, c.handle) }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("consume %s as %s: %v", topic, group, err)
		}
	case <-time.After(Timeout + 15*time.Second):
		t.Fatalf("consume %s as %s did not return after its context ended", topic, group)
	}
	if c.distinct() < want {
		t.Fatalf("consume %s as %s: got %d distinct messages, want %d", topic, group, c.distinct(), want)
	}
	return c
}

func testPublishConsume(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	sent := publishN(t, q, "t.basic", []string{"a", "b", "c"}, 12)
	c := consume(t, q, "t.basic", "g", len(sent), nil)
	byValue := map[string]queue.Message{}
	for _, m := range c.messages() {
		byValue[string(m.Value)] = m
	}
	for _, s := range sent {
		m, ok := byValue[string(s.Value)]
		if !ok {
			t.Fatalf("message %s not delivered", s.Value)
		}
		if m.Key != s.Key {
			t.Errorf("message %s: key %q, want %q", s.Value, m.Key, s.Key)
		}
		if m.Headers["n"] != s.Headers["n"] {
			t.Errorf("message %s: header n=%q, want %q", s.Value, m.Headers["n"], s.Headers["n"])
		}
		if m.Topic != "t.basic" {
			t.Errorf("message %s: topic %q", s.Value, m.Topic)
		}
		if m.Attempt != 1 {
			t.Errorf("message %s: attempt %d, want 1", s.Value, m.Attempt)
		}
	}
}

func testOrderPerKey(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	keys := []string{"k1", "k2", "k3", "k4"}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	// Two publish calls, so that order holds across calls as within one.
	seq := map[string]int{}
	for batch := 0; batch < 2; batch++ {
		var msgs []queue.Message
		for i := 0; i < 40; i++ {
			k := keys[i%len(keys)]
			seq[k]++
			msgs = append(msgs, queue.Message{Key: k, Value: []byte(fmt.Sprintf("%s-%03d", k, seq[k]))})
		}
		if err := q.Publish(ctx, "t.order", msgs...); err != nil {
			t.Fatalf("publish batch %d: %v", batch, err)
		}
	}
	c := consume(t, q, "t.order", "g", 80, nil)
	last := map[string]string{}
	for _, m := range c.messages() {
		if p, ok := last[m.Key]; ok && string(m.Value) <= p {
			t.Errorf("key %s: %s delivered after %s", m.Key, m.Value, p)
		}
		last[m.Key] = string(m.Value)
	}
}

func testDurableAcrossReopen(t *testing.T, open Open) {
	q := mustOpen(t, open)
	sent := publishN(t, q, "t.durable", []string{"a", "b"}, 10)
	if err := q.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	q2 := mustOpen(t, open)
	defer q2.Close()
	consume(t, q2, "t.durable", "g", len(sent), nil)
}

func testResumeFromCommitted(t *testing.T, open Open) {
	q := mustOpen(t, open)
	sent := publishN(t, q, "t.resume", []string{"a"}, 10)
	// Handle the first five, then stop.
	c1 := consume(t, q, "t.resume", "g", 5, nil)
	first := c1.messages()
	if err := q.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	q2 := mustOpen(t, open)
	defer q2.Close()
	handled := map[string]bool{}
	for _, m := range first {
		handled[string(m.Value)] = true
	}
	// After a restart everything not handled must come (at least once);
	// what was handled may come again, but the group must not start over
	// from the beginning once it has committed: the last message handled
	// before the stop is the furthest a redelivery may reach back.
	c2 := consume(t, q2, "t.resume", "g", len(sent)-len(handled), func(m queue.Message) error { return nil })
	seen := map[string]bool{}
	for _, m := range c2.messages() {
		seen[string(m.Value)] = true
	}
	for _, s := range sent {
		if !handled[string(s.Value)] && !seen[string(s.Value)] {
			t.Errorf("message %s neither handled before the restart nor after", s.Value)
		}
	}
	if seen["m000"] {
		t.Error("after a restart the group started over from the beginning: its committed position was lost")
	}
}

func testRetryThenSucceed(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	publishN(t, q, "t.retry", []string{"a"}, 3)
	var mu sync.Mutex
	failures := map[string]int{}
	c := consume(t, q, "t.retry", "g", 3, func(m queue.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if string(m.Value) == "m001" && failures["m001"] < 2 {
			failures["m001"]++
			return errors.New("transient")
		}
		return nil
	})
	var attempt int
	for _, m := range c.messages() {
		if string(m.Value) == "m001" {
			attempt = m.Attempt
		}
	}
	if attempt != 3 {
		t.Errorf("m001 handled on attempt %d, want 3", attempt)
	}
	msgs := c.messages()
	if len(msgs) < 3 || string(msgs[0].Value) != "m000" || string(msgs[1].Value) != "m001" || string(msgs[2].Value) != "m002" {
		t.Errorf("order after retry: %v", values(msgs))
	}
}

func values(ms []queue.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Value))
	}
	return out
}

func testDeadLetter(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	msgs := []queue.Message{
		{Key: "x", Value: []byte("ok-1")},
		{Key: "x", Value: []byte("poison"), Headers: map[string]string{"trace": "t1"}},
		{Key: "x", Value: []byte("ok-2")},
	}
	if err := q.Publish(ctx, "t.dlq", msgs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
	c := consume(t, q, "t.dlq", "g", 2, func(m queue.Message) error {
		if string(m.Value) == "poison" {
			return errors.New("cannot parse poison")
		}
		return nil
	})
	if got := values(c.messages()); len(got) != 2 || got[0] != "ok-1" || got[1] != "ok-2" {
		t.Errorf("handled %v, want [ok-1 ok-2]: the poison message must not block the partition", got)
	}
	dl := consume(t, q, policy().DeadLetterTopic, "inspect", 1, nil)
	m := dl.messages()[0]
	if string(m.Value) != "poison" || m.Key != "x" {
		t.Fatalf("dead letter %q key %q, want poison/x", m.Value, m.Key)
	}
	for h, want := range map[string]string{
		queue.HeaderError:    "cannot parse poison",
		queue.HeaderTopic:    "t.dlq",
		queue.HeaderAttempts: "3",
		queue.HeaderGroup:    "g",
		"trace":              "t1",
	} {
		if m.Headers[h] != want {
			t.Errorf("dead letter header %s = %q, want %q", h, m.Headers[h], want)
		}
	}
	if _, err := strconv.ParseInt(m.Headers[queue.HeaderOffset], 10, 64); err != nil {
		t.Errorf("dead letter offset header %q: %v", m.Headers[queue.HeaderOffset], err)
	}
	if _, err := strconv.Atoi(m.Headers[queue.HeaderPartition]); err != nil {
		t.Errorf("dead letter partition header %q: %v", m.Headers[queue.HeaderPartition], err)
	}
}

func testGroupsIndependent(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	sent := publishN(t, q, "t.groups", []string{"a", "b"}, 8)
	consume(t, q, "t.groups", "g1", len(sent), nil)
	consume(t, q, "t.groups", "g2", len(sent), nil)
}

func testConcurrentPublishers(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), Timeout)
			defer cancel()
			for i := 0; i < each; i++ {
				m := queue.Message{Key: fmt.Sprintf("w%d", w), Value: []byte(fmt.Sprintf("w%d-%02d", w, i))}
				if err := q.Publish(ctx, "t.concurrent", m); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent publish: %v", err)
	}
	c := consume(t, q, "t.concurrent", "g", writers*each, nil)
	last := map[string]string{}
	for _, m := range c.messages() {
		if p, ok := last[m.Key]; ok && string(m.Value) < p {
			t.Errorf("key %s: %s after %s", m.Key, m.Value, p)
		}
		last[m.Key] = string(m.Value)
	}
}

func testCancelReturns(t *testing.T, open Open) {
	q := mustOpen(t, open)
	defer q.Close()
	publishN(t, q, "t.cancel", []string{"a"}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- q.Consume(ctx, "t.cancel", "g", func(context.Context, queue.Message) error { return nil })
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Consume after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Consume did not return within 15s of its context being cancelled")
	}
}

func testPublishAfterClose(t *testing.T, open Open) {
	q := mustOpen(t, open)
	if err := q.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	err := q.Publish(context.Background(), "t.closed", queue.Message{Key: "a", Value: []byte("x")})
	if err == nil {
		t.Fatal("publish on a closed queue succeeded")
	}
}
