package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/spreadsheet"
)

// evaluationRequest asks for an official evaluation of stored projects
// (by ids and/or year and department) or of projects given inline, which
// are stored first. Of stored projects only approved ones are scored,
// unless the request says more.
type evaluationRequest struct {
	RuleSet       string            `json:"ruleset"` // id or version hash; empty: the default
	ProjectIDs    []string          `json:"project_ids"`
	Year          int               `json:"year"`
	Department    string            `json:"department"`
	Projects      []json.RawMessage `json:"projects"`
	AllowRejected bool              `json:"allow_rejected"` // store the others when some inline projects are rejected
	// IncludeSubmitted adds submitted projects to the approved ones.
	IncludeSubmitted bool `json:"include_submitted"`
	// Statuses names the review statuses to score, for the bureau's own
	// data (drafts it entered itself); a department may name approved and
	// submitted only.
	Statuses []string `json:"statuses"`
}

// reviewStatuses are the statuses a project's review can be at.
var reviewStatuses = []string{jixiao.StatusDraft, jixiao.StatusSubmitted, jixiao.StatusApproved, jixiao.StatusReturned}

// checkStatus refuses a status that is not a review status, in field.
func checkStatus(field, status string) error {
	if !slices.Contains(reviewStatuses, status) {
		return invalidField(field, "未知的审核状态 %q（可用 %s）", status, strings.Join(reviewStatuses, ", "))
	}
	return nil
}

// selectStatuses returns the statuses a stored selection scores.
func selectStatuses(req evaluationRequest, scope jixiao.Scope) ([]string, error) {
	statuses := append([]string(nil), req.Statuses...)
	if len(statuses) == 0 {
		statuses = []string{jixiao.StatusApproved}
	}
	if req.IncludeSubmitted && !slices.Contains(statuses, jixiao.StatusSubmitted) {
		statuses = append(statuses, jixiao.StatusSubmitted)
	}
	for _, st := range statuses {
		if err := checkStatus("statuses", st); err != nil {
			return nil, err
		}
		if scope.Limited() && st != jixiao.StatusApproved && st != jixiao.StatusSubmitted {
			return nil, invalidField("statuses", "部门账户的正式评价只能包括已审核和已提交的项目，不能包括“%s”", st)
		}
	}
	return statuses, nil
}

type evaluationResponse struct {
	Run      *jixiao.Run           `json:"run"`
	Results  []jixiao.ScoreRecord  `json:"results,omitempty"`
	Rejected []jixiao.RunRejection `json:"rejected,omitempty"`
}

