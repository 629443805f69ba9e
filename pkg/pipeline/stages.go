package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/queue"
)

// Classifier is what the triage stage needs of a classifier.
type Classifier interface {
	Classify(text string) hotline.Classification
}

// Store is what the tracker needs of the case store.
type Store interface {
	AddReport(ctx context.Context, r hotline.ClassifiedReport) error
}

// Metrics counts what the stages do. Register it once per process.
type Metrics struct {
	Classified *prometheus.CounterVec // by category
	Stored     prometheus.Counter
	Failures   *prometheus.CounterVec // by stage
	Latency    *prometheus.HistogramVec
}

// NewMetrics creates the stage metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Classified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_reports_classified_total", Help: "Reports classified, by category.",
		}, []string{"category"}),
		Stored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_reports_stored_total", Help: "Reports merged into cases by the tracker (redeliveries included).",
		}),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_stage_failures_total", Help: "Failed attempts to process a message, by stage.",
		}, []string{"stage"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotline_stage_seconds", Help: "Time to process one message, by stage.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"stage"}),
	}
	reg.MustRegister(m.Classified, m.Stored, m.Failures, m.Latency)
	return m
}

// Triage is the classifier stage: it classifies each report and passes it
// on to the tracker.
type Triage struct {
	q interface {
		Publisher
		Consumer
	}
	cls Classifier
	log *zap.Logger
	m   *Metrics
	now func() time.Time
}

// NewTriage returns the classifier stage.
func NewTriage(q interface {
	Publisher
	Consumer
}, cls Classifier, m *Metrics, log *zap.Logger) *Triage {
	return &Triage{q: q, cls: cls, log: log, m: m, now: time.Now}
}

// Run consumes reports until ctx ends.
func (t *Triage) Run(ctx context.Context) error {
	return t.q.Consume(ctx, TopicReports, GroupClassifier, t.Handle)
}

// Handle classifies one report message and publishes the result.
func (t *Triage) Handle(ctx context.Context, m queue.Message) error {
	start := time.Now()
	var s hotline.Submission
	if err := json.Unmarshal(m.Value, &s); err != nil {
		t.m.Failures.WithLabelValues("classifier").Inc()
		return fmt.Errorf("decode report at %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
	}
	cl := t.cls.Classify(s.Report.Text)
	out := hotline.ClassifiedReport{Report: s.Report, Contact: s.Contact, Classification: cl, ClassifiedAt: t.now().UTC()}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode classified report %s: %w", s.Report.ID, err)
	}
	if err := t.q.Publish(ctx, TopicClassified, queue.Message{Key: s.Report.CaseID, Value: b, Headers: map[string]string{"report-id": s.Report.ID}}); err != nil {
		t.m.Failures.WithLabelValues("classifier").Inc()
		return fmt.Errorf("publish classified report %s: %w", s.Report.ID, err)
	}
	t.m.Classified.WithLabelValues(string(cl.Category)).Inc()
	t.m.Latency.WithLabelValues("classifier").Observe(time.Since(start).Seconds())
	t.log.Info("report classified", zap.String("report_id", s.Report.ID), zap.String("case_id", s.Report.CaseID),
		zap.String("category", string(cl.Category)), zap.String("subcategory", cl.Subcategory),
		zap.Float64("score", cl.Score), zap.Int("attempt", m.Attempt),
		zap.Int("partition", m.Partition), zap.Int64("offset", m.Offset))
	return nil
}

// Tracker is the stage that merges classified reports into cases.
type Tracker struct {
	q   Consumer
	st  Store
	log *zap.Logger
	m   *Metrics
}

// NewTracker returns the tracker stage.
func NewTracker(q Consumer, st Store, m *Metrics, log *zap.Logger) *Tracker {
	return &Tracker{q: q, st: st, log: log, m: m}
}

// Run consumes classified reports until ctx ends.
func (t *Tracker) Run(ctx context.Context) error {
	return t.q.Consume(ctx, TopicClassified, GroupTracker, t.Handle)
}

// Handle stores one classified report.
func (t *Tracker) Handle(ctx context.Context, m queue.Message) error {
	start := time.Now()
	var r hotline.ClassifiedReport
	if err := json.Unmarshal(m.Value, &r); err != nil {
		t.m.Failures.WithLabelValues("tracker").Inc()
		return fmt.Errorf("decode classified report at %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
	}
	if r.Report.ID == "" || !hotline.ValidCaseID(r.Report.CaseID) {
		t.m.Failures.WithLabelValues("tracker").Inc()
		return fmt.Errorf("classified report at %s/%d@%d has no valid report or case id", m.Topic, m.Partition, m.Offset)
	}
	if err := t.st.AddReport(ctx, r); err != nil {
		t.m.Failures.WithLabelValues("tracker").Inc()
		return fmt.Errorf("store report %s: %w", r.Report.ID, err)
	}
	t.m.Stored.Inc()
	t.m.Latency.WithLabelValues("tracker").Observe(time.Since(start).Seconds())
	t.log.Info("report stored", zap.String("report_id", r.Report.ID), zap.String("case_id", r.Report.CaseID),
		zap.String("category", string(r.Classification.Category)), zap.Int("attempt", m.Attempt),
		zap.Int("partition", m.Partition), zap.Int64("offset", m.Offset))
	return nil
}
