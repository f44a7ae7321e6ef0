package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
)

type runResults struct {
	Run     jixiao.Run `json:"run"`
	Results struct {
		Items   []jixiao.ScoreRecord `json:"items"`
		Total   int                  `json:"total"`
		Page    int                  `json:"page"`
		PerPage int                  `json:"per_page"`
	} `json:"results"`
	Rejected []jixiao.RunRejection `json:"rejected"`
}

func TestEvaluationSync(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	res := st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 2024, "statuses": allStatuses}).want(t, http.StatusCreated)
	var ev evaluationResult
	res.decode(t, &ev)
	run := ev.Run
	if loc := res.header.Get("Location"); loc != fmt.Sprintf("/api/v1/evaluations/%d", run.ID) {
		t.Errorf("Location %q", loc)
	}
	if run.Status != jixiao.RunDone || run.Kind != jixiao.RunOfficial || run.Total != 26 || run.Scored != 26 || run.Rejected != 0 ||
		run.RuleSetID != "cn-mof-2020-self" || run.RequestedBy != "scorer-key" || run.FinishedAt == nil || len(ev.Results) != 26 || len(ev.Rejected) != 0 {
		t.Fatalf("run %+v with %d results", run, len(ev.Results))
	}
	for _, r := range ev.Results {
		if r.Grade != "优" || r.RunID != run.ID || r.RuleSetHash != run.RuleSetHash || r.Result.ProjectID != r.ProjectID {
			t.Errorf("%s: %+v", r.ProjectID, r)
		}
	}

	var got jixiao.Run
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/evaluations/%d", run.ID)).want(t, http.StatusOK).decode(t, &got)
	if got.ID != run.ID || got.Status != jixiao.RunDone || got.Scored != 26 || string(got.Selection) != `{"year":2024,"statuses":["draft","submitted","approved","returned"],"max_key":26}` {
		t.Errorf("run %+v", got)
	}
	st.get(jixiao.RoleViewer, "/api/v1/evaluations/999").problem(t, http.StatusNotFound, "not_found")
	st.do(request{method: http.MethodGet, path: "/api/v1/evaluations/abc", role: jixiao.RoleViewer, specInvalid: true}).problem(t, http.StatusNotFound, "not_found")

	var list struct {
		Items []jixiao.Run `json:"items"`
		Total int          `json:"total"`
	}
	st.get(jixiao.RoleViewer, "/api/v1/evaluations").want(t, http.StatusOK).decode(t, &list)
	if list.Total != 1 || list.Items[0].ID != run.ID {
		t.Errorf("runs %+v", list)
	}
	st.get(jixiao.RoleViewer, "/api/v1/evaluations?kind=official&per_page=1").want(t, http.StatusOK).decode(t, &list)
	if list.Total != 1 {
		t.Errorf("official runs %+v", list)
	}
	st.get(jixiao.RoleViewer, "/api/v1/evaluations?kind=simulation").want(t, http.StatusOK).decode(t, &list)
	if list.Total != 0 {
		t.Errorf("simulation runs %+v", list)
	}

	// Results, a page at a time.
	var rr runResults
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/evaluations/%d/results?per_page=10&page=3", run.ID)).want(t, http.StatusOK).decode(t, &rr)
	if rr.Run.ID != run.ID || rr.Results.Total != 26 || len(rr.Results.Items) != 6 || rr.Results.Items[0].ProjectID != "HH2024-21" || rr.Rejected == nil {
		t.Errorf("results page 3: %+v", rr)
	}
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/evaluations/%d/results?format=json", run.ID)).want(t, http.StatusOK).decode(t, &rr)
	if len(rr.Results.Items) != 26 || rr.Results.PerPage != 50 {
		t.Errorf("results: %d items, per_page %d", len(rr.Results.Items), rr.Results.PerPage)
	}

	// CSV: every score, or one page.
	rows := st.csv(fmt.Sprintf("/api/v1/evaluations/%d/results?format=csv", run.ID))
	if len(rows) != 27 || strings.Join(rows[0], ",") != "project_id,year,department,project_name,total,grade,findings,ruleset_id,ruleset_hash,score_id" {
		t.Fatalf("CSV: %d rows, header %v", len(rows), rows[0])
	}
	first := ev.Results[0]
	if want := []string{first.ProjectID, "2024", first.Department, first.Result.ProjectName, first.Total.String(), first.Grade,
		fmt.Sprint(len(first.Result.Findings)), first.RuleSetID, first.RuleSetHash, fmt.Sprint(first.ID)}; !slices.Equal(rows[1], want) {
		t.Errorf("CSV row %v, want %v", rows[1], want)
	}
	if rows := st.csv(fmt.Sprintf("/api/v1/evaluations/%d/results?format=csv&page=2&per_page=20", run.ID)); len(rows) != 7 || rows[1][0] != "HH2024-21" {
		t.Errorf("CSV page 2: %d rows", len(rows))
	}

	p := st.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/evaluations/%d/results?format=xlsx", run.ID), role: jixiao.RoleViewer, specInvalid: true}).
		problem(t, http.StatusUnprocessableEntity, "invalid")
	p.hasError(t, "", "format", "xlsx")
	st.get(jixiao.RoleViewer, "/api/v1/evaluations/999/results").problem(t, http.StatusNotFound, "not_found")
}

