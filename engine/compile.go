// Package engine compiles a rule file's formulas with expr-lang/expr and
// scores projects against it, explaining every point.
package engine

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"jixiao"
	"jixiao/rules"
)

// Version identifies the scoring engine; it is stored with every score so
// that a change in the engine's own arithmetic is visible.
//
// Version 2 decides every condition and rounding on exact values.
const Version = "2"

// MaxNodes bounds the size of one formula.
const MaxNodes = 500

// MaxTextBytes bounds a text a formula builds: joining texts is the one
// way a formula grows memory (derived values can double a text each), so
// a join past it fails the formula instead.
const MaxTextBytes = 64 << 10

// MaxProjectTextBytes bounds the bytes all formulas join into texts for
// one project: many joins of long texts would take time, not memory.
const MaxProjectTextBytes = 4 << 20

var errTextTooLong = fmt.Errorf("a text longer than %d KiB, or %d MiB of joined texts for one project: formulas may not build texts that long",
	MaxTextBytes>>10, MaxProjectTextBytes>>20)

// allowedBuiltins are the expr builtins a rule file may call: numbers and
// text only. List builtins are left out, since no list is in scope, and so
// is anything that reads the clock or the environment.
var allowedBuiltins = []string{
	"abs", "ceil", "floor", "round", "min", "max", "int", "float", "len",
	"trim", "upper", "lower", "hasPrefix", "hasSuffix",
}

// RuleSet is a compiled rule file, safe for concurrent use. Each goroutine
// scores through its own Scorer.
type RuleSet struct {
	file          *rules.File
	ref           jixiao.RuleSetRef
	missing       []missingRule
	derived       []derivedValue
	roots         []*node
	nodeCount     int
	leafGroups    []*node
	projectChecks []*check
	leafChecks    []*check
	executionRate *formula // nil when the file names none
	layout        *layout
	at            knownSlots
}

// File returns the rule file the set was compiled from.
func (rs *RuleSet) File() *rules.File { return rs.file }

// Ref returns the rule set's identity: id, version and content hash.
func (rs *RuleSet) Ref() jixiao.RuleSetRef { return rs.ref }

type missingPolicy int

const (
	missingZero missingPolicy = iota
	missingFail
	missingDefault
)

type missingRule struct {
	field  string
	policy missingPolicy
	def    *formula
}

type derivedValue struct {
	name string
	slot slot
	fm   *formula
}

type node struct {
	idx     int
	id      string
	name    string
	points  jixiao.Decimal
	ifEmpty string
	// empty is reported when the node has nothing to score: the refusal
	// of if_empty reject, a finding otherwise; nil for none.
	empty   *caseFinding
	cases   []*scoringCase
	maxVals int // most placeholders of one of its reasons
	kids    []*node
	sel     *selector
	leafIDs []string // "output.1" …, made once
	// readsRate: the cases read every name the execution_rate formula
	// reads, so the node records the computed rate it used.
	readsRate bool
	// unitSet: the unit may set the points of this top-level node
	// between unitMin and unitMax (unit_points).
	unitSet          bool
	unitMin, unitMax jixiao.Decimal
}

// category returns the top-level node of the given id or name, or nil.
func (rs *RuleSet) category(key string) *node {
	for _, n := range rs.roots {
		if n.id == key || sameText(n.name, key) {
			return n
		}
	}
	return nil
}

type selector struct {
	level1 []string // any of them; none: any level1
	level2 string
	where  *formula
	table  *leafTable
	// direction is that of a selected indicator which gives none; "" for
	// none, and such an indicator is refused.
	direction jixiao.Direction
}

// takesLevel1 reports whether the selector's level1 names take level1.
func (sel *selector) takesLevel1(level1 string) bool {
	if len(sel.level1) == 0 {
		return true
	}
	for _, v := range sel.level1 {
		if sameText(v, level1) {
			return true
		}
	}
	return false
}

