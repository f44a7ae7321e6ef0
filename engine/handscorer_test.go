package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"jixiao"
	"jixiao/rules"
)

// The cn-mof-2020-self formulas written out by hand, as a reference for
// the engine's results and as the lower bound of what scoring a project
// can cost: no formulas to interpret, no reasons, no allocations.

// Groups of the project's own indicators, by level1.
const (
	handOutput = iota
	handBenefit
	handSatisfaction
	handGroups
)

// Points in hundredths. The four indicators add up to 100, so sharing the
// total among them by points gives each exactly its points.
const (
	handTotalPoints = 10000
	handExecPoints  = 1000
)

var handGroupPoints = [handGroups]jixiao.Decimal{5000, 3000, 1000}

// handGroupOf returns the group of a level1, or -1.
func handGroupOf(level1 string) int {
	switch level1 {
	case "产出指标":
		return handOutput
	case "效益指标":
		return handBenefit
	case "满意度指标":
		return handSatisfaction
	}
	return -1
}

// handResult is a hand-scored project. Leaves and LeafPoints are indexed
// like the project's indicators and share the scorer's buffers: they are
// valid until the next project is scored.
type handResult struct {
	Rejected    string // why the project cannot be scored; "" when scored
	Total       jixiao.Decimal
	Grade       string
	Rate        jixiao.Decimal // execution rate, percent
	Exec        jixiao.Decimal
	GroupScore  [handGroups]jixiao.Decimal
	GroupPoints [handGroups]jixiao.Decimal
	Empty       [handGroups]bool
	Leaves      []jixiao.Decimal
	LeafPoints  []jixiao.Decimal
}

// handScorer reuses its buffers between projects; one per goroutine.
type handScorer struct {
	leaves []jixiao.Decimal
	points []jixiao.Decimal
	group  []int8
}

func (h *handScorer) score(p *jixiao.Project) handResult {
	var r handResult
	// The error checks of the rule file, and the years it covers.
	switch {
	case p.Year < 2020:
		r.Rejected = "year"
		return r
	case p.BudgetAdjusted < 0, p.BudgetInitial != nil && *p.BudgetInitial < 0:
		r.Rejected = "negative_budget"
		return r
	case p.Spent < 0:
		r.Rejected = "negative_spent"
		return r
	case p.FundsArrived != nil && *p.FundsArrived < 0, p.Balance != nil && *p.Balance < 0:
		r.Rejected = "negative_funds"
		return r
	}

	// 预算执行率: the rate is rounded to 0.01%, and 10 points × rate/100 is
	// rate/10 in hundredths, rounded half-up.
	if p.BudgetAdjusted > 0 {
		r.Rate = jixiao.RoundFloat(p.Spent.Float64() / p.BudgetAdjusted.Float64() * 100)
		r.Exec = (min(r.Rate, 10000)*handExecPoints + 5000) / 10000
	}

	n := len(p.Indicators)
	if cap(h.leaves) < n {
		h.leaves = make([]jixiao.Decimal, n, 2*n)
		h.points = make([]jixiao.Decimal, n, 2*n)
		h.group = make([]int8, n, 2*n)
	}
	leaves, points, group := h.leaves[:n], h.points[:n], h.group[:n]

	// First pass: which group each indicator belongs to, and the weights.
	var count, unweighted [handGroups]int64
	var weighted [handGroups]jixiao.Decimal
	for i := range p.Indicators {
		ind := &p.Indicators[i]
		g := handGroupOf(ind.Level1)
		if g < 0 {
			r.Rejected = "unassigned"
			return r
		}
		if ind.Direction == jixiao.AtLeast && ind.Target != nil && *ind.Target < 0 {
			r.Rejected = "negative_target"
			return r
		}
		group[i] = int8(g)
		count[g]++
		if ind.Weight != nil {
			weighted[g] += *ind.Weight
		} else {
			unweighted[g]++
		}
	}

	// Each group's points: the weights, and the rest shared equally in
	// cents among the indicators without one, the odd cents to the first.
	var share, odd [handGroups]jixiao.Decimal
	applicable := jixiao.Decimal(handTotalPoints)
	for g := range handGroups {
		pts := handGroupPoints[g]
		if count[g] == 0 {
			r.Empty[g] = true
			applicable -= pts
			continue
		}
		r.GroupPoints[g] = pts
		w, u := weighted[g], unweighted[g]
		switch {
		case w > pts, u == 0 && w != pts, u > 0 && w == pts && w > 0:
			r.Rejected = "weights"
			return r
		case u > 0:
			rest := pts - w
			share[g] = rest / jixiao.Decimal(u)
			odd[g] = rest % jixiao.Decimal(u)
		}
	}

	// A project without 产出指标 is refused, and so is one with fewer
	// than 60 applicable points.
	if r.Empty[handOutput] {
		r.Rejected = "incomplete_targets"
		return r
	}
	if applicable < 6000 {
		r.Rejected = "min_applicable"
		return r
	}

	// Second pass: score each indicator.
	raw := r.Exec
	for i := range p.Indicators {
		ind := &p.Indicators[i]
		g := group[i]
		var w jixiao.Decimal
		if ind.Weight != nil {
			w = *ind.Weight
		} else {
			w = share[g]
			if odd[g] > 0 {
				w++
				odd[g]--
			}
		}
		s, ok := handLeaf(ind, w)
		if !ok {
			r.Rejected = "direction"
			return r
		}
		points[i] = w
		leaves[i] = s
		r.GroupScore[g] += s
		raw += s
	}
	r.Leaves, r.LeafPoints = leaves, points

	// Empty groups drop out; the rest is rescaled to 100, half-up.
	r.Total = raw
	if applicable < handTotalPoints {
		r.Total = (raw*handTotalPoints + applicable/2) / applicable
	}
	r.Grade = handGrade(r.Total)
	return r
}

