// Package queue is the contract between the pipeline's stages: topics of
// keyed messages, published durably and consumed at least once by consumer
// groups.
//
// Two implementations keep it: package diskqueue, a durable queue on local
// disk for embedded mode, and package kafkaqueue, Kafka through kafka-go for
// distributed mode. Both pass the conformance suite in package queuetest.
//
// The promises, which every implementation keeps and the suite checks:
//
//   - Publish returns nil only once every message is durable (on disk, or
//     acknowledged by all in-sync replicas). A message it returned nil for is
//     delivered after any crash or restart.
//   - Messages with the same key are delivered to a group in the order they
//     were published, one at a time.
//   - Delivery is at least once: a message is committed for its group only
//     after the handler returned nil for it (or after it was dead-lettered),
//     and never before every earlier message of its partition was. Handlers
//     must therefore be idempotent.
//   - A handler error is retried (Policy.MaxAttempts in all); a message that
//     still fails is published to the dead-letter topic with the error and
//     its origin in headers, then committed: it never blocks its partition
//     and is never silently dropped.
//   - Cancelling the context given to Consume stops fetching; the message in
//     hand is finished (or left uncommitted) and Consume returns nil.
package queue

import (
	"context"
	"errors"
	"time"
)

// Message is one record of a topic.
type Message struct {
	// Key routes the message: all messages with one key stay in order.
	// The pipeline keys by case id.
	Key     string
	Value   []byte
	Headers map[string]string

	// Set on delivery.
	Topic     string
	Partition int
	Offset    int64
	// Attempt counts deliveries of this message to this consumer, from 1.
	Attempt int
}

// Handler processes one delivered message. Returning nil commits it.
type Handler func(ctx context.Context, m Message) error

// Queue is what a stage sees of the queue.
type Queue interface {
	// Publish appends msgs to topic, returning nil only once all are durable.
	Publish(ctx context.Context, topic string, msgs ...Message) error
	// Consume delivers the messages of topic to h as a member of group,
	// from the group's committed position, until ctx is cancelled.
	Consume(ctx context.Context, topic, group string, h Handler) error
	// Close releases the queue's resources. Consume calls should have
	// returned first.
	Close() error
}

// Headers set on a dead-lettered message.
const (
	HeaderError       = "x-dead-letter-error"
	HeaderTopic       = "x-dead-letter-topic"
	HeaderPartition   = "x-dead-letter-partition"
	HeaderOffset      = "x-dead-letter-offset"
	HeaderAttempts    = "x-dead-letter-attempts"
	HeaderGroup       = "x-dead-letter-group"
	HeaderFailedAt    = "x-dead-letter-time"
	DefaultMaxAttempt = 5
)

// ErrClosed is returned by operations on a closed queue.
var ErrClosed = errors.New("queue closed")

// Policy says how a consumer retries and where it dead-letters.
type Policy struct {
	MaxAttempts     int           // deliveries before dead-lettering; default 5
	Backoff         time.Duration // first pause between attempts, doubled each time; default 100ms
	MaxBackoff      time.Duration // default 5s
	DeadLetterTopic string        // required
}

// WithDefaults fills the zero fields of p.
func (p Policy) WithDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempt
	}
	if p.Backoff <= 0 {
		p.Backoff = 100 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 5 * time.Second
	}
	return p
}