type leafTable struct {
	name    string
	byDir   [5][]*scoringCase // by dirIndex
	maxVals int               // most placeholders of one of its reasons
}

// dirIndex numbers the directions for leafTable.byDir.
func dirIndex(d jixiao.Direction) int {
	switch d {
	case jixiao.AtLeast, jixiao.Greater:
		return 1
	case jixiao.AtMost, jixiao.Less:
		return 2
	case jixiao.Exactly:
		return 3
	case jixiao.Qualitative:
		return 4
	}
	return 0
}

type scoringCase struct {
	when    *formula // nil: always
	score   *formula
	reason  *template
	finding *caseFinding
}

type caseFinding struct {
	check    string
	severity jixiao.Severity
	message  *template
}

type check struct {
	id       string
	severity jixiao.Severity
	when     *formula
	message  *template
	// advisory: a warning or info check whose condition cannot fail. It
	// changes no score, so the scores-only scorer skips it.
	advisory bool
}

// Load parses and compiles a rule file. A file that extends another rule
// set finds it among the built-ins, which are read only then.
func Load(path string, data []byte) (*RuleSet, error) {
	return LoadWith(path, data, func(id string) (*rules.File, bool) {
		return rules.ParentsOf(rules.Builtin())(id)
	})
}

// LoadVersion compiles a rule-set version as the store records it.
func LoadVersion(v *jixiao.RuleSetVersion) (*RuleSet, error) {
	rs, err := Load(v.RuleSetID+"@"+jixiao.ShortHash(v.Hash), []byte(v.Body))
	if err != nil {
		return nil, fmt.Errorf("stored rule-set version %s no longer compiles: %w", v.Hash, err)
	}
	return rs, nil
}

// LoadWith parses and compiles a rule file whose parent, if it extends
// one, parents finds.
func LoadWith(path string, data []byte, parents rules.Parents) (*RuleSet, error) {
	f, err := rules.ParseWith(path, data, parents)
	if err != nil {
		return nil, err
	}
	return Compile(f)
}

