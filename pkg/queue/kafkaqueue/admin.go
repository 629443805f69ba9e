package kafkaqueue

import (
	"context"
	"fmt"

	"github.com/hotline-jp/hotline/pkg/queue"
)

// EnsureTopics makes sure the Kafka topics of the logical topics exist,
// creating the missing ones with the configured partitions, replication
// factor and min.insync.replicas (or failing, naming the topic, when
// creation is disabled or refused). A service calls it at start, so that a
// misconfigured cluster stops it there rather than at its first message.
func (q *Queue) EnsureTopics(ctx context.Context, topics ...string) error {
	if q.isClosed() {
		return fmt.Errorf("kafkaqueue: ensure topics: %w", queue.ErrClosed)
	}
	for _, t := range topics {
		if err := q.ensureTopic(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// Ping reports whether a broker of the cluster answers, for readiness
// checks.
func (q *Queue) Ping(ctx context.Context) error {
	if q.isClosed() {
		return fmt.Errorf("kafkaqueue: ping: %w", queue.ErrClosed)
	}
	actx, cancel := q.adminContext(ctx)
	defer cancel()
	conn, err := q.dialAny(actx)
	if err != nil {
		return fmt.Errorf("kafkaqueue: ping %v: %w", q.cfg.Brokers, err)
	}
	defer conn.Close()
	if _, err := conn.Brokers(); err != nil {
		return fmt.Errorf("kafkaqueue: ping %v: %w", q.cfg.Brokers, err)
	}
	return nil
}
