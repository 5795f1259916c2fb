package app

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"

	"github.com/ebios/ebios/core/policy"
)

// Permissions the navigation and the admin pages look for in
// GET /api/v1/auth/me.
const (
	PermPoliciesRead = "policies:read"
	PermGuardRead    = "guard:read"
	PermUsersManage  = "users:manage"
)

// Can reports whether the caller holds permission p.
func (m *Me) Can(p string) bool {
	return m != nil && slices.Contains(m.Permissions, p)
}

// PolicyInfo describes a stored policy (GET /api/v1/policies).
type PolicyInfo struct {
	Hash           string `json:"policy_hash"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	Description    string `json:"description,omitempty"`
	PublicKey      string `json:"public_key"`
	Active         bool   `json:"active"`
	Rules          int    `json:"rules"`
	HaltOnCritical bool   `json:"halt_on_critical"`
}

// PolicyList is what GET /api/v1/policies returns: the stored policies and
// the one in force, if any.
type PolicyList struct {
	Policies []PolicyInfo `json:"policies"`
	Active   *PolicyInfo  `json:"active"`
}

// Policies lists the stored policies.
func (c *APIClient) Policies(ctx context.Context) (*PolicyList, error) {
	var p PolicyList
	return &p, c.getJSON(ctx, "/api/v1/policies", &p)
}

// GuardHit and GuardEventsPage are the guard events API's wire types.
type (
	GuardHit        = policy.GuardHit
	GuardEventsPage = policy.GuardEventsPage
)

// GuardFilter selects guard events: Level is the minimum level ("" for
// all), Rule a rule name ("" for all), Limit the page size (0: the
// server's default), Cursor the Next of the previous page.
type GuardFilter struct {
	Level  string
	Rule   string
	Limit  int
	Cursor string
}

// GuardEvents returns a page of guard events.
func (c *APIClient) GuardEvents(ctx context.Context, f GuardFilter) (*GuardEventsPage, error) {
	q := url.Values{}
	if f.Level != "" {
		q.Set("level", f.Level)
	}
	if f.Rule != "" {
		q.Set("rule", f.Rule)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Cursor != "" {
		q.Set("cursor", f.Cursor)
	}
	path := "/api/v1/guard/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p GuardEventsPage
	return &p, c.getJSON(ctx, path, &p)
}

// UserInfo is a user as GET /api/v1/users lists it.
type UserInfo struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Disabled  bool   `json:"disabled"`
	CreatedAt string `json:"created_at,omitempty"`
	LastLogin string `json:"last_login,omitempty"`
}

// Roles are the user roles, least to most privileged.
var Roles = []string{"guest", "auditor", "operator", "admin"}

// Users lists the users.
func (c *APIClient) Users(ctx context.Context) ([]UserInfo, error) {
	var r struct {
		Users []UserInfo `json:"users"`
	}
	if err := c.getJSON(ctx, "/api/v1/users", &r); err != nil {
		return nil, err
	}
	return r.Users, nil
}

// UserPatch changes a user: the fields left nil are kept.
type UserPatch struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// PatchUser changes a user's role or disables/enables it, and returns the
// user as changed.
func (c *APIClient) PatchUser(ctx context.Context, name string, p UserPatch) (*UserInfo, error) {
	b, err := c.do(ctx, "PATCH", "/api/v1/users/"+url.PathEscape(name), p)
	if err != nil {
		return nil, err
	}
	var r struct {
		User *UserInfo `json:"user"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.User == nil {
		r.User = &UserInfo{Name: name}
	}
	return r.User, nil
}

// DeleteUser deletes a user (DELETE /api/v1/users/{name}): their sessions
// end at once; the server refuses the last enabled admin (409 AUTH_019).
func (c *APIClient) DeleteUser(ctx context.Context, name string) error {
	_, err := c.do(ctx, "DELETE", "/api/v1/users/"+url.PathEscape(name), nil)
	return err
}
