package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"jixiao"
)

// MaxFileSize bounds a rule file; real ones are a few kilobytes.
const MaxFileSize = 1 << 20

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// Parse decodes a rule file strictly and checks its structure: identity,
// grade bands, the indicator tree and its points, scoring tables and
// checks. Formulas are compiled by the engine. path is used in messages.
// A file that extends another is refused: read it with ParseWith.
func Parse(path string, data []byte) (*File, error) { return ParseWith(path, data, nil) }

// ParseWith is Parse for a file that may extend another rule set, which
// parents finds. The file returned is the effective one.
func ParseWith(path string, data []byte, parents Parents) (*File, error) {
	r := &Reporter{File: path}
	if len(data) > MaxFileSize {
		r.AtLine(0, 0, "", "file is %d bytes, larger than the %d allowed", len(data), MaxFileSize)
		return nil, r.Err()
	}
	sum := sha256.Sum256(data)
	f := &File{Path: path, Hash: hex.EncodeToString(sum[:]), Body: data}

	// First the document as a tree: its syntax, a second document, and
	// shapes that the strict decoding below reports badly or slowly.
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		r.AtLine(1, 0, "", "empty rule file")
		return nil, r.Err()
	}
	if err != nil {
		reportYAMLError(r, err, data)
		return nil, r.Err()
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		r.AtLine(extra.Line, extra.Column, "", "a rule file holds one document; found a second (remove the \"---\" line)")
	case !errors.Is(err, io.EOF):
		// A second document that does not even parse: still an error,
		// not something to ignore.
		reportYAMLError(r, err, data)
	}
	if !checkShape(r, &doc) {
		return nil, r.Err()
	}

	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(f); err != nil {
		reportYAMLError(r, err, data)
		return nil, r.Err()
	}
	if f.Extends.Value != "" {
		if f = f.inherit(r, &doc, parents); f == nil {
			return nil, r.Err()
		}
	}
	f.check(r)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// MaxMappingKeys bounds the keys of one mapping. Real rule files have a
// few dozen; the YAML library checks for repeated keys in time that grows
// with the square of their number.
const MaxMappingKeys = 1000

// checkShape reports list entries that hold nothing, such as a "-" left
// on a line of its own, which would decode to nothing (or to a nil
// indicator) and give confusing messages without a line; and mappings
// too large to decode. Empty entries in a test's project are left to the
// project decoder, which reports them in its own terms. It returns false
// if it reported anything.
func checkShape(r *Reporter, doc *yaml.Node) bool {
	ok := true
	var walk func(n *yaml.Node, inProject bool)
	walk = func(n *yaml.Node, inProject bool) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, inProject)
			}
		case yaml.MappingNode:
			if keys := len(n.Content) / 2; keys > MaxMappingKeys {
				r.AtLine(n.Line, n.Column, "", "a mapping of %d keys, more than the %d allowed", keys, MaxMappingKeys)
				ok = false
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], inProject || n.Content[i].Value == "project")
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if !inProject && c.Kind == yaml.ScalarNode && c.Tag == "!!null" {
					r.AtLine(c.Line, c.Column, "", "empty list entry: a \"-\" with nothing after it")
					ok = false
				} else {
					walk(c, inProject)
				}
			}
		}
	}
	walk(doc, false)
	return ok
}

var (
	yamlLine      = regexp.MustCompile(`^line (\d+): (?:column (\d+): )?(.*)$`)
	yamlUnknown   = regexp.MustCompile(`^field (.*) not found in type (\S+)$`)
	yamlTwice     = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	yamlSetTwice  = regexp.MustCompile(`^field (.*) already set in type (\S+)$`)
	yamlWrongType = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
)

// reportYAMLError turns the YAML library's errors about data into
// diagnostics: a syntax error, or the values that do not fit the format.
func reportYAMLError(r *Reporter, err error, data []byte) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := bytes.Split(data, []byte("\n"))
		for _, msg := range te.Errors {
			addYAMLMessage(r, msg, lines)
		}
		return
	}
	reportSyntaxError(r, strings.TrimPrefix(err.Error(), "yaml: "), data)
}

