package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/urlcanon"
)

// Limits on what a report may carry.
const (
	MaxTextBytes    = 256 << 10 // a description or a crawler's page text
	MaxContactBytes = 512
	MaxHitID        = 200
)

// FieldError is bad input, naming the field at fault. The HTTP layer turns
// it into a 400.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Input is one report as it arrives, from the public or from a crawler.
type Input struct {
	URL     string
	Text    string
	Contact string
	Source  hotline.Source
	Crawler string // the crawler's name, for crawler hits
	// HitID is a crawler's own id for a hit. When given, the report id is
	// derived from it, so that a crawler resending a batch adds nothing.
	HitID string
}

// Accepted is a report the intake made durable.
type Accepted struct {
	ID     string `json:"id"`
	CaseID string `json:"case_id"`
}

// Intake validates reports, gives them ids and puts them on the queue.
type Intake struct {
	pub Publisher
	log *zap.Logger
	now func() time.Time
}

// NewIntake returns an intake publishing to pub.
func NewIntake(pub Publisher, log *zap.Logger) *Intake {
	return &Intake{pub: pub, log: log, now: time.Now}
}

// Prepare validates in and turns it into a submission, without publishing.
func (in *Intake) Prepare(r Input) (hotline.Submission, error) {
	if r.URL == "" {
		return hotline.Submission{}, &FieldError{"url", "is required"}
	}
	if !utf8.ValidString(r.URL) {
		return hotline.Submission{}, &FieldError{"url", "is not valid UTF-8"}
	}
	canon, err := urlcanon.Canonical(r.URL)
	if err != nil {
		return hotline.Submission{}, &FieldError{"url", strings.TrimPrefix(err.Error(), "invalid url: ")}
	}
	if !utf8.ValidString(r.Text) {
		return hotline.Submission{}, &FieldError{"text", "is not valid UTF-8"}
	}
	if len(r.Text) > MaxTextBytes {
		return hotline.Submission{}, &FieldError{"text", fmt.Sprintf("is longer than %d bytes", MaxTextBytes)}
	}
	if strings.ContainsRune(r.Text, 0) {
		return hotline.Submission{}, &FieldError{"text", "contains a NUL character"}
	}
	if !utf8.ValidString(r.Contact) {
		return hotline.Submission{}, &FieldError{"contact", "is not valid UTF-8"}
	}
	if len(r.Contact) > MaxContactBytes {
		return hotline.Submission{}, &FieldError{"contact", fmt.Sprintf("is longer than %d bytes", MaxContactBytes)}
	}
	if len(r.HitID) > MaxHitID || !utf8.ValidString(r.HitID) {
		return hotline.Submission{}, &FieldError{"hit_id", fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxHitID)}
	}
	id := uuid.Must(uuid.NewV7()).String()
	if r.HitID != "" {
		sum := sha256.Sum256([]byte(r.Crawler + "\x00" + r.HitID))
		id = "h" + hex.EncodeToString(sum[:16])
	}
	src := r.Source
	if src == "" {
		src = hotline.SourcePublic
	}
	return hotline.Submission{
		Report: hotline.Report{
			ID:           id,
			CaseID:       hotline.CaseID(canon),
			URL:          strings.TrimSpace(r.URL),
			CanonicalURL: canon,
			Text:         r.Text,
			Source:       src,
			Crawler:      r.Crawler,
			ReceivedAt:   in.now().UTC(),
		},
		Contact: strings.TrimSpace(r.Contact),
	}, nil
}

// Publish puts prepared submissions on the queue in one durable write and
// returns only once they are durable.
func (in *Intake) Publish(ctx context.Context, subs ...hotline.Submission) ([]Accepted, error) {
	msgs := make([]queue.Message, 0, len(subs))
	out := make([]Accepted, 0, len(subs))
	for _, s := range subs {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("encode report %s: %w", s.Report.ID, err)
		}
		msgs = append(msgs, queue.Message{Key: s.Report.CaseID, Value: b, Headers: map[string]string{"report-id": s.Report.ID}})
		out = append(out, Accepted{ID: s.Report.ID, CaseID: s.Report.CaseID})
	}
	if len(msgs) == 0 {
		return out, nil
	}
	if err := in.pub.Publish(ctx, TopicReports, msgs...); err != nil {
		return nil, fmt.Errorf("queue %d reports: %w", len(msgs), err)
	}
	for _, s := range subs {
		in.log.Info("report accepted", zap.String("report_id", s.Report.ID), zap.String("case_id", s.Report.CaseID),
			zap.String("source", string(s.Report.Source)), zap.String("crawler", s.Report.Crawler))
	}
	return out, nil
}

// Submit prepares and publishes one report.
func (in *Intake) Submit(ctx context.Context, r Input) (Accepted, error) {
	s, err := in.Prepare(r)
	if err != nil {
		return Accepted{}, err
	}
	acc, err := in.Publish(ctx, s)
	if err != nil {
		return Accepted{}, err
	}
	return acc[0], nil
}

// IsFieldError reports whether err is bad input, and which.
func IsFieldError(err error) (*FieldError, bool) {
	var fe *FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}