// csv reads a CSV export: UTF-8 with a BOM, for Excel.
func (st *stack) csv(path string) [][]string {
	st.t.Helper()
	res := st.get(jixiao.RoleViewer, path).want(st.t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		st.t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(res.header.Get("Content-Disposition"), `attachment; filename="evaluation-`) {
		st.t.Errorf("Content-Disposition %q", res.header.Get("Content-Disposition"))
	}
	body, ok := bytes.CutPrefix(res.body, []byte("\ufeff"))
	if !ok {
		st.t.Error("no BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		st.t.Fatal(err)
	}
	return rows
}

func TestEvaluationSelections(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	ev := st.evaluate(map[string]any{"project_ids": []string{"HH2024-16", "HH2024-14"}, "ruleset": "hubei-self"})
	if ev.Run.Total != 2 || len(ev.Results) != 2 || ev.Results[0].ProjectID != "HH2024-14" || ev.Results[0].RuleSetID != "hubei-self" {
		t.Errorf("by ids: %+v", ev)
	}
	// A rule set by the hash of a stored version.
	ev = st.evaluate(map[string]any{"department": "怀化市住房公积金管理中心", "ruleset": ev.Run.RuleSetHash})
	if ev.Run.Total != 26 || ev.Run.RuleSetID != "hubei-self" {
		t.Errorf("by department: %+v", ev.Run)
	}
	// Every stored project when nothing is said.
	if ev := st.evaluate(map[string]any{}); ev.Run.Total != 26 || ev.Run.RuleSetID != "cn-mof-2020-self" {
		t.Errorf("everything: %+v", ev.Run)
	}

	// Inline projects are stored, then scored.
	ev = st.evaluate(map[string]any{"projects": []any{project("IN-1", 100000), project("IN-2", 50000)}})
	if ev.Run.Total != 2 || len(ev.Results) != 2 || ev.Results[0].Total.String() != "100.00" || ev.Results[1].Total.String() != "95.00" {
		t.Errorf("inline: %+v", ev)
	}
	var p projectView
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/IN-2").want(t, http.StatusOK).decode(t, &p)
	if p.LatestScore == nil || p.LatestScore.ID != ev.Results[1].ID {
		t.Errorf("stored inline project %+v", p)
	}
}

// An inline project that a rule-set check rejects fails the whole request
// and nothing is stored, unless the caller allows rejections.
func TestEvaluationInlineRejected(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	bad := project("NEG-1", -1)
	st.unchanged(func() {
		p := st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"projects": []any{project("OK-1", 100), bad}}).
			problem(t, http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(p.Detail, "1 project(s) cannot be scored; nothing was stored") {
			t.Errorf("detail %q", p.Detail)
		}
		if len(p.Errors) != 1 {
			t.Errorf("errors %+v", p.Errors)
		}
		p.hasError(t, "NEG-1", "negative_spent", "全年执行数不能为负数（-1.00）")
		// Allowing rejections does not help when every project is rejected.
		p = st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"projects": []any{bad}, "allow_rejected": true}).
			problem(t, http.StatusUnprocessableEntity, "invalid")
		p.hasError(t, "NEG-1", "negative_spent", "全年执行数不能为负数")
		// A project the decoder rejects.
		p = st.do(request{method: http.MethodPost, path: "/api/v1/evaluations", role: jixiao.RoleScorer, ctype: "application/json", specInvalid: true,
			body: jsonBody(t, map[string]any{"projects": []any{map[string]any{"id": "X", "name": "x", "year": 2024, "spent": 1}}})}).
			problem(t, http.StatusUnprocessableEntity, "invalid")
		p.hasError(t, "X", "budget_adjusted", "必填")
	})

	// With allow_rejected the others are stored and scored, and the answer
	// names the rejected ones.
	before := st.counts()
	ev := st.evaluate(map[string]any{"projects": []any{project("OK-1", 100), bad}, "allow_rejected": true})
	if len(ev.Results) != 1 || ev.Results[0].ProjectID != "OK-1" || len(ev.Rejected) != 1 || ev.Rejected[0].ProjectID != "NEG-1" {
		t.Fatalf("allow_rejected: %+v", ev)
	}
	// Regression: the rejected inline projects were reported with run 0
	// and year 0.
	if r := ev.Rejected[0]; r.RunID != ev.Run.ID || r.Year != 2024 || len(r.Errors) != 1 {
		t.Errorf("rejection %+v", r)
	}
	if after := st.counts(); after.Projects != before.Projects+1 || after.Scores != before.Scores+1 || after.Runs != before.Runs+1 {
		t.Errorf("before %+v, after %+v", before, after)
	}
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/NEG-1").problem(t, http.StatusNotFound, "not_found")

	// A stored project that the rules reject is reported with the run.
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{bad}).want(t, http.StatusOK)
	ev = st.evaluate(map[string]any{"project_ids": []string{"NEG-1", "OK-1"}})
	if ev.Run.Scored != 1 || ev.Run.Rejected != 1 || len(ev.Rejected) != 1 || ev.Rejected[0].RunID != ev.Run.ID || ev.Rejected[0].Year != 2024 {
		t.Errorf("stored rejection: %+v", ev)
	}
	var rr runResults
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/evaluations/%d/results", ev.Run.ID)).want(t, http.StatusOK).decode(t, &rr)
	if len(rr.Rejected) != 1 || rr.Rejected[0].ProjectID != "NEG-1" || !strings.Contains(rr.Rejected[0].Errors[0], "negative_spent") {
		t.Errorf("results rejected %+v", rr.Rejected)
	}
}

