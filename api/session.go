package api

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/passwords"
)

const (
	// sessionCookie holds a session's token.
	sessionCookie = "jixiao_session"
	// csrfHeader repeats the session's CSRF token on every request that
	// changes something; a form or script of another site cannot set it.
	csrfHeader = "X-CSRF-Token"

	// DefaultSessionIdle and DefaultSessionMaxAge end a session after so
	// long without a request, and after so long whatever the activity.
	DefaultSessionIdle   = 30 * time.Minute
	DefaultSessionMaxAge = 12 * time.Hour
	// seenEvery is how often a session's last request is written down.
	seenEvery = time.Minute

	// Failed logins under one name: from the fifth on, the name is
	// locked for 30 s, doubling with each failure, at most 15 minutes.
	freeFailures = 4
	firstLock    = 30 * time.Second
	longestLock  = 15 * time.Minute
	// Failed logins from one address: at most 20 in 10 minutes.
	addressFailures = 20
	addressWindow   = 10 * time.Minute
)

// lockFor is how long a login name is locked after failures failed
// logins in a row.
func lockFor(failures int) time.Duration {
	if failures <= freeFailures {
		return 0
	}
	d := firstLock
	for i := freeFailures + 1; i < failures && d < longestLock; i++ {
		d *= 2
	}
	return min(d, longestLock)
}

// addressThrottle counts failed logins by client address, in this
// process (the failures by name are counted in the database, for all).
type addressThrottle struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func (a *addressThrottle) recent(addr string, now time.Time) []time.Time {
	kept := a.failures[addr][:0]
	for _, t := range a.failures[addr] {
		if now.Sub(t) < addressWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(a.failures, addr)
		return nil
	}
	a.failures[addr] = kept
	return kept
}

// wait returns how long addr must wait before trying again, or 0.
func (a *addressThrottle) wait(addr string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	recent := a.recent(addr, now)
	if len(recent) < addressFailures {
		return 0
	}
	return addressWindow - now.Sub(recent[len(recent)-addressFailures])
}

func (a *addressThrottle) fail(addr string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failures == nil {
		a.failures = map[string][]time.Time{}
	}
	if len(a.failures) > 100_000 { // bounded: forget the oldest wholesale
		clear(a.failures)
	}
	a.failures[addr] = append(a.recent(addr, now), now)
}

// tooMany refuses a login attempt for wait.
func (s *Server) tooMany(c *gin.Context, wait time.Duration) {
	secs := int(wait.Round(time.Second) / time.Second)
	secs = max(secs, 1)
	c.Header("Retry-After", strconv.Itoa(secs))
	s.fail(c, jixiao.Errorf(jixiao.ETOOMANY, "登录失败次数过多，请 %d 秒后再试", secs))
}

// sessionView is what the session routes answer.
type sessionView struct {
	User      jixiao.User `json:"user"`
	CSRFToken string      `json:"csrf_token"`
	ExpiresAt time.Time   `json:"expires_at"`
	IdleFor   int         `json:"idle_timeout_seconds"`
}

