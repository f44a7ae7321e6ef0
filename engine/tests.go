package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"jixiao"
	"jixiao/rules"
)

// TestResult is the outcome of one test embedded in a rule file.
type TestResult struct {
	Name     string   `json:"name"`
	Line     int      `json:"line"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
}

// TestBudget bounds the time a rule file's tests may take in all before
// the rest are failed unrun: a file is checked before every activation,
// and a slow one must not hold the others up.
const TestBudget = 10 * time.Second

// RunTests scores each example project of the rule file and compares the
// outcome with what the test expects, within TestBudget.
func (rs *RuleSet) RunTests() []TestResult {
	return rs.RunTestsWithin(context.Background(), TestBudget)
}

// RunTestsWithin is RunTests with another budget: once the tests run have
// taken longer, the others fail without running. When ctx ends (a
// shutdown, a request gone) the tests not yet run fail the same way.
func (rs *RuleSet) RunTestsWithin(ctx context.Context, budget time.Duration) []TestResult {
	sc := rs.NewScorer()
	out := make([]TestResult, 0, len(rs.file.Tests))
	start := time.Now()
	for i, t := range rs.file.Tests {
		tr := TestResult{Name: t.Name.Value, Line: t.Name.Line}
		if spent := time.Since(start); i > 0 && spent > budget {
			tr.Failures = []string{fmt.Sprintf("not run: the file's tests before it took %v, longer than the %v allowed for all of them", spent.Round(time.Microsecond), budget)}
		} else if err := ctx.Err(); err != nil {
			tr.Failures = []string{fmt.Sprintf("not run: the check was stopped (%v)", err)}
		} else {
			tr.Failures = rs.runTest(sc, &t)
		}
		tr.Passed = len(tr.Failures) == 0
		out = append(out, tr)
	}
	return out
}

// TestError reports the failed tests of a rule file as diagnostics.
func (rs *RuleSet) TestError(results []TestResult) error {
	var errs rules.Errors
	for _, r := range results {
		for _, f := range r.Failures {
			errs = append(errs, rules.Diagnostic{File: rs.file.Path, Line: r.Line, Message: fmt.Sprintf("test %q: %s", r.Name, f)})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func (rs *RuleSet) runTest(sc *Scorer, t *rules.Test) []string {
	var v any
	if err := t.Project.Decode(&v); err != nil {
		return []string{"project: " + err.Error()}
	}
	data, err := json.Marshal([]any{v})
	if err != nil {
		return []string{"project: " + err.Error()}
	}
	in, err := jixiao.DecodeProjectsBytes(data)
	if err != nil {
		return []string{"project: " + err.Error()}
	}
	if len(in.Rejected) > 0 {
		return []string{"project: " + strings.Join(in.Rejected[0].Errors, "; ")}
	}
	res, rej := sc.Score(&in.Projects[0])
	exp := t.Expect
	var fails []string
	if rej != nil {
		if !exp.Rejected {
			return []string{"rejected: " + strings.Join(rej.Errors, "; ")}
		}
		if exp.Error.Value != "" && !strings.Contains(strings.Join(rej.Errors, "\n"), exp.Error.Value) {
			fails = append(fails, fmt.Sprintf("rejected with %q, want a reason containing %q", strings.Join(rej.Errors, "; "), exp.Error.Value))
		}
		return fails
	}
	if exp.Rejected {
		return []string{fmt.Sprintf("scored %s (%s), want rejected", res.Total, res.Grade)}
	}
	if exp.Total != nil && res.Total != exp.Total.Value {
		fails = append(fails, fmt.Sprintf("total %s, want %s", res.Total, exp.Total.Value))
	}
	if exp.Grade.Value != "" && res.Grade != exp.Grade.Value {
		fails = append(fails, fmt.Sprintf("grade %s, want %s", res.Grade, exp.Grade.Value))
	}
	for _, id := range sortedKeys(exp.Scores) {
		want := exp.Scores[id]
		n := res.Find(id)
		if n == nil {
			fails = append(fails, fmt.Sprintf("no indicator %s in the result", id))
		} else if n.Score != want.Value {
			fails = append(fails, fmt.Sprintf("indicator %s scored %s, want %s", id, n.Score, want.Value))
		}
	}
	for _, want := range exp.Findings {
		found := false
		for _, f := range res.Findings {
			found = found || f.Check == want.Value
		}
		if !found {
			fails = append(fails, fmt.Sprintf("no finding %s", want.Value))
		}
	}
	return fails
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

var _ = yaml.Node{}