// Above the synchronous limit the run answers 202 and goes on in the
// background, chunk by chunk.
func TestEvaluationAsync(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.SyncLimit = 5; c.chunkSize = 7 })
	st.seedHuaihua()
	// At the limit: synchronous.
	st.evaluate(map[string]any{"project_ids": huaihuaIDs()[:5]})

	res := st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 2024, "statuses": allStatuses}).want(t, http.StatusAccepted)
	var acc evaluationResult
	res.decode(t, &acc)
	if acc.Run.ID == 0 || acc.Run.Total != 26 || acc.Results != nil {
		t.Fatalf("accepted %+v", acc)
	}
	if loc := res.header.Get("Location"); loc != fmt.Sprintf("/api/v1/evaluations/%d", acc.Run.ID) {
		t.Errorf("Location %q", loc)
	}
	run := st.waitRun(acc.Run.ID)
	if run.Status != jixiao.RunDone || run.Scored != 26 || run.Rejected != 0 || run.FinishedAt == nil {
		t.Errorf("run %+v", run)
	}
	var rr runResults
	st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/evaluations/%d/results?per_page=100", run.ID)).want(t, http.StatusOK).decode(t, &rr)
	if rr.Results.Total != 26 || len(rr.Results.Items) != 26 {
		t.Errorf("results %d", rr.Results.Total)
	}
	// The first five were scored by the first run and are not stored again.
	if c := st.counts(); c.Scores != 26 {
		t.Errorf("%d scores, want 26", c.Scores)
	}
}

