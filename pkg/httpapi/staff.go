package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

type principalKey struct{}

// staff requires a valid staff bearer token, or (with Sessions) a session
// cookie whose unsafe requests carry the CSRF token.
func (s *server) staff(h http.HandlerFunc) http.HandlerFunc {
	authn := &auth.Authenticator{Staff: s.cfg.Staff, Sessions: s.cfg.Sessions}
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := authn.Authenticate(r)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if err := auth.CheckCSRF(r, p); err != nil {
			writeError(w, s.log, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// admin requires a staff principal with the admin role.
func (s *server) admin(h http.HandlerFunc) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) {
		if p, _ := r.Context().Value(principalKey{}).(auth.Principal); !p.Role.CanAdmin() {
			writeError(w, s.log, &statusError{http.StatusForbidden, "", "this needs the admin role"})
			return
		}
		h(w, r)
	})
}

func (s *server) getCase(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !hotline.ValidCaseID(id) {
		writeError(w, s.log, &statusError{http.StatusNotFound, "id", "no case has the id " + strconv.Quote(id)})
		return
	}
	c, err := s.cfg.Cases.Case(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *server) listCases(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	page, err := s.cfg.Cases.Cases(r.Context(), q)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func parseQuery(r *http.Request) (store.Query, error) {
	v := r.URL.Query()
	var q store.Query
	if s := v.Get("status"); s != "" {
		if !hotline.ValidStatus(hotline.Status(s)) {
			return q, &statusError{http.StatusBadRequest, "status", "unknown status " + strconv.Quote(s)}
		}
		q.Status = hotline.Status(s)
	}
	if s := v.Get("category"); s != "" {
		c, err := hotline.ParseCategory(s)
		if err != nil {
			return q, &statusError{http.StatusBadRequest, "category", err.Error()}
		}
		q.Category = c
	}
	if s := v.Get("subcategory"); s != "" {
		ok := false
		for _, c := range hotline.Categories() {
			ok = ok || hotline.ValidSubcategory(c, s)
		}
		if !ok || len(s) > 64 {
			return q, &statusError{http.StatusBadRequest, "subcategory", "unknown subcategory " + strconv.Quote(s)}
		}
		q.Subcategory = s
	}
	switch src := hotline.Source(v.Get("source")); src {
	case "", hotline.SourcePublic, hotline.SourceCrawler:
		q.Source = src
	default:
		return q, &statusError{http.StatusBadRequest, "source", "source must be public or crawler"}
	}
	if h := v.Get("host"); h != "" {
		if len(h) > 253 {
			return q, &statusError{http.StatusBadRequest, "host", "host is too long"}
		}
		q.Host = h
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &q.Limit, 1000}, {"offset", &q.Offset, 1 << 30}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > p.max {
			return q, &statusError{http.StatusBadRequest, p.name, p.name + " must be a whole number from 0 to " + strconv.Itoa(p.max)}
		}
		*p.dst = n
	}
	return q, nil
}

type createdKey struct {
	hotline.APIKey
	Key string `json:"key"` // shown once
}

func (s *server) createKey(w http.ResponseWriter, r *http.Request) {
	fields, err := readObject(w, r, 4<<10, "name")
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	name, err := stringField(fields, "name", "name")
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if name == "" || len(name) > 100 {
		writeError(w, s.log, &statusError{http.StatusBadRequest, "name", "name must be 1 to 100 bytes"})
		return
	}
	k, key, err := auth.NewAPIKey(r.Context(), s.cfg.Keys, name, time.Now())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	s.auditStaff(r, hotline.AuditKeyCreated, k.Prefix, "name="+k.Name)
	writeJSON(w, http.StatusCreated, createdKey{APIKey: k, Key: key})
}

func (s *server) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.cfg.Keys.APIKeys(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if keys == nil {
		keys = []hotline.APIKey{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (s *server) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Keys.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, s.log, err)
		return
	}
	s.auditStaff(r, hotline.AuditKeyRevoked, r.PathValue("id"), "")
	w.WriteHeader(http.StatusNoContent)
}
