package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"jixiao"
)

// A formula means the same thing to expr's checker, to expr's VM and to
// the engine's closures. These tests run formulas through the closures and
// through the VM on random frames and fail on any difference; where the
// closures needed exact arithmetic (near a boundary, where float64 and the
// exact value part ways), they are compared with the exact evaluator
// instead.

// corpus covers every operator and every allowed builtin.
var corpus = []string{
	"spent + budget_adjusted", "spent - T", "A * W", "A / T", "T ** 2", "A ** -1", "(A - T) ** 3",
	"year % 7", "year % indicator_count", "-spent", "+spent", "-year",
	"abs(balance - spent)", "abs(-year)", "ceil(A / 3)", "floor(A / 3)", "round(A / 7)", "int(A / 3)",
	"float(year)", "float(year) / 3", "len(name)", "len(unit) + year",
	"min(A, T)", "max(A, T, W)", "min(year, indicator_count)", "max(year, 2.5)", "min(A)",
	"round2(A / 3)", "roundTo(A / 7, 3)", "roundTo(A / 7, indicator_count % 7)", "round2(spent / budget_adjusted * 100)",
	"trim(name)", `trim(name, " ")`, "upper(unit)", "lower(unit)",
	`hasPrefix(name, "服务")`, `hasSuffix(name, "率")`, "name + unit",
	`name contains "率"`, `name startsWith "服务"`, `name endsWith "率"`,
	`level2 in ["数量指标", "质量指标"]`, "year in [2023, 2024]", "A in [T, W, 0.1]",
	"A < T", "A <= T", "A > T", "A >= T", "A == T", "A != T",
	"has_actual && A > 0", "has_actual and A > 0", "has_actual || has_target", "has_actual or has_target",
	"!has_actual", "not has_actual", "has_actual == has_target", "has_actual != has_target",
	"name == level1", "name != level1",
	"A > T ? A : T", "A > T ? name : unit", "A > T ? has_actual : has_target", "year > 2023 ? year : indicator_count",
	"year % 2 == 1", "indicator_count * 2 + year", "year / 4", "year - indicator_count * 3",
	"spent / budget_adjusted * 100 >= 90", "1.2 * T <= A", "0.1 + 0.2 == 0.3", "A / T >= 1.2",
	"W * A / T", "W * (1 - (A - T) / T)", "W * min(round2(spent / budget_adjusted * 100), 100) / 100",
	"roundTo(abs(execution_rate - spent / budget_adjusted * 100), 4) > 0.01",
}

// vmEnv returns a sample environment with the type of every name.
func vmEnv(l *layout) map[string]any {
	env := map[string]any{}
	for name, s := range l.slots {
		switch {
		case s.kind == kindBool:
			env[name] = false
		case s.kind == kindText:
			env[name] = ""
		case s.isInt:
			env[name] = 0
		default:
			env[name] = 0.0
		}
	}
	return env
}

// frameEnv gives the VM the values of a frame, each with its type.
func frameEnv(f *frame, l *layout) map[string]any {
	env := map[string]any{}
	for name, s := range l.slots {
		switch {
		case s.kind == kindBool:
			env[name] = f.flag[s.idx]
		case s.kind == kindText:
			env[name] = f.text[s.idx]
		case s.isInt:
			env[name] = int(f.val[s.idx].v)
		default:
			env[name] = f.val[s.idx].v
		}
	}
	return env
}

var sampleTexts = []string{"", "产出指标", "数量指标", "服务对象满意度", "达成率", " 人次 ", "km", "A", ">="}

// randomFrame fills every slot: whole numbers for whole-number names,
// decimals of every size (and zero, and negatives) for the others.
func randomFrame(r *rand.Rand, l *layout) *frame {
	f := l.newFrame()
	for name, s := range l.slots {
		switch s.kind {
		case kindBool:
			f.flag[s.idx] = r.IntN(2) == 0
		case kindText:
			f.text[s.idx] = sampleTexts[r.IntN(len(sampleTexts))]
			l.used[s.idx] = true
		default:
			if s.isInt {
				v := float64(r.IntN(40))
				if name == "year" {
					v = float64(2018 + r.IntN(10))
				}
				f.setWhole(s.idx, v)
				continue
			}
			var v float64
			switch r.IntN(6) {
			case 0:
				v = 0
			case 1:
				v = float64(r.IntN(200) - 20)
			case 2:
				v = float64(r.Int64N(1e12)) / 100
			case 3:
				v = float64(r.IntN(100_000)) / 100
			default:
				v = float64(r.IntN(1_000_000)-100_000) / 1000
			}
			f.setInput(s.idx, v)
		}
	}
	return f
}

