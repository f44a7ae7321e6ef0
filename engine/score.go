package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"jixiao"
	"jixiao/rules"
)

// Scorer scores projects one at a time. It reuses its frame and buffers
// between projects, so each goroutine needs its own.
type Scorer struct {
	rs         *RuleSet
	f          *frame
	scoresOnly bool
	reference  bool // every formula exactly, for tests

	// per-project scratch, indexed by node
	leaves [][]int // leaf groups: indexes into the project's indicators
	empty  []bool
	eff    []jixiao.Decimal
	// declared are each node's points before empty groups are dealt
	// with: the rule set's, or the unit's category_points.
	declared []jixiao.Decimal

	findings []jixiao.Finding
	errs     []string

	// Finding messages of a project are rendered into text and become one
	// string at the end; each is a slice of it.
	text     []byte
	messages []textRef // Message of s.findings[i]

	// Reasons are recorded, to be written when read (lazy.go), into
	// scratch, then copied into blocks of their exact size handed out with
	// the project's result.
	lazyVals []lazyVal
	lazyRecs []lazyReason
	lazyDst  []*jixiao.Node
	// rateNodes are the nodes that read the computed execution rate.
	rateNodes []*jixiao.Node
	scratch   []byte

	pool  []jixiao.Node // every node of the result, handed out in blocks
	next  int
	alloc allocScratch
	share []jixiao.Decimal
}

// textRef locates a rendered message in Scorer.text.
type textRef struct {
	index      int // finding index
	start, end int
}

// NewScorer returns a Scorer for rs.
func (rs *RuleSet) NewScorer() *Scorer {
	n := rs.nodeCount
	return &Scorer{
		rs:       rs,
		f:        rs.layout.newFrame(),
		leaves:   make([][]int, n),
		empty:    make([]bool, n),
		eff:      make([]jixiao.Decimal, n),
		declared: rs.declaredPoints(),
	}
}

// declaredPoints are the points of every node as the rule file gives them.
func (rs *RuleSet) declaredPoints() []jixiao.Decimal {
	out := make([]jixiao.Decimal, rs.nodeCount)
	var walk func([]*node)
	walk = func(list []*node) {
		for _, n := range list {
			out[n.idx] = n.points
			walk(n.kids)
		}
	}
	walk(rs.roots)
	return out
}

// setCategoryPoints applies the unit's category_points to the top-level
// nodes, refusing what the rule set does not allow.
func (s *Scorer) setCategoryPoints(p *jixiao.Project) {
	for _, n := range s.rs.roots {
		s.declared[n.idx] = n.points
	}
	if len(p.CategoryPoints) == 0 {
		return
	}
	keys := make([]string, 0, len(p.CategoryPoints))
	for k := range p.CategoryPoints {
		keys = append(keys, k)
	}
	slices.Sort(keys) // messages in a stable order
	for _, k := range keys {
		v := p.CategoryPoints[k]
		n := s.rs.category(k)
		switch {
		case n == nil:
			s.fail("category_points.%s: 「%s」不是规则 %s 的一级指标", k, k, s.rs.ref.ID)
		case !n.unitSet:
			s.fail("category_points.%s: 本规则不允许单位自定「%s」的分值", k, n.name)
		case v < n.unitMin || v > n.unitMax:
			s.fail("category_points.%s: 「%s」%s 分超出本规则允许的 %s–%s 分", k, n.name, v.Trimmed(), n.unitMin.Trimmed(), n.unitMax.Trimmed())
		default:
			s.declared[n.idx] = v
		}
	}
	var sum jixiao.Decimal
	parts := make([]string, 0, len(s.rs.roots))
	for _, n := range s.rs.roots {
		sum += s.declared[n.idx]
		parts = append(parts, n.name+" "+s.declared[n.idx].Trimmed())
	}
	if sum != jixiao.Points(100) && len(s.errs) == 0 {
		s.fail("category_points: 各一级指标分值合计 %s 分（%s），应为 100 分", sum.Trimmed(), strings.Join(parts, " + "))
	}
}

// ScoresOnly makes the scorer give totals and grades only: what-if
// simulations and goal seeking need them many times over. Its results have
// no indicator tree and no findings, and scoring one does not allocate.
func (s *Scorer) ScoresOnly() *Scorer {
	s.scoresOnly = true
	return s
}

