package engine

import (
	"strings"
	"testing"

	"jixiao"
)

// policyRules is a rule file with one group, b, whose empty-group policy
// the tests set: execution 20, a 40, b 40.
const policyRules = `id: policies
version: "1"
name: 空缺指标组的处理
years: {from: 2020}
grades:
  - {grade: 优, from: 90, to: 100}
  - {grade: 良, from: 80, to: 90}
  - {grade: 中, from: 60, to: 80}
  - {grade: 差, from: 0, to: 60}
MIN
indicators:
  - id: execution
    name: 预算执行率
    points: 20
    cases:
      - score: W * min(spent / budget_adjusted, 1)
        reason: 执行率得分
  - id: a
    name: 甲类指标
    points: 40
    leaves: {level1: 甲}
  - id: b
    name: 乙类指标
    points: 40
    POLICY
    leaves: {level1: 乙}
leaf_rules:
  - name: standard
    ">=":
      - score: "A >= T ? W : W * A / T"
        reason: 按完成比例得分
`

// A project without a 乙 indicator, under each empty-group policy.
func TestEmptyGroupPolicies(t *testing.T) {
	tests := []struct {
		name, policy, min string
		total, grade      string
		points            map[string]string // node points
		finding           string            // check id of a finding, "" for none
		rejected          []string          // parts of the refusal
	}{
		{name: "rescale", policy: "if_empty: rescale",
			total: "100.00", grade: "优", points: map[string]string{"execution": "20.00", "a": "40.00", "b": "0.00"}},
		{name: "rescale with a finding", policy: "if_empty: rescale\n    empty_finding: {check: b_missing, severity: warning, message: \"未设置{{乙类}}指标\"}",
			total: "100.00", grade: "优", finding: "b_missing"},
		{name: "redistribute", policy: "if_empty: redistribute",
			total: "100.00", grade: "优", points: map[string]string{"execution": "33.33", "a": "66.67", "b": "0.00"}},
		{name: "zero", policy: "if_empty: zero",
			total: "60.00", grade: "中", points: map[string]string{"execution": "20.00", "a": "40.00", "b": "40.00"}, finding: "b_missing"},
		{name: "zero with its own finding", policy: "if_empty: zero\n    empty_finding: {check: no_b, severity: info, message: 无乙类指标}",
			total: "60.00", grade: "中", finding: "no_b"},
		{name: "reject", policy: "if_empty: reject",
			rejected: []string{"incomplete_targets: 项目未设置乙类指标，不能评分"}},
		{name: "reject with its own code", policy: "if_empty: reject\n    empty_finding: {check: no_b, message: 缺少乙类指标}",
			rejected: []string{"no_b: 缺少乙类指标"}},
		{name: "min_applicable met", policy: "if_empty: rescale", min: "min_applicable: 60",
			total: "100.00", grade: "优"},
		{name: "min_applicable not met", policy: "if_empty: rescale", min: "min_applicable: 60.01",
			rejected: []string{"min_applicable: 适用指标分值合计 60 分，低于本规则要求的 60.01 分，不能评分"}},
		{name: "reject and min_applicable", policy: "if_empty: reject", min: "min_applicable: 70",
			rejected: []string{"incomplete_targets:", "min_applicable: 适用指标分值合计 60 分"}},
	}
	p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"),
		Indicators: []jixiao.Indicator{leaf("甲", "x", jixiao.AtLeast, fp(10), fp(10))}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.NewReplacer("MIN", tt.min, "POLICY", tt.policy).Replace(policyRules)
			rs, err := Load("policies.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range []*Scorer{rs.NewScorer(), rs.NewScorer().ScoresOnly()} {
				res, rej := sc.Score(&p)
				if tt.rejected != nil {
					if rej == nil {
						t.Fatalf("scored %s, want refused", res.Total)
					}
					if len(rej.Errors) != len(tt.rejected) {
						t.Fatalf("refused with %q, want %q", rej.Errors, tt.rejected)
					}
					for i, want := range tt.rejected {
						if !strings.HasPrefix(rej.Errors[i], want) {
							t.Errorf("reason %d %q, want %q", i, rej.Errors[i], want)
						}
					}
					continue
				}
				if rej != nil {
					t.Fatalf("refused: %q", rej.Errors)
				}
				if res.Total.String() != tt.total || res.Grade != tt.grade {
					t.Errorf("total %s %s, want %s %s", res.Total, res.Grade, tt.total, tt.grade)
				}
				if sc.scoresOnly {
					continue
				}
				for id, want := range tt.points {
					if got := res.Find(id).Points.String(); got != want {
						t.Errorf("%s points %s, want %s", id, got, want)
					}
				}
				if tt.finding != "" && !hasFinding(res, tt.finding) {
					t.Errorf("findings %+v, want %s", res.Findings, tt.finding)
				}
				if tt.finding == "" && len(res.Findings) > 0 {
					t.Errorf("findings %+v, want none", res.Findings)
				}
			}
		})
	}
}

// The rule file's mistakes in the empty-group settings are refused with
// their line.
func TestEmptyGroupPolicyErrors(t *testing.T) {
	tests := []struct{ policy, min, want string }{
		{"if_empty: drop", "", `if_empty must be rescale, redistribute, zero or reject, got "drop"`},
		{"if_empty: reject\n    empty_finding: {check: x, severity: warning, message: m}", "", "its empty_finding severity is error"},
		{"if_empty: zero\n    empty_finding: {check: x, severity: error, message: m}", "", "write if_empty: reject"},
		{"empty_finding: {severity: warning, message: m}", "", "empty_finding needs a check"},
		{"empty_finding: {check: x, severity: warning}", "", "empty_finding needs a message"},
		{"if_empty: rescale", "min_applicable: 0", "min_applicable must be more than 0 and at most 100 points"},
		{"if_empty: rescale", "min_applicable: 101", "min_applicable must be more than 0 and at most 100 points"},
	}
	for _, tt := range tests {
		src := strings.NewReplacer("MIN", tt.min, "POLICY", tt.policy).Replace(policyRules)
		_, err := Load("policies.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "policies.yaml:") {
			t.Errorf("%s %s: error %v, want one with the file's line and %q", tt.policy, tt.min, err, tt.want)
		}
	}
}

// In cn-mof-2020-self a project without 产出指标 is refused, and one
// without any indicator is refused for that and for its 10 points.
func TestNationalSetRefusesIncompleteTargets(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	tests := []struct {
		name string
		inds []jixiao.Indicator
		want []string
	}{
		{"no indicators", nil, []string{"incomplete_targets: 项目未设置产出指标", "min_applicable: 适用指标分值合计 10 分"}},
		{"no 产出指标", []jixiao.Indicator{qual("效益指标", "x", jixiao.Achieved), qual("满意度指标", "y", jixiao.Achieved)},
			[]string{"incomplete_targets: 项目未设置产出指标", "min_applicable: 适用指标分值合计 50 分"}},
	}
	for _, tt := range tests {
		p := jixiao.Project{ID: "P1", Name: "测试", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"), Indicators: tt.inds}
		_, rej := rs.NewScorer().Score(&p)
		if rej == nil || len(rej.Errors) != len(tt.want) {
			t.Errorf("%s: refused with %v, want %q", tt.name, rej, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(rej.Errors[i], w) {
				t.Errorf("%s: reason %q, want %q", tt.name, rej.Errors[i], w)
			}
		}
	}
}