// login checks a name and password and starts a session. Whether the
// name exists is not told, by the answer or by its time: an unknown name
// is checked against a password hash too, and failures are counted and
// locked by name alike.
func (s *Server) login(c *gin.Context) {
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	name := jixiao.NormalizeUserName(req.Name)
	if name == "" || req.Password == "" {
		s.fail(c, jixiao.Errorf(jixiao.EINVALID, "请输入用户名和密码"))
		return
	}
	if len(req.Password) > 4*passwords.MaxLength { // no password is so long: not worth a hash
		s.fail(c, invalidField("password", "%v", passwords.ErrTooLong))
		return
	}
	ctx := c.Request.Context()
	now := time.Now()
	addr := c.ClientIP()
	if wait := s.addresses.wait(addr, now); wait > 0 {
		s.tooMany(c, wait)
		return
	}
	th, err := s.store.FindLoginThrottle(ctx, name)
	if err != nil {
		s.fail(c, err)
		return
	}
	if now.Before(th.LockedUntil) {
		s.tooMany(c, th.LockedUntil.Sub(now))
		return
	}
	user, err := s.store.FindUserByName(ctx, name)
	if err != nil && jixiao.ErrorCode(err) != jixiao.ENOTFOUND {
		s.fail(c, err)
		return
	}
	hash := ""
	if user != nil {
		hash = user.PasswordHash
	}
	ok, err := s.passwords.Verify(ctx, hash, req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !ok {
		s.addresses.fail(addr, now)
		if _, err := s.store.FailedLogin(ctx, name, now, lockFor); err != nil {
			s.fail(c, err)
			return
		}
		s.fail(c, jixiao.Errorf(jixiao.EUNAUTHORIZED, "用户名或密码错误"))
		return
	}
	if user.DisabledAt != nil {
		s.fail(c, jixiao.Errorf(jixiao.EFORBIDDEN, "账户 %s 已停用，请联系管理员", user.Name))
		return
	}
	if th.Failures > 0 {
		if err := s.store.ClearLoginThrottle(ctx, name); err != nil {
			s.fail(c, err)
			return
		}
	}
	// A hash made with older costs is replaced; like any change of the
	// hash, that ends the user's other sessions.
	if s.passwords.NeedsRehash(user.PasswordHash) {
		if rehashed, err := s.passwords.Hash(ctx, req.Password); err == nil {
			user.PasswordHash = rehashed
			if err := s.store.UpdateUser(ctx, user); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	sess, err := s.startSession(c, user.ID, now.Add(s.sessionMaxAge))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(keyNameKey, jixiao.UserActorPrefix+user.Name)
	s.audit(c, "session.login", user.Name, gin.H{"address": addr})
	c.JSON(http.StatusOK, s.sessionView(sess, user))
}

// startSession stores a new session of the user, ending at expires, and
// sets its cookie.
func (s *Server) startSession(c *gin.Context, userID int64, expires time.Time) (*jixiao.Session, error) {
	now := time.Now()
	token := jixiao.NewSecretToken(32)
	sess := &jixiao.Session{TokenHash: jixiao.HashSecret(token), UserID: userID, CSRFToken: jixiao.NewSecretToken(32),
		CreatedAt: now, SeenAt: now, ExpiresAt: expires}
	if err := s.store.CreateSession(c.Request.Context(), sess); err != nil {
		return nil, err
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	return sess, nil
}

func (s *Server) sessionView(sess *jixiao.Session, u *jixiao.User) sessionView {
	return sessionView{User: *u, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt.UTC(), IdleFor: int(s.sessionIdle / time.Second)}
}

// setSessionCookie sets (or, with an empty token, clears) the session
// cookie: HttpOnly, SameSite=Strict, and Secure when the request came
// over TLS (to this server or to a proxy in front of it).
func (s *Server) setSessionCookie(c *gin.Context, token string, expires time.Time) {
	cookie := &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"}
	if token == "" {
		cookie.MaxAge = -1
	} else {
		cookie.Expires = expires.UTC()
	}
	http.SetCookie(c.Writer, cookie)
}

// errNoSession is the refusal of a missing, ended or expired session.
var errNoSession = jixiao.Errorf(jixiao.EUNAUTHORIZED, "未登录或登录已过期，请重新登录")

// fromSession authenticates a request by its session cookie. It ends a
// session idle for too long or past its absolute end, refuses a
// state-changing request without the session's CSRF token or from a page
// of another origin, and notes the request's time. The caller checks the
// role and the must-change flag.
func (s *Server) fromSession(c *gin.Context) (*jixiao.Session, *jixiao.User, error) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		return nil, nil, errNoSession
	}
	ctx := c.Request.Context()
	hash := jixiao.HashSecret(token)
	sess, user, err := s.store.FindSession(ctx, hash)
	if jixiao.ErrorCode(err) == jixiao.ENOTFOUND {
		return nil, nil, errNoSession
	} else if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.SeenAt) > s.sessionIdle || user.DisabledAt != nil {
		if err := s.store.DeleteSession(ctx, hash); err != nil {
			return nil, nil, err
		}
		return nil, nil, errNoSession
	}
	if unsafeMethod(c.Request.Method) {
		if !sameOrigin(c) {
			return nil, nil, jixiao.Errorf(jixiao.EFORBIDDEN, "来自其他网站的请求被拒绝")
		}
		got := c.GetHeader(csrfHeader)
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return nil, nil, jixiao.Errorf(jixiao.EFORBIDDEN, "缺少或错误的 %s 请求头：请刷新页面后重试", csrfHeader)
		}
	}
	if now.Sub(sess.SeenAt) >= seenEvery {
		if err := s.store.TouchSession(ctx, hash, now); err != nil {
			return nil, nil, err
		}
		sess.SeenAt = now
	}
	return sess, user, nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// sameOrigin reports whether a browser's request came from a page of
// this server: its Origin (or, without one, its Referer) names the host
// the request was sent to. A request with neither is not a browser's
// cross-site one.
func sameOrigin(c *gin.Context) bool {
	from := c.GetHeader("Origin")
	if from == "" {
		from = c.GetHeader("Referer")
	}
	if from == "" {
		return true
	}
	u, err := url.Parse(from)
	return err == nil && u.Host == c.Request.Host
}

// sessionOnly admits requests with a session cookie, before a password
// change too: the routes of the session itself.
func (s *Server) sessionOnly(c *gin.Context) {
	sess, user, err := s.fromSession(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(keyNameKey, jixiao.UserActorPrefix+user.Name)
	c.Set(keyRoleKey, user.Role)
	c.Set(sessionKey, sess)
	c.Set(userKey, user)
	c.Next()
}

const (
	sessionKey = "session"
	userKey    = "user"
)

func (s *Server) getSession(c *gin.Context) {
	sess := c.MustGet(sessionKey).(*jixiao.Session)
	user := c.MustGet(userKey).(*jixiao.User)
	c.JSON(http.StatusOK, s.sessionView(sess, user))
}

func (s *Server) logout(c *gin.Context) {
	sess := c.MustGet(sessionKey).(*jixiao.Session)
	if err := s.store.DeleteSession(c.Request.Context(), sess.TokenHash); err != nil {
		s.fail(c, err)
		return
	}
	s.setSessionCookie(c, "", time.Time{})
	s.audit(c, "session.logout", c.MustGet(userKey).(*jixiao.User).Name, nil)
	c.Status(http.StatusNoContent)
}

// changePassword sets the user's own password, given the current one,
// and ends their other sessions.
func (s *Server) changePassword(c *gin.Context) {
	var req struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	sess := c.MustGet(sessionKey).(*jixiao.Session)
	user := c.MustGet(userKey).(*jixiao.User)
	if err := passwords.Check(req.New); err != nil {
		s.fail(c, invalidField("new_password", "%v", err))
		return
	}
	if req.New == req.Current {
		s.fail(c, invalidField("new_password", "新密码不能与当前密码相同"))
		return
	}
	ok, err := s.passwords.Verify(ctx, user.PasswordHash, req.Current)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !ok {
		s.fail(c, invalidField("current_password", "当前密码不正确"))
		return
	}
	if user.PasswordHash, err = s.passwords.Hash(ctx, req.New); err != nil {
		s.fail(c, err)
		return
	}
	user.MustChangePassword = false
	// UpdateUser ends every session of a new password; this one is
	// started again below, the others stay ended.
	if err := s.store.UpdateUser(ctx, user); err != nil {
		s.fail(c, err)
		return
	}
	next, err := s.startSession(c, user.ID, sess.ExpiresAt)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "user.password", user.Name, nil)
	c.JSON(http.StatusOK, s.sessionView(next, user))
}

// errMustChange refuses everything but the session routes to a user who
// must set a password of their own first.
var errMustChange = jixiao.Errorf(jixiao.EFORBIDDEN, "须先修改密码：管理员设置的临时密码只能用于修改密码")