// Compile compiles every formula of a parsed rule file once, against the
// typed names it may use, so that a typo is an error now and not when a
// project is scored.
func Compile(f *rules.File) (*RuleSet, error) {
	c := &compiler{r: &rules.Reporter{File: f.Path}, layout: newLayout(), body: f.Body}
	rs := &RuleSet{file: f, ref: f.Ref(), layout: c.layout}
	rs.at = newKnownSlots(c.layout)

	c.project = maps.Clone(projectVars)
	rs.derived = c.compileDerived(f.Derived)
	c.buildScopes()
	rs.missing = c.compileMissing(f.Missing)
	rs.executionRate = c.compile(f.ExecutionRate, scopeProject, reflect.Float64, "execution_rate")

	tables := map[string]*leafTable{}
	for i := range f.LeafRules {
		lr := &f.LeafRules[i]
		t := &leafTable{name: lr.Name.Value}
		label := "leaf_rules " + lr.Name.Value
		for _, d := range []jixiao.Direction{jixiao.AtLeast, jixiao.AtMost, jixiao.Exactly, jixiao.Qualitative} {
			if cases := lr.For(d); len(cases) > 0 {
				t.byDir[dirIndex(d)] = c.compileCases(cases, scopeLeafCase, label)
				t.maxVals = max(t.maxVals, maxPlaceholders(t.byDir[dirIndex(d)]))
			}
		}
		tables[t.name] = t
	}

	var rateReads map[string]bool
	if rs.executionRate != nil {
		rateReads = reads(rs.executionRate, rs.derived)
	}

	var build func(list []*rules.Indicator) []*node
	build = func(list []*rules.Indicator) []*node {
		out := make([]*node, 0, len(list))
		for _, ind := range list {
			n := &node{idx: rs.nodeCount, id: ind.ID.Value, name: ind.Name.Value, points: ind.Points.Value, ifEmpty: ind.IfEmpty.Value}
			rs.nodeCount++
			if n.ifEmpty == "" {
				n.ifEmpty = rules.Rescale
			}
			n.empty = c.emptyFinding(ind, n.ifEmpty)
			if u := ind.UnitPoints; u != nil {
				n.unitSet, n.unitMin, n.unitMax = true, u.Min.Value, u.Max.Value
			}
			switch {
			case len(ind.Cases) > 0:
				n.cases = c.compileCases(ind.Cases, scopeCase, n.id)
				n.maxVals = maxPlaceholders(n.cases)
				n.readsRate = readsAll(casesReads(n.cases, rs.derived), rateReads)
			case len(ind.Children) > 0:
				n.kids = build(ind.Children)
			case ind.Leaves != nil:
				n.sel = &selector{level1: ind.Leaves.Level1.Values(), level2: ind.Leaves.Level2.Value, table: tables[ind.Leaves.Rules.Value],
					direction: jixiao.Direction(ind.Leaves.Direction.Value)}
				for j := 0; j < 32; j++ {
					n.leafIDs = append(n.leafIDs, leafID(n.id, j))
				}
				if ind.Leaves.Where.Value != "" {
					n.sel.where = c.compile(ind.Leaves.Where, scopeLeaf, reflect.Bool, n.id)
				}
				rs.leafGroups = append(rs.leafGroups, n)
			}
			out = append(out, n)
		}
		return out
	}
	rs.roots = build(f.Indicators)

	for _, ch := range f.Checks {
		sc := scopeProject
		if ch.Scope.Value == rules.ScopeLeaf {
			sc = scopeLeafCheck
		}
		label := "check " + ch.ID.Value
		k := &check{
			id:       ch.ID.Value,
			severity: jixiao.Severity(ch.Severity.Value),
			when:     c.compile(ch.When, sc, reflect.Bool, label),
			message:  c.template(ch.Message, sc, label),
		}
		k.advisory = k.severity != jixiao.SeverityError && k.when != nil && !mayFail(k.when.node)
		if sc == scopeLeafCheck {
			rs.leafChecks = append(rs.leafChecks, k)
		} else {
			rs.projectChecks = append(rs.projectChecks, k)
		}
	}
	if err := c.r.Err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// emptyFinding compiles what a group reports when it has nothing to
// score. Reject and zero always report: the file's empty_finding, or a
// plain message naming the group.
func (c *compiler) emptyFinding(ind *rules.Indicator, policy string) *caseFinding {
	ef := ind.EmptyFinding
	if ef == nil {
		name := strings.NewReplacer("{", "{{", "}", "}}").Replace(ind.Name.Value)
		switch policy {
		case rules.Reject:
			ef = &rules.Finding{Check: rules.Text{Value: rules.IncompleteTargets}, Severity: rules.Text{Value: string(jixiao.SeverityError)},
				Message: rules.Text{Value: "项目未设置" + name + "，不能评分"}}
		case rules.Zero:
			ef = &rules.Finding{Check: rules.Text{Value: ind.ID.Value + "_missing"}, Severity: rules.Text{Value: string(jixiao.SeverityWarning)},
				Message: rules.Text{Value: "项目未设置" + name + "，该项得 0 分"}}
		default:
			return nil
		}
	}
	return &caseFinding{
		check:    ef.Check.Value,
		severity: jixiao.Severity(ef.Severity.Value),
		message:  c.template(ef.Message, scopeProject, ind.ID.Value),
	}
}

type compiler struct {
	r       *rules.Reporter
	project map[string]any // project names with the derived values
	scopes  map[scope]map[string]any
	layout  *layout
	body    []byte // the file, to locate errors in block formulas
}

func (c *compiler) buildScopes() {
	with := func(parts ...map[string]any) map[string]any {
		m := map[string]any{}
		for _, p := range parts {
			maps.Copy(m, p)
		}
		return m
	}
	c.scopes = map[scope]map[string]any{
		scopeProject:   c.project,
		scopeCase:      with(c.project, scoredVars),
		scopeLeaf:      with(c.project, leafVars),
		scopeLeafCase:  with(c.project, leafVars, scoredVars),
		scopeLeafCheck: with(c.project, leafVars, scoredVars, leafCheckVars),
	}
}

func (c *compiler) options(env map[string]any, kind reflect.Kind) []expr.Option {
	opts := []expr.Option{
		expr.Env(env),
		expr.MaxNodes(MaxNodes),
		// No constant folding: 0.1 + 0.2 must stay a sum of decimals, not
		// become the float64 0.30000000000000004.
		expr.Optimize(false),
		expr.DisableAllBuiltins(),
		expr.Function("round2", func(args ...any) (any, error) {
			return roundFloat(args[0].(float64), 2), nil
		}, new(func(float64) float64)),
		expr.Function("roundTo", func(args ...any) (any, error) {
			return roundFloat(args[0].(float64), args[1].(int)), nil
		}, new(func(float64, int) float64)),
	}
	for _, b := range allowedBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	switch kind {
	case reflect.Bool:
		opts = append(opts, expr.AsBool())
	case reflect.Float64:
		opts = append(opts, expr.AsFloat64())
	}
	return opts
}

// compile compiles one formula; errors are reported at the formula's line.
func (c *compiler) compile(t rules.Text, sc scope, want reflect.Kind, indicator string) *formula {
	if strings.TrimSpace(t.Value) == "" {
		return nil
	}
	prog, err := expr.Compile(t.Value, c.options(c.scopes[sc], want)...)
	if err != nil {
		c.report(t, indicator, err)
		return nil
	}
	fm, ok := c.formula(t, indicator, prog, want)
	if !ok {
		return nil
	}
	return fm
}

// formula translates a compiled program into closures; a construct the
// translation does not cover is an error at the formula.
func (c *compiler) formula(t rules.Text, indicator string, prog *vm.Program, want reflect.Kind) (*formula, bool) {
	fm, err := translate(prog.Node(), c.layout)
	fm.src = t.Value
	if err != nil {
		c.r.At(t, indicator, "formula %q: %v", clip(t.Value), err)
		return nil, false
	}
	if want == reflect.Float64 && fm.kind != kindNum || want == reflect.Bool && fm.kind != kindBool || want == reflect.String && fm.kind != kindText {
		c.r.At(t, indicator, "formula %q must give %s", t.Value, kindLabel(want))
		return nil, false
	}
	return &fm, true
}

func kindLabel(k reflect.Kind) string {
	switch k {
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	}
	return "a number, text or true/false"
}

func (c *compiler) report(t rules.Text, indicator string, err error) {
	var fe *file.Error
	msg := err.Error()
	line, col := t.Line, t.Column
	if errors.As(err, &fe) {
		msg = fe.Message
		switch {
		case t.Block: // the formula starts on the line after the | or >
			line = t.Line + fe.Line
			col = c.indent(line) + fe.Column + 1
		case fe.Line <= 1:
			col = t.Column + fe.Column
			if t.Quoted {
				col++
			}
		default:
			line, col = t.Line+fe.Line-1, 0
		}
	}
	if strings.Contains(msg, "maximum allowed nodes") {
		// The limit is hit somewhere inside; the whole formula is too long.
		line, col = t.Line, t.Column
		msg = fmt.Sprintf("the formula is too long (more than %d parts); split it into derived values", MaxNodes)
	}
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		if isBuiltin(name) {
			msg = fmt.Sprintf("the function %s is not available in rule files", name)
		} else {
			msg = "unknown name: " + name
		}
	}
	c.r.AtLine(line, col, indicator, "formula %q: %s", clip(t.Value), msg)
}

