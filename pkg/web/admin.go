package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

type usersData struct {
	Users []hotline.User
	Roles []option
}

func roleOptions(selected hotline.Role) []option {
	var out []option
	for _, r := range hotline.Roles() {
		out = append(out, option{string(r), r.Label(), r == selected})
	}
	return out
}

func (s *Server) adminOnly(w http.ResponseWriter, r *http.Request, me auth.Principal) bool {
	if !me.Role.CanAdmin() {
		s.fail(w, r, me, http.StatusForbidden, "この画面は管理者のみ利用できます。")
		return false
	}
	return true
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	s.showUsers(w, r, me, http.StatusOK, "")
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, me auth.Principal, code int, msg string) {
	if !s.adminOnly(w, r, me) {
		return
	}
	us, err := s.cfg.Store.Users(r.Context())
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	s.render(w, code, "users", view{Title: "ユーザー管理", Me: me, Nav: "users", Error: msg, Notice: notice(r),
		Data: usersData{Users: us, Roles: roleOptions(hotline.RoleAnalyst)}})
}

func userError(err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "そのログイン名は既に使われています。"
	case errors.Is(err, auth.ErrInvalidUser):
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return http.StatusBadRequest, "入力内容が不正です: " + msg
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "ユーザーが見つかりません。"
	}
	return 0, ""
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	if !s.adminOnly(w, r, me) {
		return
	}
	f := r.PostForm
	_, err := s.cfg.Sessions.NewUser(r.Context(), me.Name, strings.TrimSpace(f.Get("login")), strings.TrimSpace(f.Get("display_name")),
		hotline.Role(f.Get("role")), f.Get("password"))
	if err != nil {
		if code, msg := userError(err); code != 0 {
			s.showUsers(w, r, me, code, msg)
			return
		}
		s.internal(w, r, me, err)
		return
	}
	http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	if !s.adminOnly(w, r, me) {
		return
	}
	f := r.PostForm
	_, err := s.cfg.Sessions.UpdateUser(r.Context(), me.Name, r.PathValue("id"), strings.TrimSpace(f.Get("display_name")),
		hotline.Role(f.Get("role")), f.Get("disabled") == "on", f.Get("password"))
	if err != nil {
		if code, msg := userError(err); code != 0 {
			s.showUsers(w, r, me, code, msg)
			return
		}
		s.internal(w, r, me, err)
		return
	}
	http.Redirect(w, r, "/admin/users?done=user", http.StatusSeeOther)
}

type keysData struct {
	Keys   []hotline.APIKey
	NewKey string // shown once, right after it is made
	Name   string
}

func (s *Server) keys(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	s.showKeys(w, r, me, http.StatusOK, "", keysData{})
}

func (s *Server) showKeys(w http.ResponseWriter, r *http.Request, me auth.Principal, code int, msg string, d keysData) {
	if !s.adminOnly(w, r, me) {
		return
	}
	ks, err := s.cfg.Store.APIKeys(r.Context())
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	d.Keys = ks
	s.render(w, code, "keys", view{Title: "クローラキー", Me: me, Nav: "keys", Error: msg, Notice: notice(r), Data: d})
}

func (s *Server) audit(r *http.Request, me auth.Principal, kind, subject, detail string) error {
	return s.cfg.Store.AppendAudit(r.Context(), hotline.AuditEntry{ID: uuid.Must(uuid.NewV7()).String(), At: time.Now().UTC(),
		Actor: me.Name, Kind: kind, Subject: subject, Detail: detail, IP: auth.ClientIP(r)})
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	if !s.adminOnly(w, r, me) {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		s.showKeys(w, r, me, http.StatusBadRequest, "名前は1〜100バイトで入力してください。", keysData{})
		return
	}
	k, key, err := auth.NewAPIKey(r.Context(), s.cfg.Store, name, time.Now())
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	if err := s.audit(r, me, hotline.AuditKeyCreated, k.Prefix, "name="+name); err != nil {
		s.internal(w, r, me, err)
		return
	}
	// Rendered, not redirected: the key is shown this once.
	s.showKeys(w, r, me, http.StatusCreated, "", keysData{NewKey: key, Name: name})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	if !s.adminOnly(w, r, me) {
		return
	}
	id := r.PathValue("id")
	if err := s.cfg.Store.RevokeAPIKey(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.showKeys(w, r, me, http.StatusNotFound, "キーが見つかりません。", keysData{})
			return
		}
		s.internal(w, r, me, err)
		return
	}
	if err := s.audit(r, me, hotline.AuditKeyRevoked, id, ""); err != nil {
		s.internal(w, r, me, err)
		return
	}
	http.Redirect(w, r, "/admin/keys?done=revoked", http.StatusSeeOther)
}