// handLeaf scores one indicator worth w. The ratio formulas are computed
// in float64 exactly as the rule file writes them, so that the rounding
// agrees to the cent.
func handLeaf(ind *jixiao.Indicator, w jixiao.Decimal) (jixiao.Decimal, bool) {
	if ind.Direction == jixiao.Qualitative {
		switch ind.Rating {
		case jixiao.Achieved:
			return w, true
		case jixiao.PartiallyAchieved:
			return (w*7 + 5) / 10, true
		}
		return (w*3 + 5) / 10, true
	}
	var t float64
	if ind.Target != nil {
		t = *ind.Target
	}
	var a float64
	if ind.Actual != nil {
		a = max(*ind.Actual, 0)
	}
	switch ind.Direction {
	case jixiao.AtLeast:
		switch {
		case ind.Actual == nil:
			return 0, true
		case a >= t || t <= 0:
			return w, true
		}
		return jixiao.RoundFloat(w.Float64() * a / t), true
	case jixiao.Exactly:
		switch {
		case ind.Actual == nil:
			return 0, true
		case t == 0 && a <= 0:
			return w, true
		case t == 0:
			return 0, true
		case a >= t || t < 0:
			return w, true
		}
		return jixiao.RoundFloat(w.Float64() * a / t), true
	case jixiao.AtMost:
		switch {
		case ind.Actual == nil:
			return 0, true
		case t <= 0 && a <= 0:
			return w, true
		case t <= 0:
			return 0, true
		case a <= t:
			return w, true
		case a >= 2*t:
			return 0, true
		}
		return jixiao.RoundFloat(w.Float64() * (1 - (a-t)/t)), true
	}
	return 0, false
}

func handGrade(total jixiao.Decimal) string {
	switch {
	case total >= 9000:
		return "优"
	case total >= 8000:
		return "良"
	case total >= 6000:
		return "中"
	}
	return "差"
}

