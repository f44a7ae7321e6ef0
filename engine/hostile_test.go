package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"jixiao"
)

// Formulas are code written by people: the constructs that loop or build
// lists are refused when the file loads, at their line.
func TestHostileConstructsRefused(t *testing.T) {
	for _, formula := range []string{
		`reduce(1..100000, #acc + #)`,
		`len(reduce(1..64, #acc + #acc, "x"))`,
		`let x = 1; x`,
		`all(1..100000000, # > 0) ? 1 : 0`,
		`len(1..100000)`,
		`find([1, 2], # > 1)`,
		`findIndex([1, 2], # > 1)`,
		`findLast([1, 2], # > 1)`,
		`len(groupBy([1, 2], #))`,
		`len(sortBy([1, 2], #))`,
		`len(map(1..10, #))`,
		`count(1..10, # > 1)`,
		`len(repeat("x", 1000000))`,
		`len(split(project_name, ""))`,
		`now().Year()`,
		`len(toJSON(1))`,
	} {
		t.Run(formula, func(t *testing.T) {
			src := strings.NewReplacer("MIN", "", "POLICY", "", "W * min(spent / budget_adjusted, 1)", "'"+formula+"'").Replace(policyRules)
			_, err := Load("hostile.yaml", []byte(src))
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), "hostile.yaml:16:") {
				t.Errorf("not at the formula's line: %v", err)
			}
		})
	}
}

// A text that doubles through derived values fails the formula at 64 KiB:
// the project is refused with a clear message, quickly and without
// taking memory.
func TestTextGrowthBounded(t *testing.T) {
	var derived strings.Builder
	derived.WriteString("derived:\n  t0: project_name\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&derived, "  t%d: t%d + t%d\n", i, i-1, i-1)
	}
	rs, p := textRuleSet(t, derived.String(), "len(t40) > 0 ? W : 0")
	start := time.Now()
	for _, sc := range []*Scorer{rs.NewScorer(), rs.NewScorer().ScoresOnly()} {
		_, rej := sc.Score(&p)
		if rej == nil || !strings.Contains(strings.Join(rej.Errors, "; "), "a text longer than 64 KiB") {
			t.Fatalf("got %+v, want the project refused for a text too long", rej)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d) // 2^40 bytes would never finish
	}
}

// textRuleSet loads policyRules with the derived values given and the
// execution indicator scored by score, with the project the text tests
// score.
func textRuleSet(t *testing.T, derived, score string) (*RuleSet, jixiao.Project) {
	t.Helper()
	src := strings.NewReplacer("MIN", derived, "POLICY", "", "W * min(spent / budget_adjusted, 1)", "'"+score+"'").Replace(policyRules)
	rs, err := Load("hostile.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rs, jixiao.Project{ID: "P", Name: "项目名称", Year: 2024, BudgetAdjusted: dec("100"), Spent: dec("100"),
		Indicators: []jixiao.Indicator{leaf("甲", "x", jixiao.AtLeast, fp(10), fp(10)), leaf("乙", "y", jixiao.AtLeast, fp(10), fp(10))}}
}

// Many joins of texts under the size limit are bounded per project too.
func TestTextWorkBounded(t *testing.T) {
	var derived strings.Builder
	derived.WriteString("derived:\n  t0: project_name\n")
	for i := 1; i <= 12; i++ { // up to 4096 copies of the name: 48 KiB
		fmt.Fprintf(&derived, "  t%d: t%d + t%d\n", i, i-1, i-1)
	}
	for i := 0; i < 200; i++ { // 200 joins of 48 KiB each: 9.6 MiB
		fmt.Fprintf(&derived, "  u%d: t12 + t0\n", i)
	}
	rs, p := textRuleSet(t, derived.String(), "len(u199) > 0 ? W : 0")
	_, rej := rs.NewScorer().Score(&p)
	if rej == nil || !strings.Contains(strings.Join(rej.Errors, "; "), "4 MiB of joined texts") {
		t.Fatalf("got %+v, want the project refused", rej)
	}
	// A project's budget is its own: a short name passes.
	p.Name = "项"
	if _, rej := rs.NewScorer().Score(&p); rej != nil {
		t.Errorf("a short name is refused: %v", rej.Errors)
	}
}

// A rule file's tests have a time budget: past it the rest fail unrun,
// which keeps the file from being activated.
func TestTestsWithinBudget(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	all := rs.RunTests()
	for _, r := range all {
		if !r.Passed {
			t.Fatalf("%s: %v", r.Name, r.Failures)
		}
	}
	got := rs.RunTestsWithin(context.Background(), time.Nanosecond)
	if !got[0].Passed || got[1].Passed || !strings.Contains(got[1].Failures[0], "not run: the file's tests before it took") {
		t.Errorf("with a budget of 1ns: %+v", got[:2])
	}
	if rs.TestError(got) == nil {
		t.Error("tests over the budget are no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := rs.RunTestsWithin(ctx, time.Hour)
	for _, r := range stopped {
		if r.Passed || !strings.Contains(r.Failures[0], "not run: the check was stopped") {
			t.Fatalf("with a cancelled context: %+v", r)
		}
	}
}
