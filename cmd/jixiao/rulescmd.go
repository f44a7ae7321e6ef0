package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

// rulesVerbs are the subcommands of "jixiao rules".
func rulesVerbs() []verb {
	return []verb{
		{"check", "check rule files as the service does before it activates them: every problem with file and line, then the embedded tests", runRulesCheck},
		{"test", "run the tests written at the end of each rule file", runRulesTest},
		{"show", "print a rule set's grades and indicator tree, or with --yaml its file", runRulesShow},
	}
}

func rulesUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  jixiao rules check [--skip-tests] FILE|DIR|ID...")
	fmt.Fprintln(w, "  jixiao rules test FILE|DIR|ID...")
	fmt.Fprintln(w, "  jixiao rules show [--yaml] ID|FILE")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, v := range rulesVerbs() {
		fmt.Fprintf(w, "  %-5s  %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "ID is a built-in rule set: %s.\n", strings.Join(builtinIDs(), ", "))
}

func runRules(ctx context.Context, s *streams, args []string) int {
	if len(args) == 0 {
		rulesUsage(s.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		rulesUsage(s.stderr)
		return exitOK
	}
	for _, v := range rulesVerbs() {
		if v.name == args[0] {
			return v.run(ctx, s, args[1:])
		}
	}
	fmt.Fprintf(s.stderr, "jixiao rules: unknown command %q\n\n", args[0])
	rulesUsage(s.stderr)
	return exitUsage
}

func builtinIDs() []string {
	var ids []string
	for _, src := range rules.Builtin() {
		name := src.Path[strings.LastIndex(src.Path, "/")+1:]
		ids = append(ids, strings.TrimSuffix(name, ".yaml"))
	}
	return ids
}

// resolveAll resolves each argument to its rule files, reporting the
// ones that cannot be found.
func resolveAll(s *streams, args []string) ([]rules.Source, bool) {
	var all []rules.Source
	ok := true
	for _, arg := range args {
		srcs, err := rules.Resolve(arg)
		if err != nil {
			s.log.Error("cannot load rules", "err", err)
			ok = false
			continue
		}
		all = append(all, srcs...)
	}
	return all, ok
}

// runRulesCheck loads every rule file named and prints one line per good
// file, and the problems of each bad one on stderr.
func runRulesCheck(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "rules check", "jixiao rules check [--skip-tests] FILE|DIR|ID...",
		"",
		"Checks every rule file as the service does before it activates one: parses and",
		"compiles it (formulas, names, points, grade bands), then runs its embedded tests.",
		"Prints \"ok  PATH  id version hash\" only for a file the service would activate,",
		"and every problem or failed test of the others.")
	skipTests := fs.Bool("skip-tests", false, "only parse and compile; do not run the embedded tests")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(paths) == 0 {
		return usageError(fs, "name a rule FILE, a DIR of rule files or a built-in ID")
	}
	srcs, good := resolveAll(s, paths)
	parents := parentsFor(srcs)
	ids := map[string]string{} // rule set id → the file that has it
	for _, src := range srcs {
		rs, err := engine.LoadWith(src.Path, src.Data, parents)
		if err != nil {
			good = false
			fmt.Fprintf(s.stdout, "FAIL  %s\n", src.Path)
			reportLoadError(s, src.Path, err)
			continue
		}
		ref := rs.Ref()
		if first, dup := ids[ref.ID]; dup {
			good = false
			fmt.Fprintf(s.stdout, "FAIL  %s\n", src.Path)
			fmt.Fprintf(s.stderr, "%s:%d:%d: id %s is also the id of %s\n", src.Path, rs.File().ID.Line, rs.File().ID.Column, ref.ID, first)
			continue
		}
		ids[ref.ID] = src.Path
		if !*skipTests {
			if failed := failedTests(rs.RunTests()); len(failed) > 0 {
				good = false
				fmt.Fprintf(s.stdout, "FAIL  %s\n", src.Path)
				for _, r := range failed {
					fmt.Fprintf(s.stderr, "%s:%d: test %q failed\n", src.Path, r.Line, r.Name)
					for _, f := range r.Failures {
						fmt.Fprintf(s.stderr, "        %s\n", f)
					}
				}
				continue
			}
		}
		fmt.Fprintf(s.stdout, "ok  %s  %s %s %s\n", src.Path, ref.ID, ref.Version, jixiao.ShortHash(ref.Hash))
	}
	if !good {
		return exitUsage
	}
	return exitOK
}

func failedTests(results []engine.TestResult) []engine.TestResult {
	var out []engine.TestResult
	for _, r := range results {
		if !r.Passed {
			out = append(out, r)
		}
	}
	return out
}

// runRulesTest runs each rule file's embedded tests.
func runRulesTest(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "rules test", "jixiao rules test FILE|DIR|ID...",
		"",
		"Runs the tests at the end of each rule file and prints PASS or FAIL for each,",
		"with the file, the line and why it failed.")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(paths) == 0 {
		return usageError(fs, "name a rule FILE, a DIR of rule files or a built-in ID")
	}
	srcs, loaded := resolveAll(s, paths)
	parents := parentsFor(srcs)
	passed, failed := 0, 0
	for _, src := range srcs {
		rs, err := engine.LoadWith(src.Path, src.Data, parents)
		if err != nil {
			loaded = false
			fmt.Fprintf(s.stdout, "FAIL  %s: the rule file has errors\n", src.Path)
			reportLoadError(s, src.Path, err)
			continue
		}
		results := rs.RunTests()
		if len(results) == 0 {
			fmt.Fprintf(s.stdout, "?     %s: no tests\n", src.Path)
		}
		for _, r := range results {
			status := "PASS"
			if r.Passed {
				passed++
			} else {
				status = "FAIL"
				failed++
			}
			fmt.Fprintf(s.stdout, "%s  %s:%d  %s\n", status, src.Path, r.Line, r.Name)
			for _, f := range r.Failures {
				fmt.Fprintf(s.stdout, "        %s\n", f)
			}
		}
	}
	fmt.Fprintf(s.stdout, "%d passed, %d failed\n", passed, failed)
	switch {
	case !loaded:
		return exitUsage
	case failed > 0:
		return exitRejected
	}
	return exitOK
}

