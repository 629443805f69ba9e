package httpapi

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
)

// auditStaff records a staff action in the audit log, when there is one.
func (s *server) auditStaff(r *http.Request, kind, subject, detail string) {
	if s.cfg.Trail == nil {
		return
	}
	err := s.cfg.Trail.AppendAudit(r.Context(), hotline.AuditEntry{
		ID: newID(), At: time.Now().UTC(), Actor: principal(r).Name, Kind: kind,
		Subject: subject, Detail: detail, IP: auth.ClientIP(r),
	})
	if err != nil {
		s.log.Error("audit entry not written", zap.String("kind", kind), zap.Error(err))
	}
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	writeJSON(w, http.StatusOK, map[string]any{"login": p.Name, "display_name": p.DisplayName, "role": p.Role, "csrf_token": p.CSRF})
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.cfg.Users.Users(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

type userBody struct {
	Login       string       `json:"login"`
	DisplayName string       `json:"display_name"`
	Role        hotline.Role `json:"role"`
	Password    string       `json:"password"`
	Disabled    *bool        `json:"disabled"`
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var b userBody
	if err := decodeStrict(w, r, 8<<10, &b); err != nil {
		writeError(w, s.log, err)
		return
	}
	u, err := s.cfg.Sessions.NewUser(r.Context(), principal(r).Name, b.Login, b.DisplayName, b.Role, b.Password)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) {
	var b userBody
	if err := decodeStrict(w, r, 8<<10, &b); err != nil {
		writeError(w, s.log, err)
		return
	}
	if b.Login != "" {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "login", "a login cannot be changed"})
		return
	}
	cur, err := s.cfg.Users.User(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	role, disabled := cur.Role, cur.Disabled
	if b.Role != "" {
		role = b.Role
	}
	if b.Disabled != nil {
		disabled = *b.Disabled
	}
	u, err := s.cfg.Sessions.UpdateUser(r.Context(), principal(r).Name, cur.ID, b.DisplayName, role, disabled, b.Password)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
