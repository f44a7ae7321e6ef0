package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"jixiao"
	"jixiao/demo"
	"jixiao/engine"
	"jixiao/whatif"
)

type simulation struct {
	Report     whatif.Report `json:"report"`
	ScenarioID int64         `json:"scenario_id"`
}

// Cutting spent by 75% on the Huaihua data under cn-mof-2020-self moves
// the two projects without 效益指标 from 优 to 良, and nothing official.
func TestSimulationSpentCut(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	st.evaluate(map[string]any{"year": 2024})
	before := st.counts()

	var sim simulation
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{
		"year":      2024,
		"overrides": []any{map[string]any{"field": "spent", "percent": -75}},
		"save_as":   "执行数减少 75%",
	}).want(t, http.StatusOK).decode(t, &sim)
	s := sim.Report.Summary
	wantMatrix := [][]int{{24, 2, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}
	if !reflect.DeepEqual(s.Matrix, wantMatrix) || strings.Join(s.Grades, ",") != "优,良,中,差" {
		t.Errorf("matrix %v over %v, want %v", s.Matrix, s.Grades, wantMatrix)
	}
	if strings.Join(s.Changed, ",") != "HH2024-14,HH2024-16" || s.Projects != 26 || s.Compared != 26 || s.MeanDelta.String() != "-7.69" ||
		s.Before["优"] != 26 || s.After["优"] != 24 || s.After["良"] != 2 || s.RejectedScenario != 0 {
		t.Errorf("summary %+v", s)
	}
	for _, pc := range sim.Report.Projects {
		if pc.ProjectID == "HH2024-14" || pc.ProjectID == "HH2024-16" {
			if pc.Baseline.Grade != "优" || pc.Scenario.Grade != "良" || pc.Scenario.Total.String() != "89.29" || !pc.GradeChanged {
				t.Errorf("%s: %+v → %+v", pc.ProjectID, pc.Baseline, pc.Scenario)
			}
		}
	}
	if sim.Report.Baseline.ID != "cn-mof-2020-self" || sim.Report.Scenario != sim.Report.Baseline {
		t.Errorf("rule sets %+v, %+v", sim.Report.Baseline, sim.Report.Scenario)
	}
	if sim.ScenarioID == 0 {
		t.Fatal("no scenario saved")
	}
	after := st.counts()
	before.Scenarios++
	if after != before {
		t.Errorf("a simulation changed the store: before %+v, after %+v", before, after)
	}
	var p projectView
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/HH2024-14").want(t, http.StatusOK).decode(t, &p)
	if p.LatestScore.Grade != "优" {
		t.Errorf("official grade %s", p.LatestScore.Grade)
	}

	// The saved scenario.
	var sc struct {
		ID        int64          `json:"id"`
		Name      string         `json:"name"`
		CreatedBy string         `json:"created_by"`
		Request   map[string]any `json:"request"`
		Summary   whatif.Report  `json:"summary"`
	}
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/simulations/%d", sim.ScenarioID)).want(t, http.StatusOK).decode(t, &sc)
	if sc.ID != sim.ScenarioID || sc.Name != "执行数减少 75%" || sc.CreatedBy != "viewer-key" || sc.Request["year"] != 2024.0 ||
		!reflect.DeepEqual(sc.Summary.Summary.Matrix, wantMatrix) {
		t.Errorf("scenario %+v", sc)
	}
	st.get(jixiao.RoleViewer, "/api/v1/simulations/999").problem(t, http.StatusNotFound, "not_found")
	st.do(request{method: http.MethodGet, path: "/api/v1/simulations/x", role: jixiao.RoleViewer, specInvalid: true}).problem(t, http.StatusNotFound, "not_found")

	// Another, not saved; the list has the saved ones, the latest first.
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"project_ids": []string{"HH2024-01"}, "save_as": "第二个"}).want(t, http.StatusOK)
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"project_ids": []string{"HH2024-01"}}).want(t, http.StatusOK)
	var list struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
		Total int `json:"total"`
	}
	st.get(jixiao.RoleViewer, "/api/v1/simulations?per_page=1").want(t, http.StatusOK).decode(t, &list)
	if list.Total != 2 || len(list.Items) != 1 || list.Items[0].Name != "第二个" {
		t.Errorf("scenarios %+v", list)
	}
}

