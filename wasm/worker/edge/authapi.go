package edge

import (
	"net/http"

	"github.com/ebios/ebios/server/auth"
)

// The auth routes: login, refresh, setup, me, logout and users, over
// server/auth as ebios serve has them.

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := s.decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	pair, u, err := s.cfg.Auth.Login(r.Context(), req.Username, req.Password)
	if err != nil {
		auth.SetRetryAfter(w.Header(), err)
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": pair, "user": u,
		"access_token": pair.AccessToken, "refresh_token": pair.RefreshToken, "token_type": pair.TokenType})
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
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
	var req struct {
		Token    string `json:"token"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
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
	if err := s.cfg.Auth.RevokeFamily(r.Context(), auth.PrincipalFrom(r.Context()).Family); err != nil {
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
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
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
