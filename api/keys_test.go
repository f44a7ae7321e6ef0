package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"jixiao"
)

func TestKeys(t *testing.T) {
	st := newStack(t)
	var keys struct {
		Items []jixiao.APIKey `json:"items"`
	}
	res := st.get(jixiao.RoleAdmin, "/api/v1/keys").want(t, http.StatusOK)
	res.decode(t, &keys)
	if len(keys.Items) != 4 || keys.Items[0].Name != "viewer-key" || keys.Items[3].Role != jixiao.RoleAdmin {
		t.Errorf("keys %+v", keys.Items)
	}
	for _, secret := range st.keys {
		if strings.Contains(string(res.body), secret) || strings.Contains(string(res.body), jixiao.HashSecret(secret)) {
			t.Error("the key list shows a secret or its hash")
		}
	}

	var created struct {
		Key    jixiao.APIKey `json:"key"`
		Secret string        `json:"secret"`
	}
	st.postJSON(jixiao.RoleAdmin, "/api/v1/keys", map[string]string{"name": "  财政局评审组 ", "role": "scorer"}).want(t, http.StatusCreated).decode(t, &created)
	if created.Key.ID == 0 || created.Key.Name != "财政局评审组" || created.Key.Role != jixiao.RoleScorer || created.Key.Prefix != created.Secret[:8] {
		t.Errorf("created %+v", created)
	}
	// The new key works, with its role.
	auth := "Bearer " + created.Secret
	st.do(request{method: http.MethodGet, path: "/api/v1/projects", auth: auth}).want(t, http.StatusOK)
	st.do(request{method: http.MethodPost, path: "/api/v1/projects", auth: auth, body: jsonBody(t, []any{project("K-1", 1)}), ctype: "application/json"}).want(t, http.StatusOK)
	st.do(request{method: http.MethodGet, path: "/api/v1/keys", auth: auth}).problem(t, http.StatusForbidden, "forbidden")

	// Revoked, it is refused at once.
	res = st.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/keys/%d", created.Key.ID), role: jixiao.RoleAdmin}).want(t, http.StatusNoContent)
	if len(res.body) != 0 {
		t.Errorf("204 with a body: %s", res.body)
	}
	r := st.do(request{method: http.MethodGet, path: "/api/v1/projects", auth: auth})
	p := r.problem(t, http.StatusUnauthorized, "unauthorized")
	if r.header.Get("WWW-Authenticate") != `Bearer realm="jixiao", error="invalid_token"` || !strings.Contains(p.Detail, "unknown or revoked") {
		t.Errorf("revoked key: %s %q", r.header.Get("WWW-Authenticate"), p.Detail)
	}
	// Revoking again changes nothing and is not audited again; an unknown
	// key is not found.
	st.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/keys/%d", created.Key.ID), role: jixiao.RoleAdmin}).want(t, http.StatusNoContent)
	st.do(request{method: http.MethodDelete, path: "/api/v1/keys/999", role: jixiao.RoleAdmin}).problem(t, http.StatusNotFound, "not_found")
	st.do(request{method: http.MethodDelete, path: "/api/v1/keys/abc", role: jixiao.RoleAdmin, specInvalid: true}).problem(t, http.StatusNotFound, "not_found")

	st.get(jixiao.RoleAdmin, "/api/v1/keys").want(t, http.StatusOK).decode(t, &keys)
	if len(keys.Items) != 5 || keys.Items[4].RevokedAt == nil || keys.Items[0].RevokedAt != nil {
		t.Errorf("keys %+v", keys.Items)
	}

	var audit struct {
		Items []jixiao.AuditEntry `json:"items"`
		Total int                 `json:"total"`
	}
	st.get(jixiao.RoleAdmin, "/api/v1/audit?per_page=3").want(t, http.StatusOK).decode(t, &audit)
	var actions []string
	for _, e := range audit.Items {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	if strings.Join(actions, ", ") != "key.revoke by admin-key, projects.import by 财政局评审组, key.create by admin-key" {
		t.Errorf("audit %v", actions)
	}
	if d := string(audit.Items[2].Detail); !strings.Contains(d, `"role":"scorer"`) || strings.Contains(d, created.Secret) {
		t.Errorf("key.create detail %s", d)
	}
	// Regression: an entry without detail was recorded with detail null.
	if audit.Items[0].Detail != nil {
		t.Errorf("key.revoke detail %s", audit.Items[0].Detail)
	}
	st.get(jixiao.RoleAdmin, "/api/v1/audit?page=2&per_page=2").want(t, http.StatusOK).decode(t, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Action != "key.create" {
		t.Errorf("audit page 2: %+v", audit.Items)
	}
}

// Regression: the name was limited to 100 bytes, not characters, so that
// a Chinese name of 34 characters was refused.
func TestKeyNameCountsCharacters(t *testing.T) {
	st := newStack(t)
	name := strings.Repeat("财", 100)
	var created struct {
		Key jixiao.APIKey `json:"key"`
	}
	st.postJSON(jixiao.RoleAdmin, "/api/v1/keys", map[string]string{"name": name, "role": "viewer"}).want(t, http.StatusCreated).decode(t, &created)
	if created.Key.Name != name {
		t.Errorf("name %q", created.Key.Name)
	}
	st.unchanged(func() {
		st.do(request{method: http.MethodPost, path: "/api/v1/keys", role: jixiao.RoleAdmin, ctype: "application/json", specInvalid: true,
			body: jsonBody(t, map[string]string{"name": name + "财", "role": "viewer"})}).problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "name", "")
	})
}

func TestKeyCreateErrors(t *testing.T) {
	st := newStack(t)
	for _, tt := range []struct {
		body        string
		status      int
		code, field string
		specInvalid bool
	}{
		{`{"name": "x", "role": "root"}`, 422, "invalid", "role", true},
		{`{"name": "x"}`, 422, "invalid", "role", true},
		{`{"name": "   ", "role": "viewer"}`, 422, "invalid", "name", false},
		{`{"name": "` + strings.Repeat("x", 101) + `", "role": "viewer"}`, 422, "invalid", "name", true},
		{`{"name": "x", "role": "viewer", "expires": "never"}`, 400, "malformed", "expires", true},
		{`{"name": "x", "Role": "admin"}`, 400, "malformed", "Role", true},
		{`{"name": 1, "role": "viewer"}`, 400, "malformed", "name", true},
		{`[]`, 400, "malformed", "", true},
	} {
		st.unchanged(func() {
			p := st.do(request{method: http.MethodPost, path: "/api/v1/keys", role: jixiao.RoleAdmin, body: []byte(tt.body), ctype: "application/json", specInvalid: tt.specInvalid}).
				problem(t, tt.status, tt.code)
			if tt.field != "" {
				p.hasError(t, "", tt.field, "")
			}
		})
	}
}
