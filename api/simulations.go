package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/engine"
	"jixiao/spreadsheet"
	"jixiao/whatif"
)

// simulationRequest describes a what-if: which projects (stored ones by
// ids or filter, or inline ones), which metric changes, and which rule set
// to compare against the baseline. Official results are never touched.
type simulationRequest struct {
	ProjectIDs []string `json:"project_ids"`
	Year       int      `json:"year"`
	Department string   `json:"department"`
	// Projects stays raw until jixiao.DecodeProjectsBytes reads it: the
	// one decoding of inline projects.
	Projects        json.RawMessage   `json:"projects"`
	Overrides       []whatif.Override `json:"overrides"`
	BaselineRuleSet string            `json:"baseline_ruleset"` // id or hash; default: the default rule set
	RuleSet         string            `json:"ruleset"`          // id or hash for the scenario; default: the baseline
	Draft           string            `json:"draft"`            // an inline rule file for the scenario
	SaveAs          string            `json:"save_as"`          // save the result as a named scenario
	PerPage         int               `json:"per_page"`         // changed projects listed; default whatif.DefaultPerPage
	Cursor          string            `json:"cursor"`           // the page after this one: a page.next_cursor
}

// simulationChunk is how many stored projects are read and scored at a
// time: large enough to keep both sides' scorers busy, small enough to
// keep memory flat.
const simulationChunk = 2000

// simulate compares the selected projects chunk by chunk, stored ones as
// a stream: memory holds one chunk, the summary and one page of changed
// projects, whatever the selection. With ?format=csv it streams every
// changed project as CSV instead.
func (s *Server) simulate(c *gin.Context) {
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		s.fail(c, invalidField("format", "须为 json 或 csv，收到 %q", format))
		return
	}
	var req simulationRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	base, err := s.resolveRuleSet(c, req.BaselineRuleSet)
	if err != nil {
		s.fail(c, err)
		return
	}
	scenario := base
	switch {
	case req.Draft != "" && req.RuleSet != "":
		s.fail(c, invalidField("draft", "give either ruleset or draft, not both"))
		return
	case req.Draft != "":
		// A draft is code the engine runs: not for the viewer role, which
		// may try metric overrides against the active rule sets.
		if !s.requireRole(c, jixiao.RoleScorer, "a draft rule file") {
			return
		}
		rs, _, err := s.rules.Validate(c.Request.Context(), "draft.yaml", []byte(req.Draft))
		if err != nil {
			s.fail(c, ruleErrors("the draft rule file has errors", err))
			return
		}
		scenario = rs
	case req.RuleSet != "":
		if scenario, err = s.resolveRuleSet(c, req.RuleSet); err != nil {
			s.fail(c, err)
			return
		}
	}
	f := jixiao.ProjectFilter{IDs: req.ProjectIDs, Year: req.Year, Department: req.Department}
	inline, err := inlineProjects(req.Projects, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	opt := whatif.PopulationOptions{PerPage: req.PerPage, Cursor: req.Cursor}
	var csvOut *simulationCSV
	if format == "csv" {
		csvOut = &simulationCSV{c: c}
		opt.PerPage, opt.Cursor = 1, ""
		opt.Each = csvOut.write
	}
	pop, err := whatif.NewPopulation(base, scenario, req.Overrides, opt)
	if err != nil {
		s.fail(c, err)
		return
	}
	if inline == nil {
		// Over stored projects: every core for as long as it takes.
		if !s.simulations.take() {
			s.busy(c, "覆盖已存项目的模拟", cap(s.simulations))
			return
		}
		defer s.simulations.give()
	}
	ctx := c.Request.Context()
	if inline != nil {
		err = pop.Add(ctx, inline)
	} else {
		err = s.streamProjects(ctx, f, func(chunk []jixiao.Project) error { return pop.Add(ctx, chunk) })
	}
	if err == nil && pop.Projects() == 0 {
		err = invalidField("project_ids", "no stored project matches the selection")
	}
	var report whatif.Report
	if err == nil {
		report, err = pop.Report()
	}
	s.metrics.Scored(2 * pop.Projects())
	switch {
	case err != nil && ctx.Err() != nil:
		// The client has gone: nobody reads an answer. 499, as proxies
		// log it, keeps the request log and metrics from showing a 200.
		s.logger.InfoContext(ctx, "simulation cancelled", "request_id", requestID(c), "projects", pop.Projects(), "error", ctx.Err())
		c.AbortWithStatus(499)
		return
	case csvOut != nil && err != nil && csvOut.w == nil:
		s.fail(c, err)
		return
	case csvOut != nil:
		csvOut.finish(err)
		if err != nil {
			s.logger.WarnContext(ctx, "simulation export failed", "request_id", requestID(c), "error", err)
		}
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	out := gin.H{"report": report}
	if name := strings.TrimSpace(req.SaveAs); name != "" {
		reqJSON, _ := json.Marshal(req)
		sumJSON, _ := json.Marshal(report)
		sc := jixiao.Scenario{Name: name, CreatedBy: actor(c), CreatedAt: time.Now().UTC(), Request: reqJSON, Summary: sumJSON}
		if err := s.store.SaveScenario(ctx, &sc); err != nil {
			s.fail(c, err)
			return
		}
		out["scenario_id"] = sc.ID
	}
	c.JSON(http.StatusOK, out)
}

// inlineProjects decodes the request's inline projects, once; nil when it
// gives none, and the stored projects f selects are to be compared.
func inlineProjects(raw json.RawMessage, f jixiao.ProjectFilter) ([]jixiao.Project, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	in, err := jixiao.DecodeProjectsBytes(raw)
	if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "%s", jixiao.ErrorMessage(err))
	}
	if len(in.Projects) == 0 && len(in.Rejected) == 0 {
		return nil, nil // an empty list selects stored projects, as before
	}
	if len(f.IDs) > 0 || f.Department != "" {
		return nil, invalidField("projects", "give either inline projects or project_ids/department, not both")
	}
	if len(in.Rejected) > 0 {
		return nil, rejectionError("some projects are invalid", in.Rejected)
	}
	return in.Projects, nil
}

