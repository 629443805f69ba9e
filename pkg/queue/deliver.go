package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Publisher publishes messages; Deliver needs only this of a queue.
type Publisher interface {
	Publish(ctx context.Context, topic string, msgs ...Message) error
}

// Outcome says what Deliver did with a message.
type Outcome int

// Outcomes of Deliver.
const (
	Handled      Outcome = iota // the handler returned nil
	DeadLettered                // every attempt failed; published to the dead-letter topic
	Abandoned                   // the context ended first; the message must not be committed
)

// Deliver runs h on m under policy p: it retries failures with exponential
// backoff and, once p.MaxAttempts deliveries have failed, publishes m to the
// dead-letter topic with the last error and m's origin in headers. Every
// implementation of Queue delivers through it, so retry and dead-lettering
// behave the same everywhere. The caller commits m unless the outcome is
// Abandoned; err is non-nil only then, or when dead-lettering itself failed
// (in which case the message must not be committed either).
func Deliver(ctx context.Context, pub Publisher, p Policy, group string, m Message, h Handler) (Outcome, error) {
	p = p.WithDefaults()
	backoff := p.Backoff
	var lastErr error
	for attempt := 1; attempt <= p.MaxAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return Abandoned, err
		}
		m.Attempt = attempt
		lastErr = safeCall(ctx, h, m)
		if lastErr == nil {
			return Handled, nil
		}
		if attempt == p.MaxAttempts {
			break
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return Abandoned, ctx.Err()
		case <-t.C:
		}
		backoff *= 2
		if backoff > p.MaxBackoff {
			backoff = p.MaxBackoff
		}
	}
	dl := Message{Key: m.Key, Value: m.Value, Headers: make(map[string]string, len(m.Headers)+7)}
	for k, v := range m.Headers {
		dl.Headers[k] = v
	}
	dl.Headers[HeaderError] = lastErr.Error()
	dl.Headers[HeaderTopic] = m.Topic
	dl.Headers[HeaderPartition] = strconv.Itoa(m.Partition)
	dl.Headers[HeaderOffset] = strconv.FormatInt(m.Offset, 10)
	dl.Headers[HeaderAttempts] = strconv.Itoa(p.MaxAttempts)
	dl.Headers[HeaderGroup] = group
	dl.Headers[HeaderFailedAt] = time.Now().UTC().Format(time.RFC3339Nano)
	// Dead-lettering must not be cut short by the consumer's cancellation:
	// the message has already failed and must land somewhere.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := pub.Publish(dctx, p.DeadLetterTopic, dl); err != nil {
		return DeadLettered, fmt.Errorf("dead-letter %s/%d@%d to %s: %w", m.Topic, m.Partition, m.Offset, p.DeadLetterTopic, err)
	}
	return DeadLettered, nil
}

// safeCall runs h, turning a panic into an error so that one poisoned
// message is dead-lettered instead of taking the process down.
func safeCall(ctx context.Context, h Handler, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return h(ctx, m)
}
