package auth_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openStore opens a store in a temporary directory, closed at the end of
// the test, and a clock at the present for it.
func openStore(t *testing.T) (*sqlitestore.Store, *clock) {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, &clock{t: time.Now()}
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	st, clk := openStore(t)
	s := auth.NewSessions(st, auth.SessionOptions{BcryptCost: bcrypt.MinCost, TTL: time.Hour, MaxFailures: 3, Now: clk.now})
	const pw = "correct horse battery"
	u, err := s.NewUser(ctx, "admin", "tanaka", "田中", hotline.RoleAnalyst, pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewUser(ctx, "admin", "Bad Login", "x", hotline.RoleAnalyst, pw); !errors.Is(err, auth.ErrInvalidUser) {
		t.Errorf("bad login accepted: %v", err)
	}
	if _, err := s.NewUser(ctx, "admin", "short", "x", hotline.RoleAnalyst, "short"); !errors.Is(err, auth.ErrInvalidUser) {
		t.Errorf("short password accepted: %v", err)
	}
	if u.PasswordHash == pw || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil {
		t.Fatal("password not kept as a bcrypt hash")
	}

	steps := []struct {
		name, login, pw, ip string
		want                error
	}{
		{"wrong password", "tanaka", "nope nope nope", "192.0.2.1", auth.ErrBadCredentials},
		{"unknown login", "nobody", pw, "192.0.2.1", auth.ErrBadCredentials},
		{"right password", "tanaka", pw, "192.0.2.1", nil},
		{"fail 1", "tanaka", "x", "192.0.2.2", auth.ErrBadCredentials},
		{"fail 2", "tanaka", "x", "192.0.2.2", auth.ErrBadCredentials},
		{"fail 3", "tanaka", "x", "192.0.2.2", auth.ErrBadCredentials},
		{"locked out even with the right password", "tanaka", pw, "192.0.2.3", auth.ErrRateLimited},
	}
	var tok string
	for _, st := range steps {
		got, p, err := s.Login(ctx, st.login, st.pw, st.ip)
		if !errors.Is(err, st.want) || (err == nil) != (st.want == nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
		}
		if err == nil {
			tok = got
			if p.Name != "tanaka" || p.Role != hotline.RoleAnalyst || p.CSRF == "" {
				t.Errorf("principal = %+v", p)
			}
		}
	}
	p, err := s.Lookup(ctx, tok)
	if err != nil || p.UserID != u.ID || p.CSRF != auth.CSRFToken(tok) {
		t.Fatalf("lookup = %+v, %v", p, err)
	}
	// The session is kept only by hash.
	if _, err := st.Session(ctx, tok); err == nil {
		t.Error("session stored under its secret")
	}
	clk.add(16 * time.Minute) // the lock-out window passes
	if _, _, err := s.Login(ctx, "tanaka", pw, "192.0.2.3"); err != nil {
		t.Errorf("after the window: %v", err)
	}
	clk.add(time.Hour) // the first session expires
	if _, err := s.Lookup(ctx, tok); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("expired session: %v", err)
	}
	tok2, _, err := s.Login(ctx, "tanaka", pw, "192.0.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(ctx, "admin", u.ID, "", hotline.RoleAnalyst, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, tok2); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("session of a disabled account: %v", err)
	}
	if _, _, err := s.Login(ctx, "tanaka", pw, "192.0.2.4"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("disabled account signed in: %v", err)
	}
}

func TestCheckCSRF(t *testing.T) {
	p := auth.Principal{Name: "a", CSRF: "tok"}
	tests := []struct {
		name, method, header string
		p                    auth.Principal
		ok                   bool
	}{
		{"GET needs none", "GET", "", p, true},
		{"POST without", "POST", "", p, false},
		{"POST wrong", "POST", "nope", p, false},
		{"POST right", "POST", "tok", p, true},
		{"bearer POST", "POST", "", auth.Principal{Name: "admin"}, true},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "/x", nil)
		if tc.header != "" {
			r.Header.Set("X-CSRF-Token", tc.header)
		}
		if err := auth.CheckCSRF(r, tc.p); (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

// TestLockOutAcrossProcesses: two web processes over one store share the
// lock-out, through the audit log: failures on either count for both.
func TestLockOutAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	st, clk := openStore(t)
	opt := auth.SessionOptions{BcryptCost: bcrypt.MinCost, MaxFailures: 3, Now: clk.now}
	a, b := auth.NewSessions(st, opt), auth.NewSessions(st, opt)
	const pw = "correct horse battery"
	if _, err := a.NewUser(ctx, "admin", "sato", "佐藤", hotline.RoleAnalyst, pw); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		s    *auth.Sessions
		pw   string
		ip   string
		want error
	}{
		{"fail 1 on a", a, "x", "192.0.2.10", auth.ErrBadCredentials},
		{"success on b resets the count", b, pw, "192.0.2.11", nil},
		{"fail 1 on a", a, "x", "192.0.2.12", auth.ErrBadCredentials},
		{"fail 2 on a", a, "x", "192.0.2.13", auth.ErrBadCredentials},
		{"fail 3 on b", b, "x", "192.0.2.14", auth.ErrBadCredentials},
		// a has seen two failures itself, but three in all.
		{"locked out on a", a, pw, "192.0.2.15", auth.ErrRateLimited},
		{"locked out on b", b, pw, "192.0.2.16", auth.ErrRateLimited},
	}
	for _, st := range steps {
		clk.add(time.Second)
		if _, _, err := st.s.Login(ctx, "sato", st.pw, st.ip); !errors.Is(err, st.want) || (err == nil) != (st.want == nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
		}
	}
	// Refused attempts do not extend the lock-out: it ends a window after
	// the third failure.
	clk.add(15*time.Minute - 2*time.Second)
	if _, _, err := a.Login(ctx, "sato", pw, "192.0.2.17"); err != nil {
		t.Errorf("a window after the last failure: %v", err)
	}
}