// parserProblems are the syntax errors of the YAML parser, as opposed to
// its scanner. The parser reports the zero-based line on which the
// enclosing block starts as if it were one-based.
var parserProblems = []string{
	"did not find expected",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxHints explain the YAML library's syntax errors to someone who
// edits the file by hand.
var syntaxHints = []struct{ problem, hint string }{
	{"did not find expected ',' or ']'", "a list written in [ ] is not closed with ]"},
	{"did not find expected ',' or '}'", "a mapping written in { } is not closed with }"},
	{"did not find expected key", "check the indentation of the lines in the block that starts here"},
	{"did not find expected '-' indicator", "check the indentation of the list entries in the block that starts here"},
	{"did not find expected node content", "a value is missing or starts with a character that needs quotes"},
	{"mapping values are not allowed in this context", "a value contains \": \"; put the value in quotes"},
	{"found character that cannot start any token", "a value starts with a character such as @ or ` that needs quotes"},
	{"found a tab character", "indent with spaces, not tabs"},
	{"found unexpected end of stream", "a quoted value is not closed"},
	{"found unknown escape character", "in double quotes a \\ starts an escape; use single quotes instead"},
	{"could not find expected ':'", "a key is not followed by \":\""},
}

// reportSyntaxError reports a YAML syntax error. The library gives the
// line where the enclosing block starts, or none; where the offending
// character can be found in data, it is reported there instead.
func reportSyntaxError(r *Reporter, msg string, data []byte) {
	line, col := 0, 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[3]
		for _, p := range parserProblems {
			if strings.HasPrefix(msg, p) {
				line++
				break
			}
		}
	}
	switch {
	case strings.HasPrefix(msg, "invalid leading UTF-8 octet"), strings.HasPrefix(msg, "invalid trailing UTF-8 octet"),
		strings.HasPrefix(msg, "invalid length of a UTF-8 sequence"), strings.HasPrefix(msg, "incomplete UTF-8 octet sequence"):
		if l, c, ok := findByte(data, func(rest []byte) bool { r, size := utf8.DecodeRune(rest); return r == utf8.RuneError && size <= 1 }); ok {
			line, col = l, c
		}
		msg = "the file is not UTF-8 text; save it with UTF-8 encoding (not GBK/ANSI)"
	case strings.HasPrefix(msg, "control characters are not allowed"), strings.HasPrefix(msg, "invalid Unicode character"):
		if l, c, ok := findByte(data, func(rest []byte) bool { r, _ := utf8.DecodeRune(rest); return !yamlPrintable(r) }); ok {
			line, col = l, c
		}
		msg = "the file holds an invisible control character; delete it or retype the line"
	case strings.HasPrefix(msg, "found a tab character"):
		if l, c, ok := findTab(data, line); ok {
			line, col = l, c
		}
	}
	for _, h := range syntaxHints {
		if strings.HasPrefix(msg, h.problem) {
			msg += " (" + h.hint + ")"
			break
		}
	}
	if line == 0 && data != nil && !strings.HasPrefix(msg, "the file ") {
		line = 1 // the library leaves out line 1
	}
	r.AtLine(line, col, "", "%s", msg)
}

// yamlPrintable reports whether YAML allows r in a document.
func yamlPrintable(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return false
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	}
	return r >= 0x20 && r <= 0x7E || r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// findByte returns the line and column (both from 1, the column in
// characters) of the first position in data where bad holds.
func findByte(data []byte, bad func(rest []byte) bool) (line, col int, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		if bad(data[i:]) {
			return line, col, true
		}
		_, size := utf8.DecodeRune(data[i:])
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, false
}

// findTab finds the first tab in the indentation of a line from line on.
func findTab(data []byte, from int) (line, col int, ok bool) {
	for i, text := range strings.Split(string(data), "\n") {
		if i+1 < from {
			continue
		}
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		if j := strings.IndexByte(indent, '\t'); j >= 0 {
			return i + 1, j + 1, true
		}
	}
	return 0, 0, false
}

