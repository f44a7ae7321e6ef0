package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"jixiao"
)

const (
	keyNameKey = "key_name"
	keyRoleKey = "key_role"
)

// authenticate admits requests whose bearer key has at least role.
func (s *Server) authenticate(role string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.authOff {
			c.Set(keyNameKey, "local")
			c.Set(keyRoleKey, jixiao.RoleAdmin)
			c.Next()
			return
		}
		secret, ok := bearer(c.GetHeader("Authorization"))
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="jixiao"`)
			s.fail(c, jixiao.Errorf(jixiao.EUNAUTHORIZED, "an API key is required: send Authorization: Bearer <key>"))
			return
		}
		key, err := s.store.FindAPIKeyByHash(c.Request.Context(), jixiao.HashAPIKey(secret))
		if jixiao.ErrorCode(err) == jixiao.ENOTFOUND || (err == nil && key.RevokedAt != nil) {
			c.Header("WWW-Authenticate", `Bearer realm="jixiao", error="invalid_token"`)
			s.fail(c, jixiao.Errorf(jixiao.EUNAUTHORIZED, "the API key is unknown or revoked"))
			return
		} else if err != nil {
			s.fail(c, err)
			return
		}
		if jixiao.RoleRank(key.Role) < jixiao.RoleRank(role) {
			s.fail(c, jixiao.Errorf(jixiao.EFORBIDDEN, "this needs the %s role; the key %s has %s", role, key.Name, key.Role))
			return
		}
		c.Set(keyNameKey, key.Name)
		c.Set(keyRoleKey, key.Role)
		c.Next()
	}
}

// bearer returns the token of an Authorization header of the Bearer
// scheme, whose name is case-insensitive (RFC 9110, section 11.1).
func bearer(header string) (string, bool) {
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// actor names who made a request, for runs and the audit log.
func actor(c *gin.Context) string { return c.GetString(keyNameKey) }
