// Package review is the workflow of the review queue: the rules staff
// actions follow before they become hotline.Actions in the store. It holds
// the policy that depends on people and configuration — leases on claims,
// who may do what, four eyes before a request in the most serious
// categories — while hotline.Case.Apply keeps the invariants of the data.
// The JSON API (package httpapi) and the staff pages (package web) both act
// through a Service, so a script and an analyst are held to the same rules.
package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/store"
)

// Errors of policy. Both carry a message for the person who tried.
var (
	// ErrForbidden: the actor's role does not allow the action.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the case's state does not allow the action now (someone
	// else holds it, a confirmation is pending…).
	ErrConflict = errors.New("conflict")
)

// Store is what the workflow needs of the case store.
type Store interface {
	Case(ctx context.Context, id string) (hotline.Case, error)
	Cases(ctx context.Context, q store.Query) (store.Page, error)
	Record(ctx context.Context, actions ...hotline.Action) error
	Actions(ctx context.Context, caseID string) ([]hotline.Action, error)
	ActionLog(ctx context.Context, from, to time.Time, fn func(hotline.Action) error) error
}

// Policy is the configurable part of the workflow.
type Policy struct {
	// Lease is how long a claim lasts unless renewed; default 15 minutes.
	Lease time.Duration
	// FourEyes are the categories whose decisions a supervisor (not the
	// decider) must confirm before any deletion request is sent; default
	// critical_crime and suicide_inducement.
	FourEyes []hotline.Category
	// RecheckAfter is how long after a request without an outcome the item
	// is due for a re-check; default 7 days.
	RecheckAfter time.Duration
	// SLA is how long a case of each category may wait unjudged; defaults
	// in DefaultSLA.
	SLA map[hotline.Category]time.Duration
	// MaxBulk caps the cases of one bulk action; default 500.
	MaxBulk int
}

// DefaultSLA is how long cases may wait for a first decision by default:
// imminent harm within hours, the rest within days.
func DefaultSLA() map[hotline.Category]time.Duration {
	return map[hotline.Category]time.Duration{
		hotline.SuicideInducement:   4 * time.Hour,
		hotline.CriticalCrime:       4 * time.Hour,
		hotline.CriminalRecruitment: 24 * time.Hour,
		hotline.Illegal:             72 * time.Hour,
		hotline.None:                7 * 24 * time.Hour,
	}
}

func (p Policy) withDefaults() Policy {
	if p.Lease <= 0 {
		p.Lease = 15 * time.Minute
	}
	if p.FourEyes == nil {
		p.FourEyes = []hotline.Category{hotline.CriticalCrime, hotline.SuicideInducement}
	}
	if p.RecheckAfter <= 0 {
		p.RecheckAfter = 7 * 24 * time.Hour
	}
	sla := DefaultSLA()
	for c, d := range p.SLA {
		sla[c] = d
	}
	p.SLA = sla
	if p.MaxBulk <= 0 {
		p.MaxBulk = 500
	}
	return p
}

// NeedsFourEyes reports whether decisions in c need a confirmation.
func (p Policy) NeedsFourEyes(c hotline.Category) bool {
	for _, x := range p.FourEyes {
		if x == c {
			return true
		}
	}
	return false
}

// Actor is who acts: their login (recorded on the action) and role.
type Actor struct {
	Name string
	Role hotline.Role
}

// Service applies staff actions to cases.
type Service struct {
	st  Store
	pol Policy
	now func() time.Time
}

// New returns a Service over st. now may be nil (time.Now).
func New(st Store, pol Policy, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, pol: pol.withDefaults(), now: now}
}

// Policy returns the policy in force, defaults filled in.
func (s *Service) Policy() Policy { return s.pol }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Input is one action to take, on one case or many.
type Input struct {
	Kind        hotline.ActionKind
	Category    hotline.Category         // decision
	Subcategory string                   // decision
	Request     *hotline.DeletionRequest // deletion_request; SentAt defaults to now
	Outcome     *hotline.Outcome         // outcome; SeenAt defaults to now
	Note        string                   // note, or a comment on any action
}

func forbidden(msg string) error { return fmt.Errorf("%w: %s", ErrForbidden, msg) }

func conflict(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, args...))
}

// Do takes the same action on every case in ids, all or nothing: the
// actions are recorded in one store call, so either every case changes or
// none does. It returns the recorded actions.
func (s *Service) Do(ctx context.Context, who Actor, in Input, ids ...string) ([]hotline.Action, error) {
	if who.Name == "" {
		return nil, forbidden("no actor")
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no case given", hotline.ErrInvalidAction)
	}
	if len(ids) > s.pol.MaxBulk {
		return nil, fmt.Errorf("%w: at most %d cases at once", hotline.ErrInvalidAction, s.pol.MaxBulk)
	}
	if err := s.allowed(who, in.Kind); err != nil {
		return nil, err
	}
	now := s.Now()
	seen := map[string]bool{}
	var acts []hotline.Action
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !hotline.ValidCaseID(id) {
			return nil, fmt.Errorf("case %q: %w", id, store.ErrNotFound)
		}
		c, err := s.st.Case(ctx, id)
		if err != nil {
			return nil, err
		}
		a, err := s.action(who, in, c, now)
		if err != nil {
			if len(ids) > 1 {
				return nil, fmt.Errorf("case %s: %w", id, err)
			}
			return nil, err
		}
		acts = append(acts, a)
	}
	if err := s.st.Record(ctx, acts...); err != nil {
		return nil, err
	}
	return acts, nil
}

