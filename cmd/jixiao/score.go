package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

// defaultRules is the rule set used when --rules is not given.
const defaultRules = "cn-mof-2020-self"

func runScore(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "score", "jixiao score [--rules ID|FILE|DIR] [--format table|json|csv] [--workers N] FILE...",
		"",
		"Scores the projects in each FILE (\"-\" reads standard input). A FILE holds",
		"{\"projects\": [...]} or a bare array of projects.")
	rulesArg := fs.String("rules", defaultRules, "built-in rule set `ID`, a rule FILE, or a DIR holding exactly one rule file")
	format := fs.String("format", "table", "output `format`: table, json or csv")
	workers := fs.Int("workers", 0, "number of scoring goroutines; 0 means one per CPU")
	files, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	write := writerFor(*format)
	if write == nil {
		return usageError(fs, "unknown --format %q: use table, json or csv", *format)
	}
	if *workers < 0 {
		return usageError(fs, "--workers must be 0 or more, got %d", *workers)
	}
	if len(files) == 0 {
		return usageError(fs, "no project FILE given (use - for standard input)")
	}
	stdinUses := 0
	for _, f := range files {
		if f == "-" {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return usageError(fs, "standard input (-) can be read only once")
	}

	rs, code := loadRuleSet(s, *rulesArg)
	if rs == nil {
		return code
	}
	if err := rs.TestError(rs.RunTests()); err != nil {
		s.log.Warn("the rule file's own tests fail; see jixiao rules test", "rules", rs.File().Path)
	}

	in, code := readInputs(s, files)
	if in == nil {
		return code
	}
	results, rejected, err := rs.ScoreEach(ctx, in.projects, engine.Batch{Workers: *workers})
	if err != nil {
		s.log.Error("scoring stopped", "err", err)
		return exitUsage
	}
	out := in.outcome(results, rejected)
	normalize(&out)

	if err := write(s.stdout, rs, out); err != nil {
		s.log.Error("cannot write the output", "err", err)
		return exitUsage
	}
	if len(out.Rejected) > 0 {
		s.log.Info("some projects were not scored", "scored", len(out.Results), "rejected", len(out.Rejected))
		return exitRejected
	}
	return exitOK
}

// normalize makes the outcome print the same way whatever produced it:
// empty lists are arrays in JSON, never null.
func normalize(out *jixiao.Outcome) {
	if out.Results == nil {
		out.Results = []jixiao.Result{}
	}
	if out.Rejected == nil {
		out.Rejected = []jixiao.Rejection{}
	}
	for i := range out.Results {
		if out.Results[i].Findings == nil {
			out.Results[i].Findings = []jixiao.Finding{}
		}
	}
	for i := range out.Rejected {
		if out.Rejected[i].Errors == nil {
			out.Rejected[i].Errors = []string{}
		}
	}
}

// loadRuleSet resolves a --rules argument to exactly one rule file and
// compiles it. On failure it reports why and returns the exit status.
func loadRuleSet(s *streams, arg string) (*engine.RuleSet, int) {
	srcs, err := rules.Resolve(arg)
	if err != nil {
		s.log.Error("cannot load rules", "err", err)
		return nil, exitUsage
	}
	if len(srcs) > 1 {
		names := make([]string, len(srcs))
		for i, src := range srcs {
			names[i] = filepath.Base(src.Path)
		}
		s.log.Error("the rules directory holds several rule files; name one file with --rules",
			"dir", arg, "files", strings.Join(names, ", "))
		return nil, exitUsage
	}
	rs, err := engine.LoadWith(srcs[0].Path, srcs[0].Data, parentsFor(srcs))
	if err != nil {
		reportLoadError(s, srcs[0].Path, err)
		return nil, exitUsage
	}
	return rs, exitOK
}

// reportLoadError prints a rule file's problems on stderr, one per line.
func reportLoadError(s *streams, path string, err error) {
	var errs rules.Errors
	if errors.As(err, &errs) {
		for _, d := range errs {
			fmt.Fprintln(s.stderr, d.String())
		}
		return
	}
	fmt.Fprintf(s.stderr, "%s: %v\n", path, err)
}
