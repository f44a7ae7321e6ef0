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

func (s *Server) listUsers(c *gin.Context) {
	list, err := s.store.FindUsers(c.Request.Context())
	items(s, c, list, err)
}

// createUser makes a user with a temporary password, shown in this
// answer only, which the user must change at the first login.
func (s *Server) createUser(c *gin.Context) {
	var req struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
		Role        string `json:"role"`
		Department  string `json:"department_code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	name := jixiao.NormalizeUserName(req.Name)
	if msg := jixiao.ValidUserName(name); msg != "" {
		s.fail(c, invalidField("name", "%s", msg))
		return
	}
	display, err := displayName(req.DisplayName)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := checkRole(req.Role); err != nil {
		s.fail(c, err)
		return
	}
	password, hash, err := s.passwords.Temporary(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	u := jixiao.User{Name: name, DisplayName: display, Role: req.Role, Department: strings.TrimSpace(req.Department), PasswordHash: hash, MustChangePassword: true}
	if err := s.store.CreateUser(c.Request.Context(), &u); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "user.create", u.Name, gin.H{"role": u.Role, "id": u.ID, "department_code": u.Department})
	c.JSON(http.StatusCreated, gin.H{"user": u, "password": password})
}

// checkRole refuses a role that is not one of the four.
func checkRole(role string) error {
	if jixiao.RoleRank(role) == 0 {
		return invalidField("role", "must be viewer, scorer, reviewer or admin, got %q", role)
	}
	return nil
}

func displayName(v string) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > 100 {
		return "", invalidField("display_name", "at most 100 characters")
	}
	if msg := jixiao.LabelProblem(v); msg != "" {
		return "", invalidField("display_name", "%s", msg)
	}
	return v, nil
}

// findUser is the user the route's :user names, or a 404 problem.
func (s *Server) findUser(c *gin.Context) (*jixiao.User, bool) {
	id, err := strconv.ParseInt(c.Param("user"), 10, 64)
	if err != nil {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no user %q", c.Param("user")))
		return nil, false
	}
	u, err := s.store.FindUser(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return u, true
}

// updateUser changes a user's display name or role, or disables or
// enables them. Disabling ends their sessions.
func (s *Server) updateUser(c *gin.Context) {
	var req struct {
		DisplayName *string `json:"display_name"`
		Role        *string `json:"role"`
		Department  *string `json:"department_code"`
		Disabled    *bool   `json:"disabled"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, ok := s.findUser(c)
	if !ok {
		return
	}
	changes := gin.H{}
	if req.DisplayName != nil {
		display, err := displayName(*req.DisplayName)
		if err != nil {
			s.fail(c, err)
			return
		}
		u.DisplayName = display
		changes["display_name"] = display
	}
	if req.Role != nil {
		if err := checkRole(*req.Role); err != nil {
			s.fail(c, err)
			return
		}
		u.Role = *req.Role
		changes["role"] = u.Role
	}
	if req.Department != nil {
		u.Department = strings.TrimSpace(*req.Department)
		changes["department_code"] = u.Department
	}
	if req.Disabled != nil {
		if *req.Disabled && u.Name == strings.TrimPrefix(actor(c), jixiao.UserActorPrefix) {
			s.fail(c, jixiao.Errorf(jixiao.ECONFLICT, "不能停用自己的账户"))
			return
		}
		switch {
		case *req.Disabled && u.DisabledAt == nil:
			now := time.Now().UTC()
			u.DisabledAt = &now
		case !*req.Disabled:
			u.DisabledAt = nil
		}
		changes["disabled"] = *req.Disabled
	}
	if err := s.store.UpdateUser(c.Request.Context(), u); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "user.update", u.Name, changes)
	c.JSON(http.StatusOK, u)
}

// resetPassword gives a user a new temporary password, shown in this
// answer only; their sessions end and they must change it at the next
// login.
func (s *Server) resetPassword(c *gin.Context) {
	u, ok := s.findUser(c)
	if !ok {
		return
	}
	password, hash, err := s.passwords.Temporary(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	u.PasswordHash, u.MustChangePassword = hash, true
	if err := s.store.UpdateUser(c.Request.Context(), u); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "user.password_reset", u.Name, nil)
	c.JSON(http.StatusOK, gin.H{"user": u, "password": password})
}
