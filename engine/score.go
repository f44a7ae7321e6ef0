package engine

import (
	"fmt"
	"math"
	"strconv"

	"github.com/expr-lang/expr/vm"

	"jixiao"
	"jixiao/rules"
)

// Scorer scores projects one at a time. It reuses its expression VM and
// environment between projects, so each goroutine needs its own.
type Scorer struct {
	rs  *RuleSet
	vm  vm.VM
	env map[string]any
	buf []byte

	// per-project scratch, indexed by node
	leaves [][]int // leaf groups: indexes into the project's indicators
	empty  []bool
	eff    []jixiao.Decimal
	owner  []int // per project indicator: index of its leaf group, -1 none, -2 several

	findings []jixiao.Finding
	errs     []string
}

// NewScorer returns a Scorer for rs.
func (rs *RuleSet) NewScorer() *Scorer {
	n := rs.nodeCount
	return &Scorer{
		rs:     rs,
		env:    make(map[string]any, 64),
		leaves: make([][]int, n),
		empty:  make([]bool, n),
		eff:    make([]jixiao.Decimal, n),
	}
}

// Score scores one project. It returns either a result or a rejection
// that lists every reason the project could not be scored.
func (s *Scorer) Score(p *jixiao.Project) (jixiao.Result, *jixiao.Rejection) {
	rs := s.rs
	s.findings = s.findings[:0]
	s.errs = s.errs[:0]
	if !rs.file.Years.Covers(p.Year) {
		return jixiao.Result{}, &jixiao.Rejection{ProjectID: p.ID, Errors: []string{
			fmt.Sprintf("year: rule set %s applies to %s, not to %d", rs.ref.ID, yearsLabel(rs.file.Years), p.Year)}}
	}
	s.setProject(p)
	for _, d := range rs.derived {
		v, err := s.vm.Run(d.prog, s.env)
		if err != nil {
			s.fail("derived value %s: %v", d.name, oneLine(err))
			continue
		}
		s.env[d.name] = v
	}
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}
	for _, ch := range rs.projectChecks {
		s.runCheck(ch, "")
	}
	s.assignLeaves(p)
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}

	// Which groups have nothing to score, and how many points each node
	// is worth for this project once empty groups are dealt with.
	for _, n := range rs.roots {
		s.markEmpty(n)
	}
	var dropped jixiao.Decimal
	s.distribute(rs.roots, jixiao.Points(100), &dropped)
	applicable := jixiao.Points(100) - dropped
	if applicable <= 0 {
		s.fail("indicators: nothing to score: the project has no indicators that this rule set scores")
		return jixiao.Result{}, s.reject(p)
	}

	nodes := make([]jixiao.Node, len(rs.roots))
	var raw jixiao.Decimal
	for i, n := range rs.roots {
		nodes[i] = s.scoreNode(n, p)
		raw += nodes[i].Score
	}
	total := raw
	if dropped > 0 {
		total = raw.MulDiv(100*100, int64(applicable))
	}
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}
	for _, f := range s.findings {
		if f.Severity == jixiao.SeverityError {
			s.errs = append(s.errs, f.Check+": "+f.Message)
		}
	}
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}
	findings := make([]jixiao.Finding, len(s.findings))
	copy(findings, s.findings)
	return jixiao.Result{
		ProjectID:   p.ID,
		ProjectName: p.Name,
		Total:       total,
		Grade:       rs.file.Grade(total),
		RuleSet:     rs.ref,
		Indicators:  nodes,
		Findings:    findings,
	}, nil
}

func yearsLabel(y rules.Years) string {
	if !y.To.Set {
		return fmt.Sprintf("%s and later", y.From.Value.Trimmed())
	}
	return fmt.Sprintf("%s–%s", y.From.Value.Trimmed(), y.To.Value.Trimmed())
}