func TestEvaluationResume(t *testing.T) {
	st := newStack(t, func(c *config) { c.chunkSize = 10 })
	st.seedHuaihua()
	done := st.evaluate(map[string]any{"project_ids": huaihuaIDs()[:10]})

	// Only interrupted or failed runs are resumed.
	st.unchanged(func() {
		p := st.postJSON(jixiao.RoleScorer, fmt.Sprintf("/api/v1/evaluations/%d/resume", done.Run.ID), nil).problem(t, http.StatusConflict, "conflict")
		if !strings.Contains(p.Detail, "done") {
			t.Errorf("detail %q", p.Detail)
		}
		st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations/999/resume", nil).problem(t, http.StatusNotFound, "not_found")
	})

	// A run cut short before its first chunk, as a shutdown leaves it.
	ctx := context.Background()
	rs, _ := st.rules.Snapshot().Get("cn-mof-2020-self")
	run, err := st.evals.Start(ctx, rs, evaluation.Selection{Year: 2024}, "scorer-key")
	if err != nil {
		t.Fatal(err)
	}
	stop, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.evals.Execute(stop, run, rs); err == nil {
		t.Fatal("the run was not interrupted")
	}
	if run.Status != jixiao.RunInterrupted || run.Scored != 0 {
		t.Fatalf("interrupted run %+v", run)
	}

	res := st.postJSON(jixiao.RoleScorer, fmt.Sprintf("/api/v1/evaluations/%d/resume", run.ID), nil).want(t, http.StatusAccepted)
	var acc evaluationResult
	res.decode(t, &acc)
	if acc.Run.ID != run.ID || acc.Run.Status != jixiao.RunRunning || res.header.Get("Location") != fmt.Sprintf("/api/v1/evaluations/%d", run.ID) {
		t.Errorf("resumed %+v", acc.Run)
	}
	got := st.waitRun(run.ID)
	if got.Status != jixiao.RunDone || got.Scored != 26 || got.Error != "" {
		t.Errorf("resumed run %+v", got)
	}
	// The first ten projects were scored by the first run already: 26
	// scores in all, each once.
	if c := st.counts(); c.Scores != 26 {
		t.Errorf("%d scores, want 26", c.Scores)
	}
	var audit struct {
		Items []jixiao.AuditEntry `json:"items"`
	}
	st.get(jixiao.RoleAdmin, "/api/v1/audit?per_page=1").want(t, http.StatusOK).decode(t, &audit)
	if audit.Items[0].Action != "evaluation.resume" || audit.Items[0].Subject != fmt.Sprint(run.ID) {
		t.Errorf("audit %+v", audit.Items)
	}
	st.postJSON(jixiao.RoleScorer, fmt.Sprintf("/api/v1/evaluations/%d/resume", run.ID), nil).problem(t, http.StatusConflict, "conflict")
}

