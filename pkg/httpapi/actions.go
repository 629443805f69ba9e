package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/review"
)

// Trail is what the audit endpoints need of the store.
type Trail interface {
	Actions(ctx context.Context, caseID string) ([]hotline.Action, error)
	ActionLog(ctx context.Context, from, to time.Time, fn func(hotline.Action) error) error
	Audit(ctx context.Context, from, to time.Time, fn func(hotline.AuditEntry) error) error
	AppendAudit(ctx context.Context, e hotline.AuditEntry) error
	Contact(ctx context.Context, reportID string) (string, error)
}

func principal(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey{}).(auth.Principal)
	return p
}

func actor(r *http.Request) review.Actor {
	p := principal(r)
	return review.Actor{Name: p.Name, Role: p.Role}
}

// role requires a staff principal for whom ok holds.
func (s *server) role(ok func(hotline.Role) bool, what string, h http.HandlerFunc) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) {
		if !ok(principal(r).Role) {
			writeError(w, s.log, &statusError{http.StatusForbidden, "", "this needs " + what})
			return
		}
		h(w, r)
	})
}

// actionBody is the JSON of a case action; bulk actions add action and
// case_ids.
type actionBody struct {
	Category      string     `json:"category"`
	Subcategory   string     `json:"subcategory"`
	RecipientKind string     `json:"recipient_kind"`
	Recipient     string     `json:"recipient"`
	Method        string     `json:"method"`
	SentAt        *time.Time `json:"sent_at"`
	Result        string     `json:"result"`
	SeenAt        *time.Time `json:"seen_at"`
	Note          string     `json:"note"`
	Action        string     `json:"action"`
	CaseIDs       []string   `json:"case_ids"`
}

func decodeStrict(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if !utf8.Valid(body) {
		return &statusError{http.StatusBadRequest, "body", "the body is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := "body"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			field = ute.Field
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(f, `"`)
		}
		return &statusError{http.StatusBadRequest, field, "malformed JSON: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &statusError{http.StatusBadRequest, "body", "malformed JSON: data after the object"}
	}
	return nil
}

// input turns a body into the review input for kind, checking each field.
func (b actionBody) input(kind hotline.ActionKind) (review.Input, error) {
	in := review.Input{Kind: kind, Note: b.Note}
	bad := func(field, msg string) (review.Input, error) {
		return in, &statusError{http.StatusBadRequest, field, msg}
	}
	if len(b.Note) > 4000 {
		return bad("note", "note must be at most 4000 bytes")
	}
	switch kind {
	case hotline.ActDecision:
		c, err := hotline.ParseCategory(b.Category)
		if err != nil {
			return bad("category", "category must be one of illegal, critical_crime, suicide_inducement, criminal_recruitment, none")
		}
		if !hotline.ValidSubcategory(c, b.Subcategory) {
			return bad("subcategory", fmt.Sprintf("subcategory %q is not a sub-type of %s", b.Subcategory, c))
		}
		in.Category, in.Subcategory = c, b.Subcategory
	case hotline.ActRequest:
		switch b.RecipientKind {
		case hotline.RecipientSiteAdmin, hotline.RecipientHosting, hotline.RecipientINHOPE, hotline.RecipientOther:
		default:
			return bad("recipient_kind", "recipient_kind must be one of site_admin, hosting_provider, inhope, other")
		}
		if strings.TrimSpace(b.Recipient) == "" || len(b.Recipient) > 500 {
			return bad("recipient", "recipient must be 1 to 500 bytes")
		}
		if strings.TrimSpace(b.Method) == "" || len(b.Method) > 100 {
			return bad("method", "method must be 1 to 100 bytes (e.g. email, form, letter)")
		}
		in.Request = &hotline.DeletionRequest{RecipientKind: b.RecipientKind, Recipient: strings.TrimSpace(b.Recipient), Method: strings.TrimSpace(b.Method)}
		if b.SentAt != nil {
			in.Request.SentAt = b.SentAt.UTC()
		}
	case hotline.ActOutcome:
		switch b.Result {
		case hotline.OutcomeRemoved, hotline.OutcomeNotRemoved, hotline.OutcomeRemovedBeforeRequest:
		default:
			return bad("result", "result must be one of removed, not_removed, removed_before_request")
		}
		in.Outcome = &hotline.Outcome{Result: b.Result}
		if b.SeenAt != nil {
			in.Outcome.SeenAt = b.SeenAt.UTC()
		}
	case hotline.ActNote:
		if strings.TrimSpace(b.Note) == "" {
			return bad("note", "note must not be empty")
		}
	}
	return in, nil
}

// caseAction serves POST /api/v1/cases/{id}/<action>.
func (s *server) caseAction(kind hotline.ActionKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b actionBody
		if err := decodeStrict(w, r, 64<<10, &b); err != nil {
			writeError(w, s.log, err)
			return
		}
		if b.Action != "" || b.CaseIDs != nil {
			writeError(w, s.log, &statusError{http.StatusBadRequest, "action", "action and case_ids belong to /api/v1/bulk"})
			return
		}
		in, err := b.input(kind)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		acts, err := s.cfg.Review.Do(r.Context(), actor(r), in, r.PathValue("id"))
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		c, err := s.cfg.Cases.Case(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		c.Reports = nil
		writeJSON(w, http.StatusOK, map[string]any{"action": acts[0], "case": c})
	}
}

// bulkKinds are the action names /api/v1/bulk accepts.
func bulkKind(name string) (hotline.ActionKind, bool) {
	switch k := hotline.ActionKind(name); k {
	case hotline.ActClaim, hotline.ActRelease, hotline.ActDecision, hotline.ActConfirmation, hotline.ActReferral,
		hotline.ActRequest, hotline.ActOutcome, hotline.ActNote:
		return k, true
	}
	return "", false
}

// bulk serves POST /api/v1/bulk: one action on many cases, all or nothing.
func (s *server) bulk(w http.ResponseWriter, r *http.Request) {
	var b actionBody
	if err := decodeStrict(w, r, 1<<20, &b); err != nil {
		writeError(w, s.log, err)
		return
	}
	kind, ok := bulkKind(b.Action)
	if !ok {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "action", "action must be one of claim, release, decision, confirmation, police_referral, deletion_request, outcome, note"})
		return
	}
	if len(b.CaseIDs) == 0 {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "case_ids", "case_ids must list at least one case"})
		return
	}
	for i, id := range b.CaseIDs {
		if !hotline.ValidCaseID(id) {
			writeError(w, s.log, &statusError{http.StatusBadRequest, "case_ids[" + strconv.Itoa(i) + "]", "not a case id: " + strconv.Quote(id)})
			return
		}
	}
	in, err := b.input(kind)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	acts, err := s.cfg.Review.Do(r.Context(), actor(r), in, b.CaseIDs...)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recorded": len(acts), "actions": acts})
}

