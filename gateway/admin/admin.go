// Package admin is who may operate the gateway and what they did: admin
// keys (ak_…) with a role, the policy those roles follow, and the
// append-only audit log every admin action writes in its own transaction.
// The API (/v1/admin/…) and the CLI call the same functions, so a change
// made from either is checked and recorded the same way.
package admin

import (
	"errors"
	"slices"
)

// Role is what an admin key may do.
type Role string

const (
	// Operator runs the gateway: everything.
	Operator Role = "operator"
	// AgencyStaff is a treasury or social-security office: it sees and acts
	// on its own agencies' objects only.
	AgencyStaff Role = "agency_staff"
	// Support reads everything and changes nothing.
	Support Role = "support"
)

// Valid says whether r is one of the roles.
func (r Role) Valid() bool { return r == Operator || r == AgencyStaff || r == Support }

// Principal is who an admin action is done by. KeyID is empty for the CLI,
// whose Name says so ("cli:<user>").
type Principal struct {
	KeyID    string
	Name     string
	Role     Role
	Agencies []string
	// RequestID ties an audit record to the access log line.
	RequestID string
}

// CLI is the principal of a command run on the gateway's host: whoever can
// read the database URL is an operator already.
func CLI(user string) Principal { return Principal{Name: "cli:" + user, Role: Operator} }

var (
	// ErrUnauthenticated is a missing, malformed, unknown or revoked admin key.
	ErrUnauthenticated = errors.New("missing or unknown admin key")
	// ErrForbidden is an action the key's role or agencies do not allow.
	ErrForbidden = errors.New("this admin key may not do that")
	// ErrBootstrapped is a second bootstrap: the first key exists already.
	ErrBootstrapped = errors.New("an admin key exists already; bootstrap runs once per database")
	// ErrKeyNotFound is an unknown admin key id.
	ErrKeyNotFound = errors.New("no such admin key")
)

// Allow is the whole policy. Operators may do anything; support may read
// anything; agency staff may read and change what belongs to one of their
// agencies, and nothing that belongs to no agency (portals, admin keys).
func (p Principal) Allow(write bool, agency string) error {
	switch p.Role {
	case Operator:
		return nil
	case Support:
		if !write {
			return nil
		}
	case AgencyStaff:
		if agency != "" && slices.Contains(p.Agencies, agency) {
			return nil
		}
	}
	return ErrForbidden
}

// Sees says whether the principal may read objects of agency (for
// filtering lists rather than refusing them).
func (p Principal) Sees(agency string) bool { return p.Allow(false, agency) == nil }

// Scoped says whether the principal's reads are limited to its agencies.
func (p Principal) Scoped() bool { return p.Role == AgencyStaff }
