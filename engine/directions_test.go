package engine

import (
	"strings"
	"testing"

	"jixiao"
)

// Strict > and < are scored as >= and <=; an actual equal to the target
// counts as met, with an info finding. A >= or > indicator with a negative
// target is refused.
func TestStrictDirections(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	tests := []struct {
		name           string
		dir            jixiao.Direction
		target, actual float64
		score          string // of the leaf, worth 50
		info           bool   // target_met_exactly
		refused        string
	}{
		{name: "> below", dir: jixiao.Greater, target: 10, actual: 8, score: "40.00"},
		{name: "> equal", dir: jixiao.Greater, target: 10, actual: 10, score: "50.00", info: true},
		{name: "> above", dir: jixiao.Greater, target: 10, actual: 11, score: "50.00"},
		{name: ">= equal, no note", dir: jixiao.AtLeast, target: 10, actual: 10, score: "50.00"},
		{name: "< above", dir: jixiao.Less, target: 2, actual: 3, score: "25.00"},
		{name: "< equal", dir: jixiao.Less, target: 2, actual: 2, score: "50.00", info: true},
		{name: "< below", dir: jixiao.Less, target: 2, actual: 1, score: "50.00"},
		{name: ">= negative target", dir: jixiao.AtLeast, target: -5, actual: 3, refused: "negative_target: 「数量」为正向指标，年度指标值 -5 为负数"},
		{name: "> negative target", dir: jixiao.Greater, target: -5, actual: 3, refused: "negative_target:"},
		{name: "<= negative target is scored", dir: jixiao.AtMost, target: -5, actual: 0, score: "50.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := project("100", "100", leaf("产出指标", "数量", tt.dir, fp(tt.target), fp(tt.actual)))
			for _, sc := range []*Scorer{rs.NewScorer(), rs.NewScorer().ScoresOnly()} {
				res, rej := sc.Score(&p)
				if tt.refused != "" {
					if rej == nil || !strings.HasPrefix(rej.Errors[0], tt.refused) {
						t.Fatalf("got %v, want refused with %q", rej, tt.refused)
					}
					continue
				}
				if rej != nil {
					t.Fatalf("refused: %q", rej.Errors)
				}
				if sc.scoresOnly {
					continue
				}
				if got := res.Find("output.1").Score.String(); got != tt.score {
					t.Errorf("score %s, want %s; %s", got, tt.score, res.Find("output.1").ReasonText())
				}
				if hasFinding(res, "target_met_exactly") != tt.info {
					t.Errorf("findings %+v, want target_met_exactly %v", res.Findings, tt.info)
				}
				for _, f := range res.Findings {
					if f.Check == "target_met_exactly" && !strings.Contains(f.Message, "为“"+map[jixiao.Direction]string{jixiao.Greater: "大于", jixiao.Less: "小于"}[tt.dir]+"”指标，实际完成值") {
						t.Errorf("message %q", f.Message)
					}
				}
			}
		})
	}
}

// A 成本指标 without a direction takes its group's default direction; a
// group without one refuses it.
func TestCostDefaultDirection(t *testing.T) {
	cost := leaf(jixiao.CostLevel1, "单位成本", "", fp(100), fp(125))
	cost.DeviationReason = "涨价"
	for _, tt := range []struct {
		set, node, score string
	}{
		{"cn-mof-2020-self", "output.1", "37.50"}, // 50 × (1 − 25/100), in 产出指标
		{"cn-mof-2021-cost", "cost.1", "7.50"},    // 10 × (1 − 25/100)
	} {
		rs := loadBuiltin(t, tt.set)
		p := project("100", "100", cost)
		if tt.set == "cn-mof-2021-cost" {
			p = project("100", "100", leaf("产出指标", "数量", jixiao.AtLeast, fp(1), fp(1)), cost)
		}
		res := score(t, rs, p)
		n := res.Find(tt.node)
		if n == nil || n.Score.String() != tt.score || !strings.Contains(n.ReasonText(), "高于年度指标值 100") {
			t.Errorf("%s: %s = %+v, want %s scored as <=", tt.set, tt.node, n, tt.score)
		}
	}
	src := strings.NewReplacer("MIN", "", "POLICY", "", "level1: 乙", "level1: 成本指标").Replace(policyRules)
	rs, err := Load("policies.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"),
		Indicators: []jixiao.Indicator{leaf("甲", "x", jixiao.AtLeast, fp(1), fp(1)), cost}}
	_, rej := rs.NewScorer().Score(&p)
	if rej == nil || !strings.Contains(rej.Errors[0], "indicators[1] 单位成本: no direction, and 乙类指标 of rule set policies gives none") {
		t.Errorf("got %v, want refused for want of a direction", rej)
	}
}
