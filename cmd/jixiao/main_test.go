package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	huaihuaProjects = "../../demo/huaihua-2024-projects.json"
	goldenDir       = "../../testdata/golden"
)

// jixiaoRun runs the command in-process and returns what it printed and
// its exit status.
func jixiaoRun(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/jixiao -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test ./cmd/jixiao -update if the change is intended)", path, i+1, g, w)
		}
	}
	t.Fatalf("%s differs (run go test ./cmd/jixiao -update if the change is intended)", path)
}

// goldenRuleSets are the rule sets the Huaihua projects are scored
// under for the golden files.
var goldenRuleSets = []string{"cn-mof-2020-self", "huaihua-2024"}

func TestScoreGolden(t *testing.T) {
	for _, id := range goldenRuleSets {
		for _, format := range []string{"json", "table", "csv"} {
			t.Run(id+"/"+format, func(t *testing.T) {
				if _, ok := rules.BuiltinByID(id); !ok {
					t.Skipf("built-in rule set %s is not present", id)
				}
				out, errOut, code := jixiaoRun(t, "", "score", "--rules", id, "--format", format, huaihuaProjects)
				if code != exitOK {
					t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
				}
				golden(t, fmt.Sprintf("score-huaihua-%s.%s", id, format), out)
			})
		}
	}
}

func findingsOf(out jixiao.Outcome, project, check string) []jixiao.Finding {
	var fs []jixiao.Finding
	for _, r := range out.Results {
		if r.ProjectID != project {
			continue
		}
		for _, f := range r.Findings {
			if f.Check == check {
				fs = append(fs, f)
			}
		}
	}
	return fs
}

func TestScoreHuaihuaFindings(t *testing.T) {
	stdout, stderr, code := jixiaoRun(t, "", "score", "--format", "json", huaihuaProjects)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	var out jixiao.Outcome
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 26 {
		t.Errorf("%d results, want 26", len(out.Results))
	}
	if !strings.Contains(stdout, `"rejected": []`) {
		t.Errorf("rejected is not an empty array")
	}
	if strings.Contains(stdout, `"findings": null`) {
		t.Errorf("findings printed as null")
	}
	for i, r := range out.Results {
		if want := fmt.Sprintf("HH2024-%02d", i+1); r.ProjectID != want {
			t.Errorf("result %d is %s, want %s (input order)", i, r.ProjectID, want)
		}
		if r.RuleSet.ID != "cn-mof-2020-self" {
			t.Errorf("%s scored under %q", r.ProjectID, r.RuleSet.ID)
		}
	}

	bal := findingsOf(out, "HH2024-23", "balance_mismatch")
	if len(bal) != 1 {
		t.Fatalf("HH2024-23: %d balance_mismatch findings, want 1", len(bal))
	}
	if msg := bal[0].Message; !strings.Contains(msg, "1400.00") || !strings.Contains(msg, "14000.00") {
		t.Errorf("HH2024-23 balance_mismatch message %q does not give 1400.00 stated and 14000.00 computed", msg)
	}
	if bal[0].Severity != jixiao.SeverityWarning {
		t.Errorf("HH2024-23 balance_mismatch severity %s, want warning", bal[0].Severity)
	}
	for _, id := range []string{"HH2024-05", "HH2024-18"} {
		if fs := findingsOf(out, id, "execution_rate_mismatch"); len(fs) != 1 {
			t.Errorf("%s: %d execution_rate_mismatch findings, want 1", id, len(fs))
		}
	}
	if fs := findingsOf(out, "HH2024-03", "execution_rate_mismatch"); len(fs) != 0 {
		t.Errorf("HH2024-03 states 100%% and spent all its budget, but got %v", fs)
	}
}

func TestScoreDeterministic(t *testing.T) {
	first, _, code := jixiaoRun(t, "", "score", "--format", "json", huaihuaProjects)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, workers := range []string{"0", "1", "7"} {
		again, _, code := jixiaoRun(t, "", "score", "--format", "json", "--workers", workers, huaihuaProjects)
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
		if again != first {
			t.Fatalf("scoring again with %s workers gave different JSON", workers)
		}
	}
}

