package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/demo"
)

func TestUnknownEndpoint(t *testing.T) {
	st := newStack(t)
	p := st.do(request{method: http.MethodGet, path: "/api/v1/nope", role: jixiao.RoleViewer, specInvalid: true}).problem(t, http.StatusNotFound, "not_found")
	if p.Detail != "no such endpoint: GET /api/v1/nope" || p.Instance != "/api/v1/nope" {
		t.Errorf("problem %+v", p)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	st := newStack(t)
	res := st.do(request{method: http.MethodDelete, path: "/api/v1/projects", role: jixiao.RoleAdmin, specInvalid: true})
	p := res.problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
	if p.Detail != "DELETE is not allowed on /api/v1/projects" || p.Title != "Method not allowed" {
		t.Errorf("problem %+v", p)
	}
	if allow := res.header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("Allow %q", allow)
	}
}

func TestRequestID(t *testing.T) {
	st := newStack(t)
	res := st.do(request{method: http.MethodGet, path: "/api/v1/projects/2024/X", role: jixiao.RoleViewer, header: map[string]string{"X-Request-Id": "trace-42"}})
	if p := res.problem(t, http.StatusNotFound, "not_found"); p.RequestID != "trace-42" {
		t.Errorf("request_id %q", p.RequestID)
	}
	long := strings.Repeat("x", 65)
	res = st.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-Id": long}})
	if id := res.header.Get("X-Request-Id"); id == long || len(id) != 16 {
		t.Errorf("X-Request-Id %q", id)
	}
}

// Every operation that takes a body refuses one over the limit, whether
// its length is announced or it comes in chunks, and stores nothing.
func TestOversizeBodies(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.MaxBodyBytes = 1000 })
	big := demo.HuaihuaJSON()
	for _, op := range mutating(t) {
		if op.body == nil {
			continue
		}
		body := big
		switch op.ctype {
		case "application/yaml":
			body = []byte(draftGrades(t))
		case "application/json":
			if !bytes.HasPrefix(op.body, []byte("[")) {
				body = append(bytes.TrimSuffix(op.body, []byte("}")), []byte(`, "padding": "`+strings.Repeat("x", 1000)+`"}`)...)
			}
		}
		for _, chunked := range []bool{false, true} {
			st.unchanged(func() {
				p := st.do(request{method: op.method, path: op.path, role: jixiao.RoleAdmin, body: body, ctype: op.ctype, chunked: chunked, specInvalid: (!bytes.Equal(body, big) && op.ctype == "application/json") || strings.HasPrefix(op.ctype, "multipart/")}).
					problem(t, http.StatusRequestEntityTooLarge, "too_large")
				want := fmt.Sprintf("请求内容 %d 字节，超过 1000 字节的上限", len(body))
				if chunked {
					want = "请求内容超过 1000 字节的上限"
				}
				if p.Detail != want {
					t.Errorf("%s %s (chunked %v): detail %q, want %q", op.method, op.path, chunked, p.Detail, want)
				}
			})
		}
	}
}

// Regression: a panic was answered with a problem but the request was
// neither logged nor counted in the metrics, because the recovery ran
// outside the observation.
func TestPanicIsAProblemAndIsObserved(t *testing.T) {
	st := newStack(t)
	st.srv.Router().GET("/test/panic", func(*gin.Context) { panic("boom") })
	p := st.do(request{method: http.MethodGet, path: "/test/panic", specInvalid: true}).problem(t, http.StatusInternalServerError, "internal")
	if p.Detail != "internal error" {
		t.Errorf("detail %q", p.Detail)
	}
	text := string(st.get("", "/metrics").want(t, http.StatusOK).body)
	if got := metric(text, `jixiao_http_request_duration_seconds_count{method="GET",route="/test/panic",status="500"}`); got != "1" {
		t.Errorf("the panicking request was not counted: %q", got)
	}
}

