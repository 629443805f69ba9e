// Package httpapi serves the hotline's HTTP API: public reports and crawler
// hits at the intake, the staff API over the case store, crawler key
// management, and the operational endpoints /healthz, /readyz and /metrics.
//
// Every error is a JSON object {"error": "...", "field": "..."}; the one
// mapping from error kinds to statuses is in writeError. Reported content is
// never logged; request logs carry method, route, status and duration.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/pipeline"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/store"
)

// Body limits.
const (
	MaxReportBody = 1 << 20  // a public report
	MaxHitsBody   = 32 << 20 // a batch of crawler hits
	MaxHits       = 1000     // hits in one batch
)

// Intake is what the report endpoints need of the intake stage.
type Intake interface {
	Prepare(in pipeline.Input) (hotline.Submission, error)
	Publish(ctx context.Context, subs ...hotline.Submission) ([]pipeline.Accepted, error)
}

// Cases is what the staff API needs of the store.
type Cases interface {
	Case(ctx context.Context, id string) (hotline.Case, error)
	Cases(ctx context.Context, q store.Query) (store.Page, error)
}

// Keys is what crawler key management needs of the store.
type Keys interface {
	auth.KeyStore
	APIKeys(ctx context.Context) ([]hotline.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
}

// Users is what user management needs of the store.
type Users interface {
	User(ctx context.Context, id string) (hotline.User, error)
	Users(ctx context.Context) ([]hotline.User, error)
}

// Config says which parts to serve: a nil Intake serves no report
// endpoints, a nil Cases no staff API, a nil Review no case actions.
type Config struct {
	Intake Intake
	Cases  Cases
	Keys   Keys        // required with Intake (crawler hits) or Cases (key management)
	Staff  *auth.Staff // required with Cases
	// Sessions, if set, lets staff use their cookie sessions (with the
	// CSRF token on unsafe requests) besides bearer tokens, and serves
	// user management.
	Sessions *auth.Sessions
	Users    Users           // required with Sessions
	Review   *review.Service // case actions; requires Trail
	Trail    Trail
	// UI, if set, serves every path outside /api/ and the operational
	// endpoints (the staff web pages).
	UI http.Handler
	// Stats, if set, serves GET /api/v1/stats to staff (package report).
	Stats    http.Handler
	Ready    func(ctx context.Context) error
	Registry *prometheus.Registry
	Logger   *zap.Logger
}

type server struct {
	cfg      Config
	log      *zap.Logger
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New returns the API's handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &server{cfg: cfg, log: cfg.Logger,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_http_requests_total", Help: "HTTP requests, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotline_http_request_seconds", Help: "HTTP request duration, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	cfg.Registry.MustRegister(s.requests, s.duration)

	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.instrument(pattern, h)) }
	handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	handle("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	if cfg.Intake != nil {
		handle("POST /api/v1/reports", s.postReport)
		handle("POST /api/v1/crawler/hits", s.postHits)
	}
	if cfg.Cases != nil {
		handle("GET /api/v1/cases", s.staff(s.listCases))
		if cfg.Stats != nil {
			handle("GET /api/v1/stats", s.staff(cfg.Stats.ServeHTTP))
		}
		handle("GET /api/v1/cases/{id}", s.staff(s.getCase))
		handle("POST /api/v1/crawler-keys", s.admin(s.createKey))
		handle("GET /api/v1/crawler-keys", s.admin(s.listKeys))
		handle("DELETE /api/v1/crawler-keys/{id}", s.admin(s.revokeKey))
	}
	if cfg.Cases != nil && cfg.Review != nil && cfg.Trail != nil {
		for _, a := range []struct {
			path string
			kind hotline.ActionKind
		}{
			{"claim", hotline.ActClaim}, {"release", hotline.ActRelease}, {"decision", hotline.ActDecision},
			{"confirmation", hotline.ActConfirmation}, {"referral", hotline.ActReferral},
			{"requests", hotline.ActRequest}, {"outcome", hotline.ActOutcome}, {"notes", hotline.ActNote},
		} {
			handle("POST /api/v1/cases/{id}/"+a.path, s.staff(s.caseAction(a.kind)))
		}
		handle("POST /api/v1/bulk", s.staff(s.bulk))
		handle("GET /api/v1/cases/{id}/letter", s.staff(s.letter))
		handle("GET /api/v1/cases/{id}/actions", s.staff(s.caseActions))
		handle("GET /api/v1/rechecks", s.staff(s.rechecks))
		export := func(r hotline.Role) bool { return r.CanExport() }
		handle("GET /api/v1/dashboard", s.role(export, "the supervisor or auditor role", s.dashboard))
		handle("GET /api/v1/cases/{id}/audit.csv", s.role(export, "the supervisor or auditor role", s.auditCSV))
		handle("GET /api/v1/audit.csv", s.role(export, "the supervisor or auditor role", s.auditCSV))
		handle("GET /api/v1/cases/{id}/contacts", s.role(hotline.Role.CanSupervise, "the supervisor role", s.contacts))
	}
	if cfg.Sessions != nil && cfg.Users != nil {
		handle("GET /api/v1/users", s.admin(s.listUsers))
		handle("POST /api/v1/users", s.admin(s.createUser))
		handle("PATCH /api/v1/users/{id}", s.admin(s.updateUser))
		handle("GET /api/v1/me", s.staff(s.me))
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.log, &statusError{http.StatusNotFound, "", "no such endpoint: " + r.Method + " " + r.URL.Path})
	}
	if cfg.UI != nil {
		handle("/api/", notFound)
		mux.Handle("/", cfg.UI)
	} else {
		handle("/", notFound)
	}
	return mux
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *server) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		s.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		s.duration.WithLabelValues(route).Observe(d.Seconds())
		s.log.Debug("http request", zap.String("method", r.Method), zap.String("route", route),
			zap.Int("status", sw.code), zap.Duration("duration", d))
	})
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// statusError is an error with the HTTP status it should be answered with.
type statusError struct {
	code  int
	field string
	msg   string
}