// indent counts the leading spaces of a line of the file.
func (c *compiler) indent(line int) int {
	lines := strings.SplitN(string(c.body), "\n", line+1)
	if line < 1 || line > len(lines) {
		return 0
	}
	text := lines[line-1]
	return len(text) - len(strings.TrimLeft(text, " "))
}

func isBuiltin(name string) bool {
	for _, b := range builtin.Builtins {
		if b.Name == name {
			return true
		}
	}
	return false
}

// clip shortens a formula quoted in a message.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 60 {
		return string(r[:57]) + "…"
	}
	return s
}

// reads returns the names a formula reads, and through the derived values
// among them the names those read, and so on.
func reads(fm *formula, derived []derivedValue) map[string]bool {
	out := map[string]bool{}
	var add func(fm *formula)
	add = func(fm *formula) {
		if fm == nil || fm.node == nil {
			return
		}
		for name := range identifiers(fm.node) {
			if out[name] {
				continue
			}
			out[name] = true
			for _, d := range derived {
				if d.name == name {
					add(d.fm)
				}
			}
		}
	}
	add(fm)
	return out
}

// casesReads is reads over every condition and score of the cases.
func casesReads(cases []*scoringCase, derived []derivedValue) map[string]bool {
	out := map[string]bool{}
	for _, sc := range cases {
		maps.Copy(out, reads(sc.when, derived))
		maps.Copy(out, reads(sc.score, derived))
	}
	return out
}