func (s *Scorer) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func (s *Scorer) reject(p *jixiao.Project) *jixiao.Rejection {
	errs := make([]string, len(s.errs))
	copy(errs, s.errs)
	return &jixiao.Rejection{ProjectID: p.ID, Errors: errs}
}

// setProject puts the project's fields that any formula reads into the
// environment, applying the missing-data policies.
func (s *Scorer) setProject(p *jixiao.Project) {
	env, uses := s.env, s.rs.uses
	set := func(name string, v any) {
		if uses[name] {
			env[name] = v
		}
	}
	set("project_id", p.ID)
	set("project_name", p.Name)
	set("department", p.Department)
	set("year", p.Year)
	set("budget_adjusted", p.BudgetAdjusted.Float64())
	set("spent", p.Spent.Float64())
	set("indicator_count", len(p.Indicators))
	opt := func(name string, d *jixiao.Decimal) {
		v, ok := optFloat(d)
		set(name, v)
		set("has_"+name, ok)
	}
	opt("budget_initial", p.BudgetInitial)
	opt("funds_arrived", p.FundsArrived)
	opt("balance", p.Balance)
	opt("execution_rate", p.ExecutionRate)
	set("compliance", string(p.Compliance))
	set("has_compliance", p.Compliance != "")

	for _, m := range s.rs.missing {
		if m.field == "actual" {
			continue // applied per leaf
		}
		present := fieldPresent(p, m.field)
		if present {
			continue
		}
		switch m.policy {
		case missingFail:
			s.fail("%s: required by rule set %s", m.field, s.rs.ref.ID)
		case missingDefault:
			if m.def == nil {
				continue
			}
			v, err := s.vm.Run(m.def, env)
			if err != nil {
				s.fail("%s: default value: %v", m.field, oneLine(err))
				continue
			}
			env[m.field] = v
		}
	}
}

func fieldPresent(p *jixiao.Project, field string) bool {
	switch field {
	case "budget_initial":
		return p.BudgetInitial != nil
	case "funds_arrived":
		return p.FundsArrived != nil
	case "balance":
		return p.Balance != nil
	case "execution_rate":
		return p.ExecutionRate != nil
	case "compliance":
		return p.Compliance != ""
	}
	return true
}

// setLeaf puts one of the project's indicators into the environment.
func (s *Scorer) setLeaf(ind *jixiao.Indicator) error {
	env, uses := s.env, s.rs.uses
	set := func(name string, v any) {
		if uses[name] {
			env[name] = v
		}
	}
	set("name", ind.Name)
	set("level1", ind.Level1)
	set("level2", ind.Level2)
	set("direction", string(ind.Direction))
	set("unit", ind.Unit)
	set("rating", string(ind.Rating))
	set("deviation_reason", ind.DeviationReason)
	var target, actual, weight float64
	if ind.Target != nil {
		target = *ind.Target
	}
	if ind.Weight != nil {
		weight = ind.Weight.Float64()
	}
	set("has_target", ind.Target != nil)
	set("has_actual", ind.Actual != nil)
	set("has_weight", ind.Weight != nil)
	set("target", target)
	set("T", target)
	set("weight", weight)
	if ind.Actual != nil {
		actual = *ind.Actual
	} else {
		for _, m := range s.rs.missing {
			if m.field != "actual" {
				continue
			}
			switch m.policy {
			case missingFail:
				return fmt.Errorf("actual: required by rule set %s", s.rs.ref.ID)
			case missingDefault:
				if m.def != nil {
					env["actual"] = 0.0
					v, err := s.vm.Run(m.def, env)
					if err != nil {
						return fmt.Errorf("actual: default value: %v", oneLine(err))
					}
					actual, _ = v.(float64)
				}
			}
		}
	}
	set("actual", actual)
	set("A", math.Max(actual, 0))
	return nil
}