func (s *server) caseOf(w http.ResponseWriter, r *http.Request) (hotline.Case, bool) {
	id := r.PathValue("id")
	if !hotline.ValidCaseID(id) {
		writeError(w, s.log, &statusError{http.StatusNotFound, "id", "no case has the id " + strconv.Quote(id)})
		return hotline.Case{}, false
	}
	c, err := s.cfg.Cases.Case(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return c, false
	}
	return c, true
}

// letter serves GET /api/v1/cases/{id}/letter: the drafted request letter.
func (s *server) letter(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseOf(w, r)
	if !ok {
		return
	}
	kind := r.URL.Query().Get("recipient_kind")
	if kind == "" {
		kind = hotline.RecipientSiteAdmin
	}
	switch kind {
	case hotline.RecipientSiteAdmin, hotline.RecipientHosting, hotline.RecipientINHOPE, hotline.RecipientOther:
	default:
		writeError(w, s.log, &statusError{http.StatusBadRequest, "recipient_kind", "recipient_kind must be one of site_admin, hosting_provider, inhope, other"})
		return
	}
	recipient := r.URL.Query().Get("recipient")
	if len(recipient) > 500 || !utf8.ValidString(recipient) {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "recipient", "recipient must be at most 500 bytes of UTF-8"})
		return
	}
	text := review.Letter(review.LetterInput{Case: c, RecipientKind: kind, Recipient: recipient, Date: s.cfg.Review.Now()})
	writeJSON(w, http.StatusOK, map[string]string{"case_id": c.ID, "recipient_kind": kind, "letter": text})
}

func (s *server) caseActions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseOf(w, r)
	if !ok {
		return
	}
	acts, err := s.cfg.Trail.Actions(r.Context(), c.ID)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"case_id": c.ID, "actions": acts})
}

func (s *server) rechecks(w http.ResponseWriter, r *http.Request) {
	due, err := s.cfg.Review.RecheckDue(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if due == nil {
		due = []review.Due{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"after_days": int(s.cfg.Review.Policy().RecheckAfter.Hours() / 24), "due": due})
}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Review.Dashboard(r.Context(), 7)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

type contactView struct {
	ReportID string `json:"report_id"`
	Contact  string `json:"contact"`
}

// contacts serves the reporters' contacts of a case, to supervisors only.
func (s *server) contacts(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseOf(w, r)
	if !ok {
		return
	}
	out := []contactView{}
	for _, rep := range c.Reports {
		ct, err := s.cfg.Trail.Contact(r.Context(), rep.ID)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if ct != "" {
			out = append(out, contactView{rep.ID, ct})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"case_id": c.ID, "contacts": out})
}

// auditCSV serves the audit trail as CSV: of one case ({id} in the path) or
// the whole log (case actions and staff entries) between from and to.
func (s *server) auditCSV(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	from, to := time.Time{}, time.Now().Add(time.Minute)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := r.URL.Query().Get(f.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.ParseInLocation("2006-01-02", v, review.JST()); err != nil {
				writeError(w, s.log, &statusError{http.StatusBadRequest, f.name, f.name + " must be a date (YYYY-MM-DD) or an RFC 3339 time"})
				return
			}
		}
		*f.dst = t
	}
	subject, name := "all", "hotline-audit.csv"
	var acts []hotline.Action
	if id := r.PathValue("id"); id != "" {
		c, ok := s.caseOf(w, r)
		if !ok {
			return
		}
		var err error
		if acts, err = s.cfg.Trail.Actions(r.Context(), c.ID); err != nil {
			writeError(w, s.log, err)
			return
		}
		subject, name = c.ID, "hotline-audit-"+c.ID+".csv"
	}
	// The export is itself audited, before any data leaves.
	if err := s.cfg.Trail.AppendAudit(r.Context(), hotline.AuditEntry{
		ID: newID(), At: time.Now().UTC(), Actor: p.Name, Kind: hotline.AuditExport, Subject: subject,
		Detail: "audit csv", IP: auth.ClientIP(r),
	}); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	aw, err := review.NewAuditWriter(w)
	if err != nil {
		return
	}
	if acts != nil {
		for _, a := range acts {
			if err := aw.Action(a); err != nil {
				return
			}
		}
	} else {
		err = s.cfg.Trail.ActionLog(r.Context(), from, to, aw.Action)
		if err == nil {
			err = s.cfg.Trail.Audit(r.Context(), from, to, aw.Entry)
		}
		if err != nil {
			s.log.Error("audit export failed midway")
			return
		}
	}
	_ = aw.Flush()
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
