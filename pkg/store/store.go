// Package store is the contract of the case store: where the tracker merges
// classified reports into cases and where the staff API reads them.
//
// Two implementations keep it: package sqlitestore, embedded in one file,
// and package esstore, Elasticsearch for distributed mode. Both pass the
// conformance suite in package storetest.
//
// The promises:
//
//   - AddReport returns nil only once the report and the case it merged into
//     are durable. It is idempotent by report id: adding a report the store
//     already has changes nothing, so a redelivered message is harmless.
//   - A case's report count, first and last report times and automatic
//     classification reflect exactly the reports it holds; the
//     classification is the strongest of theirs (hotline.Case.Merge).
//   - Concurrent AddReport calls for one case lose no report.
//   - The reporter's contact is stored apart from the report: it never
//     appears in a Case and is read only through Contact.
//   - Staff accounts, their sessions and the audit log of staff actions
//     that are not case actions (sign-ins, accounts, keys, exports) live in
//     the store too, so that every process of a distributed deployment
//     sees the same people and sessions survive restarts. Sessions and keys
//     are kept only by hash; the audit log is append-only.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// ErrNotFound is returned when a case, report, key, user or session does
// not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule, such
// as a second user with the same login.
var ErrConflict = errors.New("conflict")

// Query selects cases. Zero fields select everything.
type Query struct {
	Status      hotline.Status
	Category    hotline.Category // the automatic category
	Subcategory string           // the automatic sub-type
	Source      hotline.Source   // cases with at least one report from this source
	Host        string           // cases of this host (exact, as in Case.Host)
	// ReportedBefore and ReportedSince select by the time a case was first
	// reported: before the one (older than an age), at or after the other.
	ReportedBefore time.Time
	ReportedSince  time.Time
	Limit          int // default 50, at most 1000
	Offset         int
}

// Normalized returns q with its limit defaulted and capped.
func (q Query) Normalized() Query {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Limit > 1000 {
		q.Limit = 1000
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	return q
}

// Page is one page of cases and the total that match the query. Cases in
// a page carry no reports; read a case for them.
type Page struct {
	Total int            `json:"total"`
	Cases []hotline.Case `json:"cases"`
}

// Store is the case store.
type Store interface {
	// AddReport merges r into its case (creating the case on its first
	// report) and keeps r's contact apart. Idempotent by r.Report.ID.
	AddReport(ctx context.Context, r hotline.ClassifiedReport) error
	// Case returns a case with all its reports, oldest first.
	Case(ctx context.Context, id string) (hotline.Case, error)
	// Cases returns the cases matching q, in queue order: priority, then
	// report count, highest first, then the oldest first.
	Cases(ctx context.Context, q Query) (Page, error)
	// Record appends actions to their cases' histories and applies each
	// (hotline.Case.Apply) in order, all in one transaction: either every
	// action is recorded or none is. The store fills in each action's
	// Before and After. Idempotent by action id (an action already recorded
	// is skipped). Errors wrap ErrNotFound for an unknown case and
	// hotline.ErrInvalidAction for an action that does not apply.
	Record(ctx context.Context, actions ...hotline.Action) error
	// Actions returns a case's actions in the order they were recorded.
	Actions(ctx context.Context, caseID string) ([]hotline.Action, error)
	// Histories calls fn, in case id order, for every case with a deletion
	// request sent or an outcome seen in [from, to), with its summary (no
	// reports) and all of its actions in recorded order. It is what the
	// statistics are computed from; the actions may come without their
	// Before and After states.
	Histories(ctx context.Context, from, to time.Time, fn func(hotline.Case, []hotline.Action) error) error

	// Contact returns the contact given with a report ("" if none).
	Contact(ctx context.Context, reportID string) (string, error)

	// CreateAPIKey stores a crawler key (by its hash).
	CreateAPIKey(ctx context.Context, k hotline.APIKey) error
	// APIKeyByHash returns the key with that hash, revoked or not.
	APIKeyByHash(ctx context.Context, hash string) (hotline.APIKey, error)
	// APIKeys lists every key, newest first.
	APIKeys(ctx context.Context) ([]hotline.APIKey, error)
	// RevokeAPIKey marks a key revoked.
	RevokeAPIKey(ctx context.Context, id string) error

	// ActionLog calls fn for every action recorded at (Action.At) in
	// [from, to), across all cases, in the order they were recorded. It
	// serves the audit export and the supervisors' dashboard.
	ActionLog(ctx context.Context, from, to time.Time, fn func(hotline.Action) error) error

	// CreateUser stores a staff account. An id or login already taken
	// gives an error wrapping ErrConflict; logins compare exactly.
	CreateUser(ctx context.Context, u hotline.User) error
	// User returns the account with that id.
	User(ctx context.Context, id string) (hotline.User, error)
	// UserByLogin returns the account with that login.
	UserByLogin(ctx context.Context, login string) (hotline.User, error)
	// Users lists every account, by login.
	Users(ctx context.Context) ([]hotline.User, error)
	// UpdateUser replaces an account's display name, role, password hash
	// and disabled flag (its id, login and creation time stay).
	UpdateUser(ctx context.Context, u hotline.User) error

	// CreateSession stores a session by its hash.
	CreateSession(ctx context.Context, s hotline.Session) error
	// Session returns the session with that hash, expired or not: the
	// caller checks ExpiresAt.
	Session(ctx context.Context, hash string) (hotline.Session, error)
	// DeleteSession removes a session; removing one that does not exist is
	// not an error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions removes every session of a user (when the account
	// is disabled or its password changes).
	DeleteUserSessions(ctx context.Context, userID string) error

	// AppendAudit appends an entry to the audit log, durably. Idempotent by
	// entry id. Entries are never changed or removed.
	AppendAudit(ctx context.Context, e hotline.AuditEntry) error
	// Audit calls fn for every entry at (AuditEntry.At) in [from, to), in
	// the order they were appended.
	Audit(ctx context.Context, from, to time.Time, fn func(hotline.AuditEntry) error) error

	// Ping reports whether the store can serve (for readiness).
	Ping(ctx context.Context) error
	Close() error
}
