package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// More errors of authentication.
var (
	ErrRateLimited = errors.New("too many failed sign-ins; wait and try again")
	ErrCSRF        = errors.New("missing or invalid CSRF token")
	ErrInvalidUser = errors.New("invalid user")
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "hotline_session"

// CSRFField is the form field (and, as X-CSRF-Token, the header) that
// carries a cookie session's CSRF token.
const CSRFField = "csrf_token"

// Accounts is what sign-in and account management need of the store.
type Accounts interface {
	CreateUser(ctx context.Context, u hotline.User) error
	User(ctx context.Context, id string) (hotline.User, error)
	UserByLogin(ctx context.Context, login string) (hotline.User, error)
	UpdateUser(ctx context.Context, u hotline.User) error
	CreateSession(ctx context.Context, s hotline.Session) error
	Session(ctx context.Context, hash string) (hotline.Session, error)
	DeleteSession(ctx context.Context, hash string) error
	DeleteUserSessions(ctx context.Context, userID string) error
	AppendAudit(ctx context.Context, e hotline.AuditEntry) error
	Audit(ctx context.Context, from, to time.Time, fn func(hotline.AuditEntry) error) error
}

// SessionOptions configure Sessions.
type SessionOptions struct {
	TTL        time.Duration // session lifetime; default 12h
	BcryptCost int           // default bcrypt.DefaultCost
	// MaxFailures sign-in failures per login, and four times as many per
	// address, within Window lock further attempts out; default 5 in 15 min.
	MaxFailures int
	Window      time.Duration
	Now         func() time.Time
}

// Sessions signs staff in and out and resolves session cookies.
type Sessions struct {
	st    Accounts
	opt   SessionOptions
	limit *Limiter
	dummy []byte // a hash to compare against for unknown logins (equal timing)
}

// NewSessions returns a session manager over st.
func NewSessions(st Accounts, opt SessionOptions) *Sessions {
	if opt.TTL <= 0 {
		opt.TTL = 12 * time.Hour
	}
	if opt.BcryptCost == 0 {
		opt.BcryptCost = bcrypt.DefaultCost
	}
	if opt.MaxFailures <= 0 {
		opt.MaxFailures = 5
	}
	if opt.Window <= 0 {
		opt.Window = 15 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), opt.BcryptCost)
	return &Sessions{st: st, opt: opt, limit: NewLimiter(opt.Window, opt.Now), dummy: dummy}
}

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// NewUser validates and creates an account, recording it in the audit log
// as done by actor.
func (s *Sessions) NewUser(ctx context.Context, actor, login, display string, role hotline.Role, password string) (hotline.User, error) {
	switch {
	case !loginPattern.MatchString(login):
		return hotline.User{}, fmt.Errorf("%w: login must be 2 to 64 lower-case letters, digits, '.', '_' or '-'", ErrInvalidUser)
	case display == "" || utf8.RuneCountInString(display) > 100 || !utf8.ValidString(display):
		return hotline.User{}, fmt.Errorf("%w: display name must be 1 to 100 characters", ErrInvalidUser)
	case !role.Valid():
		return hotline.User{}, fmt.Errorf("%w: unknown role %q", ErrInvalidUser, role)
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return hotline.User{}, err
	}
	u := hotline.User{
		ID: uuid.Must(uuid.NewV7()).String(), Login: login, DisplayName: display, Role: role,
		PasswordHash: hash, CreatedAt: s.opt.Now().UTC(),
	}
	if err := s.st.CreateUser(ctx, u); err != nil {
		return hotline.User{}, fmt.Errorf("new user %s: %w", login, err)
	}
	s.audit(ctx, actor, hotline.AuditUserCreated, login, "role="+string(role), "")
	return u, nil
}

