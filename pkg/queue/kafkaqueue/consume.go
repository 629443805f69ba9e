package kafkaqueue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hotline-jp/hotline/pkg/queue"
)

// Consume delivers the messages of topic to h as a member of group, from
// the group's committed offsets (from the beginning for a new group), until
// ctx is cancelled; it then returns nil once the messages in hand are
// finished or left uncommitted and the reader has left the group.
//
// It returns an error if the topic cannot be set up, if the queue is
// closed, if the group cannot be joined for a reason retrying will not
// cure, or if dead-lettering a message failed: that message is then left
// uncommitted, so that a restart delivers it again, rather than skipped.
func (q *Queue) Consume(ctx context.Context, topic, group string, h queue.Handler) error {
	if q.isClosed() {
		return fmt.Errorf("kafkaqueue: consume %s as %s: %w", topic, group, queue.ErrClosed)
	}
	if err := q.ensureTopic(ctx, topic); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	kt := q.kafkaTopic(topic)
	log := q.log.With(zap.String("topic", kt), zap.String("group", group))
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           q.cfg.Brokers,
		GroupID:           group,
		Topic:             kt,
		Dialer:            q.cfg.Dialer,
		StartOffset:       kafka.FirstOffset, // a new group reads from the beginning
		MaxWait:           q.cfg.MaxWait,
		CommitInterval:    0, // synchronous commits, made by us after handling
		SessionTimeout:    q.cfg.SessionTimeout,
		HeartbeatInterval: q.cfg.HeartbeatInterval,
		RebalanceTimeout:  q.cfg.RebalanceTimeout,
		JoinGroupBackoff:  q.cfg.JoinGroupBackoff,
		// Partitions are fixed for a topic's life: adding some moves keys
		// (and breaks their order), and kafka-go's watcher both misses
		// changes (kafka-go#1134) and asks for metadata with
		// auto-creation allowed.
		WatchPartitionChanges: false,
		ReadLagInterval:       -1, // only meaningful without a group; see Queue.Lag
		Logger:                kafkaLogger(log, zapcore.DebugLevel),
		ErrorLogger:           kafkaLogger(log, zapcore.WarnLevel),
	})
	if !q.addReader(r) {
		go r.Close()
		return fmt.Errorf("kafkaqueue: consume %s as %s: %w", topic, group, queue.ErrClosed)
	}
	log.Info("consuming")
	c := &consumer{q: q, r: r, topic: topic, group: group, h: h, log: log}
	err := c.run(ctx)
	// The workers are done: nothing will commit through r any more.
	if cerr := q.closeReader(r); cerr != nil {
		log.Warn("close reader", zap.Error(cerr))
	}
	log.Info("stopped consuming", zap.Error(err))
	return err
}

// consumer is one Consume call: a fetch loop that hands each message to
// its partition's worker.
type consumer struct {
	q     *Queue
	r     *kafka.Reader
	topic string // logical
	group string
	h     queue.Handler
	log   *zap.Logger

	errOnce sync.Once
	err     error // the first fatal error
	stop    context.CancelFunc
}

// fail records a fatal error and stops the consumer.
func (c *consumer) fail(err error) {
	c.errOnce.Do(func() { c.err = err })
	c.stop()
}

