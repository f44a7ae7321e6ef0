package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
	"jixiao/whatif"
)

// treeNode is an indicator of a rule set, for display.
type treeNode struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Points   jixiao.Decimal `json:"points"`
	Kind     string         `json:"kind"` // fixed, group or leaves
	IfEmpty  string         `json:"if_empty,omitempty"`
	Select   string         `json:"select,omitempty"`
	Children []treeNode     `json:"children,omitempty"`
}

func tree(list []*rules.Indicator) []treeNode {
	out := make([]treeNode, 0, len(list))
	for _, ind := range list {
		n := treeNode{ID: ind.ID.Value, Name: ind.Name.Value, Points: ind.Points.Value, IfEmpty: ind.IfEmpty.Value}
		switch {
		case len(ind.Cases) > 0:
			n.Kind = "fixed"
		case len(ind.Children) > 0:
			n.Kind = "group"
			n.Children = tree(ind.Children)
		case ind.Leaves != nil:
			n.Kind = "leaves"
			n.Select = selection(ind.Leaves)
		}
		out = append(out, n)
	}
	return out
}

func selection(l *rules.LeafSelect) string {
	s := ""
	add := func(part string) {
		if s != "" {
			s += " && "
		}
		s += part
	}
	switch len(l.Level1) {
	case 0:
	case 1:
		add(fmt.Sprintf("level1 == %q", l.Level1[0].Value))
	default:
		quoted := make([]string, len(l.Level1))
		for i, v := range l.Level1.Values() {
			quoted[i] = fmt.Sprintf("%q", v)
		}
		add("level1 in [" + strings.Join(quoted, ", ") + "]")
	}
	if l.Level2.Value != "" {
		add(fmt.Sprintf("level2 == %q", l.Level2.Value))
	}
	if l.Where.Value != "" {
		add(l.Where.Value)
	}
	return s
}

type gradeBand struct {
	Grade string         `json:"grade"`
	From  jixiao.Decimal `json:"from"`
	To    jixiao.Decimal `json:"to"`
}

// ruleSetView describes a compiled rule set.
type ruleSetView struct {
	jixiao.RuleSetRef
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Extends     string      `json:"extends,omitempty"`
	YearFrom    int         `json:"year_from"`
	YearTo      int         `json:"year_to,omitempty"`
	Grades      []gradeBand `json:"grades"`
	Tree        []treeNode  `json:"tree"`
	YAML        string      `json:"yaml,omitempty"`
}

func viewRuleSet(rs *engine.RuleSet, withBody bool) ruleSetView {
	f := rs.File()
	v := ruleSetView{RuleSetRef: rs.Ref(), Name: f.Name.Value, Description: f.Description, Extends: f.Extends.Value,
		YearFrom: int(f.Years.From.Value / 100), YearTo: int(f.Years.To.Value / 100), Tree: tree(f.Indicators)}
	for _, b := range f.Grades {
		v.Grades = append(v.Grades, gradeBand{Grade: b.Grade.Value, From: b.From.Value, To: b.To.Value})
	}
	if withBody {
		v.YAML = string(f.Body)
	}
	return v
}

// resolveRuleSet finds a rule set by id (the active version) or by the
// hash of any stored version; empty means the default.
func (s *Server) resolveRuleSet(c *gin.Context, ref string) (*engine.RuleSet, error) {
	return s.ruleSetByRef(c.Request.Context(), ref)
}

// ruleSetByRef is resolveRuleSet outside a request.
func (s *Server) ruleSetByRef(ctx context.Context, ref string) (*engine.RuleSet, error) {
	if ref == "" {
		ref = s.defaultRules
	}
	snap := s.rules.Snapshot()
	if rs, ok := snap.Get(ref); ok {
		return rs, nil
	}
	if rs, ok := snap.ByHash(ref); ok {
		return rs, nil
	}
	v, err := s.store.FindRuleSetVersion(ctx, ref)
	if jixiao.ErrorCode(err) == jixiao.ENOTFOUND {
		return nil, invalidField("ruleset", "no rule set with id or version hash %q", ref)
	} else if err != nil {
		return nil, err
	}
	return engine.LoadVersion(v)
}

func (s *Server) listRuleSets(c *gin.Context) {
	snap := s.rules.Snapshot()
	type item struct {
		ruleSetView
		Status any `json:"status"`
	}
	statuses := map[string]any{}
	for _, st := range s.rules.Status() {
		statuses[st.ID] = st
	}
	var items []item
	for _, id := range snap.IDs() {
		rs, _ := snap.Get(id)
		items = append(items, item{viewRuleSet(rs, false), statuses[id]})
	}
	var broken []any
	for _, st := range s.rules.Status() {
		if _, ok := snap.Get(st.ID); !ok {
			broken = append(broken, st)
		}
	}
	if items == nil {
		items = []item{}
	}
	if broken == nil {
		broken = []any{}
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "default": s.defaultRules, "unloadable": broken})
}

