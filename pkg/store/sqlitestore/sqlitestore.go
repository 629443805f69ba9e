// Package sqlitestore is the embedded implementation of the store contract:
// cases, reports, contacts and crawler keys in one SQLite file, written in
// transactions committed to disk before a call returns.
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
	"github.com/hotline-jp/hotline/pkg/sqlitedb"
	"github.com/hotline-jp/hotline/pkg/store"
)

const schema = `
CREATE TABLE IF NOT EXISTS cases (
	id                TEXT PRIMARY KEY,
	url               TEXT NOT NULL,
	canonical_url     TEXT NOT NULL,
	host              TEXT NOT NULL,
	status            TEXT NOT NULL,
	category          TEXT NOT NULL,
	subcategory       TEXT NOT NULL,
	score             REAL NOT NULL,
	priority          INTEGER NOT NULL,
	classification    TEXT NOT NULL,
	workflow          TEXT NOT NULL DEFAULT '{}',
	report_count      INTEGER NOT NULL,
	first_reported_at INTEGER NOT NULL,
	last_reported_at  INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_queue ON cases(priority DESC, report_count DESC, first_reported_at);
CREATE INDEX IF NOT EXISTS cases_category ON cases(category, status);
CREATE INDEX IF NOT EXISTS cases_host ON cases(host);
CREATE TABLE IF NOT EXISTS reports (
	id             TEXT PRIMARY KEY,
	case_id        TEXT NOT NULL REFERENCES cases(id),
	url            TEXT NOT NULL,
	text           TEXT NOT NULL,
	source         TEXT NOT NULL,
	crawler        TEXT NOT NULL,
	received_at    INTEGER NOT NULL,
	classification TEXT NOT NULL,
	classified_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_case ON reports(case_id, received_at);
CREATE TABLE IF NOT EXISTS contacts (
	report_id TEXT PRIMARY KEY REFERENCES reports(id),
	contact   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	id        TEXT NOT NULL UNIQUE,
	case_id   TEXT NOT NULL REFERENCES cases(id),
	kind      TEXT NOT NULL,
	effective INTEGER NOT NULL, -- sent_at of a request, seen_at of an outcome, else at
	body      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_case ON actions(case_id, seq);
CREATE INDEX IF NOT EXISTS actions_effective ON actions(kind, effective);
CREATE TABLE IF NOT EXISTS api_keys (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	prefix     TEXT NOT NULL,
	hash       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS reports_source ON reports(source, case_id);
CREATE TABLE IF NOT EXISTS users (
	id            TEXT PRIMARY KEY,
	login         TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS audit (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	id      TEXT NOT NULL UNIQUE,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	kind    TEXT NOT NULL,
	subject TEXT NOT NULL,
	detail  TEXT NOT NULL,
	ip      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);`

// Store is the SQLite case store.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if need be) the store at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitedb.Open(ctx, path, schema)
	if err != nil {
		return nil, fmt.Errorf("open case store: %w", err)
	}
	return &Store{db: db, now: time.Now}, nil
}

