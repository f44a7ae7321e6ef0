package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/engine"
	"jixiao/whatif"
)

// simulationRequest describes a what-if: which projects (stored ones by
// ids or filter, or inline ones), which metric changes, and which rule set
// to compare against the baseline. Official results are never touched.
type simulationRequest struct {
	ProjectIDs      []string          `json:"project_ids"`
	Year            int               `json:"year"`
	Department      string            `json:"department"`
	Projects        []json.RawMessage `json:"projects"`
	Overrides       []whatif.Override `json:"overrides"`
	BaselineRuleSet string            `json:"baseline_ruleset"` // id or hash; default: the default rule set
	RuleSet         string            `json:"ruleset"`          // id or hash for the scenario; default: the baseline
	Draft           string            `json:"draft"`            // an inline rule file for the scenario
	SaveAs          string            `json:"save_as"`          // save the result as a named scenario
}

func (s *Server) simulate(c *gin.Context) {
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
		rs, tests, err := s.rules.Validate("draft.yaml", []byte(req.Draft))
		if err != nil {
			s.fail(c, ruleErrors("the draft rule file has errors", err))
			return
		}
		_ = tests
		scenario = rs
	case req.RuleSet != "":
		if scenario, err = s.resolveRuleSet(c, req.RuleSet); err != nil {
			s.fail(c, err)
			return
		}
	}
	projects, err := s.simulationProjects(c, req.Projects, jixiao.ProjectFilter{IDs: req.ProjectIDs, Year: req.Year, Department: req.Department})
	if err != nil {
		s.fail(c, err)
		return
	}
	report, err := whatif.Simulate(c.Request.Context(), base, scenario, projects, req.Overrides)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.metrics.Scored(2 * len(projects))
	out := gin.H{"report": report}
	if name := strings.TrimSpace(req.SaveAs); name != "" {
		reqJSON, _ := json.Marshal(req)
		sumJSON, _ := json.Marshal(report)
		sc := jixiao.Scenario{Name: name, CreatedBy: actor(c), CreatedAt: time.Now().UTC(), Request: reqJSON, Summary: sumJSON}
		if err := s.store.SaveScenario(c.Request.Context(), &sc); err != nil {
			s.fail(c, err)
			return
		}
		out["scenario_id"] = sc.ID
	}
	c.JSON(http.StatusOK, out)
}

// simulationProjects returns inline projects, or the stored ones matching f.
func (s *Server) simulationProjects(c *gin.Context, raw []json.RawMessage, f jixiao.ProjectFilter) ([]jixiao.Project, error) {
	if len(raw) > 0 {
		if len(f.IDs) > 0 || f.Department != "" {
			return nil, invalidField("projects", "give either inline projects or project_ids/department, not both")
		}
		doc, _ := json.Marshal(raw)
		in, err := jixiao.DecodeProjectsBytes(doc)
		if err != nil {
			return nil, jixiao.Errorf(jixiao.EMALFORMED, "%s", jixiao.ErrorMessage(err))
		}
		if len(in.Rejected) > 0 {
			return nil, rejectionError("some projects are invalid", in.Rejected)
		}
		return in.Projects, nil
	}
	projects, err := s.allProjects(c, f)
	if err != nil {
		return nil, err
	}
	if len(projects) == 0 {
		return nil, invalidField("project_ids", "no stored project matches the selection")
	}
	return projects, nil
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