// runRulesShow prints what a rule set scores and how, or its file.
func runRulesShow(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "rules show", "jixiao rules show [--yaml] ID|FILE",
		"",
		"Prints the rule set's identity, description, grade bands and indicator tree.",
		"With --yaml, prints the rule file itself, to copy a built-in and edit it; for a",
		"file that extends another rule set, the effective rules whole.")
	raw := fs.Bool("yaml", false, "print the rule file as it is written, or the effective file of one that extends another")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(paths) != 1 {
		return usageError(fs, "name one rule FILE or built-in ID")
	}
	srcs, ok := resolveAll(s, paths)
	if !ok {
		return exitUsage
	}
	if len(srcs) != 1 {
		s.log.Error("the directory holds several rule files; name one file", "dir", paths[0], "files", len(srcs))
		return exitUsage
	}
	src := srcs[0]
	if *raw && rules.ExtendsOf(src.Data) == "" {
		if _, err := s.stdout.Write(src.Data); err != nil {
			s.log.Error("cannot write the output", "err", err)
			return exitUsage
		}
		return exitOK
	}
	rs, err := engine.LoadWith(src.Path, src.Data, parentsFor(srcs))
	if err != nil {
		reportLoadError(s, src.Path, err)
		return exitUsage
	}
	if *raw {
		if _, err := s.stdout.Write(rs.File().Body); err != nil {
			s.log.Error("cannot write the output", "err", err)
			return exitUsage
		}
		return exitOK
	}
	showRuleSet(s.stdout, rs)
	return exitOK
}

// parentsFor finds the rule set a file extends among the files named, the
// other rule files of their directories, then the built-ins, as the
// service would with its rules directory.
func parentsFor(srcs []rules.Source) rules.Parents {
	var dirs []rules.Source
	seen := map[string]bool{}
	for _, src := range srcs {
		dir := filepath.Dir(src.Path)
		if strings.HasPrefix(src.Path, "builtin/") || seen[dir] {
			continue
		}
		seen[dir] = true
		if more, err := rules.ReadDir(dir); err == nil {
			dirs = append(dirs, more...)
		}
	}
	return rules.ParentsOf(srcs, dirs, rules.Builtin())
}

