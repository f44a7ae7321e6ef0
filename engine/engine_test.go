package engine

import (
	"strings"
	"testing"

	"jixiao"
	"jixiao/rules"
)

func loadBuiltin(t testing.TB, id string) *RuleSet {
	t.Helper()
	src, ok := rules.BuiltinByID(id)
	if !ok {
		t.Fatalf("no built-in rule set %s", id)
	}
	rs, err := Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func dec(s string) jixiao.Decimal {
	d, err := jixiao.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func decp(s string) *jixiao.Decimal { d := dec(s); return &d }
func fp(f float64) *float64         { return &f }

func leaf(level1, name string, dir jixiao.Direction, target, actual *float64) jixiao.Indicator {
	return jixiao.Indicator{Level1: level1, Level2: "二级", Name: name, Direction: dir, Target: target, Actual: actual}
}

func qual(level1, name string, r jixiao.Rating) jixiao.Indicator {
	return jixiao.Indicator{Level1: level1, Level2: "二级", Name: name, Direction: jixiao.Qualitative, Rating: r}
}

// project has one leaf in each group of cn-mof-2020-self, each fully met,
// with the output leaf replaced by out.
func project(budget, spent string, out ...jixiao.Indicator) jixiao.Project {
	inds := append([]jixiao.Indicator{}, out...)
	benefit, satisfaction := qual("效益指标", "效益", jixiao.Achieved), qual("满意度指标", "满意度", jixiao.Achieved)
	benefit.Description, satisfaction.Description = "已完成", "已完成"
	inds = append(inds, benefit, satisfaction)
	return jixiao.Project{ID: "P1", Name: "测试", Year: 2024, BudgetAdjusted: dec(budget), Spent: dec(spent), Indicators: inds}
}

func score(t *testing.T, rs *RuleSet, p jixiao.Project) jixiao.Result {
	t.Helper()
	res, rej := rs.NewScorer().Score(&p)
	if rej != nil {
		t.Fatalf("rejected: %v", rej.Errors)
	}
	return res
}

func hasFinding(res jixiao.Result, check string) bool {
	for _, f := range res.Findings {
		if f.Check == check {
			return true
		}
	}
	return false
}

// TestMOFLeafFormulas covers every branch of the national leaf formulas,
// with one output leaf worth all 50 points.
func TestMOFLeafFormulas(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	tests := []struct {
		name    string
		ind     jixiao.Indicator
		want    string
		reason  string
		finding string
	}{
		{">= met", leaf("产出指标", "x", jixiao.AtLeast, fp(10), fp(10)), "50.00", "实际完成值 10 达到年度指标值 10，得满分 50", ""},
		{">= exceeded", leaf("产出指标", "x", jixiao.AtLeast, fp(10), fp(11)), "50.00", "", ""},
		{">= short", leaf("产出指标", "x", jixiao.AtLeast, fp(10), fp(8)), "40.00", "实际完成值 8 低于年度指标值 10，得分 = 50 × 8/10 = 40.00", ""},
		{">= target zero", leaf("产出指标", "x", jixiao.AtLeast, fp(0), fp(0)), "50.00", "", ""},
		{">= negative actual counts as 0", leaf("产出指标", "x", jixiao.AtLeast, fp(10), fp(-4)), "0.00", "", ""},
		{">= no actual", leaf("产出指标", "x", jixiao.AtLeast, fp(10), nil), "0.00", "未填报实际完成值，得 0 分", "actual_missing"},
		{">= far over target", leaf("产出指标", "x", jixiao.AtLeast, fp(10), fp(12)), "50.00", "", "target_too_low"},
		{">= rounding 2/3", leaf("产出指标", "x", jixiao.AtLeast, fp(3), fp(2)), "33.33", "", ""},
		{"= zero target met", leaf("产出指标", "x", jixiao.Exactly, fp(0), fp(0)), "50.00", "", ""},
		{"= zero target missed", leaf("产出指标", "x", jixiao.Exactly, fp(0), fp(1)), "0.00", "年度指标值为 0，实际完成值 1 不为 0，得 0 分", ""},
		{"= as >=", leaf("产出指标", "x", jixiao.Exactly, fp(4), fp(3)), "37.50", "", ""},
		{"= no actual", leaf("产出指标", "x", jixiao.Exactly, fp(4), nil), "0.00", "", "actual_missing"},
		{"<= zero target met", leaf("产出指标", "x", jixiao.AtMost, fp(0), fp(0)), "50.00", "", ""},
		{"<= zero target missed", leaf("产出指标", "x", jixiao.AtMost, fp(0), fp(0.5)), "0.00", "", ""},
		{"<= met", leaf("产出指标", "x", jixiao.AtMost, fp(25.88), fp(9.94)), "50.00", "实际完成值 9.94 不高于年度指标值 25.88，得满分 50", ""},
		{"<= at target", leaf("产出指标", "x", jixiao.AtMost, fp(3), fp(3)), "50.00", "", ""},
		{"<= twice target", leaf("产出指标", "x", jixiao.AtMost, fp(3), fp(6)), "0.00", "实际完成值 6 达到年度指标值 3 的 2 倍及以上，得 0 分", ""},
		{"<= between", leaf("产出指标", "x", jixiao.AtMost, fp(4), fp(5)), "37.50", "实际完成值 5 高于年度指标值 4，得分 = 50 × (1 − (5 − 4)/4) = 37.50", ""},
		{"<= no actual", leaf("产出指标", "x", jixiao.AtMost, fp(4), nil), "0.00", "", "actual_missing"},
		{"qualitative achieved", qual("产出指标", "x", jixiao.Achieved), "50.00", "定性指标评价为“达成”，得满分 50", ""},
		{"qualitative partly", qual("产出指标", "x", jixiao.PartiallyAchieved), "35.00", "定性指标评价为“部分达成”，得分 = 50 × 70% = 35.00", ""},
		{"qualitative not", qual("产出指标", "x", jixiao.NotAchieved), "15.00", "定性指标评价为“未达成”，得分 = 50 × 30% = 15.00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, rs, project("100", "100", tt.ind))
			n := res.Find("output.1")
			if n == nil {
				t.Fatal("no output.1")
			}
			if n.Score.String() != tt.want {
				t.Errorf("score %s, want %s (%s)", n.Score, tt.want, n.ReasonText())
			}
			if tt.reason != "" && n.ReasonText() != tt.reason {
				t.Errorf("reason\n got %s\nwant %s", n.ReasonText(), tt.reason)
			}
			if tt.finding != "" && !hasFinding(res, tt.finding) {
				t.Errorf("no finding %s in %+v", tt.finding, res.Findings)
			}
			for _, f := range res.Findings {
				// missing explanations are TestMissingExplanations' concern
				if f.Check != tt.finding && f.Check != "deviation_reason_missing" && f.Check != "description_missing" {
					t.Errorf("unexpected finding %+v", f)
				}
			}
		})
	}
}

func TestMOFExecutionScore(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	tests := []struct {
		budget, spent string
		want          string
		finding       string
	}{
		{"490000", "447438.63", "9.13", ""}, // HH2024-01: R = 91.31%
		{"100", "100", "10.00", ""},
		{"100", "150", "10.00", "overspent"}, // capped at 100%
		{"337090", "337054.03", "10.00", ""}, // R = 99.99% → 9.999 → 10.00
		{"100", "89.99", "9.00", "execution_low"},
		{"0", "0", "0.00", "budget_not_positive"},
		{"1000", "0", "0.00", "execution_low"},
	}
	for _, tt := range tests {
		t.Run(tt.budget+"/"+tt.spent, func(t *testing.T) {
			res := score(t, rs, project(tt.budget, tt.spent, qual("产出指标", "x", jixiao.Achieved)))
			if got := res.Find("execution").Score.String(); got != tt.want {
				t.Errorf("execution score %s, want %s", got, tt.want)
			}
			if tt.finding != "" && !hasFinding(res, tt.finding) {
				t.Errorf("no finding %s in %+v", tt.finding, res.Findings)
			}
		})
	}
}

func TestMOFChecks(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	out := qual("产出指标", "x", jixiao.Achieved)
	tests := []struct {
		name   string
		edit   func(p *jixiao.Project)
		check  string
		absent bool
	}{
		{"stated rate differs", func(p *jixiao.Project) { p.ExecutionRate = decp("100"); p.Spent = dec("99.98") }, "execution_rate_mismatch", false},
		{"stated rate within 0.01", func(p *jixiao.Project) { p.ExecutionRate = decp("99.99"); p.Spent = dec("99.98") }, "execution_rate_mismatch", true},
		{"stated balance wrong", func(p *jixiao.Project) {
			p.BudgetAdjusted = dec("250000")
			p.Spent = dec("236000")
			p.Balance = decp("1400")
		}, "balance_mismatch", false},
		{"stated balance within 100", func(p *jixiao.Project) {
			p.BudgetAdjusted = dec("250000")
			p.Spent = dec("236000")
			p.Balance = decp("14100")
		}, "balance_mismatch", true},
		{"funds over budget", func(p *jixiao.Project) { p.FundsArrived = decp("101") }, "funds_over_budget", false},
		{"spent over budget", func(p *jixiao.Project) { p.Spent = dec("101") }, "overspent", false},
		{"low execution", func(p *jixiao.Project) { p.Spent = dec("89.99") }, "execution_low", false},
		{"execution at 90", func(p *jixiao.Project) { p.Spent = dec("90") }, "execution_low", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := project("100", "100", out)
			tt.edit(&p)
			res := score(t, rs, p)
			if got := hasFinding(res, tt.check); got == tt.absent {
				t.Errorf("finding %s present = %v, want %v; findings %+v", tt.check, got, !tt.absent, res.Findings)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	w := func(ind jixiao.Indicator, weight string) jixiao.Indicator { ind.Weight = decp(weight); return ind }
	a := qual("产出指标", "甲", jixiao.Achieved)
	b := qual("产出指标", "乙", jixiao.Achieved)
	tests := []struct {
		name string
		p    jixiao.Project
		want string
	}{
		{"negative spent", project("100", "-1", a), "全年执行数不能为负数"},
		{"negative budget", project("-100", "1", a), "预算数不能为负数"},
		{"unknown level1", project("100", "100", qual("社会成本", "丙", jixiao.Achieved)), `level1 "社会成本"`},
		{"weights exceed group", project("100", "100", w(a, "30"), w(b, "30")), "more than the 50.00 points"},
		{"weights do not add up", project("100", "100", w(a, "20"), w(b, "20")), "not the 50.00 points"},
		{"year not covered", func() jixiao.Project { p := project("100", "100", a); p.Year = 2019; return p }(), "适用于 2020 年及以后，不适用于 2019 年"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rej := rs.NewScorer().Score(&tt.p)
			if rej == nil {
				t.Fatal("scored, want rejected")
			}
			if !strings.Contains(strings.Join(rej.Errors, "\n"), tt.want) {
				t.Errorf("errors %q do not mention %q", rej.Errors, tt.want)
			}
		})
	}
}

func TestLeafPointsShareInCents(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	w := func(ind jixiao.Indicator, weight string) jixiao.Indicator { ind.Weight = decp(weight); return ind }
	q := func(n string) jixiao.Indicator { return qual("产出指标", n, jixiao.Achieved) }
	tests := []struct {
		name string
		inds []jixiao.Indicator
		want []string
	}{
		{"50/3", []jixiao.Indicator{q("a"), q("b"), q("c")}, []string{"16.67", "16.67", "16.66"}},
		{"50/6", []jixiao.Indicator{q("a"), q("b"), q("c"), q("d"), q("e"), q("f")}, []string{"8.34", "8.34", "8.33", "8.33", "8.33", "8.33"}},
		{"weights given", []jixiao.Indicator{w(q("a"), "20"), w(q("b"), "30")}, []string{"20.00", "30.00"}},
		{"rest shared", []jixiao.Indicator{w(q("a"), "20"), q("b"), q("c"), q("d")}, []string{"20.00", "10.00", "10.00", "10.00"}},
		{"rest shared in cents", []jixiao.Indicator{w(q("a"), "10.01"), q("b"), q("c")}, []string{"10.01", "20.00", "19.99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := score(t, rs, project("100", "100", tt.inds...))
			out := res.Find("output")
			var sum jixiao.Decimal
			for i, c := range out.Children {
				if c.Points.String() != tt.want[i] {
					t.Errorf("leaf %d points %s, want %s", i+1, c.Points, tt.want[i])
				}
				sum += c.Points
			}
			if sum != jixiao.Points(50) {
				t.Errorf("shares add up to %s, want 50.00", sum)
			}
		})
	}
}

func TestEmptyGroupsRescale(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"),
		Indicators: []jixiao.Indicator{leaf("产出指标", "x", jixiao.AtLeast, fp(10), fp(5))}}
	res := score(t, rs, p)
	// (10 + 25) × 100 / (10 + 50) = 58.333… → 58.33
	if res.Total.String() != "58.33" || res.Grade != "差" {
		t.Errorf("total %s %s, want 58.33 差", res.Total, res.Grade)
	}
	if b := res.Find("benefit"); b.Points != 0 || !strings.Contains(b.ReasonText(), "不参与评分") {
		t.Errorf("benefit node %+v", b)
	}
	if !hasFinding(res, "benefit_missing") || !hasFinding(res, "satisfaction_missing") {
		t.Errorf("findings %+v, want benefit_missing and satisfaction_missing", res.Findings)
	}
}

func TestHuaihuaRedistributes(t *testing.T) {
	rs := loadBuiltin(t, "huaihua-2024")
	p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"), Compliance: jixiao.Achieved,
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "质量指标", Name: "q", Direction: jixiao.Qualitative, Rating: jixiao.Achieved},
			{Level1: "满意度指标", Level2: "服务对象满意度指标", Name: "s", Direction: jixiao.Qualitative, Rating: jixiao.PartiallyAchieved},
		}}
	res := score(t, rs, p)
	// Unreported funds_arrived earns no marks for 资金到位率.
	want := map[string]string{"quantity": "0.00", "quality": "40.00", "timeliness": "0.00", "social": "0.00", "satisfaction": "28.00", "funds_arrival": "0.00"}
	for id, w := range want {
		if got := res.Find(id).Score.String(); got != w {
			t.Errorf("%s scored %s, want %s", id, got, w)
		}
	}
	if got := res.Find("satisfaction").Points.String(); got != "40.00" {
		t.Errorf("satisfaction points %s, want all 40.00 of 效益指标", got)
	}
	if !hasFinding(res, "funds_arrived_missing") {
		t.Errorf("no finding for the missing funds_arrived: %+v", res.Findings)
	}
}

