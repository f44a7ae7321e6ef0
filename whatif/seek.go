package whatif

import (
	"fmt"
	"math"
	"strings"

	"jixiao"
	"jixiao/engine"
)

// Goal is what a goal seek aims for: a grade at least as good as Grade
// (grades are ordered by their bands), or a total of at least Total.
// Exactly one is given.
type Goal struct {
	Grade string          `json:"grade,omitempty"`
	Total *jixiao.Decimal `json:"total,omitempty"`
}

// SeekRequest asks for the smallest change of one figure of a project
// that reaches a goal.
type SeekRequest struct {
	Field     string `json:"field"`               // spent or indicator.actual
	Indicator string `json:"indicator,omitempty"` // for indicator.actual: the indicator's name (三级指标)
	Goal      Goal   `json:"goal"`
}

// SeekResult is the answer of a goal seek. From and To are the figure's
// values (yuan, or units of the indicator) to two decimals, and Change is
// To − From. When the goal is reachable, To is the value closest to From
// that reaches it, and Reached the project's outcome there. When it is
// not, To is the furthest value searched that did the most for the
// project (for spent, the adjusted budget) and Reached its outcome.
type SeekResult struct {
	Reachable bool           `json:"reachable"`
	Field     string         `json:"field"`
	Indicator string         `json:"indicator,omitempty"`
	From      jixiao.Decimal `json:"from"`
	To        jixiao.Decimal `json:"to"`
	Change    jixiao.Decimal `json:"change"`
	Baseline  Side           `json:"baseline"`
	Reached   Side           `json:"reached"`
	Message   string         `json:"message"` // in plain Chinese
}

// gridPoints is how many evenly spaced values a search scores along its
// direction before bisecting, to check that the goal, once reached, stays
// reached and that the total never falls.
const gridPoints = 64

// GoalSeek finds the smallest change of a project's spent (全年执行数) or
// of one indicator's actual value that reaches the goal under rs, to one
// cent or 0.01 of the indicator's unit.
//
// The search runs from the current value towards a bound beyond which
// the figure cannot raise the score: for spent up to the adjusted budget
// (and down to 0), for an actual value towards the indicator's target
// (up for ≥ and =, down for ≤, never below 0). In each direction it
// scores the bound, then values evenly spaced along the way, checking
// that the goal once reached stays reached and that the total never
// falls, then bisects over cents. The value found is scored again, and
// so is the value one cent closer to the current one, which must not
// reach the goal. A rule set under which the score does not move one way
// with the figure is reported as an error rather than answered wrongly.
//
// p is not changed.
func GoalSeek(rs *engine.RuleSet, p jixiao.Project, req SeekRequest) (SeekResult, error) {
	if rs == nil {
		return SeekResult{}, jixiao.Errorf(jixiao.EINVALID, "goal seek: no rule set")
	}
	s := &seeker{rs: rs, sc: rs.NewScorer().ScoresOnly(), q: p, field: req.Field, goal: req.Goal}
	if err := s.init(req); err != nil {
		return SeekResult{}, err
	}
	res := SeekResult{Field: req.Field, Indicator: req.Indicator, From: s.from}
	res.Baseline = side(s.sc, &p)
	if !res.Baseline.scored() {
		return SeekResult{}, jixiao.Errorf(jixiao.EINVALID, "goal seek: rule set %s rejects project %s: %s", rs.Ref().ID, p.ID, strings.Join(res.Baseline.Rejected, "; "))
	}

	done := func(to jixiao.Decimal, at Side, reachable bool, msg string) (SeekResult, error) {
		res.To, res.Change, res.Reached, res.Reachable, res.Message = to, to-s.from, at, reachable, msg
		return res, nil
	}
	if s.reached(res.Baseline) {
		return done(s.from, res.Baseline, true, fmt.Sprintf("当前%s，已达到目标（%s），无需调整", sideText(res.Baseline), s.goalText()))
	}
	// The current value as a candidate: it differs from the project when
	// the value is not filled in or has more than two decimals.
	if s.inexact {
		if at := s.at(s.from); s.reached(at) {
			return done(s.from, at, true, fmt.Sprintf("%s填报为 %s即可达到目标（%s）：%s", s.label, s.value(s.from), s.goalText(), sideText(at)))
		}
	}

	type outcome struct {
		found bool
		to    jixiao.Decimal
		at    Side
		bound bound
	}
	var best *outcome
	var tried []outcome
	for _, b := range s.bounds() {
		found, to, at, err := s.search(b)
		if err != nil {
			return SeekResult{}, err
		}
		o := outcome{found, to, at, b}
		if found {
			if best == nil || abs(to-s.from) < abs(best.to-s.from) {
				best = &o
			}
			continue
		}
		tried = append(tried, o)
	}
	if best != nil {
		verb, sign := "增加", "+"
		if best.to < s.from {
			verb, sign = "减少", "-"
		}
		if s.missing {
			return done(best.to, best.at, true, fmt.Sprintf("%s未填报，需填报为 %s，%s", s.label, s.value(best.to), sideText(best.at)))
		}
		return done(best.to, best.at, true, fmt.Sprintf("%s需从 %s%s到 %s（%s%s），%s",
			s.label, s.value(s.from), verb, s.value(best.to), sign, s.value(abs(best.to-s.from)), sideText(best.at)))
	}

	// Unreachable: report the bound that did the most for the project,
	// if any did more than the current value.
	var top *outcome
	for i := range tried {
		if better(tried[i].at, res.Baseline) && (top == nil || better(tried[i].at, top.at)) {
			top = &tried[i]
		}
	}
	if top == nil {
		return done(s.from, res.Baseline, false, fmt.Sprintf("%s，调整它不能再提高得分；当前%s，达不到目标（%s）",
			s.atLimitText(), sideText(res.Baseline), s.goalText()))
	}
	verb, sign := "增加", "+"
	if top.to < s.from {
		verb, sign = "减少", "-"
	}
	return done(top.to, top.at, false, fmt.Sprintf("即使%s从 %s%s到%s %s（%s%s），%s，仍达不到目标（%s）",
		s.label, s.value(s.from), verb, top.bound.name, s.value(top.to), sign, s.value(abs(top.to-s.from)), sideText(top.at), s.goalText()))
}

