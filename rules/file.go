// Package rules reads the YAML rule files in which a finance bureau writes
// its indicator system, scoring formulas, grade bands and data-quality
// checks. It decodes strictly and checks the file's structure; the engine
// package compiles the formulas.
package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"jixiao"
)

// File is one decoded rule file. Every scalar that an error may point at
// keeps its line and column.
type File struct {
	Path string `yaml:"-"` // as given to the loader, for messages
	Hash string `yaml:"-"` // sha256 of Body, hex
	Body []byte `yaml:"-"`

	ID Text `yaml:"id"`
	// Extends is the id of the rule set this file states differences to;
	// the File holds the effective rules.
	Extends     Text        `yaml:"extends"`
	Version     Text        `yaml:"version"`
	Name        Text        `yaml:"name"`
	Description string      `yaml:"description"`
	Years       Years       `yaml:"years"`
	Grades      []GradeBand `yaml:"grades"`
	Missing     NamedList   `yaml:"missing"`
	Derived     NamedList   `yaml:"derived"`
	Unassigned  Text        `yaml:"unassigned"`
	// ExecutionRate is the formula of the computed 预算执行率 in percent,
	// recorded with every result so that front ends show it, not compute it.
	ExecutionRate Text `yaml:"execution_rate"`
	// MinApplicable is the fewest points that must apply to a project
	// once empty groups are dealt with; below it the project is refused.
	MinApplicable Number       `yaml:"min_applicable"`
	Indicators    []*Indicator `yaml:"indicators"`
	LeafRules     []LeafRules  `yaml:"leaf_rules"`
	Checks        []Check      `yaml:"checks"`
	Tests         []Test       `yaml:"tests"`
}

// Years are the fiscal years a rule set applies to, both ends inclusive;
// a zero To means open-ended.
type Years struct {
	From Number `yaml:"from"`
	To   Number `yaml:"to"`
}

// Covers reports whether the rule set applies to year.
func (y Years) Covers(year int) bool {
	from, to := int(y.From.Value/100), int(y.To.Value/100)
	return year >= from && (to == 0 || year <= to)
}

// GradeBand is a half-open interval [From, To) on the total rounded to two
// places; the band that ends at 100 includes 100.
type GradeBand struct {
	Grade Text   `yaml:"grade"`
	From  Number `yaml:"from"`
	To    Number `yaml:"to"`
}

// Indicator is a node of the indicator tree. Exactly one of Cases (a fixed
// indicator scored from project fields), Children (a group) or Leaves (the
// project's own indicators) is set.
type Indicator struct {
	ID      Text   `yaml:"id"`
	Name    Text   `yaml:"name"`
	Points  Number `yaml:"points"`
	IfEmpty Text   `yaml:"if_empty"`
	// EmptyFinding is what is reported when the group has nothing to
	// score: the refusal of if_empty reject, the finding of the others.
	EmptyFinding *Finding     `yaml:"empty_finding"`
	Cases        []Case       `yaml:"cases"`
	Children     []*Indicator `yaml:"children"`
	Leaves       *LeafSelect  `yaml:"leaves"`
	// UnitPoints, on a top-level indicator, lets the unit set the
	// category's points (the project's category_points) within bounds.
	UnitPoints *PointsRange `yaml:"unit_points"`
	// Remove, in a file that extends another, removes the parent's
	// indicator of this id.
	Remove bool `yaml:"remove"`
}

// PointsRange bounds the points a unit may give a category, both ends
// inclusive.
type PointsRange struct {
	Min Number `yaml:"min"`
	Max Number `yaml:"max"`
}

// Empty-group policies.
const (
	Redistribute = "redistribute" // the points go to non-empty siblings in proportion
	Rescale      = "rescale"      // the points drop out; the total is rescaled to 100
	Zero         = "zero"         // the group keeps its points and scores 0, with a finding
	Reject       = "reject"       // the project is refused
)

// Defaults of the empty-group reports, when the file gives none.
const (
	IncompleteTargets = "incomplete_targets" // the code of an if_empty reject refusal
	MinApplicableCode = "min_applicable"     // the code of a min_applicable refusal
)

// Unassigned-indicator policies.
const (
	UnassignedReject = "reject"
	UnassignedIgnore = "ignore"
)

// LeafSelect draws leaves from the project's own indicators.
type LeafSelect struct {
	Level1 Names `yaml:"level1"` // one 一级指标 or a list
	Level2 Text  `yaml:"level2"`
	Where  Text  `yaml:"where"` // an expression over the indicator's fields
	Rules  Text  `yaml:"rules"` // name of a leaf_rules table
	// Direction is the direction of a selected indicator that gives none
	// (a 成本指标 may leave it out: less is better).
	Direction Text `yaml:"direction"`
}

// Case is one row of a scoring table: the first case whose When holds
// gives the score. The last case has no When.
type Case struct {
	When    Text     `yaml:"when"`
	Score   Text     `yaml:"score"`
	Reason  Text     `yaml:"reason"`
	Finding *Finding `yaml:"finding"`
}

// Finding is a data-quality note that a case adds when it applies.
type Finding struct {
	Check    Text `yaml:"check"`
	Severity Text `yaml:"severity"`
	Message  Text `yaml:"message"`
}

// LeafRules is a named table of cases per indicator direction.
type LeafRules struct {
	Name        Text   `yaml:"name"`
	AtLeast     []Case `yaml:">="`
	AtMost      []Case `yaml:"<="`
	Exactly     []Case `yaml:"="`
	Qualitative []Case `yaml:"qualitative"`
	Remove      bool   `yaml:"remove"` // in a file that extends another
}