func (s *Service) allowed(who Actor, k hotline.ActionKind) error {
	switch {
	case !who.Role.CanAct():
		return forbidden("the " + string(who.Role) + " role is read-only")
	case k == hotline.ActConfirmation && !who.Role.CanSupervise():
		return forbidden("confirming a decision needs the supervisor role")
	}
	return nil
}

func heldByOther(c hotline.Case, who string, now time.Time) bool {
	return c.ClaimedBy != "" && c.ClaimedBy != who && c.ClaimedUntil != nil && c.ClaimedUntil.After(now)
}

// action builds the action for one case and checks the policy against the
// case as it stands. The store re-checks the data invariants inside its
// transaction, and that the case is still in the state the policy was
// checked against (Action.Expect).
func (s *Service) action(who Actor, in Input, c hotline.Case, now time.Time) (hotline.Action, error) {
	a := hotline.Action{
		ID: uuid.Must(uuid.NewV7()).String(), CaseID: c.ID, Kind: in.Kind, Actor: who.Name, At: now,
		Note: strings.TrimSpace(in.Note),
		// The policy below is checked against c: the store records the
		// action only if the case is still as read (hotline.ErrStale).
		Expect: c.StateOf(),
	}
	if len(a.Note) > 4000 {
		return a, fmt.Errorf("%w: a note is at most 4000 bytes", hotline.ErrInvalidAction)
	}
	switch in.Kind {
	case hotline.ActClaim:
		if heldByOther(c, who.Name, now) {
			return a, conflict("%s が %s まで担当中です", c.ClaimedBy, c.ClaimedUntil.In(JST()).Format("15:04"))
		}
		until := now.Add(s.pol.Lease)
		a.Until = &until
	case hotline.ActRelease:
		if c.ClaimedBy == "" {
			return a, conflict("この案件は誰も担当していません")
		}
		if c.ClaimedBy != who.Name && !who.Role.CanSupervise() {
			return a, conflict("%s が担当中です (解除は本人か監督者のみ)", c.ClaimedBy)
		}
	case hotline.ActDecision:
		if heldByOther(c, who.Name, now) {
			return a, conflict("%s が担当中です", c.ClaimedBy)
		}
		a.Category, a.Subcategory = in.Category, in.Subcategory
	case hotline.ActConfirmation:
		j := c.Judgement
		if j == nil {
			return a, conflict("確認する判定がありません")
		}
		if j.By == who.Name {
			return a, conflict("自分の判定は確認できません (四つの目の原則: 別の監督者が確認します)")
		}
		if j.ConfirmedBy != "" {
			return a, conflict("この判定は %s が確認済みです", j.ConfirmedBy)
		}
	case hotline.ActRequest:
		if in.Request == nil {
			return a, fmt.Errorf("%w: a deletion request needs its details", hotline.ErrInvalidAction)
		}
		r := *in.Request
		if r.SentAt.IsZero() {
			r.SentAt = now
		}
		if r.SentAt.After(now.Add(5 * time.Minute)) {
			return a, fmt.Errorf("%w: sent_at is in the future", hotline.ErrInvalidAction)
		}
		if len(r.Recipient) > 500 || len(r.Method) > 100 {
			return a, fmt.Errorf("%w: recipient or method too long", hotline.ErrInvalidAction)
		}
		a.Request = &r
		if heldByOther(c, who.Name, now) {
			return a, conflict("%s が担当中です", c.ClaimedBy)
		}
		j := c.Judgement
		if j == nil || j.Category == hotline.None {
			return a, conflict("削除依頼の前に、対象の分類を判定してください")
		}
		if s.pol.NeedsFourEyes(j.Category) && j.ConfirmedBy == "" {
			return a, conflict("%s の判定は監督者の確認 (四つの目) が済むまで削除依頼を送れません", j.Category.Label())
		}
	case hotline.ActOutcome:
		if in.Outcome == nil {
			return a, fmt.Errorf("%w: an outcome needs a result", hotline.ErrInvalidAction)
		}
		o := *in.Outcome
		if o.SeenAt.IsZero() {
			o.SeenAt = now
		}
		if o.SeenAt.After(now.Add(5 * time.Minute)) {
			return a, fmt.Errorf("%w: seen_at is in the future", hotline.ErrInvalidAction)
		}
		a.Outcome = &o
	case hotline.ActReferral, hotline.ActNote:
	default:
		return a, fmt.Errorf("%w: unknown action kind %q", hotline.ErrInvalidAction, in.Kind)
	}
	if err := a.Validate(); err != nil {
		return a, err
	}
	return a, nil
}

// JST is the hotline's time zone, in which days are counted and times shown.
func JST() *time.Location { return time.FixedZone("JST", 9*60*60) }
