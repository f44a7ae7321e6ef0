package engine_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

// rulesDir holds the rule files the tests load, relative to this package.
const rulesDir = "../testdata/rules"

// mistakeMarker ends the line of a broken rule file at which the first
// error must be reported.
const mistakeMarker = "# ← 此行有误"

// TestLoadBroken loads every rule file in testdata/rules/broken, each a
// copy of a working file with one mistake, and compares the errors with
// the golden file next to it. go test -run TestLoadBroken -update
// rewrites the golden files.
func TestLoadBroken(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(rulesDir, "broken", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no broken rule files found")
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// The name in messages is the one a user would type from the
			// repository root.
			label := "testdata/rules/broken/" + filepath.Base(path)
			_, err = engine.Load(label, data)
			if err == nil {
				t.Fatalf("loaded %s without error", label)
			}
			var errs rules.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want rules.Errors: %v", err, err)
			}
			for _, d := range errs {
				if d.File != label || d.Line <= 0 {
					t.Errorf("diagnostic without file and line: %+v", d)
				}
			}
			if want := markedLine(t, data); errs[0].Line != want {
				t.Errorf("first error at line %d, want line %d (marked %q):\n%v", errs[0].Line, want, mistakeMarker, err)
			}

			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./engine -run TestLoadBroken -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n got: %s\nwant: %s", golden, got, want)
			}
		})
	}
}

