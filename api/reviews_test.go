package api_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// TestReviewWorkflow goes through the review with a department's key and
// the bureau's reviewer: submit, refused edit, refused approvals (own
// submission, stale version), return with comments, edit, resubmit,
// approve; and the history shows each step.
func TestReviewWorkflow(t *testing.T) {
	st := newStack(t)
	dept := st.departmentScorer("DEPT-A", "甲局", "甲局填报")
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

// TestEvaluationStatuses: an official evaluation scores approved projects
// unless told more; a department may add submitted ones, not drafts, and
// may not score projects it sends inline; a bureau edit of an approved
// project hands it back to its department as a draft.
func TestEvaluationStatuses(t *testing.T) {
	st := newStack(t)
	dept := st.departmentScorer("DEPT-T", "测试局", "测试局填报")
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{project("S-DRAFT", 90000), project("S-SUB", 90000), project("S-OK", 90000)}).want(t, http.StatusOK)
	var state jixiao.ReviewState
	for _, id := range []string{"S-SUB", "S-OK"} {
		st.do(request{method: http.MethodPost, path: "/api/v1/projects/2024/" + id + "/submit", auth: dept}).want(t, http.StatusOK).decode(t, &state)
	}
	st.postJSON(jixiao.RoleReviewer, "/api/v1/projects/2024/S-OK/approve", map[string]any{"input_hash": state.InputHash}).want(t, http.StatusOK)

	scored := func(auth string, body map[string]any) []string {
		t.Helper()
		var ev evaluationResult
		st.do(request{method: http.MethodPost, path: "/api/v1/evaluations", auth: auth, ctype: "application/json", body: jsonBody(t, body)}).
			want(t, http.StatusCreated).decode(t, &ev)
		var ids []string
		for _, r := range ev.Results {
			ids = append(ids, r.ProjectID)
		}
		slices.Sort(ids)
		return ids
	}
	bureau := "Bearer " + st.keys[jixiao.RoleScorer]
	for _, tt := range []struct {
		auth string
		body map[string]any
		want []string
	}{
		{bureau, map[string]any{"year": 2024}, []string{"S-OK"}},
		{bureau, map[string]any{"year": 2024, "include_submitted": true}, []string{"S-OK", "S-SUB"}},
		{bureau, map[string]any{"year": 2024, "statuses": []string{"draft"}}, []string{"S-DRAFT"}},
		{dept, map[string]any{"year": 2024}, []string{"S-OK"}},
		{dept, map[string]any{"year": 2024, "include_submitted": true}, []string{"S-OK", "S-SUB"}},
	} {
		if got := scored(tt.auth, tt.body); !slices.Equal(got, tt.want) {
			t.Errorf("%v: scored %v, want %v", tt.body, got, tt.want)
		}
	}

	refused := func(auth string, body map[string]any, field, detail string) {
		t.Helper()
		_, unknown := body["statuses"].([]string)
		unknown = unknown && body["statuses"].([]string)[0] == "done"
		p := st.do(request{method: http.MethodPost, path: "/api/v1/evaluations", auth: auth, ctype: "application/json", body: jsonBody(t, body), specInvalid: unknown}).
			problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
		if len(p.Errors) != 1 || p.Errors[0].Field != field || !strings.Contains(p.Detail, detail) {
			t.Errorf("%v: %+v", body, p)
		}
	}
	refused(bureau, map[string]any{"project_ids": []string{"S-DRAFT"}}, "statuses", "所选的 1 个项目都不是已审核")
	refused(dept, map[string]any{"year": 2024, "statuses": []string{"draft"}}, "statuses", "部门账户的正式评价只能包括已审核和已提交的项目")
	refused(dept, map[string]any{"projects": []any{project("S-NEW", 1)}}, "projects", "部门账户不能直接评价所送的项目")
	refused(bureau, map[string]any{"projects": []any{project("S-NEW", 1)}, "include_submitted": true}, "statuses", "只用于已保存的项目")
	refused(bureau, map[string]any{"year": 2024, "statuses": []string{"done"}}, "statuses", `未知的审核状态 "done"`)
	var list struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	st.get(jixiao.RoleViewer, "/api/v1/projects?status=submitted,approved").want(t, http.StatusOK).decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].ID != "S-OK" || list.Items[0].Status != jixiao.StatusApproved || list.Items[1].Status != jixiao.StatusSubmitted {
		t.Errorf("projects by status: %+v", list.Items)
	}

	// The bureau changes the approved project: it is the department's
	// to check and submit again, and no longer scored by default.
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{project("S-OK", 80000)}).want(t, http.StatusOK)
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/S-OK/review").want(t, http.StatusOK).decode(t, &state)
	if state.Status != jixiao.StatusDraft {
		t.Errorf("an approved project the bureau changed is %s, want draft", state.Status)
	}
	refused(bureau, map[string]any{"year": 2024}, "statuses", "所选的 3 个项目都不是已审核")
}

