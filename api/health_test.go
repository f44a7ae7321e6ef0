package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"jixiao"
)

func TestHealth(t *testing.T) {
	st := newStack(t)
	var h map[string]any
	st.get("", "/healthz").want(t, http.StatusOK).decode(t, &h)
	if h["status"] != "ok" {
		t.Errorf("healthz %v", h)
	}
	st.get("", "/readyz").want(t, http.StatusOK).decode(t, &h)
	if h["status"] != "ready" || h["rulesets"] != 5.0 {
		t.Errorf("readyz %v", h)
	}
	// Without its database the service is not ready.
	st.store.Close()
	p := st.get("", "/readyz").problem(t, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(p.Detail, "database") {
		t.Errorf("detail %q", p.Detail)
	}
	st.get("", "/healthz").want(t, http.StatusOK)
}

// metric returns the value of the sample with the given name and labels
// (in the order Prometheus prints them), or "" if there is none.
func metric(text, sample string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetrics(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	ev := st.evaluate(map[string]any{"year": 2024})
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/HH2024-01").want(t, http.StatusOK)
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/NOPE").want(t, http.StatusNotFound)
	st.do(request{method: http.MethodGet, path: "/nowhere", specInvalid: true}).want(t, http.StatusNotFound)
	// Methods HTTP does not have share one label, whatever a client sends.
	for i := range 20 {
		st.do(request{method: fmt.Sprintf("X%dFOO", i), path: "/api/v1/projects", specInvalid: true})
	}
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"project_ids": []string{"HH2024-01", "HH2024-02"}}).want(t, http.StatusOK)
	var v ruleSetView
	st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/cn-mof-2020-self", role: jixiao.RoleAdmin, body: []byte(draftGrades(t)), ctype: "application/yaml"}).
		want(t, http.StatusOK).decode(t, &v)

	res := st.get("", "/metrics").want(t, http.StatusOK)
	if !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type %q", res.header.Get("Content-Type"))
	}
	text := string(res.body)
	for _, tt := range []struct{ sample, want string }{
		// Durations by route template, not by path.
		{`jixiao_http_request_duration_seconds_count{method="GET",route="/api/v1/projects/:year/:id",status="200"}`, "1"},
		{`jixiao_http_request_duration_seconds_count{method="GET",route="/api/v1/projects/:year/:id",status="404"}`, "1"},
		{`jixiao_http_request_duration_seconds_count{method="POST",route="/api/v1/evaluations",status="201"}`, "1"},
		{`jixiao_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}`, "1"},
		{`jixiao_http_request_duration_seconds_count{method="other",route="unmatched",status="405"}`, "20"},
		// 26 official, 2 × 2 simulated.
		{`jixiao_projects_scored_total`, "30"},
		// The built-in at start-up, then the upload.
		{`jixiao_rule_reloads_total{result="ok",ruleset="cn-mof-2020-self"}`, "2"},
		{`jixiao_rule_reloads_total{result="error",ruleset="cn-mof-2020-self"}`, "0"},
		{`jixiao_rule_reloads_total{result="ok",ruleset="huaihua-2024"}`, "1"},
		{`jixiao_rule_reloads_total{result="error",ruleset="huaihua-2024"}`, "0"},
		{fmt.Sprintf(`jixiao_ruleset_active{hash=%q,ruleset="cn-mof-2020-self",version="2024.2"}`, v.Hash), "1"},
		{fmt.Sprintf(`jixiao_ruleset_active{hash=%q,ruleset="cn-mof-2020-self",version="2024.1"}`, ev.Run.RuleSetHash), ""},
		{`jixiao_ruleset_active{hash="` + st.activeHash("hubei-self") + `",ruleset="hubei-self",version="2024.1"}`, "1"},
	} {
		if got := metric(text, tt.sample); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.sample, got, tt.want)
		}
	}
	if strings.Contains(text, `method="X1FOO"`) {
		t.Error("an unknown method has a label of its own")
	}
	if regexp.MustCompile(`route="/api/v1/projects/2024/`).MatchString(text) {
		t.Error("a route is labelled with its path")
	}
}

// While the rule files load at start-up the service listens but is not
// ready: /readyz and every API route answer 503 with Retry-After, the
// health check and the spec answer. Then it is ready, unless other
// start-up work (the demo data) is still going on.
func TestNotReadyWhileRulesLoad(t *testing.T) {
	var starting atomic.Pointer[error]
	st := newStack(t, func(c *config) {
		c.notLoaded = true
		c.opts.Starting = func() error {
			if p := starting.Load(); p != nil {
				return *p
			}
			return nil
		}
	})
	p := st.get("", "/readyz").problem(t, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(p.Detail, "规则文件正在加载") {
		t.Errorf("/readyz detail %q", p.Detail)
	}
	st.get("", "/healthz").want(t, http.StatusOK)
	st.get("", "/api/v1/openapi.yaml").want(t, http.StatusOK)
	for _, path := range []string{"/api/v1/rulesets", "/api/v1/projects", "/api/v1/scores"} {
		res := st.get(jixiao.RoleViewer, path)
		p := res.problem(t, http.StatusServiceUnavailable, "unavailable")
		if res.header.Get("Retry-After") == "" || !strings.Contains(p.Detail, "规则文件尚未加载完") {
			t.Errorf("%s: Retry-After %q, detail %q", path, res.header.Get("Retry-After"), p.Detail)
		}
	}
	st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 2024}).problem(t, http.StatusServiceUnavailable, "unavailable")

	demo := errors.New("示例数据正在加载")
	starting.Store(&demo)
	if err := st.rules.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets").want(t, http.StatusOK)
	p = st.get("", "/readyz").problem(t, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(p.Detail, "示例数据正在加载") {
		t.Errorf("/readyz detail %q", p.Detail)
	}
	starting.Store(nil)
	st.get("", "/readyz").want(t, http.StatusOK)
}
