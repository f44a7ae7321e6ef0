package whatif

import (
	"strings"
	"testing"

	"jixiao"
	"jixiao/engine"
)

// scoreWith scores p with one figure set to v, going through Apply so
// that the check does not share the goal seek's own code.
func scoreWith(t *testing.T, sc *engine.Scorer, p jixiao.Project, field, indicator string, v jixiao.Decimal) Side {
	t.Helper()
	out, err := Apply([]jixiao.Project{p}, []Override{{Field: field, Indicator: indicator, Set: num(v.String())}})
	if err != nil {
		t.Fatal(err)
	}
	res, rej := sc.Score(&out[0])
	if rej != nil {
		return Side{Rejected: rej.Errors}
	}
	return Side{Total: res.Total, Grade: res.Grade}
}

// meets reports whether an outcome reaches the goal, judged from the
// grade bands directly: a grade at least g means a total at least the
// lower end of g's band.
func meets(rs *engine.RuleSet, s Side, g Goal) bool {
	if s.Rejected != nil {
		return false
	}
	if g.Total != nil {
		return s.Total >= *g.Total
	}
	for _, b := range rs.File().Grades {
		if b.Grade.Value == g.Grade {
			return s.Total >= b.From.Value
		}
	}
	panic("no grade " + g.Grade)
}

// checkSeek verifies a goal seek's answer by scoring independently: the
// value found reaches the goal, one cent closer to the current value does
// not, and neither does any value in between (every cent for short
// distances, evenly spaced ones otherwise). An unreachable answer's value
// must not reach the goal, nor any value on the way to it.
func checkSeek(t *testing.T, rs *engine.RuleSet, p jixiao.Project, req SeekRequest, res SeekResult) {
	t.Helper()
	sc := rs.NewScorer()
	if res.Change != res.To-res.From {
		t.Errorf("change %s, from %s to %s", res.Change, res.From, res.To)
	}
	if got := scoreWith(t, sc, p, req.Field, req.Indicator, res.To); res.Change != 0 && !equalSide(got, res.Reached) {
		t.Errorf("at %s: reported %+v, scored %+v", res.To, res.Reached, got)
	}
	if res.Reachable != meets(rs, res.Reached, req.Goal) {
		t.Errorf("reachable %v but the outcome %+v at %s", res.Reachable, res.Reached, res.To)
	}
	if res.Change == 0 {
		return
	}
	step := jixiao.Decimal(1)
	if res.To < res.From {
		step = -1
	}
	dist := abs(res.Change)
	if res.Reachable {
		if s := scoreWith(t, sc, p, req.Field, req.Indicator, res.To-step); meets(rs, s, req.Goal) {
			t.Errorf("one cent closer, at %s, also reaches the goal: %+v", res.To-step, s)
		}
	}
	last := dist
	if res.Reachable {
		last = dist - 1
	}
	const exhaustive, samples = 100, 25
	for k := jixiao.Decimal(0); k <= last; k++ {
		d := k
		if dist > exhaustive {
			if k > samples {
				break
			}
			d = last.MulDiv(int64(k), samples)
		}
		if s := scoreWith(t, sc, p, req.Field, req.Indicator, res.From+step*d); meets(rs, s, req.Goal) {
			t.Errorf("%s already reaches the goal (%+v), closer than %s", res.From+step*d, s, res.To)
			return
		}
	}
}

func equalSide(a, b Side) bool {
	return a.Total == b.Total && a.Grade == b.Grade && strings.Join(a.Rejected, "\n") == strings.Join(b.Rejected, "\n")
}