func TestSimulationRuleSets(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	var sim simulation
	// Another rule set for the scenario.
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"year": 2024, "ruleset": "hubei-self"}).want(t, http.StatusOK).decode(t, &sim)
	if sim.Report.Scenario.ID != "hubei-self" || sim.Report.Summary.Compared != 26 || sim.ScenarioID != 0 {
		t.Errorf("hubei-self: %+v", sim.Report.Summary)
	}
	// A draft rule file, on inline projects: code the engine runs, so not
	// for a viewer.
	draft := map[string]any{"projects": []any{project("P-91", 10000), project("P-100", 100000)}, "draft": draftGrades(t)}
	if p := st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", draft).problem(t, http.StatusForbidden, "forbidden"); !strings.Contains(p.Detail, "a draft rule file needs the scorer role") {
		t.Errorf("a viewer's draft: %s", p.Detail)
	}
	st.postJSON(jixiao.RoleScorer, "/api/v1/simulations", draft).want(t, http.StatusOK).decode(t, &sim)
	if sim.Report.Scenario.Version != "2024.2" || strings.Join(sim.Report.Summary.Changed, ",") != "P-91" {
		t.Errorf("draft: %+v", sim.Report.Summary)
	}
	if c := st.counts(); c.Projects != 26 {
		t.Errorf("inline projects were stored: %d projects", c.Projects)
	}
}

func TestSimulationErrors(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	for _, tt := range []struct {
		name        string
		body        any
		status      int
		code        string
		detail      string
		field       string
		specInvalid bool
		role        string // the viewer's unless set
	}{
		{name: "unknown override field", body: `{"overrides": [{"field": "spent", "percentage": 5}]}`, status: 400, code: "malformed",
			detail: `未知字段 "percentage"`, specInvalid: true},
		{name: "unknown field to change", body: map[string]any{"overrides": []any{map[string]any{"field": "spend", "percent": 5}}}, status: 422, code: "invalid",
			field: "overrides[0].field", detail: "unknown field", specInvalid: true},
		{name: "two changes", body: map[string]any{"overrides": []any{map[string]any{"field": "spent", "percent": 5, "set": 1}}}, status: 422, code: "invalid",
			field: "overrides[0].percent", detail: "give only one"},
		{name: "nothing matches", body: map[string]any{"year": 1999}, status: 422, code: "invalid", field: "project_ids", detail: "no stored project"},
		{name: "draft and rule set", body: map[string]any{"draft": "id: x", "ruleset": "hubei-self"}, status: 422, code: "invalid", field: "draft", detail: "not both"},
		{name: "broken draft", body: map[string]any{"draft": draftBroken(t)}, status: 422, code: "invalid", role: jixiao.RoleScorer,
			field: fmt.Sprintf("draft.yaml:%d", lineOf(draftBroken(t), brokenFormula)), detail: "draft rule file has errors"},
		{name: "a viewer's draft", body: map[string]any{"draft": draftBroken(t)}, status: 403, code: "forbidden", detail: "needs the scorer role"},
		{name: "unknown baseline", body: map[string]any{"baseline_ruleset": "nope"}, status: 422, code: "invalid", field: "ruleset", detail: "nope"},
		{name: "inline and ids", body: map[string]any{"projects": []any{project("X", 1)}, "project_ids": []string{"HH2024-01"}}, status: 422, code: "invalid", field: "projects"},
		{name: "invalid inline project", body: map[string]any{"projects": []any{map[string]any{"id": "X", "name": "x", "year": 2024, "budget_adjusted": 1}}}, status: 422, code: "invalid",
			field: "spent", specInvalid: true},
		{name: "text/plain", body: "{}", status: 415, code: "unsupported_media_type", specInvalid: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := st.sub(t)
			ctype := "application/json"
			if tt.code == "unsupported_media_type" {
				ctype = "text/plain"
			}
			st.unchanged(func() {
				body := jsonBody(t, tt.body)
				if m, ok := tt.body.(map[string]any); ok {
					m["save_as"] = "never saved"
					body = jsonBody(t, m)
				}
				role := tt.role
				if role == "" {
					role = jixiao.RoleViewer
				}
				p := st.do(request{method: http.MethodPost, path: "/api/v1/simulations", role: role, body: body, ctype: ctype, specInvalid: tt.specInvalid}).
					problem(t, tt.status, tt.code)
				if !strings.Contains(p.Detail, tt.detail) {
					t.Errorf("detail %q, want it to contain %q", p.Detail, tt.detail)
				}
				if tt.field != "" {
					found := false
					for _, e := range p.Errors {
						found = found || e.Field == tt.field
					}
					if !found {
						t.Errorf("no error for field %q: %+v", tt.field, p.Errors)
					}
				}
			})
		})
	}
}

