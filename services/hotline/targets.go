package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/classifiers"
	"github.com/hotline-jp/hotline/pkg/logging"
	"github.com/hotline-jp/hotline/pkg/node"
	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
)

// The targets of distributed mode: one stage per process, joined by Kafka.
// Flags and wiring only; the stages are started by package node.

// Elasticsearch credentials come from the environment, never from flags
// (which any user of the machine can read in the process list).
const (
	envESUsername = "HOTLINE_ES_USERNAME"
	envESPassword = "HOTLINE_ES_PASSWORD"
	envESAPIKey   = "HOTLINE_ES_API_KEY" // base64 "id:key"

	envKafkaUsername = "HOTLINE_KAFKA_USERNAME"
	envKafkaPassword = "HOTLINE_KAFKA_PASSWORD"
)

// stageFlags are the flags every stage has.
type stageFlags struct {
	fs                *flag.FlagSet
	addr              *string
	brokers           *string
	topicPrefix       *string
	group             *string
	topicsConfig      *string
	partitions        *int
	replicationFactor *int
	minInsync         *int
	noCreateTopics    *bool
	sessionTimeout    *time.Duration
	heartbeat         *time.Duration
	logLevel          *string
	logFormat         *string
	kafkaTLS          *bool
	kafkaCACert       *string
	kafkaSASL         *string

	// store flags, for the stages that have them
	store    *string
	data     *string
	es       *string
	esCACert *string
}

func newStageFlags(name, defaultAddr string, stderr io.Writer) *stageFlags {
	fs := newFlags(name, stderr)
	return &stageFlags{
		fs:                fs,
		addr:              fs.String("addr", defaultAddr, "HTTP listen address (/healthz, /readyz, /metrics and the stage's API)"),
		brokers:           fs.String("brokers", "", "Kafka bootstrap brokers, comma-separated host:port (required)"),
		topicPrefix:       fs.String("topic-prefix", "hotline.", "prefix of the Kafka topic names"),
		group:             fs.String("group", "", "consumer group (default: the stage's own group)"),
		topicsConfig:      fs.String("topics-config", "", "topic spec (JSON, e.g. deploy/kafka/topics.json): partitions, replication factor, min.insync.replicas of the topics created at start"),
		partitions:        fs.Int("partitions", 0, "partitions of created topics (overrides --topics-config; default 6)"),
		replicationFactor: fs.Int("replication-factor", 0, "replication factor of created topics (overrides --topics-config; default 3)"),
		minInsync:         fs.Int("min-insync-replicas", 0, "min.insync.replicas of created topics (overrides --topics-config; default replication factor - 1)"),
		noCreateTopics:    fs.Bool("no-create-topics", false, "fail at start if a topic is missing instead of creating it"),
		sessionTimeout:    fs.Duration("session-timeout", 10*time.Second, "consumer group session timeout (at least the broker's group.min.session.timeout.ms)"),
		heartbeat:         fs.Duration("heartbeat-interval", time.Second, "consumer group heartbeat interval"),
		logLevel:          fs.String("log-level", "info", "log level: debug, info, warn, error"),
		logFormat:         fs.String("log-format", "json", "log format: json or console"),
		kafkaTLS:          fs.Bool("kafka-tls", false, "connect to the brokers over TLS, verifying them against the system's roots"),
		kafkaCACert:       fs.String("kafka-ca-cert", "", "PEM file of the private CA that signed the brokers' certificates (implies --kafka-tls)"),
		kafkaSASL:         fs.String("kafka-sasl", "", "SASL mechanism: PLAIN (with TLS only), SCRAM-SHA-256 or SCRAM-SHA-512; credentials from $"+envKafkaUsername+" and $"+envKafkaPassword),
	}
}

