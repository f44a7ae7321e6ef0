package engine

import (
	"strings"
	"testing"

	"jixiao"
)

// The unit's category_points, within the bounds the rule file declares.
func TestCategoryPoints(t *testing.T) {
	src := strings.NewReplacer("MIN", "", "POLICY", "unit_points: {min: 30, max: 50}").Replace(policyRules)
	src = strings.Replace(src, "    points: 40\n    leaves: {level1: 甲}", "    points: 40\n    unit_points: {min: 30, max: 50}\n    leaves: {level1: 甲}", 1)
	rs, err := Load("policies.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	both := []jixiao.Indicator{leaf("甲", "x", jixiao.AtLeast, fp(10), fp(5)), leaf("乙", "y", jixiao.AtLeast, fp(10), fp(10))}
	tests := []struct {
		name     string
		points   map[string]jixiao.Decimal
		onlyA    bool
		total    string
		want     map[string]string // node → points
		reason   string            // part of the reason of a
		rejected string
	}{
		{name: "the rule set's", total: "80.00", want: map[string]string{"a": "40.00", "b": "40.00"}},
		{name: "by name", points: map[string]jixiao.Decimal{"甲类指标": dec("30"), "乙类指标": dec("50")},
			total: "85.00", want: map[string]string{"a": "30.00", "b": "50.00"}, reason: "单位自定分值 30 分（规则默认 40 分，允许 30–50 分）"},
		{name: "by id, at the upper bound", points: map[string]jixiao.Decimal{"a": dec("50"), "b": dec("30")},
			total: "75.00", want: map[string]string{"a": "50.00", "b": "30.00"}},
		{name: "a category left empty is rescaled from the unit's points", points: map[string]jixiao.Decimal{"a": dec("50"), "b": dec("30")}, onlyA: true,
			total: "64.29", want: map[string]string{"a": "50.00", "b": "0.00"}}, // (20 + 25) × 100 / 70
		{name: "outside the bounds", points: map[string]jixiao.Decimal{"a": dec("55"), "b": dec("25")},
			rejected: "category_points.a: 「甲类指标」55 分超出本规则允许的 30–50 分"},
		{name: "not adding up to 100", points: map[string]jixiao.Decimal{"a": dec("45")},
			rejected: "category_points: 各一级指标分值合计 105 分（预算执行率 20 + 甲类指标 45 + 乙类指标 40），应为 100 分"},
		{name: "not a category", points: map[string]jixiao.Decimal{"丙类指标": dec("10")},
			rejected: "category_points.丙类指标: 「丙类指标」不是规则 policies 的一级指标"},
		{name: "a category the rule set keeps", points: map[string]jixiao.Decimal{"execution": dec("20")},
			rejected: "category_points.execution: 本规则不允许单位自定「预算执行率」的分值"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"),
				Indicators: both, CategoryPoints: tt.points}
			if tt.onlyA {
				p.Indicators = both[:1]
			}
			for _, sc := range []*Scorer{rs.NewScorer(), rs.NewScorer().ScoresOnly()} {
				r, rej := sc.Score(&p)
				if tt.rejected != "" {
					if rej == nil || !strings.Contains(strings.Join(rej.Errors, "\n"), tt.rejected) {
						t.Fatalf("got %v, %+v; want refused with %q", r.Total, rej, tt.rejected)
					}
					continue
				}
				if rej != nil {
					t.Fatal(rej.Errors)
				}
				if r.Total.String() != tt.total {
					t.Errorf("total %s, want %s", r.Total, tt.total)
				}
				if sc.scoresOnly {
					continue
				}
				for id, pts := range tt.want {
					if got := r.Find(id).Points.String(); got != pts {
						t.Errorf("%s: points %s, want %s", id, got, pts)
					}
				}
				if got := r.Find("a").ReasonText(); !strings.Contains(got, tt.reason) {
					t.Errorf("reason of a %q, want %q", got, tt.reason)
				}
			}
		})
	}
}
