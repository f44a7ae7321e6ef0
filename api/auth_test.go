package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"jixiao"
)

// mutating lists every operation that changes something (or runs work),
// with a body it would accept and the role it needs.
func mutating(t *testing.T) []struct {
	method, path, role string
	body               []byte
	ctype              string
} {
	return []struct {
		method, path, role string
		body               []byte
		ctype              string
	}{
		{http.MethodPost, "/api/v1/projects", jixiao.RoleScorer, jsonBody(t, []any{project("AUTH-1", 1)}), "application/json"},
		{http.MethodPost, "/api/v1/rulesets/validate", jixiao.RoleScorer, []byte(draftGrades(t)), "application/yaml"},
		{http.MethodPut, "/api/v1/rulesets/cn-mof-2020-self", jixiao.RoleAdmin, []byte(draftGrades(t)), "application/yaml"},
		{http.MethodPost, "/api/v1/evaluations", jixiao.RoleScorer, jsonBody(t, map[string]any{"year": 2024}), "application/json"},
		{http.MethodPost, "/api/v1/evaluations/1/resume", jixiao.RoleScorer, nil, ""},
		{http.MethodPost, "/api/v1/simulations", jixiao.RoleViewer, jsonBody(t, map[string]any{"year": 2024, "save_as": "x"}), "application/json"},
		{http.MethodPost, "/api/v1/simulations/goal-seek", jixiao.RoleViewer, jsonBody(t, map[string]any{"year": 2024, "project_id": "HH2024-01", "field": "spent", "goal": map[string]any{"grade": "优"}}), "application/json"},
		{http.MethodPost, "/api/v1/keys", jixiao.RoleAdmin, jsonBody(t, map[string]any{"name": "x", "role": "admin"}), "application/json"},
		{http.MethodDelete, "/api/v1/keys/1", jixiao.RoleAdmin, nil, ""},
		{http.MethodPost, "/api/v1/projects/2024/HH2024-01/submit", jixiao.RoleScorer, nil, ""},
		{http.MethodPost, "/api/v1/projects/2024/HH2024-01/approve", jixiao.RoleReviewer, jsonBody(t, map[string]any{"input_hash": "x"}), "application/json"},
		{http.MethodPost, "/api/v1/projects/2024/HH2024-01/return", jixiao.RoleReviewer, jsonBody(t, map[string]any{"input_hash": "x", "comment": "意见"}), "application/json"},
		{http.MethodPost, "/api/v1/departments", jixiao.RoleAdmin, jsonBody(t, map[string]any{"code": "X1", "name": "某局"}), "application/json"},
		{http.MethodPatch, "/api/v1/departments/X1", jixiao.RoleAdmin, jsonBody(t, map[string]any{"name": "某某局"}), "application/json"},
		{http.MethodPost, "/api/v1/departments/X1/merge", jixiao.RoleAdmin, jsonBody(t, map[string]any{"into": "X2"}), "application/json"},
		{http.MethodPost, "/api/v1/users", jixiao.RoleAdmin, jsonBody(t, map[string]any{"name": "x1", "role": "admin"}), "application/json"},
		{http.MethodPatch, "/api/v1/users/1", jixiao.RoleAdmin, jsonBody(t, map[string]any{"role": "admin"}), "application/json"},
		{http.MethodPost, "/api/v1/users/1/password", jixiao.RoleAdmin, nil, ""},
		importOp(t, "/api/v1/projects/import"),
		importOp(t, "/api/v1/projects/import/marked"),
	}
}

// A call of each mutating operation without a key, with a key that is
// unknown or revoked, or with too low a role is refused, and changes
// nothing.
func TestMutatingOperationsRefuseUnauthorised(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	st.evaluate(map[string]any{"year": 2024}) // run 1
	revoked, id := st.newKey("old", jixiao.RoleAdmin)
	if _, err := st.store.RevokeAPIKey(t.Context(), id, st.store.Now()); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, op := range mutating(t) {
		covered[op.method+" "+op.path] = true
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			st := st.sub(t)
			call := func(role, auth string, specInvalid bool) *response {
				return st.do(request{method: op.method, path: op.path, role: role, auth: auth, body: op.body, ctype: op.ctype, specInvalid: specInvalid})
			}
			st.unchanged(func() {
				for _, tt := range []struct {
					name, auth, challenge string
					specInvalid           bool
				}{
					{"no key", "", `Bearer realm="jixiao"`, true},
					{"empty bearer", "Bearer ", `Bearer realm="jixiao"`, true},
					{"basic", "Basic YWRtaW46YWRtaW4=", `Bearer realm="jixiao"`, true},
					{"unknown key", "Bearer jx_" + strings.Repeat("a", 32), `Bearer realm="jixiao", error="invalid_token"`, false},
					{"revoked key", "Bearer " + revoked, `Bearer realm="jixiao", error="invalid_token"`, false},
				} {
					res := call("", tt.auth, tt.specInvalid)
					res.problem(t, http.StatusUnauthorized, "unauthorized")
					if got := res.header.Get("WWW-Authenticate"); got != tt.challenge {
						t.Errorf("%s: WWW-Authenticate %q, want %q", tt.name, got, tt.challenge)
					}
				}
				for _, role := range []string{jixiao.RoleViewer, jixiao.RoleScorer, jixiao.RoleReviewer} {
					if jixiao.RoleRank(role) >= jixiao.RoleRank(op.role) {
						continue
					}
					p := call(role, "", false).problem(t, http.StatusForbidden, "forbidden")
					if !strings.Contains(p.Detail, "needs the "+op.role+" role") {
						t.Errorf("%s: detail %q", role, p.Detail)
					}
				}
			})
		})
	}
	// Every operation but the reads is in the table, and the session's
	// own, which answer to a login rather than a key (session_test.go).
	for _, r := range st.srv.Router().Routes() {
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		path = strings.NewReplacer("{year}/{id}", "2024/HH2024-01", "{id}", "cn-mof-2020-self", "{run}", "1", "{key}", "1", "{user}", "1", "{code}", "X1").Replace(path)
		if strings.HasPrefix(path, "/api/v1/session") {
			continue
		}
		if r.Method != http.MethodGet && !covered[r.Method+" "+path] {
			t.Errorf("%s %s is not in the table", r.Method, r.Path)
		}
	}
}

