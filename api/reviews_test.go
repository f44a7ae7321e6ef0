package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"jixiao"
)

// TestReviewWorkflow goes through the review with a department's key and
// the bureau's reviewer: submit, refused edit, refused approvals (own
// submission, stale version), return with comments, edit, resubmit,
// approve; and the history shows each step.
func TestReviewWorkflow(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	if err := st.store.CreateDepartment(ctx, &jixiao.Department{Code: "DEPT-A", Name: "甲局"}); err != nil {
		t.Fatal(err)
	}
	secret, key := jixiao.NewAPIKey("甲局填报", jixiao.RoleScorer, time.Now())
	key.Department = "DEPT-A"
	if err := st.store.CreateAPIKey(ctx, &key); err != nil {
		t.Fatal(err)
	}
	dept := "Bearer " + secret
	p := project("R-1", 90000)
	p["department"] = "甲局"
	store := func(auth string, p map[string]any) *response {
		return st.do(request{method: http.MethodPost, path: "/api/v1/projects", auth: auth, ctype: "application/json", body: jsonBody(t, []any{p})})
	}
	store(dept, p).want(t, http.StatusOK)
	act := func(auth, action, body string) *response {
		r := request{method: http.MethodPost, path: "/api/v1/projects/2024/R-1/" + action, auth: auth}
		if body != "" {
			r.body, r.ctype = []byte(body), "application/json"
		}
		return st.do(r)
	}
	reviewer := "Bearer " + st.keys[jixiao.RoleReviewer]
	var state jixiao.ReviewState
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/R-1/review").want(t, http.StatusOK).decode(t, &state)
	if state.Status != jixiao.StatusDraft {
		t.Fatalf("a new project is %s", state.Status)
	}
	act(reviewer, "approve", `{"input_hash": "`+state.InputHash+`"}`).problem(t, http.StatusConflict, jixiao.ECONFLICT) // a draft

	act(dept, "submit", "").want(t, http.StatusOK).decode(t, &state)
	submitted := state.InputHash
	p["name"] = "改过的名称"
	if pr := store(dept, p).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID); len(pr.Errors) != 1 || pr.Errors[0].Project != "R-1" {
		t.Errorf("editing a submitted project: %+v", pr)
	}
	act(dept, "approve", `{"input_hash": "`+submitted+`"}`).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN) // a scorer
	act(reviewer, "approve", `{"input_hash": "0123"}`).problem(t, http.StatusConflict, jixiao.ECONFLICT)        // stale
	act(reviewer, "return", `{"input_hash": "`+submitted+`"}`).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)

	act(reviewer, "return", `{"input_hash": "`+submitted+`", "comment": "请补充说明", "indicator_comments": {"数量": "与年初目标不一致"}}`).
		want(t, http.StatusOK).decode(t, &state)
	if state.Status != jixiao.StatusReturned {
		t.Fatalf("returned: %s", state.Status)
	}
	store(dept, p).want(t, http.StatusOK) // edited after the return
	act(dept, "submit", "").want(t, http.StatusOK).decode(t, &state)
	if state.InputHash == submitted {
		t.Error("the new submission is the old version")
	}
	act(reviewer, "approve", `{"input_hash": "`+state.InputHash+`"}`).want(t, http.StatusOK).decode(t, &state)
	if state.Status != jixiao.StatusApproved || len(state.Reviews) != 4 {
		t.Fatalf("approved: %+v", state)
	}
	if r := state.Reviews[1]; r.Action != "return" || r.Comment != "请补充说明" || r.IndicatorComments["数量"] != "与年初目标不一致" || r.Actor != "reviewer-key" {
		t.Errorf("the return in the history: %+v", r)
	}
	if r := state.Reviews[0]; r.Actor != "甲局填报" || r.InputHash != submitted {
		t.Errorf("the first submission in the history: %+v", r)
	}

	// A reviewer may not approve what they submitted themselves.
	q := project("R-2", 90000)
	store(reviewer, q).want(t, http.StatusOK)
	act2 := func(action, body string) *response {
		return st.do(request{method: http.MethodPost, path: "/api/v1/projects/2024/R-2/" + action, auth: reviewer, body: []byte(body), ctype: "application/json"})
	}
	act2("submit", `{}`).want(t, http.StatusOK).decode(t, &state)
	act2("approve", `{"input_hash": "`+state.InputHash+`"}`).problem(t, http.StatusForbidden, jixiao.EFORBIDDEN)
}
