package esstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/conflicts"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortorder"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// Contact returns the contact given with a report ("" if none).
func (s *Store) Contact(ctx context.Context, reportID string) (string, error) {
	var d contactDoc
	ver, err := s.getDoc(ctx, idxContacts, reportID, &d)
	if err != nil {
		return "", fmt.Errorf("contact of %s: %w", reportID, err)
	}
	if !ver.found {
		return "", nil
	}
	return d.Contact, nil
}

// keyDoc is a crawler key in the api_keys index.
type keyDoc struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Hash      string     `json:"hash"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func (d keyDoc) key() hotline.APIKey {
	return hotline.APIKey{ID: d.ID, Name: d.Name, Prefix: d.Prefix, Hash: d.Hash, CreatedAt: d.CreatedAt, RevokedAt: d.RevokedAt}
}

// CreateAPIKey stores a crawler key; an id already taken wraps
// store.ErrConflict.
func (s *Store) CreateAPIKey(ctx context.Context, k hotline.APIKey) error {
	if k.ID == "" || k.Hash == "" {
		return errors.New("create api key: id and hash are required")
	}
	ok, err := s.create(ctx, idxKeys, k.ID, keyDoc{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Hash: k.Hash, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt})
	if err != nil {
		return fmt.Errorf("create api key %s: %w", k.ID, err)
	}
	if !ok {
		return fmt.Errorf("create api key %s: %w", k.ID, store.ErrConflict)
	}
	return nil
}

// APIKeyByHash returns the key with that hash, revoked or not.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (hotline.APIKey, error) {
	res, err := s.es.Search().Index(s.index(idxKeys)).Request(&search.Request{
		Query: termQuery("hash", hash), Size: ptr(1), Sort: sorts("id", sortorder.Asc),
	}).Do(ctx)
	if err != nil {
		return hotline.APIKey{}, fmt.Errorf("api key: %w", err)
	}
	if len(res.Hits.Hits) == 0 {
		return hotline.APIKey{}, fmt.Errorf("api key: %w", store.ErrNotFound)
	}
	var d keyDoc
	if err := json.Unmarshal(res.Hits.Hits[0].Source_, &d); err != nil {
		return hotline.APIKey{}, fmt.Errorf("api key: %w", err)
	}
	return d.key(), nil
}

// APIKeys lists every key, newest first.
func (s *Store) APIKeys(ctx context.Context) ([]hotline.APIKey, error) {
	var out []hotline.APIKey
	err := s.searchAll(ctx, idxKeys, &search.Request{
		Query: &types.Query{MatchAll: &types.MatchAllQuery{}},
		Sort:  sorts("created_at", sortorder.Desc, "id", sortorder.Asc),
	}, s.limits.page, func(h types.Hit) error {
		var d keyDoc
		if err := json.Unmarshal(h.Source_, &d); err != nil {
			return fmt.Errorf("api key %s: %w", deref(h.Id_), err)
		}
		out = append(out, d.key())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey marks a key revoked (keeping the first revocation time).
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	for attempt := 0; ; attempt++ {
		var d keyDoc
		ver, err := s.getDoc(ctx, idxKeys, id, &d)
		if err != nil {
			return fmt.Errorf("revoke api key %s: %w", id, err)
		}
		if !ver.found {
			return fmt.Errorf("revoke api key %s: %w", id, store.ErrNotFound)
		}
		if d.RevokedAt != nil {
			return nil
		}
		d.RevokedAt = ptr(s.clock())
		err = s.put(ctx, idxKeys, id, d, ver)
		if isConflict(err) && attempt < s.retries {
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("revoke api key %s: %w", id, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("revoke api key %s: %w", id, err)
		}
		return nil
	}
}

// userDoc is a staff account in the users index.
type userDoc struct {
	ID           string       `json:"id"`
	Login        string       `json:"login"`
	DisplayName  string       `json:"display_name"`
	Role         hotline.Role `json:"role"`
	PasswordHash string       `json:"password_hash"`
	Disabled     bool         `json:"disabled"`
	CreatedAt    time.Time    `json:"created_at"`
}

func (d userDoc) user() hotline.User {
	return hotline.User{ID: d.ID, Login: d.Login, DisplayName: d.DisplayName, Role: d.Role,
		PasswordHash: d.PasswordHash, Disabled: d.Disabled, CreatedAt: d.CreatedAt}
}

// loginDoc claims a login for a user: its id in the logins index is the
// login, which makes logins unique.
type loginDoc struct {
	Login     string    `json:"login"`
	UserID    string    `json:"user_id"`
	ClaimedAt time.Time `json:"claimed_at"`
}

// staleClaim is how old a claim on a login must be, with no account behind
// it, before another account may take the login: the claim of a creation
// that crashed half-way.
const staleClaim = time.Minute

// CreateUser stores a staff account: first the claim on its login, then
// the account.
func (s *Store) CreateUser(ctx context.Context, u hotline.User) error {
	if u.ID == "" || u.Login == "" {
		return errors.New("create user: id and login are required")
	}
	claimed, err := s.claimLogin(ctx, u)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Login, err)
	}
	ok, err := s.create(ctx, idxUsers, u.ID, userDoc{ID: u.ID, Login: u.Login, DisplayName: u.DisplayName, Role: u.Role,
		PasswordHash: u.PasswordHash, Disabled: u.Disabled, CreatedAt: u.CreatedAt})
	if err == nil && !ok {
		err = store.ErrConflict // the id is taken
	}
	if err != nil {
		if claimed {
			if _, derr := s.es.Delete(s.index(idxLogins), u.Login).Refresh(s.refresh).Do(ctx); derr != nil {
				s.log.Warn("could not release the claim on a login after a failed account creation",
					zap.String("login", u.Login), zap.Error(derr))
			}
		}
		return fmt.Errorf("create user %s: %w", u.Login, err)
	}
	return nil
}

// claimLogin claims u's login for u. It reports whether this call made
// the claim (false when u already held it, from an interrupted creation).
func (s *Store) claimLogin(ctx context.Context, u hotline.User) (bool, error) {
	claim := loginDoc{Login: u.Login, UserID: u.ID, ClaimedAt: s.clock()}
	ok, err := s.create(ctx, idxLogins, u.Login, claim)
	if err != nil || ok {
		return ok, err
	}
	var cur loginDoc
	ver, err := s.getDoc(ctx, idxLogins, u.Login, &cur)
	if err != nil {
		return false, err
	}
	if !ver.found {
		return false, fmt.Errorf("login claimed and released concurrently: %w", store.ErrConflict)
	}
	if cur.UserID == u.ID {
		return false, nil
	}
	var holder userDoc
	hver, err := s.getDoc(ctx, idxUsers, cur.UserID, &holder)
	if err != nil {
		return false, err
	}
	if hver.found || s.clock().Sub(cur.ClaimedAt) < staleClaim {
		return false, store.ErrConflict
	}
	// A stale claim without an account: take it over.
	if err := s.put(ctx, idxLogins, u.Login, claim, ver); err != nil {
		if isConflict(err) {
			return false, store.ErrConflict
		}
		return false, err
	}
	return true, nil
}

// User returns the account with that id.
func (s *Store) User(ctx context.Context, id string) (hotline.User, error) {
	var d userDoc
	ver, err := s.getDoc(ctx, idxUsers, id, &d)
	if err != nil {
		return hotline.User{}, fmt.Errorf("user %s: %w", id, err)
	}
	if !ver.found {
		return hotline.User{}, fmt.Errorf("user %s: %w", id, store.ErrNotFound)
	}
	return d.user(), nil
}

// UserByLogin returns the account with that login, through the claim on
// the login (real-time reads, no search).
func (s *Store) UserByLogin(ctx context.Context, login string) (hotline.User, error) {
	var c loginDoc
	ver, err := s.getDoc(ctx, idxLogins, login, &c)
	if err != nil {
		return hotline.User{}, fmt.Errorf("user %q: %w", login, err)
	}
	if !ver.found {
		return hotline.User{}, fmt.Errorf("user %q: %w", login, store.ErrNotFound)
	}
	u, err := s.User(ctx, c.UserID)
	if err == nil && u.Login != login {
		err = store.ErrNotFound
	}
	if err != nil {
		return hotline.User{}, fmt.Errorf("user %q: %w", login, err)
	}
	return u, nil
}

// Users lists every account, by login.
func (s *Store) Users(ctx context.Context) ([]hotline.User, error) {
	out := []hotline.User{}
	err := s.searchAll(ctx, idxUsers, &search.Request{
		Query: &types.Query{MatchAll: &types.MatchAllQuery{}},
		Sort:  sorts("login", sortorder.Asc, "id", sortorder.Asc),
	}, s.limits.page, func(h types.Hit) error {
		var d userDoc
		if err := json.Unmarshal(h.Source_, &d); err != nil {
			return fmt.Errorf("user %s: %w", deref(h.Id_), err)
		}
		out = append(out, d.user())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser replaces an account's display name, role, password hash and
// disabled flag.
func (s *Store) UpdateUser(ctx context.Context, u hotline.User) error {
	for attempt := 0; ; attempt++ {
		var d userDoc
		ver, err := s.getDoc(ctx, idxUsers, u.ID, &d)
		if err != nil {
			return fmt.Errorf("update user %s: %w", u.ID, err)
		}
		if !ver.found {
			return fmt.Errorf("update user %s: %w", u.ID, store.ErrNotFound)
		}
		d.DisplayName, d.Role, d.PasswordHash, d.Disabled = u.DisplayName, u.Role, u.PasswordHash, u.Disabled
		err = s.put(ctx, idxUsers, u.ID, d, ver)
		if isConflict(err) && attempt < s.retries {
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("update user %s: %w", u.ID, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("update user %s: %w", u.ID, err)
		}
		return nil
	}
}

// sessionDoc is a session in the sessions index, whose id is its hash.
type sessionDoc struct {
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// sweepEvery is how often a store removes expired sessions.
const sweepEvery = time.Hour

// CreateSession stores a session by its hash; a hash already stored wraps
// store.ErrConflict. Expired sessions are swept now and then.
func (s *Store) CreateSession(ctx context.Context, se hotline.Session) error {
	if se.Hash == "" {
		return errors.New("create session: no hash")
	}
	ok, err := s.create(ctx, idxSessions, se.Hash, sessionDoc{UserID: se.UserID, CreatedAt: se.CreatedAt, ExpiresAt: se.ExpiresAt})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if !ok {
		return fmt.Errorf("create session: %w", store.ErrConflict)
	}
	now := s.clock()
	s.mu.Lock()
	sweep := now.Sub(s.swept) >= sweepEvery
	if sweep {
		s.swept = now
	}
	s.mu.Unlock()
	if sweep {
		q := &types.Query{Range: map[string]types.RangeQuery{"expires_at": types.DateRangeQuery{Lt: ptr(formatTime(now))}}}
		if _, err := s.es.DeleteByQuery(s.index(idxSessions)).Query(q).Conflicts(conflicts.Proceed).Do(ctx); err != nil {
			s.log.Warn("sweeping expired sessions failed", zap.Error(err))
		}
	}
	return nil
}

// Session returns the session with that hash, expired or not.
func (s *Store) Session(ctx context.Context, hash string) (hotline.Session, error) {
	var d sessionDoc
	ver, err := s.getDoc(ctx, idxSessions, hash, &d)
	if err != nil {
		return hotline.Session{}, fmt.Errorf("session: %w", err)
	}
	if !ver.found {
		return hotline.Session{}, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	return hotline.Session{Hash: hash, UserID: d.UserID, CreatedAt: d.CreatedAt, ExpiresAt: d.ExpiresAt}, nil
}

// DeleteSession removes a session; one that does not exist is no error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.es.Delete(s.index(idxSessions), hash).Refresh(s.refresh).Do(ctx)
	if err != nil && status(err) != 404 {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.es.DeleteByQuery(s.index(idxSessions)).Query(termQuery("user_id", userID)).
		Conflicts(conflicts.Proceed).Refresh(true).Do(ctx)
	if err != nil {
		return fmt.Errorf("delete sessions of %s: %w", userID, err)
	}
	return nil
}

// auditDoc is an audit entry in the audit index, with the store clock at
// which it was appended.
type auditDoc struct {
	hotline.AuditEntry
	Appended string `json:"appended"`
}

// AppendAudit appends an entry; an entry already there is left as it is.
func (s *Store) AppendAudit(ctx context.Context, e hotline.AuditEntry) error {
	if e.ID == "" || e.Kind == "" || e.At.IsZero() {
		return errors.New("append audit: id, kind and at are required")
	}
	if _, err := s.create(ctx, idxAudit, e.ID, auditDoc{AuditEntry: e, Appended: logKey(s.tick(), 0)}); err != nil {
		return fmt.Errorf("append audit %s: %w", e.ID, err)
	}
	return nil
}

// Audit calls fn for every entry at a time in [from, to), in the order
// they were appended.
func (s *Store) Audit(ctx context.Context, from, to time.Time, fn func(hotline.AuditEntry) error) error {
	err := s.searchAll(ctx, idxAudit, &search.Request{
		Query: &types.Query{Range: map[string]types.RangeQuery{"at": types.DateRangeQuery{Gte: ptr(formatTime(from)), Lt: ptr(formatTime(to))}}},
		Sort:  sorts("appended", sortorder.Asc, "id", sortorder.Asc),
	}, s.limits.page, func(h types.Hit) error {
		var d auditDoc
		if err := json.Unmarshal(h.Source_, &d); err != nil {
			return fmt.Errorf("entry %s: %w", deref(h.Id_), err)
		}
		return fn(d.AuditEntry)
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
