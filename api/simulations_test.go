package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"jixiao"
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
	// A draft rule file, on inline projects.
	st.postJSON(jixiao.RoleViewer, "/api/v1/simulations", map[string]any{
		"projects": []any{project("P-91", 10000), project("P-100", 100000)},
		"draft":    draftGrades(t),
	}).want(t, http.StatusOK).decode(t, &sim)
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
	}{
		{name: "unknown override field", body: `{"overrides": [{"field": "spent", "percentage": 5}]}`, status: 400, code: "malformed",
			detail: `unknown field "percentage"`, specInvalid: true},
		{name: "unknown field to change", body: map[string]any{"overrides": []any{map[string]any{"field": "spend", "percent": 5}}}, status: 422, code: "invalid",
			field: "overrides[0].field", detail: "unknown field", specInvalid: true},
		{name: "two changes", body: map[string]any{"overrides": []any{map[string]any{"field": "spent", "percent": 5, "set": 1}}}, status: 422, code: "invalid",
			field: "overrides[0].percent", detail: "give only one"},
		{name: "nothing matches", body: map[string]any{"year": 1999}, status: 422, code: "invalid", field: "project_ids", detail: "no stored project"},
		{name: "draft and rule set", body: map[string]any{"draft": "id: x", "ruleset": "hubei-self"}, status: 422, code: "invalid", field: "draft", detail: "not both"},
		{name: "broken draft", body: map[string]any{"draft": draftBroken(t)}, status: 422, code: "invalid",
			field: fmt.Sprintf("draft.yaml:%d", lineOf(draftBroken(t), brokenFormula)), detail: "draft rule file has errors"},
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
				p := st.do(request{method: http.MethodPost, path: "/api/v1/simulations", role: jixiao.RoleViewer, body: body, ctype: ctype, specInvalid: tt.specInvalid}).
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
			problem(t, http.StatusBadRequest, "malformed").hasError(t, "", "goal.Grade", "unknown field")
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
