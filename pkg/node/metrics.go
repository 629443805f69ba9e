package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
)

// queueCollector exports a Kafka queue's counters (kafkaqueue.Stats) to
// Prometheus at every scrape.
type queueCollector struct {
	q *kafkaqueue.Queue

	published, publishErrors, produce, produceMax *prometheus.Desc
	processed, failedAttempts, deadLettered       *prometheus.Desc
	commits, commitErrors, fetchErrors            *prometheus.Desc
}

var _ prometheus.Collector = (*queueCollector)(nil)

func newQueueCollector(q *kafkaqueue.Queue) *queueCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("hotline_queue_"+name, help, nil, nil)
	}
	return &queueCollector{
		q:              q,
		published:      d("published_total", "Messages acknowledged by all in-sync replicas."),
		publishErrors:  d("publish_errors_total", "Publish calls that failed."),
		produce:        d("produce_latency_seconds", "Latency of successful synchronous produce requests (acks=all)."),
		produceMax:     d("produce_latency_max_seconds", "Longest successful produce request since start."),
		processed:      d("processed_total", "Messages a handler processed successfully."),
		failedAttempts: d("failed_attempts_total", "Handler errors and panics, every retry included."),
		deadLettered:   d("dead_lettered_total", "Messages published to the dead-letter topic after their last attempt failed."),
		commits:        d("commits_total", "Offset commits."),
		commitErrors:   d("commit_errors_total", "Offset commits that failed (the next commit covers them, or the messages come again)."),
		fetchErrors:    d("fetch_errors_total", "Failed fetches, which the consumer retries."),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.published, c.publishErrors, c.produce, c.produceMax,
		c.processed, c.failedAttempts, c.deadLettered, c.commits, c.commitErrors, c.fetchErrors} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.q.Stats()
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	counter(c.published, s.Published)
	counter(c.publishErrors, s.PublishErrors)
	ch <- prometheus.MustNewConstSummary(c.produce, uint64(s.ProduceCalls), s.ProduceLatencyTotal.Seconds(), nil)
	ch <- prometheus.MustNewConstMetric(c.produceMax, prometheus.GaugeValue, s.ProduceLatencyMax.Seconds())
	counter(c.processed, s.Processed)
	counter(c.failedAttempts, s.FailedAttempts)
	counter(c.deadLettered, s.DeadLettered)
	counter(c.commits, s.Commits)
	counter(c.commitErrors, s.CommitErrors)
	counter(c.fetchErrors, s.FetchErrors)
}
