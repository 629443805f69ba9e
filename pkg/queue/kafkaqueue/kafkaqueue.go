// Package kafkaqueue is the distributed implementation of the queue contract:
// Kafka through github.com/segmentio/kafka-go.
//
// A logical topic name given to Publish or Consume maps to the Kafka topic
// Config.TopicPrefix+name. A topic that does not exist yet is created on its
// first use, through the controller, with the configured partition count,
// replication factor and min.insync.replicas, so that a key's messages stay
// on one partition for the topic's life and acks=all means what it says.
//
// Publish writes synchronously with acks=all through one kafka.Writer that
// hashes keys to partitions: it returns nil only once every in-sync replica
// has the messages, and the messages of one key keep their order.
//
// Consume joins the consumer group and fetches without committing
// (FetchMessage, never ReadMessage). Each partition is handled by its own
// goroutine, in offset order, through queue.Deliver (retries, then the
// dead-letter topic); so different partitions progress concurrently while a
// key, which lives on one partition, is handled one message at a time. A
// partition's offset is committed only after its messages up to it were
// handled or dead-lettered, which, handled in order, is the highest offset
// below which everything is done. Commits are synchronous and batched: a
// worker commits when it has nothing more in hand, or every CommitEvery
// messages. A crash therefore redelivers at most the uncommitted tail, which
// handlers absorb by being idempotent.
package kafkaqueue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hotline-jp/hotline/pkg/queue"
)

// Config configures a Queue. Brokers and Policy.DeadLetterTopic are
// required; every other zero field takes the default its comment gives.
type Config struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string
	// TopicPrefix is prepended to every logical topic name, dead-letter
	// topic included, to give the Kafka topic name.
	TopicPrefix string

	// Partitions, ReplicationFactor and MinInsyncReplicas are given to the
	// topics this queue creates. Defaults: 6 partitions, replication factor
	// 3, and min.insync.replicas of replication factor − 1 (at least 1).
	Partitions        int
	ReplicationFactor int
	MinInsyncReplicas int
	// DisableTopicCreation makes a missing topic an error instead of
	// creating it, for clusters where topics are provisioned beforehand.
	DisableTopicCreation bool

	// Policy is how consumers retry and where they dead-letter.
	Policy queue.Policy

	// Dialer carries TLS, SASL and the client id, for the reader, the
	// writer and the admin connections alike. Default: kafka.DefaultDialer.
	Dialer *kafka.Dialer

	// BatchTimeout is how long the writer waits to fill a batch before
	// sending it. Publish is synchronous, so this is latency added to every
	// call: kafka-go's default of 1s is a trap. Default 5ms.
	BatchTimeout time.Duration
	// WriteTimeout bounds one produce request. Default 10s.
	WriteTimeout time.Duration

	// MaxWait is the longest a fetch waits for data; it also bounds how
	// long the reader takes to notice that it is closing. Default 250ms.
	MaxWait time.Duration
	// SessionTimeout, HeartbeatInterval, RebalanceTimeout and
	// JoinGroupBackoff tune the consumer group membership. Defaults 10s,
	// 1s, 10s and 1s. Brokers refuse a session timeout below their
	// group.min.session.timeout.ms (6s by default).
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration
	RebalanceTimeout  time.Duration
	JoinGroupBackoff  time.Duration
	// PartitionBuffer is how many fetched messages may wait for each
	// partition's worker. Default 64.
	PartitionBuffer int
	// CommitEvery is how many handled messages a partition's worker may
	// hold uncommitted while more are waiting. Default 64.
	CommitEvery int
	// CommitTimeout bounds one commit, including the final ones made after
	// Consume's context was cancelled. Default 10s.
	CommitTimeout time.Duration
	// CloseTimeout bounds the closing of a reader (leaving the group),
	// which kafka-go can let hang. Default 5s.
	CloseTimeout time.Duration
	// AdminTimeout bounds topic lookups and creation when the caller's
	// context has no deadline. Default 30s.
	AdminTimeout time.Duration

	// Logger receives the queue's logs. Default: no logging.
	Logger *zap.Logger
}