// HH2024-01 spent 447,438.63 of 490,000.00 (R = 91.31%) and scores 99.13
// under cn-mof-2020-self. R is rounded to two places and the execution
// score again, so 9.50 points need only R ≥ 94.945% (465,230.50), not
// 95%; full marks need R ≥ 99.945% (489,730.50).
func TestGoalSeekHH2024_01(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	p := byID(t, huaihua(t), "HH2024-01")
	tests := []struct {
		name      string
		goal      Goal
		reachable bool
		to        string
		total     string
		message   string
	}{
		{"total 99.50", Goal{Total: decp("99.5")}, true, "465230.50", "99.50",
			"全年执行数需从 447,438.63 元增加到 465,230.50 元（+17,791.87 元），总分 99.50，等级 优"},
		{"total 100", Goal{Total: decp("100")}, true, "489730.50", "100.00",
			"全年执行数需从 447,438.63 元增加到 489,730.50 元（+42,291.87 元），总分 100.00，等级 优"},
		{"already 优", Goal{Grade: "优"}, true, "447438.63", "99.13",
			"当前总分 99.13，等级 优，已达到目标（等级 优），无需调整"},
		{"already 99", Goal{Total: decp("99")}, true, "447438.63", "99.13", ""},
		{"more than the maximum", Goal{Total: decp("100.01")}, false, "490000.00", "100.00",
			"即使全年执行数从 447,438.63 元增加到全年预算数 490,000.00 元（+42,561.37 元），总分 100.00，等级 优，仍达不到目标（总分 100.01）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := SeekRequest{Field: FieldSpent, Goal: tt.goal}
			before := snapshot(t, []jixiao.Project{p})
			res, err := GoalSeek(cn, p, req)
			if err != nil {
				t.Fatal(err)
			}
			if snapshot(t, []jixiao.Project{p}) != before {
				t.Fatal("GoalSeek changed the project")
			}
			if res.Reachable != tt.reachable || res.To.String() != tt.to || res.Reached.Total.String() != tt.total {
				t.Errorf("got reachable %v, to %s, total %s", res.Reachable, res.To, res.Reached.Total)
			}
			if res.From != dec("447438.63") || res.Baseline.Total != dec("99.13") || res.Baseline.Grade != "优" || res.Field != FieldSpent {
				t.Errorf("from %s, baseline %+v", res.From, res.Baseline)
			}
			if tt.message != "" && res.Message != tt.message {
				t.Errorf("message\n got %s\nwant %s", res.Message, tt.message)
			}
			checkSeek(t, cn, p, req, res)
		})
	}
}

// liang is a project graded 良 under cn-mof-2020-self: 5 + 40 + 21 + 10
// + ... see the cases.
func liang() jixiao.Project {
	return jixiao.Project{
		ID: "L1", Name: "测试项目", Year: 2024, BudgetAdjusted: dec("100000"), Spent: dec("50000"),
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.AtLeast, Target: fp(10), Actual: fp(10), Unit: "个"},
			{Level1: "效益指标", Level2: "社会效益指标", Name: "效益", Direction: jixiao.Qualitative, Rating: jixiao.PartiallyAchieved},
			{Level1: "满意度指标", Level2: "服务对象满意度指标", Name: "满意度", Direction: jixiao.AtLeast, Target: fp(90), Actual: fp(90), Unit: "%"},
		},
	}
}