// seeker scores one project with one figure changed.
type seeker struct {
	rs    *engine.RuleSet
	sc    *engine.Scorer
	q     jixiao.Project // a copy of the project, with its own indicator list
	field string
	goal  Goal

	ind      int     // index of the indicator, for indicator.actual
	val      float64 // the indicator's actual value being tried
	from     jixiao.Decimal
	inexact  bool // the current value is not exactly from
	missing  bool // the indicator has no actual value; from is 0
	label    string
	unit     string
	goalRank int
	rank     map[string]int // grade → position from the top
}

// bound is one end of a search: the figure is moved from its current
// value towards at.
type bound struct {
	at   jixiao.Decimal
	name string // what the bound is, e.g. "全年预算数", for messages
}

func (s *seeker) init(req SeekRequest) error {
	g := req.Goal
	switch {
	case g.Grade != "" && g.Total != nil:
		return jixiao.Errorf(jixiao.EINVALID, "goal seek: give a grade or a total as the goal, not both")
	case g.Grade == "" && g.Total == nil:
		return jixiao.Errorf(jixiao.EINVALID, "goal seek: missing goal: give a grade or a total")
	}
	grades := gradeOrder(s.rs, s.rs)
	s.rank = make(map[string]int, len(grades))
	for i, l := range grades {
		s.rank[l] = i
	}
	if g.Grade != "" {
		r, ok := s.rank[g.Grade]
		if !ok {
			return jixiao.Errorf(jixiao.EINVALID, "goal seek: rule set %s has no grade %q; its grades are %s", s.rs.Ref().ID, g.Grade, strings.Join(grades, ", "))
		}
		s.goalRank = r
	}

	switch req.Field {
	case FieldSpent:
		if req.Indicator != "" {
			return jixiao.Errorf(jixiao.EINVALID, "goal seek: indicator %q is only for field indicator.actual", req.Indicator)
		}
		s.from = s.q.Spent
		s.label, s.unit = "全年执行数", "元"
	case FieldIndicatorActual:
		if req.Indicator == "" {
			return jixiao.Errorf(jixiao.EINVALID, "goal seek: name the indicator whose actual value to change")
		}
		s.ind = -1
		n := 0
		for j := range s.q.Indicators {
			if s.q.Indicators[j].Name == req.Indicator {
				s.ind = j
				n++
			}
		}
		switch {
		case n == 0:
			return jixiao.Errorf(jixiao.EINVALID, "goal seek: project %s has no indicator named %q", s.q.ID, req.Indicator)
		case n > 1:
			return jixiao.Errorf(jixiao.EINVALID, "goal seek: project %s has %d indicators named %q", s.q.ID, n, req.Indicator)
		}
		ind := s.q.Indicators[s.ind]
		if ind.Direction == jixiao.Qualitative {
			return jixiao.Errorf(jixiao.EINVALID, "goal seek: indicator %q is qualitative (定性): it is judged by its rating, not by an actual value", req.Indicator)
		}
		if ind.Actual != nil {
			s.from = jixiao.RoundFloat(*ind.Actual)
			s.inexact = s.from.Float64() != *ind.Actual
		} else {
			s.inexact, s.missing = true, true
		}
		// The copy gets its own indicator list, and the indicator an
		// actual value that only the seeker writes.
		s.q.Indicators = append([]jixiao.Indicator(nil), s.q.Indicators...)
		s.q.Indicators[s.ind].Actual = &s.val
		s.label, s.unit = fmt.Sprintf("「%s」实际完成值", ind.Name), ind.Unit
	default:
		return jixiao.Errorf(jixiao.EINVALID, "goal seek: field must be spent or indicator.actual, got %q", req.Field)
	}
	return nil
}

