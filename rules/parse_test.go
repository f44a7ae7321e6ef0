package rules

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jixiao"
)

// validFile is a small rule file that passes every structural check. The
// table below breaks it one way at a time; the line numbers it expects
// are this file's.
const validFile = `id: t
version: "1"
name: 测试规则
years: {from: 2020, to: 2025}
grades:
  - {grade: 优, from: 90, to: 100}
  - {grade: 良, from: 80, to: 90}
  - {grade: 中, from: 60, to: 80}
  - {grade: 差, from: 0, to: 60}
derived:
  R: spent / budget_adjusted * 100
missing:
  balance: zero
indicators:
  - id: execution
    name: 预算执行率
    points: 20
    cases:
      - when: R >= 90
        score: W
        reason: 执行率 {R}%
      - score: W * R / 100
  - id: output
    name: 产出指标
    points: 80
    children:
      - id: quantity
        name: 数量指标
        points: 50
        leaves: {level1: 产出指标, level2: 数量指标}
      - id: quality
        name: 质量指标
        points: 30
        if_empty: redistribute
        leaves: {level1: 产出指标, level2: 质量指标}
leaf_rules:
  - name: standard
    ">=":
      - when: A >= T
        score: W
      - score: W * A / T
checks:
  - id: negative_spent
    severity: error
    when: spent < 0
    message: 执行数为负
tests:
  - name: 满分
    project: {id: T, name: T, year: 2024, budget_adjusted: 1, spent: 1, indicators: []}
    expect: {total: 100}
`

func TestParseValid(t *testing.T) {
	f, err := Parse("t.yaml", []byte(validFile))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	if f.Path != "t.yaml" || len(f.Hash) != 64 || !bytes.Equal(f.Body, []byte(validFile)) {
		t.Errorf("path %q, hash %q, body of %d bytes", f.Path, f.Hash, len(f.Body))
	}
	if f.Label() != "t 1" {
		t.Errorf("Label() = %q", f.Label())
	}
	if f.Unassigned.Value != UnassignedReject {
		t.Errorf("unassigned defaults to %q, want %q", f.Unassigned.Value, UnassignedReject)
	}
	if f.Checks[0].Scope.Value != ScopeProject {
		t.Errorf("check scope defaults to %q, want %q", f.Checks[0].Scope.Value, ScopeProject)
	}
	var ids []string
	f.Walk(func(ind, parent *Indicator) {
		p := "-"
		if parent != nil {
			p = parent.ID.Value
		}
		ids = append(ids, ind.ID.Value+"<"+p)
		if ind.Leaves != nil && ind.Leaves.Rules.Value != "standard" {
			t.Errorf("%s: leaves.rules defaults to %q, want the only table", ind.ID.Value, ind.Leaves.Rules.Value)
		}
	})
	if got := strings.Join(ids, " "); got != "execution<- output<- quantity<output quality<output" {
		t.Errorf("Walk order %s", got)
	}
	if pts := f.Indicators[1].Points; pts.Value != jixiao.Points(80) || pts.Line != 25 || pts.Column != 13 {
		t.Errorf("output points %+v, want 80 at 25:13", pts)
	}
	if w := f.Indicators[0].Cases[0].When; w.Value != "R >= 90" || w.Line != 19 || w.Column != 15 {
		t.Errorf("first when %+v", w)
	}
	if f.LeafRulesByName("standard") == nil || f.LeafRulesByName("other") != nil {
		t.Error("LeafRulesByName")
	}
	if n := len(f.LeafRules[0].For(jixiao.AtLeast)); n != 2 {
		t.Errorf("%d cases for >=, want 2", n)
	}
	if f.LeafRules[0].For(jixiao.AtMost) != nil {
		t.Error("cases for <= in a table without them")
	}
}

