// Package bench measures the service as it runs: official batches scored
// and stored through evaluation.Service on an SQLite file, single-project
// scoring over HTTP at a fixed arrival rate, and the memory of large
// batches. See README.md for how to run each measurement.
package bench

import (
	"fmt"
	"math"
	"math/rand/v2"

	"jixiao"
)

// Gen makes plausible self-evaluated projects for the cn-mof-2020-self
// rule set, deterministically from its seed: money with cents, 3–12
// indicators of their own over 产出/效益/满意度 (now and then without
// 满意度 or 效益, which the rules rescale), all four directions, missing
// actual values, deviation reasons, stated balances and execution rates
// (sometimes inconsistent, which the rules warn about), and in some
// projects weights set by the unit. Every project it makes can be scored:
// a batch of them has no rejections, so counts are exact.
type Gen struct {
	r *rand.Rand
}

// NewGen returns a generator; equal seeds give equal projects.
func NewGen(seed uint64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, 0x6a697869616f))}
}

var (
	departments = []string{
		"市教育局", "市卫生健康委员会", "市农业农村局", "市交通运输局", "市民政局", "市生态环境局",
		"市住房和城乡建设局", "市水利局", "市人力资源和社会保障局", "市文化广电旅游局", "市住房公积金管理中心", "市市场监督管理局",
	}
	projectNames = []string{
		"农村公路养护项目", "学校校舍维修改造项目", "基层医疗卫生机构设备购置项目", "城乡居民养老服务补贴项目",
		"河道保洁及水环境治理项目", "高素质农民培训项目", "老旧小区改造项目", "政务信息系统运维项目",
		"城乡低保资金", "义务教育营养改善计划", "公共文化服务体系建设项目", "食品安全抽检项目",
	}
	groups  = [3]string{"产出指标", "效益指标", "满意度指标"}
	points  = [3]int64{50, 30, 10} // each group's points under cn-mof-2020-self
	level2s = [3][]string{
		{"数量指标", "质量指标", "时效指标", "成本指标"},
		{"社会效益指标", "经济效益指标", "生态效益指标", "可持续影响指标"},
		{"服务对象满意度指标"},
	}
	indicatorNames = [3][]string{
		{"培训人次", "设备购置数量", "道路养护里程", "系统可用率", "工程验收合格率", "项目按期完成率", "故障响应时间", "单位养护成本", "抽检批次", "改造户数"},
		{"群众办事便捷度提升", "带动就业人数", "水质达标率", "服务覆盖率", "长效管护机制健全性", "减少群众跑腿次数", "受益人口数"},
		{"服务对象满意度", "群众满意度", "受益学生满意度", "患者满意度"},
	}
	units   = []string{"人次", "台", "公里", "%", "天", "小时", "元", "批次", "户", "个"}
	ratings = []jixiao.Rating{jixiao.Achieved, jixiao.Achieved, jixiao.Achieved, jixiao.PartiallyAchieved, jixiao.NotAchieved}
	reasons = []string{
		"受汛期影响，部分路段养护延后至次年一季度完成",
		"设备招标流标一次，重新采购导致进度滞后",
		"实际参训人数超出计划，按实际需求增加培训班次",
		"部分资金于年末到位，尚未形成支出",
	}
)

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// yuan is an amount in [lo, hi) yuan, with cents.
func (g *Gen) yuan(lo, hi int64) jixiao.Decimal {
	return jixiao.Cents(lo*100 + g.r.Int64N((hi-lo)*100))
}

// ProjectID is the id of the n-th project: unique across years, so that a
// selection by ids names exactly one project.
func ProjectID(n int) string { return fmt.Sprintf("B%08d", n) }

