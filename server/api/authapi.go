package api

import (
	"errors"
	"github.com/ebios/ebios/server/operation"
	"net/http"

	"github.com/ebios/ebios/server/auth"
)

// Request bodies of the auth and user endpoints. Every member without
// omitempty or omitzero, and not a pointer, is required (core/strictjson);
// TestOpenAPIRequestBodies keeps openapi.json's required lists in step.
type (
	loginRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	refreshRequest struct {
		RefreshToken string `json:"refresh_token"`
	}
	setupRequest struct {
		Token    string `json:"token"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	addUserRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	// patchUserRequest: either member or both; a pointer is optional.
	patchUserRequest struct {
		Role     *string `json:"role,omitempty"`
		Disabled *bool   `json:"disabled,omitempty"`
	}
	passwordRequest struct {
		Password string `json:"password"`
	}
)

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	pair, u, err := s.cfg.Auth.Login(r.Context(), req.Username, req.Password)
	if err != nil {
		s.logLoginRefused(r, req.Username, err)
		auth.SetRetryAfter(w.Header(), err)
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": pair, "user": u,
		"access_token": pair.AccessToken, "refresh_token": pair.RefreshToken, "token_type": pair.TokenType})
}

// logLoginRefused logs why a login was refused. The client got the public
// answer only (the same AUTH_008 for an unknown user, a wrong password and
// a disabled account); the log has the real reason.
func (s *Server) logLoginRefused(r *http.Request, name string, err error) {
	var le *auth.LoginError
	if !errors.As(err, &le) {
		return
	}
	if len(name) > 64 { // the longest valid name: the rest is not a user name
		name = name[:64] + "…"
	}
	s.cfg.Logger.Warn("login refused", "user", name, "reason", string(le.Reason), "cause", le.Cause,
		"code", le.Public.Code, "remote", r.RemoteAddr)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	pair, err := s.cfg.Auth.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, pair)
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var req setupRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	u, err := s.cfg.Auth.Setup(r.Context(), req.Token, req.Username, req.Password)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u})
}

// setupStatus: GET /api/v1/auth/setup says whether the first admin is
// still to be made (with the setup token the server printed), so that the
// login page can offer it. It says nothing else.
func (s *Server) setupStatus(w http.ResponseWriter, r *http.Request) {
	needed, err := s.cfg.Auth.NeedsSetup(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"needed": needed})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := auth.PrincipalFrom(r.Context())
	u, err := s.cfg.Auth.GetUser(r.Context(), p.User)
	if err != nil {
		writeError(w, err)
		return
	}
	perms := []auth.Permission{}
	for _, pm := range auth.Permissions {
		if auth.Allowed(p.Role, pm) {
			perms = append(perms, pm)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "permissions": perms, "expires_at": p.ExpiresAt})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := auth.PrincipalFrom(r.Context())
	if err := s.cfg.Auth.RevokeFamily(r.Context(), p.Family); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.cfg.Auth.ListUsers(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	var req addUserRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		writeError(w, err)
		return
	}
	u, err := s.cfg.Auth.AddUser(r.Context(), req.Username, req.Password, role)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u})
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	var req patchUserRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	var u *auth.User
	var err error
	if req.Role == nil && req.Disabled == nil {
		writeError(w, apiErr(operation.CodeBadField, "nothing to change", "", `send {"role": "..."} and/or {"disabled": true|false}`))
		return
	}
	if req.Role != nil {
		role, err := auth.ParseRole(*req.Role)
		if err != nil {
			writeError(w, err)
			return
		}
		if u, err = s.cfg.Auth.SetRole(r.Context(), name, role); err != nil {
			writeError(w, err)
			return
		}
	}
	if req.Disabled != nil {
		if *req.Disabled {
			u, err = s.cfg.Auth.Disable(r.Context(), name)
		} else {
			u, err = s.cfg.Auth.Enable(r.Context(), name)
		}
		if err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	u, err := s.cfg.Auth.ResetPassword(r.Context(), r.PathValue("name"), req.Password)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

// deleteUser: DELETE /api/v1/users/{name} removes a user. Their tokens stop
// working at once; the ledger keeps what it recorded (entries name users
// as text). The last enabled admin cannot be deleted (409 AUTH_019).
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.cfg.Auth.DeleteUser(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	s.cfg.Logger.Info("user deleted", "user", u.Name, "role", string(u.Role), "by", principal(r))
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "status": "deleted"})
}
