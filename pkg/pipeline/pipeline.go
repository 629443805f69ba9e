// Package pipeline holds the three stages of the hotline's pipeline and the
// topics that join them:
//
//	intake ─▶ [reports] ─▶ triage (classifier) ─▶ [classified] ─▶ tracker ─▶ store
//
// The stages see only the queue and store contracts, never which
// implementation is behind them, so the same code runs in one process over
// the embedded queue and SQLite or as separate processes over Kafka and
// Elasticsearch. Every message is keyed by case id, so one item's reports
// stay in order, and carries the report id, which makes every write
// idempotent: a redelivered message changes nothing.
package pipeline

import (
	"context"

	"github.com/hotline-jp/hotline/pkg/queue"
)

// Logical topic names (a deployment may prefix them).
const (
	TopicReports    = "reports"      // hotline.Submission, from the intake
	TopicClassified = "classified"   // hotline.ClassifiedReport, from the classifier
	TopicDead       = "dead-letters" // messages that failed every attempt
)

// Consumer groups of the stages.
const (
	GroupClassifier = "classifier"
	GroupTracker    = "tracker"
)

// Publisher is what the intake and the classifier need of a queue.
type Publisher interface {
	Publish(ctx context.Context, topic string, msgs ...queue.Message) error
}

// Consumer is what the classifier and the tracker need of a queue.
type Consumer interface {
	Consume(ctx context.Context, topic, group string, h queue.Handler) error
}