func (s *Server) createEvaluation(c *gin.Context) {
	var req evaluationRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	rs, err := s.resolveRuleSet(c, req.RuleSet)
	if err != nil {
		s.fail(c, err)
		return
	}
	// An evaluation too large to answer at once runs in the background, on
	// one of a few slots; the slot is taken before anything is stored, and
	// given back when the job ends (or here, if there is no job).
	slot, handedOn := false, false
	takeSlot := func(projects int) bool {
		if projects <= s.syncLimit {
			return true
		}
		if !s.evaluations.take() {
			s.busy(c, "后台评价", cap(s.evaluations))
			return false
		}
		slot = true
		return true
	}
	defer func() {
		if slot && !handedOn {
			s.evaluations.give()
		}
	}()
	sel := evaluation.Selection{ProjectIDs: req.ProjectIDs, Year: req.Year, Department: req.Department}
	scope := jixiao.ScopeOf(c.Request.Context())
	if scope.Limited() {
		// Scored later, outside this request: the run keeps its limit.
		sel.DepartmentCodes = scope.Departments
	}
	var rejectedInline []jixiao.RunRejection
	if len(req.Projects) > 0 {
		if len(req.ProjectIDs) > 0 || req.Department != "" {
			s.fail(c, invalidField("projects", "give either inline projects or project_ids/department, not both"))
			return
		}
		if len(req.Statuses) > 0 || req.IncludeSubmitted {
			s.fail(c, invalidField("statuses", "内联项目按所给的评价，不按审核状态选择：statuses 和 include_submitted 只用于已保存的项目"))
			return
		}
		if scope.Limited() {
			// A department's projects reach official scores through the
			// review only; the bureau may score data it enters itself.
			s.fail(c, invalidField("projects", "部门账户不能直接评价所送的项目：请保存项目并提交审核，财政局审核通过后评价"))
			return
		}
		projects, err := s.inlineProjects(c, rs, req)
		if err != nil {
			s.fail(c, err)
			return
		}
		rejectedInline = projects.rejected
		if len(projects.ok) == 0 {
			s.fail(c, rejectionError("every project was rejected; nothing was stored", runRejections(rejectedInline)))
			return
		}
		if !takeSlot(len(projects.ok)) {
			return
		}
		if _, err := s.store.UpsertProjects(c.Request.Context(), projects.ok); err != nil {
			s.fail(c, err)
			return
		}
		if years := distinctYears(projects.ok); len(years) == 1 {
			sel.Year = years[0]
			for _, p := range projects.ok {
				sel.ProjectIDs = append(sel.ProjectIDs, p.ID)
			}
		} else {
			// Several years: each project by its year and id, so that a
			// stored project of another year with the same id is left out.
			for _, p := range projects.ok {
				sel.Projects = append(sel.Projects, jixiao.ProjectRef{Year: p.Year, ID: p.ID})
			}
		}
	} else {
		if sel.Statuses, err = selectStatuses(req, scope); err != nil {
			s.fail(c, err)
			return
		}
		// A selection of nothing fails before a run is recorded.
		f := jixiao.ProjectFilter{IDs: sel.ProjectIDs, Year: sel.Year, Department: sel.Department, Statuses: sel.Statuses, Limit: 1}
		_, n, err := s.store.FindProjects(c.Request.Context(), f)
		if err != nil {
			s.fail(c, err)
			return
		}
		if n == 0 {
			f.Statuses = nil
			_, all, err := s.store.FindProjects(c.Request.Context(), f)
			if err != nil {
				s.fail(c, err)
				return
			}
			if all > 0 {
				s.fail(c, invalidField("statuses", "所选的 %d 个项目都不是%s：正式评价只评已审核的项目（include_submitted 可包括已提交的）",
					all, statusWords(sel.Statuses)))
				return
			}
			s.fail(c, invalidField("project_ids", "no stored project matches the selection"))
			return
		}
		if !takeSlot(n) {
			return
		}
	}
	run, err := s.evals.Start(c.Request.Context(), rs, sel, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if run.Total == 0 {
		_ = s.evals.Execute(c.Request.Context(), run, rs) // marks it done
		s.fail(c, invalidField("project_ids", "no stored project matches the selection"))
		return
	}
	if run.Total > s.syncLimit {
		// The job changes run as it goes: answer with a copy.
		accepted := *run
		handedOn = true // startJob gives the slot back, whatever happens
		if err := s.startJob(run, rs, slot); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Location", fmt.Sprintf("/api/v1/evaluations/%d", accepted.ID))
		c.JSON(http.StatusAccepted, evaluationResponse{Run: &accepted})
		return
	}
	if err := s.evals.Execute(c.Request.Context(), run, rs); err != nil {
		s.fail(c, err)
		return
	}
	resp, err := s.runResults(c, run, page{Page: 1, PerPage: s.syncLimit})
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, r := range rejectedInline {
		r.RunID = run.ID
		resp.Rejected = append(resp.Rejected, r)
	}
	c.Header("Location", fmt.Sprintf("/api/v1/evaluations/%d", run.ID))
	c.JSON(http.StatusCreated, resp)
}

// statusWords names statuses in Chinese: "已审核或已提交".
func statusWords(statuses []string) string {
	words := make([]string, len(statuses))
	for i, st := range statuses {
		words[i] = jixiao.StatusName(st)
	}
	return strings.Join(words, "或")
}

type inline struct {
	ok       []jixiao.Project
	rejected []jixiao.RunRejection // by the rule set, not stored
}

// inlineProjects decodes inline projects and scores them once before
// anything is stored, so that a project a check rejects fails the request
// unless the caller allows rejections.
func (s *Server) inlineProjects(c *gin.Context, rs *engine.RuleSet, req evaluationRequest) (inline, error) {
	doc, _ := json.Marshal(req.Projects)
	in, err := jixiao.DecodeProjectsBytes(doc)
	if err != nil {
		return inline{}, jixiao.Errorf(jixiao.EMALFORMED, "%s", jixiao.ErrorMessage(err))
	}
	if len(in.Rejected) > 0 {
		return inline{}, rejectionError(strconv.Itoa(len(in.Rejected))+" project(s) are invalid; nothing was stored", in.Rejected)
	}
	_, rejected, err := rs.ScoreEach(c.Request.Context(), in.Projects, engine.Batch{})
	if err != nil {
		return inline{}, err
	}
	var res inline
	for i, p := range in.Projects {
		if r := rejected[i]; r != nil {
			res.rejected = append(res.rejected, jixiao.RunRejection{ProjectID: p.ID, Year: p.Year, Errors: r.Errors})
		} else {
			res.ok = append(res.ok, p)
		}
	}
	if len(res.rejected) > 0 && !req.AllowRejected {
		return inline{}, rejectionError(strconv.Itoa(len(res.rejected))+" project(s) cannot be scored; nothing was stored (send allow_rejected to store the others)", runRejections(res.rejected))
	}
	return res, nil
}

func runRejections(list []jixiao.RunRejection) []jixiao.Rejection {
	out := make([]jixiao.Rejection, len(list))
	for i, r := range list {
		out[i] = jixiao.Rejection{ProjectID: r.ProjectID, Errors: r.Errors}
	}
	return out
}

func distinctYears(projects []jixiao.Project) []int {
	seen := map[int]bool{}
	var out []int
	for _, p := range projects {
		if !seen[p.Year] {
			seen[p.Year] = true
			out = append(out, p.Year)
		}
	}
	return out
}

// startJob runs an evaluation in the background. Shutdown cancels it at a
// chunk boundary and waits.
// A job refused during shutdown leaves its run running; the next start
// marks it interrupted, to be resumed.
// startJob runs an evaluation in the background. slot says it holds an
// evaluation slot, which the job gives back when it ends (or startJob,
// when there is no job to start).
func (s *Server) startJob(run *jixiao.Run, rs *engine.RuleSet, slot bool) error {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	if s.jobsCtx.Err() != nil || s.jobsActive[run.ID] {
		if slot {
			s.evaluations.give()
		}
		if s.jobsCtx.Err() != nil {
			return errShuttingDown
		}
		return nil
	}
	s.jobsActive[run.ID] = true
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		if slot {
			defer s.evaluations.give()
		}
		defer func() { s.jobsMu.Lock(); delete(s.jobsActive, run.ID); s.jobsMu.Unlock() }()
		if err := s.evals.Execute(s.jobsCtx, run, rs); err != nil {
			s.logger.Warn("evaluation stopped", "run", run.ID, "error", err)
		}
	}()
	return nil
}