func TestGoalSeekCases(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	tests := []struct {
		name      string
		project   func() jixiao.Project
		req       SeekRequest
		baseline  string // total
		reachable bool
		to        string
		total     string
		message   string
	}{
		{
			// 5 (R 50%) + 50 + 21 + 10 = 86. 优 needs 9 points for the
			// execution rate: 10 × R ≥ 8.995 with R rounded to 89.95%,
			// so R_exact ≥ 89.945%.
			name: "良 to 优 by spent", project: liang,
			req:      SeekRequest{Field: FieldSpent, Goal: Goal{Grade: "优"}},
			baseline: "86.00", reachable: true, to: "89945.00", total: "90.00",
			message: "全年执行数需从 50,000.00 元增加到 89,945.00 元（+39,945.00 元），总分 90.00，等级 优",
		},
		{
			// 9.5 + 50 × 8/10 + 21 + 10 = 80.5; 优 needs 50 × A/10 ≥ 49.5.
			name: "良 to 优 by an indicator", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("95000")
				p.Indicators[0].Actual = fp(8)
				return p
			},
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "数量", Goal: Goal{Grade: "优"}},
			baseline: "80.50", reachable: true, to: "9.90", total: "90.00",
			message: "「数量」实际完成值需从 8.00 个增加到 9.90 个（+1.90 个），总分 90.00，等级 优",
		},
		{
			name: "良 to 优 by satisfaction", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("95000")
				p.Indicators[0].Actual = fp(8)
				p.Indicators[2].Actual = fp(60) // 10 × 60/90 = 6.67: 77.17
				return p
			},
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "满意度", Goal: Goal{Grade: "良"}},
			baseline: "77.17", reachable: true, to: "85.46", total: "80.00", // 10 × 85.46/90 = 9.4956 → 9.50
			message: "「满意度」实际完成值需从 60.00%增加到 85.46%（+25.46%），总分 80.00，等级 良",
		},
		{
			// A ≤ indicator: less is better. 25 × (1 − (A − 30)/30) ≥ 14
			// needs A ≤ 43.2.
			name: "中 to 良 by lowering a ≤ indicator", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("100000")
				p.Indicators = append(p.Indicators, jixiao.Indicator{Level1: "产出指标", Level2: "时效指标", Name: "响应时间", Direction: jixiao.AtMost, Target: fp(30), Actual: fp(45), Unit: "分钟"})
				return p
			},
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "响应时间", Goal: Goal{Grade: "良"}},
			baseline: "78.50", reachable: true, to: "43.20", total: "80.00",
			message: "「响应时间」实际完成值需从 45.00 分钟减少到 43.20 分钟（-1.80 分钟），总分 80.00，等级 良",
		},
		{
			// The target has three decimals: it is met from the next cent.
			name: "a target between cents", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("100000")
				p.Indicators[0].Target = fp(10.004)
				p.Indicators[0].Actual = fp(9)
				return p
			},
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "数量", Goal: Goal{Total: decp("91")}},
			baseline: "85.98", reachable: true, to: "10.01", total: "91.00", // 10.00 gives 49.98 points
			message: "「数量」实际完成值需从 9.00 个增加到 10.01 个（+1.01 个），总分 91.00，等级 优",
		},
		{
			name: "unreachable: the execution rate is worth too little", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("95000")
				p.Indicators[0].Actual = fp(8)
				return p
			},
			req:      SeekRequest{Field: FieldSpent, Goal: Goal{Grade: "优"}},
			baseline: "80.50", reachable: false, to: "100000.00", total: "81.00",
			message: "即使全年执行数从 95,000.00 元增加到全年预算数 100,000.00 元（+5,000.00 元），总分 81.00，等级 良，仍达不到目标（等级 优）",
		},
		{
			name: "unreachable: the budget is spent", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("100000")
				p.Indicators[0].Actual = fp(8)
				return p
			},
			req:      SeekRequest{Field: FieldSpent, Goal: Goal{Total: decp("85")}},
			baseline: "81.00", reachable: false, to: "100000.00", total: "81.00",
			message: "全年执行数 100,000.00 元已达到全年预算数 100,000.00 元，调整它不能再提高得分；当前总分 81.00，等级 良，达不到目标（总分 85.00）",
		},
		{
			name: "unreachable: the indicator is met", project: liang,
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "数量", Goal: Goal{Grade: "优"}},
			baseline: "86.00", reachable: false, to: "10.00", total: "86.00",
			message: "「数量」实际完成值 10.00 个已达到年度指标值 10.00 个，调整它不能再提高得分；当前总分 86.00，等级 良，达不到目标（等级 优）",
		},
		{
			name: "an empty actual value", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("100000")
				p.Indicators[0].Actual = nil // 0 points: 10 + 0 + 21 + 10 = 41 × 100/100
				return p
			},
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "数量", Goal: Goal{Grade: "中"}},
			baseline: "41.00", reachable: true, to: "3.80", total: "60.00", // 50 × 3.8/10 = 19
			message: "「数量」实际完成值未填报，需填报为 3.80 个，总分 60.00，等级 中",
		},
		{
			name: "an empty actual value that only needs filling in", project: func() jixiao.Project {
				p := liang()
				p.Spent = dec("100000")
				p.Indicators[0].Target = fp(0)
				p.Indicators[0].Actual = nil
				return p
			},
			req:      SeekRequest{Field: FieldIndicatorActual, Indicator: "数量", Goal: Goal{Grade: "良"}},
			baseline: "41.00", reachable: true, to: "0.00", total: "91.00",
			message: "「数量」实际完成值填报为 0.00 个即可达到目标（等级 良）：总分 91.00，等级 优",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.project()
			before := snapshot(t, []jixiao.Project{p})
			res, err := GoalSeek(cn, p, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if snapshot(t, []jixiao.Project{p}) != before {
				t.Fatal("GoalSeek changed the project")
			}
			if res.Baseline.Total.String() != tt.baseline {
				t.Errorf("baseline %+v, want %s", res.Baseline, tt.baseline)
			}
			if res.Reachable != tt.reachable || res.To.String() != tt.to || res.Reached.Total.String() != tt.total {
				t.Errorf("got reachable %v, to %s, total %s", res.Reachable, res.To, res.Reached.Total)
			}
			if res.Message != tt.message {
				t.Errorf("message\n got %s\nwant %s", res.Message, tt.message)
			}
			checkSeek(t, cn, p, tt.req, res)
		})
	}
}