// readsAll reports whether have holds every name of want, and want is not
// empty.
func readsAll(have, want map[string]bool) bool {
	if len(want) == 0 {
		return false
	}
	for name := range want {
		if !have[name] {
			return false
		}
	}
	return true
}

func identifiers(n ast.Node) map[string]bool {
	v := &identVisitor{names: map[string]bool{}}
	ast.Walk(&n, v)
	return v.names
}

type identVisitor struct{ names map[string]bool }

func (v *identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.names[id.Value] = true
	}
}

// compileDerived orders the derived values by their dependencies, rejects
// cycles, and compiles each with the types of the ones before it.
func (c *compiler) compileDerived(list rules.NamedList) []derivedValue {
	byName := map[string]rules.Named{}
	deps := map[string][]string{}
	for _, d := range list {
		if _, clash := projectVars[d.Name.Value]; clash {
			c.r.At(d.Name, "", "derived value %s has the name of a project field", d.Name.Value)
			continue
		}
		if _, clash := leafVars[d.Name.Value]; clash || d.Name.Value == "W" || d.Name.Value == "score" {
			c.r.At(d.Name, "", "derived value %s has a reserved name", d.Name.Value)
			continue
		}
		byName[d.Name.Value] = d
	}
	for name, d := range byName {
		tree, err := parser.Parse(d.Value.Value)
		if err != nil {
			c.report(d.Value, "derived "+name, err)
			delete(byName, name)
			continue
		}
		for id := range identifiers(tree.Node) {
			if _, ok := byName[id]; ok || containsName(list, id) {
				deps[name] = append(deps[name], id)
			}
		}
		sort.Strings(deps[name])
	}

	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) bool
	visit = func(name string, path []string) bool {
		switch state[name] {
		case 1:
			cycle := append(path[indexOf(path, name):], name)
			d := byName[cycle[0]]
			c.r.At(d.Name, "derived "+cycle[0], "derived values form a cycle: %s", strings.Join(cycle, " → "))
			return false
		case 2:
			return true
		}
		if _, ok := byName[name]; !ok {
			return true
		}
		state[name] = 1
		ok := true
		for _, dep := range deps[name] {
			if !visit(dep, append(path, name)) {
				ok = false
				break
			}
		}
		state[name] = 2
		if ok {
			order = append(order, name)
		}
		return ok
	}
	for _, d := range list { // file order for stable messages
		if state[d.Name.Value] == 0 {
			visit(d.Name.Value, nil)
		}
	}

	// Values caught in a cycle are still names, so that the formulas
	// using them do not each report them unknown.
	for name := range byName {
		if !contains(order, name) {
			c.project[name] = 0.0
			c.layout.add(name, 0.0)
		}
	}
	var out []derivedValue
	c.buildScopes()
	for _, name := range order {
		d := byName[name]
		label := "derived " + name
		c.project[name] = 0.0 // so that a broken formula does not also break its users
		prog, err := expr.Compile(d.Value.Value, c.options(c.project, reflect.Invalid)...)
		if err == nil && isInterface(prog.Node().Type()) {
			// Mixed branches such as "x > 0 ? round2(y) : 0" are numbers.
			prog, err = expr.Compile(d.Value.Value, c.options(c.project, reflect.Float64)...)
		}
		if err != nil {
			c.report(d.Value, label, err)
			continue
		}
		fm, ok := c.formula(d.Value, label, prog, reflect.Invalid)
		if !ok {
			continue
		}
		var sample any = 0.0
		switch {
		case fm.kind == kindBool:
			sample = false
		case fm.kind == kindText:
			sample = ""
		case fm.isInt:
			sample = 0
		}
		c.project[name] = sample
		out = append(out, derivedValue{name: name, slot: c.layout.add(name, sample), fm: fm})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isInterface(t reflect.Type) bool { return t == nil || t.Kind() == reflect.Interface }

func containsName(list rules.NamedList, name string) bool {
	for _, d := range list {
		if d.Name.Value == name {
			return true
		}
	}
	return false
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return 0
}

func (c *compiler) compileMissing(list rules.NamedList) []missingRule {
	var out []missingRule
	seen := map[string]bool{}
	for _, m := range list {
		field := m.Name.Value
		sample, ok := optionalFields[field]
		if !ok {
			names := make([]string, 0, len(optionalFields))
			for k := range optionalFields {
				names = append(names, k)
			}
			sort.Strings(names)
			c.r.At(m.Name, "", "missing-data policy for unknown field %q; optional fields are %s", field, strings.Join(names, ", "))
			continue
		}
		if seen[field] {
			c.r.At(m.Name, "", "missing-data policy for %s is given twice", field)
			continue
		}
		seen[field] = true
		rule := missingRule{field: field}
		switch m.Value.Value {
		case "fail":
			rule.policy = missingFail
		case "zero":
			rule.policy = missingZero
		default:
			rule.policy = missingDefault
			kind := reflect.Float64
			if _, isText := sample.(string); isText {
				kind = reflect.String
			}
			sc := scopeProject
			if field == "actual" {
				sc = scopeLeaf
			}
			rule.def = c.compile(m.Value, sc, kind, "missing "+field)
		}
		out = append(out, rule)
	}
	return out
}

// maxPlaceholders is the most placeholder values a reason of the cases
// records.
func maxPlaceholders(cases []*scoringCase) int {
	most := 0
	for _, c := range cases {
		if c == nil || c.reason == nil {
			continue
		}
		n := 0
		for _, p := range c.reason.parts {
			if p.fm != nil {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func (c *compiler) compileCases(cases []rules.Case, sc scope, indicator string) []*scoringCase {
	out := make([]*scoringCase, 0, len(cases))
	for _, rc := range cases {
		k := &scoringCase{
			score:  c.compile(rc.Score, sc, reflect.Float64, indicator),
			reason: c.template(rc.Reason, sc, indicator),
		}
		if rc.When.Value != "" {
			k.when = c.compile(rc.When, sc, reflect.Bool, indicator)
		}
		if rc.Finding != nil {
			k.finding = &caseFinding{
				check:    rc.Finding.Check.Value,
				severity: jixiao.Severity(rc.Finding.Severity.Value),
				message:  c.template(rc.Finding.Message, sc, indicator),
			}
			if k.finding.check == "" {
				k.finding.check = indicator
			}
		}
		out = append(out, k)
	}
	return out
}

func (c *compiler) String() string { return fmt.Sprintf("compiler(%s)", c.r.File) }
