package hotline

import "time"

// Role is what a staff member may do.
type Role string

// Staff roles.
const (
	RoleAnalyst    Role = "analyst"    // works the queue: claims, decides, requests, records outcomes
	RoleSupervisor Role = "supervisor" // an analyst who also confirms (four eyes), exports and sees contacts
	RoleAdmin      Role = "admin"      // manages users and crawler keys; may do everything a supervisor does
	RoleAuditor    Role = "auditor"    // reads everything a supervisor reads and exports; changes nothing
)

// Roles returns every role.
func Roles() []Role { return []Role{RoleAnalyst, RoleSupervisor, RoleAdmin, RoleAuditor} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAnalyst, RoleSupervisor, RoleAdmin, RoleAuditor:
		return true
	}
	return false
}

// Label is the role's Japanese name.
func (r Role) Label() string {
	switch r {
	case RoleAnalyst:
		return "分析員"
	case RoleSupervisor:
		return "監督者"
	case RoleAdmin:
		return "管理者"
	case RoleAuditor:
		return "監査員"
	}
	return string(r)
}

// CanAct reports whether the role may act on cases (claim, decide, request…).
func (r Role) CanAct() bool { return r == RoleAnalyst || r == RoleSupervisor || r == RoleAdmin }

// CanSupervise reports whether the role may confirm decisions, release
// others' claims and see reporters' contacts.
func (r Role) CanSupervise() bool { return r == RoleSupervisor || r == RoleAdmin }

// CanExport reports whether the role may export the audit trail.
func (r Role) CanExport() bool { return r == RoleSupervisor || r == RoleAdmin || r == RoleAuditor }

// CanAdmin reports whether the role may manage users and crawler keys.
func (r Role) CanAdmin() bool { return r == RoleAdmin }

// User is a staff member. Only a hash of the password is kept.
type User struct {
	ID           string    `json:"id"`
	Login        string    `json:"login"`
	DisplayName  string    `json:"display_name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// Session is a signed-in staff member's cookie session. Only a hash of the
// session's secret id is kept.
type Session struct {
	Hash      string    `json:"-"`
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Audit event kinds: staff actions that are not actions on a case (those
// are Actions, kept with their case).
const (
	AuditUserCreated  = "user_created"
	AuditUserUpdated  = "user_updated"
	AuditKeyCreated   = "key_created"
	AuditKeyRevoked   = "key_revoked"
	AuditLogin        = "login"
	AuditLoginFailure = "login_failure"
	AuditLogout       = "logout"
	AuditExport       = "export"
)

// AuditEntry is one staff action outside the case workflow.
type AuditEntry struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"` // the login, or the attempted login for failures
	Kind    string    `json:"kind"`
	Subject string    `json:"subject,omitempty"` // the user, key or export concerned
	Detail  string    `json:"detail,omitempty"`
	IP      string    `json:"ip,omitempty"`
}