// gradingRules scores a project's budget_initial directly, so that tests
// can put any total on the grade boundaries.
const gradingRules = `
id: grading
version: "1"
name: grading
years: {from: 2000}
grades:
  - {grade: 优, from: 90, to: 100}
  - {grade: 良, from: 80, to: 90}
  - {grade: 中, from: 60, to: 80}
  - {grade: 差, from: 0, to: 60}
indicators:
  - id: all
    name: 全部
    points: 100
    cases:
      - score: budget_initial
        reason: 得分 {score}
`

func TestRoundingAndGrades(t *testing.T) {
	rs, err := Load("grading.yaml", []byte(gradingRules))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value string
		total string
		grade string
	}{
		{"89.99", "89.99", "良"},
		{"90", "90.00", "优"},
		{"100", "100.00", "优"},
		{"79.99", "79.99", "中"},
		{"80", "80.00", "良"},
		{"59.99", "59.99", "差"},
		{"60", "60.00", "中"},
		{"0", "0.00", "差"},
		{"2.67", "2.67", "差"},
	}
	for _, tt := range tests {
		p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetInitial: decp(tt.value)}
		res := score(t, rs, p)
		if res.Total.String() != tt.total || res.Grade != tt.grade {
			t.Errorf("%s: total %s %s, want %s %s", tt.value, res.Total, res.Grade, tt.total, tt.grade)
		}
	}
}