// TestParseChecks breaks validFile in one place per row and expects a
// diagnostic that contains msg at line. n, when set, is how many
// diagnostics there must be in all.
func TestParseChecks(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old (which must occur once) with new
		raw      string // or parse this instead
		line     int
		col      int // checked when set
		msg      string
		n        int
	}{
		// identity
		{name: "missing id", old: "id: t\n", new: "", line: 1, msg: "missing id", n: 1},
		{name: "bad id", old: "id: t\n", new: "id: 2024 rules\n", line: 1, col: 5, msg: `id "2024 rules" must start with a letter`, n: 1},
		{name: "missing version", old: "version: \"1\"\n", new: "", line: 1, msg: "missing version", n: 1},
		{name: "missing name", old: "name: 测试规则\n", new: "", line: 1, msg: "missing name", n: 1},
		{name: "missing years", old: "years: {from: 2020, to: 2025}\n", new: "", line: 1, msg: "missing years.from", n: 1},
		{name: "fractional year", old: "from: 2020, to", new: "from: 2020.5, to", line: 4, msg: "whole years", n: 1},
		{name: "years backwards", old: "to: 2025}", new: "to: 2019}", line: 4, msg: "from ≤ to", n: 1},
		{name: "bad unassigned", old: "missing:\n", new: "unassigned: drop\nmissing:\n", line: 12, col: 13, msg: `unassigned must be reject or ignore, got "drop"`, n: 1},

		// grade bands
		{name: "no grades", old: "grades:\n  - {grade: 优, from: 90, to: 100}\n  - {grade: 良, from: 80, to: 90}\n  - {grade: 中, from: 60, to: 80}\n  - {grade: 差, from: 0, to: 60}\n", new: "", line: 1, msg: "missing grades", n: 1},
		{name: "grade gap", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 良, from: 80, to: 89}", line: 7, col: 30, msg: "gap: totals from 89 up to 90 have no grade", n: 1},
		{name: "grade gap in cents", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 良, from: 80, to: 89.99}", line: 7, msg: "gap: totals from 89.99 up to 90", n: 1},
		{name: "grade overlap", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 良, from: 80, to: 95}", line: 7, msg: "overlap: 良 ends at 95 but 优 starts at 90", n: 1},
		{name: "grades not from 0", old: "{grade: 差, from: 0, to: 60}", new: "{grade: 差, from: 10, to: 60}", line: 9, col: 22, msg: "must start at 0; the lowest band 差 starts at 10", n: 1},
		{name: "grades short of 100", old: "{grade: 优, from: 90, to: 100}", new: "{grade: 优, from: 90, to: 99.5}", line: 6, col: 30, msg: "must end at 100; the highest band 优 ends at 99.5", n: 1},
		{name: "grades beyond 100", old: "{grade: 优, from: 90, to: 100}", new: "{grade: 优, from: 90, to: 101}", line: 6, msg: "must end at 100", n: 1},
		{name: "grade upside down", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 良, from: 90, to: 80}", line: 7, msg: "grade 良: from 90 must be below to 80", n: 1},
		{name: "grade without to", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 良, from: 80}", line: 7, msg: "grade 良 needs both from and to", n: 1},
		{name: "grade twice", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 优, from: 80, to: 90}", line: 7, msg: `grade "优" is declared twice`, n: 1},
		{name: "grade without name", old: "{grade: 良, from: 80, to: 90}", new: "{from: 80, to: 90}", line: 7, msg: "a grade band needs a grade", n: 1},
		// A band inside another is an overlap, and neither a gap after it
		// nor a band that ends short of 100.
		{name: "grade inside another", old: "  - {grade: 良, from: 80, to: 90}\n", new: "  - {grade: 良, from: 80, to: 90}\n  - {grade: 全, from: 0, to: 100}\n", line: 8, msg: "overlap: 全 ends at 100 but 差 starts at 0", n: 4},

		// derived values and missing-data policies
		{name: "derived bad name", old: "  R: spent", new: "  执行率: spent", line: 11, col: 3, msg: `derived value name "执行率" must be a letter`, n: 1},
		{name: "derived dash", old: "  R: spent", new: "  r-1: spent", line: 11, msg: "must be a letter followed by letters, digits or _", n: 1},
		{name: "derived twice", old: "  R: spent / budget_adjusted * 100\n", new: "  R: spent / budget_adjusted * 100\n  R: 1\n", line: 12, msg: "derived value R is defined twice (first at line 11)", n: 1},
		{name: "derived empty", old: "  R: spent / budget_adjusted * 100\n", new: "  R:\n", line: 11, msg: "derived value R has no formula", n: 1},
		{name: "derived blank", old: "  R: spent / budget_adjusted * 100\n", new: "  R: \"  \"\n", line: 11, msg: "derived value R has no formula", n: 1},
		{name: "missing policy empty", old: "balance: zero", new: "balance: ''", line: 13, msg: "missing-data policy for balance is empty", n: 1},
		{name: "derived not a mapping", old: "  R: spent / budget_adjusted * 100\n", new: "  - R\n", line: 11, msg: "expected a mapping of name: value, got a list", n: 1},
		{name: "derived value a list", old: "  R: spent / budget_adjusted * 100\n", new: "  R: [spent]\n", line: 11, msg: "expected a single value, got a list", n: 1},

		// the indicator tree
		{name: "no indicators", old: "indicators:\n", new: "indicators: []\nx_indicators:\n", line: 15, msg: `unknown key "x_indicators"`, n: 1},
		{name: "indicator without id", old: "  - id: execution\n    name: 预算执行率\n", new: "  - name: 预算执行率\n", line: 15, msg: "indicator 预算执行率: missing id"},
		{name: "indicator bad id", old: "id: execution", new: "id: 1st", line: 15, col: 9, msg: "indicator 1st: id must start with a letter", n: 1},
		{name: "indicator id twice", old: "id: quality", new: "id: execution", line: 31, col: 13, msg: "indicator execution: id is used twice (first at line 15)", n: 1},
		{name: "indicator without name", old: "    name: 预算执行率\n", new: "", line: 15, msg: "indicator execution: missing name", n: 1},
		{name: "indicator without points", old: "    points: 20\n", new: "", line: 15, msg: "indicator execution: missing points", n: 1},
		{name: "indicator zero points", old: "    points: 20\n", new: "    points: 0\n", line: 17, col: 13, msg: "points must be positive, got 0"},
		{name: "indicator over 100 points", old: "    points: 20\n", new: "    points: 120\n", line: 17, msg: "points must be at most 100, got 120", n: 1},
		{name: "points with 3 decimals", old: "    points: 20\n", new: "    points: 19.995\n", line: 17, col: 13, msg: `expected a number with at most 2 decimals, got "19.995"`, n: 1},
		{name: "points as text", old: "    points: 20\n", new: "    points: twenty\n", line: 17, msg: `got "twenty"`, n: 1},
		{name: "indicator without content", old: "        leaves: {level1: 产出指标, level2: 数量指标}\n", new: "", line: 27, msg: "indicator quantity: an indicator needs exactly one of cases", n: 1},
		{name: "indicator with cases and leaves", old: "    points: 20\n", new: "    points: 20\n    leaves: {level1: x}\n", line: 15, msg: "indicator execution: an indicator needs exactly one of", n: 1},
		{name: "children short", old: "        points: 30\n", new: "        points: 20\n", line: 25, col: 13, msg: "indicator output: children's points add up to 70 (50 + 20), not the 80 points of 产出指标"},
		{name: "top level short", old: "    points: 20\n", new: "    points: 10\n", line: 17, col: 13, msg: "top-level indicators' points add up to 90 (10 + 80), not 100", n: 1},
		{name: "bad if_empty", old: "if_empty: redistribute", new: "if_empty: share", line: 34, msg: `if_empty must be rescale, redistribute, zero or reject, got "share"`, n: 1},
		{name: "if_empty on cases", old: "    points: 20\n", new: "    points: 20\n    if_empty: rescale\n", line: 18, msg: "if_empty and empty_finding apply only to groups and leaves", n: 1},
		{name: "leaves select nothing", old: "leaves: {level1: 产出指标, level2: 数量指标}", new: "leaves: {rules: standard}", line: 27, msg: "leaves needs level1, level2 or where", n: 1},
		{name: "leaves where blank", old: "leaves: {level1: 产出指标, level2: 数量指标}", new: "leaves: {where: ' '}", line: 27, msg: "leaves needs level1, level2 or where", n: 1},
		{name: "unknown leaf rules", old: "leaves: {level1: 产出指标, level2: 数量指标}", new: "leaves: {level1: 产出指标, rules: standrad}", line: 30, col: 39, msg: `no leaf_rules table named "standrad"; the tables are standard`, n: 1},
		{name: "leaves need rules of two", old: "leaf_rules:\n", new: "leaf_rules:\n  - name: other\n    qualitative: [{score: W}]\n", line: 27, msg: "leaves needs rules: the name of a leaf_rules table"},

		// scoring cases
		{name: "case without score", old: "        score: W\n        reason: 执行率 {R}%\n", new: "        reason: 执行率 {R}%\n", line: 19, msg: "indicator execution: scoring case 1 has no score formula", n: 1},
		{name: "case with blank score", old: "      - score: W * R / 100\n", new: "      - score: \" \"\n", line: 22, msg: "indicator execution: scoring case 2 has no score formula", n: 1},
		{name: "last case with when", old: "      - score: W * R / 100\n", new: "      - when: R < 90\n        score: W * R / 100\n", line: 22, col: 15, msg: "the last scoring case must have no when", n: 1},
		{name: "middle case without when", old: "      - when: R >= 90\n        score: W\n", new: "      - score: W\n", line: 19, msg: "scoring case 1 has no when, so the cases after it never apply", n: 1},
		{name: "middle case with blank when", old: "      - when: R >= 90\n", new: "      - when: ' '\n", line: 19, msg: "scoring case 1 has no when", n: 1},
		{name: "finding bad severity", old: "        reason: 执行率 {R}%\n", new: "        reason: 执行率 {R}%\n        finding: {severity: high, message: 低}\n", line: 22, col: 29, msg: `indicator execution: severity must be error, warning or info, got "high"`, n: 1},
		{name: "finding without severity", old: "        reason: 执行率 {R}%\n", new: "        reason: 执行率 {R}%\n        finding: {message: 低}\n", line: 22, msg: "missing severity", n: 1},
		{name: "finding without message", old: "        reason: 执行率 {R}%\n", new: "        reason: 执行率 {R}%\n        finding: {check: low, severity: info}\n", line: 22, msg: "a finding needs a message", n: 1},
		{name: "leaf case last with when", old: "      - score: W * A / T\n", new: "      - when: A < T\n        score: W * A / T\n", line: 41, msg: "leaf_rules standard: the last scoring case must have no when", n: 1},

		// leaf_rules tables
		{name: "leaf rules twice", old: "checks:\n", new: "  - name: standard\n    qualitative: [{score: W}]\nchecks:\n", line: 42, msg: `leaf_rules "standard" is defined twice`},
		{name: "leaf rules without cases", old: "checks:\n", new: "  - name: empty\nchecks:\n", line: 42, msg: "leaf_rules empty: no cases for any direction"},
		{name: "leaf rules without name", old: "checks:\n", new: "  - qualitative: [{score: W}]\nchecks:\n", line: 42, msg: "a leaf_rules table needs a name"},
		{name: "leaf rules unknown direction", old: `    ">=":`, new: `    ">":`, line: 38, col: 5, msg: `unknown key ">" in a leaf_rules table; did you mean ">="?`, n: 1},

		// checks
		{name: "check without id", old: "  - id: negative_spent\n    severity: error\n", new: "  - severity: error\n", line: 43, msg: "a check needs an id", n: 1},
		{name: "level1 a mapping", old: "leaves: {level1: 产出指标, level2: 数量指标}", new: "leaves: {level1: {a: b}, level2: 数量指标}", line: 30, col: 26, msg: "expected a name or a list of names, got a mapping", n: 1},
		{name: "check twice", old: "tests:\n", new: "  - {id: negative_spent, severity: info, when: 'spent < 1', message: x}\ntests:\n", line: 47, msg: "check negative_spent is defined twice", n: 1},
		{name: "check bad severity", old: "    severity: error\n", new: "    severity: Error\n", line: 44, col: 15, msg: `check negative_spent: severity must be error, warning or info, got "Error"`, n: 1},
		{name: "check without severity", old: "    severity: error\n", new: "", line: 43, msg: "check negative_spent: missing severity", n: 1},
		{name: "check bad scope", old: "    severity: error\n", new: "    severity: error\n    scope: indicator\n", line: 45, msg: `scope must be project or leaf, got "indicator"`, n: 1},
		{name: "check without when", old: "    when: spent < 0\n", new: "", line: 43, msg: "check negative_spent: a check needs a when condition", n: 1},
		{name: "check with blank when", old: "    when: spent < 0\n", new: "    when: '   '\n", line: 43, msg: "a check needs a when condition", n: 1},
		{name: "check without message", old: "    message: 执行数为负\n", new: "", line: 43, msg: "check negative_spent: a check needs a message", n: 1},

		// embedded tests
		{name: "test without name", old: "  - name: 满分\n    project:", new: "  - project:", line: 48, msg: "a test needs a name", n: 1},
		{name: "test without project", old: "    project: {id: T, name: T, year: 2024, budget_adjusted: 1, spent: 1, indicators: []}\n", new: "", line: 48, msg: `test "满分" needs a project`, n: 1},
		{name: "test expects nothing", old: "expect: {total: 100}", new: "expect: {}", line: 48, msg: `test "满分" expects nothing`, n: 1},
		{name: "test empty score", old: "expect: {total: 100}", new: "expect: {scores: {execution: }}", line: 48, msg: `test "满分": the expected score of execution is empty`, n: 1},
		{name: "test rejected not bool", old: "expect: {total: 100}", new: "expect: {rejected: 是}", line: 50, msg: `expected true or false, got "是"`, n: 1},

		// YAML itself
		{name: "unknown key", old: "    points: 20\n", new: "    pionts: 20\n", line: 17, col: 5, msg: `unknown key "pionts" in an indicator; did you mean "points"?`, n: 1},
		{name: "unknown key in flow", old: "{grade: 良, from: 80, to: 90}", new: "{grade: 良, form: 80, to: 90}", line: 7, col: 16, msg: `unknown key "form" in a grade band; did you mean "from"?`, n: 1},
		{name: "unknown key far off", old: "    points: 20\n", new: "    points: 20\n    weight: 3\n", line: 18, col: 5, msg: `unknown key "weight" in an indicator; the keys are id, name, points, if_empty, empty_finding, cases, children, leaves`, n: 1},
		{name: "unknown key quoted", old: "    points: 20\n", new: "    points: 20\n    \"note\": x\n", line: 18, col: 5, msg: `unknown key "note"`, n: 1},
		{name: "unknown top-level key", old: "missing:\n", new: "derivd: {}\nmissing:\n", line: 12, col: 1, msg: `unknown key "derivd" in the rule file; did you mean "derived"?`, n: 1},
		{name: "key twice", old: "    points: 20\n", new: "    points: 20\n    points: 30\n", line: 18, col: 5, msg: `key "points" is given twice (first at line 17)`, n: 1},
		{name: "list expected", old: "indicators:\n", new: "indicators: 5\nold_indicators:\n", line: 14, msg: "expected a list of indicators, got 5"},
		{name: "mapping expected", old: "years: {from: 2020, to: 2025}", new: "years: 2020", line: 4, msg: "expected a mapping of keys for years, got 2020"},
		{name: "not a mapping", old: "", new: "", raw: "- a\n- b\n", line: 1, msg: "expected a mapping of keys for the rule file, got a list", n: 1},
		// The YAML library gives the line of the enclosing block, zero-based
		// for parser errors; they are made one-based and, where the
		// offending character can be found, moved to it.
		{name: "unclosed list", old: "    name: 预算执行率\n", new: "    name: [预算执行率\n", line: 16, msg: "did not find expected ',' or ']' (a list written in [ ] is not closed with ])", n: 1},
		{name: "unclosed list on line 1", raw: "id: [t\n", line: 2, msg: "not closed with ]", n: 1},
		{name: "colon in value", old: "reason: 执行率 {R}%", new: "reason: 执行率: {R}%", line: 21, msg: `mapping values are not allowed in this context (a value contains ": "; put the value in quotes)`, n: 1},
		{name: "colon on line 1", raw: "id: a: b\n", line: 1, msg: "mapping values are not allowed", n: 1},
		{name: "indented too far", old: "    name: 预算执行率\n", new: "     name: 预算执行率\n", line: 16, msg: "mapping values are not allowed", n: 1},
		{name: "indented too little", old: "    points: 20\n", new: "   points: 20\n", line: 15, msg: "check the indentation of the list entries in the block that starts here", n: 1},
		{name: "backtick", old: "reason: 执行率 {R}%", new: "reason: `R`", line: 21, msg: "a value starts with a character such as @ or ` that needs quotes", n: 1},
		{name: "tab", old: "    points: 20\n", new: "\tpoints: 20\n", line: 17, col: 1, msg: "found a tab character that violates indentation (indent with spaces, not tabs)", n: 1},
		{name: "GBK text", old: "name: 测试规则", new: "name: \xb2\xe2\xca\xd4", line: 3, col: 7, msg: "the file is not UTF-8 text; save it with UTF-8 encoding (not GBK/ANSI)", n: 1},
		{name: "control character", old: "name: 测试规则", new: "name: 测试\x0b规则", line: 3, col: 9, msg: "invisible control character", n: 1},
		{name: "bad escape", old: "reason: 执行率 {R}%", new: `reason: "执行率\%"`, line: 21, msg: "use single quotes instead", n: 1},
		{name: "empty file", raw: "\n# nothing\n", line: 1, msg: "empty rule file", n: 1},
		{name: "second document", old: "tests:\n", new: "---\ntests:\n", line: 47, col: 1, msg: "a rule file holds one document; found a second", n: 1},
		// A second document that does not parse used to be ignored.
		{name: "second document broken", old: "tests:\n", new: "---\ntests: [\n", line: 49, msg: "did not find expected", n: 1},
		// Empty list entries used to crash the tree checks (nil indicator)
		// or give messages without a line.
		{name: "empty indicator", old: "indicators:\n", new: "indicators:\n  -\n", line: 15, msg: `empty list entry: a "-" with nothing after it`, n: 1},
		{name: "empty child", old: "    children:\n", new: "    children:\n      - ~\n", line: 27, col: 9, msg: "empty list entry", n: 1},
		{name: "empty grade", old: "grades:\n", new: "grades:\n  - null\n", line: 6, msg: "empty list entry", n: 1},
		{name: "empty check", old: "checks:\n", new: "checks:\n  -\n", line: 43, msg: "empty list entry", n: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.raw
			if src == "" && tc.old != "" {
				if c := strings.Count(validFile, tc.old); c != 1 {
					t.Fatalf("%q occurs %d times in validFile", tc.old, c)
				}
				src = strings.Replace(validFile, tc.old, tc.new, 1)
			}
			f, err := Parse("t.yaml", []byte(src))
			if err == nil {
				t.Fatalf("parsed without error, want %q", tc.msg)
			}
			if f != nil {
				t.Errorf("returned a file along with the error")
			}
			errs := asErrors(t, err)
			d, ok := find(errs, tc.msg)
			if !ok {
				t.Fatalf("no diagnostic contains %q:\n%v", tc.msg, err)
			}
			if d.Line != tc.line || (tc.col != 0 && d.Column != tc.col) {
				t.Errorf("%q at %d:%d, want %d:%d\n%v", tc.msg, d.Line, d.Column, tc.line, tc.col, err)
			}
			if tc.n != 0 && len(errs) != tc.n {
				t.Errorf("%d diagnostics, want %d:\n%v", len(errs), tc.n, err)
			}
		})
	}
}