// Regression: a run whose rule-set version is no longer stored could not
// be resumed, and said so as an invalid "ruleset" field the caller never
// sent.
func TestEvaluationResumeLostRuleSet(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	gone, err := engine.Load("gone.yaml", []byte(edit(t, draftGrades(t), "id: cn-mof-2020-self", "id: gone")))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, err := st.evals.Start(ctx, gone, evaluation.Selection{Year: 2024}, "scorer-key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.store.InterruptRunningRuns(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.unchanged(func() {
		p := st.postJSON(jixiao.RoleScorer, fmt.Sprintf("/api/v1/evaluations/%d/resume", run.ID), nil).problem(t, http.StatusConflict, "conflict")
		if !strings.Contains(p.Detail, gone.Ref().Hash) || len(p.Errors) != 0 {
			t.Errorf("problem %+v", p)
		}
	})
	if got := st.waitRun(run.ID); got.Status != jixiao.RunInterrupted {
		t.Errorf("run %+v", got)
	}
}

// The same official evaluation with the same inputs and rules stores no
// score twice: the second run links the stored scores.
func TestEvaluationTwiceAddsNoScores(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	first := st.evaluate(map[string]any{"year": 2024})
	before := st.counts()
	second := st.evaluate(map[string]any{"year": 2024})
	after := st.counts()
	if after.Scores != before.Scores || after.Scores != 26 || after.Runs != before.Runs+1 {
		t.Errorf("before %+v, after %+v", before, after)
	}
	if second.Run.Scored != 26 || len(second.Results) != 26 {
		t.Errorf("second run %+v", second.Run)
	}
	for i := range first.Results {
		a, b := first.Results[i], second.Results[i]
		if a.ID != b.ID || a.Total != b.Total || b.RunID != second.Run.ID {
			t.Errorf("%s: first %d (run %d), second %d (run %d)", a.ProjectID, a.ID, a.RunID, b.ID, b.RunID)
		}
	}
	// A changed project gets a new score; the others do not.
	projects := first.Results[0]
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{func() map[string]any {
		var p projectView
		st.get(jixiao.RoleViewer, "/api/v1/projects/2024/"+projects.ProjectID).want(t, http.StatusOK).decode(t, &p)
		m := map[string]any{}
		jsonRoundTrip(t, p.Project, &m)
		m["name"] = "改名"
		return m
	}()}).want(t, http.StatusOK)
	st.evaluate(map[string]any{"year": 2024})
	if c := st.counts(); c.Scores != 27 {
		t.Errorf("%d scores after one change, want 27", c.Scores)
	}
}

// Regression: a selection that matched nothing stored a run, although
// the request failed.
func TestEvaluationNothingMatches(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	st.unchanged(func() {
		p := st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 1999}).problem(t, http.StatusUnprocessableEntity, "invalid")
		p.hasError(t, "", "project_ids", "no stored project matches")
		st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"project_ids": []string{"NOPE"}}).problem(t, http.StatusUnprocessableEntity, "invalid")
	})
}

