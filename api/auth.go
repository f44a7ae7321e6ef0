package api

import (
	"context"
	"crypto/sha256"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

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
			if _, err := c.Cookie(sessionCookie); err == nil {
				s.authenticateSession(c, role)
				return
			}
			c.Header("WWW-Authenticate", `Bearer realm="jixiao"`)
			s.fail(c, jixiao.Errorf(jixiao.EUNAUTHORIZED, "an API key or a login is required: send Authorization: Bearer <key>, or log in (POST /api/v1/session)"))
			return
		}
		key, err := s.keys.find(c.Request.Context(), secret)
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
		if !s.setScope(c, key.Department) {
			return
		}
		c.Next()
	}
}

// setScope limits the rest of the request to the account's department
// (none: bureau-wide), through its context, which the store reads. It
// reports whether the request may go on.
func (s *Server) setScope(c *gin.Context, department string) bool {
	if department == "" {
		return true
	}
	scope, err := s.store.DepartmentScope(c.Request.Context(), department)
	if err != nil {
		s.fail(c, err)
		return false
	}
	c.Request = c.Request.WithContext(jixiao.WithScope(c.Request.Context(), scope))
	return true
}

// authenticateSession admits a request of a logged-in user with at least
// role, who has no temporary password left to change.
func (s *Server) authenticateSession(c *gin.Context, role string) {
	_, user, err := s.fromSession(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if user.MustChangePassword {
		s.fail(c, errMustChange)
		return
	}
	if jixiao.RoleRank(user.Role) < jixiao.RoleRank(role) {
		s.fail(c, jixiao.Errorf(jixiao.EFORBIDDEN, "this needs the %s role; the user %s has %s", role, user.Name, user.Role))
		return
	}
	c.Set(keyNameKey, jixiao.UserActorPrefix+user.Name)
	c.Set(keyRoleKey, user.Role)
	if !s.setScope(c, user.Department) {
		return
	}
	c.Next()
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

// requireRole refuses, with 403, a request whose key has less than role,
// for the parts of a route that need more than the route does. It
// reports whether the request may go on.
func (s *Server) requireRole(c *gin.Context, role, what string) bool {
	if have := c.GetString(keyRoleKey); jixiao.RoleRank(have) < jixiao.RoleRank(role) {
		s.fail(c, jixiao.Errorf(jixiao.EFORBIDDEN, "%s needs the %s role; the key %s has %s", what, role, actor(c), have))
		return false
	}
	return true
}

// actor names who made a request, for runs and the audit log.
func actor(c *gin.Context) string { return c.GetString(keyNameKey) }

const (
	// keyCacheTTL is how long a key found in the store is used without
	// asking the store again. A key revoked through this server is
	// refused from the next request on (revokeKey empties the cache); one
	// revoked by another process, at most this long after.
	keyCacheTTL = time.Second
	// keyCacheSize bounds the number of keys remembered.
	keyCacheSize = 1024
)

// keyCache remembers, for ttl, the unrevoked API keys the store found,
// by the SHA-256 of their secret. Unknown and revoked keys are not
// remembered: the store is asked about them every time.
type keyCache struct {
	lookup func(ctx context.Context, hash string) (*jixiao.APIKey, error)
	ttl    time.Duration
	size   int

	mu      sync.RWMutex
	gen     uint64 // counts forget calls
	entries map[[sha256.Size]byte]cachedKey
}

type cachedKey struct {
	key   jixiao.APIKey
	until time.Time
}

func newKeyCache(lookup func(ctx context.Context, hash string) (*jixiao.APIKey, error), ttl time.Duration, size int) *keyCache {
	return &keyCache{lookup: lookup, ttl: ttl, size: size, entries: map[[sha256.Size]byte]cachedKey{}}
}

// find returns the key whose secret this is, as FindAPIKeyByHash does:
// revoked or not, or an ENOTFOUND error.
func (kc *keyCache) find(ctx context.Context, secret string) (jixiao.APIKey, error) {
	sum := sha256.Sum256([]byte(secret))
	kc.mu.RLock()
	e, ok := kc.entries[sum]
	gen := kc.gen
	kc.mu.RUnlock()
	if ok && time.Now().Before(e.until) {
		return e.key, nil
	}
	// The store's answer is remembered from the time it was asked, and
	// only if nothing was forgotten meanwhile: a revocation committed
	// while the store was being asked is not undone by remembering what
	// it answered before.
	asked := time.Now()
	key, err := kc.lookup(ctx, jixiao.HashSecret(secret))
	if err != nil {
		return jixiao.APIKey{}, err
	}
	if key.RevokedAt == nil {
		kc.put(sum, gen, cachedKey{key: *key, until: asked.Add(kc.ttl)})
	}
	return *key, nil
}

func (kc *keyCache) put(sum [sha256.Size]byte, gen uint64, e cachedKey) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if gen != kc.gen {
		return
	}
	if len(kc.entries) >= kc.size {
		now := time.Now()
		for k, old := range kc.entries {
			if !now.Before(old.until) {
				delete(kc.entries, k)
			}
		}
		if len(kc.entries) >= kc.size {
			return
		}
	}
	kc.entries[sum] = e
}

// forget empties the cache, and keeps lookups that were already asking
// the store from remembering their answers. Called once a key is revoked.
func (kc *keyCache) forget() {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.gen++
	clear(kc.entries)
}

// localOnly guards a server without keys (--auth off, on a loopback
// address): a request must name a loopback host, and a browser's request
// must come from a page of one. Otherwise a web page anywhere could use
// the local server, through a name that resolves to 127.0.0.1 (DNS
// rebinding) or a cross-site form.
func (s *Server) localOnly(c *gin.Context) {
	if !LoopbackHost(c.Request.Host) {
		s.fail(c, jixiao.Errorf(jixiao.EFORBIDDEN, "without API keys (--auth off) only requests to a loopback address are served, not to host %q", c.Request.Host))
		return
	}
	if origin := c.GetHeader("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !LoopbackHost(u.Host) {
			s.fail(c, jixiao.Errorf(jixiao.EFORBIDDEN, "without API keys (--auth off) only pages of a loopback address may call the API, not %q", origin))
			return
		}
	}
	c.Next()
}

// LoopbackHost reports whether a host, or host:port (a Host header, a
// listening address), names the loopback interface.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