// agree runs one formula both ways on a frame and describes a difference.
func agree(fm *formula, prog *vm.Program, f *frame, env map[string]any) string {
	f.exactCalls, f.fault = 0, nil
	var got any
	var bnd float64
	switch fm.kind {
	case kindNum:
		v, e := fm.num(f)
		got, bnd = v, bound(v, e)
	case kindBool:
		got = fm.flag(f)
	default:
		got = fm.text(f)
	}
	fault := f.fault
	if f.exactCalls > 0 {
		// Near a boundary: the closures must give the exact value.
		want := f.exact(fm.node)
		switch fm.kind {
		case kindNum:
			w := want.num.float()
			g := got.(float64)
			switch {
			case g == w, g != g && w != w:
			case math.Abs(g-w) <= bnd+math.Abs(w)*halfUlp:
				// within the bound the closure stated
			default:
				return fmt.Sprintf("closure %v (bound %g), exact %v", g, bnd, w)
			}
		case kindBool:
			if got.(bool) != want.flag {
				return fmt.Sprintf("closure %v, exact %v", got, want.flag)
			}
		}
		return ""
	}
	out, err := vm.Run(prog, env)
	if (err != nil) != (fault != nil) {
		return fmt.Sprintf("VM error %v, closure error %v", err, fault)
	}
	if err != nil {
		return ""
	}
	switch want := out.(type) {
	case int:
		if g := got.(float64); g != float64(want) {
			return fmt.Sprintf("closure %v, VM %v", g, want)
		}
	case float64:
		g := got.(float64)
		switch {
		case g == want, g != g && want != want:
		case math.IsInf(g, 0) && (math.IsInf(want, 0) || want != want):
			// no negative zero: 1/(0 × −1) is +Inf here, −Inf on the VM
		default:
			return fmt.Sprintf("closure %v, VM %v", g, want)
		}
	default:
		if !reflect.DeepEqual(got, out) {
			return fmt.Sprintf("closure %#v, VM %#v", got, out)
		}
	}
	return ""
}

// ruleSetFormulas lists every formula of a compiled rule set.
func ruleSetFormulas(rs *RuleSet) []*formula {
	var out []*formula
	add := func(fms ...*formula) {
		for _, fm := range fms {
			if fm != nil {
				out = append(out, fm)
			}
		}
	}
	addTemplate := func(tp *template) {
		if tp != nil {
			for _, p := range tp.parts {
				add(p.fm)
			}
		}
	}
	addCases := func(cases []*scoringCase) {
		for _, c := range cases {
			add(c.when, c.score)
			addTemplate(c.reason)
			if c.finding != nil {
				addTemplate(c.finding.message)
			}
		}
	}
	for _, d := range rs.derived {
		add(d.fm)
	}
	for _, m := range rs.missing {
		add(m.def)
	}
	add(rs.executionRate)
	var walk func([]*node)
	walk = func(nodes []*node) {
		for _, n := range nodes {
			addCases(n.cases)
			walk(n.kids)
			if n.sel != nil {
				add(n.sel.where)
				for _, cases := range n.sel.table.byDir {
					addCases(cases)
				}
			}
		}
	}
	walk(rs.roots)
	for _, ch := range append(append([]*check(nil), rs.projectChecks...), rs.leafChecks...) {
		add(ch.when)
		addTemplate(ch.message)
	}
	return out
}

