// Package auth authenticates the hotline's callers: staff by bearer token
// (the bootstrap admin token kept in <data>/admin.token) or by a cookie
// session opened with a login and password (bcrypt), crawlers by API key.
// Secrets are compared in constant time; API keys and session ids are kept
// only as hashes; none is ever logged. Cookie sessions carry a CSRF token
// (the synchronizer pattern, derived from the session's secret); bearer
// requests need none. Sign-ins are rate limited per login and per
// address, in memory and across processes through the audit log they
// share.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// AdminTokenFile is the name of the admin token's file in the data dir.
const AdminTokenFile = "admin.token"

// Errors of authentication.
var (
	ErrNoCredentials  = errors.New("no credentials")
	ErrBadCredentials = errors.New("invalid credentials")
)

// LoadOrCreateAdminToken returns the admin token kept in dir, creating it
// (mode 0600) on first start. created says whether it was just made.
func LoadOrCreateAdminToken(dir string) (token string, path string, created bool, err error) {
	path = filepath.Join(dir, AdminTokenFile)
	b, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if len(tok) < 32 {
			return "", path, false, fmt.Errorf("admin token in %s is too short; delete the file to make a new one", path)
		}
		return tok, path, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", path, false, fmt.Errorf("read admin token: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", path, false, fmt.Errorf("create data dir: %w", err)
	}
	tok, err := randomToken("hla_", 32)
	if err != nil {
		return "", path, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) { // another process made it first
			return LoadOrCreateAdminToken(dir)
		}
		return "", path, false, fmt.Errorf("create admin token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", path, false, fmt.Errorf("write admin token: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", path, false, fmt.Errorf("write admin token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", path, false, fmt.Errorf("write admin token: %w", err)
	}
	return tok, path, true, nil
}

func randomToken(prefix string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// header value.
func BearerToken(header string) (string, error) {
	if header == "" {
		return "", ErrNoCredentials
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", ErrBadCredentials
	}
	return strings.TrimSpace(tok), nil
}

// Staff checks staff bearer tokens.
type Staff struct {
	adminHash [32]byte
}

// NewStaff returns a checker accepting the admin token.
func NewStaff(adminToken string) *Staff {
	return &Staff{adminHash: sha256.Sum256([]byte(adminToken))}
}

// Principal is an authenticated caller.
type Principal struct {
	UserID      string       // "" for the bootstrap token
	Name        string       // the login ("admin" for the bootstrap token), recorded as the actor
	DisplayName string       // shown in the UI
	Role        hotline.Role // admin for the bootstrap token
	// CSRF is the token a cookie session's unsafe requests must carry; ""
	// for bearer requests, which need none.
	CSRF string
}

// Check authenticates a staff token.
func (s *Staff) Check(token string) (Principal, error) {
	h := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(h[:], s.adminHash[:]) == 1 {
		return Principal{Name: "admin", DisplayName: "管理者 (トークン)", Role: hotline.RoleAdmin}, nil
	}
	return Principal{}, ErrBadCredentials
}

// KeyStore is what crawler key management needs of the store.
type KeyStore interface {
	CreateAPIKey(ctx context.Context, k hotline.APIKey) error
	APIKeyByHash(ctx context.Context, hash string) (hotline.APIKey, error)
}

// HashKey returns the stored form of an API key. Keys are 256 random bits,
// so a plain SHA-256 is enough to make a stolen table useless.
func HashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// NewAPIKey makes a crawler key named name, stores its hash and returns the
// key itself, which is shown once and never again.
func NewAPIKey(ctx context.Context, ks KeyStore, name string, now time.Time) (hotline.APIKey, string, error) {
	if name == "" || len(name) > 100 {
		return hotline.APIKey{}, "", errors.New("key name must be 1 to 100 bytes")
	}
	key, err := randomToken("hlk_", 32)
	if err != nil {
		return hotline.APIKey{}, "", err
	}
	k := hotline.APIKey{
		ID:        uuid.Must(uuid.NewV7()).String(),
		Name:      name,
		Prefix:    key[:12],
		Hash:      HashKey(key),
		CreatedAt: now.UTC(),
	}
	if err := ks.CreateAPIKey(ctx, k); err != nil {
		return hotline.APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, key, nil
}

// CheckAPIKey authenticates a crawler key, returning the key's record.
func CheckAPIKey(ctx context.Context, ks KeyStore, key string) (hotline.APIKey, error) {
	if key == "" {
		return hotline.APIKey{}, ErrNoCredentials
	}
	k, err := ks.APIKeyByHash(ctx, HashKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return hotline.APIKey{}, ErrBadCredentials
	}
	if err != nil {
		return hotline.APIKey{}, fmt.Errorf("check api key: %w", err)
	}
	if k.RevokedAt != nil {
		return hotline.APIKey{}, ErrBadCredentials
	}
	return k, nil
}