func (c Config) withDefaults() Config {
	if c.Partitions <= 0 {
		c.Partitions = 6
	}
	if c.ReplicationFactor <= 0 {
		c.ReplicationFactor = 3
	}
	if c.MinInsyncReplicas <= 0 {
		c.MinInsyncReplicas = max(c.ReplicationFactor-1, 1)
	}
	c.Policy = c.Policy.WithDefaults()
	if c.Dialer == nil {
		c.Dialer = kafka.DefaultDialer
	}
	setDefault(&c.BatchTimeout, 5*time.Millisecond)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.MaxWait, 250*time.Millisecond)
	setDefault(&c.SessionTimeout, 10*time.Second)
	setDefault(&c.HeartbeatInterval, time.Second)
	setDefault(&c.RebalanceTimeout, 10*time.Second)
	setDefault(&c.JoinGroupBackoff, time.Second)
	setDefault(&c.CommitTimeout, 10*time.Second)
	setDefault(&c.CloseTimeout, 5*time.Second)
	setDefault(&c.AdminTimeout, 30*time.Second)
	if c.PartitionBuffer <= 0 {
		c.PartitionBuffer = 64
	}
	if c.CommitEvery <= 0 {
		c.CommitEvery = 64
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Queue is a queue.Queue over a Kafka cluster. It is safe for concurrent
// use.
type Queue struct {
	cfg       Config
	log       *zap.Logger
	addr      net.Addr
	transport *kafka.Transport
	writer    *kafka.Writer

	mu      sync.Mutex
	closed  bool
	known   map[string]bool // Kafka topics known to exist
	readers map[*kafka.Reader]struct{}

	createMu  sync.Mutex // serializes topic lookups and creation
	closeOnce sync.Once
	closeErr  error

	stats counters
}

var _ queue.Queue = (*Queue)(nil)

// New returns a Queue over the cluster cfg names. It checks that the
// cluster answers, so that a wrong address fails here rather than on the
// first message.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafkaqueue: no brokers configured")
	}
	if cfg.Policy.DeadLetterTopic == "" {
		return nil, errors.New("kafkaqueue: policy has no dead-letter topic")
	}
	cfg = cfg.withDefaults()
	if cfg.MinInsyncReplicas > cfg.ReplicationFactor {
		return nil, fmt.Errorf("kafkaqueue: min.insync.replicas %d exceeds replication factor %d", cfg.MinInsyncReplicas, cfg.ReplicationFactor)
	}
	log := cfg.Logger.With(zap.String("queue", "kafka"))
	d := cfg.Dialer
	transport := &kafka.Transport{
		Dial:     d.DialFunc,
		ClientID: d.ClientID,
		TLS:      d.TLS,
		SASL:     d.SASLMechanism,
	}
	if d.Timeout > 0 {
		transport.DialTimeout = d.Timeout
	}
	addr := kafka.TCP(cfg.Brokers...)
	q := &Queue{
		cfg:       cfg,
		log:       log,
		addr:      addr,
		transport: transport,
		known:     map[string]bool{},
		readers:   map[*kafka.Reader]struct{}{},
	}
	q.writer = &kafka.Writer{
		Addr:                   addr,
		Transport:              transport,
		Balancer:               &kafka.Hash{}, // a key stays on one partition
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           cfg.BatchTimeout,
		WriteTimeout:           cfg.WriteTimeout,
		AllowAutoTopicCreation: false, // topics are created by ensureTopic, with our settings
		ErrorLogger:            kafkaLogger(log, zap.WarnLevel),
	}

	// Fail fast on an unreachable cluster.
	pctx, cancel := q.adminContext(ctx)
	defer cancel()
	conn, err := q.dialAny(pctx)
	if err != nil {
		transport.CloseIdleConnections()
		return nil, fmt.Errorf("kafkaqueue: connect to %v: %w", cfg.Brokers, err)
	}
	_ = conn.Close()
	return q, nil
}

// kafkaTopic is the Kafka topic of a logical topic.
func (q *Queue) kafkaTopic(topic string) string { return q.cfg.TopicPrefix + topic }

// Publish appends msgs to topic and returns once all in-sync replicas
// have acknowledged them.
func (q *Queue) Publish(ctx context.Context, topic string, msgs ...queue.Message) error {
	if q.isClosed() {
		return fmt.Errorf("kafkaqueue: publish to %s: %w", topic, queue.ErrClosed)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := q.ensureTopic(ctx, topic); err != nil {
		return err
	}
	kt := q.kafkaTopic(topic)
	kms := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		kms[i] = kafka.Message{Topic: kt, Key: []byte(m.Key), Value: m.Value, Headers: toKafkaHeaders(m.Headers)}
	}
	start := time.Now()
	err := q.writer.WriteMessages(ctx, kms...)
	q.stats.observeProduce(time.Since(start), len(msgs), err)
	if err != nil {
		err = writeError(err)
		if errors.Is(err, kafka.UnknownTopicOrPartition) {
			// Deleted since we looked: look again next time.
			q.mu.Lock()
			delete(q.known, kt)
			q.mu.Unlock()
		}
		return fmt.Errorf("kafkaqueue: publish %d messages to %s: %w", len(msgs), kt, err)
	}
	return nil
}