func TestClosuresMatchVM(t *testing.T) {
	frames := 2000
	if testing.Short() {
		frames = 200
	}
	r := rand.New(rand.NewPCG(3, 4))
	type job struct {
		label string
		fm    *formula
		l     *layout
	}
	var jobs []job
	base := loadBuiltin(t, "cn-mof-2020-self")
	c := &compiler{layout: base.layout}
	for _, src := range corpus {
		prog, err := expr.Compile(src, c.options(vmEnv(base.layout), reflect.Invalid)...)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		fm, err := translate(prog.Node(), base.layout)
		if err != nil {
			t.Fatalf("%s: not translated: %v", src, err)
		}
		fm.src = src
		jobs = append(jobs, job{"corpus", &fm, base.layout})
	}
	for _, rs := range builtinRuleSets(t) {
		for _, fm := range ruleSetFormulas(rs) {
			jobs = append(jobs, job{rs.Ref().ID, fm, rs.layout})
		}
	}
	// Frames are made once per layout and shared by its formulas.
	type sample struct {
		f   *frame
		env map[string]any
	}
	samples := map[*layout][]sample{}
	for _, j := range jobs {
		if _, ok := samples[j.l]; ok {
			continue
		}
		list := make([]sample, frames)
		for i := range list {
			f := randomFrame(r, j.l)
			list[i] = sample{f, frameEnv(f, j.l)}
		}
		samples[j.l] = list
	}
	for _, j := range jobs {
		prog, err := expr.Compile(j.fm.src, (&compiler{}).options(vmEnv(j.l), reflect.Invalid)...)
		if err != nil {
			t.Fatalf("%s: %s: %v", j.label, j.fm.src, err)
		}
		for i, smp := range samples[j.l] {
			if d := agree(j.fm, prog, smp.f, smp.env); d != "" {
				t.Fatalf("%s: %s differs on frame %d: %s\nframe: %v", j.label, j.fm.src, i, d, smp.env)
			}
		}
	}
	t.Logf("%d formulas × %d frames", len(jobs), frames)
}

// Names have one type for the checker and at run time: year and
// indicator_count are whole numbers, so % works on them.
func TestWholeNumberNames(t *testing.T) {
	src, _ := builtinSource(t, "cn-mof-2020-self")
	src = strings.Replace(src, "checks:\n", `checks:
  - id: odd_year
    severity: info
    when: year % 2 == 1 && indicator_count % 2 == 0 && year / 2 > 1000
    message: 奇数年度 {year}，{indicator_count} 个指标，{year / 2}
`, 1)
	rs, err := Load("whole.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		year int
		want bool
	}{{2023, true}, {2024, false}} {
		p := project("100", "100", leaf("产出指标", "数量", jixiao.AtLeast, fp(1), fp(1)), leaf("满意度指标", "满意度", jixiao.AtLeast, fp(1), fp(1)))
		p.Year = tc.year
		res := score(t, rs, p)
		if hasFinding(res, "odd_year") != tc.want {
			t.Errorf("year %d: odd_year finding %v, want %v", tc.year, !tc.want, tc.want)
		}
		if tc.want {
			want := fmt.Sprintf("奇数年度 2023，%d 个指标，1011.5", len(p.Indicators))
			for _, f := range res.Findings {
				if f.Check == "odd_year" && f.Message != want {
					t.Errorf("message %q, want %q", f.Message, want)
				}
			}
		}
	}
}

func builtinSource(t *testing.T, id string) (string, string) {
	t.Helper()
	for _, rs := range builtinRuleSets(t) {
		if rs.Ref().ID == id {
			return string(rs.File().Body), rs.File().Path
		}
	}
	t.Fatalf("no built-in %s", id)
	return "", ""
}

// Constructs the closures do not cover are refused when the file loads,
// at the formula's line, instead of failing on every project.
func TestRefusedConstructs(t *testing.T) {
	src, _ := builtinSource(t, "cn-mof-2020-self")
	for _, tc := range []struct{ formula, want string }{
		{"spent ** 0.5 > 1", "needs a written whole-number exponent"},
		{"len([1, 2]) > 1", "not available"},
		{"string(A) == \"1\"", "not available"},
		{"all(1..3, # > 0)", "not available"},
		{"let x = spent; x > 1", "not available"},
	} {
		body := strings.Replace(src, "    when: spent > budget_adjusted\n", "    when: "+fmt.Sprintf("%q", tc.formula)+"\n", 1)
		_, err := Load("refused.yaml", []byte(body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "refused.yaml:") {
			t.Errorf("%s: got %v, want an error at its line containing %q", tc.formula, err, tc.want)
		}
	}
}
