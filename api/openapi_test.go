package api_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"jixiao/api"
)

// The document loads, is valid OpenAPI 3.0 and its examples match their
// schemas.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, _ := loadSpec(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
}

// The document is served as it is embedded.
func TestOpenAPIServed(t *testing.T) {
	st := newStack(t)
	res := st.get("", "/api/v1/openapi.yaml").want(t, http.StatusOK)
	if !bytes.Equal(res.body, api.OpenAPISpec()) {
		t.Error("the served document differs from the embedded one")
	}
	if ct := res.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q", ct)
	}
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// Every route the router serves is an operation of the spec, and every
// operation of the spec is a route.
func TestRoutesMatchSpec(t *testing.T) {
	doc, _ := loadSpec(t)
	st := newStack(t)
	served := map[string]bool{}
	for _, r := range st.srv.Router().Routes() {
		served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	spec := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			spec[method+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range served {
		if !spec[r] {
			missing = append(missing, r)
		}
	}
	for r := range spec {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not in the spec: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("operations in the spec that are not routes: %v", extra)
	}
	if len(served) < 29 {
		t.Errorf("only %d routes", len(served))
	}
}

// Every operation but the public ones needs a key or a login, and its
// description names the role; the session's own routes need a login.
func TestSpecStatesRoles(t *testing.T) {
	doc, _ := loadSpec(t)
	public := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /api/v1/openapi.yaml": true,
		"POST /api/v1/session": true}
	role := regexp.MustCompile(`Role: (viewer|scorer|reviewer|admin|any logged-in user)\.`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if public[method+" "+path] {
				if op.Security == nil || len(*op.Security) != 0 {
					t.Errorf("%s %s: should need no key", method, path)
				}
				continue
			}
			if strings.HasPrefix(path, "/api/v1/session") {
				if op.Security == nil || len(*op.Security) != 1 || (*op.Security)[0]["cookieAuth"] == nil {
					t.Errorf("%s %s: should need a login", method, path)
				}
			} else if op.Security != nil {
				t.Errorf("%s %s: should use the document's security", method, path)
			}
			if !role.MatchString(op.Description) {
				t.Errorf("%s %s: the description does not state the role", method, path)
			}
			if op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s %s: no 401", method, path)
			}
		}
	}
}