var errShuttingDown = jixiao.Errorf(jixiao.EUNAVAILABLE, "the service is shutting down; try again after it restarts")

func (s *Server) runResults(c *gin.Context, run *jixiao.Run, p page) (evaluationResponse, error) {
	scores, _, err := s.store.FindScores(c.Request.Context(), jixiao.ScoreFilter{RunID: run.ID, Offset: p.offset(), Limit: p.PerPage})
	if err != nil {
		return evaluationResponse{}, err
	}
	rejected, err := s.store.FindRunRejections(c.Request.Context(), run.ID)
	if err != nil {
		return evaluationResponse{}, err
	}
	fresh, err := s.store.FindRun(c.Request.Context(), run.ID)
	if err != nil {
		return evaluationResponse{}, err
	}
	return evaluationResponse{Run: fresh, Results: scores, Rejected: rejected}, nil
}

func (s *Server) listEvaluations(c *gin.Context) {
	p, err := readPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	kind := c.Query("kind")
	if kind != "" && kind != jixiao.RunOfficial && kind != jixiao.RunSimulation {
		s.fail(c, invalidField("kind", "must be official or simulation, got %q", kind))
		return
	}
	runs, total, err := s.store.FindRuns(c.Request.Context(), kind, p.offset(), p.PerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(runs, total, p))
}