// addYAMLMessage reports one of the library's decoding errors; lines are
// the file's, to find the column of a key.
func addYAMLMessage(r *Reporter, msg string, lines [][]byte) {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		r.AtLine(0, 0, "", "%s", msg)
		return
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	text := m[3]
	// The library speaks of Go types; say it in the file's own terms.
	if k := yamlUnknown.FindStringSubmatch(text); k != nil {
		col = keyColumn(lines, line, k[1])
		text = fmt.Sprintf("unknown key %q in %s", k[1], friendlyType(k[2]))
		if keys := knownKeys(k[2]); len(keys) > 0 {
			if near := closest(k[1], keys); near != "" {
				text += fmt.Sprintf("; did you mean %q?", near)
			} else {
				text += "; the keys are " + strings.Join(keys, ", ")
			}
		}
	} else if k := yamlTwice.FindStringSubmatch(text); k != nil {
		col = keyColumn(lines, line, k[1])
		text = fmt.Sprintf("key %q is given twice (first at line %s)", k[1], k[2])
	} else if k := yamlSetTwice.FindStringSubmatch(text); k != nil {
		col = keyColumn(lines, line, k[1])
		text = fmt.Sprintf("key %q is given twice in %s", k[1], friendlyType(k[2]))
	} else if k := yamlWrongType.FindStringSubmatch(text); k != nil {
		text = fmt.Sprintf("expected %s, got %s", expectedKind(k[3]), gotKind(k[1], k[2]))
	}
	r.AtLine(line, col, "", "%s", text)
}

// keyColumn finds where key is written as a key on line (1-based) of
// lines, counting characters as the YAML library does; 0 if not found
// or if the line is too long to search for every such message.
func keyColumn(lines [][]byte, line int, key string) int {
	if line < 1 || line > len(lines) || key == "" || len(lines[line-1]) > 4096 {
		return 0
	}
	text := lines[line-1]
	for from := 0; from < len(text); {
		i := bytes.Index(text[from:], []byte(key))
		if i < 0 {
			return 0
		}
		i += from
		start, end := i, i+len(key)
		if start > 0 && (text[start-1] == '"' || text[start-1] == '\'') && end < len(text) && text[end] == text[start-1] {
			start, end = start-1, end+1
		}
		before := bytes.TrimRight(text[:start], " \t")
		after := bytes.TrimLeft(text[end:], " \t")
		if bytes.HasPrefix(after, []byte(":")) && (len(before) == 0 || bytes.ContainsAny(before[len(before)-1:], "-{,?")) {
			return utf8.RuneCount(text[:start]) + 1
		}
		from = i + len(key)
	}
	return 0
}

// knownKeys lists the keys of the file-format type named as the YAML
// library names it, such as "rules.Indicator".
func knownKeys(goType string) []string {
	var t reflect.Type
	switch strings.TrimPrefix(goType, "rules.") {
	case "File":
		t = reflect.TypeFor[File]()
	case "Indicator":
		t = reflect.TypeFor[Indicator]()
	case "Case":
		t = reflect.TypeFor[Case]()
	case "LeafRules":
		t = reflect.TypeFor[LeafRules]()
	case "LeafSelect":
		t = reflect.TypeFor[LeafSelect]()
	case "Check":
		t = reflect.TypeFor[Check]()
	case "GradeBand":
		t = reflect.TypeFor[GradeBand]()
	case "Test":
		t = reflect.TypeFor[Test]()
	case "Expect":
		t = reflect.TypeFor[Expect]()
	case "Finding":
		t = reflect.TypeFor[Finding]()
	case "Years":
		t = reflect.TypeFor[Years]()
	default:
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			keys = append(keys, strings.Split(tag, ",")[0])
		}
	}
	return keys
}