// projectStreamer is a store that reads projects as a stream
// (storage.DB.StreamProjects).
type projectStreamer interface {
	StreamProjects(ctx context.Context, f jixiao.ProjectFilter, chunk int, fn func([]jixiao.StoredProject) error) error
}

// streamProjects calls fn with the stored projects f selects, in key
// order, a chunk at a time. Projects stored after it starts are left out,
// so that the pages of one selection stay the same.
func (s *Server) streamProjects(ctx context.Context, f jixiao.ProjectFilter, fn func([]jixiao.Project) error) error {
	maxKey, err := s.store.MaxProjectKey(ctx)
	if err != nil {
		return err
	}
	if maxKey == 0 {
		return nil
	}
	f.MaxKey = maxKey
	buf := make([]jixiao.Project, 0, simulationChunk)
	each := func(chunk []jixiao.StoredProject) error {
		buf = buf[:0]
		for i := range chunk {
			buf = append(buf, chunk[i].Project)
		}
		return fn(buf)
	}
	if st, ok := s.store.(projectStreamer); ok {
		return st.StreamProjects(ctx, f, simulationChunk, each)
	}
	f.AfterKey, f.Limit = -1, simulationChunk
	for {
		chunk, _, err := s.store.FindProjects(ctx, f)
		if err != nil {
			return err
		}
		if err := each(chunk); err != nil {
			return err
		}
		if len(chunk) < f.Limit {
			return nil
		}
		f.AfterKey = chunk[len(chunk)-1].Key
	}
}

// simulationCSV streams the changed projects of a simulation as CSV
// (UTF-8 with BOM, for Excel), in input order. The header goes out with
// the first row, so that an error found before it is an ordinary problem
// response; one found later ends the file with a row saying so.
type simulationCSV struct {
	c       *gin.Context
	w       *csv.Writer
	rows    int
	flushed int
}

var simulationCSVHeader = []string{"project_id", "year", "project_name", "baseline_total", "baseline_grade",
	"scenario_total", "scenario_grade", "delta", "grade_changed", "baseline_rejected", "scenario_rejected"}