func TestGoalSeek(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	type seek struct {
		RuleSet jixiao.RuleSetRef `json:"ruleset"`
		Result  whatif.SeekResult `json:"result"`
	}
	var out seek
	// Inline: 10% spent gives 91.00; a total of 99 needs an execution score
	// of 9, which 89.95% gives, rounded half-up (8.995).
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations/goal-seek", map[string]any{
		"project": project("GS-1", 10000), "field": "spent", "goal": map[string]any{"total": 99},
	}).want(t, http.StatusOK).decode(t, &out)
	r := out.Result
	if !r.Reachable || r.From.String() != "10000.00" || r.To.String() != "89945.00" || r.Change.String() != "79945.00" ||
		r.Baseline.Total.String() != "91.00" || r.Reached.Total.String() != "99.00" || r.Message == "" || out.RuleSet.ID != "cn-mof-2020-self" {
		t.Errorf("inline: %+v", out)
	}
	// A stored project, under another rule set: already there.
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations/goal-seek", map[string]any{
		"year": 2024, "project_id": "HH2024-14", "field": "spent", "goal": map[string]any{"grade": "优"}, "ruleset": "hubei-self",
	}).want(t, http.StatusOK).decode(t, &out)
	if !out.Result.Reachable || out.Result.Change != 0 || out.RuleSet.ID != "hubei-self" {
		t.Errorf("stored: %+v", out)
	}

	st.unchanged(func() {
		st.postJSON(jixiao.RoleViewer, "/api/v1/simulations/goal-seek", map[string]any{
			"year": 2024, "project_id": "NOPE", "field": "spent", "goal": map[string]any{"grade": "优"},
		}).problem(t, http.StatusNotFound, "not_found")
		st.postJSON(jixiao.RoleViewer, "/api/v1/simulations/goal-seek", map[string]any{"field": "spent", "goal": map[string]any{"grade": "优"}}).
			problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "project_id", "give year and project_id")
		p := st.postJSON(jixiao.RoleViewer, "/api/v1/simulations/goal-seek", map[string]any{
			"project": project("GS-1", 10000), "field": "spent", "goal": map[string]any{"grade": "甲"},
		}).problem(t, http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(p.Detail, `no grade "甲"`) {
			t.Errorf("detail %q", p.Detail)
		}
		st.do(request{method: http.MethodPost, path: "/api/v1/simulations/goal-seek", role: jixiao.RoleViewer, ctype: "application/json", specInvalid: true,
			body: jsonBody(t, map[string]any{"project": project("GS-1", 10000), "field": "spent", "goal": map[string]any{"Grade": "优"}})}).
			problem(t, http.StatusBadRequest, "malformed").hasError(t, "", "goal.Grade", "未知字段")
		st.do(request{method: http.MethodPost, path: "/api/v1/simulations/goal-seek", role: jixiao.RoleViewer, ctype: "application/json", specInvalid: true,
			body: jsonBody(t, map[string]any{"project": project("GS-1", 10000), "field": "budget", "goal": map[string]any{"grade": "优"}})}).
			problem(t, http.StatusUnprocessableEntity, "invalid")
		// Regression: with both an inline project and a stored one, the
		// stored one was silently ignored.
		st.postJSON(jixiao.RoleViewer, "/api/v1/simulations/goal-seek", map[string]any{
			"project": project("GS-1", 10000), "year": 2024, "project_id": "HH2024-14", "field": "spent", "goal": map[string]any{"grade": "优"},
		}).problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "project", "not both")
	})
}