// fault returns and clears the error the last evaluation left.
func (s *Scorer) fault() error {
	err := s.f.fault
	s.f.fault = nil
	return err
}

// roundNum evaluates a number formula and rounds it half away from zero
// at places. Usually n is the result × 10^places, a whole number below
// 2^52; when the exact evaluator was needed, x holds the rounded value
// instead (or NaN or an infinity).
func (s *Scorer) roundNum(fm *formula, places int) (n float64, x *xnum, err error) {
	if !s.reference {
		v, e := fm.num(s.f)
		if err := s.fault(); err != nil {
			return 0, nil, err
		}
		if r, ok := roundDecided(v, e, places); ok && r-r == 0 {
			return r, nil, nil
		}
	}
	x = s.f.exact(fm.node).num
	if err := s.fault(); err != nil {
		return 0, nil, err
	}
	return 0, s.f.arena.round(x, places), nil
}

// flag evaluates a condition.
func (s *Scorer) flag(fm *formula) (bool, error) {
	var b bool
	if s.reference {
		b = s.f.exact(fm.node).flag
	} else {
		b = fm.flag(s.f)
	}
	return b, s.fault()
}

// textOf evaluates a text formula.
func (s *Scorer) textOf(fm *formula) (string, error) {
	var t string
	if s.reference {
		t = s.f.exact(fm.node).text
	} else {
		t = fm.text(s.f)
	}
	return t, s.fault()
}

// store puts a formula's value into a slot. A number keeps the formula,
// so that its exact value can be recomputed; with reuse set (a default
// that may read the slot it fills) the exact value is fixed now instead
// when it is needed at all.
func (s *Scorer) store(sl slot, fm *formula, reuse bool) error {
	f := s.f
	switch sl.kind {
	case kindBool:
		b, err := s.flag(fm)
		f.flag[sl.idx] = b
		return err
	case kindText:
		t, err := s.textOf(fm)
		f.text[sl.idx] = t
		return err
	}
	if s.reference {
		x := f.exact(fm.node).num
		f.setExact(sl.idx, x)
		return s.fault()
	}
	v, e := fm.num(f)
	if err := s.fault(); err != nil {
		return err
	}
	switch {
	case e <= 0:
		f.setValue(sl.idx, v, e)
	case reuse:
		x := f.exact(fm.node).num
		f.setExact(sl.idx, x)
		return s.fault()
	default:
		f.setComputed(sl.idx, v, e, fm)
	}
	return nil
}

// ScoreOne scores one project with a scorer of its own. A rejection is
// an error (code invalid) that names the project, the rule set and why.
func (rs *RuleSet) ScoreOne(p *jixiao.Project) (*jixiao.Result, error) {
	res, rej := rs.NewScorer().Score(p)
	if rej != nil {
		return nil, jixiao.Errorf(jixiao.EINVALID, "项目 %s 不能用评分规则 %s 评分：%s", p.ID, rs.Ref().ID, strings.Join(rej.Errors, "；"))
	}
	return &res, nil
}

