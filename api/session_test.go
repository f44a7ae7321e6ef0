package api_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"jixiao"
	"jixiao/passwords"
)

// browser is a logged-in user's cookie and CSRF token.
type browser struct {
	cookie, csrf string
}

func (b browser) header(extra map[string]string) map[string]string {
	h := map[string]string{"Cookie": "jixiao_session=" + b.cookie}
	if b.csrf != "" {
		h["X-CSRF-Token"] = b.csrf
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

type sessionAnswer struct {
	User      jixiao.User `json:"user"`
	CSRFToken string      `json:"csrf_token"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// createUser makes a user through the API with the admin key and returns
// its temporary password.
func (st *stack) createUser(name, role string) (jixiao.User, string) {
	st.t.Helper()
	var out struct {
		User     jixiao.User `json:"user"`
		Password string      `json:"password"`
	}
	st.postJSON(jixiao.RoleAdmin, "/api/v1/users", map[string]string{"name": name, "role": role, "display_name": "测试 " + name}).
		want(st.t, http.StatusCreated).decode(st.t, &out)
	return out.User, out.Password
}

// login logs in and returns the answer; on success b holds the session.
func (st *stack) login(name, password string) (*response, browser) {
	st.t.Helper()
	res := st.postJSON("", "/api/v1/session", map[string]string{"name": name, "password": password})
	var b browser
	if res.status == http.StatusOK {
		var s sessionAnswer
		res.decode(st.t, &s)
		b = browser{cookie: sessionCookieOf(st.t, res), csrf: s.CSRFToken}
	}
	return res, b
}

func sessionCookieOf(t testing.TB, res *response) string {
	t.Helper()
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == "jixiao_session" {
			return c.Value
		}
	}
	t.Fatalf("no session cookie in %v", res.header)
	return ""
}

// activeUser creates a user and sets their own password; it returns the
// logged-in browser.
func (st *stack) activeUser(name, role string) browser {
	st.t.Helper()
	_, temp := st.createUser(name, role)
	_, b := st.login(name, temp)
	var s sessionAnswer
	res := st.do(request{method: http.MethodPut, path: "/api/v1/session/password", ctype: "application/json",
		body: jsonBody(st.t, map[string]string{"current_password": temp, "new_password": name + "-的密码-123"}), header: b.header(nil)})
	res.want(st.t, http.StatusOK).decode(st.t, &s)
	return browser{cookie: sessionCookieOf(st.t, res), csrf: s.CSRFToken}
}

func TestLoginSessionAndPasswordChange(t *testing.T) {
	st := newStack(t)
	user, temp := st.createUser("Zhang.San", jixiao.RoleScorer)
	if user.Name != "zhang.san" || !user.MustChangePassword || len(temp) != 16 {
		t.Fatalf("created %+v with password %q", user, temp)
	}

	res, b := st.login("ZHANG.SAN", temp)
	res.want(t, http.StatusOK)
	setCookie := res.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(setCookie, attr) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, attr)
		}
	}
	if strings.Contains(setCookie, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on plain HTTP", setCookie)
	}

	// A temporary password opens the session routes only.
	st.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}).want(t, http.StatusOK)
	p := st.do(request{method: http.MethodGet, path: "/api/v1/projects", header: b.header(nil)}).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
	if !strings.Contains(p.Detail, "须先修改密码") {
		t.Errorf("must-change refusal: %q", p.Detail)
	}

	change := func(b browser, current, next string) *response {
		return st.do(request{method: http.MethodPut, path: "/api/v1/session/password", ctype: "application/json",
			body: jsonBody(t, map[string]string{"current_password": current, "new_password": next}), header: b.header(nil)})
	}
	noCSRF := browser{cookie: b.cookie}
	change(noCSRF, temp, "新的密码 correct horse").problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
	change(b, "wrong", "新的密码 correct horse").problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	change(b, temp, "short").problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	res = change(b, temp, "新的密码 correct horse").want(t, http.StatusOK)
	var s sessionAnswer
	res.decode(t, &s)
	next := browser{cookie: sessionCookieOf(t, res), csrf: s.CSRFToken}
	if s.User.MustChangePassword || next.cookie == b.cookie || next.csrf == b.csrf {
		t.Fatalf("after the change: %+v; cookie or token unchanged", s)
	}
	// The old session ended with the old password.
	st.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)

	// The user's role, through the session.
	st.do(request{method: http.MethodGet, path: "/api/v1/projects", header: next.header(nil)}).want(t, http.StatusOK)
	st.do(request{method: http.MethodGet, path: "/api/v1/users", header: next.header(nil)}).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
	post := func(b browser, extra map[string]string) *response {
		return st.do(request{method: http.MethodPost, path: "/api/v1/projects", ctype: "application/json",
			body: jsonBody(t, []any{project("S-1", 90000)}), header: b.header(extra)})
	}
	post(browser{cookie: next.cookie}, nil).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
	post(browser{cookie: next.cookie, csrf: "forged"}, nil).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
	// A cross-site form cannot set the header; a cross-site script that
	// somehow had the token is refused by its origin.
	post(next, map[string]string{"Origin": "https://evil.example"}).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
	post(next, map[string]string{"Origin": "http://" + st.host}).want(t, http.StatusOK)

	// The audit log names the person.
	var audit struct {
		Items []jixiao.AuditEntry `json:"items"`
	}
	st.get(jixiao.RoleAdmin, "/api/v1/audit").want(t, http.StatusOK).decode(t, &audit)
	actions := map[string]string{}
	for _, e := range audit.Items {
		actions[e.Action] = e.Actor
	}
	for action, want := range map[string]string{"user.create": "admin-key", "session.login": "user:zhang.san", "user.password": "user:zhang.san", "projects.import": "user:zhang.san"} {
		if actions[action] != want {
			t.Errorf("audit %s by %q, want %q (all: %v)", action, actions[action], want, actions)
		}
	}

	// Logout ends the session and clears the cookie.
	res = st.do(request{method: http.MethodDelete, path: "/api/v1/session", header: next.header(nil)}).want(t, http.StatusNoContent)
	if c := res.header.Get("Set-Cookie"); !strings.Contains(c, "jixiao_session=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("logout Set-Cookie %q", c)
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/projects", header: next.header(nil)}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
}

func TestLoginRefusals(t *testing.T) {
	st := newStack(t)
	_, temp := st.createUser("li.si", jixiao.RoleViewer)

	wrong := st.postJSON("", "/api/v1/session", map[string]string{"name": "li.si", "password": "not-it"}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
	unknown := st.postJSON("", "/api/v1/session", map[string]string{"name": "nobody", "password": "not-it"}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
	if wrong.Detail != unknown.Detail {
		t.Errorf("a wrong password (%q) and an unknown user (%q) answer differently", wrong.Detail, unknown.Detail)
	}
	st.do(request{method: http.MethodPost, path: "/api/v1/session", ctype: "application/json", body: []byte(`{"name": "li.si"}`), specInvalid: true}).
		problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)

	// From the fifth failure in a row the name is locked, known or not,
	// even for the right password.
	for _, name := range []string{"li.si", "nobody"} {
		for i := 2; i <= 4; i++ {
			st.postJSON("", "/api/v1/session", map[string]string{"name": name, "password": "not-it"}).want(t, http.StatusUnauthorized)
		}
		res := st.postJSON("", "/api/v1/session", map[string]string{"name": name, "password": "not-it"})
		res.problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
		res = st.postJSON("", "/api/v1/session", map[string]string{"name": name, "password": temp})
		res.problem(t, http.StatusTooManyRequests, jixiao.ETOOMANY)
		if ra := res.header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("%s locked: Retry-After %q", name, ra)
		}
	}

	// A disabled user is refused, and their sessions end.
	st2 := newStack(t)
	_, temp = st2.createUser("wang.wu", jixiao.RoleViewer)
	_, b := st2.login("wang.wu", temp)
	var users struct {
		Items []jixiao.User `json:"items"`
	}
	st2.get(jixiao.RoleAdmin, "/api/v1/users").want(t, http.StatusOK).decode(t, &users)
	id := users.Items[0].ID
	st2.do(request{method: http.MethodPatch, path: "/api/v1/users/" + itoa(id), role: jixiao.RoleAdmin, ctype: "application/json",
		body: []byte(`{"disabled": true}`)}).want(t, http.StatusOK)
	st2.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
	st2.postJSON("", "/api/v1/session", map[string]string{"name": "wang.wu", "password": temp}).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)

	// Twenty failures from one address, whatever the names, lock it.
	st3 := newStack(t)
	for i := range 20 {
		st3.postJSON("", "/api/v1/session", map[string]string{"name": "guess" + itoa(int64(i)), "password": "x"}).want(t, http.StatusUnauthorized)
	}
	st3.postJSON("", "/api/v1/session", map[string]string{"name": "another", "password": "x"}).problem(t, http.StatusTooManyRequests, jixiao.ETOOMANY)
}

func TestUserAdministration(t *testing.T) {
	st := newStack(t)
	admin := st.activeUser("admin.one", jixiao.RoleAdmin)
	user, _ := st.createUser("zhao.liu", jixiao.RoleViewer)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/users", map[string]string{"name": "ZHAO.LIU", "role": "viewer"}).problem(t, http.StatusConflict, jixiao.ECONFLICT)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/users", map[string]string{"name": "a b", "role": "viewer"}).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	st.postJSON(jixiao.RoleScorer, "/api/v1/users", map[string]string{"name": "x1", "role": "viewer"}).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)

	patch := func(b browser, id int64, body string) *response {
		return st.do(request{method: http.MethodPatch, path: "/api/v1/users/" + itoa(id), ctype: "application/json", body: []byte(body), header: b.header(nil)})
	}
	var changed jixiao.User
	patch(admin, user.ID, `{"role": "scorer", "display_name": "赵六"}`).want(t, http.StatusOK).decode(t, &changed)
	if changed.Role != jixiao.RoleScorer || changed.DisplayName != "赵六" {
		t.Errorf("changed: %+v", changed)
	}
	patch(admin, user.ID, `{"display_name": "赵\u202e六"}`).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	patch(admin, 9999, `{"role": "viewer"}`).problem(t, http.StatusNotFound, jixiao.ENOTFOUND)
	var me sessionAnswer
	st.do(request{method: http.MethodGet, path: "/api/v1/session", header: admin.header(nil)}).want(t, http.StatusOK).decode(t, &me)
	patch(admin, me.User.ID, `{"disabled": true}`).problem(t, http.StatusConflict, jixiao.ECONFLICT)

	// A reset gives a new temporary password: the old one no longer logs in.
	var reset struct {
		User     jixiao.User `json:"user"`
		Password string      `json:"password"`
	}
	st.do(request{method: http.MethodPost, path: "/api/v1/users/" + itoa(user.ID) + "/password", header: admin.header(nil)}).
		want(t, http.StatusOK).decode(t, &reset)
	if !reset.User.MustChangePassword {
		t.Error("a reset user need not change the password")
	}
	res, _ := st.login("zhao.liu", reset.Password)
	res.want(t, http.StatusOK)
}

// TestSessionTimeouts: a session ends after its idle time without a
// request, and at its absolute end whatever the activity. The waits are
// longer than the timeouts; a slow machine only makes them longer.
func TestSessionTimeouts(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.SessionIdle = 2 * time.Second })
	b := st.activeUser("idle.user", jixiao.RoleViewer)
	st.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}).want(t, http.StatusOK)
	time.Sleep(2100 * time.Millisecond)
	st.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)

	st = newStack(t, func(c *config) { c.opts.SessionMaxAge = time.Second })
	b = st.activeUser("short.user", jixiao.RoleViewer)
	for deadline := time.Now().Add(1100 * time.Millisecond); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		st.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}) // active, but…
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/session", header: b.header(nil)}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
}

// TestPasswordsNotKept: no password, temporary or chosen, is in the
// database or the audit log.
func TestPasswordsNotKept(t *testing.T) {
	var logs lockedBuffer
	st := newStack(t, func(c *config) { c.logs = &logs })
	_, temp := st.createUser("sun.qi", jixiao.RoleViewer)
	wrong := "孙七猜错的密码 xyz"
	st.do(request{method: http.MethodPost, path: "/api/v1/session", ctype: "application/json",
		body: jsonBody(t, map[string]string{"name": "sun.qi", "password": wrong})}).want(t, http.StatusUnauthorized)
	_, b := st.login("sun.qi", temp)
	tooShort := "短"
	st.do(request{method: http.MethodPut, path: "/api/v1/session/password", ctype: "application/json",
		body: jsonBody(t, map[string]string{"current_password": temp, "new_password": tooShort}), header: b.header(nil)}).want(t, http.StatusUnprocessableEntity)
	chosen := "孙七自己的密码 abc"
	st.do(request{method: http.MethodPut, path: "/api/v1/session/password", ctype: "application/json",
		body: jsonBody(t, map[string]string{"current_password": temp, "new_password": chosen}), header: b.header(nil)}).want(t, http.StatusOK)
	// Request lines are written from a queue: wait for the last one.
	logged := logs.String()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logged, "path=/api/v1/session/password status=200"); logged = logs.String() {
		if time.Now().After(deadline) {
			t.Fatalf("the requests were not logged, so the logs prove nothing:\n%s", logged)
		}
		time.Sleep(5 * time.Millisecond)
	}
	users, err := st.store.FindUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := st.store.FindAudit(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var everything bytes.Buffer
	for _, u := range users {
		everything.WriteString(u.PasswordHash)
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Errorf("user %s: hash %q", u.Name, u.PasswordHash)
		}
	}
	for _, e := range entries {
		everything.Write(e.Detail)
		everything.WriteString(e.Subject)
	}
	if !strings.Contains(st.dbPath, "://") { // SQLite: the file itself, and its WAL
		for _, suffix := range []string{"", "-wal"} {
			data, err := os.ReadFile(st.dbPath + suffix)
			if err == nil {
				everything.Write(data)
			}
		}
	}
	for _, pw := range []string{temp, chosen, wrong} {
		if bytes.Contains(everything.Bytes(), []byte(pw)) {
			t.Errorf("password %q is stored", pw)
		}
		if strings.Contains(logged, pw) {
			t.Errorf("password %q is in the logs", pw)
		}
	}
}

// TestLoginTimingHidesUsers: with the real argon2id costs, a failed login
// of a known name and of an unknown one take about as long (both check a
// hash). A login that skipped the check for unknown names would be a
// hundred times faster; the bounds are wide, for a busy machine.
func TestLoginTimingHidesUsers(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.Passwords = passwords.New(passwords.Recommended, 2) })
	st.createUser("timed.user", jixiao.RoleViewer)
	var known, unknown []time.Duration
	for i := range 4 { // alternated, so that load affects both alike
		for _, name := range []string{"timed.user", "timed.nobody"} {
			start := time.Now()
			st.postJSON("", "/api/v1/session", map[string]string{"name": name, "password": "wrong-" + itoa(int64(i))}).want(t, http.StatusUnauthorized)
			if name == "timed.user" {
				known = append(known, time.Since(start))
			} else {
				unknown = append(unknown, time.Since(start))
			}
		}
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	k, u := median(known), median(unknown)
	t.Logf("failed login, median: known name %v, unknown name %v", k, u)
	if ratio := float64(u) / float64(k); ratio < 0.25 || ratio > 4 {
		t.Errorf("unknown names take %.2f × as long as known ones", ratio)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