// For returns the cases for a direction.
func (l *LeafRules) For(d jixiao.Direction) []Case {
	switch d {
	case jixiao.AtLeast:
		return l.AtLeast
	case jixiao.AtMost:
		return l.AtMost
	case jixiao.Exactly:
		return l.Exactly
	case jixiao.Qualitative:
		return l.Qualitative
	}
	return nil
}

// Check scopes.
const (
	ScopeProject = "project"
	ScopeLeaf    = "leaf"
)

// Check is a data-quality rule: when When holds, a finding of Severity
// is reported; severity error rejects the project.
type Check struct {
	ID       Text `yaml:"id"`
	Scope    Text `yaml:"scope"`
	Severity Text `yaml:"severity"`
	When     Text `yaml:"when"`
	Message  Text `yaml:"message"`
	Remove   bool `yaml:"remove"` // in a file that extends another
}

// Test is an example project with the result the rule set must give.
type Test struct {
	Name    Text      `yaml:"name"`
	Project yaml.Node `yaml:"project"`
	Expect  Expect    `yaml:"expect"`
}

// Expect is what an embedded test asserts. Scores are keyed by indicator id.
type Expect struct {
	Total    *Number           `yaml:"total"`
	Grade    Text              `yaml:"grade"`
	Scores   map[string]Number `yaml:"scores"`
	Findings []Text            `yaml:"findings"` // check ids that must be reported
	Rejected bool              `yaml:"rejected"`
	Error    Text              `yaml:"error"` // text a rejection must contain
}

// Text is a string scalar with its position in the file.
type Text struct {
	Value  string
	Line   int
	Column int
	Quoted bool
	Block  bool // a | or > scalar: the text starts on the next line
}

// UnmarshalYAML keeps the scalar's position.
func (t *Text) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "expected a single value, got %s", kindName(n))
	}
	t.Value, t.Line, t.Column = n.Value, n.Line, n.Column
	t.Quoted = n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	t.Block = n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if n.Tag == "!!null" {
		t.Value = ""
	}
	return nil
}

// IsZero lets empty values be left out.
func (t Text) IsZero() bool { return t.Value == "" }

// Names is one name or a list of them: `level1: 产出指标` or
// `level1: [产出指标, 成本指标]`.
type Names []Text

// UnmarshalYAML reads a single name or a list of names.
func (ns *Names) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return typeError(n, "expected a name or a list of names, got %s", kindName(n))
	}
	out := make(Names, 0, len(items))
	for _, item := range items {
		var t Text
		if err := t.UnmarshalYAML(item); err != nil {
			return err
		}
		if t.Value != "" {
			out = append(out, t)
		}
	}
	*ns = out
	return nil
}

// Values returns the names.
func (ns Names) Values() []string {
	out := make([]string, len(ns))
	for i, t := range ns {
		out[i] = t.Value
	}
	return out
}

// String joins the names with 、.
func (ns Names) String() string { return strings.Join(ns.Values(), "、") }

// Number is an exact two-place number with its position in the file.
type Number struct {
	Value  jixiao.Decimal
	Set    bool
	Line   int
	Column int
}

// UnmarshalYAML parses the number exactly.
func (x *Number) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "expected a number, got %s", kindName(n))
	}
	x.Line, x.Column = n.Line, n.Column
	v, err := jixiao.ParseDecimal(n.Value)
	if err != nil {
		return typeError(n, "expected a number with at most 2 decimals, got %q", n.Value)
	}
	x.Value, x.Set = v, true
	return nil
}

// Named is one entry of an ordered name → value mapping.
type Named struct {
	Name  Text
	Value Text
}

// NamedList is a YAML mapping whose order and positions are kept.
type NamedList []Named

// UnmarshalYAML reads a mapping of scalars.
func (l *NamedList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeError(n, "expected a mapping of name: value, got %s", kindName(n))
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		var e Named
		if err := e.Name.UnmarshalYAML(n.Content[i]); err != nil {
			errs = append(errs, typeErrors(err)...)
			continue
		}
		if err := e.Value.UnmarshalYAML(n.Content[i+1]); err != nil {
			errs = append(errs, typeErrors(err)...)
			continue
		}
		*l = append(*l, e)
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// resolveAlias follows an alias (*name) to the value it stands for. The
// decoder does this itself before calling an UnmarshalYAML method, but not
// for the nodes a method reads on its own.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func typeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: ", n.Line, n.Column) + fmt.Sprintf(format, args...)}}
}

func typeErrors(err error) []string {
	if te, ok := err.(*yaml.TypeError); ok {
		return te.Errors
	}
	return []string{err.Error()}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias (*" + n.Value + ")"
	}
	return "nothing"
}

// Walk calls fn for every indicator in depth-first order with its parent.
func (f *File) Walk(fn func(ind, parent *Indicator)) {
	var walk func(list []*Indicator, parent *Indicator)
	walk = func(list []*Indicator, parent *Indicator) {
		for _, ind := range list {
			if ind == nil {
				continue // an empty list entry, reported by Parse
			}
			fn(ind, parent)
			walk(ind.Children, ind)
		}
	}
	walk(f.Indicators, nil)
}

// LeafRulesByName returns the named leaf-rule table, or nil.
func (f *File) LeafRulesByName(name string) *LeafRules {
	for i := range f.LeafRules {
		if f.LeafRules[i].Name.Value == name {
			return &f.LeafRules[i]
		}
	}
	return nil
}

// Ref is the identity of the rule file.
func (f *File) Ref() jixiao.RuleSetRef {
	return jixiao.RuleSetRef{ID: f.ID.Value, Version: f.Version.Value, Hash: f.Hash}
}

// Label is "id version" for messages.
func (f *File) Label() string {
	return strings.TrimSpace(f.ID.Value + " " + f.Version.Value)
}