// Score scores one project. It returns either a result or a rejection
// that lists every reason the project could not be scored.
func (s *Scorer) Score(p *jixiao.Project) (jixiao.Result, *jixiao.Rejection) {
	rs := s.rs
	s.findings = s.findings[:0]
	s.errs = s.errs[:0]
	s.text, s.messages = s.text[:0], s.messages[:0]
	s.lazyVals, s.lazyRecs, s.lazyDst = s.lazyVals[:0], s.lazyRecs[:0], s.lazyDst[:0]
	s.rateNodes = s.rateNodes[:0]
	if !rs.file.Years.Covers(p.Year) {
		return jixiao.Result{}, &jixiao.Rejection{ProjectID: p.ID, Errors: []string{
			fmt.Sprintf("year: 规则集 %s 适用于 %s，不适用于 %d 年", rs.ref.ID, yearsLabel(rs.file.Years), p.Year)}}
	}
	s.setProject(p)
	for _, d := range rs.derived {
		if err := s.store(d.slot, d.fm, false); err != nil {
			s.fail("derived value %s: %v", d.name, oneLine(err))
		}
	}
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}
	for _, ch := range rs.projectChecks {
		if !(s.scoresOnly && ch.advisory) {
			s.runCheck(ch, "")
		}
	}
	s.assignLeaves(p)
	s.setCategoryPoints(p)
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
	s.reportEmpty(rs.roots)
	applicable := jixiao.Points(100) - dropped
	if floor := rs.file.MinApplicable.Value; applicable <= 0 || applicable < floor {
		// Every reason found so far, then this one.
		s.settleFindings()
		if applicable <= 0 {
			s.fail("indicators: nothing to score: the project has no indicators that this rule set scores")
		} else {
			s.errs = append(s.errs, fmt.Sprintf("%s: 适用指标分值合计 %s 分，低于本规则要求的 %s 分，不能评分",
				rules.MinApplicableCode, applicable.Trimmed(), floor.Trimmed()))
		}
		return jixiao.Result{}, s.reject(p)
	}

	need := rs.nodeCount
	for _, g := range rs.leafGroups {
		need += len(s.leaves[g.idx])
	}
	if s.scoresOnly {
		// The tree is scratch: nothing of it leaves the scorer.
		if cap(s.pool) < need {
			s.pool = make([]jixiao.Node, need, 2*need)
		}
		s.pool, s.next = s.pool[:need], 0
	} else {
		s.pool, s.next = make([]jixiao.Node, need), 0
	}
	nodes := s.take(len(rs.roots))
	var raw jixiao.Decimal
	for i, n := range rs.roots {
		s.scoreNode(n, p, &nodes[i])
		raw += nodes[i].Score
	}
	total := raw
	if dropped > 0 {
		total = raw.MulDiv(100*100, int64(applicable))
	}
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}
	s.settleFindings()
	if len(s.errs) > 0 {
		return jixiao.Result{}, s.reject(p)
	}
	if s.scoresOnly {
		return jixiao.Result{ProjectID: p.ID, ProjectName: p.Name, Total: total, Grade: rs.file.Grade(total), RuleSet: rs.ref}, nil
	}
	if len(s.lazyRecs) > 0 {
		vals := make([]lazyVal, len(s.lazyVals))
		copy(vals, s.lazyVals)
		recs := make([]lazyReason, len(s.lazyRecs))
		for i, r := range s.lazyRecs {
			end := r.start + len(r.vals)
			recs[i] = lazyReason{tp: r.tp, score: r.score, vals: vals[r.start:end:end]}
			s.lazyDst[i].Explain = &recs[i]
		}
	}
	findings := make([]jixiao.Finding, len(s.findings))
	copy(findings, s.findings)
	res := jixiao.Result{
		ProjectID:   p.ID,
		ProjectName: p.Name,
		Total:       total,
		Grade:       rs.file.Grade(total),
		RuleSet:     rs.ref,
		Indicators:  nodes,
		Findings:    findings,
	}
	if dropped > 0 {
		res.Rescale = &jixiao.Rescale{Sum: raw, Applicable: applicable}
	}
	if rs.executionRate != nil {
		n, x, err := s.roundNum(rs.executionRate, 2)
		if err != nil {
			s.fail("execution_rate: %v", oneLine(err))
			return jixiao.Result{}, s.reject(p)
		}
		if r, ok := toDecimal(n, x); ok {
			res.ExecutionRate = &r
			for _, n := range s.rateNodes {
				n.ExecutionRate = res.ExecutionRate
			}
		}
	}
	return res, nil
}

// settleFindings gives each finding its rendered message and adds the
// error findings to the project's errors.
func (s *Scorer) settleFindings() {
	all := string(s.text)
	for _, r := range s.messages {
		s.findings[r.index].Message = all[r.start:r.end]
	}
	for _, f := range s.findings {
		if f.Severity == jixiao.SeverityError {
			s.errs = append(s.errs, f.Check+": "+f.Message)
		}
	}
}

// reportEmpty adds what each group with nothing to score reports (its
// empty_finding), the outermost empty group only.
func (s *Scorer) reportEmpty(list []*node) {
	for _, n := range list {
		switch {
		case s.empty[n.idx]:
			if f := n.empty; f != nil {
				s.addFinding(f.check, f.severity, n.id, f.message, 0, n.id)
			}
		case n.kids != nil:
			s.reportEmpty(n.kids)
		}
	}
}