// writeError makes the writer's error testable with errors.Is: a closed
// writer is queue.ErrClosed, and kafka.WriteErrors, which does not unwrap,
// gives its first error.
func writeError(err error) error {
	if errors.Is(err, io.ErrClosedPipe) {
		return queue.ErrClosed
	}
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil {
				return fmt.Errorf("%d of %d messages failed, the first with: %w", werrs.Count(), len(werrs), e)
			}
		}
	}
	return err
}

// Close closes any reader still open (leaving its group) and the writer;
// Publish and Consume then fail with queue.ErrClosed. Publish being
// synchronous, the writer holds nothing unacknowledged to flush. Close is
// idempotent.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		q.mu.Lock()
		q.closed = true
		readers := make([]*kafka.Reader, 0, len(q.readers))
		for r := range q.readers {
			readers = append(readers, r)
		}
		q.mu.Unlock()

		var errs []error
		for _, r := range readers {
			if err := q.closeReader(r); err != nil {
				errs = append(errs, err)
			}
		}
		if err := q.writer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("kafkaqueue: close writer: %w", err))
		}
		q.transport.CloseIdleConnections()
		q.closeErr = errors.Join(errs...)
	})
	return q.closeErr
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// addReader registers r so that Close closes it; it fails once the queue
// is closed.
func (q *Queue) addReader(r *kafka.Reader) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.readers[r] = struct{}{}
	return true
}

// closeReader closes r, giving up waiting after CloseTimeout: kafka-go's
// Reader.Close waits for the group to be left and its goroutines to end,
// which a broker that does not answer can make hang. The close goes on in
// the background and r is unregistered once it is done.
func (q *Queue) closeReader(r *kafka.Reader) error {
	done := make(chan error, 1)
	go func() {
		err := r.Close()
		q.mu.Lock()
		delete(q.readers, r)
		q.mu.Unlock()
		done <- err
	}()
	t := time.NewTimer(q.cfg.CloseTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("kafkaqueue: close reader of %s for %s: %w", r.Config().Topic, r.Config().GroupID, err)
		}
		return nil
	case <-t.C:
		q.log.Warn("reader close timed out; leaving it to finish in the background",
			zap.String("topic", r.Config().Topic), zap.String("group", r.Config().GroupID),
			zap.Duration("timeout", q.cfg.CloseTimeout))
		return nil
	}
}

// adminContext bounds an administrative call by AdminTimeout unless ctx
// already has a deadline.
func (q *Queue) adminContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, q.cfg.AdminTimeout)
}

// dialAny connects to the first broker that answers, with ctx's deadline
// on the connection.
func (q *Queue) dialAny(ctx context.Context) (*kafka.Conn, error) {
	var errs []error
	for _, b := range q.cfg.Brokers {
		conn, err := q.cfg.Dialer.DialContext(ctx, "tcp", b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		return conn, nil
	}
	return nil, errors.Join(errs...)
}

// ensureTopic makes sure the Kafka topic of topic exists, creating it if
// need be, and that the writer's metadata knows it. Topics found to exist
// are remembered, so this costs a map lookup after the first call.
func (q *Queue) ensureTopic(ctx context.Context, topic string) error {
	kt := q.kafkaTopic(topic)
	q.mu.Lock()
	known := q.known[kt]
	q.mu.Unlock()
	if known {
		return nil
	}

	q.createMu.Lock()
	defer q.createMu.Unlock()
	q.mu.Lock()
	known = q.known[kt]
	q.mu.Unlock()
	if known {
		return nil
	}

	actx, cancel := q.adminContext(ctx)
	defer cancel()
	exists, err := q.topicExists(actx, kt)
	if err != nil {
		return fmt.Errorf("kafkaqueue: look up topic %q: %w", kt, err)
	}
	if !exists {
		if q.cfg.DisableTopicCreation {
			return fmt.Errorf("kafkaqueue: topic %q does not exist and topic creation is disabled", kt)
		}
		if err := q.createTopic(actx, kt); err != nil {
			return err
		}
	}
	if err := q.refreshWriterMetadata(actx, kt); err != nil {
		return fmt.Errorf("kafkaqueue: topic %q: %w", kt, err)
	}
	q.mu.Lock()
	q.known[kt] = true
	q.mu.Unlock()
	return nil
}

// topicExists asks the cluster whether topic exists.
func (q *Queue) topicExists(ctx context.Context, topic string) (bool, error) {
	parts, err := q.partitionsOf(ctx, topic)
	return len(parts) > 0, err
}

// createTopic creates topic through the controller with the configured
// partitions, replication factor and min.insync.replicas. A topic that
// another process created meanwhile is not an error.
func (q *Queue) createTopic(ctx context.Context, topic string) error {
	fail := func(err error) error {
		if errors.Is(err, kafka.TopicAuthorizationFailed) || errors.Is(err, kafka.ClusterAuthorizationFailed) || errors.Is(err, kafka.PolicyViolation) {
			return fmt.Errorf("kafkaqueue: topic %q does not exist and this client may not create it (create it beforehand): %w", topic, err)
		}
		return fmt.Errorf("kafkaqueue: create topic %q (%d partitions, replication factor %d, min.insync.replicas %d): %w",
			topic, q.cfg.Partitions, q.cfg.ReplicationFactor, q.cfg.MinInsyncReplicas, err)
	}
	conn, err := q.dialAny(ctx)
	if err != nil {
		return fail(err)
	}
	controller, err := conn.Controller()
	_ = conn.Close()
	if err != nil {
		return fail(fmt.Errorf("find controller: %w", err))
	}
	caddr := net.JoinHostPort(controller.Host, strconv.Itoa(controller.Port))
	cconn, err := q.cfg.Dialer.DialContext(ctx, "tcp", caddr)
	if err != nil {
		return fail(fmt.Errorf("dial controller %s: %w", caddr, err))
	}
	defer cconn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = cconn.SetDeadline(dl)
	}
	err = cconn.CreateTopics(kafka.TopicConfig{
		Topic:             topic,
		NumPartitions:     q.cfg.Partitions,
		ReplicationFactor: q.cfg.ReplicationFactor,
		ConfigEntries: []kafka.ConfigEntry{
			{ConfigName: "min.insync.replicas", ConfigValue: strconv.Itoa(q.cfg.MinInsyncReplicas)},
		},
	})
	if err != nil {
		return fail(err)
	}
	q.log.Info("created topic", zap.String("topic", topic), zap.Int("partitions", q.cfg.Partitions),
		zap.Int("replication_factor", q.cfg.ReplicationFactor), zap.Int("min_insync_replicas", q.cfg.MinInsyncReplicas))
	return nil
}

