package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"
)

// Routes served by Handler. The caller mounts the handler behind staff
// authentication: the figures are not public until published.
const (
	RouteStats     = "/api/v1/stats"
	RoutePage      = "/stats"
	RouteStyle     = "/stats/stats.css"
	csvContentType = "text/csv; charset=utf-8"
)

// Handler serves the statistics over HTTP:
//
//	GET /api/v1/stats?month=YYYY-MM|year=YYYY[&cutoff=YYYY-MM-DD][&grace=DAYS][&format=json|csv][&view=categories|providers]
//	GET /stats?month=|year=|period=[&cutoff=][&grace=]  the supervisors' page (HTML, SVG charts, no scripts or inline styles)
//	GET /stats/stats.css                         the page's style sheet
//
// JSON is the published shape (view=providers: the provider scorecard);
// CSV is a download (Content-Disposition: attachment) with a byte order
// mark so that spreadsheet programs read the Japanese labels as UTF-8. A bad
// parameter is a 400 {"error","field"} naming it.
type Handler struct {
	src Source
	log *zap.Logger
	mux *http.ServeMux
	now func() time.Time
}

// NewHandler returns a handler computing statistics from src.
func NewHandler(src Source, log *zap.Logger) *Handler {
	h := &Handler{src: src, log: log, mux: http.NewServeMux(), now: time.Now}
	h.mux.HandleFunc("GET "+RouteStats, h.stats)
	h.mux.HandleFunc("GET "+RoutePage, h.page)
	h.mux.HandleFunc("GET "+RouteStyle, h.style)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSONStatus(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// fail is the one mapping from errors to statuses.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var oe *OptionError
	switch {
	case errors.As(err, &oe):
		writeJSONStatus(w, http.StatusBadRequest, errorBody{Error: oe.Msg, Field: oe.Param})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeJSONStatus(w, http.StatusServiceUnavailable, errorBody{Error: "request cancelled or timed out"})
	default:
		h.log.Error("statistics failed", zap.Error(err))
		writeJSONStatus(w, http.StatusServiceUnavailable, errorBody{Error: "the statistics could not be computed; try again"})
	}
}

// options reads the period parameters. The page also takes period=YYYY or
// YYYY-MM (its form has one field) and defaults to the current year in
// Japan time.
func (h *Handler) options(q url.Values, page bool) (Options, error) {
	month, year := q.Get("month"), q.Get("year")
	fromPeriod := false
	if page {
		// The page's form sends one field, period: YYYY or YYYY-MM.
		if p := q.Get("period"); p != "" && month == "" && year == "" {
			fromPeriod = true
			if len(p) == 4 {
				year = p
			} else {
				month = p
			}
		}
		if month == "" && year == "" {
			year = h.now().In(Japan()).Format("2006")
		}
	}
	o, err := ParseQuery(month, year, q.Get("cutoff"), q.Get("grace"))
	var oe *OptionError
	if fromPeriod && errors.As(err, &oe) && (oe.Param == "month" || oe.Param == "year") {
		return o, &OptionError{"period", oe.Msg}
	}
	if err != nil {
		return o, err
	}
	o.Now = h.now()
	return o, nil
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o, err := h.options(q, false)
	if err != nil {
		h.fail(w, err)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = FormatJSON
	}
	if format != FormatJSON && format != FormatCSV {
		h.fail(w, &OptionError{"format", "want json or csv"})
		return
	}
	view := q.Get("view")
	if view == "" {
		view = ViewCategories
	}
	if view != ViewCategories && view != ViewProviders {
		h.fail(w, &OptionError{"view", "want categories or providers"})
		return
	}
	rep, err := Compute(r.Context(), h.src, o)
	if err != nil {
		h.fail(w, err)
		return
	}
	var buf bytes.Buffer
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if format == FormatCSV {
		buf.WriteString("\ufeff")
		name := "hotline-stats-" + rep.Period
		if view == ViewProviders {
			err = WriteScorecardCSV(&buf, rep)
			name += "-providers"
		} else {
			err = WriteCSV(&buf, rep)
		}
		if err != nil {
			h.fail(w, err)
			return
		}
		w.Header().Set("Content-Type", csvContentType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		_, _ = w.Write(buf.Bytes())
		return
	}
	if view == ViewProviders {
		err = WriteScorecardJSON(&buf, rep)
	} else {
		err = WriteJSON(&buf, rep)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	o, err := h.options(r.URL.Query(), true)
	if err != nil {
		h.fail(w, err)
		return
	}
	rep, trend, err := ComputeWithTrend(r.Context(), h.src, o)
	if err != nil {
		h.fail(w, err)
		return
	}
	var buf bytes.Buffer
	if err := renderPage(&buf, rep, trend, o); err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(styleSheet)
}
