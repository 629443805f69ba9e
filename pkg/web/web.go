// Package web serves the staff pages of the review queue: server-rendered
// Japanese pages (html/template) over the same review workflow the JSON API
// uses (package review), with a little plain JavaScript served as a static
// file for the keyboard and the copy buttons.
//
// Reported content is hostile. Every page escapes it (html/template does,
// and no HTML is ever built from it by string concatenation), never fetches
// or embeds a reported URL, and is sent with a strict
// Content-Security-Policy: no inline script or style runs even if something
// slipped through. Staff sign in with a login and password (a cookie
// session, HttpOnly, SameSite=Strict, Secure unless configured off for
// plain-http localhost); every form carries the session's CSRF token. The
// admin bootstrap token works as "Authorization: Bearer" on every page too,
// for scripts and checks.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CSP is the Content-Security-Policy of every page.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Store is what the pages need of the store.
type Store interface {
	Case(ctx context.Context, id string) (hotline.Case, error)
	Cases(ctx context.Context, q store.Query) (store.Page, error)
	Actions(ctx context.Context, caseID string) ([]hotline.Action, error)
	Contact(ctx context.Context, reportID string) (string, error)
	Users(ctx context.Context) ([]hotline.User, error)
	User(ctx context.Context, id string) (hotline.User, error)
	auth.KeyStore
	APIKeys(ctx context.Context) ([]hotline.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
	AppendAudit(ctx context.Context, e hotline.AuditEntry) error
}

// Config configures the pages.
type Config struct {
	Store    Store
	Review   *review.Service
	Sessions *auth.Sessions
	Staff    *auth.Staff // the admin bootstrap token
	// InsecureCookies leaves the Secure flag off the cookies, for plain
	// http on localhost. Never in production.
	InsecureCookies bool
	// Stats, if set, serves the statistics page (/stats and its style
	// sheet) to signed-in staff.
	Stats  http.Handler
	Logger *zap.Logger
}

// Server is the staff pages' handler.
type Server struct {
	cfg   Config
	log   *zap.Logger
	authn *auth.Authenticator
	pages map[string]*template.Template
	mux   *http.ServeMux
}

var _ http.Handler = (*Server)(nil)

// New returns the pages' handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Review == nil || cfg.Sessions == nil || cfg.Staff == nil {
		return nil, errors.New("web: store, review, sessions and staff are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, authn: &auth.Authenticator{Staff: cfg.Staff, Sessions: cfg.Sessions}}
	if err := s.parse(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /{$}", s.page(s.queue))
	m.HandleFunc("GET /cases/{id}", s.page(s.casePage))
	m.HandleFunc("POST /cases/{id}/{action}", s.page(s.caseAction))
	m.HandleFunc("POST /bulk", s.page(s.bulk))
	m.HandleFunc("GET /rechecks", s.page(s.rechecks))
	m.HandleFunc("GET /dashboard", s.page(s.dashboard))
	if cfg.Stats != nil {
		stats := s.page(func(w http.ResponseWriter, r *http.Request, _ auth.Principal) { cfg.Stats.ServeHTTP(w, r) })
		m.HandleFunc("GET /stats", stats)
		m.HandleFunc("GET /stats/", stats)
	}
	m.HandleFunc("GET /admin/users", s.page(s.users))
	m.HandleFunc("POST /admin/users", s.page(s.createUser))
	m.HandleFunc("POST /admin/users/{id}", s.page(s.updateUser))
	m.HandleFunc("GET /admin/keys", s.page(s.keys))
	m.HandleFunc("POST /admin/keys", s.page(s.createKey))
	m.HandleFunc("POST /admin/keys/{id}/revoke", s.page(s.revokeKey))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, auth.Principal{}, http.StatusNotFound, "ページが見つかりません。")
	})
	s.mux = m
	return s, nil
}

// ServeHTTP sets the security headers on every response and serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) parse() error {
	funcs := template.FuncMap{
		"catLabel":     func(c hotline.Category) string { return c.Label() },
		"subLabel":     subLabel,
		"statusLabel":  statusLabel,
		"kindLabel":    kindLabel,
		"recipLabel":   recipientLabel,
		"outcomeLabel": outcomeLabel,
		"sourceLabel":  sourceLabel,
		"roleLabel":    func(r hotline.Role) string { return r.Label() },
		"jst":          func(t time.Time) string { return t.In(review.JST()).Format("2006-01-02 15:04") },
		"jstp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.In(review.JST()).Format("2006-01-02 15:04")
		},
		"age":      func(t time.Time) string { return ago(time.Since(t)) },
		"pct":      func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"describe": review.Describe,
		"stateJSON": func(st *hotline.State) string {
			if st == nil {
				return ""
			}
			return stateText(st)
		},
	}
	s.pages = map[string]*template.Template{}
	for _, name := range []string{"login", "queue", "case", "rechecks", "dashboard", "users", "keys", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// ago says how long ago, in Japanese.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "たった今"
	case d < time.Hour:
		return fmt.Sprintf("%d分前", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d時間前", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d日前", int(d/(24*time.Hour)))
	}
}