// UpdateUser changes an account's role, display name, disabled flag and,
// if password is not empty, its password. Disabling an account or changing
// its password ends its sessions.
func (s *Sessions) UpdateUser(ctx context.Context, actor, id, display string, role hotline.Role, disabled bool, password string) (hotline.User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return u, fmt.Errorf("update user: %w", err)
	}
	if display != "" {
		if utf8.RuneCountInString(display) > 100 || !utf8.ValidString(display) {
			return u, fmt.Errorf("%w: display name must be 1 to 100 characters", ErrInvalidUser)
		}
		u.DisplayName = display
	}
	if !role.Valid() {
		return u, fmt.Errorf("%w: unknown role %q", ErrInvalidUser, role)
	}
	endSessions := disabled && !u.Disabled
	u.Role, u.Disabled = role, disabled
	if password != "" {
		if u.PasswordHash, err = s.hashPassword(password); err != nil {
			return u, err
		}
		endSessions = true
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return u, fmt.Errorf("update user %s: %w", u.Login, err)
	}
	if endSessions {
		if err := s.st.DeleteUserSessions(ctx, u.ID); err != nil {
			return u, err
		}
	}
	s.audit(ctx, actor, hotline.AuditUserUpdated, u.Login, fmt.Sprintf("role=%s disabled=%t password_changed=%t", role, disabled, password != ""), "")
	return u, nil
}