func TestPagination(t *testing.T) {
	st := newStack(t)
	for _, path := range []string{"/api/v1/projects", "/api/v1/evaluations", "/api/v1/scores", "/api/v1/simulations", "/api/v1/audit", "/api/v1/evaluations/1/results"} {
		role := jixiao.RoleViewer
		if path == "/api/v1/audit" {
			role = jixiao.RoleAdmin
		}
		if path == "/api/v1/evaluations/1/results" {
			st.seedHuaihua()
			st.evaluate(map[string]any{"year": 2024})
		}
		// Regression: with both wrong, which one was reported changed from
		// call to call; now both are.
		for range 5 {
			p := st.do(request{method: http.MethodGet, path: path + "?page=0&per_page=x", role: role, specInvalid: true}).problem(t, http.StatusUnprocessableEntity, "invalid")
			if len(p.Errors) != 2 || p.Errors[0].Field != "page" || p.Errors[1].Field != "per_page" {
				t.Fatalf("%s: errors %+v", path, p.Errors)
			}
		}
		// Regression: a page whose offset overflows was answered with the
		// first page.
		p := st.do(request{method: http.MethodGet, path: path + "?page=9223372036854775807&per_page=2", role: role}).problem(t, http.StatusUnprocessableEntity, "invalid")
		p.hasError(t, "", "page", "too large")
		st.do(request{method: http.MethodGet, path: path + "?page=1001&per_page=1000", role: role}).want(t, http.StatusOK)
	}
}

// Regression: type errors named Go types, and for a body of the wrong
// kind showed the handler's request struct.
func TestTypeErrorsSpeakJSON(t *testing.T) {
	st := newStack(t)
	for _, tt := range []struct {
		path, body, detail, field string
	}{
		{"/api/v1/keys", `[]`, "请求内容须为对象，收到数组", ""},
		{"/api/v1/keys", `{"name": 1, "role": "viewer"}`, "字段 name 须为文本（字符串），收到数字", "name"},
		{"/api/v1/evaluations", `{"project_ids": "x"}`, "字段 project_ids 须为数组，收到文本", "project_ids"},
		{"/api/v1/evaluations", `{"year": 2024.5}`, "字段 year 须为整数，收到数字 2024.5", "year"},
		{"/api/v1/evaluations", `{"allow_rejected": 1}`, "字段 allow_rejected 须为 true 或 false，收到数字", "allow_rejected"},
		{"/api/v1/simulations/goal-seek", `{"goal": 5, "field": "spent"}`, "字段 goal 须为对象，收到数字", "goal"},
	} {
		st.unchanged(func() {
			p := st.do(request{method: http.MethodPost, path: tt.path, role: jixiao.RoleAdmin, body: []byte(tt.body), ctype: "application/json", specInvalid: true}).
				problem(t, http.StatusBadRequest, "malformed")
			if p.Detail != tt.detail {
				t.Errorf("%s: detail %q, want %q", tt.body, p.Detail, tt.detail)
			}
			if tt.field == "" && len(p.Errors) != 0 {
				t.Errorf("%s: errors %+v", tt.body, p.Errors)
			}
			if tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field) {
				t.Errorf("%s: errors %+v", tt.body, p.Errors)
			}
		})
	}
}

// Every operation that takes a body refuses other content types.
func TestWrongContentType(t *testing.T) {
	st := newStack(t)
	for _, op := range mutating(t) {
		if op.body == nil {
			continue
		}
		for _, ctype := range []string{"text/plain", "application/xml", "multipart/form-data; boundary=x", ""} {
			if strings.HasPrefix(ctype, "multipart/") && strings.HasPrefix(op.ctype, "multipart/") {
				continue // the right type; a body without the file is tested elsewhere
			}
			st.unchanged(func() {
				p := st.do(request{method: op.method, path: op.path, role: jixiao.RoleAdmin, body: op.body, ctype: ctype, specInvalid: true}).
					problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
				if !strings.Contains(p.Detail, "Content-Type 须为") || !strings.Contains(p.Detail, fmt.Sprintf("%q", ctype)) {
					t.Errorf("%s %s (%s): detail %q", op.method, op.path, ctype, p.Detail)
				}
			})
		}
	}
}

// When the database fails, the answer is a generic internal error that
// leaks nothing of the cause.
func TestInternalErrors(t *testing.T) {
	for _, authOff := range []bool{false, true} {
		st := newStack(t, func(c *config) { c.opts.AuthOff = authOff })
		st.store.Close()
		for _, path := range []string{"/api/v1/projects", "/api/v1/scores/1", "/api/v1/evaluations", "/api/v1/keys"} {
			p := st.do(request{method: http.MethodGet, path: path, role: jixiao.RoleAdmin}).
				problem(t, http.StatusInternalServerError, "internal")
			if p.Detail != "internal error" || len(p.Errors) != 0 {
				t.Errorf("%s: %+v", path, p)
			}
		}
		st.postJSON(jixiao.RoleAdmin, "/api/v1/evaluations", map[string]any{"year": 2024}).problem(t, http.StatusInternalServerError, "internal")
	}
}