// Project returns the n-th project (n only sets its id; the content comes
// from the generator's state).
func (g *Gen) Project(num int) jixiao.Project {
	r := g.r
	p := jixiao.Project{
		ID:         ProjectID(num),
		Name:       pick(r, projectNames),
		Department: pick(r, departments),
		Year:       2021 + r.IntN(5),
	}

	// Money: round thousands or amounts with cents; mostly under-spent.
	if r.IntN(100) < 30 {
		p.BudgetAdjusted = jixiao.Points(1000 * (10 + r.Int64N(3000)))
	} else {
		p.BudgetAdjusted = g.yuan(10_000, 5_000_000)
	}
	switch x := r.IntN(100); {
	case x < 30:
		p.Spent = p.BudgetAdjusted
	case x < 33:
		p.Spent = p.BudgetAdjusted + g.yuan(0, 5000) // over-spent
	default:
		p.Spent = p.BudgetAdjusted.MulDiv(600+r.Int64N(400), 1000) - jixiao.Cents(r.Int64N(100))
		p.Spent = max(p.Spent, 0)
	}
	if r.IntN(100) < 70 {
		b := p.BudgetAdjusted
		if r.IntN(3) == 0 {
			b = b.MulDiv(800+r.Int64N(300), 1000)
		}
		p.BudgetInitial = &b
	}
	if r.IntN(100) < 60 {
		f := p.BudgetAdjusted
		if r.IntN(10) == 0 {
			f = f.MulDiv(900+r.Int64N(100), 1000)
		}
		p.FundsArrived = &f
	}
	if r.IntN(100) < 50 {
		b := max(p.BudgetAdjusted-p.Spent, 0)
		if r.IntN(6) == 0 {
			b += g.yuan(0, 1000)
		}
		p.Balance = &b
	}
	if r.IntN(100) < 50 {
		rate := jixiao.RoundFloat(p.Spent.Float64() / p.BudgetAdjusted.Float64() * 100)
		if r.IntN(8) == 0 {
			rate += jixiao.Cents(r.Int64N(200) - 100)
		}
		p.ExecutionRate = &rate
	}
	if r.IntN(3) > 0 {
		p.Compliance = jixiao.Achieved
	} else {
		p.Compliance = pick(r, []jixiao.Rating{jixiao.PartiallyAchieved, jixiao.NotAchieved})
	}

	// 3–12 indicators: at least one 产出; 效益 and 满意度 usually present.
	n := 3 + r.IntN(10)
	has := [3]bool{true, r.IntN(100) < 92, r.IntN(100) < 88}
	p.Indicators = make([]jixiao.Indicator, 0, n)
	p.Indicators = append(p.Indicators, g.indicator(0))
	if has[1] {
		p.Indicators = append(p.Indicators, g.indicator(1))
	}
	if has[2] {
		p.Indicators = append(p.Indicators, g.indicator(2))
	}
	for len(p.Indicators) < n {
		var grp int
		switch x := r.IntN(10); {
		case x < 6:
			grp = 0
		case x < 9:
			grp = 1
		default:
			grp = 2
		}
		if !has[grp] {
			grp = 0
		}
		p.Indicators = append(p.Indicators, g.indicator(grp))
	}
	if r.IntN(100) < 10 {
		g.weigh(&p, r.IntN(2)) // 产出 or 效益
	}
	return p
}

func (g *Gen) indicator(grp int) jixiao.Indicator {
	r := g.r
	ind := jixiao.Indicator{Level1: groups[grp], Level2: pick(r, level2s[grp]), Name: pick(r, indicatorNames[grp])}
	x := r.IntN(100)
	switch {
	case grp == 2 && x < 85, grp != 2 && x < 55:
		ind.Direction = jixiao.AtLeast
	case grp == 2:
		ind.Direction = jixiao.Qualitative
	case x < 70:
		ind.Direction = jixiao.AtMost
	case x < 78:
		ind.Direction = jixiao.Exactly
	default:
		ind.Direction = jixiao.Qualitative
	}
	if ind.Direction == jixiao.Qualitative {
		ind.Rating = pick(r, ratings)
		return ind
	}

	var t float64
	switch x := r.IntN(100); {
	case x < 40 || grp == 2:
		t = pick(r, []float64{80, 85, 90, 95, 98, 99.5, 100})
		ind.Unit = "%"
	case x < 80:
		t = float64(1 + r.IntN(5000))
		ind.Unit = pick(r, units)
	default:
		t = float64(1+r.Int64N(10_000_000)) / 100
		ind.Unit = "元"
	}
	ind.Target = &t

	var a float64
	switch x := r.IntN(100); {
	case x < 4:
		return ind // not reported
	case x < 40:
		a = t
	case x < 65:
		a = t * (1 + 0.5*r.Float64())
	default:
		a = t * (0.4 + 0.6*r.Float64())
	}
	a = math.Round(a*100) / 100
	ind.Actual = &a
	if a != t && r.IntN(3) == 0 {
		ind.DeviationReason = pick(r, reasons)
	}
	return ind
}

// weigh gives every indicator of group grp a weight in whole points, the
// weights adding up to the group's points, as a unit that sets its own
// weights does.
func (g *Gen) weigh(p *jixiao.Project, grp int) {
	var idx []int
	for i := range p.Indicators {
		if p.Indicators[i].Level1 == groups[grp] {
			idx = append(idx, i)
		}
	}
	left := points[grp]
	if int64(len(idx)) > left {
		return
	}
	for k, i := range idx {
		w := left
		if k < len(idx)-1 {
			// at least 1 point for each indicator still to come
			room := left - int64(len(idx)-k-1)
			w = 1 + g.r.Int64N(min(room, 2*left/int64(len(idx)-k)))
		}
		left -= w
		d := jixiao.Points(w)
		p.Indicators[i].Weight = &d
	}
}

// Projects returns count projects numbered from first, from seed.
func Projects(seed uint64, first, count int) []jixiao.Project {
	g := NewGen(seed)
	out := make([]jixiao.Project, count)
	for i := range out {
		out[i] = g.Project(first + i)
	}
	return out
}