// assignLeaves gives each of the project's indicators to the one leaf
// group that selects it.
func (s *Scorer) assignLeaves(p *jixiao.Project) {
	rs := s.rs
	for _, g := range rs.leafGroups {
		s.leaves[g.idx] = s.leaves[g.idx][:0]
	}
	for i := range p.Indicators {
		ind := &p.Indicators[i]
		var owner *node
		several := false
		needEnv := true
		for _, g := range rs.leafGroups {
			sel := g.sel
			if sel.level1 != "" && sel.level1 != ind.Level1 {
				continue
			}
			if sel.level2 != "" && sel.level2 != ind.Level2 {
				continue
			}
			if sel.where != nil {
				if needEnv {
					if err := s.setLeaf(ind); err != nil {
						s.fail("indicators[%d] %s: %v", i, ind.Name, err)
						break
					}
					s.env["W"] = 0.0
					needEnv = false
				}
				v, err := s.vm.Run(sel.where, s.env)
				if err != nil {
					s.fail("indicators[%d] %s: selecting for %s: %v", i, ind.Name, g.id, oneLine(err))
					continue
				}
				if ok, _ := v.(bool); !ok {
					continue
				}
			}
			if owner != nil {
				several = true
				s.fail("indicators[%d] %s: belongs to both %s and %s", i, ind.Name, owner.name, g.name)
				break
			}
			owner = g
		}
		switch {
		case several:
		case owner == nil && rs.file.Unassigned.Value == rules.UnassignedReject:
			s.fail("indicators[%d] %s: level1 %q / level2 %q is not an indicator group of rule set %s", i, ind.Name, ind.Level1, ind.Level2, rs.ref.ID)
		case owner != nil:
			s.leaves[owner.idx] = append(s.leaves[owner.idx], i)
		}
	}
}

func (s *Scorer) markEmpty(n *node) bool {
	var empty bool
	switch {
	case n.sel != nil:
		empty = len(s.leaves[n.idx]) == 0
	case n.kids != nil:
		empty = true
		for _, k := range n.kids {
			if !s.markEmpty(k) {
				empty = false
			}
		}
	}
	s.empty[n.idx] = empty
	return empty
}

// distribute shares total among list by declared points, then hands the
// points of empty members on: to their non-empty siblings in proportion
// (redistribute), or out of the total (rescale, counted in dropped).
func (s *Scorer) distribute(list []*node, total jixiao.Decimal, dropped *jixiao.Decimal) {
	weights := make([]int64, len(list))
	for i, n := range list {
		weights[i] = n.points.Hundredths()
	}
	base := Allocate(total, weights)
	var pool jixiao.Decimal
	live := make([]int64, len(list))
	for i, n := range list {
		if s.empty[n.idx] {
			if n.ifEmpty == rules.Redistribute {
				pool += base[i]
			} else {
				*dropped += base[i]
			}
			s.eff[n.idx] = 0
			s.zero(n)
			continue
		}
		live[i] = weights[i]
		s.eff[n.idx] = base[i]
	}
	if pool > 0 {
		extra := Allocate(pool, live)
		if allZero(live) {
			*dropped += pool // nothing left to receive the points
		}
		for i, n := range list {
			s.eff[n.idx] += extra[i]
		}
	}
	for _, n := range list {
		if !s.empty[n.idx] && n.kids != nil {
			s.distribute(n.kids, s.eff[n.idx], dropped)
		}
	}
}

func (s *Scorer) zero(n *node) {
	for _, k := range n.kids {
		s.eff[k.idx] = 0
		s.zero(k)
	}
}

func allZero(w []int64) bool {
	for _, v := range w {
		if v != 0 {
			return false
		}
	}
	return true
}

