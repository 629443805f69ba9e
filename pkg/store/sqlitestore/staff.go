package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// ActionLog calls fn for every action recorded at a time in [from, to).
func (s *Store) ActionLog(ctx context.Context, from, to time.Time, fn func(hotline.Action) error) error {
	// Read the page first, then call fn: the single connection must not be
	// held while fn runs (fn may read the store).
	const page = 500
	var after int64
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT seq, body FROM actions WHERE seq > ? ORDER BY seq LIMIT ?`, after, page)
		if err != nil {
			return fmt.Errorf("action log: %w", err)
		}
		var batch []hotline.Action
		n := 0
		for rows.Next() {
			var (
				body string
				a    hotline.Action
			)
			if err := rows.Scan(&after, &body); err != nil {
				rows.Close()
				return fmt.Errorf("action log: %w", err)
			}
			n++
			if err := json.Unmarshal([]byte(body), &a); err != nil {
				rows.Close()
				return fmt.Errorf("action log: action %d: %w", after, err)
			}
			if !a.At.Before(from) && a.At.Before(to) {
				batch = append(batch, a)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("action log: %w", err)
		}
		for _, a := range batch {
			if err := fn(a); err != nil {
				return err
			}
		}
		if n < page {
			return nil
		}
	}
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// CreateUser stores a staff account.
func (s *Store) CreateUser(ctx context.Context, u hotline.User) error {
	if u.ID == "" || u.Login == "" {
		return errors.New("create user: id and login are required")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO users(id, login, display_name, role, password_hash, disabled, created_at)
		VALUES (?,?,?,?,?,?,?)`, u.ID, u.Login, u.DisplayName, u.Role, u.PasswordHash, u.Disabled, nanos(u.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("create user %s: %w", u.Login, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Login, err)
	}
	return nil
}

const userColumns = `id, login, display_name, role, password_hash, disabled, created_at`

func scanUser(row scanner) (hotline.User, error) {
	var (
		u       hotline.User
		created int64
	)
	if err := row.Scan(&u.ID, &u.Login, &u.DisplayName, &u.Role, &u.PasswordHash, &u.Disabled, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, store.ErrNotFound
		}
		return u, err
	}
	u.CreatedAt = fromNanos(created)
	return u, nil
}

// User returns the account with that id.
func (s *Store) User(ctx context.Context, id string) (hotline.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return u, fmt.Errorf("user %s: %w", id, err)
	}
	return u, nil
}

// UserByLogin returns the account with that login.
func (s *Store) UserByLogin(ctx context.Context, login string) (hotline.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE login = ?`, login))
	if err != nil {
		return u, fmt.Errorf("user %q: %w", login, err)
	}
	return u, nil
}

// Users lists every account by login.
func (s *Store) Users(ctx context.Context) ([]hotline.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []hotline.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser replaces an account's mutable fields.
func (s *Store) UpdateUser(ctx context.Context, u hotline.User) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET display_name = ?, role = ?, password_hash = ?, disabled = ? WHERE id = ?`,
		u.DisplayName, u.Role, u.PasswordHash, u.Disabled, u.ID)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update user %s: %w", u.ID, store.ErrNotFound)
	}
	return nil
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, se hotline.Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions(hash, user_id, created_at, expires_at) VALUES (?,?,?,?)`,
		se.Hash, se.UserID, nanos(se.CreatedAt), nanos(se.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("create session: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	// Expired sessions are swept as new ones are made.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, nanos(s.now())); err != nil {
		return fmt.Errorf("sweep sessions: %w", err)
	}
	return nil
}

// Session returns the session with that hash.
func (s *Store) Session(ctx context.Context, hash string) (hotline.Session, error) {
	var (
		se               hotline.Session
		created, expires int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT hash, user_id, created_at, expires_at FROM sessions WHERE hash = ?`, hash).
		Scan(&se.Hash, &se.UserID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("session: %w", err)
	}
	se.CreatedAt, se.ExpiresAt = fromNanos(created), fromNanos(expires)
	return se, nil
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete sessions of %s: %w", userID, err)
	}
	return nil
}

// AppendAudit appends an audit entry.
func (s *Store) AppendAudit(ctx context.Context, e hotline.AuditEntry) error {
	if e.ID == "" || e.Kind == "" || e.At.IsZero() {
		return errors.New("append audit: id, kind and at are required")
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit(id, at, actor, kind, subject, detail, ip) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(id) DO NOTHING`, e.ID, nanos(e.At), e.Actor, e.Kind, e.Subject, e.Detail, e.IP); err != nil {
		return fmt.Errorf("append audit %s: %w", e.ID, err)
	}
	return nil
}

// Audit calls fn for every entry at a time in [from, to).
func (s *Store) Audit(ctx context.Context, from, to time.Time, fn func(hotline.AuditEntry) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor, kind, subject, detail, ip FROM audit
		WHERE at >= ? AND at < ? ORDER BY seq`, nanos(from), nanos(to))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var out []hotline.AuditEntry
	for rows.Next() {
		var (
			e  hotline.AuditEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Kind, &e.Subject, &e.Detail, &e.IP); err != nil {
			rows.Close()
			return fmt.Errorf("audit: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	for _, e := range out {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
