package hotline

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"time"
)

// Source says where a report came from.
type Source string

// Report sources.
const (
	SourcePublic  Source = "public"  // the public web form or API
	SourceCrawler Source = "crawler" // an authenticated crawler
)

// Report is one report of an item: a URL and the text that came with it
// (the reporter's description, or the page text a crawler extracted).
// The reporter's contact is deliberately not part of it: it travels beside
// the report (see Submission) and is stored apart, never logged or indexed.
type Report struct {
	ID           string    `json:"id"`
	CaseID       string    `json:"case_id"`
	URL          string    `json:"url"`
	CanonicalURL string    `json:"canonical_url"`
	Text         string    `json:"text"`
	Source       Source    `json:"source"`
	Crawler      string    `json:"crawler,omitempty"` // the crawler's name for crawler hits
	ReceivedAt   time.Time `json:"received_at"`
}

// Submission is what the intake puts on the queue: a report and, apart from
// it, the reporter's contact if one was given.
type Submission struct {
	Report  Report `json:"report"`
	Contact string `json:"contact,omitempty"`
}

// Evidence is one reason behind a classification: a matched lexicon term or
// a model feature, with its span in the original text where it has one.
type Evidence struct {
	Term        string   `json:"term"`
	Category    Category `json:"category,omitempty"`
	Subcategory string   `json:"subcategory,omitempty"`
	Kind        string   `json:"kind"` // "lexicon", "counter", "feature", "imminence" (a date or time that makes harm imminent)
	Weight      float64  `json:"weight"`
	// Start and End are byte offsets of the matched text in the report's
	// original text; both are zero for evidence without a span.
	Start int `json:"start"`
	End   int `json:"end"`
}

// Classification is the classifier's view of a text.
type Classification struct {
	Category    Category             `json:"category"`
	Subcategory string               `json:"subcategory"`
	Score       float64              `json:"score"`
	Scores      map[Category]float64 `json:"scores"`
	Evidence    []Evidence           `json:"evidence"`
	NeedsReview bool                 `json:"needs_review"`
	// Priority orders the review queue, higher first: severity of the
	// category, then confidence (see Priority).
	Priority int    `json:"priority"`
	Model    string `json:"model,omitempty"` // the classifier's version
}

// Stronger reports whether c is a stronger finding than o: a positive
// category beats none, then the higher priority, then the higher score.
// A case keeps its strongest finding, so a later, weaker report does not
// erase it.
func (c Classification) Stronger(o Classification) bool {
	cp, op := c.Category != None && c.Category != "", o.Category != None && o.Category != ""
	if cp != op {
		return cp
	}
	if c.Priority != o.Priority {
		return c.Priority > o.Priority
	}
	return c.Score > o.Score
}

// Priority computes a queue priority from a category and a confidence in
// [0,1]: severity dominates (imminent harm first), confidence orders within
// a severity. Imminent adds to the severity, for texts naming a date or an
// immediate act.
func Priority(c Category, confidence float64, imminent bool) int {
	if c == None || c == "" {
		return int(confidence * 10)
	}
	p := c.Severity() * 1000
	if imminent {
		p += 500
	}
	if confidence < 0 {
		confidence = 0
	}
	if confidence > 1 {
		confidence = 1
	}
	return p + int(confidence*100)
}

// ClassifiedReport is a report together with the classification of its
// text, as the classifier stage hands it to the tracker.
type ClassifiedReport struct {
	Report         Report         `json:"report"`
	Contact        string         `json:"contact,omitempty"`
	Classification Classification `json:"classification"`
	ClassifiedAt   time.Time      `json:"classified_at"`
}

// Status is where a case stands in the workflow.
type Status string

// Case statuses.
const (
	StatusNew       Status = "new"       // awaiting an analyst
	StatusReviewed  Status = "reviewed"  // judged, no action yet
	StatusRequested Status = "requested" // deletion request sent, outcome open
	StatusClosed    Status = "closed"    // outcome recorded, or judged none
)

// ValidStatus reports whether s is a known status.
func ValidStatus(s Status) bool {
	switch s {
	case StatusNew, StatusReviewed, StatusRequested, StatusClosed:
		return true
	}
	return false
}

// CaseReport is one report as kept in a case, with the classifier's view
// of it at the time.
type CaseReport struct {
	Report
	Classification Classification `json:"classification"`
}

// Case is one reported item: every report of its canonical URL, merged.
// Its automatic classification is the strongest of its reports'.
type Case struct {
	ID           string `json:"id"`
	URL          string `json:"url"` // as first reported
	CanonicalURL string `json:"canonical_url"`
	Host         string `json:"host"`
	Classification
	Status Status `json:"status"`
	Workflow
	ReportCount     int          `json:"report_count"`
	Reports         []CaseReport `json:"reports,omitempty"`
	FirstReportedAt time.Time    `json:"first_reported_at"`
	LastReportedAt  time.Time    `json:"last_reported_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

// CaseID derives a case id from a canonical URL. Every stage computes the
// same id for the same item without coordination.
func CaseID(canonicalURL string) string {
	sum := sha256.Sum256([]byte(canonicalURL))
	return "c" + hex.EncodeToString(sum[:16])
}

// ValidCaseID reports whether id has the form CaseID produces.
func ValidCaseID(id string) bool {
	if len(id) != 33 || id[0] != 'c' {
		return false
	}
	_, err := hex.DecodeString(id[1:])
	return err == nil
}

// Merge folds a new classified report into the case's summary: the count,
// the first and last report times and the automatic classification, which
// stays the strongest of all its reports' (a later, weaker report does not
// erase a stronger finding). A zero case is initialised from its first
// report. Merge does not look for duplicates: stores keep reports by id and
// call Merge only for a report they did not have, which makes a redelivered
// report a no-op.
func (c *Case) Merge(r ClassifiedReport, now time.Time) {
	if c.ID == "" {
		c.ID = r.Report.CaseID
		c.URL = r.Report.URL
		c.CanonicalURL = r.Report.CanonicalURL
		if u, err := url.Parse(c.CanonicalURL); err == nil {
			c.Host = u.Hostname()
		}
		c.Status = StatusNew
		c.FirstReportedAt = r.Report.ReceivedAt
		c.LastReportedAt = r.Report.ReceivedAt
		c.Classification = r.Classification
	} else if r.Classification.Stronger(c.Classification) {
		c.Classification = r.Classification
	}
	if r.Report.ReceivedAt.Before(c.FirstReportedAt) {
		c.FirstReportedAt = r.Report.ReceivedAt
	}
	if r.Report.ReceivedAt.After(c.LastReportedAt) {
		c.LastReportedAt = r.Report.ReceivedAt
	}
	c.ReportCount++
	c.UpdatedAt = now
}

// APIKey is a crawler's credential. Only a hash of the key is kept; the key
// itself is shown once, when it is created.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`   // the crawler's name, recorded on its hits
	Prefix    string     `json:"prefix"` // the first characters of the key, to recognise it
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
