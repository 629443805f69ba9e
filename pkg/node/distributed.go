package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/httpapi"
	"github.com/hotline-jp/hotline/pkg/pipeline"
	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
	"github.com/hotline-jp/hotline/pkg/store"
	"github.com/hotline-jp/hotline/pkg/store/esstore"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

// Store backends a stage can use.
const (
	StoreSQLite        = "sqlite"
	StoreElasticsearch = "elasticsearch"
)

// ErrStoreNotAvailable is returned for a store backend this build lacks.
var ErrStoreNotAvailable = errors.New("not available in this build")

// StageConfig configures one stage of distributed mode.
type StageConfig struct {
	// Addr is where the stage serves HTTP: /healthz, /readyz and /metrics
	// always, the report endpoints at the intake, the staff API at the
	// tracker. Port 0 picks one.
	Addr string
	// Kafka is the queue between the stages. Policy.DeadLetterTopic
	// defaults to pipeline.TopicDead and Logger to the stage's logger.
	Kafka kafkaqueue.Config
	// Group overrides the stage's consumer group (pipeline.GroupClassifier
	// or pipeline.GroupTracker).
	Group string
	// Store is the case store backend: StoreSQLite or StoreElasticsearch;
	// the tracker needs one, the intake may have one (for crawler keys),
	// the classifier has none. The choice is independent of the queue.
	Store string
	// DataDir holds the SQLite database (with StoreSQLite) and, for the
	// tracker, the admin token, as in embedded mode.
	DataDir string
	// ElasticsearchURLs are the addresses of the cluster (with
	// StoreElasticsearch), with its credentials: a user and password, or
	// an API key.
	ElasticsearchURLs     []string
	ElasticsearchUsername string
	ElasticsearchPassword string
	ElasticsearchAPIKey   string
	ElasticsearchCACert   []byte
	// Classifier is the classifier stage's classifier.
	Classifier pipeline.Classifier
	Logger     *zap.Logger
	// Staff configures sign-in and the review workflow (the tracker).
	Staff StaffOptions
}

// Stage is one stage of the pipeline running in this process, joined to
// the others by Kafka.
type Stage struct {
	process
	name string
	q    *kafkaqueue.Queue
	st   caseStore // nil for a stage without a store
}

// caseStore is what the stages need of a case store.
type caseStore interface {
	pipeline.Store
	staffStore
	Ping(ctx context.Context) error
	Close() error
}

// stageWiring is what a stage adds to the common parts: its HTTP
// endpoints and its consumers.
type stageWiring struct {
	api    httpapi.Config
	runs   map[string]func(ctx context.Context) error
	lag    []consumption
	outer  func(h http.Handler) http.Handler // wraps the API's handler, if set
	logged []zap.Field
}

// StartIntake starts the intake: it serves POST /api/v1/reports, and
// POST /api/v1/crawler/hits when it has a store to check crawler keys
// against (without one that endpoint answers 503), and publishes reports
// to Kafka, answering 202 only once all in-sync replicas have them.
func StartIntake(ctx context.Context, cfg StageConfig) (*Stage, error) {
	return startStage(ctx, "intake", cfg, []string{pipeline.TopicReports, pipeline.TopicDead},
		func(s *Stage, w *stageWiring) error {
			w.api.Intake = pipeline.NewIntake(s.q, s.log.Named("intake"))
			if s.st != nil {
				w.api.Keys = s.st
				return nil
			}
			w.outer = withoutCrawlerKeys
			return nil
		})
}

// StartClassifier starts the classifier stage: it consumes reports,
// classifies them and publishes the results. Its HTTP server has only the
// operational endpoints.
func StartClassifier(ctx context.Context, cfg StageConfig) (*Stage, error) {
	if cfg.Classifier == nil {
		return nil, errors.New("start classifier: no classifier")
	}
	if cfg.Store != "" {
		return nil, fmt.Errorf("start classifier: it uses no store (got %q)", cfg.Store)
	}
	group := cmp.Or(cfg.Group, pipeline.GroupClassifier)
	return startStage(ctx, "classifier", cfg, []string{pipeline.TopicReports, pipeline.TopicClassified, pipeline.TopicDead},
		func(s *Stage, w *stageWiring) error {
			triage := pipeline.NewTriage(s.q, cfg.Classifier, w.metrics(), s.log.Named("classifier"))
			w.runs["classifier"] = func(ctx context.Context) error {
				return s.q.Consume(ctx, pipeline.TopicReports, group, triage.Handle)
			}
			w.lag = append(w.lag, consumption{pipeline.TopicReports, group})
			w.logged = append(w.logged, zap.String("group", group))
			return nil
		})
}