func TestGoalSeekErrors(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	old := liang()
	old.Year = 2019
	tests := []struct {
		name string
		rs   *engine.RuleSet
		p    jixiao.Project
		req  SeekRequest
		want string
	}{
		{"no rule set", nil, liang(), SeekRequest{Field: FieldSpent, Goal: Goal{Grade: "优"}}, "no rule set"},
		{"field", cn, liang(), SeekRequest{Field: "balance", Goal: Goal{Grade: "优"}}, `field must be spent or indicator.actual, got "balance"`},
		{"no goal", cn, liang(), SeekRequest{Field: FieldSpent}, "missing goal"},
		{"two goals", cn, liang(), SeekRequest{Field: FieldSpent, Goal: Goal{Grade: "优", Total: decp("90")}}, "not both"},
		{"unknown grade", cn, liang(), SeekRequest{Field: FieldSpent, Goal: Goal{Grade: "A"}}, `no grade "A"; its grades are 优, 良, 中, 差`},
		{"no indicator name", cn, liang(), SeekRequest{Field: FieldIndicatorActual, Goal: Goal{Grade: "优"}}, "name the indicator"},
		{"unknown indicator", cn, liang(), SeekRequest{Field: FieldIndicatorActual, Indicator: "数星", Goal: Goal{Grade: "优"}}, `no indicator named "数星"`},
		{"qualitative", cn, liang(), SeekRequest{Field: FieldIndicatorActual, Indicator: "效益", Goal: Goal{Grade: "优"}}, "qualitative"},
		{"indicator for spent", cn, liang(), SeekRequest{Field: FieldSpent, Indicator: "数量", Goal: Goal{Grade: "优"}}, "only for field indicator.actual"},
		{"rejected", cn, old, SeekRequest{Field: FieldSpent, Goal: Goal{Grade: "优"}}, "rejects project L1: year"},
	}
	twice := liang()
	twice.Indicators = append(twice.Indicators, twice.Indicators[0])
	tests = append(tests, struct {
		name string
		rs   *engine.RuleSet
		p    jixiao.Project
		req  SeekRequest
		want string
	}{"ambiguous", cn, twice, SeekRequest{Field: FieldIndicatorActual, Indicator: "数量", Goal: Goal{Grade: "优"}}, `2 indicators named "数量"`})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GoalSeek(tt.rs, tt.p, tt.req)
			if err == nil || jixiao.ErrorCode(err) != jixiao.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// A rule set under which more spending first raises and then lowers the
// score: bisection would be wrong, and the search says so.
func TestGoalSeekNotMonotone(t *testing.T) {
	text := builtinText(t, "cn-mof-2020-self")
	const formula = "      - score: W * min(R, 100) / 100\n"
	if !strings.Contains(text, formula) {
		t.Fatal("cn-mof-2020-self has changed shape")
	}
	text = strings.Replace(text, formula, "      - score: \"R > 95 ? 0 : W * min(R, 100) / 100\"\n", 1)
	text = strings.Replace(text, "id: cn-mof-2020-self", "id: hump", 1)
	text = text[:strings.Index(text, "\ntests:")] + "\n"
	rs := loadText(t, "hump.yaml", text)
	tests := []struct {
		spent, goal string
		wantErr     bool
	}{
		{"50000", "90", true},  // up: 90 at R = 90%, but 81 at the budget
		{"96000", "85", true},  // down: 0 points at R = 96%, 9.45 at R = 94.5%, 0 at 0
		{"90000", "85", false}, // reached already: nothing to search
	}
	for _, tt := range tests {
		p := liang()
		p.Spent = dec(tt.spent)
		res, err := GoalSeek(rs, p, SeekRequest{Field: FieldSpent, Goal: Goal{Total: decp(tt.goal)}})
		switch {
		case tt.wantErr && (err == nil || !strings.Contains(err.Error(), "does not move one way with spent")):
			t.Errorf("spent %s: error %v", tt.spent, err)
		case !tt.wantErr && (err != nil || res.Change != 0):
			t.Errorf("spent %s: %+v, %v", tt.spent, res, err)
		}
	}
}

// degrade returns a copy of p that falls short: spent × 0.6, ≥ actual
// values × 0.7, ≤ actual values half-way to twice the target.
func degrade(p jixiao.Project) jixiao.Project {
	p.Spent = p.Spent.MulDiv(6, 10)
	p.Indicators = append([]jixiao.Indicator(nil), p.Indicators...)
	for i := range p.Indicators {
		ind := &p.Indicators[i]
		if ind.Actual == nil || ind.Target == nil {
			continue
		}
		var v float64
		switch ind.Direction {
		case jixiao.AtLeast:
			v = jixiao.RoundFloat(*ind.Actual * 0.7).Float64()
		case jixiao.AtMost:
			v = jixiao.RoundFloat(*ind.Target * 1.5).Float64()
		default:
			continue
		}
		ind.Actual = &v
	}
	return p
}

// Goal seeks on every Huaihua project, as reported and fallen short, by
// spent and by every quantitative indicator, under the four built-in rule
// sets, for several goals: every answer is checked by scoring on its own,
// including that one cent less does not reach the goal.
func TestGoalSeekHuaihuaAllRuleSets(t *testing.T) {
	goals := []Goal{{Grade: "优"}, {Grade: "良"}, {Grade: "中"}, {Total: decp("95")}, {Total: decp("99.5")}, {Total: decp("100")}}
	for _, id := range builtinIDs {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			rs := loadRS(t, id)
			stats := map[string]int{}
			for _, orig := range huaihua(t) {
				for variant, p := range []jixiao.Project{orig, degrade(orig)} {
					reqs := []SeekRequest{{Field: FieldSpent}}
					for _, ind := range p.Indicators {
						if ind.Direction != jixiao.Qualitative {
							reqs = append(reqs, SeekRequest{Field: FieldIndicatorActual, Indicator: ind.Name})
						}
					}
					for _, req := range reqs {
						for _, g := range goals {
							req.Goal = g
							res, err := GoalSeek(rs, p, req)
							if err != nil {
								t.Errorf("%s (variant %d) %s %s %+v: %v", p.ID, variant, req.Field, req.Indicator, g, err)
								continue
							}
							checkSeek(t, rs, p, req, res)
							switch {
							case !res.Reachable:
								stats["unreachable"]++
							case res.Change == 0:
								stats["already"]++
							case res.Change < 0:
								stats["lower"]++
							default:
								stats["higher"]++
							}
						}
					}
				}
			}
			// Every kind of answer occurs.
			for _, k := range []string{"unreachable", "already", "lower", "higher"} {
				if stats[k] == 0 {
					t.Errorf("no %s answer: %v", k, stats)
				}
			}
			t.Logf("%s: %v", id, stats)
		})
	}
}