// TestParseAccepts lists variations of validFile that are correct.
func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, old, new string }{
		{"grades in any order", "  - {grade: 优, from: 90, to: 100}\n  - {grade: 良, from: 80, to: 90}\n  - {grade: 中, from: 60, to: 80}\n  - {grade: 差, from: 0, to: 60}\n",
			"  - {grade: 差, from: 0, to: 60}\n  - {grade: 良, from: 80, to: 90}\n  - {grade: 优, from: 90, to: 100}\n  - {grade: 中, from: 60, to: 80}\n"},
		{"open-ended years", "years: {from: 2020, to: 2025}", "years: {from: 2020}"},
		{"points in cents", "        points: 50\n        leaves: {level1: 产出指标, level2: 数量指标}\n      - id: quality\n        name: 质量指标\n        points: 30\n",
			"        points: 49.99\n        leaves: {level1: 产出指标, level2: 数量指标}\n      - id: quality\n        name: 质量指标\n        points: 30.01\n"},
		// Aliases used to be refused inside derived and missing.
		{"alias in derived", "  R: spent / budget_adjusted * 100\n", "  R: &rate spent / budget_adjusted * 100\n  R2: *rate\n"},
		{"quoted formula", "      - when: R >= 90\n", "      - when: \"R >= 90\"\n"},
		{"block formula", "      - score: W * R / 100\n", "      - score: >-\n          W * R\n          / 100\n"},
		{"unassigned ignore", "missing:\n", "unassigned: ignore\nmissing:\n"},
		{"leaf check", "    severity: error\n", "    severity: error\n    scope: leaf\n"},
		{"level1 list", "leaves: {level1: 产出指标, level2: 数量指标}", "leaves: {level1: [产出指标, 成本指标], level2: 数量指标}"},
		{"one id for a project and a leaf check", "tests:\n", "  - {id: negative_spent, scope: leaf, severity: info, when: 'A < 0', message: x}\ntests:\n"},
		{"document markers", "id: t\n", "---\nid: t\n"},
		{"document end", "", ""},
		{"comments", "grades:\n", "# 等级\ngrades:   # 四档\n"},
		{"crlf", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := validFile
			if tc.old != "" {
				if c := strings.Count(src, tc.old); c != 1 {
					t.Fatalf("%q occurs %d times in validFile", tc.old, c)
				}
				src = strings.Replace(src, tc.old, tc.new, 1)
			}
			switch tc.name {
			case "document end":
				src += "...\n"
			case "crlf":
				src = strings.ReplaceAll(src, "\n", "\r\n")
			}
			if _, err := Parse("t.yaml", []byte(src)); err != nil {
				t.Errorf("Parse:\n%v", err)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := append([]byte(validFile), bytes.Repeat([]byte("# padding\n"), MaxFileSize/10)...)
	_, err := Parse("big.yaml", data)
	errs := asErrors(t, err)
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "larger than the 1048576 allowed") || errs[0].File != "big.yaml" {
		t.Errorf("got %v", err)
	}
}

// TestParseLargeMapping checks that a mapping with very many keys is
// refused before it is decoded: the YAML library compares every key with
// every other, and a megabyte of keys took minutes.
func TestParseLargeMapping(t *testing.T) {
	var b strings.Builder
	b.WriteString(validFile)
	b.WriteString("# 以下是误粘贴的数据\n")
	for i := 0; b.Len() < MaxFileSize-100; i++ {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	start := time.Now()
	_, err := Parse("big.yaml", []byte(b.String()))
	errs := asErrors(t, err)
	if len(errs) != 1 || errs[0].Line != 1 || !strings.Contains(errs[0].Message, "more than the 1000 allowed") {
		t.Errorf("got %d diagnostics:\n%.500v", len(errs), err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}

	// A test's project is decoded too, and bounded the same way.
	keys := make([]string, MaxMappingKeys+1)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d: 1", i)
	}
	src := strings.Replace(validFile, "project: {id: T,", "project: {"+strings.Join(keys, ", ")+", id: T,", 1)
	_, err = Parse("t.yaml", []byte(src))
	if errs := asErrors(t, err); len(errs) != 1 || errs[0].Line != 49 || !strings.Contains(errs[0].Message, "a mapping of 1007 keys") {
		t.Errorf("got %.500v", err)
	}
}

// TestParseManyProblems checks that a file with a problem on every line
// reports the first MaxDiagnostics and counts the rest.
func TestParseManyProblems(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 80; i++ {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, err := Parse("t.yaml", []byte(b.String()))
	errs := asErrors(t, err)
	if len(errs) != MaxDiagnostics+1 {
		t.Fatalf("%d diagnostics, want %d", len(errs), MaxDiagnostics+1)
	}
	if last := errs[MaxDiagnostics]; last.File != "t.yaml" || last.Message != "30 more problems not shown" {
		t.Errorf("last diagnostic %+v", last)
	}
}

// TestParseReportsAll checks that one file's problems come together and
// in the order of the file.
func TestParseReportsAll(t *testing.T) {
	src := strings.Replace(validFile, "    points: 20\n", "    points: 10\n", 1)
	src = strings.Replace(src, "{grade: 良, from: 80, to: 90}", "{grade: 良, from: 80, to: 89}", 1)
	src = strings.Replace(src, "    severity: error\n", "    severity: fatal\n", 1)
	_, err := Parse("t.yaml", []byte(src))
	want := `t.yaml:7:30: grade bands leave a gap: totals from 89 up to 90 have no grade (良 ends at 89, 优 starts at 90)
t.yaml:17:13: top-level indicators' points add up to 90 (10 + 80), not 100
t.yaml:44:15: check negative_spent: severity must be error, warning or info, got "fatal"`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestGrade(t *testing.T) {
	f, err := Parse("t.yaml", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		total string
		want  string
	}{
		{"0", "差"},
		{"0.01", "差"},
		{"59.99", "差"},
		{"60", "中"},
		{"60.00", "中"},
		{"79.99", "中"},
		{"80", "良"},
		{"89.99", "良"},
		{"90.00", "优"},
		{"99.99", "优"},
		{"100.00", "优"},
		{"100.01", ""},
		{"-0.01", ""},
	}
	for _, tc := range tests {
		total, err := jixiao.ParseDecimal(tc.total)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Grade(total); got != tc.want {
			t.Errorf("Grade(%s) = %q, want %q", tc.total, got, tc.want)
		}
	}
}

func TestYearsCovers(t *testing.T) {
	years := func(from, to int64) Years {
		y := Years{From: Number{Value: jixiao.Points(from), Set: true}}
		if to != 0 {
			y.To = Number{Value: jixiao.Points(to), Set: true}
		}
		return y
	}
	tests := []struct {
		years Years
		year  int
		want  bool
	}{
		{years(2020, 0), 2019, false},
		{years(2020, 0), 2020, true},
		{years(2020, 0), 2024, true},
		{years(2020, 0), 2099, true},
		{years(2020, 2025), 2019, false},
		{years(2020, 2025), 2020, true},
		{years(2020, 2025), 2025, true},
		{years(2020, 2025), 2026, false},
		{years(2024, 2024), 2024, true},
		{years(2024, 2024), 2023, false},
		{years(2024, 2024), 2025, false},
		{years(2020, 0), 0, false},
	}
	for _, tc := range tests {
		if got := tc.years.Covers(tc.year); got != tc.want {
			t.Errorf("years %s–%s: Covers(%d) = %v, want %v", tc.years.From.Value.Trimmed(), tc.years.To.Value.Trimmed(), tc.year, got, tc.want)
		}
	}
	// As parsed from a file.
	f, err := Parse("t.yaml", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Years.Covers(2025) || f.Years.Covers(2026) || f.Years.Covers(2019) {
		t.Errorf("years {from: 2020, to: 2025} cover the wrong years")
	}
}

func TestIsRuleFile(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"rules.yaml", true},
		{"rules.yml", true},
		{"RULES.YAML", true},
		{"dir/sub/rules.yml", true},
		{"cn-mof-2020-self.yaml", true},
		{".x.yaml.swp", false},
		{".rules.yaml", false},
		{"dir/.rules.yaml", false},
		{"rules.yaml.swp", false},
		{"rules.yaml~", false},
		{"rules.yaml.bak", false},
		{"rules.json", false},
		{"rules", false},
		{"yaml", false},
	}
	for _, tc := range tests {
		if got := IsRuleFile(tc.name); got != tc.want {
			t.Errorf("IsRuleFile(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	builtin, ok := BuiltinByID("cn-mof-2020-self")
	if !ok {
		t.Fatal("no built-in cn-mof-2020-self")
	}

	t.Run("built-in id", func(t *testing.T) {
		srcs, err := Resolve("cn-mof-2020-self")
		if err != nil {
			t.Fatal(err)
		}
		if len(srcs) != 1 || srcs[0].Path != "builtin/cn-mof-2020-self.yaml" || !bytes.Equal(srcs[0].Data, builtin.Data) {
			t.Errorf("got %d sources, first %q", len(srcs), srcs[0].Path)
		}
	})

	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rulesDir := filepath.Join(dir, "rules")
	write("rules/b.yml", "b")
	write("rules/a.yaml", "a")
	write("rules/.a.yaml.swp", "swap")
	write("rules/notes.txt", "notes")
	write("rules/nested/c.yaml", "nested")
	single := write("single.yaml", validFile)

	t.Run("file", func(t *testing.T) {
		srcs, err := Resolve(single)
		if err != nil {
			t.Fatal(err)
		}
		if len(srcs) != 1 || srcs[0].Path != single || string(srcs[0].Data) != validFile {
			t.Errorf("got %+v", srcs)
		}
	})
	t.Run("dir", func(t *testing.T) {
		srcs, err := Resolve(rulesDir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range srcs {
			got = append(got, filepath.Base(s.Path)+"="+string(s.Data))
		}
		if strings.Join(got, " ") != "a.yaml=a b.yml=b" {
			t.Errorf("got %v, want a.yaml and b.yml only", got)
		}
	})
	t.Run("empty dir", func(t *testing.T) {
		empty := filepath.Join(dir, "empty")
		if err := os.Mkdir(empty, 0o755); err != nil {
			t.Fatal(err)
		}
		write("empty/.hidden.yaml", "x")
		_, err := Resolve(empty)
		if err == nil || !strings.Contains(err.Error(), "no .yaml rule files") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown name", func(t *testing.T) {
		srcs, err := Resolve("cn-mof-2021-self")
		if err == nil {
			t.Fatalf("got %d sources", len(srcs))
		}
		for _, want := range []string{"cn-mof-2021-self: no such file, directory or built-in rule set", "cn-mof-2020-self"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})
	t.Run("file too large", func(t *testing.T) {
		big := write("big.yaml", strings.Repeat("#\n", MaxFileSize/2+1))
		_, err := Resolve(big)
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("got %v", err)
		}
	})
}

func TestBuiltinParses(t *testing.T) {
	srcs := Builtin()
	if len(srcs) == 0 {
		t.Fatal("no built-in rule files")
	}
	for _, src := range srcs {
		if !IsRuleFile(src.Path) {
			t.Errorf("%s is not named as a rule file", src.Path)
		}
		f, err := ParseWith(src.Path, src.Data, ParentsOf(srcs))
		if err != nil {
			t.Errorf("%s:\n%v", src.Path, err)
			continue
		}
		id := strings.TrimSuffix(filepath.Base(src.Path), filepath.Ext(src.Path))
		if f.ID.Value != id {
			t.Errorf("%s has id %q; the file name and the id must agree so that --rules %s finds it", src.Path, f.ID.Value, f.ID.Value)
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.yaml", Line: 3, Column: 7, Indicator: "output", Message: "m"}, "a.yaml:3:7: indicator output: m"},
		{Diagnostic{File: "a.yaml", Line: 3, Context: "check x", Message: "m"}, "a.yaml:3: check x: m"},
		{Diagnostic{File: "a.yaml", Message: "m"}, "a.yaml: m"},
		{Diagnostic{File: "a.yaml", Column: 4, Message: "m"}, "a.yaml: m"},
	}
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	r := &Reporter{File: "a.yaml"}
	if r.Err() != nil {
		t.Error("Err() of no diagnostics is not nil")
	}
	r.AtLine(9, 1, "derived R", "later")
	r.AtLine(2, 5, "output", "second")
	r.AtLine(2, 1, "", "first")
	want := "a.yaml:2:1: first\na.yaml:2:5: indicator output: second\na.yaml:9:1: derived R: later"
	if err := r.Err(); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}

	r = &Reporter{File: "a.yaml"}
	for i := 0; i < MaxDiagnostics+1; i++ {
		r.AtLine(i+1, 0, "", "p")
	}
	for range 2 { // Err may be called more than once
		errs := asErrors(t, r.Err())
		if len(errs) != MaxDiagnostics+1 || errs[MaxDiagnostics].String() != "a.yaml: 1 more problem not shown" {
			t.Errorf("%d diagnostics, last %v", len(errs), errs[len(errs)-1])
		}
	}
}

func asErrors(t *testing.T, err error) Errors {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T is not rules.Errors: %v", err, err)
	}
	if len(errs) == 0 {
		t.Fatal("empty rules.Errors")
	}
	return errs
}

func find(errs Errors, msg string) (Diagnostic, bool) {
	for _, d := range errs {
		if strings.Contains(d.String(), msg) {
			return d, true
		}
	}
	return Diagnostic{}, false
}

// unit_points: top-level only, 0 ≤ min ≤ max ≤ 100, around the points.
func TestUnitPointsChecks(t *testing.T) {
	tests := []struct{ name, old, new, want string }{
		{"nested", "        points: 50\n", "        points: 50\n        unit_points: {min: 40, max: 60}\n", "unit_points applies only to top-level indicators"},
		{"min above max", "    points: 80\n", "    points: 80\n    unit_points: {min: 90, max: 70}\n", "unit_points must have 0 ≤ min ≤ max ≤ 100, got 90–70"},
		{"not around the points", "    points: 80\n", "    points: 80\n    unit_points: {min: 40, max: 60}\n", "must include the indicator's own 80 points"},
		{"a bound missing", "    points: 80\n", "    points: 80\n    unit_points: {min: 40}\n", "unit_points needs min and max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(strings.Replace(validFile, tt.old, tt.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Parse("t.yaml", []byte(strings.Replace(validFile, "    points: 80\n", "    points: 80\n    unit_points: {min: 60, max: 80}\n", 1))); err != nil {
		t.Errorf("a valid unit_points: %v", err)
	}
}