func yearsLabel(y rules.Years) string {
	from := y.From.Value.Trimmed()
	switch {
	case !y.To.Set:
		return from + " 年及以后"
	case y.To.Value == y.From.Value:
		return from + " 年"
	}
	return fmt.Sprintf("%s–%s 年", from, y.To.Value.Trimmed())
}

func (s *Scorer) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func (s *Scorer) reject(p *jixiao.Project) *jixiao.Rejection {
	errs := make([]string, len(s.errs))
	copy(errs, s.errs)
	return &jixiao.Rejection{ProjectID: p.ID, Errors: errs}
}

// setProject puts the project's fields into the frame and applies the
// missing-data policies.
func (s *Scorer) setProject(p *jixiao.Project) {
	f, at, used := s.f, &s.rs.at, s.rs.layout.used
	// The exact numbers of the last project are done with.
	f.arena.reset()
	clear(f.pinned)
	f.textBytes = 0
	setText := func(sl slot, v string) {
		if used[sl.idx] {
			f.text[sl.idx] = v
		}
	}
	setText(at.projectID, p.ID)
	setText(at.projectName, p.Name)
	setText(at.department, p.Department)
	f.setWhole(at.year.idx, float64(p.Year))
	f.setInput(at.budgetAdjusted.idx, p.BudgetAdjusted.Float64())
	f.setInput(at.spent.idx, p.Spent.Float64())
	f.setWhole(at.indicatorCount.idx, float64(len(p.Indicators)))
	opt := func(v, has slot, d *jixiao.Decimal) {
		x, ok := optFloat(d)
		f.setInput(v.idx, x)
		f.flag[has.idx] = ok
	}
	opt(at.budgetInitial, at.hasBudgetInitial, p.BudgetInitial)
	opt(at.fundsArrived, at.hasFundsArrived, p.FundsArrived)
	opt(at.balance, at.hasBalance, p.Balance)
	opt(at.executionRate, at.hasExecutionRate, p.ExecutionRate)
	setText(at.compliance, string(p.Compliance))
	f.flag[at.hasCompliance.idx] = p.Compliance != ""
	setText(at.implementingUnit, p.ImplementingUnit)
	setText(at.goalExpected, p.GoalExpected)
	setText(at.goalAchieved, p.GoalAchieved)
	setText(at.executionReason, p.ExecutionReason)
	for i, d := range fundAmounts(p) {
		opt(at.funds[i].value, at.funds[i].has, d)
	}

	for _, m := range s.rs.missing {
		if m.field == "actual" || fieldPresent(p, m.field) {
			continue // actual is applied per leaf
		}
		switch m.policy {
		case missingFail:
			s.fail("%s: 规则集 %s 要求填写", m.field, s.rs.ref.ID)
		case missingDefault:
			if m.def == nil {
				continue
			}
			if err := s.store(at.slotFor(m.field), m.def, true); err != nil {
				s.fail("%s: 默认值无法计算：%v", m.field, oneLine(err))
			}
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

// setLeaf puts one of the project's indicators into the frame.
func (s *Scorer) setLeaf(ind *jixiao.Indicator) error {
	f, at, used := s.f, &s.rs.at, s.rs.layout.used
	// Strings are written only where a formula reads them: each write
	// into the long-lived frame costs a GC write barrier.
	setText := func(sl slot, v string) {
		if used[sl.idx] {
			f.text[sl.idx] = v
		}
	}
	setText(at.name, ind.Name)
	setText(at.level1, ind.Level1)
	setText(at.level2, ind.Level2)
	setText(at.direction, string(ind.Direction))
	setText(at.unit, ind.Unit)
	setText(at.rating, string(ind.Rating))
	setText(at.deviationReason, ind.DeviationReason)
	setText(at.description, ind.Description)
	setText(at.deductionReason, ind.DeductionReason)
	var target, weight float64
	if ind.Target != nil {
		target = *ind.Target
	}
	if ind.Weight != nil {
		weight = ind.Weight.Float64()
	}
	f.flag[at.hasTarget.idx] = ind.Target != nil
	f.flag[at.hasActual.idx] = ind.Actual != nil
	f.flag[at.hasWeight.idx] = ind.Weight != nil
	f.setInput(at.target.idx, target)
	f.setInput(at.T.idx, target)
	f.setInput(at.weight.idx, weight)
	proposed, hasProposed := optFloat(ind.ProposedScore)
	f.setInput(at.proposedScore.idx, proposed)
	f.flag[at.hasProposedScore.idx] = hasProposed
	deduction, hasDeduction := optFloat(ind.Deduction)
	f.setInput(at.deduction.idx, deduction)
	f.flag[at.hasDeduction.idx] = hasDeduction
	if ind.Actual != nil {
		f.setInput(at.actual.idx, *ind.Actual)
	} else {
		f.setInput(at.actual.idx, 0)
		for _, m := range s.rs.missing {
			if m.field != "actual" {
				continue
			}
			switch m.policy {
			case missingFail:
				return fmt.Errorf("actual: required by rule set %s", s.rs.ref.ID)
			case missingDefault:
				if m.def != nil {
					if err := s.store(at.actual, m.def, true); err != nil {
						return fmt.Errorf("actual: default value: %v", oneLine(err))
					}
				}
			}
		}
	}
	// A = max(actual, 0)
	if x := f.pinned[at.actual.idx]; x != nil {
		if x.sign() < 0 || x.nan {
			x = f.arena.int(0)
		}
		f.setExact(at.A.idx, x)
	} else if v := f.val[at.actual.idx].v; v < 0 {
		f.setWhole(at.A.idx, 0)
	} else {
		f.setValue(at.A.idx, v, f.val[at.actual.idx].e)
	}
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
			if !sel.takesLevel1(ind.Level1) {
				continue
			}
			if sel.level2 != "" && !sameText(sel.level2, ind.Level2) {
				continue
			}
			if sel.where != nil {
				if needEnv {
					if err := s.setLeaf(ind); err != nil {
						s.fail("indicators[%d] %s: %v", i, ind.Name, err)
						break
					}
					s.f.setWhole(s.rs.at.W.idx, 0)
					needEnv = false
				}
				ok, err := s.flag(sel.where)
				if err != nil {
					s.fail("indicators[%d] %s: selecting for %s: %v", i, ind.Name, g.id, oneLine(err))
					continue
				}
				if !ok {
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

// sameText is a == b, deciding most unequal names of one length (产出指标
// and 效益指标) on their first and last bytes before comparing all of them.
func sameText(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || a[0] == b[0] && a[len(a)-1] == b[len(b)-1]) && a == b
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
	var declared jixiao.Decimal
	for _, n := range list {
		declared += s.declared[n.idx]
	}
	if total == declared {
		for _, n := range list {
			s.eff[n.idx] = s.declared[n.idx]
		}
	} else {
		s.shareInProportion(list, total)
	}
	var pool jixiao.Decimal
	liveSum := int64(0)
	for _, n := range list {
		if s.empty[n.idx] {
			switch n.ifEmpty {
			case rules.Zero:
				// keeps its points, and scores 0
			case rules.Redistribute:
				pool += s.eff[n.idx]
				s.eff[n.idx] = 0
			default: // rescale, and reject (refused after scoring)
				*dropped += s.eff[n.idx]
				s.eff[n.idx] = 0
			}
			s.zero(n)
			continue
		}
		liveSum += s.declared[n.idx].Hundredths()
	}
	if pool > 0 {
		if liveSum == 0 {
			*dropped += pool // nothing left to receive the points
		} else {
			weights := s.alloc.weights(len(list))
			for i, n := range list {
				if !s.empty[n.idx] {
					weights[i] = s.declared[n.idx].Hundredths()
				}
			}
			extra := s.alloc.allocate(pool, weights)
			for i, n := range list {
				s.eff[n.idx] += extra[i]
			}
		}
	}
	for _, n := range list {
		if !s.empty[n.idx] && n.kids != nil {
			s.distribute(n.kids, s.eff[n.idx], dropped)
		}
	}
}

// shareInProportion shares total among list by declared points, adding
// up exactly (largest remainder).
func (s *Scorer) shareInProportion(list []*node, total jixiao.Decimal) {
	weights := s.alloc.weights(len(list))
	for i, n := range list {
		weights[i] = s.declared[n.idx].Hundredths()
	}
	shares := s.alloc.allocate(total, weights)
	for i, n := range list {
		s.eff[n.idx] = shares[i]
	}
}

func (s *Scorer) zero(n *node) {
	for _, k := range n.kids {
		s.eff[k.idx] = 0
		s.zero(k)
	}
}

// valsNeeded is how many placeholder values the project's reasons can
// record at most.
func (s *Scorer) valsNeeded() int {
	n := 0
	var walk func([]*node)
	walk = func(nodes []*node) {
		for _, k := range nodes {
			switch {
			case k.cases != nil:
				n += k.maxVals
			case k.sel != nil:
				n += len(s.leaves[k.idx]) * k.sel.table.maxVals
			}
			walk(k.kids)
		}
	}
	walk(s.rs.roots)
	return n
}

// take hands out n nodes of the result's pool.
func (s *Scorer) take(n int) []jixiao.Node {
	out := s.pool[s.next : s.next+n : s.next+n]
	s.next += n
	return out
}

// scoreNode scores n and its subtree into out.
func (s *Scorer) scoreNode(n *node, p *jixiao.Project, out *jixiao.Node) {
	if s.scoresOnly {
		out.Points, out.Score, out.Children = s.eff[n.idx], 0, nil
	} else {
		*out = jixiao.Node{ID: n.id, Name: n.name, Points: s.eff[n.idx]}
	}
	switch {
	case s.empty[n.idx]:
		if s.scoresOnly {
			break
		}
		switch n.ifEmpty {
		case rules.Redistribute:
			out.Reason = fmt.Sprintf("项目无%s，%s分按比例转入同级指标", n.name, n.points.Trimmed())
		case rules.Zero:
			out.Reason = fmt.Sprintf("项目无%s，该项得 0 分", n.name)
		default:
			out.Reason = fmt.Sprintf("项目无%s，该项不参与评分，总分按适用分值折算为百分制", n.name)
		}
	case n.cases != nil:
		if n.readsRate && !s.scoresOnly {
			s.rateNodes = append(s.rateNodes, out)
		}
		s.f.setInput(s.rs.at.W.idx, out.Points.Float64())
		out.Score = s.runCases(n.cases, n.id, n.id, out.Points, out)
	case n.kids != nil:
		out.Children = s.take(len(n.kids))
		for i, k := range n.kids {
			s.scoreNode(k, p, &out.Children[i])
			out.Score += out.Children[i].Score
		}
		if !s.scoresOnly {
			out.Reason = s.pointsReason(n, out.Points)
		}
	case n.sel != nil:
		out.Children = s.scoreLeaves(n, p, out.Points)
		for _, c := range out.Children {
			out.Score += c.Score
		}
		if !s.scoresOnly {
			out.Reason = s.pointsReason(n, out.Points)
		}
	}
}

// pointsReason says why a group is worth other points than the rule
// file gives it: the unit's category_points, points of empty groups
// moved to it, or both; "" when it is worth its own.
func (s *Scorer) pointsReason(n *node, points jixiao.Decimal) string {
	declared := s.declared[n.idx]
	var unit, moved string
	if declared != n.points {
		unit = fmt.Sprintf("单位自定分值 %s 分（规则默认 %s 分，允许 %s–%s 分）", declared.Trimmed(), n.points.Trimmed(), n.unitMin.Trimmed(), n.unitMax.Trimmed())
	}
	if points != declared {
		moved = fmt.Sprintf("含空缺指标转入的分值，%s分调整为%s分", declared.Trimmed(), points.Trimmed())
	}
	if unit != "" && moved != "" {
		return unit + "；" + moved
	}
	return unit + moved
}

// scoreLeaves scores the project's indicators of one leaf group, sharing
// the group's points among them.
func (s *Scorer) scoreLeaves(g *node, p *jixiao.Project, points jixiao.Decimal) []jixiao.Node {
	idxs := s.leaves[g.idx]
	shares, err := s.leafPoints(p, idxs, points)
	if err != "" {
		s.fail("%s: %s", g.name, err)
		return nil
	}
	out := s.take(len(idxs))
	for j, i := range idxs {
		ind := &p.Indicators[i]
		id := g.leafID(j)
		if s.scoresOnly {
			// The tree is scratch: only the numbers are read.
			out[j].Points, out[j].Score = shares[j], 0
		} else {
			out[j] = jixiao.Node{ID: id, Name: ind.Name, Points: shares[j], Indicator: i + 1}
		}
		if err := s.setLeaf(ind); err != nil {
			s.fail("indicators[%d] %s: %v", i, ind.Name, err)
			continue
		}
		dir := ind.Direction
		if dir == "" {
			if dir = g.sel.direction; dir == "" {
				s.fail("indicators[%d] %s: no direction, and %s of rule set %s gives none for indicators without one", i, ind.Name, g.name, s.rs.ref.ID)
				continue
			}
			if s.rs.layout.used[s.rs.at.direction.idx] {
				s.f.text[s.rs.at.direction.idx] = string(dir)
			}
		}
		cases := g.sel.table.byDir[dirIndex(dir)]
		if cases == nil {
			s.fail("indicators[%d] %s: rule set %s has no scoring rule for direction %s in %s", i, ind.Name, s.rs.ref.ID, dir, g.sel.table.name)
			continue
		}
		s.f.setInput(s.rs.at.W.idx, shares[j].Float64())
		score := s.runCases(cases, id, ind.Name, shares[j], &out[j])
		out[j].Score = score
		if d := ind.Deduction; d != nil && *d > 0 {
			s.deduct(&out[j], score, *d, ind.DeductionReason)
		}
		s.f.setInput(s.rs.at.score.idx, score.Float64())
		for _, ch := range s.rs.leafChecks {
			if !(s.scoresOnly && ch.advisory) {
				s.runCheck(ch, id)
			}
		}
	}
	return out
}

// deduct applies a reviewer's deduction to a scored leaf: its score
// becomes max(0, score − d), and its reason, written now, says so.
func (s *Scorer) deduct(out *jixiao.Node, score, d jixiao.Decimal, why string) {
	final := max(0, score-d)
	out.Score = final
	if s.scoresOnly {
		return
	}
	var base string
	if n := len(s.lazyRecs); n > 0 && s.lazyDst[n-1] == out {
		// The leaf's reason, recorded a moment ago: written out now with
		// the deduction, and no longer recorded.
		r := s.lazyRecs[n-1]
		r.vals = s.lazyVals[r.start : r.start+len(r.vals)]
		base = r.Explain()
		s.lazyRecs, s.lazyDst = s.lazyRecs[:n-1], s.lazyDst[:n-1]
		s.lazyVals = s.lazyVals[:r.start]
	}
	out.Reason = fmt.Sprintf("%s；复核扣减 %s 分（%s），得分 = max(0, %s − %s) = %s", base, d.Trimmed(), why, score, d.Trimmed(), final)
}

// leafID names the j-th leaf of group g: "output.1".
func (g *node) leafID(j int) string {
	if j < len(g.leafIDs) {
		return g.leafIDs[j]
	}
	return leafID(g.id, j)
}

func leafID(group string, j int) string {
	var b [32]byte
	out := append(b[:0], group...)
	out = append(out, '.')
	out = strconv.AppendInt(out, int64(j+1), 10)
	return string(out)
}

// leafPoints gives each leaf its weight and shares what remains of the
// group's points equally among the leaves without one, in cents: the first
// leaves get the odd cents.
func (s *Scorer) leafPoints(p *jixiao.Project, idxs []int, points jixiao.Decimal) ([]jixiao.Decimal, string) {
	if cap(s.share) < len(idxs) {
		s.share = make([]jixiao.Decimal, len(idxs), 2*len(idxs))
	}
	shares := s.share[:len(idxs)]
	var weighted jixiao.Decimal
	unweighted := 0
	for j, i := range idxs {
		if w := p.Indicators[i].Weight; w != nil {
			shares[j] = *w
			weighted += *w
		} else {
			shares[j] = 0
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
	rest := int64(points - weighted)
	each, odd := rest/int64(unweighted), rest%int64(unweighted)
	for j, i := range idxs {
		if p.Indicators[i].Weight == nil {
			shares[j] = jixiao.Decimal(each)
			if odd > 0 {
				shares[j]++
				odd--
			}
		}
	}
	return shares, ""
}

// runCases evaluates a scoring table: the first case whose condition
// holds gives the score, rounded half-up to two places. Its reason is
// recorded for out.
func (s *Scorer) runCases(cases []*scoringCase, nodeID, label string, points jixiao.Decimal, out *jixiao.Node) jixiao.Decimal {
	for _, c := range cases {
		if c.when != nil {
			ok, err := s.flag(c.when)
			if err != nil {
				s.fail("%s: condition: %v", label, oneLine(err))
				return 0
			}
			if !ok {
				continue
			}
		}
		n, x, err := s.roundNum(c.score, 2)
		if err != nil {
			s.fail("%s: score: %v", label, oneLine(err))
			return 0
		}
		score, ok := toDecimal(n, x)
		if !ok {
			s.fail("%s: the score formula gave no number (division by zero?)", label)
			return 0
		}
		if score < 0 || score > points {
			clamped := min(max(score, 0), points)
			s.findings = append(s.findings, jixiao.Finding{Check: "score_out_of_range", Severity: jixiao.SeverityWarning, Indicator: nodeID,
				Message: fmt.Sprintf("%s：公式得分 %s 超出分值范围 0–%s，按 %s 计", label, score, points, clamped)})
			score = clamped
		}
		if c.reason != nil && !s.scoresOnly {
			rec, err := s.record(c.reason, score)
			if err != nil {
				s.fail("%s: reason: %v", label, oneLine(err))
			}
			// rec.vals may sit in a scratch array that later grows: keep
			// where they start instead.
			rec.start = len(s.lazyVals) - len(rec.vals)
			s.lazyRecs = append(s.lazyRecs, rec)
			s.lazyDst = append(s.lazyDst, out)
		}
		if c.finding != nil {
			s.addFinding(c.finding.check, c.finding.severity, nodeID, c.finding.message, score, label)
		}
		return score
	}
	return 0 // unreachable: the last case has no condition
}

// addFinding records a finding whose message is rendered from msg.
func (s *Scorer) addFinding(checkID string, sev jixiao.Severity, nodeID string, msg *template, score jixiao.Decimal, label string) {
	if msg != nil && (!s.scoresOnly || sev == jixiao.SeverityError) {
		start := len(s.text)
		var err error
		if s.text, err = msg.render(s.text, s, score); err != nil {
			if label == "" {
				label = "check " + checkID
			}
			s.fail("%s: message: %v", label, oneLine(err))
			return
		}
		s.messages = append(s.messages, textRef{index: len(s.findings), start: start, end: len(s.text)})
	}
	s.findings = append(s.findings, jixiao.Finding{Check: checkID, Severity: sev, Indicator: nodeID})
}

func (s *Scorer) runCheck(ch *check, nodeID string) {
	ok, err := s.flag(ch.when)
	if err != nil {
		s.fail("check %s: %v", ch.id, oneLine(err))
		return
	}
	if ok {
		s.addFinding(ch.id, ch.severity, nodeID, ch.message, 0, "")
	}
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
	var a allocScratch
	return append([]jixiao.Decimal(nil), a.allocate(total, weights)...)
}

// allocScratch holds Allocate's buffers for reuse.
type allocScratch struct {
	w    []int64
	out  []jixiao.Decimal
	rems []int64
}

// weights returns a zeroed weight slice of length n.
func (a *allocScratch) weights(n int) []int64 {
	if cap(a.w) < n {
		a.w = make([]int64, n)
	}
	a.w = a.w[:n]
	clear(a.w)
	return a.w
}

func (a *allocScratch) allocate(total jixiao.Decimal, weights []int64) []jixiao.Decimal {
	n := len(weights)
	if cap(a.out) < n {
		a.out, a.rems = make([]jixiao.Decimal, n), make([]int64, n)
	}
	out, rems := a.out[:n], a.rems[:n]
	clear(out)
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || total <= 0 {
		return out
	}
	t := total.Hundredths()
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