// projectGen makes random but plausible projects, deterministically from
// its seed: money with cents, 1–12 indicators over the three groups with
// some groups left out, all four directions, missing actual values,
// targets of 0 or below, actual values on both sides of the target, and
// now and then weights set by the unit.
type projectGen struct {
	r *rand.Rand
}

func newProjectGen(seed uint64) *projectGen {
	return &projectGen{r: rand.New(rand.NewPCG(seed, 0x6a697869616f))}
}

var (
	genDepartments = []string{"市住房公积金管理中心", "市教育局", "市卫生健康委员会", "市农业农村局", "市交通运输局", "市民政局", "市生态环境局"}
	genProjects    = []string{"短信费用项目", "信息系统运维项目", "农村公路养护项目", "学校校舍维修项目", "基层医疗设备购置项目", "养老服务补贴项目", "河道保洁项目", "人才培训项目"}
	genLevel2      = [handGroups][]string{
		{"数量指标", "质量指标", "时效指标", "成本指标"},
		{"社会效益指标", "经济效益指标", "生态效益指标", "可持续影响指标"},
		{"服务对象满意度指标"},
	}
	genNames = [handGroups][]string{
		{"培训人次", "设备购置数量", "道路养护里程", "系统可用率", "验收合格率", "按期完成率", "故障响应时间", "单位成本", "投诉件数"},
		{"群众办事便捷度提升", "带动就业人数", "水质达标率", "服务覆盖率", "长效管护机制", "减少群众跑腿次数"},
		{"服务对象满意度", "群众满意度", "受益学生满意度"},
	}
	genUnits   = []string{"人次", "台", "公里", "%", "天", "小时", "元", "件", "个"}
	genRatings = []jixiao.Rating{jixiao.Achieved, jixiao.Achieved, jixiao.Achieved, jixiao.PartiallyAchieved, jixiao.NotAchieved}
)

func genPick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// yuan returns an amount in [lo, hi) yuan with cents.
func (g *projectGen) yuan(lo, hi int64) jixiao.Decimal {
	return jixiao.Cents(lo*100 + g.r.Int64N((hi-lo)*100))
}

// project returns the n-th project with leaves indicators, or 1–12 when
// leaves is 0.
func (g *projectGen) project(n, leaves int) jixiao.Project {
	r := g.r
	p := jixiao.Project{
		ID:         fmt.Sprintf("P%06d", n),
		Name:       genPick(r, genProjects),
		Department: genPick(r, genDepartments),
		Year:       2020 + r.IntN(6),
	}

	// Money.
	switch x := r.IntN(100); {
	case x < 2:
		p.BudgetAdjusted = 0
	case x < 30:
		p.BudgetAdjusted = jixiao.Points(1000 * (1 + r.Int64N(3000))) // round thousands
	default:
		p.BudgetAdjusted = g.yuan(1000, 5_000_000)
	}
	switch x := r.IntN(100); {
	case p.BudgetAdjusted == 0:
		if x < 50 {
			p.Spent = g.yuan(0, 1000)
		}
	case x < 30:
		p.Spent = p.BudgetAdjusted
	case x < 35:
		p.Spent = p.BudgetAdjusted + g.yuan(0, 5000) // overspent
	default:
		p.Spent = p.BudgetAdjusted.MulDiv(400+r.Int64N(600), 1000) - jixiao.Cents(r.Int64N(100))
		p.Spent = max(p.Spent, 0)
	}
	if r.IntN(100) < 60 {
		b := p.BudgetAdjusted
		if r.IntN(2) == 0 {
			b = b.MulDiv(800+r.Int64N(400), 1000)
		}
		p.BudgetInitial = &b
	}
	if r.IntN(100) < 60 {
		f := p.BudgetAdjusted
		if r.IntN(10) == 0 {
			f = f.MulDiv(900+r.Int64N(200), 1000)
		}
		p.FundsArrived = &f
	}
	if r.IntN(100) < 40 {
		b := max(p.BudgetAdjusted-p.Spent, 0)
		if r.IntN(5) == 0 {
			b += g.yuan(0, 500)
		}
		p.Balance = &b
	}
	if r.IntN(100) < 50 && p.BudgetAdjusted > 0 {
		rate := jixiao.RoundFloat(p.Spent.Float64() / p.BudgetAdjusted.Float64() * 100)
		if r.IntN(5) == 0 {
			rate += jixiao.Cents(r.Int64N(200) - 100)
		}
		p.ExecutionRate = &rate
	}
	if r.IntN(2) == 0 {
		p.Compliance = jixiao.Achieved
	}

	// Which groups the project has.
	allowed := [handGroups]bool{true, true, true}
	switch x := r.IntN(100); {
	case x < 15:
		allowed[r.IntN(handGroups)] = false
	case x < 20:
		keep := r.IntN(handGroups)
		for k := range allowed {
			allowed[k] = k == keep
		}
	}
	if leaves == 0 {
		leaves = 1 + r.IntN(12)
	}
	p.Indicators = make([]jixiao.Indicator, leaves)
	for i := range p.Indicators {
		var grp int
		for {
			// 产出 : 效益 : 满意度 = 5 : 3 : 2
			switch x := r.IntN(10); {
			case x < 5:
				grp = handOutput
			case x < 8:
				grp = handBenefit
			default:
				grp = handSatisfaction
			}
			if allowed[grp] {
				break
			}
		}
		p.Indicators[i] = g.indicator(grp)
	}
	if r.IntN(100) < 12 {
		g.weights(&p, r.IntN(handGroups))
	}
	return p
}

