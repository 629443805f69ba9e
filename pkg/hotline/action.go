package hotline

import (
	"errors"
	"fmt"
	"time"
)

// ActionKind names a recorded step of the workflow.
type ActionKind string

// Action kinds. Every staff action on a case is one, recorded append-only:
// the case's workflow state is derived from them (Case.Apply) and the
// statistics are computed from them, never from counters.
const (
	ActClaim        ActionKind = "claim"            // an analyst takes the case (a lease)
	ActRelease      ActionKind = "release"          // the lease is given back
	ActDecision     ActionKind = "decision"         // category and sub-type judged (or none)
	ActConfirmation ActionKind = "confirmation"     // a supervisor confirms a decision (four eyes)
	ActReferral     ActionKind = "police_referral"  // referred to the police
	ActRequest      ActionKind = "deletion_request" // a deletion request was sent
	ActOutcome      ActionKind = "outcome"          // the item was checked: removed or not
	ActNote         ActionKind = "note"             // a comment
)

// Recipient kinds of a deletion request.
const (
	RecipientSiteAdmin = "site_admin"
	RecipientHosting   = "hosting_provider"
	RecipientINHOPE    = "inhope"
	RecipientOther     = "other"
)

// Outcome results.
const (
	OutcomeRemoved              = "removed"
	OutcomeNotRemoved           = "not_removed"
	OutcomeRemovedBeforeRequest = "removed_before_request"
)

// DeletionRequest is a request to take an item down.
type DeletionRequest struct {
	RecipientKind string    `json:"recipient_kind"`
	Recipient     string    `json:"recipient"`
	Method        string    `json:"method"` // e.g. email, form, letter, inhope
	SentAt        time.Time `json:"sent_at"`
}

// Outcome is what a re-check of the item found.
type Outcome struct {
	Result string    `json:"result"`
	SeenAt time.Time `json:"seen_at"` // when the item was seen removed (or checked)
}

// Action is one recorded step on a case.
type Action struct {
	ID     string     `json:"id"`
	CaseID string     `json:"case_id"`
	Kind   ActionKind `json:"kind"`
	Actor  string     `json:"actor"`
	At     time.Time  `json:"at"` // when it was recorded

	Category    Category         `json:"category,omitempty"`    // decision
	Subcategory string           `json:"subcategory,omitempty"` // decision
	Request     *DeletionRequest `json:"request,omitempty"`
	Outcome     *Outcome         `json:"outcome,omitempty"`
	Until       *time.Time       `json:"until,omitempty"` // claim: lease expiry
	Note        string           `json:"note,omitempty"`

	// Before and After are the case's state around the action, filled in by
	// the store when it records the action: the audit trail's before/after.
	Before *State `json:"before,omitempty"`
	After  *State `json:"after,omitempty"`

	// Expect, when set, is the state the action was decided against (the
	// review policy checks claims, four eyes and the like against the case
	// it read): Apply refuses the action with ErrStale if the case is no
	// longer in it, so that a policy check and the write it allows cannot
	// be split by someone else's action. It is not stored.
	Expect *State `json:"-"`
}

// State is the part of a case that actions change.
type State struct {
	Status Status `json:"status"`
	Workflow
}

// Judgement is the human view of a case.
type Judgement struct {
	Category    Category   `json:"category"`
	Subcategory string     `json:"subcategory"`
	By          string     `json:"by"`
	At          time.Time  `json:"at"`
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
}

// Equal reports whether two states are the same (times compared as
// instants).
func (s *State) Equal(o *State) bool {
	if s == nil || o == nil {
		return s == o
	}
	a, b := s.Workflow, o.Workflow
	return s.Status == o.Status && a.ClaimedBy == b.ClaimedBy && a.RequestCount == b.RequestCount && a.Outcome == b.Outcome &&
		sameTime(a.ClaimedUntil, b.ClaimedUntil) && sameTime(a.ReferredAt, b.ReferredAt) &&
		sameTime(a.FirstRequestAt, b.FirstRequestAt) && sameTime(a.LastRequestAt, b.LastRequestAt) &&
		sameTime(a.OutcomeAt, b.OutcomeAt) && a.Judgement.equal(b.Judgement)
}

