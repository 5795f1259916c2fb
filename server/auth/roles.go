package auth

import "strings"

// Role is a user's role. Every user has exactly one.
type Role string

// The four roles of the seed, from least to most privileged.
const (
	RoleGuest    Role = "guest"
	RoleAuditor  Role = "auditor"
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
)

// Roles lists every role, least privileged first.
var Roles = []Role{RoleGuest, RoleAuditor, RoleOperator, RoleAdmin}

// ParseRole returns the role called s (case-insensitive, surrounding space
// ignored), or an AUTH_015 error.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.Valid() {
		return r, nil
	}
	return "", newErr(CodeBadRole, "unknown role", "got "+quote(s),
		"use one of admin, operator, auditor, guest")
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	return r == RoleGuest || r == RoleAuditor || r == RoleOperator || r == RoleAdmin
}

// Permission is one thing a request may do. Handlers name the permission
// they need with [Service.Require]; [Allowed] decides from [Matrix].
type Permission string

// Permissions. The string values are stable and appear in 403 errors.
const (
	PermHealth          Permission = "health"             // health and readiness endpoints
	PermSelf            Permission = "auth:self"          // /auth/me, refresh, logout of one's own session
	PermExecute         Permission = "operations:execute" // execute and batch operations (appends to the ledger)
	PermLedgerRead      Permission = "ledger:read"        // query entries, checkpoints, proofs, bundles
	PermLedgerVerify    Permission = "ledger:verify"      // server-side verification of entries; whole-log verify jobs and reports (read)
	PermLedgerVerifyRun Permission = "ledger:verify:run"  // start and cancel whole-log verification jobs
	PermPoliciesRead    Permission = "policies:read"      // list and read policies
	PermPoliciesWrite   Permission = "policies:write"     // activate and deactivate policies
	PermGuardRead       Permission = "guard:read"         // read guard (invariant) events
	PermUsersManage     Permission = "users:manage"       // list, add, change, disable, delete users
	PermMetricsRead     Permission = "metrics:read"       // /metrics
	PermBackup          Permission = "backup:run"         // start online backups and read their state
)

// Permissions lists every permission.
var Permissions = []Permission{PermHealth, PermSelf, PermExecute, PermLedgerRead,
	PermLedgerVerify, PermLedgerVerifyRun, PermPoliciesRead, PermPoliciesWrite, PermGuardRead,
	PermUsersManage, PermMetricsRead, PermBackup}

// Matrix is the permission matrix of the seed, as data:
//
//	guest:    health only (and its own session: me, refresh, logout)
//	auditor:  read and verify the ledger, read policies and guard events
//	operator: execute operations, plus everything an auditor may read
//	admin:    everything, including users, policy changes and metrics
//
// The seed gives the operator "execute operations, query ledger"; here the
// operator may also verify, since verification only reads, and read
// policies and guard events. Starting and cancelling a whole-log
// verification job (ledger:verify:run) costs minutes of CPU on a large log,
// so it is the operator's and the admin's; an auditor reads the jobs and
// their reports. Tests iterate this table; [Allowed] is built
// from it. Do not modify it at run time.
var Matrix = map[Role][]Permission{
	RoleGuest:   {PermHealth, PermSelf},
	RoleAuditor: {PermHealth, PermSelf, PermLedgerRead, PermLedgerVerify, PermPoliciesRead, PermGuardRead},
	RoleOperator: {PermHealth, PermSelf, PermExecute, PermLedgerRead, PermLedgerVerify, PermLedgerVerifyRun,
		PermPoliciesRead, PermGuardRead},
	RoleAdmin: Permissions,
}

// allowed is Matrix as a set, built once.
var allowed = func() map[Role]map[Permission]bool {
	m := make(map[Role]map[Permission]bool, len(Matrix))
	for r, ps := range Matrix {
		m[r] = make(map[Permission]bool, len(ps))
		for _, p := range ps {
			m[r][p] = true
		}
	}
	return m
}()

// Allowed reports whether role may do perm according to [Matrix]. Unknown
// roles and permissions are never allowed.
func Allowed(role Role, perm Permission) bool {
	return allowed[role][perm]
}
