package rules

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"jixiao"
)

// FuzzParse feeds Parse arbitrary bytes, starting from the built-in rule
// files and the broken ones of testdata/rules. Parse must never panic,
// and must return either a file or rules.Errors whose every diagnostic
// names the file.
func FuzzParse(f *testing.F) {
	for _, src := range Builtin() {
		f.Add(src.Data)
	}
	paths, _ := filepath.Glob("../testdata/rules/*.yaml")
	broken, _ := filepath.Glob("../testdata/rules/broken/*.yaml")
	for _, path := range append(paths, broken...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(validFile))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err == nil {
			if file == nil {
				t.Fatal("neither a file nor an error")
			}
			checkParsed(t, file)
			return
		}
		if file != nil {
			t.Fatal("both a file and an error")
		}
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("error %T is not rules.Errors: %v", err, err)
		}
		if len(errs) == 0 {
			t.Fatal("empty rules.Errors")
		}
		for _, d := range errs {
			if d.File == "" {
				t.Fatalf("diagnostic without a file: %+v", d)
			}
			if d.Message == "" {
				t.Fatalf("diagnostic without a message: %+v", d)
			}
			if d.Line < 0 || d.Column < 0 {
				t.Fatalf("negative position: %+v", d)
			}
		}
	})
}

// checkParsed checks what Parse promises of a file it accepts, on which
// the engine relies.
func checkParsed(t *testing.T, f *File) {
	t.Helper()
	if f.Path != "fuzz.yaml" || f.Hash == "" {
		t.Fatalf("path %q hash %q", f.Path, f.Hash)
	}
	// Every total from 0 to 100 has exactly one grade.
	for total := jixiao.Decimal(0); total <= 100*100; total++ {
		n := 0
		for _, b := range f.Grades {
			if total >= b.From.Value && (total < b.To.Value || (b.To.Value == hundred && total == hundred)) {
				n++
			}
		}
		if n != 1 || f.Grade(total) == "" {
			t.Fatalf("total %s falls in %d grade bands", total, n)
		}
	}
	var sum jixiao.Decimal
	for _, ind := range f.Indicators {
		if ind == nil {
			t.Fatal("nil indicator")
		}
		sum += ind.Points.Value
	}
	if sum != hundred {
		t.Fatalf("top-level points add up to %s", sum)
	}
	f.Walk(func(ind, _ *Indicator) {
		if ind.Points.Value <= 0 {
			t.Fatalf("indicator %s has %s points", ind.ID.Value, ind.Points.Value)
		}
		if len(ind.Children) > 0 {
			var s jixiao.Decimal
			for _, c := range ind.Children {
				if c == nil {
					t.Fatal("nil child")
				}
				s += c.Points.Value
			}
			if s != ind.Points.Value {
				t.Fatalf("children of %s add up to %s", ind.ID.Value, s)
			}
		}
		if ind.Leaves != nil && f.LeafRulesByName(ind.Leaves.Rules.Value) == nil {
			t.Fatalf("indicator %s uses a missing leaf_rules table", ind.ID.Value)
		}
		if n := len(ind.Cases); n > 0 && !blank(ind.Cases[n-1].When) {
			t.Fatalf("indicator %s: last case has a when", ind.ID.Value)
		}
		for _, c := range ind.Cases {
			if blank(c.Score) {
				t.Fatalf("indicator %s: case without a score", ind.ID.Value)
			}
		}
	})
	for _, c := range f.Checks {
		if blank(c.When) || c.Message.Value == "" {
			t.Fatalf("check %s without when or message", c.ID.Value)
		}
	}
}