func (g *projectGen) indicator(grp int) jixiao.Indicator {
	r := g.r
	ind := jixiao.Indicator{
		Level1: [handGroups]string{"产出指标", "效益指标", "满意度指标"}[grp],
		Level2: genPick(r, genLevel2[grp]),
		Name:   genPick(r, genNames[grp]),
	}
	x := r.IntN(100)
	switch {
	case grp == handSatisfaction && x < 80, grp != handSatisfaction && x < 50:
		ind.Direction = jixiao.AtLeast
	case grp == handSatisfaction:
		ind.Direction = jixiao.Qualitative
	case x < 65:
		ind.Direction = jixiao.AtMost
	case x < 75:
		ind.Direction = jixiao.Exactly
	default:
		ind.Direction = jixiao.Qualitative
	}
	if ind.Direction == jixiao.Qualitative {
		ind.Rating = genPick(r, genRatings)
		return ind
	}

	var t float64
	switch x := r.IntN(100); {
	case x < 5:
		t = 0
	case x < 8:
		t = -float64(1 + r.IntN(20))
		if r.IntN(2) == 0 {
			t /= 4
		}
	case x < 40 || grp == handSatisfaction:
		t = genPick(r, []float64{80, 85, 90, 95, 98, 98.5, 99.9, 100})
		ind.Unit = "%"
	case x < 75:
		t = float64(1 + r.IntN(5000))
		ind.Unit = genPick(r, genUnits)
	default:
		t = float64(1+r.Int64N(10_000_000)) / 100
		ind.Unit = "元"
	}
	ind.Target = &t

	var a float64
	switch x := r.IntN(100); {
	case x < 5:
		return ind // no actual value
	case t == 0 && x < 60:
		a = 0
	case t == 0:
		a = float64(r.IntN(1000)) / 10
	case x < 35:
		a = t
	case x < 65:
		a = t * (1 + 1.5*r.Float64())
	case x < 96:
		a = t * (0.3 + 0.7*r.Float64())
	default:
		a = -float64(r.IntN(500)) / 100
	}
	if r.IntN(2) == 0 {
		a = math.Round(a)
	} else {
		a = math.Round(a*100) / 100
	}
	ind.Actual = &a
	if a != t && r.IntN(3) == 0 {
		ind.DeviationReason = "受疫情及天气影响，部分工作延后"
	}
	return ind
}