// markedLine returns the 1-based line that carries mistakeMarker.
func markedLine(t *testing.T, data []byte) int {
	t.Helper()
	line := 0
	for i, text := range strings.Split(string(data), "\n") {
		if strings.Contains(text, mistakeMarker) {
			if line != 0 {
				t.Fatalf("%q marks both line %d and line %d", mistakeMarker, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("no line is marked %q", mistakeMarker)
	}
	return line
}

// TestLoadBuiltin loads every built-in rule file and runs its embedded
// tests.
func TestLoadBuiltin(t *testing.T) {
	srcs := rules.Builtin()
	if len(srcs) == 0 {
		t.Fatal("no built-in rule files")
	}
	for _, src := range srcs {
		t.Run(filepath.Base(src.Path), func(t *testing.T) {
			rs, err := engine.Load(src.Path, src.Data)
			if err != nil {
				t.Fatalf("load:\n%v", err)
			}
			results := rs.RunTests()
			if len(results) == 0 {
				t.Errorf("%s has no embedded tests", src.Path)
			}
			for _, r := range results {
				if !r.Passed {
					t.Errorf("%s:%d: test %q failed: %s", src.Path, r.Line, r.Name, strings.Join(r.Failures, "; "))
				}
			}
			if err := rs.TestError(results); err != nil {
				t.Errorf("TestError reports passing tests:\n%v", err)
			}
		})
	}
}

// TestLoadRuleFiles loads the working rule files of testdata/rules.
func TestLoadRuleFiles(t *testing.T) {
	for _, name := range []string{"district-2024.yaml", "failing-test.yaml"} {
		data, err := os.ReadFile(filepath.Join(rulesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Load(name, data); err != nil {
			t.Errorf("%s:\n%v", name, err)
		}
	}
}

// TestFailingEmbeddedTest checks that a rule file whose embedded test
// does not hold loads, but RunTests and TestError report the test by its
// line.
func TestFailingEmbeddedTest(t *testing.T) {
	const label = "testdata/rules/failing-test.yaml"
	data, err := os.ReadFile(filepath.Join(rulesDir, "failing-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := engine.Load(label, data)
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	results := rs.RunTests()
	if len(results) != 1 {
		t.Fatalf("%d test results, want 1: %+v", len(results), results)
	}
	r := results[0]
	const line = 67 // the test's "- name:" line
	if r.Passed || r.Name != "全部达标" || r.Line != line {
		t.Errorf("result %+v, want test 全部达标 at line %d failing", r, line)
	}
	err = rs.TestError(results)
	var errs rules.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("TestError gave %T %v, want rules.Errors", err, err)
	}
	const want = `testdata/rules/failing-test.yaml:67: test "全部达标": total 100.00, want 90.00`
	if err.Error() != want {
		t.Errorf("TestError:\n got %s\nwant %s", err, want)
	}
	if lines := strings.Split(string(data), "\n"); len(lines) < line || lines[line-1] != "  - name: 全部达标" {
		t.Errorf("line %d of %s is not the test's name", line, label)
	}
}

// TestLoadRegressions loads variations of testdata/rules/district-2024.yaml
// that once crashed, misled or were refused, and scores a project with
// each one that loads.
func TestLoadRegressions(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(rulesDir, "district-2024.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		old, new string // replace old, which must occur once, with new
		err      string // a diagnostic must contain this; "" means it loads
		at       string // the first diagnostic points at the first occurrence of this text
		maxDiags int    // at most this many diagnostics, when set
		maxLen   int    // no diagnostic longer than this, when set
		// Scoring fuzzProject must not be rejected with a reason that
		// contains this.
		notRejected string
	}{
		// A formula of only spaces passed Parse; the engine compiled it to
		// nothing and scoring then ran a nil program and crashed.
		{name: "blank score", old: "      - score: W * 0.5\n", new: "      - score: \" \"\n", err: "scoring case 2 has no score formula", at: `" "`},
		{name: "blank check condition", old: "    when: spent < 0\n", new: "    when: ' '\n", err: "a check needs a when condition", at: "negative_spent"},
		// An empty list entry crashed Parse with a nil indicator.
		{name: "empty indicator", old: "\nindicators:\n", new: "\nindicators:\n  -\n", err: "empty list entry", at: "\n  - id: execution"}, // just after the "-"
		{name: "empty child", old: "    points: 50\n    leaves:\n      level1: 产出指标\n      rules: standard\n", new: "    points: 50\n    children: [~]\n", err: "empty list entry", at: "~"},
		// An alias inside derived was refused as "expected a single value".
		{name: "alias in derived", old: "  R: \"budget_adjusted", new: "  S: &spent spent\n  S2: *spent\n  R: \"budget_adjusted"},

		{name: "empty placeholder in check message", old: "    when: spent < 0\n    message: 全年执行数不能为负数（{spent:.2}）\n", new: "    when: spent > 0\n    message: 全年执行数 {} 元\n",
			err: "{}", at: "全年执行数 {} 元"},
		// A derived value of type int was declared to later formulas as a
		// float64, and round2(N) failed when scoring.
		{name: "integer derived value", old: "  R: \"budget_adjusted", new: "  N: indicator_count\n  N2: round2(N)\n  R: \"budget_adjusted",
			notRejected: "interface conversion"},
		{name: "typo in a block formula", old: "      - score: W * A / T\n", new: "      - score: |\n          W * A / TT\n", err: "unknown name: TT", at: "TT"},
		{name: "typo in a message formula", old: "得 {score} 分\n    qualitative", new: "得 {A / TT:.1} 分\n    qualitative", err: "unknown name: TT", at: "TT"},
		{name: "cycle reported once", old: "  R: \"budget_adjusted > 0 ? round2(spent / budget_adjusted * 100) : 0\"\n", new: "  R_exact: \"R > 100 ? 100 : spent / budget_adjusted * 100\"\n  R: \"budget_adjusted > 0 ? round2(R_exact) : 0\"\n",
			err: "derived values form a cycle: R_exact → R → R_exact", at: "R_exact", maxDiags: 1},
		{name: "long formula", old: "  R: \"budget_adjusted", new: "  S: " + strings.Repeat("spent + ", 300) + "spent\n  R: \"budget_adjusted",
			err: "the formula is too long", at: "spent + spent", maxLen: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c := strings.Count(string(base), tc.old); c != 1 {
				t.Fatalf("%q occurs %d times in district-2024.yaml", tc.old, c)
			}
			src := strings.Replace(string(base), tc.old, tc.new, 1)
			rs, err := engine.Load("r.yaml", []byte(src))
			if tc.err == "" {
				if err != nil {
					t.Fatalf("load:\n%v", err)
				}
			} else {
				var errs rules.Errors
				if !errors.As(err, &errs) {
					t.Fatalf("got %v, want rules.Errors with %q", err, tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Errorf("no diagnostic contains %q:\n%v", tc.err, err)
				}
				line, col := position(src, tc.at)
				if d := errs[0]; d.Line != line || d.Column != col {
					t.Errorf("first diagnostic at %d:%d, want %d:%d (%q):\n%v", d.Line, d.Column, line, col, tc.at, err)
				}
				if tc.maxDiags > 0 && len(errs) > tc.maxDiags {
					t.Errorf("%d diagnostics, want at most %d:\n%v", len(errs), tc.maxDiags, err)
				}
				for _, d := range errs {
					if n := len([]rune(d.String())); tc.maxLen > 0 && n > tc.maxLen {
						t.Errorf("a diagnostic of %d characters: %.200s…", n, d)
					}
				}
				return
			}
			p := fuzzProject
			res, rej := rs.NewScorer().Score(&p)
			if rej != nil && tc.notRejected != "" && strings.Contains(strings.Join(rej.Errors, "\n"), tc.notRejected) {
				t.Errorf("rejected: %v", rej.Errors)
			}
			if rej == nil && res.Grade == "" {
				t.Errorf("total %s without a grade", res.Total)
			}
			for _, r := range rs.RunTests() {
				if !r.Passed {
					t.Errorf("embedded test %q: %v", r.Name, r.Failures)
				}
			}
		})
	}
}

// position returns the line and column (from 1, in characters) of the
// first occurrence of needle in text.
func position(text, needle string) (line, col int) {
	i := strings.Index(text, needle)
	if i < 0 {
		return 0, 0
	}
	before := text[:i]
	line = strings.Count(before, "\n") + 1
	col = len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return line, col
}

// fuzzProject is scored by every rule file the fuzzer manages to load: a
// little of everything that formulas read, in the indicator groups that
// the built-in rules and testdata/rules/district-2024.yaml both have.
var fuzzProject = func() jixiao.Project {
	f := func(v float64) *float64 { return &v }
	d := func(s string) *jixiao.Decimal {
		v, err := jixiao.ParseDecimal(s)
		if err != nil {
			panic(err)
		}
		return &v
	}
	return jixiao.Project{
		ID: "F-01", Name: "模糊测试项目", Department: "财政局", Year: 2024,
		BudgetInitial: d("1000"), BudgetAdjusted: 80000, FundsArrived: d("800"),
		Spent: 72000, Balance: d("80"), ExecutionRate: d("91"), Compliance: jixiao.PartiallyAchieved,
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.AtLeast, Target: f(10), Actual: f(8), Unit: "个"},
			{Level1: "产出指标", Level2: "质量指标", Name: "质量", Direction: jixiao.AtLeast, Target: f(0), Weight: d("10")},
			{Level1: "产出指标", Level2: "时效指标", Name: "时效", Direction: jixiao.AtLeast, Target: f(30), Actual: f(45)},
			{Level1: "效益指标", Level2: "社会效益指标", Name: "效益", Direction: jixiao.Qualitative, Rating: jixiao.PartiallyAchieved},
			{Level1: "效益指标", Level2: "经济效益指标", Name: "增收", Direction: jixiao.AtLeast, Target: f(90), Actual: f(-5)},
		},
	}
}()

// FuzzLoad loads arbitrary rule files. Loading must never panic, and a
// rule file that loads must score a project and run its own tests
// without panicking.
func FuzzLoad(f *testing.F) {
	for _, src := range rules.Builtin() {
		f.Add(src.Data)
	}
	paths, _ := filepath.Glob(filepath.Join(rulesDir, "*.yaml"))
	broken, _ := filepath.Glob(filepath.Join(rulesDir, "broken", "*.yaml"))
	for _, path := range append(paths, broken...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := engine.Load("fuzz.yaml", data)
		if err != nil {
			var errs rules.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not rules.Errors: %v", err, err)
			}
			for _, d := range errs {
				if d.File == "" || d.Message == "" {
					t.Fatalf("incomplete diagnostic %+v", d)
				}
			}
			return
		}
		if rs == nil {
			t.Fatal("no rule set and no error")
		}
		p := fuzzProject
		p.Indicators = append([]jixiao.Indicator(nil), fuzzProject.Indicators...)
		res, rej := rs.NewScorer().Score(&p)
		if rej == nil {
			if res.Total < 0 || res.Total > jixiao.Points(100) {
				t.Fatalf("total %s outside 0–100", res.Total)
			}
			if res.Grade == "" {
				t.Fatalf("total %s has no grade", res.Total)
			}
		}
		rs.RunTests()
	})
}
