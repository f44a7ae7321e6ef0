package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"jixiao"
	"jixiao/api"
)

// While as many background evaluations and simulations over stored
// projects run as the server allows, another is refused with 503 and
// Retry-After, before anything is stored; a small evaluation, answered at
// once, and a simulation of inline projects still run.
func TestBoundedWork(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.SyncLimit = 10 })
	st.seedHuaihua()
	giveBack := api.TakeAllSlots(st.srv)
	st.unchanged(func() {
		res := st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 2024, "statuses": allStatuses})
		p := res.problem(t, http.StatusServiceUnavailable, "unavailable")
		if res.header.Get("Retry-After") != "30" || !strings.Contains(p.Detail, "个后台评价正在运行，请稍后再试") {
			t.Errorf("evaluation: Retry-After %q, %q", res.header.Get("Retry-After"), p.Detail)
		}
		res = st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"ruleset": "hubei-self"})
		p = res.problem(t, http.StatusServiceUnavailable, "unavailable")
		if !strings.Contains(p.Detail, "覆盖已存项目的模拟正在运行") {
			t.Errorf("simulation: %q", p.Detail)
		}
	})
	st.evaluate(map[string]any{"year": 2024, "project_ids": []string{"HH2024-01", "HH2024-02"}})
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"projects": []any{project("X-1", 1000)}, "ruleset": "hubei-self"}).
		want(t, http.StatusOK)

	giveBack()
	// The slots come back when the jobs end: three background runs one
	// after the other all start.
	for range 3 {
		var accepted struct {
			Run jixiao.Run `json:"run"`
		}
		st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 2024, "statuses": allStatuses}).want(t, http.StatusAccepted).decode(t, &accepted)
		if run := st.waitRun(accepted.Run.ID); run.Status != jixiao.RunDone {
			t.Fatalf("run %+v", run)
		}
	}
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"ruleset": "hubei-self"}).want(t, http.StatusOK)
}

// A client that goes away is not the server's failure: the request is
// counted as 499, not as a 500.
func TestClientGoneIsNot500(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://jixiao.test/api/v1/simulations", strings.NewReader(`{"ruleset": "hubei-self"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+st.keys[jixiao.RoleViewer])
	rec := httptest.NewRecorder()
	st.handler.ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Errorf("status %d, want 499", rec.Code)
	}
	metrics := string(st.get("", "/metrics").want(t, http.StatusOK).body)
	if !strings.Contains(metrics, `route="/api/v1/simulations",status="499"`) || strings.Contains(metrics, `route="/api/v1/simulations",status="500"`) {
		t.Errorf("metrics:\n%s", metrics)
	}
}