// Every read under /api/v1 but the spec needs a key; the admin ones need
// the admin role.
func TestReadsNeedKeys(t *testing.T) {
	st := newStack(t)
	for _, r := range st.srv.Router().Routes() {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/openapi.yaml" {
			continue
		}
		path := ginParam.ReplaceAllString(r.Path, "1")
		path = strings.Replace(path, "/rulesets/1", "/rulesets/cn-mof-2020-self", 1)
		path = strings.Replace(path, "/versions/1", "/versions/"+strings.Repeat("0", 64), 1)
		res := st.do(request{method: http.MethodGet, path: path, specInvalid: true})
		res.problem(t, http.StatusUnauthorized, "unauthorized")
		if res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", path)
		}
	}
	for _, path := range []string{"/api/v1/keys", "/api/v1/audit", "/api/v1/users"} {
		st.get(jixiao.RoleScorer, path).problem(t, http.StatusForbidden, "forbidden")
		st.get(jixiao.RoleViewer, path).problem(t, http.StatusForbidden, "forbidden")
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.yaml"} {
		st.get("", path).want(t, http.StatusOK)
	}
}

// Regression: the authentication scheme is case-insensitive (RFC 9110,
// 11.1), but only "Bearer" was accepted.
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	st := newStack(t)
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		st.do(request{method: http.MethodGet, path: "/api/v1/projects", auth: scheme + " " + st.keys[jixiao.RoleViewer]}).want(t, http.StatusOK)
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/projects", auth: "Bearer  " + st.keys[jixiao.RoleViewer] + " "}).want(t, http.StatusOK)
	st.do(request{method: http.MethodGet, path: "/api/v1/projects", auth: "Bearerx " + st.keys[jixiao.RoleViewer], specInvalid: true}).
		problem(t, http.StatusUnauthorized, "unauthorized")
}

// With authentication off (a local demo) every operation is open.
func TestAuthOff(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.AuthOff = true })
	st.do(request{method: http.MethodGet, path: "/api/v1/keys", specInvalid: true}).want(t, http.StatusOK)
	st.do(request{method: http.MethodPost, path: "/api/v1/projects", body: jsonBody(t, []any{project("OPEN-1", 1)}), ctype: "application/json", specInvalid: true}).
		want(t, http.StatusOK)
	var audit struct {
		Items []jixiao.AuditEntry `json:"items"`
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/audit?per_page=1", specInvalid: true}).want(t, http.StatusOK).decode(t, &audit)
	if audit.Items[0].Actor != "local" {
		t.Errorf("actor %q", audit.Items[0].Actor)
	}
}

