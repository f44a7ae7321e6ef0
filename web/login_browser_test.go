package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"jixiao"
)

// TestBrowserPasswordLogin: a user logs in with a temporary password, is
// made to choose their own, works, and logs out; a wrong password is
// refused; a form posted from another site's page changes nothing.
func TestBrowserPasswordLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser tests need Chromium; run them without -short")
	}
	chromium := needChromium(t)
	st := newStack(t)
	res, body := st.call(t, http.MethodPost, "/api/v1/users", jixiao.RoleAdmin,
		strings.NewReader(`{"name": "zhou.ba", "display_name": "周八", "role": "scorer"}`), "application/json")
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("creating the user: %d %s", res.StatusCode, body)
	}
	var created struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, st.url, chromium)
	b.use(t)

	typeLogin := func(name, password string) {
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#login-name').value = ''; document.querySelector('#login-password').value = ''`),
			chromedp.SendKeys(chromedp.CSS("#login-name"), name), chromedp.SendKeys(chromedp.CSS("#login-password"), password),
			chromedp.Click(chromedp.CSS("#password-login-button")))
	}
	b.do(chromedp.Navigate(st.url + "/"))
	b.ready("login")
	typeLogin("zhou.ba", "not-the-password")
	b.waitText(".login .alert.error", "用户名或密码错误")

	// The temporary password leads to the change form, then in.
	typeLogin("ZHOU.BA", created.Password)
	b.wait("#new-password")
	b.do(chromedp.SendKeys(chromedp.CSS("#new-password"), "周八自己的新密码 123"), chromedp.SendKeys(chromedp.CSS("#new-password-again"), "周八自己的新密码 123"))
	b.follow(chromedp.Click(chromedp.CSS("#change-password-button")), "projects")
	if n := b.count("#projects-table tbody tr"); n != 26 {
		t.Errorf("projects table: %d rows, want 26", n)
	}

	// Logged out: the server ended the session, and the pages ask for a login.
	b.follow(chromedp.Click(chromedp.CSS("#logout")), "login")
	b.goTo("#/projects", "login")
	typeLogin("zhou.ba", created.Password)
	b.waitText(".login .alert.error", "用户名或密码错误")
	typeLogin("zhou.ba", "周八自己的新密码 123")
	b.ready("projects")

	// A page of another site posts a form to the API with the user's
	// browser: refused (the cookie is not sent across sites, and a form
	// has no CSRF header), and nothing changes.
	before := st.count(t, "/api/v1/projects?year=2024")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form id="f" method="POST" action="%s/api/v1/projects" enctype="text/plain">
<input name='[{"id":"EVIL-1","name":"x","year":2024,"budget_adjusted":1,"spent":1,"indicators":[],"x":"' value='"}]'></form>
<script>document.getElementById("f").submit()</script>`, st.url)
	}))
	defer evil.Close()
	u, _ := url.Parse(evil.URL)
	evilURL := "http://localhost:" + u.Port() // another site than 127.0.0.1
	b.do(chromedp.Navigate(evilURL + "/"))
	b.do(chromedp.WaitVisible(chromedp.CSS("body")))
	for range 50 {
		if strings.Contains(run(b, chromedp.Evaluate[string](`location.href`)), "/api/v1/projects") {
			break
		}
		b.do(chromedp.Sleep(100 * time.Millisecond))
	}
	answer := run(b, chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(answer, `"status":401`) && !strings.Contains(answer, `"status":403`) {
		t.Errorf("the cross-site form was answered: %s", answer)
	}
	if after := st.count(t, "/api/v1/projects?year=2024"); after != before {
		t.Errorf("projects: %d before the cross-site form, %d after", before, after)
	}
}

// count is the total of a paginated list, read with the viewer key.
func (st *stack) count(t *testing.T, path string) int {
	t.Helper()
	res, body := st.call(t, http.MethodGet, path, jixiao.RoleViewer, nil, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	var page struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Total
}

// TestBrowserPeople: an admin creates a department and a user of it on
// 用户与部门; the user logs in with the temporary password shown once and
// sees only that department's projects (none, here), while the admin
// sees the demo's 26.
func TestBrowserPeople(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser tests need Chromium; run them without -short")
	}
	chromium := needChromium(t)
	st := newStack(t)
	b := newBrowser(t, st.url, chromium)
	b.use(t)
	b.do(chromedp.Navigate(st.url + "/"))
	b.ready("login")
	b.login(st.keys[jixiao.RoleAdmin])
	b.goTo("#/people", "people")
	if n := b.count("#departments-table tbody tr"); n != 1 {
		t.Errorf("departments: %d rows, want the demo's one", n)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#new-department-code"), "C01"), chromedp.SendKeys(chromedp.CSS("#new-department-name"), "丙局"))
	b.do(chromedp.Click(chromedp.CSS("#create-department")))
	b.waitText("#people-out", "已新建部门 丙局")
	b.do(chromedp.SendKeys(chromedp.CSS("#new-user-name"), "bing.user"), chromedp.SendKeys(chromedp.CSS("#new-user-display"), "丙局用户"),
		chromedp.SetValue(chromedp.CSS("#new-user-department"), "C01"))
	b.do(chromedp.Click(chromedp.CSS("#create-user")))
	b.waitText("#people-out", "已新建用户")
	temp := b.text("#temporary-password")
	if len(temp) != 16 {
		t.Fatalf("temporary password %q", temp)
	}
	if !strings.Contains(b.text("#users-table"), "丙局") {
		t.Errorf("the users table does not show the user's department: %s", b.text("#users-table"))
	}

	b.follow(chromedp.Click(chromedp.CSS("#logout")), "login")
	b.do(chromedp.SendKeys(chromedp.CSS("#login-name"), "bing.user"), chromedp.SendKeys(chromedp.CSS("#login-password"), temp),
		chromedp.Click(chromedp.CSS("#password-login-button")))
	b.wait("#new-password")
	b.do(chromedp.SendKeys(chromedp.CSS("#new-password"), "丙局用户的密码 1"), chromedp.SendKeys(chromedp.CSS("#new-password-again"), "丙局用户的密码 1"))
	b.follow(chromedp.Click(chromedp.CSS("#change-password-button")), "projects")
	if page := run(b, chromedp.Evaluate[string](`document.querySelector('#main').innerText`)); strings.Contains(page, "HH2024") || strings.Contains(page, "住房公积金") {
		t.Errorf("a 丙局 user sees the demo's projects:\n%s", page)
	}
	// The admin page is not theirs.
	b.goTo("#/people", "people")
	b.waitText(".alert.error", "admin")
}