func (s *Server) findRun(c *gin.Context) (*jixiao.Run, bool) {
	id, err := pathInt64(c, "run")
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	run, err := s.store.FindRun(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return run, true
}

func (s *Server) getEvaluation(c *gin.Context) {
	run, ok := s.findRun(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, run)
}

func (s *Server) getEvaluationResults(c *gin.Context) {
	run, ok := s.findRun(c)
	if !ok {
		return
	}
	p, err := readPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch c.DefaultQuery("format", "json") {
	case "json":
		scores, total, err := s.store.FindScores(c.Request.Context(), jixiao.ScoreFilter{RunID: run.ID, Offset: p.offset(), Limit: p.PerPage})
		if err != nil {
			s.fail(c, err)
			return
		}
		rejected, err := s.store.FindRunRejections(c.Request.Context(), run.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		if rejected == nil {
			rejected = []jixiao.RunRejection{}
		}
		c.JSON(http.StatusOK, gin.H{"run": run, "results": newList(scores, total, p), "rejected": rejected})
	case "csv":
		s.writeResultsCSV(c, run, p)
	default:
		s.fail(c, invalidField("format", "must be json or csv, got %q", c.Query("format")))
	}
}

// writeResultsCSV streams a run's scores as CSV (UTF-8 with BOM, for
// Excel). Without ?page it streams every score, a page at a time.
func (s *Server) writeResultsCSV(c *gin.Context, run *jixiao.Run, p page) {
	all := c.Query("page") == ""
	if all {
		p = page{Page: 1, PerPage: 1000}
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="evaluation-%d.csv"`, run.ID))
	c.Status(http.StatusOK)
	_, _ = c.Writer.WriteString("\ufeff")
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"project_id", "year", "department", "project_name", "total", "grade", "findings", "ruleset_id", "ruleset_hash", "score_id"})
	for {
		scores, _, err := s.store.FindScores(c.Request.Context(), jixiao.ScoreFilter{RunID: run.ID, Offset: p.offset(), Limit: p.PerPage})
		if err != nil {
			s.logger.Error("csv export", "run", run.ID, "error", err)
			break
		}
		text := spreadsheet.CSVText
		for _, r := range scores {
			_ = w.Write([]string{text(r.ProjectID), strconv.Itoa(r.Year), text(r.Department), text(r.Result.ProjectName), r.Total.String(), text(r.Grade),
				strconv.Itoa(len(r.Result.Findings)), text(r.RuleSetID), r.RuleSetHash, strconv.FormatInt(r.ID, 10)})
		}
		w.Flush()
		if !all || len(scores) < p.PerPage {
			break
		}
		p.Page++
	}
	w.Flush()
}

func (s *Server) resumeEvaluation(c *gin.Context) {
	run, ok := s.findRun(c)
	if !ok {
		return
	}
	if run.Status != jixiao.RunInterrupted && run.Status != jixiao.RunFailed {
		s.fail(c, jixiao.Errorf(jixiao.ECONFLICT, "run %d is %s; only interrupted or failed runs can be resumed", run.ID, run.Status))
		return
	}
	rs, err := s.resolveRuleSet(c, run.RuleSetHash)
	if jixiao.ErrorCode(err) == jixiao.EINVALID {
		s.fail(c, jixiao.Errorf(jixiao.ECONFLICT, "run %d was started with rule-set version %s, which is no longer stored", run.ID, run.RuleSetHash))
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	if !s.evaluations.take() {
		s.busy(c, "评价", cap(s.evaluations))
		return
	}
	if err := s.store.ReopenRun(c.Request.Context(), run.ID); err != nil {
		s.evaluations.give()
		s.fail(c, err)
		return
	}
	run.Status, run.Error, run.FinishedAt = jixiao.RunRunning, "", nil
	s.audit(c, "evaluation.resume", strconv.FormatInt(run.ID, 10), nil)
	// The job changes run as it goes: answer with a copy.
	accepted := *run
	if err := s.startJob(run, rs, true); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/evaluations/%d", accepted.ID))
	c.JSON(http.StatusAccepted, evaluationResponse{Run: &accepted})
}