func nanos(t time.Time) int64 { return t.UTC().UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// AddReport merges r into its case in one transaction.
func (s *Store) AddReport(ctx context.Context, r hotline.ClassifiedReport) error {
	rep := r.Report
	if rep.ID == "" || rep.CaseID == "" {
		return errors.New("add report: missing report or case id")
	}
	cl, err := json.Marshal(r.Classification)
	if err != nil {
		return fmt.Errorf("add report %s: %w", rep.ID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add report %s: %w", rep.ID, err)
	}
	defer tx.Rollback()

	var exists int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM reports WHERE id = ?`, rep.ID).Scan(&exists)
	if err == nil {
		return nil // a redelivery: the report is already merged
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("add report %s: %w", rep.ID, err)
	}

	c, err := readCase(ctx, tx, rep.CaseID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("add report %s: %w", rep.ID, err)
	}
	isNew := errors.Is(err, store.ErrNotFound)
	c.Merge(r, s.now())
	ccl, err := json.Marshal(c.Classification)
	if err != nil {
		return fmt.Errorf("add report %s: %w", rep.ID, err)
	}
	if isNew {
		_, err = tx.ExecContext(ctx, `INSERT INTO cases(id, url, canonical_url, host, status, category, subcategory, score, priority,
			classification, report_count, first_reported_at, last_reported_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.ID, c.URL, c.CanonicalURL, c.Host, c.Status, c.Category, c.Subcategory, c.Score, c.Priority,
			string(ccl), c.ReportCount, nanos(c.FirstReportedAt), nanos(c.LastReportedAt), nanos(c.UpdatedAt))
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE cases SET category=?, subcategory=?, score=?, priority=?, classification=?,
			report_count=?, first_reported_at=?, last_reported_at=?, updated_at=? WHERE id=?`,
			c.Category, c.Subcategory, c.Score, c.Priority, string(ccl), c.ReportCount,
			nanos(c.FirstReportedAt), nanos(c.LastReportedAt), nanos(c.UpdatedAt), c.ID)
	}
	if err != nil {
		return fmt.Errorf("add report %s: write case %s: %w", rep.ID, c.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reports(id, case_id, url, text, source, crawler, received_at, classification, classified_at)
		VALUES (?,?,?,?,?,?,?,?,?)`, rep.ID, rep.CaseID, rep.URL, rep.Text, rep.Source, rep.Crawler,
		nanos(rep.ReceivedAt), string(cl), nanos(r.ClassifiedAt)); err != nil {
		return fmt.Errorf("add report %s: %w", rep.ID, err)
	}
	if r.Contact != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts(report_id, contact) VALUES (?, ?)`, rep.ID, r.Contact); err != nil {
			return fmt.Errorf("add report %s: contact: %w", rep.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add report %s: commit: %w", rep.ID, err)
	}
	return nil
}

const caseColumns = `id, url, canonical_url, host, status, classification, workflow, report_count, first_reported_at, last_reported_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanCase(row scanner) (hotline.Case, error) {
	var (
		c                    hotline.Case
		cl, wf               string
		first, last, updated int64
	)
	if err := row.Scan(&c.ID, &c.URL, &c.CanonicalURL, &c.Host, &c.Status, &cl, &wf, &c.ReportCount, &first, &last, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, store.ErrNotFound
		}
		return c, err
	}
	if err := json.Unmarshal([]byte(cl), &c.Classification); err != nil {
		return c, fmt.Errorf("case %s: classification: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(wf), &c.Workflow); err != nil {
		return c, fmt.Errorf("case %s: workflow: %w", c.ID, err)
	}
	c.FirstReportedAt, c.LastReportedAt, c.UpdatedAt = fromNanos(first), fromNanos(last), fromNanos(updated)
	return c, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readCase(ctx context.Context, q querier, id string) (hotline.Case, error) {
	return scanCase(q.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id))
}

// Case returns the case with its reports, oldest first.
func (s *Store) Case(ctx context.Context, id string) (hotline.Case, error) {
	c, err := readCase(ctx, s.db, id)
	if err != nil {
		return c, fmt.Errorf("case %s: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, case_id, url, text, source, crawler, received_at, classification
		FROM reports WHERE case_id = ? ORDER BY received_at, id`, id)
	if err != nil {
		return c, fmt.Errorf("case %s: reports: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r        hotline.CaseReport
			received int64
			cl       string
		)
		if err := rows.Scan(&r.ID, &r.CaseID, &r.URL, &r.Text, &r.Source, &r.Crawler, &received, &cl); err != nil {
			return c, fmt.Errorf("case %s: reports: %w", id, err)
		}
		if err := json.Unmarshal([]byte(cl), &r.Classification); err != nil {
			return c, fmt.Errorf("case %s: report %s: %w", id, r.ID, err)
		}
		r.ReceivedAt = fromNanos(received)
		r.CanonicalURL = c.CanonicalURL
		c.Reports = append(c.Reports, r)
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("case %s: reports: %w", id, err)
	}
	return c, nil
}

// Cases lists cases in queue order.
func (s *Store) Cases(ctx context.Context, q store.Query) (store.Page, error) {
	q = q.Normalized()
	var (
		where []string
		args  []any
	)
	// filter adds a condition with its argument when the query sets it.
	filter := func(set bool, cond string, arg any) {
		if set {
			where = append(where, cond)
			args = append(args, arg)
		}
	}
	filter(q.Status != "", "status = ?", q.Status)
	filter(q.Category != "", "category = ?", q.Category)
	filter(q.Subcategory != "", "subcategory = ?", q.Subcategory)
	filter(q.Host != "", "host = ?", q.Host)
	filter(q.Source != "", "EXISTS (SELECT 1 FROM reports r WHERE r.case_id = cases.id AND r.source = ?)", q.Source)
	filter(!q.ReportedBefore.IsZero(), "first_reported_at < ?", nanos(q.ReportedBefore))
	filter(!q.ReportedSince.IsZero(), "first_reported_at >= ?", nanos(q.ReportedSince))
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	page := store.Page{Cases: []hotline.Case{}}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cases`+cond, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("count cases: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases`+cond+
		` ORDER BY priority DESC, report_count DESC, first_reported_at, id LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return page, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return page, fmt.Errorf("list cases: %w", err)
		}
		page.Cases = append(page.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list cases: %w", err)
	}
	return page, nil
}

// Record appends and applies actions in one transaction.
func (s *Store) Record(ctx context.Context, actions ...hotline.Action) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record actions: %w", err)
	}
	defer tx.Rollback()
	cases := map[string]*hotline.Case{}
	for _, a := range actions {
		var have int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM actions WHERE id = ?`, a.ID).Scan(&have)
		if err == nil {
			continue // recorded before
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("record action %s: %w", a.ID, err)
		}
		c, ok := cases[a.CaseID]
		if !ok {
			cc, err := readCase(ctx, tx, a.CaseID)
			if err != nil {
				return fmt.Errorf("record action %s on case %s: %w", a.ID, a.CaseID, err)
			}
			c = &cc
			cases[a.CaseID] = c
		}
		a.Before = c.StateOf()
		if err := c.Apply(a); err != nil {
			return fmt.Errorf("record action %s on case %s: %w", a.ID, a.CaseID, err)
		}
		a.After = c.StateOf()
		body, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("record action %s: %w", a.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO actions(id, case_id, kind, effective, body) VALUES (?,?,?,?,?)`,
			a.ID, a.CaseID, a.Kind, nanos(effective(a)), string(body)); err != nil {
			return fmt.Errorf("record action %s: %w", a.ID, err)
		}
	}
	for _, c := range cases {
		wf, err := json.Marshal(c.Workflow)
		if err != nil {
			return fmt.Errorf("record actions on case %s: %w", c.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = ?, workflow = ?, updated_at = ? WHERE id = ?`,
			c.Status, string(wf), nanos(c.UpdatedAt), c.ID); err != nil {
			return fmt.Errorf("record actions on case %s: %w", c.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record actions: commit: %w", err)
	}
	return nil
}

// effective is the time an action counts at in the statistics.
func effective(a hotline.Action) time.Time {
	switch {
	case a.Kind == hotline.ActRequest && a.Request != nil:
		return a.Request.SentAt
	case a.Kind == hotline.ActOutcome && a.Outcome != nil:
		return a.Outcome.SeenAt
	}
	return a.At
}

func readActions(ctx context.Context, q querier, caseID string) ([]hotline.Action, error) {
	rows, err := q.QueryContext(ctx, `SELECT body FROM actions WHERE case_id = ? ORDER BY seq`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []hotline.Action{}
	for rows.Next() {
		var (
			body string
			a    hotline.Action
		)
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Actions returns a case's actions in recorded order.
func (s *Store) Actions(ctx context.Context, caseID string) ([]hotline.Action, error) {
	if _, err := readCase(ctx, s.db, caseID); err != nil {
		return nil, fmt.Errorf("actions of %s: %w", caseID, err)
	}
	out, err := readActions(ctx, s.db, caseID)
	if err != nil {
		return nil, fmt.Errorf("actions of %s: %w", caseID, err)
	}
	return out, nil
}

// Histories calls fn for every case with a request or outcome in [from, to).
func (s *Store) Histories(ctx context.Context, from, to time.Time, fn func(hotline.Case, []hotline.Action) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id IN (
		SELECT case_id FROM actions WHERE kind IN (?, ?) AND effective >= ? AND effective < ?) ORDER BY id`,
		hotline.ActRequest, hotline.ActOutcome, nanos(from), nanos(to))
	if err != nil {
		return fmt.Errorf("histories: %w", err)
	}
	var cases []hotline.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("histories: %w", err)
		}
		cases = append(cases, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("histories: %w", err)
	}
	// Actions are read a chunk of cases at a time, each chunk in one query,
	// and the rows closed before fn runs: the database has one connection,
	// and fn may use the store.
	const chunk = 500
	for lo := 0; lo < len(cases); lo += chunk {
		part := cases[lo:min(lo+chunk, len(cases))]
		args := make([]any, len(part))
		for i, c := range part {
			args[i] = c.ID
		}
		acts, err := s.actionsOf(ctx, args)
		if err != nil {
			return fmt.Errorf("histories: %w", err)
		}
		for _, c := range part {
			if err := fn(c, acts[c.ID]); err != nil {
				return err
			}
		}
	}
	return nil
}

// actionsOf reads the actions of the cases ids, in recorded order, without
// their Before and After states (the audit trail's, which statistics do not
// need and which cost most of the decoding).
func (s *Store) actionsOf(ctx context.Context, ids []any) (map[string][]hotline.Action, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, body FROM actions WHERE case_id IN (?`+
		strings.Repeat(",?", len(ids)-1)+`) ORDER BY case_id, seq`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]hotline.Action, len(ids))
	for rows.Next() {
		var (
			id, body string
			a        struct {
				hotline.Action
				// Shadow the embedded states so they are skipped, not decoded.
				Before json.RawMessage `json:"before"`
				After  json.RawMessage `json:"after"`
			}
		)
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, fmt.Errorf("action of %s: %w", id, err)
		}
		out[id] = append(out[id], a.Action)
	}
	return out, rows.Err()
}

// Contact returns the contact given with a report.
func (s *Store) Contact(ctx context.Context, reportID string) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, `SELECT contact FROM contacts WHERE report_id = ?`, reportID).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("contact of %s: %w", reportID, err)
	}
	return c, nil
}

// CreateAPIKey stores a crawler key.
func (s *Store) CreateAPIKey(ctx context.Context, k hotline.APIKey) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO api_keys(id, name, prefix, hash, created_at) VALUES (?,?,?,?,?)`,
		k.ID, k.Name, k.Prefix, k.Hash, nanos(k.CreatedAt)); err != nil {
		return fmt.Errorf("create api key %s: %w", k.ID, err)
	}
	return nil
}

const keyColumns = `id, name, prefix, hash, created_at, revoked_at`

func scanKey(row scanner) (hotline.APIKey, error) {
	var (
		k       hotline.APIKey
		created int64
		revoked sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return k, store.ErrNotFound
		}
		return k, err
	}
	k.CreatedAt = fromNanos(created)
	if revoked.Valid {
		t := fromNanos(revoked.Int64)
		k.RevokedAt = &t
	}
	return k, nil
}

// APIKeyByHash returns the key with that hash.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (hotline.APIKey, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		return k, fmt.Errorf("api key: %w", err)
	}
	return k, nil
}

// APIKeys lists every key, newest first.
func (s *Store) APIKeys(ctx context.Context) ([]hotline.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []hotline.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey marks a key revoked.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, nanos(s.now()), id)
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke api key %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