func (j *Judgement) equal(o *Judgement) bool {
	if j == nil || o == nil {
		return j == o
	}
	return j.Category == o.Category && j.Subcategory == o.Subcategory && j.By == o.By && j.At.Equal(o.At) &&
		j.ConfirmedBy == o.ConfirmedBy && sameTime(j.ConfirmedAt, o.ConfirmedAt)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// StateOf returns a copy of the case's action-driven state.
func (c *Case) StateOf() *State {
	st := &State{Status: c.Status, Workflow: c.Workflow}
	if j := c.Workflow.Judgement; j != nil {
		jc := *j
		st.Judgement = &jc
	}
	return st
}

// Workflow is a case's state derived from its actions.
type Workflow struct {
	Judgement      *Judgement `json:"judgement,omitempty"`
	ClaimedBy      string     `json:"claimed_by,omitempty"`
	ClaimedUntil   *time.Time `json:"claimed_until,omitempty"`
	ReferredAt     *time.Time `json:"referred_at,omitempty"`
	RequestCount   int        `json:"request_count"`
	FirstRequestAt *time.Time `json:"first_request_at,omitempty"`
	LastRequestAt  *time.Time `json:"last_request_at,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
	OutcomeAt      *time.Time `json:"outcome_at,omitempty"`
}

// ErrInvalidAction is wrapped by every validation error of Validate and
// Apply.
var ErrInvalidAction = errors.New("invalid action")

// ErrClaimed is wrapped by Apply's error for a claim on a case whose lease
// someone else holds: two analysts never work the same case.
var ErrClaimed = errors.New("claimed by someone else")

// ErrStale is wrapped by Apply's error for an action whose Expect is not
// the case's state: someone else acted on the case in the meantime.
var ErrStale = errors.New("the case changed meanwhile")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidAction, fmt.Sprintf(format, args...))
}

// Validate checks an action on its own (not against a case).
func (a Action) Validate() error {
	if a.ID == "" || a.CaseID == "" || a.Actor == "" || a.At.IsZero() {
		return invalid("id, case_id, actor and at are required")
	}
	switch a.Kind {
	case ActClaim:
		if a.Until == nil || !a.Until.After(a.At) {
			return invalid("a claim needs an expiry after its time")
		}
	case ActRelease, ActReferral, ActConfirmation:
	case ActNote:
		if a.Note == "" {
			return invalid("a note needs text")
		}
	case ActDecision:
		if !a.Category.Valid() {
			return invalid("unknown category %q", a.Category)
		}
		if !ValidSubcategory(a.Category, a.Subcategory) {
			return invalid("sub-type %q is not one of %s", a.Subcategory, a.Category)
		}
	case ActRequest:
		r := a.Request
		if r == nil {
			return invalid("a deletion request needs its details")
		}
		switch r.RecipientKind {
		case RecipientSiteAdmin, RecipientHosting, RecipientINHOPE, RecipientOther:
		default:
			return invalid("unknown recipient kind %q", r.RecipientKind)
		}
		if r.Recipient == "" || r.Method == "" || r.SentAt.IsZero() {
			return invalid("a deletion request needs a recipient, a method and the time it was sent")
		}
	case ActOutcome:
		o := a.Outcome
		if o == nil || o.SeenAt.IsZero() {
			return invalid("an outcome needs a result and the time it was seen")
		}
		switch o.Result {
		case OutcomeRemoved, OutcomeNotRemoved, OutcomeRemovedBeforeRequest:
		default:
			return invalid("unknown outcome %q", o.Result)
		}
	default:
		return invalid("unknown action kind %q", a.Kind)
	}
	return nil
}

// Apply folds an action into the case's workflow state and status, after
// checking that it makes sense for the case as it stands. The rules that
// depend on policy (who may confirm, whether four eyes are needed before a
// request) belong to the caller; Apply keeps the invariants the statistics
// rely on: a request needs a positive judgement, a removal after a request
// needs a request sent before it, and a removal before any request is
// recorded only while no request exists.
func (c *Case) Apply(a Action) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.CaseID != c.ID {
		return invalid("action for case %s applied to %s", a.CaseID, c.ID)
	}
	if a.Expect != nil && !a.Expect.Equal(c.StateOf()) {
		return fmt.Errorf("%w: case %s", ErrStale, c.ID)
	}
	w := &c.Workflow
	switch a.Kind {
	case ActClaim:
		if w.ClaimedBy != "" && w.ClaimedBy != a.Actor && w.ClaimedUntil != nil && w.ClaimedUntil.After(a.At) {
			return fmt.Errorf("%w: %s holds the case until %s", ErrClaimed, w.ClaimedBy, w.ClaimedUntil.Format(time.RFC3339))
		}
		w.ClaimedBy, w.ClaimedUntil = a.Actor, a.Until
	case ActRelease:
		w.ClaimedBy, w.ClaimedUntil = "", nil
	case ActDecision:
		w.Judgement = &Judgement{Category: a.Category, Subcategory: a.Subcategory, By: a.Actor, At: a.At}
		w.ClaimedBy, w.ClaimedUntil = "", nil
		if a.Category == None {
			c.Status = StatusClosed
		} else if c.Status == StatusNew {
			c.Status = StatusReviewed
		}
	case ActConfirmation:
		if w.Judgement == nil {
			return invalid("nothing to confirm: the case has no decision")
		}
		if w.Judgement.By == a.Actor {
			return invalid("a decision must be confirmed by someone other than who made it")
		}
		t := a.At
		w.Judgement.ConfirmedBy, w.Judgement.ConfirmedAt = a.Actor, &t
	case ActReferral:
		t := a.At
		w.ReferredAt = &t
	case ActRequest:
		if w.Judgement == nil || w.Judgement.Category == None {
			return invalid("a deletion request needs a decision that the item is in a category")
		}
		if w.Outcome == OutcomeRemoved || w.Outcome == OutcomeRemovedBeforeRequest {
			return invalid("the item is already recorded as removed")
		}
		t := a.Request.SentAt
		w.RequestCount++
		if w.FirstRequestAt == nil || t.Before(*w.FirstRequestAt) {
			w.FirstRequestAt = &t
		}
		if w.LastRequestAt == nil || t.After(*w.LastRequestAt) {
			w.LastRequestAt = &t
		}
		c.Status = StatusRequested
	case ActOutcome:
		o := a.Outcome
		switch o.Result {
		case OutcomeRemovedBeforeRequest:
			if w.RequestCount > 0 {
				return invalid("a request was sent: record the removal as removed")
			}
		case OutcomeRemoved, OutcomeNotRemoved:
			if w.RequestCount == 0 {
				return invalid("no request was sent: record removed_before_request, or send a request first")
			}
			if o.SeenAt.Before(*w.FirstRequestAt) {
				return invalid("seen at %s, before the first request (%s)", o.SeenAt.Format(time.RFC3339), w.FirstRequestAt.Format(time.RFC3339))
			}
		}
		t := o.SeenAt
		w.Outcome, w.OutcomeAt = o.Result, &t
		if o.Result == OutcomeNotRemoved {
			c.Status = StatusRequested // still open: re-check or re-request
		} else {
			c.Status = StatusClosed
		}
	}
	c.UpdatedAt = a.At
	return nil
}