// A key the server has just used, and so remembers, is refused from the
// very request after its revocation through the API on, also while other
// requests with it are being served during the revocation.
func TestRevokedKeyRefusedAtOnceThoughRemembered(t *testing.T) {
	st := newStack(t)
	for round := range 10 {
		var created struct {
			Key    jixiao.APIKey `json:"key"`
			Secret string        `json:"secret"`
		}
		st.postJSON(jixiao.RoleAdmin, "/api/v1/keys", map[string]string{"name": fmt.Sprint("k", round), "role": "viewer"}).
			want(t, http.StatusCreated).decode(t, &created)
		auth := "Bearer " + created.Secret
		use := request{method: http.MethodGet, path: "/api/v1/rulesets", auth: auth}
		st.do(use).want(t, http.StatusOK)
		st.do(use).want(t, http.StatusOK)

		// Other requests with the key, running through the revocation:
		// each is answered 200 or 401, nothing else.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					rec := httptest.NewRecorder()
					st.handler.ServeHTTP(rec, st.newHTTPRequest(use))
					mu.Lock()
					statuses[rec.Code]++
					mu.Unlock()
				}
			})
		}
		time.Sleep(5 * time.Millisecond)
		st.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/keys/%d", created.Key.ID), role: jixiao.RoleAdmin}).
			want(t, http.StatusNoContent)
		r := st.do(use)
		close(stop)
		wg.Wait()
		r.problem(t, http.StatusUnauthorized, "unauthorized")
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="jixiao", error="invalid_token"` {
			t.Errorf("round %d: WWW-Authenticate %q", round, got)
		}
		// And it stays refused.
		st.do(use).problem(t, http.StatusUnauthorized, "unauthorized")
		for status := range statuses {
			if status != http.StatusOK && status != http.StatusUnauthorized {
				t.Errorf("round %d: concurrent requests answered %v", round, statuses)
			}
		}
	}
	// The other keys were forgotten too, and still work.
	st.get(jixiao.RoleAdmin, "/api/v1/keys").want(t, http.StatusOK)
	st.get(jixiao.RoleViewer, "/api/v1/rulesets").want(t, http.StatusOK)
}

// A key the server remembers keeps its role, and keys it does not know
// are refused however often they are sent, next to known ones.
func TestRememberedKeysKeepTheirRoles(t *testing.T) {
	st := newStack(t)
	for range 3 {
		st.get(jixiao.RoleViewer, "/api/v1/projects").want(t, http.StatusOK)
		st.get(jixiao.RoleViewer, "/api/v1/keys").problem(t, http.StatusForbidden, "forbidden")
		st.do(request{method: http.MethodPost, path: "/api/v1/projects", role: jixiao.RoleViewer, body: jsonBody(t, []any{project("ROLE-1", 1)}), ctype: "application/json"}).
			problem(t, http.StatusForbidden, "forbidden")
		st.do(request{method: http.MethodPost, path: "/api/v1/projects", role: jixiao.RoleScorer, body: jsonBody(t, []any{project("ROLE-1", 1)}), ctype: "application/json"}).
			want(t, http.StatusOK)
		st.get(jixiao.RoleScorer, "/api/v1/audit").problem(t, http.StatusForbidden, "forbidden")
		st.get(jixiao.RoleAdmin, "/api/v1/audit").want(t, http.StatusOK)
	}
	known := st.keys[jixiao.RoleAdmin]
	last := known[len(known)-1:]
	other := "a"
	if last == "a" {
		other = "b"
	}
	for _, secret := range []string{known[:len(known)-1] + other, known + "x", "jx_" + strings.Repeat("a", 32)} {
		for range 3 {
			r := st.do(request{method: http.MethodGet, path: "/api/v1/keys", auth: "Bearer " + secret})
			r.problem(t, http.StatusUnauthorized, "unauthorized")
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="jixiao", error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
		}
	}
}

// A key revoked where this server cannot see it (another process on the
// same database; here, the store directly) is refused once the server's
// memory of it has expired: keys are remembered for at most a second.
func TestKeyRevokedElsewhereRefusedAfterASecond(t *testing.T) {
	st := newStack(t)
	secret, id := st.newKey("elsewhere", jixiao.RoleViewer)
	use := request{method: http.MethodGet, path: "/api/v1/rulesets", auth: "Bearer " + secret}
	st.do(use).want(t, http.StatusOK)
	if _, err := st.store.RevokeAPIKey(t.Context(), id, st.store.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second + 50*time.Millisecond)
	st.do(use).problem(t, http.StatusUnauthorized, "unauthorized")
	st.get(jixiao.RoleViewer, "/api/v1/rulesets").want(t, http.StatusOK)
}

// Without keys, only requests to a loopback host, from pages of one, are
// served: a page elsewhere cannot use a local demo server through DNS
// rebinding or a cross-site form.
func TestAuthOffLocalOnly(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.AuthOff = true })
	for _, tt := range []struct {
		host, origin string
		status       int
	}{
		// Past the guard, a path that does not exist is not found.
		{"127.0.0.1:8080", "", http.StatusNotFound},
		{"localhost:8080", "http://localhost:8080", http.StatusNotFound},
		{"[::1]:8080", "http://[::1]:8080", http.StatusNotFound},
		{"127.0.0.1:8080", "http://127.0.0.1:3000", http.StatusNotFound},
		{"evil.example:8080", "", http.StatusForbidden},                  // DNS rebinding
		{"127.0.0.1:8080", "https://evil.example", http.StatusForbidden}, // a cross-site page
		{"127.0.0.1:8080", "null", http.StatusForbidden},
	} {
		st.host = tt.host
		req := request{method: http.MethodGet, path: "/api/v1/nowhere", specInvalid: true}
		if tt.origin != "" {
			req.header = map[string]string{"Origin": tt.origin}
		}
		res := st.do(req)
		if res.status != tt.status {
			t.Errorf("Host %s, Origin %q: %d, want %d", tt.host, tt.origin, res.status, tt.status)
		}
	}
	// Uploads too.
	st.host = "127.0.0.1:8080"
	st.do(request{method: http.MethodPost, path: "/api/v1/projects", body: jsonBody(t, []any{project("X-1", 1)}), ctype: "application/json",
		header: map[string]string{"Origin": "https://evil.example"}, specInvalid: true}).problem(t, http.StatusForbidden, "forbidden")
}
