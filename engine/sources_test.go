package engine

import (
	"strings"
	"testing"

	"jixiao"
)

// A result says which project indicator each leaf scored, which node read
// the computed execution rate, and the rescale step, so that front ends
// read them instead of guessing.
func TestResultRecordsSources(t *testing.T) {
	rs, err := Load("policies.yaml", []byte(strings.NewReplacer("MIN", "execution_rate: spent / budget_adjusted * 100", "POLICY", "").Replace(policyRules)))
	if err != nil {
		t.Fatal(err)
	}
	p := jixiao.Project{ID: "P", Name: "n", Year: 2024, BudgetAdjusted: dec("300"), Spent: dec("200"),
		Indicators: []jixiao.Indicator{
			leaf("甲", "x", jixiao.AtLeast, fp(10), fp(5)),
			leaf("乙", "y", jixiao.AtLeast, fp(10), fp(10)),
			leaf("甲", "z", jixiao.AtLeast, fp(10), fp(10)),
		}}
	r, rej := rs.NewScorer().Score(&p)
	if rej != nil {
		t.Fatal(rej.Errors)
	}
	want := map[string]int{"execution": 0, "a": 0, "a.1": 1, "a.2": 3, "b": 0, "b.1": 2}
	for id, pos := range want {
		n := r.Find(id)
		if n == nil {
			t.Fatalf("no node %s", id)
		}
		if n.Indicator != pos {
			t.Errorf("%s: indicator %d, want %d", id, n.Indicator, pos)
		}
		if pos > 0 && n.Name != p.Indicators[pos-1].Name {
			t.Errorf("%s is %s, but indicator %d is %s", id, n.Name, pos, p.Indicators[pos-1].Name)
		}
		if reads := n.ExecutionRate != nil; reads != (id == "execution") {
			t.Errorf("%s: execution rate %v", id, n.ExecutionRate)
		}
	}
	if r.ExecutionRate == nil || r.ExecutionRate.String() != "66.67" || r.Find("execution").ExecutionRate != r.ExecutionRate {
		t.Errorf("execution rate %v, node %v; want 66.67 on both", r.ExecutionRate, r.Find("execution").ExecutionRate)
	}
	if r.Rescale != nil {
		t.Errorf("rescale %+v with every group applying", *r.Rescale)
	}

	// Without a 乙 indicator the total is rescaled: 13.33 + 20 = 33.33 of
	// 60 points is 55.55 of 100.
	p.Indicators = p.Indicators[:1]
	r, rej = rs.NewScorer().Score(&p)
	if rej != nil {
		t.Fatal(rej.Errors)
	}
	if r.Rescale == nil || r.Rescale.Sum.String() != "33.33" || r.Rescale.Applicable.String() != "60.00" || r.Total.String() != "55.55" {
		t.Errorf("rescale %+v, total %s; want 33.33 of 60.00, 55.55", r.Rescale, r.Total)
	}
}

// A node reads the execution rate only when its formulas read every name
// the execution_rate formula reads, directly or through derived values.
func TestReadsRate(t *testing.T) {
	tests := []struct {
		name, rate, score string
		reads             bool
	}{
		{"same names", "spent / budget_adjusted * 100", "W * min(spent / budget_adjusted, 1)", true},
		{"through a derived value", "R_exact", "W * min(R, 100) / 100", true},
		{"another rate", "spent / budget_adjusted * 100", "W * min(funds_arrived / budget_adjusted, 1)", false},
		{"no rate named", "", "W * min(spent / budget_adjusted, 1)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.NewReplacer(
				"MIN", "derived:\n  R_exact: spent / budget_adjusted * 100\n  R: round2(R_exact)\nexecution_rate: "+tt.rate,
				"W * min(spent / budget_adjusted, 1)", tt.score, "POLICY", "").Replace(policyRules)
			if tt.rate == "" {
				src = strings.Replace(src, "execution_rate: \n", "", 1)
			}
			rs, err := Load("policies.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.roots[0].readsRate; got != tt.reads {
				t.Errorf("reads rate %v, want %v", got, tt.reads)
			}
		})
	}
}
