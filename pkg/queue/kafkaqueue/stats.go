package kafkaqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/hotline-jp/hotline/pkg/queue"
)

// Stats are the queue's counters since New, for metrics and health checks.
type Stats struct {
	// Published counts messages acknowledged by Publish; PublishErrors
	// counts Publish calls that failed in the writer.
	Published     int64
	PublishErrors int64
	// ProduceCalls, ProduceLatencyTotal and ProduceLatencyMax describe the
	// latency of the successful synchronous writes behind Publish.
	ProduceCalls        int64
	ProduceLatencyTotal time.Duration
	ProduceLatencyMax   time.Duration

	// Processed counts messages a handler returned nil for.
	Processed int64
	// FailedAttempts counts handler errors and panics, every retry
	// included.
	FailedAttempts int64
	// DeadLettered counts messages published to the dead-letter topic.
	DeadLettered int64
	// Commits and CommitErrors count offset commits.
	Commits      int64
	CommitErrors int64
	// FetchErrors counts failed fetches, which the consumer retries.
	FetchErrors int64
}

// MeanProduceLatency is the mean latency of successful writes.
func (s Stats) MeanProduceLatency() time.Duration {
	if s.ProduceCalls == 0 {
		return 0
	}
	return s.ProduceLatencyTotal / time.Duration(s.ProduceCalls)
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	c := &q.stats
	return Stats{
		Published:           c.published.Load(),
		PublishErrors:       c.publishErrors.Load(),
		ProduceCalls:        c.produceCalls.Load(),
		ProduceLatencyTotal: time.Duration(c.produceNanos.Load()),
		ProduceLatencyMax:   time.Duration(c.produceMax.Load()),
		Processed:           c.processed.Load(),
		FailedAttempts:      c.failedAttempts.Load(),
		DeadLettered:        c.deadLettered.Load(),
		Commits:             c.commits.Load(),
		CommitErrors:        c.commitErrors.Load(),
		FetchErrors:         c.fetchErrors.Load(),
	}
}

// Lag asks the cluster how many messages of topic (logical name) group has
// not committed yet: the sum over partitions of the end offset minus the
// committed offset, or minus the start offset where the group has not
// committed. It works for any group, consumed by this process or not.
func (q *Queue) Lag(ctx context.Context, topic, group string) (int64, error) {
	kt := q.kafkaTopic(topic)
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("kafkaqueue: lag of %s on %s: %w", group, kt, err)
	}
	if q.isClosed() {
		return fail(queue.ErrClosed)
	}
	actx, cancel := q.adminContext(ctx)
	defer cancel()
	parts, err := q.partitionsOf(actx, kt)
	if err != nil {
		return fail(err)
	}
	if len(parts) == 0 {
		return fail(kafka.UnknownTopicOrPartition)
	}
	// ListOffsets is routed to partition leaders from the transport's
	// metadata, which must know the topic.
	if err := q.refreshWriterMetadata(actx, kt); err != nil {
		return fail(err)
	}
	client := &kafka.Client{Addr: q.addr, Transport: q.transport}

	committed, err := client.OffsetFetch(actx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{kt: parts}})
	if err != nil {
		return fail(fmt.Errorf("fetch committed offsets: %w", err))
	}
	if committed.Error != nil && !errors.Is(committed.Error, kafka.GroupIdNotFound) {
		// A group that never committed is, for some brokers, not found:
		// everything is lag then.
		return fail(fmt.Errorf("fetch committed offsets: %w", committed.Error))
	}
	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	ends, err := client.ListOffsets(actx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{kt: reqs}})
	if err != nil {
		return fail(fmt.Errorf("list offsets: %w", err))
	}

	pos := map[int]int64{}
	for _, p := range committed.Topics[kt] {
		if p.Error != nil {
			return fail(fmt.Errorf("committed offset of partition %d: %w", p.Partition, p.Error))
		}
		pos[p.Partition] = p.CommittedOffset
	}
	var lag int64
	for _, po := range ends.Topics[kt] {
		if po.Error != nil {
			return fail(fmt.Errorf("offsets of partition %d: %w", po.Partition, po.Error))
		}
		from, ok := pos[po.Partition]
		if !ok || from < po.FirstOffset {
			from = po.FirstOffset // no commit yet (-1), or the commit was trimmed away
		}
		if d := po.LastOffset - from; d > 0 {
			lag += d
		}
	}
	return lag, nil
}

// partitionsOf lists the partitions of topic, none if it does not exist.
// It lists all topics rather than asking for this one, because kafka-go's
// metadata request for named topics allows auto-creation, which would
// create the topic with the broker's defaults instead of ours.
func (q *Queue) partitionsOf(ctx context.Context, topic string) ([]int, error) {
	conn, err := q.dialAny(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	all, err := conn.ReadPartitions()
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	var parts []int
	for _, p := range all {
		if p.Topic == topic {
			parts = append(parts, p.ID)
		}
	}
	return parts, nil
}
