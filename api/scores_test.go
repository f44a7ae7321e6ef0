package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"jixiao"
	"jixiao/engine"
)

type scoreList struct {
	Items []jixiao.ScoreRecord `json:"items"`
	Total int                  `json:"total"`
}

func TestScores(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	first := st.evaluate(map[string]any{"year": 2024})
	second := st.evaluate(map[string]any{"project_ids": []string{"HH2024-03", "HH2024-04"}, "ruleset": "hubei-self"})

	list := func(query string) scoreList {
		t.Helper()
		var l scoreList
		st.get(jixiao.RoleViewer, "/api/v1/scores"+query).want(t, http.StatusOK).decode(t, &l)
		return l
	}
	for _, tt := range []struct {
		query string
		total int
	}{
		{"", 28},
		{"?per_page=5&page=6", 28},
		{fmt.Sprintf("?run=%d", first.Run.ID), 26},
		{fmt.Sprintf("?run=%d", second.Run.ID), 2},
		{"?ruleset=hubei-self", 2},
		{"?project_id=HH2024-03", 2},
		{"?project_id=HH2024-03&ruleset=cn-mof-2020-self", 1},
		{"?year=2024&department=" + url.QueryEscape("怀化市住房公积金管理中心"), 28},
		{"?year=2023", 0},
		{"?grade=" + url.QueryEscape("优"), 28},
		{"?grade=" + url.QueryEscape("差"), 0},
	} {
		if l := list(tt.query); l.Total != tt.total {
			t.Errorf("%s: total %d, want %d", tt.query, l.Total, tt.total)
		}
	}
	if l := list("?per_page=5&page=6"); len(l.Items) != 3 {
		t.Errorf("last page: %d items", len(l.Items))
	}
	if l := list(fmt.Sprintf("?run=%d&per_page=1", second.Run.ID)); l.Items[0].RunID != second.Run.ID || l.Items[0].ProjectID != "HH2024-03" {
		t.Errorf("by run: %+v", l.Items[0])
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/scores?run=first", role: jixiao.RoleViewer, specInvalid: true}).
		problem(t, http.StatusUnprocessableEntity, "invalid").hasError(t, "", "run", "first")

	want := first.Results[13]
	var got jixiao.ScoreRecord
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/scores/%d", want.ID)).want(t, http.StatusOK).decode(t, &got)
	if got.ID != want.ID || got.ProjectID != "HH2024-14" || got.Total != want.Total || got.InputHash != want.InputHash ||
		got.EngineVersion != engine.Version || len(got.Result.Indicators) != len(want.Result.Indicators) {
		t.Errorf("score %+v, want %+v", got, want)
	}
	st.get(jixiao.RoleViewer, "/api/v1/scores/99999").problem(t, http.StatusNotFound, "not_found")
	st.do(request{method: http.MethodGet, path: "/api/v1/scores/x", role: jixiao.RoleViewer, specInvalid: true}).problem(t, http.StatusNotFound, "not_found")
}

func TestScoreVerify(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	ev := st.evaluate(map[string]any{"project_ids": []string{"HH2024-14"}})
	score := ev.Results[0]

	// The project changes and the rule set is replaced: the stored score
	// is still reproduced from its stored input and rule-set version.
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{project("HH2024-14", 1)}).want(t, http.StatusOK)
	st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/cn-mof-2020-self", role: jixiao.RoleAdmin, body: []byte(draftGrades(t)), ctype: "application/yaml"}).
		want(t, http.StatusOK)

	var v struct {
		ScoreID              int64          `json:"score_id"`
		InputHash            string         `json:"input_hash"`
		RuleSetHash          string         `json:"ruleset_hash"`
		EngineVersion        string         `json:"engine_version"`
		CurrentEngineVersion string         `json:"current_engine_version"`
		Identical            bool           `json:"identical"`
		Total                jixiao.Decimal `json:"total"`
		Grade                string         `json:"grade"`
		Reason               string         `json:"reason"`
	}
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/scores/%d/verify", score.ID)).want(t, http.StatusOK).decode(t, &v)
	if !v.Identical || v.ScoreID != score.ID || v.InputHash != score.InputHash || v.RuleSetHash != score.RuleSetHash ||
		v.Total != score.Total || v.Grade != score.Grade || v.EngineVersion != engine.Version || v.CurrentEngineVersion != engine.Version || v.Reason != "" {
		t.Errorf("verify %+v, score %+v", v, score)
	}
	st.get(jixiao.RoleViewer, "/api/v1/scores/99999/verify").problem(t, http.StatusNotFound, "not_found")

	// A score made by an older engine is shown beside the current
	// engine's result, not reported as a mismatch.
	st.rawExec(t, `UPDATE scores SET engine_version = '1' WHERE id = ?`, score.ID)
	var old struct {
		EngineVersion        string         `json:"engine_version"`
		CurrentEngineVersion string         `json:"current_engine_version"`
		Reason               string         `json:"reason"`
		Total                jixiao.Decimal `json:"total"`
		Rescored             *jixiao.Result `json:"rescored"`
	}
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/scores/%d/verify", score.ID)).want(t, http.StatusOK).decode(t, &old)
	if old.EngineVersion != "1" || old.CurrentEngineVersion != engine.Version || old.Rescored == nil || old.Rescored.Total != score.Total ||
		!strings.Contains(old.Reason, "made by engine version 1") {
		t.Errorf("verify of an engine-1 score: %+v", old)
	}
}