// showRuleSet prints a rule set for the people who apply it.
func showRuleSet(w io.Writer, rs *engine.RuleSet) {
	f, ref := rs.File(), rs.Ref()
	fmt.Fprintln(w, f.Name.Value)
	fmt.Fprintf(w, "编号 %s  版本 %s  哈希 %s\n", ref.ID, ref.Version, jixiao.ShortHash(ref.Hash))
	fmt.Fprintf(w, "文件 %s\n", f.Path)
	if f.Extends.Value != "" {
		fmt.Fprintf(w, "继承 %s（本文件只写不同之处；--yaml 显示合并后的完整规则）\n", f.Extends.Value)
	}
	from := f.Years.From.Value.Trimmed()
	switch to := f.Years.To.Value; {
	case !f.Years.To.Set || to == 0:
		fmt.Fprintf(w, "适用年度 %s 年起\n", from)
	case to == f.Years.From.Value:
		fmt.Fprintf(w, "适用年度 %s 年\n", from)
	default:
		fmt.Fprintf(w, "适用年度 %s–%s 年\n", from, to.Trimmed())
	}
	if d := strings.TrimSpace(f.Description); d != "" {
		fmt.Fprintln(w)
		for _, line := range strings.Split(d, "\n") {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "等级：")
	top := 0
	for _, b := range f.Grades {
		top = max(top, len(b.From.Value.Trimmed()))
	}
	for _, b := range f.Grades {
		upper := "<"
		if b.To.Value.Trimmed() == "100" {
			upper = "≤"
		}
		fmt.Fprintf(w, "  %s  %*s ≤ 总分 %s %s\n", b.Grade.Value, top, b.From.Value.Trimmed(), upper, b.To.Value.Trimmed())
	}

	var total jixiao.Decimal
	for _, ind := range f.Indicators {
		total += ind.Points.Value
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "指标体系（%s分）：\n", total.Trimmed())
	showTree(w, f.Indicators, "")

	if len(f.Checks) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "数据质量检查：")
		width := 0
		for _, c := range f.Checks {
			width = max(width, len(c.ID.Value))
		}
		for _, c := range f.Checks {
			scope := ""
			if c.Scope.Value == rules.ScopeLeaf {
				scope = "（逐个三级指标）"
			}
			fmt.Fprintf(w, "  %-*s  %s%s\n", width, c.ID.Value, jixiao.Severity(c.Severity.Value).Label(), scope)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "测试：%d 个\n", len(f.Tests))
}

// showTree prints indicators as a tree: name, id, points and what scores
// each one.
func showTree(w io.Writer, list []*rules.Indicator, prefix string) {
	for i, ind := range list {
		last := i == len(list)-1
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		fmt.Fprintf(w, "%s%s%s (%s) %s分%s\n", prefix, branch, ind.Name.Value, ind.ID.Value, ind.Points.Value.Trimmed(), scoredBy(ind))
		showTree(w, ind.Children, prefix+next)
	}
}

// scoredBy says how an indicator gets its score: its scoring cases, or
// the project's own indicators it takes.
func scoredBy(ind *rules.Indicator) string {
	var s string
	switch {
	case ind.Leaves != nil:
		var sel []string
		if v := ind.Leaves.Level1; len(v) > 0 {
			sel = append(sel, "level1="+v.String())
		}
		if v := ind.Leaves.Level2.Value; v != "" {
			sel = append(sel, "level2="+v)
		}
		if v := ind.Leaves.Where.Value; v != "" {
			sel = append(sel, "where "+v)
		}
		s = " ← 项目三级指标: " + strings.Join(sel, ", ")
	case len(ind.Cases) == 1:
		s = " ← " + ind.Cases[0].Score.Value
	case len(ind.Cases) > 1:
		s = fmt.Sprintf(" ← %d 种情形，兜底: %s", len(ind.Cases), ind.Cases[len(ind.Cases)-1].Score.Value)
	}
	if ind.IfEmpty.Value == rules.Redistribute {
		s += "（缺项时分值转入同级）"
	}
	return s
}
