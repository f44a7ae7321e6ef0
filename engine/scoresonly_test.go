package engine

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"jixiao"
)

// The scores-only scorer gives the total, the grade and the rejections
// the full scorer gives, on every project and every built-in rule set,
// though it skips the warning and info checks that cannot fail.
func TestScoresOnlyAgreesWithFullResults(t *testing.T) {
	count := 20_000
	if testing.Short() {
		count = 2_000
	}
	projects := boundaryProjects(5, count)
	for _, rs := range builtinRuleSets(t) {
		t.Run(rs.Ref().ID, func(t *testing.T) {
			full, fast := rs.NewScorer(), rs.NewScorer().ScoresOnly()
			rejected := 0
			for i := range projects {
				p := &projects[i]
				r1, j1 := full.Score(p)
				r2, j2 := fast.Score(p)
				if (j1 == nil) != (j2 == nil) || j1 != nil && !reflect.DeepEqual(j1.Errors, j2.Errors) {
					in, _ := json.Marshal(p)
					t.Fatalf("project %d: rejection %v, scores only %v\ninput: %s", i, j1, j2, in)
				}
				if j1 != nil {
					rejected++
					continue
				}
				if r1.Total != r2.Total || r1.Grade != r2.Grade {
					in, _ := json.Marshal(p)
					t.Fatalf("project %d: %s %s, scores only %s %s\ninput: %s", i, r1.Total, r1.Grade, r2.Total, r2.Grade, in)
				}
			}
			if rejected == count {
				t.Fatal("every project was rejected: nothing compared")
			}
		})
	}
}

// A warning check whose condition can fail is still run by the
// scores-only scorer: its failure rejects the project in both.
func TestScoresOnlyRunsChecksThatCanFail(t *testing.T) {
	src, _ := builtinSource(t, "cn-mof-2020-self")
	src = strings.Replace(src, "checks:\n", `checks:
  - id: divides_by_zero
    severity: warning
    when: year % (indicator_count - indicator_count) == 0
    message: 不会显示
`, 1)
	rs, err := Load("fails.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := demoProject()
	for _, sc := range []*Scorer{rs.NewScorer(), rs.NewScorer().ScoresOnly()} {
		if _, rej := sc.Score(&p); rej == nil {
			t.Errorf("scores only %v: the failing check did not reject the project", sc.scoresOnly)
		}
	}
}

// mayFail is true for every formula of the corpus that can fail, and a
// formula it calls safe never fails on random frames.
func TestMayFail(t *testing.T) {
	base := loadBuiltin(t, "cn-mof-2020-self")
	c := &compiler{layout: base.layout}
	compile := func(src string) *formula {
		prog, err := expr.Compile(src, c.options(vmEnv(base.layout), reflect.Invalid)...)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		fm, err := translate(prog.Node(), base.layout)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		return &fm
	}
	for src, want := range map[string]bool{
		"A / T >= 1.2":                       false,
		"W * (1 - (A - T) / T)":              false,
		"round2(abs(balance - spent)) > 100": false,
		`level2 in ["数量指标", "质量指标"]`:         false,
		"year % 2 == 1":                      true,
		"year + 1 > 2024":                    true,
		"T ** 2 > A":                         true,
		"round(A / 7) > 1":                   true,
		"int(A) > 1":                         true,
	} {
		if got := mayFail(compile(src).node); got != want {
			t.Errorf("mayFail(%s) = %v, want %v", src, got, want)
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	for _, src := range corpus {
		fm := compile(src)
		if mayFail(fm.node) {
			continue
		}
		for range 500 {
			f := randomFrame(r, base.layout)
			switch fm.kind {
			case kindNum:
				fm.num(f)
			case kindBool:
				fm.flag(f)
			default:
				fm.text(f)
			}
			if f.fault != nil {
				t.Fatalf("%s: called safe, failed with %v", src, f.fault)
			}
		}
	}
}

func demoProject() jixiao.Project {
	return jixiao.Project{
		ID: "P-1", Name: "测试项目", Year: 2024, BudgetAdjusted: dec("100000"), Spent: dec("90000"),
		Indicators: []jixiao.Indicator{
			leaf("产出指标", "数量", jixiao.AtLeast, fp(10), fp(9)),
			qual("效益指标", "效益", jixiao.Achieved),
			leaf("满意度指标", "满意度", jixiao.AtLeast, fp(90), fp(95)),
		},
	}
}