// StartTracker starts the tracker: it consumes classified reports, merges
// them into cases in the store, and serves the staff API. It keeps the
// admin token in DataDir as embedded mode does.
func StartTracker(ctx context.Context, cfg StageConfig) (*Stage, error) {
	if cfg.Store == "" {
		return nil, errors.New("start tracker: no store")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("start tracker: no data directory for the admin token")
	}
	group := cmp.Or(cfg.Group, pipeline.GroupTracker)
	return startStage(ctx, "tracker", cfg, []string{pipeline.TopicClassified, pipeline.TopicDead},
		func(s *Stage, w *stageWiring) error {
			token, tokenPath, created, err := auth.LoadOrCreateAdminToken(cfg.DataDir)
			if err != nil {
				return err
			}
			if created {
				s.log.Info("created the admin token; use it as 'Authorization: Bearer <token>'", zap.String("path", tokenPath))
			} else {
				s.log.Info("admin token", zap.String("path", tokenPath))
			}
			if err := withStaffAPI(&w.api, s.st, token, cfg.Staff, s.log); err != nil {
				return err
			}
			tracker := pipeline.NewTracker(s.q, s.st, w.metrics(), s.log.Named("tracker"))
			w.runs["tracker"] = func(ctx context.Context) error {
				return s.q.Consume(ctx, pipeline.TopicClassified, group, tracker.Handle)
			}
			w.lag = append(w.lag, consumption{pipeline.TopicClassified, group})
			w.logged = append(w.logged, zap.String("group", group))
			return nil
		})
}

// metrics registers the stage metrics once and returns them.
func (w *stageWiring) metrics() *pipeline.Metrics {
	return pipeline.NewMetrics(w.api.Registry)
}

// startStage does what every stage does: connect to Kafka and create the
// topics it uses, open the store, wire the stage, listen, and start.
func startStage(ctx context.Context, name string, cfg StageConfig, topics []string, wire func(*Stage, *stageWiring) error) (_ *Stage, err error) {
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(zap.String("stage", name))
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
			err = fmt.Errorf("start %s: %w", name, err)
		}
	}()

	kcfg := cfg.Kafka
	if kcfg.Policy.DeadLetterTopic == "" {
		kcfg.Policy.DeadLetterTopic = pipeline.TopicDead
	}
	if kcfg.Logger == nil {
		kcfg.Logger = log.Named("queue")
	}
	// Shutdown has 10 s in all: commits and leaving the group must fit.
	if kcfg.CommitTimeout <= 0 {
		kcfg.CommitTimeout = 3 * time.Second
	}
	if kcfg.CloseTimeout <= 0 {
		kcfg.CloseTimeout = 3 * time.Second
	}
	q, err := kafkaqueue.New(ctx, kcfg)
	if err != nil {
		return nil, err
	}
	closers = append(closers, q.Close)
	if err := q.EnsureTopics(ctx, topics...); err != nil {
		return nil, err
	}
	s := &Stage{name: name, q: q}
	s.log = log // for wire; init sets it again
	if cfg.Store != "" {
		st, err := OpenStore(ctx, StoreConfig{
			Backend: cfg.Store, DataDir: cfg.DataDir,
			ElasticsearchURLs: cfg.ElasticsearchURLs, ElasticsearchUsername: cfg.ElasticsearchUsername,
			ElasticsearchPassword: cfg.ElasticsearchPassword, ElasticsearchAPIKey: cfg.ElasticsearchAPIKey,
			ElasticsearchCACert: cfg.ElasticsearchCACert,
			Logger:              log.Named("store"),
		})
		if err != nil {
			return nil, err
		}
		closers = append(closers, st.Close)
		s.st = st
	}

	reg := newRegistry()
	reg.MustRegister(newQueueCollector(q))
	w := &stageWiring{
		api:  httpapi.Config{Ready: s.ready, Registry: reg, Logger: log.Named("http")},
		runs: map[string]func(context.Context) error{},
	}
	if err := wire(s, w); err != nil {
		return nil, err
	}
	registerLag(reg, q, 2*time.Second, w.lag...)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	var h http.Handler = httpapi.New(w.api)
	if w.outer != nil {
		h = w.outer(h)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.init(log, ln, h, cancel, closers...)
	closers = nil // the stage owns them now
	for n, fn := range w.runs {
		s.run(n, func() error { return fn(runCtx) })
	}
	s.serve()
	log.Info("hotline stage serving (distributed mode)", append(w.logged,
		zap.String("addr", ln.Addr().String()), zap.Strings("brokers", kcfg.Brokers),
		zap.String("topic_prefix", kcfg.TopicPrefix), zap.String("store", cfg.Store))...)
	return s, nil
}