// closest returns the key a misspelling most likely meant: one or two
// letters wrong, missing, extra or swapped; "" if none is that close.
func closest(word string, keys []string) string {
	best, bestDist := "", 3
	for _, k := range keys {
		limit := 2
		if utf8.RuneCountInString(k) <= 3 {
			limit = 1
		}
		if d := editDistance(strings.ToLower(word), k); d <= limit && d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance counts the single-letter edits (insert, delete, replace,
// swap two neighbours) that turn a into b.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	if len(x) > 64 || len(y) > 64 {
		return 1 << 30
	}
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// expectedKind describes a Go type of the file format as what must be
// written in its place.
func expectedKind(goType string) string {
	switch goType {
	case "[]*rules.Indicator":
		return "a list of indicators"
	case "[]rules.GradeBand":
		return "a list of grade bands"
	case "[]rules.Case":
		return "a list of scoring cases"
	case "[]rules.LeafRules":
		return "a list of leaf_rules tables"
	case "[]rules.Check":
		return "a list of checks"
	case "[]rules.Test":
		return "a list of tests"
	case "[]rules.Text":
		return "a list"
	case "map[string]rules.Number":
		return "a mapping of indicator id: score"
	case "bool":
		return "true or false"
	case "string":
		return "text"
	}
	if strings.HasPrefix(goType, "[]") {
		return "a list"
	}
	if strings.HasPrefix(goType, "map[") {
		return "a mapping of name: value"
	}
	if strings.HasPrefix(strings.TrimPrefix(goType, "*"), "rules.") {
		return "a mapping of keys for " + friendlyType(strings.TrimPrefix(goType, "*"))
	}
	return goType
}

func gotKind(tag, value string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("%q", value)
	}
	return value
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
	if m := f.MinApplicable; m.Set && (m.Value <= 0 || m.Value > hundred) {
		r.AtLine(m.Line, m.Column, "", "min_applicable must be more than 0 and at most 100 points, got %s", m.Value.Trimmed())
	}
	f.checkRemovals(r)
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
		ids := make([]string, 0, len(t.Expect.Scores))
		for id, n := range t.Expect.Scores {
			if !n.Set {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			r.At(t.Name, "", "test %q: the expected score of %s is empty", t.Name.Value, id)
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
	sort.SliceStable(bands, func(i, j int) bool { return bands[i].From.Value < bands[j].From.Value })
	seen := map[string]bool{}
	for _, b := range f.Grades {
		if b.Grade.Value == "" {
			r.At(firstPos(b.Grade, b.From, b.To), "", "a grade band needs a grade")
		} else if seen[b.Grade.Value] {
			r.At(b.Grade, "", "grade %q is declared twice", b.Grade.Value)
		}
		seen[b.Grade.Value] = true
		if !b.From.Set || !b.To.Set {
			r.At(firstPos(b.Grade, b.From, b.To), "", "grade %s needs both from and to", b.Grade.Value)
			return
		}
		if b.To.Value <= b.From.Value {
			r.At(b.Grade, "", "grade %s: from %s must be below to %s", b.Grade.Value, b.From.Value.Trimmed(), b.To.Value.Trimmed())
			return
		}
	}
	if bands[0].From.Value != 0 {
		r.AtLine(bands[0].From.Line, bands[0].From.Column, "", "grade bands must start at 0; the lowest band %s starts at %s", bands[0].Grade.Value, bands[0].From.Value.Trimmed())
	}
	// top is the band that reaches highest so far: a band inside another
	// must not hide a gap after the outer one, nor count as the last.
	top := bands[0]
	for _, b := range bands[1:] {
		switch {
		case top.To.Value < b.From.Value:
			r.AtLine(top.To.Line, top.To.Column, "", "grade bands leave a gap: totals from %s up to %s have no grade (%s ends at %s, %s starts at %s)", top.To.Value.Trimmed(), b.From.Value.Trimmed(), top.Grade.Value, top.To.Value.Trimmed(), b.Grade.Value, b.From.Value.Trimmed())
		case top.To.Value > b.From.Value:
			r.AtLine(top.To.Line, top.To.Column, "", "grade bands overlap: %s ends at %s but %s starts at %s", top.Grade.Value, top.To.Value.Trimmed(), b.Grade.Value, b.From.Value.Trimmed())
		}
		if b.To.Value > top.To.Value {
			top = b
		}
	}
	if top.To.Value != hundred {
		r.AtLine(top.To.Line, top.To.Column, "", "grade bands must end at 100; the highest band %s ends at %s", top.Grade.Value, top.To.Value.Trimmed())
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
		if blank(d.Value) {
			r.At(d.Name, "", "derived value %s has no formula", d.Name.Value)
		}
	}
	for _, m := range f.Missing {
		if blank(m.Value) {
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
			r.AtLine(ind.Points.Line, ind.Points.Column, label, "points must be positive, got %s", ind.Points.Value.Trimmed())
		} else if ind.Points.Value > hundred {
			// Also keeps the sums below far from overflowing.
			r.AtLine(ind.Points.Line, ind.Points.Column, label, "points must be at most 100, got %s", ind.Points.Value.Trimmed())
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
		if len(ind.Children) > 0 && ind.Points.Set {
			if sum, parts, ok := addPoints(ind.Children); ok && sum != ind.Points.Value {
				r.AtLine(ind.Points.Line, ind.Points.Column, label, "children's points add up to %s (%s), not the %s points of %s", sum.Trimmed(), parts, ind.Points.Value.Trimmed(), ind.Name.Value)
			}
		}
		if u := ind.UnitPoints; u != nil {
			switch {
			case parent != nil:
				r.At(pos, label, "unit_points applies only to top-level indicators (categories)")
			case !u.Min.Set || !u.Max.Set:
				r.At(pos, label, "unit_points needs min and max")
			case u.Min.Value < 0 || u.Max.Value > hundred || u.Min.Value > u.Max.Value:
				r.AtLine(u.Min.Line, u.Min.Column, label, "unit_points must have 0 ≤ min ≤ max ≤ 100, got %s–%s", u.Min.Value.Trimmed(), u.Max.Value.Trimmed())
			case ind.Points.Set && (ind.Points.Value < u.Min.Value || ind.Points.Value > u.Max.Value):
				r.AtLine(u.Min.Line, u.Min.Column, label, "unit_points %s–%s must include the indicator's own %s points", u.Min.Value.Trimmed(), u.Max.Value.Trimmed(), ind.Points.Value.Trimmed())
			}
		}
		checkCases(r, ind.Cases, label)
		switch ind.IfEmpty.Value {
		case "", Redistribute, Rescale, Zero, Reject:
		default:
			r.At(ind.IfEmpty, label, "if_empty must be %s, %s, %s or %s, got %q", Rescale, Redistribute, Zero, Reject, ind.IfEmpty.Value)
		}
		if (ind.IfEmpty.Value != "" || ind.EmptyFinding != nil) && ind.Leaves == nil && len(ind.Children) == 0 {
			r.At(firstPos(ind.IfEmpty, pos), label, "if_empty and empty_finding apply only to groups and leaves")
		}
		if ef := ind.EmptyFinding; ef != nil {
			fpos := firstPos(ef.Check, ef.Severity, ef.Message, pos)
			if ef.Check.Value == "" {
				r.At(fpos, label, "empty_finding needs a check: the code reported")
			}
			if ef.Message.Value == "" {
				r.At(fpos, label, "empty_finding needs a message")
			}
			switch sev := jixiao.Severity(ef.Severity.Value); {
			case ind.IfEmpty.Value == Reject && ef.Severity.Value == "":
				ef.Severity.Value = string(jixiao.SeverityError)
			case ind.IfEmpty.Value == Reject && sev != jixiao.SeverityError:
				r.At(ef.Severity, label, "if_empty reject refuses the project: its empty_finding severity is error, got %q", ef.Severity.Value)
			case ind.IfEmpty.Value != Reject && sev == jixiao.SeverityError:
				r.At(ef.Severity, label, "an empty_finding of severity error refuses the project: write if_empty: reject")
			default:
				checkSeverity(r, ef.Severity, fpos, label)
			}
		}
		if l := ind.Leaves; l != nil {
			if len(l.Level1) == 0 && l.Level2.Value == "" && blank(l.Where) {
				r.At(pos, label, "leaves needs level1, level2 or where to select the project's indicators")
			}
			if v := l.Direction.Value; v != "" {
				if d, ok := jixiao.ParseDirection(v); !ok || d == jixiao.Qualitative {
					r.At(l.Direction, label, "leaves.direction must be a quantitative direction (%s), got %q", ">=, >, <=, <, =", v)
				} else {
					l.Direction.Value = string(d)
				}
			}
			if l.Rules.Value == "" {
				if len(f.LeafRules) != 1 {
					r.At(pos, label, "leaves needs rules: the name of a leaf_rules table")
				} else {
					l.Rules = f.LeafRules[0].Name
				}
			} else if f.LeafRulesByName(l.Rules.Value) == nil {
				names := make([]string, 0, len(f.LeafRules))
				for _, lr := range f.LeafRules {
					names = append(names, lr.Name.Value)
				}
				if len(names) == 0 {
					r.At(l.Rules, label, "no leaf_rules table named %q: the file has no leaf_rules", l.Rules.Value)
				} else {
					r.At(l.Rules, label, "no leaf_rules table named %q; the tables are %s", l.Rules.Value, strings.Join(names, ", "))
				}
			}
		}
	})
	if total, parts, ok := addPoints(f.Indicators); ok && total != hundred {
		first := f.Indicators[0]
		pos := firstPos(first.Points, first.ID, first.Name)
		r.At(pos, "", "top-level indicators' points add up to %s (%s), not 100", total.Trimmed(), parts)
	}
}

// addPoints adds up the points of a list of indicators and spells the sum
// out. ok is false when one of them has no valid points, which is
// reported on its own.
func addPoints(list []*Indicator) (sum jixiao.Decimal, parts string, ok bool) {
	var b strings.Builder
	for i, ind := range list {
		if ind == nil || !ind.Points.Set || ind.Points.Value <= 0 || ind.Points.Value > hundred {
			return 0, "", false
		}
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString(ind.Points.Value.Trimmed())
		sum += ind.Points.Value
	}
	return sum, b.String(), true
}

// blank reports whether a formula is missing or only spaces.
func blank(t Text) bool { return strings.TrimSpace(t.Value) == "" }

// firstPos returns the first of the values that has a position, for
// messages about a part that is missing.
func firstPos(values ...any) Text {
	for _, v := range values {
		switch x := v.(type) {
		case Text:
			if x.Line > 0 {
				return x
			}
		case Number:
			if x.Line > 0 {
				return Text{Line: x.Line, Column: x.Column}
			}
		}
	}
	return Text{}
}

func checkCases(r *Reporter, cases []Case, label string) {
	for i, c := range cases {
		var fpos Text
		if c.Finding != nil {
			fpos = firstPos(c.Finding.Check, c.Finding.Severity, c.Finding.Message)
		}
		pos := firstPos(c.When, c.Score, c.Reason, fpos)
		if blank(c.Score) {
			r.At(pos, label, "scoring case %d has no score formula", i+1)
		}
		last := i == len(cases)-1
		if last && !blank(c.When) {
			r.At(c.When, label, "the last scoring case must have no when, so that every project gets a score")
		}
		if !last && blank(c.When) {
			r.At(pos, label, "scoring case %d has no when, so the cases after it never apply", i+1)
		}
		if c.Finding != nil {
			checkSeverity(r, c.Finding.Severity, fpos, label)
			if c.Finding.Message.Value == "" {
				r.At(fpos, label, "a finding needs a message")
			}
		}
	}
}

func checkSeverity(r *Reporter, s, near Text, label string) {
	switch jixiao.Severity(s.Value) {
	case jixiao.SeverityError, jixiao.SeverityWarning, jixiao.SeverityInfo:
	case "":
		r.At(firstPos(s, near), label, "missing severity: use error, warning or info")
	default:
		r.At(s, label, "severity must be error, warning or info, got %q", s.Value)
	}
}

func (f *File) checkLeafRules(r *Reporter) {
	seen := map[string]bool{}
	for _, lr := range f.LeafRules {
		name := lr.Name.Value
		if name == "" {
			r.At(firstPos(lr.Name, firstCase(lr.AtLeast, lr.AtMost, lr.Exactly, lr.Qualitative)), "", "a leaf_rules table needs a name")
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

// firstCase returns the position of the first case in the lists.
func firstCase(lists ...[]Case) Text {
	for _, l := range lists {
		for _, c := range l {
			if p := firstPos(c.When, c.Score, c.Reason); p.Line > 0 {
				return p
			}
		}
	}
	return Text{}
}

func (f *File) checkChecks(r *Reporter) {
	// One id may name a project check and a leaf check (a missing
	// deviation reason, for the project's spending and for a leaf).
	type key struct{ id, scope string }
	seen := map[key]bool{}
	for i := range f.Checks {
		c := &f.Checks[i]
		pos := firstPos(c.ID, c.Scope, c.Severity, c.When, c.Message)
		k := key{c.ID.Value, c.Scope.Value}
		if k.scope == "" {
			k.scope = ScopeProject
		}
		if c.ID.Value == "" {
			r.At(pos, "", "a check needs an id")
		} else if seen[k] {
			r.At(c.ID, "", "check %s is defined twice for the %s scope", c.ID.Value, k.scope)
		}
		seen[k] = true
		label := "check " + c.ID.Value
		checkSeverity(r, c.Severity, pos, label)
		switch c.Scope.Value {
		case "":
			c.Scope.Value = ScopeProject
		case ScopeProject, ScopeLeaf:
		default:
			r.At(c.Scope, label, "scope must be project or leaf, got %q", c.Scope.Value)
		}
		if blank(c.When) {
			r.At(pos, label, "a check needs a when condition")
		}
		if c.Message.Value == "" {
			r.At(pos, label, "a check needs a message")
		}
	}
}