func (x *simulationCSV) start() {
	x.c.Header("Content-Type", "text/csv; charset=utf-8")
	x.c.Header("Content-Disposition", `attachment; filename="simulation.csv"`)
	x.c.Status(http.StatusOK)
	_, _ = x.c.Writer.WriteString("\ufeff")
	x.w = csv.NewWriter(x.c.Writer)
	_ = x.w.Write(simulationCSVHeader)
}

func (x *simulationCSV) write(pc *whatif.ProjectChange) error {
	if x.w == nil {
		x.start()
	}
	total := func(sd *whatif.Side) string {
		if sd.Rejected != nil {
			return ""
		}
		return sd.Total.String()
	}
	delta := ""
	if pc.Delta != nil {
		delta = pc.Delta.String()
	}
	text := spreadsheet.CSVText
	err := x.w.Write([]string{text(pc.ProjectID), strconv.Itoa(pc.Year), text(pc.Name),
		total(pc.Baseline), text(pc.Baseline.Grade), total(pc.Scenario), text(pc.Scenario.Grade), delta,
		strconv.FormatBool(pc.GradeChanged), text(strings.Join(pc.Baseline.Rejected, "；")), text(strings.Join(pc.Scenario.Rejected, "；"))})
	x.rows++
	if x.rows-x.flushed >= 500 {
		x.w.Flush()
		x.flushed = x.rows
		err = x.w.Error()
	}
	return err
}

// finish ends the file, with a last row naming err if not nil.
func (x *simulationCSV) finish(err error) {
	if x.w == nil {
		x.start()
	}
	if err != nil {
		_ = x.w.Write([]string{"导出未完成", spreadsheet.CSVText(jixiao.ErrorMessage(err))})
	}
	x.w.Flush()
}

func (s *Server) listScenarios(c *gin.Context) {
	p, err := readPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.store.FindScenarios(c.Request.Context(), p.offset(), p.PerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, total, p))
}

func (s *Server) getScenario(c *gin.Context) {
	id, err := pathInt64(c, "scenario")
	if err != nil {
		s.fail(c, err)
		return
	}
	sc, err := s.store.FindScenario(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sc)
}

type goalSeekRequest struct {
	Year      int             `json:"year"`
	ProjectID string          `json:"project_id"`
	Project   json.RawMessage `json:"project"` // or an inline project
	RuleSet   string          `json:"ruleset"`
	Field     string          `json:"field"`
	Indicator string          `json:"indicator"`
	Goal      whatif.Goal     `json:"goal"`
}

func (s *Server) goalSeek(c *gin.Context) {
	var req goalSeekRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	rs, err := s.resolveRuleSet(c, req.RuleSet)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.goalSeekProject(c, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := whatif.GoalSeek(rs, p, whatif.SeekRequest{Field: req.Field, Indicator: req.Indicator, Goal: req.Goal})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"ruleset": rs.Ref(), "result": res})
}

func (s *Server) goalSeekProject(c *gin.Context, req goalSeekRequest) (jixiao.Project, error) {
	if len(req.Project) > 0 {
		if req.ProjectID != "" || req.Year != 0 {
			return jixiao.Project{}, invalidField("project", "give either an inline project or year and project_id, not both")
		}
		in, err := jixiao.DecodeProjectsBytes(append(append([]byte("["), req.Project...), ']'))
		if err != nil {
			return jixiao.Project{}, jixiao.Errorf(jixiao.EMALFORMED, "%s", jixiao.ErrorMessage(err))
		}
		if len(in.Rejected) > 0 {
			return jixiao.Project{}, rejectionError("the project is invalid", in.Rejected)
		}
		return in.Projects[0], nil
	}
	if req.ProjectID == "" || req.Year == 0 {
		return jixiao.Project{}, invalidField("project_id", "give year and project_id of a stored project, or an inline project")
	}
	sp, err := s.store.FindProject(c.Request.Context(), req.Year, req.ProjectID)
	if err != nil {
		return jixiao.Project{}, err
	}
	return sp.Project, nil
}

var _ = engine.Version