// weights gives the indicators of group grp weights that are valid: all
// of them adding up to the group's points, or some of them adding up to
// less.
func (g *projectGen) weights(p *jixiao.Project, grp int) {
	r := g.r
	var idx []int
	for i := range p.Indicators {
		if handGroupOf(p.Indicators[i].Level1) == grp {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	pts := int64(handGroupPoints[grp])
	if r.IntN(2) == 0 {
		// All weighted: cut the points at len(idx)−1 random places.
		left := pts
		for k, i := range idx {
			var w int64
			if k == len(idx)-1 {
				w = left
			} else {
				w = r.Int64N(left/int64(len(idx)-k)*2 + 1)
				w = min(w, left)
				if r.IntN(2) == 0 {
					w -= w % 100 // whole points, as units usually set them
				}
			}
			left -= w
			d := jixiao.Cents(w)
			p.Indicators[i].Weight = &d
		}
		return
	}
	// Some weighted, leaving points for the others.
	if len(idx) < 2 {
		return
	}
	for _, i := range idx[:1+r.IntN(len(idx)-1)] {
		d := jixiao.Cents(1 + r.Int64N(pts/int64(len(idx)+1)))
		p.Indicators[i].Weight = &d
	}
}

// genProjectList returns count projects with leaves indicators each (1–12
// when leaves is 0).
func genProjectList(seed uint64, count, leaves int) []jixiao.Project {
	g := newProjectGen(seed)
	out := make([]jixiao.Project, count)
	for i := range out {
		out[i] = g.project(i, leaves)
	}
	return out
}

func handLoadMOF(tb testing.TB) *RuleSet {
	tb.Helper()
	src, ok := rules.BuiltinByID("cn-mof-2020-self")
	if !ok {
		tb.Fatal("no built-in rule set cn-mof-2020-self")
	}
	rs, err := Load(src.Path, src.Data)
	if err != nil {
		tb.Fatalf("loading %s: %v", src.Path, err)
	}
	return rs
}

// handCompare lists the differences between the engine's outcome and the
// hand scorer's.
func handCompare(p *jixiao.Project, res *jixiao.Result, rej *jixiao.Rejection, h *handResult) []string {
	var diffs []string
	switch {
	case rej != nil && h.Rejected == "":
		return []string{"engine rejected, hand scorer scored: " + strings.Join(rej.Errors, "; ")}
	case rej == nil && h.Rejected != "":
		return []string{"engine scored, hand scorer rejected: " + h.Rejected}
	case rej != nil:
		return nil
	}
	if res.Total != h.Total {
		diffs = append(diffs, fmt.Sprintf("total: engine %s, hand %s", res.Total, h.Total))
	}
	if res.Grade != h.Grade {
		diffs = append(diffs, fmt.Sprintf("grade: engine %s, hand %s", res.Grade, h.Grade))
	}
	if len(res.Indicators) != 1+handGroups {
		return append(diffs, fmt.Sprintf("engine has %d top-level indicators, want %d", len(res.Indicators), 1+handGroups))
	}
	if ex := res.Indicators[0]; ex.Score != h.Exec {
		diffs = append(diffs, fmt.Sprintf("%s: engine %s, hand %s", ex.ID, ex.Score, h.Exec))
	}
	for g := range handGroups {
		node := &res.Indicators[1+g]
		if node.Score != h.GroupScore[g] || node.Points != h.GroupPoints[g] {
			diffs = append(diffs, fmt.Sprintf("%s: engine %s of %s, hand %s of %s", node.ID, node.Score, node.Points, h.GroupScore[g], h.GroupPoints[g]))
		}
		k := 0
		for i := range p.Indicators {
			if handGroupOf(p.Indicators[i].Level1) != g {
				continue
			}
			if k >= len(node.Children) {
				diffs = append(diffs, fmt.Sprintf("%s: engine has no leaf for indicators[%d]", node.ID, i))
				break
			}
			leaf := &node.Children[k]
			if leaf.Score != h.Leaves[i] || leaf.Points != h.LeafPoints[i] {
				diffs = append(diffs, fmt.Sprintf("%s (indicators[%d]): engine %s of %s, hand %s of %s; reason: %s",
					leaf.ID, i, leaf.Score, leaf.Points, h.Leaves[i], h.LeafPoints[i], leaf.ReasonText()))
			}
			k++
		}
		if k != len(node.Children) {
			diffs = append(diffs, fmt.Sprintf("%s: engine has %d leaves, hand %d", node.ID, len(node.Children), k))
		}
	}
	return diffs
}

func TestHandScorerAgreesWithEngine(t *testing.T) {
	const count = 10000
	rs := handLoadMOF(t)
	sc := rs.NewScorer()
	var h handScorer
	gen := newProjectGen(20240601)

	// How often the generator reaches each branch of the formulas, so that
	// agreement means something.
	cover := map[string]int{}
	mismatches := 0
	for n := range count {
		p := gen.project(n, 0)
		res, rej := sc.Score(&p)
		hr := h.score(&p)
		handCover(cover, &p, &hr)
		diffs := handCompare(&p, &res, rej, &hr)
		if len(diffs) == 0 {
			continue
		}
		mismatches++
		if mismatches <= 5 {
			pj, _ := json.MarshalIndent(p, "", "  ")
			var ej []byte
			if rej != nil {
				ej, _ = json.MarshalIndent(rej, "", "  ")
			} else {
				ej, _ = json.MarshalIndent(res, "", "  ")
			}
			hj, _ := json.MarshalIndent(hr, "", "  ")
			t.Errorf("project %s: engine and hand scorer disagree:\n  %s\nproject:\n%s\nengine:\n%s\nhand:\n%s",
				p.ID, strings.Join(diffs, "\n  "), pj, ej, hj)
		}
	}
	if mismatches > 0 {
		t.Fatalf("%d of %d projects disagree", mismatches, count)
	}
	t.Logf("coverage over %d projects: %v", count, cover)
	for _, k := range []string{
		">= partial", ">= full", ">= T<=0", "= T=0 full", "= T=0 zero", "= T<0", "= partial",
		"<= T<=0 full", "<= T<=0 zero", "<= full", "<= zero", "<= partial",
		"达成", "部分达成", "未达成", "missing actual", "negative actual",
		"empty group", "rescaled", "weighted", "odd cents", "budget 0", "rate over 100",
		"优", "良", "中", "差",
	} {
		if cover[k] == 0 {
			t.Errorf("the generator never reached %q", k)
		}
	}
}

// handCover counts the branches a scored project goes through.
func handCover(cover map[string]int, p *jixiao.Project, h *handResult) {
	if h.Rejected != "" {
		cover["rejected "+h.Rejected]++
		return
	}
	cover[h.Grade]++
	if p.BudgetAdjusted == 0 {
		cover["budget 0"]++
	} else if h.Rate > 10000 {
		cover["rate over 100"]++
	}
	for g := range handGroups {
		if h.Empty[g] {
			cover["empty group"]++
		}
	}
	if h.Total != h.Exec+h.GroupScore[0]+h.GroupScore[1]+h.GroupScore[2] {
		cover["rescaled"]++
	}
	for i := range p.Indicators {
		ind := &p.Indicators[i]
		if ind.Weight != nil {
			cover["weighted"]++
		} else if h.LeafPoints[i]%100 != 0 && h.LeafPoints[i]%100 != 50 {
			cover["odd cents"]++
		}
		if ind.Direction == jixiao.Qualitative {
			cover[string(ind.Rating)]++
			continue
		}
		if ind.Actual == nil {
			cover["missing actual"]++
			continue
		}
		a, t := max(*ind.Actual, 0), *ind.Target
		if *ind.Actual < 0 {
			cover["negative actual"]++
		}
		switch ind.Direction {
		case jixiao.AtLeast:
			switch {
			case t <= 0:
				cover[">= T<=0"]++
			case a >= t:
				cover[">= full"]++
			default:
				cover[">= partial"]++
			}
		case jixiao.Exactly:
			switch {
			case t == 0 && a <= 0:
				cover["= T=0 full"]++
			case t == 0:
				cover["= T=0 zero"]++
			case t < 0:
				cover["= T<0"]++
			case a >= t:
				cover["= full"]++
			default:
				cover["= partial"]++
			}
		case jixiao.AtMost:
			switch {
			case t <= 0 && a <= 0:
				cover["<= T<=0 full"]++
			case t <= 0:
				cover["<= T<=0 zero"]++
			case a <= t:
				cover["<= full"]++
			case a >= 2*t:
				cover["<= zero"]++
			default:
				cover["<= partial"]++
			}
		}
	}
}

// The examples of the rule file's own tests, scored by hand.
func TestHandScorerExamples(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	mkLeaf := func(level1, dir string, target, actual float64) jixiao.Indicator {
		return jixiao.Indicator{Level1: level1, Name: level1, Direction: jixiao.Direction(dir), Target: f(target), Actual: f(actual)}
	}
	mkQual := func(level1 string, r jixiao.Rating) jixiao.Indicator {
		return jixiao.Indicator{Level1: level1, Name: level1, Direction: jixiao.Qualitative, Rating: r}
	}
	cases := []struct {
		p     jixiao.Project
		total jixiao.Decimal
		grade string
	}{
		{jixiao.Project{Year: 2024, BudgetAdjusted: jixiao.Points(100000), Spent: jixiao.Points(100000), Indicators: []jixiao.Indicator{
			mkLeaf("产出指标", ">=", 10, 10), mkQual("效益指标", jixiao.Achieved), mkLeaf("满意度指标", ">=", 90, 95)}}, 10000, "优"},
		{jixiao.Project{Year: 2024, BudgetAdjusted: jixiao.Points(490000), Spent: jixiao.Cents(44743863), Indicators: []jixiao.Indicator{
			mkLeaf("产出指标", ">=", 10, 8), mkQual("效益指标", jixiao.PartiallyAchieved), mkLeaf("满意度指标", ">=", 90, 90)}}, 8013, "良"},
		{jixiao.Project{Year: 2024, BudgetAdjusted: jixiao.Points(100), Spent: jixiao.Points(100), Indicators: []jixiao.Indicator{
			mkLeaf("产出指标", ">=", 1, 1), mkLeaf("产出指标", ">=", 1, 1), mkLeaf("产出指标", ">=", 2, 1),
			mkQual("效益指标", jixiao.Achieved), mkQual("满意度指标", jixiao.Achieved)}}, 9167, "优"},
		{jixiao.Project{Year: 2024, BudgetAdjusted: jixiao.Points(100), Spent: jixiao.Points(100), Indicators: []jixiao.Indicator{
			mkLeaf("产出指标", ">=", 10, 5), mkLeaf("满意度指标", ">=", 90, 90)}}, 6429, "中"},
	}
	var h handScorer
	for i, c := range cases {
		r := h.score(&c.p)
		if r.Rejected != "" || r.Total != c.total || r.Grade != c.grade {
			t.Errorf("example %d: %s %s (rejected %q), want %s %s", i+1, r.Total, r.Grade, r.Rejected, c.total, c.grade)
		}
	}
	r := h.score(&cases[2].p)
	if got := fmt.Sprint(r.LeafPoints[:3]); got != "[16.67 16.67 16.66]" {
		t.Errorf("50 points in three: %s", got)
	}
}

func TestHandScorerDoesNotAllocate(t *testing.T) {
	projects := genProjectList(7, 64, 0)
	var h handScorer
	h.score(&projects[0])
	allocs := testing.AllocsPerRun(100, func() {
		for i := range projects {
			handSink = h.score(&projects[i])
		}
	})
	if allocs != 0 {
		t.Errorf("hand scorer allocates %v times per %d projects", allocs, len(projects))
	}
}

var handSink handResult