func TestEvaluationRequestErrors(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.MaxBodyBytes = 2048 })
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{project("A-1", 100)}).want(t, http.StatusOK)
	big := jsonBody(t, map[string]any{"projects": []any{project("B-1", 1), project("B-2", 2), project("B-3", 3), project("B-4", 4), project("B-5", 5), project("B-6", 6)}})
	if len(big) <= 2048 {
		t.Fatalf("the big body has only %d bytes", len(big))
	}
	for _, tt := range []struct {
		name        string
		body        []byte
		ctype       string
		chunked     bool
		status      int
		code        string
		detail      string
		field       string
		specInvalid bool
	}{
		{name: "broken JSON", body: []byte("{\n\"year\": 2024,\n}"), status: 400, code: "malformed", detail: "JSON 格式错误（第 3 行）", specInvalid: true},
		{name: "unknown field", body: []byte(`{"yeer": 2024}`), status: 400, code: "malformed", detail: `未知字段 "yeer"`, field: "yeer", specInvalid: true},
		{name: "wrong type", body: []byte(`{"year": "2024"}`), status: 400, code: "malformed", detail: "字段 year 须为整数，收到文本", field: "year", specInvalid: true},
		{name: "name in another case", body: []byte(`{"Year": 2024}`), status: 400, code: "malformed", detail: `未知字段 "Year"`, field: "Year", specInvalid: true},
		{name: "repeated name", body: []byte(`{"year": 2024, "year": 1999}`), status: 400, code: "malformed", detail: `字段重复 "year"`, field: "year"},
		{name: "two documents", body: []byte(`{"year": 2024} {"year": 2023}`), status: 400, code: "malformed", detail: "JSON 文档之后还有多余的内容"},
		{name: "empty body", body: []byte{}, status: 400, code: "malformed", detail: "请求内容为空", specInvalid: true},
		{name: "too large", body: big, status: 413, code: "too_large", detail: "超过 2048 字节的上限"},
		{name: "too large, chunked", body: big, chunked: true, status: 413, code: "too_large", detail: "超过 2048 字节的上限"},
		{name: "form", body: []byte("year=2024"), ctype: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type", detail: "Content-Type 须为 application/json", specInvalid: true},
		{name: "both inline and ids", body: jsonBody(t, map[string]any{"projects": []any{project("C-1", 1)}, "project_ids": []string{"A-1"}}),
			status: 422, code: "invalid", field: "projects", detail: "not both"},
		{name: "unknown rule set", body: []byte(`{"ruleset": "nope"}`), status: 422, code: "invalid", field: "ruleset", detail: `"nope"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := st.sub(t)
			ctype := tt.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			st.unchanged(func() {
				p := st.do(request{method: http.MethodPost, path: "/api/v1/evaluations", role: jixiao.RoleScorer, body: tt.body, ctype: ctype, chunked: tt.chunked, specInvalid: tt.specInvalid}).
					problem(t, tt.status, tt.code)
				if !strings.Contains(p.Detail, tt.detail) || p.Instance != "/api/v1/evaluations" {
					t.Errorf("detail %q, want it to contain %q", p.Detail, tt.detail)
				}
				if tt.field != "" {
					p.hasError(t, "", tt.field, "")
				}
			})
		})
	}
}

// Regression: an unknown kind listed no runs instead of saying so.
func TestEvaluationsListUnknownKind(t *testing.T) {
	st := newStack(t)
	p := st.do(request{method: http.MethodGet, path: "/api/v1/evaluations?kind=offical", role: jixiao.RoleViewer, specInvalid: true}).
		problem(t, http.StatusUnprocessableEntity, "invalid")
	p.hasError(t, "", "kind", "offical")
}

// TestEvaluationRefusedDuringShutdown: once shutdown has begun, a batch
// that would run in the background is refused with 503 instead of being
// started against a store that is about to close.
func TestEvaluationRefusedDuringShutdown(t *testing.T) {
	st := newStack(t, func(c *config) { c.opts.SyncLimit = 5 })
	st.seedHuaihua()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", map[string]any{"year": 2024, "statuses": allStatuses}).problem(t, http.StatusServiceUnavailable, "unavailable")
}

// Inline projects of two years score those projects only: a stored project
// of another year that shares an id is left out.
func TestInlineEvaluationAcrossYears(t *testing.T) {
	st := newStack(t)
	// Stored: P-1 of 2022 and 2023.
	old := []any{project("P-1", 90000), project("P-1", 80000)}
	old[0].(map[string]any)["year"] = 2022
	old[1].(map[string]any)["year"] = 2023
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", old).want(t, http.StatusOK)

	// Inline: P-1 of 2024 and P-2 of 2023.
	a, b := project("P-1", 100000), project("P-2", 100000)
	b["year"] = 2023
	ev := st.evaluate(map[string]any{"projects": []any{a, b}})
	var got []string
	for _, r := range ev.Results {
		got = append(got, fmt.Sprintf("%s/%d", r.ProjectID, r.Year))
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "P-1/2024,P-2/2023" || ev.Run.Total != 2 {
		t.Errorf("scored %v (run of %d), want P-1/2024 and P-2/2023 only", got, ev.Run.Total)
	}
}
