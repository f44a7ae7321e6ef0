package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"jixiao"
)

// MaxFileSize bounds a rule file; real ones are a few kilobytes.
const MaxFileSize = 1 << 20

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// Parse decodes a rule file strictly and checks its structure: identity,
// grade bands, the indicator tree and its points, scoring tables and
// checks. Formulas are compiled by the engine. path is used in messages.
func Parse(path string, data []byte) (*File, error) {
	r := &Reporter{File: path}
	if len(data) > MaxFileSize {
		r.AtLine(0, 0, "", "file is %d bytes, larger than the %d allowed", len(data), MaxFileSize)
		return nil, r.Err()
	}
	sum := sha256.Sum256(data)
	f := &File{Path: path, Hash: hex.EncodeToString(sum[:]), Body: data}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(f)
	if errors.Is(err, io.EOF) {
		r.AtLine(1, 0, "", "empty rule file")
		return nil, r.Err()
	}
	if err != nil {
		reportYAMLError(r, err)
		return nil, r.Err()
	}
	var extra yaml.Node
	if dec.Decode(&extra) == nil {
		r.AtLine(extra.Line, extra.Column, "", "a rule file holds one document; found a second")
	}
	f.check(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): (?:column (\d+): )?(.*)$`)

// reportYAMLError turns the YAML library's errors into diagnostics.
func reportYAMLError(r *Reporter, err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			addYAMLMessage(r, msg)
		}
		return
	}
	addYAMLMessage(r, strings.TrimPrefix(err.Error(), "yaml: "))
}

func addYAMLMessage(r *Reporter, msg string) {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		text := m[3]
		// "field spnet not found in type rules.Case" → a plainer sentence.
		if name, typ, ok := strings.Cut(text, " not found in type "); ok {
			text = fmt.Sprintf("unknown key %q in %s", strings.TrimPrefix(name, "field "), friendlyType(typ))
		}
		r.AtLine(line, col, "", "%s", text)
		return
	}
	r.AtLine(0, 0, "", "%s", msg)
}

func friendlyType(t string) string {
	switch strings.TrimPrefix(t, "rules.") {
	case "File":
		return "the rule file"
	case "Indicator":
		return "an indicator"
	case "Case":
		return "a scoring case"
	case "LeafRules":
		return "a leaf_rules table"
	case "LeafSelect":
		return "leaves"
	case "Check":
		return "a check"
	case "GradeBand":
		return "a grade band"
	case "Test":
		return "a test"
	case "Expect":
		return "a test's expect"
	case "Finding":
		return "a finding"
	case "Years":
		return "years"
	}
	return t
}

// check validates everything that does not need the formulas compiled.
func (f *File) check(r *Reporter) {
	if f.ID.Value == "" {
		r.AtLine(1, 0, "", "missing id")
	} else if !idPattern.MatchString(f.ID.Value) {
		r.At(f.ID, "", "id %q must start with a letter and use only letters, digits, - and _", f.ID.Value)
	}
	if f.Version.Value == "" {
		r.AtLine(1, 0, "", "missing version")
	}
	if f.Name.Value == "" {
		r.AtLine(1, 0, "", "missing name")
	}
	if !f.Years.From.Set {
		r.AtLine(1, 0, "", "missing years.from: the first fiscal year the rules apply to")
	} else if f.Years.From.Value%100 != 0 || (f.Years.To.Set && (f.Years.To.Value%100 != 0 || f.Years.To.Value < f.Years.From.Value)) {
		r.AtLine(f.Years.From.Line, f.Years.From.Column, "", "years must be whole years with from ≤ to")
	}
	switch f.Unassigned.Value {
	case "":
		f.Unassigned.Value = UnassignedReject
	case UnassignedReject, UnassignedIgnore:
	default:
		r.At(f.Unassigned, "", "unassigned must be %s or %s, got %q", UnassignedReject, UnassignedIgnore, f.Unassigned.Value)
	}
	f.checkGrades(r)
	f.checkNames(r)
	f.checkTree(r)
	f.checkLeafRules(r)
	f.checkChecks(r)
	for _, t := range f.Tests {
		if t.Name.Value == "" {
			r.AtLine(t.Project.Line, t.Project.Column, "", "a test needs a name")
		}
		if t.Project.Kind != yaml.MappingNode {
			r.At(t.Name, "", "test %q needs a project", t.Name.Value)
		}
		if !t.Expect.Rejected && t.Expect.Total == nil && t.Expect.Grade.Value == "" && len(t.Expect.Scores) == 0 {
			r.At(t.Name, "", "test %q expects nothing: give total, grade, scores or rejected", t.Name.Value)
		}
	}
}

var hundred = jixiao.Points(100)

func (f *File) checkGrades(r *Reporter) {
	if len(f.Grades) == 0 {
		r.AtLine(1, 0, "", "missing grades: the bands must cover 0 to 100")
		return
	}
	bands := append([]GradeBand(nil), f.Grades...)
	// Sort by lower bound; insertion sort keeps it dependency-free and stable.
	for i := 1; i < len(bands); i++ {
		for j := i; j > 0 && bands[j].From.Value < bands[j-1].From.Value; j-- {
			bands[j], bands[j-1] = bands[j-1], bands[j]
		}
	}
	seen := map[string]bool{}
	for _, b := range f.Grades {
		if b.Grade.Value == "" {
			r.AtLine(b.From.Line, b.From.Column, "", "a grade band needs a grade")
		} else if seen[b.Grade.Value] {
			r.At(b.Grade, "", "grade %q is declared twice", b.Grade.Value)
		}
		seen[b.Grade.Value] = true
		if !b.From.Set || !b.To.Set {
			r.At(b.Grade, "", "grade %s needs both from and to", b.Grade.Value)
			return
		}
		if b.To.Value <= b.From.Value {
			r.At(b.Grade, "", "grade %s: from %s must be below to %s", b.Grade.Value, b.From.Value, b.To.Value)
			return
		}
	}
	if bands[0].From.Value != 0 {
		r.AtLine(bands[0].From.Line, bands[0].From.Column, "", "grade bands must start at 0; the lowest band %s starts at %s", bands[0].Grade.Value, bands[0].From.Value)
	}
	for i := 1; i < len(bands); i++ {
		prev, b := bands[i-1], bands[i]
		switch {
		case prev.To.Value < b.From.Value:
			r.AtLine(b.From.Line, b.From.Column, "", "grade bands leave a gap: totals from %s up to %s have no grade (between %s and %s)", prev.To.Value, b.From.Value, prev.Grade.Value, b.Grade.Value)
		case prev.To.Value > b.From.Value:
			r.AtLine(b.From.Line, b.From.Column, "", "grade bands overlap: %s ends at %s but %s starts at %s", prev.Grade.Value, prev.To.Value, b.Grade.Value, b.From.Value)
		}
	}
	if last := bands[len(bands)-1]; last.To.Value != hundred {
		r.AtLine(last.To.Line, last.To.Column, "", "grade bands must end at 100; the highest band %s ends at %s", last.Grade.Value, last.To.Value)
	}
}

// Grade returns the grade of a total rounded to two places.
func (f *File) Grade(total jixiao.Decimal) string {
	for _, b := range f.Grades {
		if total >= b.From.Value && (total < b.To.Value || (b.To.Value == hundred && total == hundred)) {
			return b.Grade.Value
		}
	}
	return ""
}

func (f *File) checkNames(r *Reporter) {
	seen := map[string]Text{}
	for _, d := range f.Derived {
		if !idPattern.MatchString(d.Name.Value) || strings.Contains(d.Name.Value, "-") {
			r.At(d.Name, "", "derived value name %q must be a letter followed by letters, digits or _", d.Name.Value)
		}
		if prev, dup := seen[d.Name.Value]; dup {
			r.At(d.Name, "", "derived value %s is defined twice (first at line %d)", d.Name.Value, prev.Line)
		}
		seen[d.Name.Value] = d.Name
		if d.Value.Value == "" {
			r.At(d.Name, "", "derived value %s has no formula", d.Name.Value)
		}
	}
	for _, m := range f.Missing {
		if m.Value.Value == "" {
			r.At(m.Name, "", "missing-data policy for %s is empty: use fail, zero or a default value", m.Name.Value)
		}
	}
}

func (f *File) checkTree(r *Reporter) {
	if len(f.Indicators) == 0 {
		r.AtLine(1, 0, "", "no indicators")
		return
	}
	ids := map[string]Text{}
	var total jixiao.Decimal
	for _, ind := range f.Indicators {
		total += ind.Points.Value
	}
	f.Walk(func(ind, parent *Indicator) {
		label := ind.ID.Value
		if label == "" {
			label = ind.Name.Value
		}
		pos := ind.ID
		if pos.Line == 0 {
			pos = ind.Name
		}
		if ind.ID.Value == "" {
			r.At(pos, label, "missing id")
		} else if !idPattern.MatchString(ind.ID.Value) {
			r.At(ind.ID, label, "id must start with a letter and use only letters, digits, - and _")
		} else if prev, dup := ids[ind.ID.Value]; dup {
			r.At(ind.ID, label, "id is used twice (first at line %d)", prev.Line)
		} else {
			ids[ind.ID.Value] = ind.ID
		}
		if ind.Name.Value == "" {
			r.At(pos, label, "missing name")
		}
		if !ind.Points.Set {
			r.At(pos, label, "missing points")
		} else if ind.Points.Value <= 0 {
			r.AtLine(ind.Points.Line, ind.Points.Column, label, "points must be positive, got %s", ind.Points.Value)
		}
		kinds := 0
		if len(ind.Cases) > 0 {
			kinds++
		}
		if len(ind.Children) > 0 {
			kinds++
		}
		if ind.Leaves != nil {
			kinds++
		}
		if kinds != 1 {
			r.At(pos, label, "an indicator needs exactly one of cases (scored from project fields), children (a group) or leaves (the project's own indicators)")
		}
		if len(ind.Children) > 0 {
			var sum jixiao.Decimal
			for _, c := range ind.Children {
				sum += c.Points.Value
			}
			if sum != ind.Points.Value {
				r.AtLine(ind.Points.Line, ind.Points.Column, label, "children's points add up to %s, not the %s points of %s", sum, ind.Points.Value, ind.Name.Value)
			}
		}
		checkCases(r, ind.Cases, label)
		switch ind.IfEmpty.Value {
		case "", Redistribute, Rescale:
		default:
			r.At(ind.IfEmpty, label, "if_empty must be %s or %s, got %q", Redistribute, Rescale, ind.IfEmpty.Value)
		}
		if ind.IfEmpty.Value != "" && ind.Leaves == nil && len(ind.Children) == 0 {
			r.At(ind.IfEmpty, label, "if_empty applies only to groups and leaves")
		}
		if l := ind.Leaves; l != nil {
			if l.Level1.Value == "" && l.Level2.Value == "" && l.Where.Value == "" {
				r.At(pos, label, "leaves needs level1, level2 or where to select the project's indicators")
			}
			if l.Rules.Value == "" {
				if len(f.LeafRules) != 1 {
					r.At(pos, label, "leaves needs rules: the name of a leaf_rules table")
				} else {
					l.Rules = f.LeafRules[0].Name
				}
			} else if f.LeafRulesByName(l.Rules.Value) == nil {
				r.At(l.Rules, label, "no leaf_rules table named %q", l.Rules.Value)
			}
		}
	})
	if total != hundred {
		r.AtLine(f.Indicators[0].Points.Line, f.Indicators[0].Points.Column, "", "top-level indicators' points add up to %s, not 100", total)
	}
}

func checkCases(r *Reporter, cases []Case, label string) {
	for i, c := range cases {
		if c.Score.Value == "" {
			line := c.When.Line
			if line == 0 {
				line = c.Reason.Line
			}
			r.AtLine(line, 0, label, "scoring case %d has no score formula", i+1)
		}
		last := i == len(cases)-1
		if last && c.When.Value != "" {
			r.At(c.When, label, "the last scoring case must have no when, so that every project gets a score")
		}
		if !last && c.When.Value == "" {
			r.At(c.Score, label, "scoring case %d has no when, so the cases after it never apply", i+1)
		}
		if c.Finding != nil {
			checkSeverity(r, c.Finding.Severity, label)
			if c.Finding.Message.Value == "" {
				r.At(c.Finding.Severity, label, "a finding needs a message")
			}
		}
	}
}

func checkSeverity(r *Reporter, s Text, label string) {
	switch jixiao.Severity(s.Value) {
	case jixiao.SeverityError, jixiao.SeverityWarning, jixiao.SeverityInfo:
	default:
		r.At(s, label, "severity must be error, warning or info, got %q", s.Value)
	}
}

func (f *File) checkLeafRules(r *Reporter) {
	seen := map[string]bool{}
	for _, lr := range f.LeafRules {
		name := lr.Name.Value
		if name == "" {
			r.AtLine(0, 0, "", "a leaf_rules table needs a name")
		} else if seen[name] {
			r.At(lr.Name, "", "leaf_rules %q is defined twice", name)
		}
		seen[name] = true
		label := "leaf_rules " + name
		if len(lr.AtLeast)+len(lr.AtMost)+len(lr.Exactly)+len(lr.Qualitative) == 0 {
			r.At(lr.Name, label, "no cases for any direction")
		}
		for _, cases := range [][]Case{lr.AtLeast, lr.AtMost, lr.Exactly, lr.Qualitative} {
			checkCases(r, cases, label)
		}
	}
}

func (f *File) checkChecks(r *Reporter) {
	seen := map[string]bool{}
	for i := range f.Checks {
		c := &f.Checks[i]
		if c.ID.Value == "" {
			r.At(c.When, "", "a check needs an id")
		} else if seen[c.ID.Value] {
			r.At(c.ID, "", "check %s is defined twice", c.ID.Value)
		}
		seen[c.ID.Value] = true
		label := "check " + c.ID.Value
		checkSeverity(r, c.Severity, label)
		switch c.Scope.Value {
		case "":
			c.Scope.Value = ScopeProject
		case ScopeProject, ScopeLeaf:
		default:
			r.At(c.Scope, label, "scope must be project or leaf, got %q", c.Scope.Value)
		}
		if c.When.Value == "" {
			r.At(c.ID, label, "a check needs a when condition")
		}
		if c.Message.Value == "" {
			r.At(c.ID, label, "a check needs a message")
		}
	}
}