func TestScoreCSV(t *testing.T) {
	out, _, code := jixiaoRun(t, "", "score", "--format", "csv", huaihuaProjects)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out, "\ufeffproject_id,project_name,预算执行率,产出指标,效益指标,满意度指标,total,grade,findings\n") {
		t.Errorf("CSV does not start with a BOM and the header:\n%.200s", out)
	}
	if !strings.Contains(out, "\nHH2024-23,") {
		t.Errorf("CSV has no row for HH2024-23")
	}
	if n := strings.Count(out, "\n"); n != 27 {
		t.Errorf("CSV has %d lines, want a header and 26 rows", n)
	}
}

func TestScoreTable(t *testing.T) {
	out, _, code := jixiaoRun(t, "", "score", huaihuaProjects)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"项目编号", "项目名称", "预算执行率", "产出指标", "效益指标", "满意度指标", "总分", "等级", "问题数",
		"手机公积金APP及微信公众号渠…", // cut to the name width
		"规则：cn-mof-2020-self  版本 2024.1  哈希 ",
		"等级分布：优 ",
		"balance_mismatch",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	// Every row of the table is as wide as the header line.
	cond := widths()
	lines := strings.Split(out, "\n")
	width := cond.StringWidth(lines[1]) // the dashes under the header
	for _, l := range lines[2:28] {
		if w := cond.StringWidth(l); w != width {
			t.Errorf("row %q is %d wide, want %d", l, w, width)
		}
	}
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const someRejected = `{"projects": [
  {"id": "OK-1", "name": "达标项目", "year": 2024, "budget_adjusted": 100, "spent": 100,
   "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 1, "actual": 1}]},
  {"id": "BAD-1", "name": "执行数为负", "year": 2024, "budget_adjusted": 100, "spent": -1,
   "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 1, "actual": 1}]},
  {"id": "BAD-2", "year": 2024, "budget_adjusted": "很多", "spent": 1, "indicators": []},
  {"id": "OK-2", "name": "另一个达标项目", "year": 2024, "budget_adjusted": 200, "spent": 200,
   "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 1, "actual": 1},
                  {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "满意度", "direction": ">=", "target": 90, "actual": 95}]}
]}`

// brokenRules returns a copy of the built-in rule file with an unknown
// name in one formula, and the line of that formula.
func brokenRules(t *testing.T) (string, int) {
	t.Helper()
	src, ok := rules.BuiltinByID("cn-mof-2020-self")
	if !ok {
		t.Fatal("no built-in cn-mof-2020-self")
	}
	const good, bad = "score: W * min(R, 100) / 100", "score: W * min(Rate, 100) / 100"
	text := string(src.Data)
	i := strings.Index(text, good)
	if i < 0 {
		t.Fatalf("the built-in rule file no longer has %q", good)
	}
	line := 1 + strings.Count(text[:i], "\n")
	return strings.Replace(text, good, bad, 1), line
}

func TestScoreExitCodes(t *testing.T) {
	dir := t.TempDir()
	malformed := writeFile(t, dir, "malformed.json", `{"projects": [{"id": "X"`)
	unknownField := writeFile(t, dir, "unknown.json", `{"projects": [], "extra": 1}`)
	mixed := writeFile(t, dir, "mixed.json", someRejected)
	broken, brokenLine := brokenRules(t)
	brokenPath := writeFile(t, dir, "broken.yaml", broken)
	twoDir := filepath.Join(dir, "two")
	if err := os.Mkdir(twoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, _ := rules.BuiltinByID("cn-mof-2020-self")
	writeFile(t, twoDir, "a.yaml", string(src.Data))
	writeFile(t, twoDir, "b.yaml", string(src.Data))
	oneDir := filepath.Join(dir, "one")
	if err := os.Mkdir(oneDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, oneDir, "only.yaml", string(src.Data))
	huaihua, err := os.ReadFile(huaihuaProjects)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{name: "bad flag", args: []string{"score", "--bogus", huaihuaProjects}, code: exitUsage,
			wantStderr: []string{"flag provided but not defined: -bogus", "Usage:"}},
		{name: "bad format", args: []string{"score", "--format", "xml", huaihuaProjects}, code: exitUsage,
			wantStderr: []string{`unknown --format "xml"`}},
		{name: "negative workers", args: []string{"score", "--workers", "-1", huaihuaProjects}, code: exitUsage,
			wantStderr: []string{"--workers"}},
		{name: "no files", args: []string{"score"}, code: exitUsage,
			wantStderr: []string{"no project FILE given"}},
		{name: "stdin twice", args: []string{"score", "-", "-"}, code: exitUsage,
			wantStderr: []string{"only once"}},
		{name: "missing file", args: []string{"score", filepath.Join(dir, "nope.json")}, code: exitUsage,
			wantStderr: []string{"cannot read projects", "nope.json"}},
		{name: "malformed JSON", args: []string{"score", malformed}, code: exitUsage,
			wantStderr: []string{"malformed.json", "项目文档无效"}},
		{name: "unknown document field", args: []string{"score", unknownField}, code: exitUsage,
			wantStderr: []string{`未知字段 \"extra\"`}},
		{name: "some rejected", args: []string{"score", mixed}, code: exitRejected,
			wantStdout: []string{"OK-1", "OK-2", "未评分的项目（2 个）", "BAD-1", "negative_spent", "BAD-2", "name: 必填", "budget_adjusted: 须为以元为单位的数字"},
			wantStderr: []string{"rejected=2"}},
		{name: "some rejected, json", args: []string{"score", "--format", "json", mixed}, code: exitRejected,
			wantStdout: []string{`"project_id": "OK-1"`, `"project_id": "OK-2"`, `"project_id": "BAD-1"`, `"project_id": "BAD-2"`}},
		{name: "same projects twice", args: []string{"score", huaihuaProjects, huaihuaProjects}, code: exitRejected,
			wantStdout: []string{"未评分的项目（26 个）", `duplicate id "HH2024-01" in year 2024`}},
		{name: "unknown rules id", args: []string{"score", "--rules", "no-such-rules", huaihuaProjects}, code: exitUsage,
			wantStderr: []string{"no-such-rules", "no such file, directory or built-in rule set"}},
		{name: "broken rule file", args: []string{"score", "--rules", brokenPath, huaihuaProjects}, code: exitUsage,
			wantStderr: []string{fmt.Sprintf("%s:%d:", brokenPath, brokenLine), "Rate"}},
		{name: "rules dir with two files", args: []string{"score", "--rules", twoDir, huaihuaProjects}, code: exitUsage,
			wantStderr: []string{"several rule files", "a.yaml, b.yaml"}},
		{name: "rules dir with one file", args: []string{"score", "--rules", oneDir, huaihuaProjects}, code: exitOK,
			wantStdout: []string{"HH2024-26"}},
		{name: "stdin", stdin: string(huaihua), args: []string{"score", "-"}, code: exitOK,
			wantStdout: []string{"HH2024-01", "HH2024-26"}},
		{name: "flags after files", args: []string{"score", huaihuaProjects, "--format", "csv"}, code: exitOK,
			wantStdout: []string{"\ufeffproject_id,"}},
		{name: "empty stdin", args: []string{"score", "-"}, code: exitUsage,
			wantStderr: []string{"内容为空"}},
		{name: "unknown verb", args: []string{"grade"}, code: exitUsage,
			wantStderr: []string{`unknown command "grade"`}},
		{name: "no verb", args: nil, code: exitUsage,
			wantStderr: []string{"Verbs:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := jixiaoRun(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestScoreRejectedInInputOrder(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "first.json", someRejected)
	second := writeFile(t, dir, "second.json", `[
  {"id": "LATE-1", "name": "执行数为负", "year": 2024, "budget_adjusted": 100, "spent": -5, "indicators": []},
  {"name": "没有编号", "year": 2024, "budget_adjusted": 100, "spent": 1, "indicators": []},
  {"id": "OK-1", "name": "重复的项目", "year": 2024, "budget_adjusted": 100, "spent": 100, "indicators": []},
  {"id": "OK-3", "name": "第三个达标项目", "year": 2024, "budget_adjusted": 100, "spent": 100,
   "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 1, "actual": 1}]}
]`)
	stdout, stderr, code := jixiaoRun(t, "", "score", "--format", "json", first, second)
	if code != exitRejected {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	var out jixiao.Outcome
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	var scored, rejected []string
	for _, r := range out.Results {
		scored = append(scored, r.ProjectID)
	}
	for _, r := range out.Rejected {
		rejected = append(rejected, r.ProjectID)
	}
	if got, want := strings.Join(scored, " "), "OK-1 OK-2 OK-3"; got != want {
		t.Errorf("scored %s, want %s", got, want)
	}
	wantRejected := "BAD-1 BAD-2 LATE-1 " + second + "#2 OK-1"
	if got := strings.Join(rejected, " "); got != wantRejected {
		t.Errorf("rejected %s, want %s (input order)", got, wantRejected)
	}
	if n := len(out.Rejected); n == 5 && !strings.Contains(out.Rejected[4].Errors[0], "first in "+first) {
		t.Errorf("the repeated project's reason %q does not name the first file", out.Rejected[4].Errors[0])
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		out, _, code := jixiaoRun(t, "", args...)
		if code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, v := range verbs() {
			if !strings.Contains(out, "  "+v.name+" ") {
				t.Errorf("%v: usage does not list %s:\n%s", args, v.name, out)
			}
		}
	}
	out, _, code := jixiaoRun(t, "", "help", "score")
	if code != exitOK || !strings.Contains(out, "-format") || !strings.Contains(out, "-rules") {
		t.Errorf("help score: exit %d\n%s", code, out)
	}
	out, _, code = jixiaoRun(t, "", "help", "rules")
	if code != exitOK || !strings.Contains(out, "rules check") {
		t.Errorf("help rules: exit %d\n%s", code, out)
	}
	if _, _, code := jixiaoRun(t, "", "score", "-h"); code != exitOK {
		t.Errorf("score -h: exit %d", code)
	}
	if _, _, code := jixiaoRun(t, "", "help", "nope"); code != exitUsage {
		t.Errorf("help nope: exit %d", code)
	}
}

func builtinIDsForTest(t *testing.T) []string {
	ids := builtinIDs()
	if len(ids) == 0 {
		t.Fatal("no built-in rule sets")
	}
	return ids
}

func TestRulesCheck(t *testing.T) {
	for _, id := range builtinIDsForTest(t) {
		out, errOut, code := jixiaoRun(t, "", "rules", "check", id)
		if code != exitOK {
			t.Errorf("rules check %s: exit %d\n%s", id, code, errOut)
			continue
		}
		prefix := fmt.Sprintf("ok  builtin/%s.yaml  %s ", id, id)
		if !strings.HasPrefix(out, prefix) {
			t.Errorf("rules check %s printed %q, want it to start with %q", id, out, prefix)
		}
	}

	dir := t.TempDir()
	src, _ := rules.BuiltinByID("cn-mof-2020-self")
	good := writeFile(t, dir, "a-good.yaml", string(src.Data))
	broken, line := brokenRules(t)
	bad := writeFile(t, dir, "b-bad.yaml", strings.Replace(broken, "id: cn-mof-2020-self", "id: broken", 1))
	writeFile(t, dir, "notes.txt", "not a rule file")
	out, errOut, code := jixiaoRun(t, "", "rules", "check", dir)
	if code != exitUsage {
		t.Errorf("rules check DIR with a bad file: exit %d, want 2", code)
	}
	if !strings.Contains(out, "ok  "+good+"  cn-mof-2020-self 2024.1 ") {
		t.Errorf("no ok line for %s:\n%s", good, out)
	}
	if !strings.Contains(out, "FAIL  "+bad) {
		t.Errorf("no FAIL line for %s:\n%s", bad, out)
	}
	if want := fmt.Sprintf("%s:%d:", bad, line); !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	if strings.Contains(out+errOut, "notes.txt") {
		t.Errorf("a file that is not .yaml was checked")
	}

	// Two files with the same id cannot be loaded together.
	dup := t.TempDir()
	writeFile(t, dup, "a.yaml", string(src.Data))
	writeFile(t, dup, "b.yaml", string(src.Data))
	if out, errOut, code := jixiaoRun(t, "", "rules", "check", dup); code != exitUsage || !strings.Contains(errOut, "is also the id of") {
		t.Errorf("rules check with a repeated id: exit %d\n%s%s", code, out, errOut)
	}

	if _, _, code := jixiaoRun(t, "", "rules", "check"); code != exitUsage {
		t.Errorf("rules check without a file: exit %d, want 2", code)
	}
	if _, _, code := jixiaoRun(t, "", "rules", "check", "no-such-rules"); code != exitUsage {
		t.Errorf("rules check of an unknown id: exit %d, want 2", code)
	}
	// A file whose own tests fail is not ok: the service would not
	// activate it. --skip-tests checks only that it compiles.
	failing := filepath.Join("..", "..", "testdata", "rules", "failing-test.yaml")
	out, errOut, code = jixiaoRun(t, "", "rules", "check", failing)
	if code != exitUsage || !strings.Contains(out, "FAIL  "+failing) || !strings.Contains(errOut, "failing-test.yaml:") || strings.Contains(out, "ok  ") {
		t.Errorf("rules check of a file with a failing test: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := jixiaoRun(t, "", "rules", "check", "--skip-tests", failing); code != exitOK || !strings.HasPrefix(out, "ok  "+failing) {
		t.Errorf("rules check --skip-tests: exit %d\n%s%s", code, out, errOut)
	}

	if _, _, code := jixiaoRun(t, "", "rules", "lint", "cn-mof-2020-self"); code != exitUsage {
		t.Errorf("rules lint: exit %d, want 2", code)
	}
}

func TestRulesTest(t *testing.T) {
	for _, id := range builtinIDsForTest(t) {
		out, errOut, code := jixiaoRun(t, "", "rules", "test", id)
		if code != exitOK {
			t.Errorf("rules test %s: exit %d\n%s%s", id, code, out, errOut)
		}
		if !strings.Contains(out, fmt.Sprintf("PASS  builtin/%s.yaml:", id)) || strings.Contains(out, "FAIL") {
			t.Errorf("rules test %s:\n%s", id, out)
		}
	}

	src, _ := rules.BuiltinByID("cn-mof-2020-self")
	text := string(src.Data)
	const good, bad = "expect: {total: 100, grade: 优", "expect: {total: 99, grade: 优"
	i := strings.Index(text, good)
	if i < 0 {
		t.Fatalf("the built-in rule file no longer has %q", good)
	}
	dir := t.TempDir()
	failing := writeFile(t, dir, "failing.yaml", strings.Replace(text, good, bad, 1))
	out, _, code := jixiaoRun(t, "", "rules", "test", failing)
	if code != exitRejected {
		t.Errorf("rules test with a failing test: exit %d, want 1", code)
	}
	// The failure is reported at the line of the test's name.
	nameLine := 0
	for n, l := range strings.Split(text[:i], "\n") {
		if strings.Contains(l, "- name:") {
			nameLine = n + 1
		}
	}
	for _, want := range []string{fmt.Sprintf("FAIL  %s:%d  全部达标得满分", failing, nameLine), "total 100.00, want 99.00", "PASS  " + failing, "13 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules test output lacks %q:\n%s", want, out)
		}
	}

	broken, line := brokenRules(t)
	brokenPath := writeFile(t, dir, "broken.yaml", broken)
	_, errOut, code := jixiaoRun(t, "", "rules", "test", brokenPath)
	if code != exitUsage {
		t.Errorf("rules test of a broken file: exit %d, want 2", code)
	}
	if want := fmt.Sprintf("%s:%d:", brokenPath, line); !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
}

func TestRulesShow(t *testing.T) {
	out, errOut, code := jixiaoRun(t, "", "rules", "show", "cn-mof-2020-self")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"项目支出绩效自评（财预〔2020〕10号）",
		"编号 cn-mof-2020-self  版本 2024.1  哈希 ",
		"单位自评：预算执行率 10 分",
		"  优  90 ≤ 总分 ≤ 100\n",
		"  差   0 ≤ 总分 < 60\n",
		"├─ 预算执行率 (execution) 10分 ← 2 种情形，兜底: W * min(R, 100) / 100\n",
		"├─ 产出指标 (output) 50分 ← 项目三级指标: level1=产出指标、成本指标\n",
		"└─ 满意度指标 (satisfaction) 10分 ← 项目三级指标: level1=满意度指标\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rules show lacks %q:\n%s", want, out)
		}
	}

	for _, id := range builtinIDsForTest(t) {
		if _, errOut, code := jixiaoRun(t, "", "rules", "show", id); code != exitOK {
			t.Errorf("rules show %s: exit %d\n%s", id, code, errOut)
		}
		src, _ := rules.BuiltinByID(id)
		raw, _, code := jixiaoRun(t, "", "rules", "show", "--yaml", id)
		want := string(src.Data)
		if rules.ExtendsOf(src.Data) != "" {
			// The effective file whole, which stands alone.
			rs, err := engine.Load(src.Path, src.Data)
			if err != nil {
				t.Fatal(err)
			}
			want = string(rs.File().Body)
			if rules.ExtendsOf(rs.File().Body) != "" || !strings.Contains(want, " 继承自 cn-mof-2020-self") {
				t.Errorf("rules show --yaml %s: not the effective file whole:\n%.300s", id, want)
			}
		}
		if code != exitOK || raw != want {
			t.Errorf("rules show --yaml %s: exit %d, output is not the built-in file", id, code)
		}
	}

	if _, _, code := jixiaoRun(t, "", "rules", "show"); code != exitUsage {
		t.Errorf("rules show without an argument: exit %d, want 2", code)
	}
	if _, _, code := jixiaoRun(t, "", "rules", "show", "no-such-rules"); code != exitUsage {
		t.Errorf("rules show of an unknown id: exit %d, want 2", code)
	}
	broken, line := brokenRules(t)
	path := writeFile(t, t.TempDir(), "broken.yaml", broken)
	if _, errOut, code := jixiaoRun(t, "", "rules", "show", path); code != exitUsage || !strings.Contains(errOut, fmt.Sprintf("%s:%d:", path, line)) {
		t.Errorf("rules show of a broken file: exit %d\n%s", code, errOut)
	}
}

// rules check finds the rule set a file extends among the files of its
// directory before the built-ins, and points at the child's line.
func TestRulesCheckExtends(t *testing.T) {
	dir := t.TempDir()
	mof, _ := rules.BuiltinByID("cn-mof-2020-self")
	base := strings.Replace(string(mof.Data), "id: cn-mof-2020-self", "id: prov-base", 1)
	base = strings.Replace(base, "W * min(R, 100) / 100", "W * min(R, 100) / 100 * 1", 1)
	child := "id: city\nextends: prov-base\nversion: \"1\"\nname: 市级\nindicators:\n  - {id: execution, points: 20}\n  - {id: output, points: 40}\n"
	for name, body := range map[string]string{"base.yaml": base, "city.yaml": child} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := jixiaoRun(t, "", "rules", "check", dir)
	if code != exitOK || !strings.Contains(out, "ok  "+filepath.Join(dir, "city.yaml")+"  city 1") {
		t.Fatalf("rules check: exit %d\n%s%s", code, out, errOut)
	}
	raw, _, _ := jixiaoRun(t, "", "rules", "show", "--yaml", filepath.Join(dir, "city.yaml"))
	if !strings.Contains(raw, "W * min(R, 100) / 100 * 1") || !strings.Contains(raw, "points: 20") {
		t.Errorf("the effective file is not built on the sibling base:\n%.400s", raw)
	}

	bad := child + "  - {id: benefit, points: 45}\n"
	if err := os.WriteFile(filepath.Join(dir, "city.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = jixiaoRun(t, "", "rules", "check", filepath.Join(dir, "city.yaml"))
	if code == exitOK || !strings.Contains(out+errOut, filepath.Join(dir, "city.yaml")+":") {
		t.Errorf("points that do not add up: exit %d\n%s%s", code, out, errOut)
	}
}

// score --format csv writes a name that starts like a formula with a
// leading '.
func TestScoreCSVInjection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evil.json")
	body := `[{"id": "P-1", "name": "=1+2", "year": 2024, "budget_adjusted": 100, "spent": 100, "indicators": [
		{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 1, "actual": 1}]}]`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := jixiaoRun(t, "", "score", "--format", "csv", path)
	if code != exitOK || !strings.Contains(out, "\nP-1,'=1+2,") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// import lists the problems in a table aligned by display width, Chinese
// characters taking two columns, and imports nothing.
func TestImportProblemTable(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "projects.csv")
	body := "项目编号,项目名称,年度,全年预算数,全年执行数,一级指标,二级指标,三级指标,指标性质,年度指标值,实际完成值\n" +
		"P-1,短信费用项目,2024,490000,约44万,产出指标,数量指标,短信条数,>=,100,100\n" +
		"P-2,前端适配,2024,100,abc,产出指标,数量指标,终端数,>=,1,1\n"
	if err := os.WriteFile(csvPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := jixiaoRun(t, "", "import", "--db", filepath.Join(dir, "j.db"), csvPath)
	if code != exitRejected {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	cond := widths()
	var at []int // display column where 问题 and each message begin
	for _, line := range strings.Split(errOut, "\n") {
		for _, word := range []string{"问题", "全年执行数"} {
			if i := strings.LastIndex(line, "  "); i >= 0 && strings.Contains(line, word) {
				at = append(at, cond.StringWidth(line[:i+2]))
				break
			}
		}
	}
	if len(at) != 3 || at[0] != at[1] || at[1] != at[2] {
		t.Errorf("columns start at %v, want one place for the header and both rows:\n%s", at, errOut)
	}
}