// scoreNode scores n and its subtree.
func (s *Scorer) scoreNode(n *node, p *jixiao.Project) jixiao.Node {
	out := jixiao.Node{ID: n.id, Name: n.name, Points: s.eff[n.idx]}
	switch {
	case s.empty[n.idx]:
		if n.ifEmpty == rules.Redistribute {
			out.Reason = fmt.Sprintf("项目无%s，%s分按比例转入同级指标", n.name, n.points.Trimmed())
		} else {
			out.Reason = fmt.Sprintf("项目无%s，该项不参与评分，总分按适用分值折算为百分制", n.name)
		}
	case n.cases != nil:
		s.env["W"] = out.Points.Float64()
		out.Score, out.Reason = s.runCases(n.cases, n.id, n.id, out.Points)
	case n.kids != nil:
		out.Children = make([]jixiao.Node, len(n.kids))
		for i, k := range n.kids {
			out.Children[i] = s.scoreNode(k, p)
			out.Score += out.Children[i].Score
		}
		if out.Points != n.points {
			out.Reason = fmt.Sprintf("含空缺指标转入的分值，%s分调整为%s分", n.points.Trimmed(), out.Points.Trimmed())
		}
	case n.sel != nil:
		out.Children = s.scoreLeaves(n, p, out.Points)
		for _, c := range out.Children {
			out.Score += c.Score
		}
		if out.Points != n.points {
			out.Reason = fmt.Sprintf("含空缺指标转入的分值，%s分调整为%s分", n.points.Trimmed(), out.Points.Trimmed())
		}
	}
	return out
}

// scoreLeaves scores the project's indicators of one leaf group, sharing
// the group's points among them.
func (s *Scorer) scoreLeaves(g *node, p *jixiao.Project, points jixiao.Decimal) []jixiao.Node {
	idxs := s.leaves[g.idx]
	shares, err := leafPoints(p, idxs, points)
	if err != "" {
		s.fail("%s: %s", g.name, err)
		return nil
	}
	out := make([]jixiao.Node, len(idxs))
	for j, i := range idxs {
		ind := &p.Indicators[i]
		id := leafID(g.id, j)
		out[j] = jixiao.Node{ID: id, Name: ind.Name, Points: shares[j]}
		if err := s.setLeaf(ind); err != nil {
			s.fail("indicators[%d] %s: %v", i, ind.Name, err)
			continue
		}
		cases := g.sel.table.byDir[ind.Direction]
		if cases == nil {
			s.fail("indicators[%d] %s: rule set %s has no scoring rule for direction %s in %s", i, ind.Name, s.rs.ref.ID, ind.Direction, g.sel.table.name)
			continue
		}
		s.env["W"] = shares[j].Float64()
		out[j].Score, out[j].Reason = s.runCases(cases, id, g.id+": "+ind.Name, shares[j])
		for _, ch := range s.rs.leafChecks {
			s.runCheck(ch, id)
		}
	}
	return out
}

func leafID(group string, j int) string {
	var b [32]byte
	out := append(b[:0], group...)
	out = append(out, '.')
	out = strconv.AppendInt(out, int64(j+1), 10)
	return string(out)
}

// leafPoints gives each leaf its weight and shares what remains of the
// group's points equally among the leaves without one, in cents.
func leafPoints(p *jixiao.Project, idxs []int, points jixiao.Decimal) ([]jixiao.Decimal, string) {
	shares := make([]jixiao.Decimal, len(idxs))
	var weighted jixiao.Decimal
	unweighted := 0
	for j, i := range idxs {
		if w := p.Indicators[i].Weight; w != nil {
			shares[j] = *w
			weighted += *w
		} else {
			unweighted++
		}
	}
	switch {
	case weighted > points:
		return nil, fmt.Sprintf("indicator weights add up to %s, more than the %s points of the group", weighted, points)
	case unweighted == 0 && weighted != points:
		return nil, fmt.Sprintf("indicator weights add up to %s, not the %s points of the group", weighted, points)
	case unweighted > 0 && weighted == points && weighted > 0:
		return nil, fmt.Sprintf("indicator weights use all %s points of the group, leaving none for the %d indicators without a weight", points, unweighted)
	case unweighted == 0:
		return shares, ""
	}
	eq := make([]int64, unweighted)
	for k := range eq {
		eq[k] = 1
	}
	rest := Allocate(points-weighted, eq)
	k := 0
	for j, i := range idxs {
		if p.Indicators[i].Weight == nil {
			shares[j] = rest[k]
			k++
		}
	}
	return shares, ""
}

