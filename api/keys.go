package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"jixiao"
)

func (s *Server) listKeys(c *gin.Context) {
	list, err := s.store.FindAPIKeys(c.Request.Context())
	items(s, c, list, err)
}

func (s *Server) createKey(c *gin.Context) {
	var req struct {
		Name       string `json:"name"`
		Role       string `json:"role"`
		Department string `json:"department_code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if n := utf8.RuneCountInString(req.Name); n == 0 || n > 100 {
		s.fail(c, invalidField("name", "a name of 1 to 100 characters is required"))
		return
	}
	if err := checkRole(req.Role); err != nil {
		s.fail(c, err)
		return
	}
	secret, key := jixiao.NewAPIKey(req.Name, req.Role, time.Now())
	key.Department = strings.TrimSpace(req.Department)
	if err := s.store.CreateAPIKey(c.Request.Context(), &key); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "key.create", key.Name, gin.H{"role": key.Role, "prefix": key.Prefix, "id": key.ID, "department_code": key.Department})
	c.JSON(http.StatusCreated, gin.H{"key": key, "secret": secret})
}

func (s *Server) revokeKey(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("key"), 10, 64)
	if err != nil {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no key %q", c.Param("key")))
		return
	}
	revoked, err := s.store.RevokeAPIKey(c.Request.Context(), id, time.Now().UTC())
	if err != nil {
		s.fail(c, err)
		return
	}
	// Refused from the next request on, though cached. Revoking a revoked
	// key changes nothing and is not audited again.
	s.keys.forget()
	if revoked {
		s.audit(c, "key.revoke", c.Param("key"), nil)
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listAudit(c *gin.Context) {
	p, err := readPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	entries, total, err := s.store.FindAudit(c.Request.Context(), p.offset(), p.PerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(entries, total, p))
}