// TestReviewDeductions: a reviewer approves with deductions; the approved
// version carries them and is scored (the reviewed score), the submitted
// version keeps the self-score, and a department may not write
// deductions itself.
func TestReviewDeductions(t *testing.T) {
	st := newStack(t)
	dept := st.departmentScorer("DEPT-T", "测试局", "测试局填报")
	p := project("D-1", 100000)
	p["indicators"].([]map[string]any)[0]["deduction"] = 1
	p["indicators"].([]map[string]any)[0]["deduction_reason"] = "自己扣"
	pr := st.do(request{method: http.MethodPost, path: "/api/v1/projects", auth: dept, ctype: "application/json", body: jsonBody(t, []any{p})}).
		problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	if len(pr.Errors) != 1 || pr.Errors[0].Field != "indicators.deduction" || !strings.Contains(pr.Errors[0].Message, "部门不能填写") {
		t.Errorf("a department's deduction: %+v", pr)
	}
	st.do(request{method: http.MethodPost, path: "/api/v1/projects", auth: dept, ctype: "application/json", body: jsonBody(t, []any{project("D-1", 100000)})}).
		want(t, http.StatusOK)
	var state jixiao.ReviewState
	st.do(request{method: http.MethodPost, path: "/api/v1/projects/2024/D-1/submit", auth: dept}).want(t, http.StatusOK).decode(t, &state)
	submitted := state.InputHash

	approve := func(body map[string]any) *response {
		body["input_hash"] = submitted
		return st.postJSON(jixiao.RoleReviewer, "/api/v1/projects/2024/D-1/approve", body)
	}
	bad := approve(map[string]any{"deductions": []any{
		map[string]any{"indicator": "不存在", "points": 1, "reason": "x"},
		map[string]any{"indicator": "数量", "points": 0, "reason": "x"},
		map[string]any{"indicator": "效益", "points": 1, "reason": " "},
	}}).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	if len(bad.Errors) != 3 || bad.Errors[0].Field != "deductions[0].indicator" || bad.Errors[1].Field != "deductions[1].points" || bad.Errors[2].Field != "deductions[2].reason" {
		t.Errorf("bad deductions: %+v", bad.Errors)
	}
	st.do(request{method: http.MethodPost, path: "/api/v1/projects/2024/D-1/return", role: jixiao.RoleReviewer, ctype: "application/json", specInvalid: true,
		body: jsonBody(t, map[string]any{"input_hash": submitted, "comment": "x", "deductions": []any{map[string]any{"indicator": "数量", "points": 1, "reason": "x"}}})}).
		problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/D-1/review").want(t, http.StatusOK).decode(t, &state)
	if state.Status != jixiao.StatusSubmitted || state.InputHash != submitted {
		t.Fatalf("refused reviews changed the project: %+v", state)
	}

	approve(map[string]any{"deductions": []any{map[string]any{"indicator": "数量", "points": 2.5, "reason": "台账与年报数量不一致"}}}).
		want(t, http.StatusOK).decode(t, &state)
	last := state.Reviews[len(state.Reviews)-1]
	if state.Status != jixiao.StatusApproved || state.InputHash == submitted || last.InputHash != state.InputHash ||
		len(last.Deductions) != 1 || last.Deductions[0].Points != jixiao.Cents(250) || last.Deductions[0].Reason != "台账与年报数量不一致" {
		t.Fatalf("approved with a deduction: %+v", state)
	}
	var self, reviewed jixiao.Project
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/D-1/versions/"+submitted).want(t, http.StatusOK).decode(t, &self)
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/D-1/versions/"+state.InputHash).want(t, http.StatusOK).decode(t, &reviewed)
	if self.HasDeductions() || reviewed.Indicators[0].Deduction == nil || *reviewed.Indicators[0].Deduction != jixiao.Cents(250) {
		t.Errorf("versions: self %+v, reviewed %+v", self.Indicators[0], reviewed.Indicators[0])
	}
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/D-1/versions/"+strings.Repeat("0", 64)).problem(t, http.StatusNotFound, jixiao.ENOTFOUND)

	ev := st.evaluate(map[string]any{"project_ids": []string{"D-1"}, "statuses": []string{jixiao.StatusApproved}})
	if len(ev.Results) != 1 || ev.Results[0].InputHash != state.InputHash {
		t.Fatalf("the evaluation scored %+v", ev.Results)
	}
	var leaf *jixiao.Node
	var find func([]jixiao.Node)
	find = func(nodes []jixiao.Node) {
		for i := range nodes {
			if nodes[i].Name == "数量" && nodes[i].Indicator > 0 {
				leaf = &nodes[i]
			}
			find(nodes[i].Children)
		}
	}
	find(ev.Results[0].Result.Indicators)
	if leaf == nil || !strings.Contains(leaf.Reason, "复核扣减 2.5 分（台账与年报数量不一致）") {
		t.Fatalf("the leaf's reason: %+v", leaf)
	}

	// The 自评表 shows the self-score and the reviewed one, each the
	// engine's: the submitted version scored 2.5 points more.
	reviewedTotal := ev.Results[0].Total
	selfTotal := reviewedTotal + jixiao.Cents(250)
	rows := formRows(t, st.get(jixiao.RoleViewer, "/api/v1/projects/2024/D-1/form.xlsx").want(t, http.StatusOK).body)
	if r := rows["自评总分"]; len(r) < 9 || r[7] != selfTotal.String() || !strings.HasPrefix(r[8], "自评等级 ") {
		t.Errorf("自评总分 row: %q (want %s)", r, selfTotal)
	}
	if r := rows["数量"]; len(r) < 7 || r[3] != (leaf.Score+jixiao.Cents(250)).String() || r[4] != "2.50" || r[5] != leaf.Score.String() || r[6] != "台账与年报数量不一致" {
		t.Errorf("复核扣分 row: %q (reviewed leaf %s)", r, leaf.Score)
	}
	if r := rows["复核总分"]; len(r) < 8 || r[7] != reviewedTotal.String() {
		t.Errorf("复核总分 row: %q (want %s)", r, reviewedTotal)
	}
	if r := rows["复核等级"]; len(r) < 7 || r[6] != ev.Results[0].Grade {
		t.Errorf("复核等级 row: %q", r)
	}
}

// formRows reads a 自评表's rows as text, by the label in column A.
func formRows(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("自评表")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		if len(r) > 1 {
			key := r[0]
			if key == "" || key == "复核扣分" {
				key = r[1] // a row of a block merged down: by its second cell
			}
			out[key] = r
		}
	}
	return out
}

// departmentScorer makes a department and a scorer key of it, and returns
// the key's Authorization header.
func (st *stack) departmentScorer(code, name, keyName string) string {
	st.t.Helper()
	ctx := context.Background()
	if err := st.store.CreateDepartment(ctx, &jixiao.Department{Code: code, Name: name}); err != nil {
		st.t.Fatal(err)
	}
	secret, key := jixiao.NewAPIKey(keyName, jixiao.RoleScorer, time.Now())
	key.Department = code
	if err := st.store.CreateAPIKey(ctx, &key); err != nil {
		st.t.Fatal(err)
	}
	return "Bearer " + secret
}