// at scores the project with the figure set to v.
func (s *seeker) at(v jixiao.Decimal) Side {
	if s.field == FieldSpent {
		s.q.Spent = v
	} else {
		s.val = v.Float64()
	}
	return side(s.sc, &s.q)
}

func (s *seeker) reached(sd Side) bool {
	if !sd.scored() {
		return false
	}
	if s.goal.Total != nil {
		return sd.Total >= *s.goal.Total
	}
	r, ok := s.rank[sd.Grade]
	return ok && r <= s.goalRank
}

// bounds returns the ends towards which the figure may be moved.
func (s *seeker) bounds() []bound {
	var out []bound
	add := func(at jixiao.Decimal, name string) {
		if at != s.from {
			out = append(out, bound{at, name})
		}
	}
	if s.field == FieldSpent {
		// Spending beyond the budget does not raise the execution score;
		// less spending never raises it under the usual rules, but a rule
		// set may reward it.
		if s.q.BudgetAdjusted > s.from {
			add(s.q.BudgetAdjusted, "全年预算数")
		}
		if s.from > 0 {
			add(0, "")
		}
		return out
	}
	ind := &s.q.Indicators[s.ind]
	if ind.Target == nil {
		return nil
	}
	// A target with more than two decimals is met from the next cent up
	// (for ≥) or down (for ≤).
	if up := cents(*ind.Target, math.Ceil); up > s.from {
		add(up, "年度指标值")
	}
	t := cents(*ind.Target, math.Floor)
	if low := max(t, 0); low < s.from {
		name := ""
		if low == t {
			name = "年度指标值"
		}
		add(low, name)
	}
	return out
}

// cents rounds f to hundredths with round (math.Ceil or math.Floor),
// after removing binary noise.
func cents(f float64, round func(float64) float64) jixiao.Decimal {
	return jixiao.Decimal(round(jixiao.RoundPlaces(f*100, 6)))
}

