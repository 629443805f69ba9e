package node

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/httpapi"
	"github.com/hotline-jp/hotline/pkg/report"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/web"
)

// StaffOptions configure the staff side: sign-in, cookies and the review
// workflow's policy.
type StaffOptions struct {
	// InsecureCookies leaves the Secure flag off the session cookie, for
	// plain http on localhost only.
	InsecureCookies bool
	// Policy is the review workflow's policy (lease, four-eyes categories,
	// re-check delay, SLAs); zero fields take the defaults.
	Policy review.Policy
	// BcryptCost is the password hashing cost; 0 is bcrypt's default.
	BcryptCost int
}

// staffStore is what the staff side needs of the case store: the staff
// API, sign-in and sessions, the review workflow and the pages.
type staffStore interface {
	httpapi.Cases
	httpapi.Keys
	httpapi.Trail
	httpapi.Users
	auth.Accounts
	review.Store
	web.Store
	report.Source
}

// withStaffAPI makes api serve the staff side over st, with adminToken
// for the bootstrap admin: the staff API, sign-in, the case actions and the
// staff pages at /. Embedded mode and the tracker both set their staff
// side up here, so that they serve the same one.
func withStaffAPI(api *httpapi.Config, st staffStore, adminToken string, opt StaffOptions, log *zap.Logger) error {
	staff := auth.NewStaff(adminToken)
	sess := auth.NewSessions(st, auth.SessionOptions{BcryptCost: opt.BcryptCost})
	rev := review.New(st, opt.Policy, nil)
	stats := report.NewHandler(st, log.Named("stats"))
	ui, err := web.New(web.Config{Store: st, Review: rev, Sessions: sess, Staff: staff,
		InsecureCookies: opt.InsecureCookies, Stats: stats, Logger: log.Named("web")})
	if err != nil {
		return fmt.Errorf("staff pages: %w", err)
	}
	api.Cases, api.Keys, api.Staff = st, st, staff
	api.Sessions, api.Users, api.Trail, api.Review, api.UI, api.Stats = sess, st, st, rev, ui, stats
	return nil
}