// refreshWriterMetadata makes the writer's transport know topic. The
// transport answers metadata from a cache refreshed every few seconds, and
// a writer that does not allow auto-creation fails at once on a topic the
// cache lacks; so a topic created a moment ago would fail the first
// Publish. A metadata request that allows auto-creation is the one the
// transport sends to the broker when the cache lacks the topic, and it
// then waits for its cache to have it. The topic exists by now, so nothing
// is auto-created.
func (q *Queue) refreshWriterMetadata(ctx context.Context, topic string) error {
	res, err := q.transport.RoundTrip(ctx, q.addr, &metadataAPI.Request{
		TopicNames:             []string{topic},
		AllowAutoTopicCreation: true,
	})
	if err != nil {
		return fmt.Errorf("refresh metadata: %w", err)
	}
	meta, ok := res.(*metadataAPI.Response)
	if !ok {
		return fmt.Errorf("refresh metadata: unexpected response %T", res)
	}
	for _, t := range meta.Topics {
		if t.Name == topic {
			if t.ErrorCode != 0 {
				return fmt.Errorf("refresh metadata: %w", kafka.Error(t.ErrorCode))
			}
			return nil
		}
	}
	return errors.New("refresh metadata: topic missing from the response")
}

// toKafkaHeaders converts headers, in key order so that equal maps give
// equal records.
func toKafkaHeaders(h map[string]string) []kafka.Header {
	if len(h) == 0 {
		return nil
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]kafka.Header, len(keys))
	for i, k := range keys {
		out[i] = kafka.Header{Key: k, Value: []byte(h[k])}
	}
	return out
}

func fromKafkaHeaders(hs []kafka.Header) map[string]string {
	if len(hs) == 0 {
		return nil
	}
	out := make(map[string]string, len(hs))
	for _, h := range hs {
		out[h.Key] = string(h.Value)
	}
	return out
}

// kafkaLogger routes kafka-go's printf logs to log at level.
func kafkaLogger(log *zap.Logger, level zapcore.Level) kafka.Logger {
	s := log.Sugar()
	return kafka.LoggerFunc(func(msg string, args ...any) {
		s.Logf(level, "kafka-go: "+msg, args...)
	})
}

// counters are the queue's observability counters; see Stats.
type counters struct {
	published      atomic.Int64
	publishErrors  atomic.Int64
	produceCalls   atomic.Int64
	produceNanos   atomic.Int64
	produceMax     atomic.Int64
	processed      atomic.Int64
	failedAttempts atomic.Int64
	deadLettered   atomic.Int64
	commits        atomic.Int64
	commitErrors   atomic.Int64
	fetchErrors    atomic.Int64
}

func (c *counters) observeProduce(d time.Duration, n int, err error) {
	if err != nil {
		c.publishErrors.Add(1)
		return
	}
	c.published.Add(int64(n))
	c.produceCalls.Add(1)
	c.produceNanos.Add(int64(d))
	for {
		m := c.produceMax.Load()
		if int64(d) <= m || c.produceMax.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}