// search looks for the value closest to the current one, between it and
// b, that reaches the goal. It reports whether there is one; if not, to
// and at are the bound and its outcome.
func (s *seeker) search(b bound) (found bool, to jixiao.Decimal, at Side, err error) {
	dist := abs(b.at - s.from)
	step := jixiao.Decimal(1)
	if b.at < s.from {
		step = -1
	}
	pos := func(d jixiao.Decimal) jixiao.Decimal { return s.from + step*d }

	// The bound and values evenly spaced on the way to it. If the bound
	// does not reach the goal, no value on the way may; if it does, the
	// goal once reached must stay reached and the total must not fall.
	type probe struct {
		d    jixiao.Decimal
		side Side
	}
	grid := []probe{{0, s.at(s.from)}}
	for k := int64(1); k <= gridPoints; k++ {
		d := dist.MulDiv(k, gridPoints)
		if d == grid[len(grid)-1].d {
			continue
		}
		grid = append(grid, probe{d, s.at(pos(d))})
	}
	end := grid[len(grid)-1].side
	if !s.reached(end) {
		for _, g := range grid {
			if s.reached(g.side) {
				return false, 0, Side{}, s.notMonotone(pos(g.d), b.at, g.side, end)
			}
		}
		return false, b.at, end, nil
	}
	first := -1
	last := -1 // the last scored probe
	for k := range grid {
		g := &grid[k]
		if g.side.scored() {
			if last >= 0 && g.side.Total < grid[last].side.Total {
				return false, 0, Side{}, s.notMonotone(pos(grid[last].d), pos(g.d), grid[last].side, g.side)
			}
			last = k
		}
		ok := s.reached(g.side)
		if ok && first < 0 {
			first = k
		}
		if !ok && first >= 0 {
			return false, 0, Side{}, s.notMonotone(pos(grid[first].d), pos(g.d), grid[first].side, g.side)
		}
	}
	if first == 0 {
		return true, s.from, grid[0].side, nil
	}

	// Bisect over cents: lo does not reach the goal, hi does.
	lo, hi := grid[first-1], grid[first]
	for hi.d-lo.d > 1 {
		mid := probe{d: lo.d + (hi.d-lo.d)/2}
		mid.side = s.at(pos(mid.d))
		if mid.side.scored() && ((lo.side.scored() && mid.side.Total < lo.side.Total) || (hi.side.scored() && mid.side.Total > hi.side.Total)) {
			return false, 0, Side{}, s.notMonotone(pos(lo.d), pos(hi.d), lo.side, hi.side)
		}
		if s.reached(mid.side) {
			hi = mid
		} else {
			lo = mid
		}
	}

	// Verify: the value found reaches the goal, one cent less does not.
	to = pos(hi.d)
	at = s.at(to)
	if !s.reached(at) || s.reached(s.at(pos(hi.d-1))) {
		return false, 0, Side{}, jixiao.Errorf(jixiao.EINTERNAL, "goal seek: %s of project %s: the search did not settle at %s", s.field, s.q.ID, to)
	}
	return true, to, at, nil
}

func (s *seeker) notMonotone(a, b jixiao.Decimal, sa, sb Side) error {
	return jixiao.Errorf(jixiao.EINVALID,
		"goal seek: under rule set %s the score of project %s does not move one way with %s (%s: %s; %s: %s), so the smallest change cannot be searched for",
		s.rs.Ref().ID, s.q.ID, s.field, a, sideText(sa), b, sideText(sb))
}

// atLimitText says why the figure cannot move usefully.
func (s *seeker) atLimitText() string {
	if s.field == FieldSpent {
		if s.from >= s.q.BudgetAdjusted {
			return fmt.Sprintf("全年执行数 %s已达到全年预算数 %s", s.value(s.from), s.value(s.q.BudgetAdjusted))
		}
		return fmt.Sprintf("全年执行数为 %s", s.value(s.from))
	}
	ind := &s.q.Indicators[s.ind]
	if ind.Target != nil {
		return fmt.Sprintf("%s %s已达到年度指标值 %s", s.label, s.value(s.from), s.value(jixiao.RoundFloat(*ind.Target)))
	}
	return fmt.Sprintf("%s为 %s", s.label, s.value(s.from))
}

func (s *seeker) goalText() string {
	if s.goal.Total != nil {
		return "总分 " + s.goal.Total.String()
	}
	return "等级 " + s.goal.Grade
}

// value formats an amount of the figure with its unit: "447,438.63 元",
// "95.00%".
func (s *seeker) value(d jixiao.Decimal) string {
	switch s.unit {
	case "":
		return grouped(d)
	case "%", "％", "‰":
		return grouped(d) + s.unit
	}
	return grouped(d) + " " + s.unit
}

// sideText describes an outcome: "总分 90.00，等级 优".
func sideText(sd Side) string {
	if !sd.scored() {
		return "项目将被拒绝评分（" + strings.Join(sd.Rejected, "；") + "）"
	}
	return fmt.Sprintf("总分 %s，等级 %s", sd.Total, sd.Grade)
}

// better reports whether a does more for the project than b.
func better(a, b Side) bool {
	if a.scored() != b.scored() {
		return a.scored()
	}
	return a.Total > b.Total
}

func abs(d jixiao.Decimal) jixiao.Decimal {
	if d < 0 {
		return -d
	}
	return d
}

// grouped formats d with two decimals and thousands separators:
// "447,438.63", "-1,000.00".
func grouped(d jixiao.Decimal) string {
	s := abs(d).String()
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}
