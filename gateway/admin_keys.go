package gateway

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/apikey"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

type keyRequest struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	AgentID string `json:"agent_id"`
}

type keyView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	AgentID   string     `json:"agent_id,omitempty"`
	Prefix    string     `json:"prefix"`
	Key       string     `json:"key,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func viewKey(k *store.APIKey) keyView {
	return keyView{ID: k.ID, Name: k.Name, Role: k.Role, AgentID: k.AgentID, Prefix: k.Prefix, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

func (s *Server) createKey(c *gin.Context) error {
	var req keyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p := who(c)
	var errs []tools.FieldError
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 200 {
		errs = append(errs, tools.FieldError{Path: "name", Message: "is required (at most 200 characters)"})
	}
	switch req.Role {
	case store.RoleAdmin:
		if req.AgentID != "" {
			errs = append(errs, tools.FieldError{Path: "agent_id", Message: "must be empty for an admin key"})
		}
	case store.RoleAgent:
		if req.AgentID == "" {
			errs = append(errs, tools.FieldError{Path: "agent_id", Message: "is required for an agent key"})
		} else if _, err := s.store.AgentGet(c.Request.Context(), p.WorkspaceID, req.AgentID); errors.Is(err, store.ErrNotFound) {
			errs = append(errs, tools.FieldError{Path: "agent_id", Message: "no agent with this id"})
		} else if err != nil {
			return err
		}
	default:
		errs = append(errs, tools.FieldError{Path: "role", Message: `must be "admin" or "agent"`})
	}
	if len(errs) > 0 {
		return validationFailed("the key request is invalid", errs)
	}
	plain, prefix, hash := apikey.New()
	key := &store.APIKey{
		ID: store.NewID(), WorkspaceID: p.WorkspaceID, Name: req.Name, Role: req.Role,
		AgentID: req.AgentID, Prefix: prefix, Hash: hash, CreatedAt: s.now().UTC(),
	}
	if err := s.store.APIKeyInsert(c.Request.Context(), key); err != nil {
		return err
	}
	v := viewKey(key)
	v.Key = plain
	c.JSON(http.StatusCreated, v)
	return nil
}

func (s *Server) listKeys(c *gin.Context) error {
	lp, err := listParams(c)
	if err != nil {
		return err
	}
	keys, err := s.store.APIKeyList(c.Request.Context(), who(c).WorkspaceID, lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page(keys, lp, func(k *store.APIKey) string { return k.ID }, viewKey))
	return nil
}

func (s *Server) revokeKey(c *gin.Context) error {
	if err := s.store.APIKeyRevoke(c.Request.Context(), who(c).WorkspaceID, c.Param("id"), s.now().UTC()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("key")
		}
		return err
	}
	s.keys.forget(c.Param("id"))
	// Console sessions signed in with the key end with it.
	if _, err := s.store.SessionDeleteByKey(c.Request.Context(), who(c).WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
