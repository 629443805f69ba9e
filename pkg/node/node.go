// Package node assembles the hotline's stages into a running process. In
// embedded mode (Embedded) the intake, the classifier and the tracker run
// together in one process, joined by the durable disk queue, with cases in
// SQLite and one HTTP server for everything. Distributed mode runs one
// stage per process over Kafka (see the targets in services/hotline).
package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/httpapi"
	"github.com/hotline-jp/hotline/pkg/pipeline"
	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/diskqueue"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

// Files in the data directory.
const (
	QueueFile = "queue.db"
	StoreFile = "hotline.db"
)

// Config configures an embedded node.
type Config struct {
	Addr       string // listen address, e.g. 127.0.0.1:8080 (port 0 picks one)
	DataDir    string
	Classifier pipeline.Classifier
	Logger     *zap.Logger
}

// Embedded is the whole pipeline running in this process.
type Embedded struct {
	log    *zap.Logger
	q      *diskqueue.Queue
	st     *sqlitestore.Store
	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup

	failOnce sync.Once
	failed   chan struct{}
	err      error
}

// StartEmbedded opens (creating on first start) the data directory, starts
// the three stages and the HTTP server, and returns once it listens.
func StartEmbedded(ctx context.Context, cfg Config) (*Embedded, error) {
	if cfg.Classifier == nil {
		return nil, errors.New("start: no classifier")
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	token, tokenPath, created, err := auth.LoadOrCreateAdminToken(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created the admin token; use it as 'Authorization: Bearer <token>'", zap.String("path", tokenPath))
	} else {
		log.Info("admin token", zap.String("path", tokenPath))
	}

	q, err := diskqueue.Open(ctx, filepath.Join(cfg.DataDir, QueueFile), diskqueue.Options{
		Policy: queue.Policy{DeadLetterTopic: pipeline.TopicDead},
		Logger: log.Named("queue"),
	})
	if err != nil {
		return nil, err
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(cfg.DataDir, StoreFile))
	if err != nil {
		q.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		q.Close()
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := pipeline.NewMetrics(reg)
	for _, l := range []struct{ topic, group string }{
		{pipeline.TopicReports, pipeline.GroupClassifier},
		{pipeline.TopicClassified, pipeline.GroupTracker},
	} {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "hotline_queue_lag",
			Help:        "Messages not yet committed by a consumer group.",
			ConstLabels: prometheus.Labels{"topic": l.topic, "group": l.group},
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n, err := q.Lag(ctx, l.topic, l.group)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}

	e := &Embedded{log: log, q: q, st: st, ln: ln, failed: make(chan struct{})}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	intake := pipeline.NewIntake(q, log.Named("intake"))
	triage := pipeline.NewTriage(q, cfg.Classifier, m, log.Named("classifier"))
	tracker := pipeline.NewTracker(q, st, m, log.Named("tracker"))

	e.srv = &http.Server{
		Handler: httpapi.New(httpapi.Config{
			Intake: intake, Cases: st, Keys: st, Staff: auth.NewStaff(token),
			Ready:    e.ready,
			Registry: reg, Logger: log.Named("http"),
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	e.run("classifier", func() error { return triage.Run(runCtx) })
	e.run("tracker", func() error { return tracker.Run(runCtx) })
	e.run("http", func() error {
		if err := e.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	log.Info("hotline serving (embedded mode)", zap.String("addr", ln.Addr().String()), zap.String("data", cfg.DataDir))
	return e, nil
}

// run starts a component; one that ends with an error fails the node.
func (e *Embedded) run(name string, fn func() error) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := fn(); err != nil {
			e.fail(fmt.Errorf("%s: %w", name, err))
		}
	}()
}

func (e *Embedded) fail(err error) {
	e.failOnce.Do(func() {
		e.log.Error("component failed; shutting down", zap.Error(err))
		e.err = err
		close(e.failed)
	})
}

func (e *Embedded) ready(ctx context.Context) error {
	select {
	case <-e.failed:
		return e.err
	default:
	}
	return e.st.Ping(ctx)
}

// Addr is the address the HTTP server listens on.
func (e *Embedded) Addr() string { return e.ln.Addr().String() }

// Failed is closed when a component failed; Err then says why.
func (e *Embedded) Failed() <-chan struct{} { return e.failed }

// Err is the failure that closed Failed, if any.
func (e *Embedded) Err() error {
	select {
	case <-e.failed:
		return e.err
	default:
		return nil
	}
}

// Shutdown stops taking requests, lets in-flight requests and messages
// finish (within ctx), then closes the queue and the store.
func (e *Embedded) Shutdown(ctx context.Context) error {
	httpErr := e.srv.Shutdown(ctx)
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("shutdown: stages did not stop in time: %w", ctx.Err())
	}
	qErr := e.q.Close()
	sErr := e.st.Close()
	e.log.Info("hotline stopped")
	return errors.Join(httpErr, qErr, sErr)
}
