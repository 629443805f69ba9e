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
package store

import (
	"context"
	"errors"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// ErrNotFound is returned when a case, report or key does not exist.
var ErrNotFound = errors.New("not found")

// Query selects cases. Zero fields select everything.
type Query struct {
	Status   hotline.Status
	Category hotline.Category
	Limit    int // default 50, at most 1000
	Offset   int
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
	// statistics are computed from.
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

	// Ping reports whether the store can serve (for readiness).
	Ping(ctx context.Context) error
	Close() error
}