func stateText(st *hotline.State) string {
	parts := []string{"状態=" + statusLabel(st.Status)}
	if j := st.Judgement; j != nil {
		p := "判定=" + j.Category.Label()
		if j.Subcategory != "" {
			p += "/" + subLabel(j.Subcategory)
		}
		p += " (" + j.By + ")"
		if j.ConfirmedBy != "" {
			p += " 確認=" + j.ConfirmedBy
		}
		parts = append(parts, p)
	}
	if st.ClaimedBy != "" {
		parts = append(parts, "担当="+st.ClaimedBy)
	}
	if st.RequestCount > 0 {
		parts = append(parts, fmt.Sprintf("依頼=%d回", st.RequestCount))
	}
	if st.ReferredAt != nil {
		parts = append(parts, "警察通報済")
	}
	if st.Outcome != "" {
		parts = append(parts, "結果="+outcomeLabel(st.Outcome))
	}
	return strings.Join(parts, " ")
}

// view is what every page template gets.
type view struct {
	Title  string
	Me     auth.Principal
	Nav    string // the current section
	Error  string
	Notice string
	Data   any
}

func (s *Server) render(w http.ResponseWriter, code int, page string, v view) {
	t := s.pages[page]
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		s.log.Error("render page", zap.String("page", page), zap.Error(err))
		http.Error(w, "ページを表示できませんでした。", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(b.String()))
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, me auth.Principal, code int, msg string) {
	s.render(w, code, "error", view{Title: "エラー", Me: me, Error: msg})
}

// pageFunc is a page handler with the signed-in principal.
type pageFunc func(w http.ResponseWriter, r *http.Request, me auth.Principal)

// page authenticates (session cookie or bearer token), checks CSRF on
// unsafe requests, and sends signed-out browsers to the login page.
func (s *Server) page(h pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, err := s.authn.Authenticate(r)
		if err != nil {
			if errors.Is(err, auth.ErrNoCredentials) || (errors.Is(err, auth.ErrBadCredentials) && r.Header.Get("Authorization") == "") {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
			}
			s.fail(w, r, auth.Principal{}, http.StatusUnauthorized, "ログインしてください。")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, me, http.StatusBadRequest, "フォームを読めませんでした。")
				return
			}
		}
		if err := auth.CheckCSRF(r, me); err != nil {
			s.fail(w, r, me, http.StatusForbidden, "フォームの有効期限が切れました。ページを再読み込みしてからもう一度お試しください。")
			return
		}
		h(w, r, me)
	}
}

func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode}
}

const loginCSRFCookie = "hotline_login_csrf"

type loginData struct {
	CSRF  string
	Next  string
	Login string
}

func safeNext(next string) string {
	// Only local paths: "/x", never "//host" or "/\host".
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, "", "")
}

// renderLogin shows the login form with a fresh double-submit CSRF token
// (there is no session yet to tie a token to).
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, code int, msg, login string) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, "error", http.StatusInternalServerError)
		return
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, s.cookie(loginCSRFCookie, tok, 3600))
	s.render(w, code, "login", view{Title: "ログイン", Error: msg,
		Data: loginData{CSRF: tok, Next: safeNext(r.FormValue("next")), Login: login}})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, r, http.StatusBadRequest, "フォームを読めませんでした。", "")
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(auth.CSRFField))) != 1 {
		s.renderLogin(w, r, http.StatusForbidden, "フォームの有効期限が切れました。もう一度ログインしてください。", "")
		return
	}
	login := strings.TrimSpace(r.PostFormValue("login"))
	tok, _, err := s.cfg.Sessions.Login(r.Context(), login, r.PostFormValue("password"), auth.ClientIP(r))
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		s.renderLogin(w, r, http.StatusTooManyRequests, "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからお試しください。", login)
		return
	case errors.Is(err, auth.ErrBadCredentials):
		s.renderLogin(w, r, http.StatusUnauthorized, "ログイン名またはパスワードが違います。", login)
		return
	case err != nil:
		s.log.Error("login failed", zap.Error(err))
		s.renderLogin(w, r, http.StatusServiceUnavailable, "ただいまログインできません。", login)
		return
	}
	http.SetCookie(w, s.cookie(loginCSRFCookie, "", -1))
	http.SetCookie(w, s.cookie(auth.SessionCookie, tok, int(s.cfg.Sessions.TTL().Seconds())))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	me, err := s.authn.Authenticate(r)
	if err == nil {
		if err := r.ParseForm(); err == nil && auth.CheckCSRF(r, me) == nil {
			if c, err := r.Cookie(auth.SessionCookie); err == nil {
				_ = s.cfg.Sessions.Logout(r.Context(), c.Value, auth.ClientIP(r))
			}
		}
	}
	http.SetCookie(w, s.cookie(auth.SessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
