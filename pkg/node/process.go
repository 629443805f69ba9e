package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
)

// process is what every node does alike, embedded or one stage of
// distributed mode: it runs components (stages, the HTTP server) in
// goroutines, fails as a whole when one of them fails, and shuts down in
// order: HTTP first, then the stages, then the resources they used.
type process struct {
	log     *zap.Logger
	ln      net.Listener
	srv     *http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func() error // run in order once the components stopped

	failOnce sync.Once
	failed   chan struct{}
	err      error
}

// init readies p to serve h on ln. cancel stops the components' context.
func (p *process) init(log *zap.Logger, ln net.Listener, h http.Handler, cancel context.CancelFunc, closers ...func() error) {
	p.log, p.ln, p.cancel, p.closers = log, ln, cancel, closers
	p.failed = make(chan struct{})
	p.srv = newHTTPServer(h)
}

// serve starts the HTTP server.
func (p *process) serve() {
	p.run("http", func() error {
		if err := p.srv.Serve(p.ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// newHTTPServer returns the server every node uses, with timeouts that a
// slow or hostile client cannot hold open.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// newRegistry returns a metrics registry with the Go runtime and process
// collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// lagger is a queue that can tell a consumer group's lag.
type lagger interface {
	Lag(ctx context.Context, topic, group string) (int64, error)
}

// consumption is one topic consumed by one group.
type consumption struct{ topic, group string }

// registerLag adds a hotline_queue_lag gauge for each consumption, asked
// of q at every scrape (-1 when q cannot tell).
func registerLag(reg prometheus.Registerer, q lagger, timeout time.Duration, cs ...consumption) {
	for _, c := range cs {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "hotline_queue_lag",
			Help:        "Messages not yet committed by a consumer group.",
			ConstLabels: prometheus.Labels{"topic": c.topic, "group": c.group},
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			n, err := q.Lag(ctx, c.topic, c.group)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
}

// run starts a component; one that ends with an error fails the node.
func (p *process) run(name string, fn func() error) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := fn(); err != nil {
			p.fail(fmt.Errorf("%s: %w", name, err))
		}
	}()
}

func (p *process) fail(err error) {
	p.failOnce.Do(func() {
		p.log.Error("component failed; shutting down", zap.Error(err))
		p.err = err
		close(p.failed)
	})
}

// failure is the error that failed the node, nil while it runs.
func (p *process) failure() error {
	select {
	case <-p.failed:
		return p.err
	default:
		return nil
	}
}

// Addr is the address the HTTP server listens on.
func (p *process) Addr() string { return p.ln.Addr().String() }

// Failed is closed when a component failed; Err then says why.
func (p *process) Failed() <-chan struct{} { return p.failed }

// Err is the failure that closed Failed, if any.
func (p *process) Err() error { return p.failure() }

// Shutdown stops taking requests, lets in-flight requests and messages
// finish (within ctx), then closes the queue and the store.
func (p *process) Shutdown(ctx context.Context) error {
	httpErr := p.srv.Shutdown(ctx)
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("shutdown: stages did not stop in time: %w", ctx.Err())
	}
	errs := []error{httpErr}
	for _, c := range p.closers {
		errs = append(errs, c())
	}
	p.log.Info("hotline stopped")
	return errors.Join(errs...)
}