func (s *Server) getRuleSet(c *gin.Context) {
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "yaml" {
		s.fail(c, invalidField("format", "must be json or yaml, got %q", format))
		return
	}
	rs, ok := s.rules.Snapshot().Get(c.Param("id"))
	if !ok {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no active rule set %q", c.Param("id")))
		return
	}
	if format == "yaml" {
		c.Data(http.StatusOK, "application/yaml; charset=utf-8", rs.File().Body)
		return
	}
	c.JSON(http.StatusOK, viewRuleSet(rs, true))
}

func (s *Server) listRuleSetVersions(c *gin.Context) {
	versions, err := s.store.FindRuleSetVersions(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(versions) == 0 {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no versions of rule set %q", c.Param("id")))
		return
	}
	for i := range versions {
		versions[i].Body = ""
	}
	c.JSON(http.StatusOK, gin.H{"items": versions})
}

func (s *Server) getRuleSetVersion(c *gin.Context) {
	v, err := s.store.FindRuleSetVersion(c.Request.Context(), c.Param("hash"))
	if err == nil && v.RuleSetID != c.Param("id") {
		err = jixiao.Errorf(jixiao.ENOTFOUND, "rule set %q has no version %q", c.Param("id"), c.Param("hash"))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// readRuleFile takes a rule file as YAML, or as JSON {"yaml": "..."}.
func readRuleFile(c *gin.Context) ([]byte, error) {
	data, err := readBody(c, "application/yaml", "application/x-yaml", "text/yaml", "application/json")
	if err != nil {
		return nil, err
	}
	if c.ContentType() == "application/json" {
		var body struct {
			YAML string `json:"yaml"`
		}
		if err := decodeStrict(data, &body); err != nil {
			return nil, err
		}
		data = []byte(body.YAML)
	}
	if len(data) == 0 {
		return nil, invalidField("yaml", "the rule file is empty")
	}
	return data, nil
}

// ruleErrors turns rule-file diagnostics into a problem with one detail
// per error: file:line, indicator, message.
func ruleErrors(summary string, err error) error {
	var diags rules.Errors
	if !errors.As(err, &diags) {
		return err
	}
	e := jixiao.Errorf(jixiao.EINVALID, "%s", summary)
	for _, d := range diags {
		field := fmt.Sprintf("%s:%d", d.File, d.Line)
		where := d.Indicator
		if where == "" {
			where = d.Context
		}
		msg := d.Message
		if where != "" {
			msg = where + ": " + msg
		}
		e.Details = append(e.Details, jixiao.FieldError{Field: field, Message: msg})
	}
	return e
}

func (s *Server) validateRuleSet(c *gin.Context) {
	data, err := readRuleFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := c.DefaultQuery("name", "draft.yaml")
	rs, tests, err := s.rules.Validate(c.Request.Context(), name, data)
	out := gin.H{"valid": err == nil, "tests": tests, "errors": []rules.Diagnostic{}}
	var diags rules.Errors
	if errors.As(err, &diags) {
		out["errors"] = diags
	} else if err != nil {
		s.fail(c, err)
		return
	}
	if tests == nil {
		out["tests"] = []engine.TestResult{}
	}
	if rs != nil {
		out["ruleset"] = rs.Ref()
		if active, ok := s.rules.Snapshot().Get(rs.Ref().ID); ok && err == nil {
			impact, ierr := s.impact(c, active, rs)
			if ierr != nil {
				s.fail(c, ierr)
				return
			}
			out["impact"] = impact
		}
	}
	c.JSON(http.StatusOK, out)
}

// impact compares the active version with a draft over every stored
// project of the years the draft applies to.
func (s *Server) impact(c *gin.Context, active, draft *engine.RuleSet) (*whatif.Summary, error) {
	projects, err := s.allProjects(c, jixiao.ProjectFilter{})
	if err != nil {
		return nil, err
	}
	var covered []jixiao.Project
	for _, p := range projects {
		if draft.File().Years.Covers(p.Year) || active.File().Years.Covers(p.Year) {
			covered = append(covered, p)
		}
	}
	report, err := whatif.Compare(active, draft, covered, covered, 0)
	if err != nil {
		return nil, err
	}
	s.metrics.Scored(2 * len(covered))
	return &report.Summary, nil
}

// allProjects reads every stored project matching f.
func (s *Server) allProjects(c *gin.Context, f jixiao.ProjectFilter) ([]jixiao.Project, error) {
	var out []jixiao.Project
	f.Limit = 5000
	f.AfterKey = -1
	for {
		batch, _, err := s.store.FindProjects(c.Request.Context(), f)
		if err != nil {
			return nil, err
		}
		for _, sp := range batch {
			out = append(out, sp.Project)
		}
		if len(batch) < f.Limit {
			return out, nil
		}
		f.AfterKey = batch[len(batch)-1].Key
	}
}

func (s *Server) putRuleSet(c *gin.Context) {
	data, err := readRuleFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	id := c.Param("id")
	rs, err := s.rules.Put(c.Request.Context(), id, data, actor(c))
	if err != nil {
		s.fail(c, ruleErrors("the rule file was not accepted; the active version is unchanged", err))
		return
	}
	s.audit(c, "ruleset.upload", id, rs.Ref())
	c.JSON(http.StatusOK, viewRuleSet(rs, false))
}