// runCases evaluates a scoring table: the first case whose condition
// holds gives the score, rounded half-up to two places.
func (s *Scorer) runCases(cases []*scoringCase, nodeID, label string, points jixiao.Decimal) (jixiao.Decimal, string) {
	for _, c := range cases {
		if c.when != nil {
			v, err := s.vm.Run(c.when, s.env)
			if err != nil {
				s.fail("%s: condition: %v", label, oneLine(err))
				return 0, ""
			}
			if ok, _ := v.(bool); !ok {
				continue
			}
		}
		v, err := s.vm.Run(c.score, s.env)
		if err != nil {
			s.fail("%s: score: %v", label, oneLine(err))
			return 0, ""
		}
		f := toFloat(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			s.fail("%s: the score formula gave no number (division by zero?)", label)
			return 0, ""
		}
		score := jixiao.RoundFloat(f)
		if score < 0 || score > points {
			clamped := min(max(score, 0), points)
			s.findings = append(s.findings, jixiao.Finding{Check: "score_out_of_range", Severity: jixiao.SeverityWarning, Indicator: nodeID,
				Message: fmt.Sprintf("%s：公式得分 %s 超出分值范围 0–%s，按 %s 计", label, score, points, clamped)})
			score = clamped
		}
		var reason string
		if c.reason != nil {
			s.buf, err = c.reason.render(s.buf[:0], s, score)
			if err != nil {
				s.fail("%s: reason: %v", label, oneLine(err))
			}
			reason = string(s.buf)
		}
		if c.finding != nil {
			var msg string
			if c.finding.message != nil {
				s.buf, err = c.finding.message.render(s.buf[:0], s, score)
				if err != nil {
					s.fail("%s: finding: %v", label, oneLine(err))
				}
				msg = string(s.buf)
			}
			s.findings = append(s.findings, jixiao.Finding{Check: c.finding.check, Severity: c.finding.severity, Message: msg, Indicator: nodeID})
		}
		return score, reason
	}
	return 0, "" // unreachable: the last case has no condition
}

func (s *Scorer) runCheck(ch *check, nodeID string) {
	v, err := s.vm.Run(ch.when, s.env)
	if err != nil {
		s.fail("check %s: %v", ch.id, oneLine(err))
		return
	}
	if ok, _ := v.(bool); !ok {
		return
	}
	s.buf, err = ch.message.render(s.buf[:0], s, 0)
	if err != nil {
		s.fail("check %s: message: %v", ch.id, oneLine(err))
		return
	}
	s.findings = append(s.findings, jixiao.Finding{Check: ch.id, Severity: ch.severity, Message: string(s.buf), Indicator: nodeID})
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return math.NaN()
}

func oneLine(err error) string {
	msg := err.Error()
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' {
			return msg[:i]
		}
	}
	return msg
}

// Allocate shares total among weights in exact cents: each gets its
// proportional share rounded down, and the cents left over go to the
// largest remainders, earliest first. 50 in three equal parts is
// 16.67, 16.67, 16.66.
func Allocate(total jixiao.Decimal, weights []int64) []jixiao.Decimal {
	out := make([]jixiao.Decimal, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || total <= 0 {
		return out
	}
	t := total.Hundredths()
	rems := make([]int64, len(weights))
	var given int64
	for i, w := range weights {
		q := t * w / sum
		out[i] = jixiao.Decimal(q)
		rems[i] = t*w - q*sum
		given += q
	}
	for left := t - given; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if weights[i] > 0 && (best < 0 || r > rems[best]) {
				best = i
			}
		}
		out[best]++
		rems[best] = -1
	}
	return out
}