func (e *statusError) Error() string { return e.msg }

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// writeError is the one mapping from error kinds to HTTP statuses.
func writeError(w http.ResponseWriter, log *zap.Logger, err error) {
	var (
		se  *statusError
		fe  *pipeline.FieldError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &se):
		if se.code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
		}
		writeJSON(w, se.code, errorBody{Error: se.msg, Field: se.field})
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fe.Error(), Field: fe.Field})
	case errors.As(err, &mbe):
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: "request body larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes", Field: "body"})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not found"})
	case errors.Is(err, review.ErrForbidden):
		writeJSON(w, http.StatusForbidden, errorBody{Error: err.Error()})
	case errors.Is(err, review.ErrConflict), errors.Is(err, hotline.ErrClaimed), errors.Is(err, hotline.ErrStale):
		writeJSON(w, http.StatusConflict, errorBody{Error: err.Error()})
	case errors.Is(err, store.ErrConflict):
		writeJSON(w, http.StatusConflict, errorBody{Error: "already exists"})
	case errors.Is(err, hotline.ErrInvalidAction), errors.Is(err, auth.ErrInvalidUser):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
	case errors.Is(err, auth.ErrCSRF):
		writeJSON(w, http.StatusForbidden, errorBody{Error: "missing or invalid CSRF token (send X-CSRF-Token)", Field: "X-CSRF-Token"})
	case errors.Is(err, auth.ErrRateLimited):
		w.Header().Set("Retry-After", "900")
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: err.Error()})
	case errors.Is(err, auth.ErrNoCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "authentication required"})
	case errors.Is(err, auth.ErrBadCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="hotline", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid credentials"})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "request cancelled or timed out"})
	default:
		log.Error("request failed", zap.Error(err))
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "the service could not complete the request; try again"})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