// Name is the stage's name: intake, classifier or tracker.
func (s *Stage) Name() string { return s.name }

// ready reports whether the stage can work: no component failed, Kafka
// answers, and so does the store if it has one.
func (s *Stage) ready(ctx context.Context) error {
	if err := s.failure(); err != nil {
		return err
	}
	if err := s.q.Ping(ctx); err != nil {
		return err
	}
	if s.st != nil {
		return s.st.Ping(ctx)
	}
	return nil
}

// StoreConfig says which case store to open.
type StoreConfig struct {
	// Backend is StoreSQLite or StoreElasticsearch.
	Backend string
	// DataDir holds the SQLite database (StoreSQLite).
	DataDir string
	// The Elasticsearch cluster (StoreElasticsearch) and its credentials:
	// a user and password, or an API key.
	ElasticsearchURLs     []string
	ElasticsearchUsername string
	ElasticsearchPassword string
	ElasticsearchAPIKey   string
	// ElasticsearchCACert is the PEM certificate of a private CA that
	// signed the cluster's certificate.
	ElasticsearchCACert []byte
	Logger              *zap.Logger
}

// OpenStore opens the case store cfg names: SQLite in DataDir (created if
// need be), or Elasticsearch, which creates its missing indices.
func OpenStore(ctx context.Context, cfg StoreConfig) (store.Store, error) {
	switch cfg.Backend {
	case StoreSQLite:
		if cfg.DataDir == "" {
			return nil, errors.New("store sqlite: no data directory")
		}
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
		}
		st, err := sqlitestore.Open(ctx, filepath.Join(cfg.DataDir, StoreFile))
		if err != nil {
			return nil, err
		}
		return st, nil
	case StoreElasticsearch:
		if len(cfg.ElasticsearchURLs) == 0 {
			return nil, errors.New("store elasticsearch: no addresses")
		}
		st, err := esstore.Open(ctx, esstore.Config{
			Addresses: cfg.ElasticsearchURLs,
			Username:  cfg.ElasticsearchUsername,
			Password:  cfg.ElasticsearchPassword,
			APIKey:    cfg.ElasticsearchAPIKey,
			CACert:    cfg.ElasticsearchCACert,
			Logger:    cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return st, nil
	default:
		return nil, fmt.Errorf("store %q: unknown (want %s or %s)", cfg.Backend, StoreSQLite, StoreElasticsearch)
	}
}

// StoreAvailable reports whether this build has the store backend.
func StoreAvailable(backend string) bool {
	return backend == StoreSQLite || backend == StoreElasticsearch
}

// withoutCrawlerKeys answers crawler hits with 503: an intake without a
// store cannot check crawler keys, and must not pretend to.
func withoutCrawlerKeys(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/crawler/hits", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"crawler hits are not served here: this intake runs without a store to check crawler keys against (start it with a store)"}` + "\n"))
	})
	mux.Handle("/", h)
	return mux
}