func (c *consumer) run(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	c.stop = stop

	var wg sync.WaitGroup
	workers := map[int]chan kafka.Message{}
	// next is, per partition, the offset after the last message handed to
	// its worker. After a rebalance kafka-go fetches again from the
	// committed offset, which may be behind what the worker already has:
	// those messages are skipped rather than handled twice and out of order.
	next := map[int]int64{}
	backoff := 100 * time.Millisecond

fetch:
	for {
		m, err := c.r.FetchMessage(ctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				break fetch
			case errors.Is(err, io.EOF):
				c.fail(fmt.Errorf("kafkaqueue: consume %s as %s: reader closed: %w", c.topic, c.group, queue.ErrClosed))
				break fetch
			case permanent(err):
				c.fail(fmt.Errorf("kafkaqueue: consume %s as %s: %w", c.topic, c.group, err))
				break fetch
			}
			c.q.stats.fetchErrors.Add(1)
			c.log.Warn("fetch failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			if !sleep(ctx, backoff) {
				break fetch
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if n, ok := next[m.Partition]; ok && m.Offset < n {
			c.log.Debug("skipping message already in hand", zap.Int("partition", m.Partition), zap.Int64("offset", m.Offset))
			continue
		}
		next[m.Partition] = m.Offset + 1
		ch := workers[m.Partition]
		if ch == nil {
			ch = make(chan kafka.Message, c.q.cfg.PartitionBuffer)
			workers[m.Partition] = ch
			wg.Add(1)
			go func(partition int) {
				defer wg.Done()
				c.work(ctx, partition, ch)
			}(m.Partition)
		}
		select {
		case ch <- m:
		case <-ctx.Done():
			break fetch
		}
	}
	for _, ch := range workers {
		close(ch)
	}
	wg.Wait()
	return c.err
}

// work handles one partition's messages in offset order. It commits after
// handling, when nothing more is waiting or every CommitEvery messages,
// and once more when it stops; it never commits past a message that was
// not handled or dead-lettered.
func (c *consumer) work(ctx context.Context, partition int, ch <-chan kafka.Message) {
	var (
		pending   kafka.Message // the last message done and not yet committed
		uncommitd int
	)
	commit := func() {
		if uncommitd == 0 {
			return
		}
		c.commit(ctx, pending)
		uncommitd = 0
	}
	for km := range ch {
		if ctx.Err() != nil {
			continue // stopping: what is left stays uncommitted
		}
		switch c.deliver(ctx, km) {
		case queue.Handled, queue.DeadLettered:
			pending = km
			uncommitd++
			if len(ch) == 0 || uncommitd >= c.q.cfg.CommitEvery {
				commit()
			}
		default:
			// Abandoned, or dead-lettering failed: km must not be
			// committed, nor anything after it; ctx is done.
		}
	}
	commit()
}

// deliver runs km through queue.Deliver and keeps the counters. A failed
// dead-lettering stops the consumer.
func (c *consumer) deliver(ctx context.Context, km kafka.Message) queue.Outcome {
	m := queue.Message{
		Key:       string(km.Key),
		Value:     km.Value,
		Headers:   fromKafkaHeaders(km.Headers),
		Topic:     c.topic,
		Partition: km.Partition,
		Offset:    km.Offset,
	}
	// c.log already names the topic and group.
	fields := []zap.Field{zap.Int("partition", km.Partition), zap.Int64("offset", km.Offset), zap.String("key", m.Key)}
	h := func(ctx context.Context, m queue.Message) (err error) {
		ok := false
		defer func() {
			if !ok { // an error or a panic, which Deliver turns into one
				c.q.stats.failedAttempts.Add(1)
			}
		}()
		err = c.h(ctx, m)
		if err != nil {
			c.log.Warn("handler failed", append(fields, zap.Int("attempt", m.Attempt), zap.Error(err))...)
		}
		ok = err == nil
		return err
	}
	outcome, err := queue.Deliver(ctx, c.q, c.q.cfg.Policy, c.group, m, h)
	switch outcome {
	case queue.Handled:
		c.q.stats.processed.Add(1)
	case queue.DeadLettered:
		if err != nil {
			c.log.Error("dead-lettering failed; stopping with the message uncommitted", append(fields, zap.Error(err))...)
			c.fail(fmt.Errorf("kafkaqueue: consume %s as %s: %w", c.topic, c.group, err))
			return queue.Abandoned
		}
		c.q.stats.deadLettered.Add(1)
		c.log.Error("message dead-lettered", append(fields, zap.String("dead_letter_topic", c.q.cfg.Policy.DeadLetterTopic))...)
	case queue.Abandoned:
		c.log.Debug("message abandoned: consumer stopping", fields...)
	}
	return outcome
}

// commit commits km's partition up to and including km. It is not cut
// short by the consumer's cancellation: the message is done, and the
// commit is what keeps it from coming again.
func (c *consumer) commit(ctx context.Context, km kafka.Message) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.q.cfg.CommitTimeout)
	defer cancel()
	if err := c.r.CommitMessages(cctx, km); err != nil {
		// The next commit of the partition covers this one; failing that,
		// the messages are delivered again, which is at least once.
		c.q.stats.commitErrors.Add(1)
		c.log.Warn("commit failed", zap.Int("partition", km.Partition), zap.Int64("offset", km.Offset), zap.Error(err))
		return
	}
	c.q.stats.commits.Add(1)
	c.log.Debug("committed", zap.Int("partition", km.Partition), zap.Int64("offset", km.Offset))
}

// permanent reports whether a fetch error is one that retrying will not
// cure: a configuration or authorization problem.
func permanent(err error) bool {
	var kerr kafka.Error
	if !errors.As(err, &kerr) {
		return false
	}
	switch kerr {
	case kafka.InvalidSessionTimeout, kafka.InvalidGroupId, kafka.InconsistentGroupProtocol,
		kafka.GroupAuthorizationFailed, kafka.TopicAuthorizationFailed, kafka.SASLAuthenticationFailed:
		return true
	}
	return false
}

// sleep waits d or until ctx is done, reporting whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