func (s *Sessions) hashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinPassword || len(pw) > 72 {
		return "", fmt.Errorf("%w: password must be %d to 72 bytes", ErrInvalidUser, MinPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.opt.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

func (s *Sessions) audit(ctx context.Context, actor, kind, subject, detail, ip string) {
	// The audit entry is best effort here only in the sense that a failure
	// to write it is reported by the next store call; the id makes a retry
	// harmless.
	_ = s.st.AppendAudit(ctx, hotline.AuditEntry{
		ID: uuid.Must(uuid.NewV7()).String(), At: s.opt.Now().UTC(), Actor: actor, Kind: kind,
		Subject: subject, Detail: detail, IP: ip,
	})
}

// Audit appends an entry to the audit log (for callers recording exports
// and key changes).
func (s *Sessions) Audit(ctx context.Context, actor, kind, subject, detail, ip string) error {
	return s.st.AppendAudit(ctx, hotline.AuditEntry{
		ID: uuid.Must(uuid.NewV7()).String(), At: s.opt.Now().UTC(), Actor: actor, Kind: kind,
		Subject: subject, Detail: detail, IP: ip,
	})
}

// Login checks a login and password and opens a session, returning the
// session's secret (for the cookie) and the principal. Failures are rate
// limited per login and per address (ip) and recorded in the audit log.
func (s *Sessions) Login(ctx context.Context, login, password, ip string) (string, Principal, error) {
	if !s.limit.Allow("login:"+login, s.opt.MaxFailures) || !s.limit.Allow("ip:"+ip, 4*s.opt.MaxFailures) {
		s.audit(ctx, login, hotline.AuditLoginFailure, login, rateLimited, ip)
		return "", Principal{}, ErrRateLimited
	}
	// The failures other processes saw (they share the store): the same
	// limits over the audit log, so that running several web processes
	// does not multiply the attempts an attacker gets. The count in memory
	// stays in front: audit entries are written best effort.
	if locked, err := s.lockedOut(ctx, login, ip); err != nil {
		return "", Principal{}, fmt.Errorf("login: %w", err)
	} else if locked {
		s.audit(ctx, login, hotline.AuditLoginFailure, login, rateLimited, ip)
		return "", Principal{}, ErrRateLimited
	}
	u, err := s.st.UserByLogin(ctx, login)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", Principal{}, fmt.Errorf("login: %w", err)
	}
	hash := s.dummy
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	pwErr := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if err != nil || pwErr != nil || u.Disabled {
		s.limit.Fail("login:" + login)
		s.limit.Fail("ip:" + ip)
		s.audit(ctx, login, hotline.AuditLoginFailure, login, "", ip)
		return "", Principal{}, ErrBadCredentials
	}
	s.limit.Reset("login:" + login)
	tok, err := randomToken("hls_", 32)
	if err != nil {
		return "", Principal{}, err
	}
	now := s.opt.Now().UTC()
	if err := s.st.CreateSession(ctx, hotline.Session{Hash: HashKey(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.opt.TTL)}); err != nil {
		return "", Principal{}, fmt.Errorf("login: %w", err)
	}
	s.audit(ctx, u.Login, hotline.AuditLogin, u.Login, "", ip)
	return tok, principalOf(u, tok), nil
}

// rateLimited is the detail of the audit entry of a refused attempt; such
// entries do not count as failures (a lock-out is not extended by them).
const rateLimited = "rate limited"

// lockedOut counts the sign-in failures in the audit log within the window:
// for the login since its last successful sign-in, and for the address.
func (s *Sessions) lockedOut(ctx context.Context, login, ip string) (bool, error) {
	now := s.opt.Now().UTC()
	byLogin, byIP := 0, 0
	err := s.st.Audit(ctx, now.Add(-s.opt.Window), now.Add(time.Nanosecond), func(e hotline.AuditEntry) error {
		switch {
		case e.Kind == hotline.AuditLogin && e.Actor == login:
			byLogin = 0 // entries come in the order appended
		case e.Kind != hotline.AuditLoginFailure || e.Detail == rateLimited:
		default:
			if e.Actor == login {
				byLogin++
			}
			if e.IP == ip {
				byIP++
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("failed sign-ins: %w", err)
	}
	return byLogin >= s.opt.MaxFailures || byIP >= 4*s.opt.MaxFailures, nil
}

func principalOf(u hotline.User, tok string) Principal {
	return Principal{UserID: u.ID, Name: u.Login, DisplayName: u.DisplayName, Role: u.Role, CSRF: CSRFToken(tok)}
}

// TTL is how long a session lasts.
func (s *Sessions) TTL() time.Duration { return s.opt.TTL }

// Lookup resolves a session secret to its principal. An expired session,
// or one whose account was disabled, is refused (and removed).
func (s *Sessions) Lookup(ctx context.Context, tok string) (Principal, error) {
	se, err := s.st.Session(ctx, HashKey(tok))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadCredentials
	}
	if err != nil {
		return Principal{}, fmt.Errorf("session: %w", err)
	}
	if !s.opt.Now().Before(se.ExpiresAt) {
		_ = s.st.DeleteSession(ctx, se.Hash)
		return Principal{}, ErrBadCredentials
	}
	u, err := s.st.User(ctx, se.UserID)
	if err != nil || u.Disabled {
		_ = s.st.DeleteSession(ctx, se.Hash)
		return Principal{}, ErrBadCredentials
	}
	return principalOf(u, tok), nil
}

// Logout ends a session.
func (s *Sessions) Logout(ctx context.Context, tok, ip string) error {
	p, err := s.Lookup(ctx, tok)
	if err := s.st.DeleteSession(ctx, HashKey(tok)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if err == nil {
		s.audit(ctx, p.Name, hotline.AuditLogout, p.Name, "", ip)
	}
	return nil
}

// CSRFToken derives a session's CSRF token from its secret: knowing the
// stored hash does not give it, and it needs no storage of its own.
func CSRFToken(sessionSecret string) string {
	h := sha256.Sum256([]byte("csrf\x00" + sessionSecret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Authenticator resolves a request's staff principal: a bearer token in
// Authorization (the admin token), or else a session cookie.
type Authenticator struct {
	Staff    *Staff
	Sessions *Sessions // nil: bearer tokens only
}

// Authenticate returns the request's principal, ErrNoCredentials when it
// carries none, ErrBadCredentials when they are wrong.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, err := BearerToken(h)
		if err != nil {
			return Principal{}, err
		}
		return a.Staff.Check(tok)
	}
	if a.Sessions == nil {
		return Principal{}, ErrNoCredentials
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Principal{}, ErrNoCredentials
	}
	return a.Sessions.Lookup(r.Context(), c.Value)
}

// CheckCSRF verifies that an unsafe request of a cookie session carries the
// session's CSRF token, in the X-CSRF-Token header or the csrf_token form
// field. Safe methods and bearer requests pass.
func CheckCSRF(r *http.Request, p Principal) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if p.CSRF == "" {
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
		return ErrCSRF
	}
	return nil
}

// ClientIP is the request's remote address without its port (proxies are
// not trusted: X-Forwarded-For is ignored).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Limiter counts failures per key within a sliding window, in memory.
type Limiter struct {
	mu     sync.Mutex
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

// NewLimiter returns a limiter over window.
func NewLimiter(window time.Duration, now func() time.Time) *Limiter {
	return &Limiter{window: window, now: now, fails: map[string][]time.Time{}}
}

func (l *Limiter) prune(key string) []time.Time {
	cut := l.now().Add(-l.window)
	f := l.fails[key]
	i := 0
	for i < len(f) && !f[i].After(cut) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = f
	}
	return f
}

// Allow reports whether key has had fewer than max failures in the window.
func (l *Limiter) Allow(key string, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.prune(key)) < max
}

// Fail records a failure for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.prune(key), l.now())
	if len(l.fails) > 100000 { // bound memory under a spray of keys
		for k := range l.fails {
			delete(l.fails, k)
			break
		}
	}
}

// Reset forgets key's failures.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
