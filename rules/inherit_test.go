package rules

import (
	"strings"
	"testing"
)

// parentOf finds validFile as rule set t.
func parentOf(t *testing.T) Parents {
	t.Helper()
	return ParentsOf([]Source{{Path: "t.yaml", Data: []byte(validFile)}})
}

const childHead = "id: c\nextends: t\nversion: \"2\"\nname: 子规则\n"

// A child states its differences; the effective file is the parent's with
// them merged in.
func TestExtends(t *testing.T) {
	tests := []struct {
		name  string
		child string
		check func(t *testing.T, f *File)
	}{
		{"nothing changed", "", func(t *testing.T, f *File) {
			if f.ID.Value != "c" || f.Version.Value != "2" || f.Extends.Value != "t" || len(f.Indicators) != 2 || len(f.Checks) != 1 {
				t.Errorf("id %s version %s extends %s, %d indicators, %d checks", f.ID.Value, f.Version.Value, f.Extends.Value, len(f.Indicators), len(f.Checks))
			}
			if len(f.Tests) != 0 {
				t.Errorf("%d tests inherited; tests are the child's own", len(f.Tests))
			}
		}},
		{"points by id, deep in the tree", "indicators:\n  - {id: quantity, points: 40}\n  - {id: quality, points: 40}\n", func(t *testing.T, f *File) {
			out := f.Indicators[1]
			if out.Children[0].Points.Value.Trimmed() != "40" || out.Children[1].Points.Value.Trimmed() != "40" || out.Children[1].Name.Value != "质量指标" {
				t.Errorf("output children %+v", out.Children)
			}
			if out.Children[1].IfEmpty.Value != "redistribute" || out.Children[0].Leaves == nil {
				t.Error("keys the child did not give are not the parent's")
			}
		}},
		{"remove an indicator, add one", "indicators:\n  - {id: quality, remove: true}\n" +
			"  - id: output\n    points: 50\n    children:\n      - {id: quantity, points: 50}\n" +
			"  - {id: extra, name: 额外, points: 30, leaves: {level1: 额外}}\n", func(t *testing.T, f *File) {
			if len(f.Indicators) != 3 || f.Indicators[2].ID.Value != "extra" || len(f.Indicators[1].Children) != 1 {
				t.Errorf("indicators %d, output children %d", len(f.Indicators), len(f.Indicators[1].Children))
			}
		}},
		{"null removes a key", "missing: {balance: ~}\nyears: {to: ~}\n", func(t *testing.T, f *File) {
			if len(f.Missing) != 0 || f.Years.To.Set || !f.Years.From.Set {
				t.Errorf("missing %v, years %+v", f.Missing, f.Years)
			}
		}},
		{"check by id", "checks:\n  - {id: negative_spent, severity: warning}\n  - {id: low, severity: info, when: R < 50, message: 低}\n", func(t *testing.T, f *File) {
			if len(f.Checks) != 2 || f.Checks[0].Severity.Value != "warning" || f.Checks[0].When.Value != "spent < 0" {
				t.Errorf("checks %+v", f.Checks)
			}
		}},
		{"leaf rules by name", "leaf_rules:\n  - name: standard\n    \">=\":\n      - score: W\n", func(t *testing.T, f *File) {
			if c := f.LeafRules[0].AtLeast; len(c) != 1 || c[0].Score.Value != "W" {
				t.Errorf("cases %+v", c)
			}
		}},
		{"grades replaced whole", "grades:\n  - {grade: 合格, from: 60, to: 100}\n  - {grade: 不合格, from: 0, to: 60}\n", func(t *testing.T, f *File) {
			if len(f.Grades) != 2 || f.Grade(6000) != "合格" {
				t.Errorf("grades %+v", f.Grades)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseWith("c.yaml", []byte(childHead+tt.child), parentOf(t))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
			// The effective file stands alone: it reads back, without its
			// parent, to the same rules and hash.
			again, err := Parse("stored.yaml", f.Body)
			if err != nil {
				t.Fatalf("the effective file does not read back alone: %v\n%s", err, f.Body)
			}
			if again.Hash != f.Hash || len(again.Indicators) != len(f.Indicators) {
				t.Errorf("read back: hash %s, want %s", again.Hash, f.Hash)
			}
			if !strings.HasPrefix(string(f.Body), "# c 继承自 t（版本 1，sha256 ") {
				t.Errorf("the effective file does not say what it extends:\n%.200s", f.Body)
			}
		})
	}
}

// Errors of a child point at the child's file and line; what comes from
// the parent is placed at the extends line.
func TestExtendsErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // file:line: … as Diagnostic.String begins
		parents   bool
	}{
		{"unknown parent", "id: c\nextends: nothing\nversion: \"2\"\n", "c.yaml:2:10: extends nothing: there is no active rule set nothing", true},
		{"itself", "id: c\nextends: c\nversion: \"2\"\n", "c.yaml:2:10: extends c: a rule set cannot extend itself", true},
		{"no parents given", childHead, "c.yaml:2:10: extends t: there is no active rule set t", false},
		{"unknown key in the child", childHead + "indicators:\n  - {id: execution, pionts: 30}\n", "c.yaml:6:21: unknown key \"pionts\"", true},
		{"remove what is not there", childHead + "indicators:\n  - {id: nothing, remove: true}\n", "c.yaml:6:10: indicator nothing: nothing to remove: the parent has no indicator nothing", true},
		{"points no longer add up", childHead + "indicators:\n  - {id: execution, points: 30}\n", "c.yaml:", true},
		{"remove outside extends", strings.Replace(validFile, "points: 30\n", "points: 30\n        remove: true\n", 1), "t.yaml:", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var parents Parents
			if tt.parents {
				parents = parentOf(t)
			}
			path := "c.yaml"
			if strings.HasPrefix(tt.want, "t.yaml") {
				path = "t.yaml"
			}
			_, err := ParseWith(path, []byte(tt.src), parents)
			if err == nil {
				t.Fatal("no error")
			}
			var found bool
			for _, d := range err.(Errors) {
				found = found || strings.HasPrefix(d.String(), tt.want)
				if d.File != path || d.Line < 1 || d.Line > strings.Count(tt.src, "\n")+1 {
					t.Errorf("%s: not a line of the child", d)
				}
			}
			if !found {
				t.Errorf("got\n%v\nwant a diagnostic beginning %q", err, tt.want)
			}
		})
	}
}