// TestFloatFormulaRounding checks that formula results are rounded half-up
// without binary noise: 2.675 is 2.68, 89.995 is 90.00 and graded 优.
func TestFloatFormulaRounding(t *testing.T) {
	src := strings.Replace(gradingRules, "score: budget_initial", "score: budget_initial / 1000", 1)
	rs, err := Load("grading.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ value, total, grade string }{
		{"2675", "2.68", "差"},
		{"89995", "90.00", "优"},
		{"89994.99", "89.99", "良"},
		{"1005", "1.01", "差"},
	}
	for _, tt := range tests {
		p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetInitial: decp(tt.value)}
		res := score(t, rs, p)
		if res.Total.String() != tt.total || res.Grade != tt.grade {
			t.Errorf("%s/1000: total %s %s, want %s %s", tt.value, res.Total, res.Grade, tt.total, tt.grade)
		}
		if res.Indicators[0].ReasonText() != "得分 "+tt.total {
			t.Errorf("reason %q does not print the graded total %s", res.Indicators[0].ReasonText(), tt.total)
		}
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		total   string
		weights []int64
		want    string
	}{
		{"50", []int64{1, 1, 1}, "16.67 16.67 16.66"},
		{"10", []int64{2000, 0, 1000}, "6.67 0.00 3.33"},
		{"0.05", []int64{1, 1, 1, 1, 1, 1}, "0.01 0.01 0.01 0.01 0.01 0.00"},
		{"100", []int64{1}, "100.00"},
		{"7", []int64{0, 0}, "0.00 0.00"},
	}
	for _, tt := range tests {
		got := Allocate(dec(tt.total), tt.weights)
		parts := make([]string, len(got))
		for i, g := range got {
			parts[i] = g.String()
		}
		if s := strings.Join(parts, " "); s != tt.want {
			t.Errorf("Allocate(%s, %v) = %s, want %s", tt.total, tt.weights, s, tt.want)
		}
	}
}
