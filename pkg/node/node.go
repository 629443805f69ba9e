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
	"os"
	"path/filepath"
	"time"

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
	Staff      StaffOptions // sign-in and the review workflow
}

// Embedded is the whole pipeline running in this process.
type Embedded struct {
	process
	q  *diskqueue.Queue
	st *sqlitestore.Store
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

	reg := newRegistry()
	m := pipeline.NewMetrics(reg)
	registerLag(reg, q, time.Second,
		consumption{pipeline.TopicReports, pipeline.GroupClassifier},
		consumption{pipeline.TopicClassified, pipeline.GroupTracker})

	e := &Embedded{q: q, st: st}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	intake := pipeline.NewIntake(q, log.Named("intake"))
	triage := pipeline.NewTriage(q, cfg.Classifier, m, log.Named("classifier"))
	tracker := pipeline.NewTracker(q, st, m, log.Named("tracker"))

	api := httpapi.Config{Intake: intake, Ready: e.ready, Registry: reg, Logger: log.Named("http")}
	if err := withStaffAPI(&api, st, token, cfg.Staff, log); err != nil {
		cancel()
		ln.Close()
		q.Close()
		st.Close()
		return nil, err
	}
	e.init(log, ln, httpapi.New(api), cancel, q.Close, st.Close)
	e.run("classifier", func() error { return triage.Run(runCtx) })
	e.run("tracker", func() error { return tracker.Run(runCtx) })
	e.serve()
	log.Info("hotline serving (embedded mode)", zap.String("addr", ln.Addr().String()), zap.String("data", cfg.DataDir))
	return e, nil
}

func (e *Embedded) ready(ctx context.Context) error {
	if err := e.failure(); err != nil {
		return err
	}
	return e.st.Ping(ctx)
}