// storeVariants stores n projects made from the Huaihua ones, with other
// spending and results, in two departments and two years, and returns
// them in key order.
func storeVariants(t *testing.T, st *stack, n int) []jixiao.Project {
	t.Helper()
	base := demo.Huaihua()
	r := rand.New(rand.NewPCG(3, 5))
	out := make([]jixiao.Project, n)
	for i := range out {
		p := base[i%len(base)]
		p.ID = fmt.Sprintf("G%05d", i)
		p.Department = []string{"财政局", "教育局"}[r.IntN(2)]
		if r.IntN(10) == 0 {
			p.Year = 2023
		}
		p.Spent = p.BudgetAdjusted.MulDiv(int64(r.IntN(1100)), 1000)
		p.Balance, p.ExecutionRate = nil, nil
		p.Indicators = slices.Clone(p.Indicators)
		for j := range p.Indicators {
			if ind := &p.Indicators[j]; ind.Target != nil && r.IntN(3) == 0 {
				v := *ind.Target * float64(r.IntN(110)) / 100
				ind.Actual = &v
			}
		}
		out[i] = p
	}
	for lo := 0; lo < n; lo += 1000 {
		if _, err := st.store.UpsertProjects(context.Background(), out[lo:min(lo+1000, n)]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (st *stack) ruleSet(id string) *engine.RuleSet {
	st.t.Helper()
	rs, ok := st.rules.Snapshot().Get(id)
	if !ok {
		st.t.Fatalf("no rule set %s", id)
	}
	return rs
}

// A simulation of stored projects, streamed in chunks, sums up as the
// in-memory comparison of the same projects does, and its pages list
// every changed project once.
func TestSimulationStreamedEqualsInMemory(t *testing.T) {
	st := newStack(t)
	all := storeVariants(t, st, 4500)
	for _, tt := range []struct {
		name      string
		req       map[string]any
		scenario  string
		overrides []whatif.Override
		keep      func(*jixiao.Project) bool
	}{
		{name: "rule set", req: map[string]any{"ruleset": "hubei-self"}, scenario: "hubei-self"},
		{name: "spent cut, one year", req: map[string]any{"year": 2024, "ruleset": "jiangxi-self", "overrides": []any{map[string]any{"field": "spent", "percent": -15}}},
			scenario: "jiangxi-self", overrides: []whatif.Override{{Field: whatif.FieldSpent, Percent: ptr(-15.0)}},
			keep: func(p *jixiao.Project) bool { return p.Year == 2024 }},
		{name: "department", req: map[string]any{"department": "教育局", "overrides": []any{map[string]any{"field": "indicator.actual", "percent": -30}}},
			scenario: "cn-mof-2020-self", overrides: []whatif.Override{{Field: whatif.FieldIndicatorActual, Percent: ptr(-30.0)}},
			keep: func(p *jixiao.Project) bool { return p.Department == "教育局" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := st.sub(t)
			var projects []jixiao.Project
			for i := range all {
				if tt.keep == nil || tt.keep(&all[i]) {
					projects = append(projects, all[i])
				}
			}
			want, err := whatif.Simulate(context.Background(), st.ruleSet("cn-mof-2020-self"), st.ruleSet(tt.scenario), projects, tt.overrides)
			if err != nil {
				t.Fatal(err)
			}
			wantSum := want.Summary
			wantSum.ChangedTotal = len(wantSum.Changed)
			wantSum.Changed = wantSum.Changed[:min(len(wantSum.Changed), whatif.MaxChangedIDs)]
			// Every project is listed once, the changed ones first.
			wantChanged := map[string]whatif.ProjectChange{}
			for _, pc := range want.Projects {
				wantChanged[pc.ProjectID] = pc
			}
			unchangedSeen := false

			req := tt.req
			req["per_page"] = 1000
			seen := map[string]bool{}
			for pages := 1; ; pages++ {
				var sim simulation
				st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", req).want(t, http.StatusOK).decode(t, &sim)
				if !reflect.DeepEqual(sim.Report.Summary, wantSum) {
					t.Fatalf("summary\n%+v\nwant\n%+v", sim.Report.Summary, wantSum)
				}
				page := sim.Report.Page
				if page == nil || page.Listed != len(wantChanged) || page.Order != whatif.PageOrder {
					t.Fatalf("page %+v, want %d listed", page, len(wantChanged))
				}
				for _, pc := range sim.Report.Projects {
					if seen[pc.ProjectID] || !reflect.DeepEqual(pc, wantChanged[pc.ProjectID]) {
						t.Fatalf("page %d: %+v, want it once as %+v", pages, pc, wantChanged[pc.ProjectID])
					}
					seen[pc.ProjectID] = true
					changed := pc.GradeChanged || pc.Delta == nil || *pc.Delta != 0
					if changed && unchangedSeen {
						t.Fatalf("page %d: changed project %s listed after an unchanged one", pages, pc.ProjectID)
					}
					unchangedSeen = unchangedSeen || !changed
				}
				if page.NextCursor == "" {
					break
				}
				if pages > 10 {
					t.Fatal("too many pages")
				}
				req["cursor"] = page.NextCursor
			}
			if len(seen) != len(wantChanged) {
				t.Errorf("pages list %d projects, want %d", len(seen), len(wantChanged))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// format=csv streams every changed project, in input order.
func TestSimulationCSV(t *testing.T) {
	st := newStack(t)
	projects := storeVariants(t, st, 1500)
	want, err := whatif.Simulate(context.Background(), st.ruleSet("cn-mof-2020-self"), st.ruleSet("hubei-self"), projects, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs []string
	for _, pc := range want.Projects {
		if pc.GradeChanged || *pc.Delta != 0 {
			wantIDs = append(wantIDs, pc.ProjectID)
		}
	}
	res := st.postJSON(jixiao.RoleViewer, "/api/v1/simulations?format=csv", map[string]any{"ruleset": "hubei-self", "save_as": "not saved"}).want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !bytes.HasPrefix(res.body, []byte("\ufeff")) {
		t.Fatalf("Content-Type %q, body %.40q", ct, res.body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(wantIDs)+1 || rows[0][0] != "project_id" || rows[0][7] != "delta" {
		t.Fatalf("%d rows, want %d and a header: %v", len(rows), len(wantIDs)+1, rows[0])
	}
	for i, id := range wantIDs {
		if rows[i+1][0] != id {
			t.Fatalf("row %d: %v, want %s", i+1, rows[i+1], id)
		}
	}
	if c := st.counts(); c.Scenarios != 0 {
		t.Errorf("a CSV export saved a scenario")
	}

	// Errors before the first row are problems.
	st.unchanged(func() {
		st.postJSON(jixiao.RoleViewer, "/api/v1/simulations?format=csv", map[string]any{"overrides": []any{map[string]any{"field": "spent", "department": "无此部门", "percent": 1}}}).
			problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "overrides[0].field", "selects no project")
		st.do(request{method: http.MethodPost, path: "/api/v1/simulations?format=xlsx", role: jixiao.RoleViewer, ctype: "application/json", body: []byte("{}"), specInvalid: true}).
			problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "format", "json 或 csv")
	})
}

// Paging options are checked, with the field named.
func TestSimulationPageErrors(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	st.unchanged(func() {
		st.do(request{method: http.MethodPost, path: "/api/v1/simulations", role: jixiao.RoleViewer, ctype: "application/json", specInvalid: true,
			body: jsonBody(t, map[string]any{"per_page": 5000})}).problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "per_page", "1 到 1000")
		st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"cursor": "不是游标"}).
			problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "cursor", "next_cursor")
	})
	// Two pages of one project each.
	var p1, p2 simulation
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"ruleset": "hubei-self", "per_page": 1}).want(t, http.StatusOK).decode(t, &p1)
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{"ruleset": "hubei-self", "per_page": 1, "cursor": p1.Report.Page.NextCursor}).want(t, http.StatusOK).decode(t, &p2)
	if len(p1.Report.Projects) != 1 || len(p2.Report.Projects) != 1 || p1.Report.Projects[0].ProjectID != "HH2024-01" || p2.Report.Projects[0].ProjectID != "HH2024-23" {
		t.Errorf("pages %+v, %+v", p1.Report.Projects, p2.Report.Projects)
	}
}

// A request whose client has gone stops and writes nothing. The context
// is cancelled once the body is read: after authentication, before the
// projects are.
func TestSimulationCancelled(t *testing.T) {
	st := newStack(t)
	storeVariants(t, st, 3000)
	ctx, cancel := context.WithCancel(context.Background())
	req := st.newHTTPRequest(request{method: http.MethodPost, path: "/api/v1/simulations", role: jixiao.RoleViewer, ctype: "application/json",
		body: jsonBody(t, map[string]any{"ruleset": "hubei-self"})}).WithContext(ctx)
	req.Body = cancelAtEOF{req.Body, cancel}
	rec := httptest.NewRecorder()
	st.handler.ServeHTTP(rec, req)
	if ctx.Err() == nil || rec.Code != 499 || rec.Body.Len() != 0 {
		t.Errorf("a cancelled simulation answered %d: %.200s", rec.Code, rec.Body)
	}
}

// cancelAtEOF cancels a context when its body has been read.
type cancelAtEOF struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.cancel()
	}
	return n, err
}