// storeFlags adds --store, --data and --es with the given default store.
func (f *stageFlags) storeFlags(defaultStore, storeHelp string) {
	f.store = f.fs.String("store", defaultStore, storeHelp)
	f.data = f.fs.String("data", "./data", "data directory: the SQLite database (--store sqlite) and the admin token")
	f.esCACert = f.fs.String("es-ca-cert", "", "PEM file of the private CA that signed the Elasticsearch cluster's certificate")
	f.es = f.fs.String("es", "", "Elasticsearch URLs, comma-separated (--store elasticsearch; credentials from $"+envESUsername+" and $"+envESPassword+", or $"+envESAPIKey+")")
}

// parse parses args and returns the stage's configuration and logger.
func (f *stageFlags) parse(args []string) (node.StageConfig, *zap.Logger, error) {
	if err := f.fs.Parse(args); err != nil {
		return node.StageConfig{}, nil, err
	}
	if f.fs.NArg() > 0 {
		return node.StageConfig{}, nil, usageError(fmt.Sprintf("%s takes no arguments, got %q", f.fs.Name(), f.fs.Args()))
	}
	brokers := splitList(*f.brokers)
	if len(brokers) == 0 {
		return node.StageConfig{}, nil, usageError("--brokers is required")
	}
	var spec node.TopicSpec
	if *f.topicsConfig != "" {
		s, err := node.LoadTopicSpec(*f.topicsConfig)
		if err != nil {
			return node.StageConfig{}, nil, usageError(err.Error())
		}
		spec = s
	}
	for _, o := range []struct {
		flag string
		v    int
		dst  *int
	}{
		{"partitions", *f.partitions, &spec.Partitions},
		{"replication-factor", *f.replicationFactor, &spec.ReplicationFactor},
		{"min-insync-replicas", *f.minInsync, &spec.MinInsyncReplicas},
	} {
		if o.v < 0 {
			return node.StageConfig{}, nil, usageError(fmt.Sprintf("--%s must not be negative", o.flag))
		}
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if err := spec.Validate(); err != nil {
		return node.StageConfig{}, nil, usageError(err.Error())
	}
	cfg := node.StageConfig{Addr: *f.addr, Group: *f.group}
	cfg.Kafka.Brokers = brokers
	cfg.Kafka.TopicPrefix = *f.topicPrefix
	cfg.Kafka.DisableTopicCreation = *f.noCreateTopics
	cfg.Kafka.SessionTimeout = *f.sessionTimeout
	cfg.Kafka.HeartbeatInterval = *f.heartbeat
	cfg.Kafka.RebalanceTimeout = *f.sessionTimeout
	sec := kafkaqueue.Security{
		TLS: *f.kafkaTLS, SASL: *f.kafkaSASL,
		Username: os.Getenv(envKafkaUsername), Password: os.Getenv(envKafkaPassword),
	}
	if sec.SASL != "" && (sec.Username == "" || sec.Password == "") {
		return node.StageConfig{}, nil, usageError(fmt.Sprintf("--kafka-sasl %s needs $%s and $%s", sec.SASL, envKafkaUsername, envKafkaPassword))
	}
	if *f.kafkaCACert != "" {
		pem, err := os.ReadFile(*f.kafkaCACert)
		if err != nil {
			return node.StageConfig{}, nil, fmt.Errorf("--kafka-ca-cert: %w", err)
		}
		sec.CACert = pem
	}
	dialer, err := sec.Dialer()
	if err != nil {
		return node.StageConfig{}, nil, usageError(err.Error())
	}
	cfg.Kafka.Dialer = dialer
	spec.Apply(&cfg.Kafka)
	if f.store != nil {
		cfg.Store, cfg.DataDir, cfg.ElasticsearchURLs = *f.store, *f.data, splitList(*f.es)
		cfg.ElasticsearchUsername, cfg.ElasticsearchPassword = os.Getenv(envESUsername), os.Getenv(envESPassword)
		cfg.ElasticsearchAPIKey = os.Getenv(envESAPIKey)
		if *f.esCACert != "" {
			pem, err := os.ReadFile(*f.esCACert)
			if err != nil {
				return node.StageConfig{}, nil, fmt.Errorf("--es-ca-cert: %w", err)
			}
			cfg.ElasticsearchCACert = pem
		}
		switch {
		case cfg.Store == "":
		case cfg.Store != node.StoreSQLite && cfg.Store != node.StoreElasticsearch:
			return node.StageConfig{}, nil, usageError(fmt.Sprintf("--store %q: want %s or %s", cfg.Store, node.StoreSQLite, node.StoreElasticsearch))
		case !node.StoreAvailable(cfg.Store):
			return node.StageConfig{}, nil, fmt.Errorf("--store %s: %w", cfg.Store, node.ErrStoreNotAvailable)
		case cfg.Store == node.StoreElasticsearch && len(cfg.ElasticsearchURLs) == 0:
			return node.StageConfig{}, nil, usageError("--store elasticsearch needs --es")
		}
	}
	log, err := logging.New(*f.logLevel, *f.logFormat)
	if err != nil {
		return node.StageConfig{}, nil, usageError(err.Error())
	}
	cfg.Logger = log
	return cfg, log, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runIntake(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	f := newStageFlags("intake", "127.0.0.1:8080", stderr)
	f.storeFlags("", "store for crawler keys: sqlite or elasticsearch (default none: crawler hits are answered 503)")
	cfg, log, err := f.parse(args)
	if err != nil {
		return err
	}
	defer log.Sync()
	return runStage(ctx, log, func() (*node.Stage, error) { return node.StartIntake(ctx, cfg) })
}

func runClassifierStage(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	f := newStageFlags("classifier", "127.0.0.1:8081", stderr)
	model := f.fs.String("model", "", "classifier model file (default: the embedded model)")
	cfg, log, err := f.parse(args)
	if err != nil {
		return err
	}
	defer log.Sync()
	start := time.Now()
	cls, err := classifiers.New(classifiers.Options{ModelPath: *model})
	if err != nil {
		return fmt.Errorf("load classifier: %w", err)
	}
	log.Info("classifier loaded", zap.String("version", cls.Version()), zap.Duration("took", time.Since(start)))
	cfg.Classifier = cls
	return runStage(ctx, log, func() (*node.Stage, error) { return node.StartClassifier(ctx, cfg) })
}

func runTracker(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	f := newStageFlags("tracker", "127.0.0.1:8082", stderr)
	f.storeFlags(node.StoreSQLite, "case store: sqlite or elasticsearch")
	cfg, log, err := f.parse(args)
	if err != nil {
		return err
	}
	defer log.Sync()
	return runStage(ctx, log, func() (*node.Stage, error) { return node.StartTracker(ctx, cfg) })
}

// runStage starts a stage and runs it until it is done (runUntilDone).
func runStage(ctx context.Context, log *zap.Logger, start func() (*node.Stage, error)) error {
	s, err := start()
	if err != nil {
		return err
	}
	return runUntilDone(ctx, log, s)
}

// running is a started process of any target: a stage or embedded mode.
type running interface {
	Failed() <-chan struct{}
	Err() error
	Shutdown(ctx context.Context) error
}

// runUntilDone runs r until ctx ends (SIGINT, SIGTERM) or r fails, then
// shuts it down within 10 s: no more requests or fetching, in-flight work
// finished and committed.
func runUntilDone(ctx context.Context, log *zap.Logger, r running) error {
	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case <-r.Failed():
		failure = r.Err()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Error("shutdown", zap.Error(err))
		if failure == nil {
			failure = err
		}
	}
	return failure
}

// runProbe is the containers' health check (distroless images have no
// curl): it GETs a URL and succeeds on a 2xx answer.
func runProbe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("probe", stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("probe takes one URL, e.g. http://127.0.0.1:8080/readyz")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return usageError(err.Error())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("probe %s: %s %s", fs.Arg(0), resp.Status, strings.TrimSpace(string(b)))
	}
	fmt.Fprintln(stdout, resp.Status)
	return nil
}
