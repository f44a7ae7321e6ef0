package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
)

// projectView is a stored project with its latest official score.
type projectView struct {
	jixiao.Project
	InputHash      string      `json:"input_hash"`
	Status         string      `json:"status"`
	DepartmentCode string      `json:"department_code,omitempty"`
	UpdatedAt      time.Time   `json:"updated_at"`
	LatestScore    *scoreBrief `json:"latest_score"`
}

func newProjectView(sp jixiao.StoredProject, latest *jixiao.ScoreRecord) projectView {
	return projectView{Project: sp.Project, InputHash: sp.InputHash, Status: sp.Status, DepartmentCode: sp.DepartmentCode,
		UpdatedAt: sp.UpdatedAt, LatestScore: brief(latest)}
}

type scoreBrief struct {
	ID    int64          `json:"id"`
	RunID int64          `json:"run_id"`
	Total jixiao.Decimal `json:"total"`
	Grade string         `json:"grade"`
	// ExecutionRate is the result's computed 预算执行率 in percent, as the
	// rule set defines it; null when the result records none.
	ExecutionRate *jixiao.Decimal `json:"execution_rate"`
	Findings      int             `json:"findings"`
	RuleSetID     string          `json:"ruleset_id"`
	RuleSetHash   string          `json:"ruleset_hash"`
	CreatedAt     time.Time       `json:"created_at"`
}

func brief(r *jixiao.ScoreRecord) *scoreBrief {
	if r == nil {
		return nil
	}
	return &scoreBrief{ID: r.ID, RunID: r.RunID, Total: r.Total, Grade: r.Grade, ExecutionRate: r.Result.ExecutionRate,
		Findings: len(r.Result.Findings), RuleSetID: r.RuleSetID, RuleSetHash: r.RuleSetHash, CreatedAt: r.CreatedAt}
}

// rejectionError turns decoder or engine rejections into one problem with
// a detail per project and field.
func rejectionError(summary string, rejected []jixiao.Rejection) error {
	e := jixiao.Errorf(jixiao.EINVALID, "%s", summary)
	for _, r := range rejected {
		for _, msg := range r.Errors {
			fe := jixiao.FieldError{Project: r.ProjectID, Message: msg}
			if field, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(field, " ，") {
				fe.Field, fe.Message = field, rest
			}
			e.Details = append(e.Details, fe)
		}
	}
	return e
}

// decodeProjects reads a project document from the request.
func decodeProjects(c *gin.Context) ([]jixiao.Project, error) {
	data, err := readBody(c, "application/json")
	if err != nil {
		return nil, err
	}
	in, err := jixiao.DecodeProjectsBytes(data)
	if err != nil {
		if jixiao.ErrorCode(err) == jixiao.EINVALID {
			return nil, jixiao.Errorf(jixiao.EMALFORMED, "%s", jixiao.ErrorMessage(err))
		}
		return nil, err
	}
	if len(in.Rejected) > 0 {
		return nil, rejectionError(strconv.Itoa(len(in.Rejected))+" project(s) are invalid; nothing was stored", in.Rejected)
	}
	if len(in.Projects) == 0 {
		return nil, invalidField("projects", "no projects given")
	}
	return in.Projects, nil
}

func (s *Server) upsertProjects(c *gin.Context) {
	projects, err := decodeProjects(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	counts, err := s.store.UpsertProjects(c.Request.Context(), projects)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "projects.import", strconv.Itoa(len(projects))+" projects", counts)
	c.JSON(http.StatusOK, counts)
}

func (s *Server) listProjects(c *gin.Context) {
	p, err := readPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	year, err := queryInt(c, "year")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := jixiao.ProjectFilter{Year: year, Department: c.Query("department"), Grade: c.Query("grade"), Offset: p.offset(), Limit: p.PerPage}
	if ids := c.Query("ids"); ids != "" {
		f.IDs = strings.Split(ids, ",")
	}
	if v := c.Query("status"); v != "" {
		f.Statuses = strings.Split(v, ",")
		for _, st := range f.Statuses {
			if err := checkStatus("status", st); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	if v := c.Query("department_code"); v != "" {
		f.DepartmentCodes = []string{v}
	}
	stored, total, err := s.store.FindProjects(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	views := make([]projectView, len(stored))
	for i := range stored {
		latest, err := s.store.LatestScore(c.Request.Context(), stored[i].Key)
		if err != nil && jixiao.ErrorCode(err) != jixiao.ENOTFOUND {
			s.fail(c, err)
			return
		}
		views[i] = newProjectView(stored[i], latest)
	}
	c.JSON(http.StatusOK, newList(views, total, p))
}

func (s *Server) getProject(c *gin.Context) {
	year, ok := s.pathYear(c)
	if !ok {
		return
	}
	sp, err := s.store.FindProject(c.Request.Context(), year, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	latest, err := s.store.LatestScore(c.Request.Context(), sp.Key)
	if err != nil && jixiao.ErrorCode(err) != jixiao.ENOTFOUND {
		s.fail(c, err)
		return
	}
	out := struct {
		projectView
		Score *jixiao.ScoreRecord `json:"score"`
	}{newProjectView(*sp, latest), latest}
	c.JSON(http.StatusOK, out)
}

// audit records a change; a failure to record is logged, not fatal to the
// request that made the change. A nil detail records none.
func (s *Server) audit(c *gin.Context, action, subject string, detail any) {
	var raw json.RawMessage
	if detail != nil {
		raw, _ = json.Marshal(detail)
	}
	err := s.store.AddAudit(c.Request.Context(), jixiao.AuditEntry{At: time.Now().UTC(), Actor: actor(c), Action: action, Subject: subject, Detail: raw})
	if err != nil {
		s.logger.Error("audit", "action", action, "error", err)
	}
}
