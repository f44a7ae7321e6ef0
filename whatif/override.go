// Package whatif simulates how scores and grades would move if projects'
// figures or the rule set changed. It works on copies: the official
// results and the projects given to it are never touched, and nothing is
// stored.
package whatif

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"jixiao"
)

// The fields an override may change.
const (
	FieldBudgetInitial   = "budget_initial"
	FieldBudgetAdjusted  = "budget_adjusted"
	FieldFundsArrived    = "funds_arrived"
	FieldSpent           = "spent"
	FieldBalance         = "balance"
	FieldExecutionRate   = "execution_rate"
	FieldCompliance      = "compliance"
	FieldIndicatorActual = "indicator.actual"
	FieldIndicatorTarget = "indicator.target"
)

// Fields lists the fields an override may change, in the order of the
// project form.
var Fields = []string{
	FieldBudgetInitial, FieldBudgetAdjusted, FieldFundsArrived, FieldSpent,
	FieldBalance, FieldExecutionRate, FieldCompliance,
	FieldIndicatorActual, FieldIndicatorTarget,
}

// MaxExprNodes bounds the size of an override's expression.
const MaxExprNodes = 200

// exprBuiltins are the only functions an override's expression may call.
var exprBuiltins = []string{"abs", "min", "max", "round", "ceil", "floor"}

// moneyFields are the project's numeric fields, as expressions see them.
var moneyFields = []string{
	FieldBudgetInitial, FieldBudgetAdjusted, FieldFundsArrived, FieldSpent,
	FieldBalance, FieldExecutionRate,
}

// Override changes one field of the selected projects. Exactly one of
// Set, Percent and Expr is given.
//
// Overrides apply in order, each to the result of the ones before it, so
// that an expression reads the values as already changed.
//
// A field that a project leaves empty (an optional amount, an actual
// value) is filled in by Set and by Expr, where it reads as 0 and
// has_value is false; Percent leaves it empty, there being nothing to
// take a percentage of. Amounts (the money fields and execution_rate)
// are rounded half-up to two places and indicator values to six, exactly
// for Percent (the float64 result of an Expr is rounded as it is). Nothing stops a result from being negative: the
// rule set's checks then reject the project, which the comparison shows.
type Override struct {
	// Which projects: all conditions must hold; empty ones hold for all.
	Department string   `json:"department,omitempty"`
	Year       int      `json:"year,omitempty"`
	ProjectIDs []string `json:"project_ids,omitempty"`

	// Field is one of Fields. For indicator.actual and indicator.target,
	// Indicator names the indicator (三级指标); empty means every
	// quantitative indicator of the project.
	Field     string `json:"field"`
	Indicator string `json:"indicator,omitempty"`

	// Set gives the new value: a number, or for compliance (which takes
	// only set) one of the ratings 达成, 部分达成, 未达成, in JSON a string.
	Set *json.Number `json:"set,omitempty"`
	// Percent changes the value by a percentage: -15 means × 0.85.
	Percent *float64 `json:"percent,omitempty"`
	// Expr computes the new value with an expr-lang expression over the
	// project's numeric fields (budget_initial, budget_adjusted,
	// funds_arrived, spent, balance, execution_rate; empty ones read as 0),
	// value (the field's current value) and has_value; for indicator fields
	// also target and actual. It may call abs, min, max, round, ceil and
	// floor. Example: "min(spent * 1.1, budget_adjusted)".
	Expr string `json:"expr,omitempty"`
}

// overrideFields are the JSON names of Override's fields.
var overrideFields = map[string]bool{
	"department": true, "year": true, "project_ids": true, "field": true,
	"indicator": true, "set": true, "percent": true, "expr": true,
}

// UnmarshalJSON reads an override strictly: unknown or repeated names are
// errors, as in the project format. Unlike json.Number alone, set may be
// a JSON string, which compliance needs for its rating.
func (o *Override) UnmarshalJSON(b []byte) error {
	if err := checkNames(b); err != nil {
		return err
	}
	type plain Override
	var raw struct {
		plain
		Set json.RawMessage `json:"set"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	*o = Override(raw.plain)
	o.Set = nil
	switch s := bytes.TrimSpace(raw.Set); {
	case len(s) == 0 || string(s) == "null":
	case s[0] == '"':
		var str string
		if err := json.Unmarshal(s, &str); err != nil {
			return fmt.Errorf("set: %v", err)
		}
		n := json.Number(str)
		o.Set = &n
	case s[0] == '-' || (s[0] >= '0' && s[0] <= '9'):
		n := json.Number(s)
		o.Set = &n
	default:
		return fmt.Errorf("set: must be a number or a rating, got %s", s)
	}
	return nil
}

// MarshalJSON writes set as a JSON number when it is one and as a string
// otherwise (a rating), so that an override survives a round trip.
func (o Override) MarshalJSON() ([]byte, error) {
	type plain Override
	var raw struct {
		plain
		Set any `json:"set,omitempty"`
	}
	raw.plain = plain(o)
	raw.plain.Set = nil
	if o.Set != nil {
		if _, err := json.Marshal(*o.Set); err == nil {
			raw.Set = *o.Set
		} else {
			raw.Set = string(*o.Set)
		}
	}
	return json.Marshal(raw)
}

// checkNames rejects member names that are not exactly those of Override,
// and names given twice; encoding/json alone matches names regardless of
// case and lets a repeated name replace the earlier value.
func checkNames(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil // not an object: the decoder says so
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := t.(string)
		if !overrideFields[name] {
			return fmt.Errorf("调整项中有未知字段 %q", name)
		}
		if seen[name] {
			return fmt.Errorf("调整项中字段 %q 重复", name)
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil && err != io.EOF {
			return nil
		}
	}
	return nil
}

// action is the kind of change an override makes.
type action int

const (
	actSet action = iota
	actPercent
	actExpr
)

// compiled is one checked override, ready to apply.
type compiled struct {
	idx       int
	o         *Override
	act       action
	indicator bool           // indicator.actual or indicator.target
	money     jixiao.Decimal // Set, for the money fields and execution_rate
	rating    jixiao.Rating  // Set, for compliance
	number    float64        // Set, for indicator fields
	factor    float64        // Percent: 1 + p/100
	pct       float64        // Percent as given
	// Percent as an exact fraction (100 + pct)/100 = ±fnum/fden, when both
	// fit in 64 bits: money then scales without big numbers.
	fnum, fden uint64
	fneg       bool
	fsmall     bool
	prog       *vm.Program
	ids        map[string]bool
}

func overrideError(i int, o *Override, part, format string, args ...any) *jixiao.Error {
	field := o.Field
	if field == "" {
		field = "no field"
	}
	msg := fmt.Sprintf(format, args...)
	e := jixiao.Errorf(jixiao.EINVALID, "overrides[%d] (%s): %s", i, field, msg)
	e.Details = []jixiao.FieldError{{Field: fmt.Sprintf("overrides[%d].%s", i, part), Message: msg}}
	return e
}

// compileOverride checks o and compiles its expression.
func compileOverride(i int, o *Override) (*compiled, error) {
	c := &compiled{idx: i, o: o}
	known := false
	for _, f := range Fields {
		if f == o.Field {
			known = true
		}
	}
	if !known {
		if o.Field == "" {
			return nil, overrideError(i, o, "field", "missing field: name the field to change, one of %s", strings.Join(Fields, ", "))
		}
		return nil, overrideError(i, o, "field", "unknown field %q: the fields are %s", o.Field, strings.Join(Fields, ", "))
	}
	c.indicator = o.Field == FieldIndicatorActual || o.Field == FieldIndicatorTarget
	if o.Indicator != "" && !c.indicator {
		return nil, overrideError(i, o, "indicator", "indicator %q is only for indicator.actual and indicator.target", o.Indicator)
	}
	var given []string
	if o.Set != nil {
		given = append(given, "set")
	}
	if o.Percent != nil {
		given = append(given, "percent")
	}
	if o.Expr != "" {
		given = append(given, "expr")
	}
	switch len(given) {
	case 0:
		return nil, overrideError(i, o, "set", "give one of set, percent or expr")
	case 1:
	default:
		return nil, overrideError(i, o, given[1], "give only one of set, percent or expr, not %s", strings.Join(given, " and "))
	}
	for _, id := range o.ProjectIDs {
		if c.ids == nil {
			c.ids = make(map[string]bool, len(o.ProjectIDs))
		}
		c.ids[id] = true
	}

	switch {
	case o.Set != nil:
		c.act = actSet
		s := strings.TrimSpace(string(*o.Set))
		switch {
		case o.Field == FieldCompliance:
			c.rating = jixiao.Rating(s)
			if !c.rating.Valid() {
				return nil, overrideError(i, o, "set", "compliance must be one of 达成, 部分达成, 未达成, got %q", s)
			}
		case c.indicator:
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, overrideError(i, o, "set", "must be a finite number, got %q", s)
			}
			c.number = v
		default:
			v, err := jixiao.ParseDecimal(s)
			if err != nil {
				return nil, overrideError(i, o, "set", "%q: %v", s, err)
			}
			c.money = v
		}
	case o.Percent != nil:
		c.act = actPercent
		p := *o.Percent
		if o.Field == FieldCompliance {
			return nil, overrideError(i, o, "percent", "compliance is a rating: use set with 达成, 部分达成 or 未达成")
		}
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return nil, overrideError(i, o, "percent", "must be a finite number")
		}
		c.pct = p
		c.factor = (100 + p) / 100
		c.fnum, c.fden, c.fneg, c.fsmall = exactFactor(p)
	default:
		c.act = actExpr
		if o.Field == FieldCompliance {
			return nil, overrideError(i, o, "expr", "compliance is a rating: use set with 达成, 部分达成 or 未达成")
		}
		prog, err := compileExpr(o.Expr, c.indicator)
		if err != nil {
			return nil, overrideError(i, o, "expr", "expr %q: %s", clip(o.Expr), err)
		}
		c.prog = prog
	}
	return c, nil
}

// exprEnv returns the names an override's expression may read, with
// their types.
func exprEnv(indicator bool) map[string]any {
	env := map[string]any{"value": 0.0, "has_value": false}
	for _, f := range moneyFields {
		env[f] = 0.0
	}
	if indicator {
		env["target"] = 0.0
		env["actual"] = 0.0
	}
	return env
}

// compileExpr compiles an override's expression to give a number, with
// only a few arithmetic functions and no lists, maps, strings or member
// access.
func compileExpr(src string, indicator bool) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s", exprMessage(err))
	}
	v := &shapeCheck{}
	ast.Walk(&tree.Node, v)
	if v.bad != "" {
		return nil, fmt.Errorf("%s are not allowed; use numbers, the field names, arithmetic, comparisons, ?: and %s", v.bad, strings.Join(exprBuiltins, ", "))
	}
	opts := []expr.Option{
		expr.Env(exprEnv(indicator)),
		expr.AsFloat64(),
		expr.MaxNodes(MaxExprNodes),
		expr.DisableAllBuiltins(),
	}
	for _, b := range exprBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s", exprMessage(err))
	}
	return prog, nil
}

// exprMessage is the first line of an expr error, with its position.
func exprMessage(err error) string {
	var fe *file.Error
	if e, ok := err.(*file.Error); ok {
		fe = e
	}
	if fe != nil {
		return fmt.Sprintf("%s (column %d)", fe.Message, fe.Column+1)
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// shapeCheck finds syntax an override's expression has no use for and
// that could build large values: ranges, lists, maps, strings, member
// access, closures and variables.
type shapeCheck struct{ bad string }

func (s *shapeCheck) Visit(n *ast.Node) {
	if s.bad != "" {
		return
	}
	switch x := (*n).(type) {
	case *ast.IdentifierNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode,
		*ast.UnaryNode, *ast.ConditionalNode, *ast.CallNode, *ast.BuiltinNode:
	case *ast.BinaryNode:
		switch x.Operator {
		case "..", "in", "not in", "contains", "startsWith", "endsWith", "matches", "??", "|":
			s.bad = fmt.Sprintf("the operator %q and its kind", x.Operator)
		}
	case *ast.StringNode, *ast.BytesNode:
		s.bad = "strings"
	case *ast.ArrayNode, *ast.MapNode, *ast.PairNode:
		s.bad = "lists and maps"
	case *ast.MemberNode, *ast.SliceNode, *ast.ChainNode:
		s.bad = "member access and slices"
	case *ast.PredicateNode, *ast.PointerNode:
		s.bad = "closures"
	case *ast.VariableDeclaratorNode, *ast.SequenceNode:
		s.bad = "variables and sequences"
	case *ast.NilNode:
		s.bad = "nil values"
	default:
		s.bad = fmt.Sprintf("expressions of kind %T", x)
	}
}

// selects reports whether the override applies to p.
func (c *compiled) selects(p *jixiao.Project) bool {
	o := c.o
	if o.Department != "" && p.Department != o.Department {
		return false
	}
	if o.Year != 0 && p.Year != o.Year {
		return false
	}
	if c.ids != nil && !c.ids[p.ID] {
		return false
	}
	return true
}

// Apply returns copies of projects with the overrides applied. The input
// is never changed: a project that an override touches is copied, with
// new values behind its pointer fields and a new indicator list, and the
// others are shared as they are.
//
// An override that selects no project, names a project id that is not
// among projects, or names an indicator that no selected project has is
// an error: it would otherwise silently change nothing.
func Apply(projects []jixiao.Project, overrides []Override) ([]jixiao.Project, error) {
	set, err := compileOverrides(overrides)
	if err != nil {
		return nil, err
	}
	for i := range projects {
		set.see(&projects[i])
	}
	if err := set.checkIDs(); err != nil {
		return nil, err
	}
	out := make([]jixiao.Project, len(projects))
	copy(out, projects)
	ownIndicators := make([]bool, len(projects)) // out[i].Indicators is a copy
	for k := range set.list {
		for i := range out {
			if err := set.applyOne(k, &out[i], &ownIndicators[i]); err != nil {
				return nil, err
			}
		}
		if err := set.checkCounts(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// overrideSet applies compiled overrides to projects that may come in
// several chunks, counting what each override selected and changed so
// that an override that changed nothing is reported once all projects
// have been seen.
type overrideSet struct {
	list     []*compiled
	selected []int
	touched  []int
	present  map[string]bool // the project ids the overrides name, once seen
	a        applier
}

func compileOverrides(overrides []Override) (*overrideSet, error) {
	s := &overrideSet{
		list:     make([]*compiled, len(overrides)),
		selected: make([]int, len(overrides)),
		touched:  make([]int, len(overrides)),
		present:  map[string]bool{},
		a:        applier{env: map[string]any{}},
	}
	for i := range overrides {
		c, err := compileOverride(i, &overrides[i])
		if err != nil {
			return nil, err
		}
		s.list[i] = c
		for _, id := range overrides[i].ProjectIDs {
			s.present[id] = false
		}
	}
	return s, nil
}

// see records p's id when an override names it.
func (s *overrideSet) see(p *jixiao.Project) {
	if seen, named := s.present[p.ID]; named && !seen {
		s.present[p.ID] = true
	}
}

// checkIDs reports an override naming a project id not seen.
func (s *overrideSet) checkIDs() error {
	for _, c := range s.list {
		for _, id := range c.o.ProjectIDs {
			if !s.present[id] {
				return overrideError(c.idx, c.o, "project_ids", "no project has id %q", id)
			}
		}
	}
	return nil
}

// checkCounts reports override k when it selected no project, or named
// an indicator that no selected project has.
func (s *overrideSet) checkCounts(k int) error {
	c := s.list[k]
	switch {
	case s.selected[k] == 0:
		return overrideError(c.idx, c.o, "field", "selects no project (%s)", c.describeFilter())
	case s.touched[k] == 0 && c.o.Indicator != "":
		return overrideError(c.idx, c.o, "indicator", "no selected project has a quantitative indicator named %q", c.o.Indicator)
	}
	return nil
}

// check is every check that needs all projects seen.
func (s *overrideSet) check() error {
	if err := s.checkIDs(); err != nil {
		return err
	}
	for k := range s.list {
		if err := s.checkCounts(k); err != nil {
			return err
		}
	}
	return nil
}

// applyOne applies override k to p, a shallow copy that it may change;
// own tells whether p.Indicators is already p's own copy.
func (s *overrideSet) applyOne(k int, p *jixiao.Project, own *bool) error {
	c := s.list[k]
	if !c.selects(p) {
		return nil
	}
	s.selected[k]++
	if !c.indicator {
		if err := s.a.applyProject(c, p); err != nil {
			return err
		}
		s.touched[k]++
		return nil
	}
	n, err := s.a.applyIndicators(c, p, own)
	s.touched[k] += n
	return err
}

// applyChunk returns copies of projects with every override applied, in
// order, each to the result of the ones before it; touched[i] tells
// whether an override selected out[i]. The counts for check go on from
// chunk to chunk. own is scratch space, reused.
func (s *overrideSet) applyChunk(projects, out []jixiao.Project, own, touched []bool) error {
	copy(out, projects)
	clear(own)
	clear(touched)
	for i := range projects {
		s.see(&projects[i])
	}
	for k, c := range s.list {
		for i := range out {
			if !c.selects(&out[i]) {
				continue
			}
			touched[i] = true
			if err := s.applyOne(k, &out[i], &own[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *compiled) describeFilter() string {
	var parts []string
	if c.o.Department != "" {
		parts = append(parts, fmt.Sprintf("department %q", c.o.Department))
	}
	if c.o.Year != 0 {
		parts = append(parts, fmt.Sprintf("year %d", c.o.Year))
	}
	if len(c.o.ProjectIDs) > 0 {
		parts = append(parts, fmt.Sprintf("project ids %s", strings.Join(c.o.ProjectIDs, ", ")))
	}
	if len(parts) == 0 {
		return "the project list is empty"
	}
	return strings.Join(parts, ", ")
}

// applier evaluates overrides, reusing one VM and environment.
type applier struct {
	vm  vm.VM
	env map[string]any
}

// setProjectEnv puts p's numeric fields into the environment.
func (a *applier) setProjectEnv(p *jixiao.Project) {
	for _, f := range moneyFields {
		v, _ := getAmount(p, f)
		a.env[f] = v.Float64()
	}
}

func (a *applier) eval(c *compiled, p *jixiao.Project, what string) (float64, error) {
	out, err := a.vm.Run(c.prog, a.env)
	if err != nil {
		return 0, overrideError(c.idx, c.o, "expr", "expr %q for project %s%s: %s", clip(c.o.Expr), p.ID, what, exprMessage(err))
	}
	f, ok := out.(float64)
	if !ok {
		if n, isInt := out.(int); isInt {
			f, ok = float64(n), true
		}
	}
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, overrideError(c.idx, c.o, "expr", "expr %q gives no number for project %s%s (division by zero?)", clip(c.o.Expr), p.ID, what)
	}
	return f, nil
}

// percentOf is x × (100 + pct) / 100 rounded half-up (away from zero) to
// places decimals, computed exactly: pct is the decimal it reads as, so
// that an amount a hair below a half cent is not rounded up.
func percentOf(x *big.Rat, pct float64, places int) *big.Rat {
	p, _ := new(big.Rat).SetString(strconv.FormatFloat(pct, 'g', -1, 64))
	r := new(big.Rat).Mul(x, p.Add(p, big.NewRat(100, 1)))
	r.Quo(r, big.NewRat(100, 1))
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	// n = floor((2·|num|·scale + den) / (2·den))
	n := new(big.Int).Abs(r.Num())
	n.Mul(n, scale)
	n.Lsh(n, 1)
	n.Add(n, r.Denom())
	n.Quo(n, new(big.Int).Lsh(r.Denom(), 1))
	if r.Sign() < 0 {
		n.Neg(n)
	}
	return new(big.Rat).SetFrac(n, scale)
}

// exactFactor returns (100 + pct)/100, pct read as the decimal it is
// written as, as a sign and a reduced fraction num/den, when both fit in
// 64 bits.
func exactFactor(pct float64) (num, den uint64, neg, ok bool) {
	p, _ := new(big.Rat).SetString(strconv.FormatFloat(pct, 'g', -1, 64))
	f := p.Add(p, big.NewRat(100, 1))
	f.Quo(f, big.NewRat(100, 1))
	n := new(big.Int).Abs(f.Num())
	if !n.IsUint64() || !f.Denom().IsUint64() {
		return 0, 0, false, false
	}
	return n.Uint64(), f.Denom().Uint64(), f.Sign() < 0, true
}

// scaleHundredths is h × num/den (negated when neg) rounded half away
// from zero, as percentOf rounds, in 128-bit integer arithmetic; ok is
// false when the result does not fit in an int64.
func scaleHundredths(h int64, num, den uint64, neg bool) (int64, bool) {
	a := uint64(h)
	if h < 0 {
		a = uint64(-h)
		neg = !neg
	}
	hi, lo := bits.Mul64(a, num)
	if hi >= den {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, den)
	if r >= den-r { // 2r ≥ den: the half goes away from zero
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(q), true
	}
	return int64(q), true
}

// maxAmount is the largest amount a Decimal holds from a parsed number.
const maxAmount = 1e15

func (a *applier) applyProject(c *compiled, p *jixiao.Project) error {
	if c.o.Field == FieldCompliance {
		p.Compliance = c.rating
		return nil
	}
	cur, ok := getAmount(p, c.o.Field)
	var v jixiao.Decimal
	switch c.act {
	case actSet:
		v = c.money
	case actPercent:
		if !ok {
			return nil // nothing to take a percentage of
		}
		if c.fsmall {
			if h, ok := scaleHundredths(cur.Hundredths(), c.fnum, c.fden, c.fneg); ok && math.Abs(float64(h)) <= maxAmount*100 {
				v = jixiao.Decimal(h)
				break
			}
		}
		r := percentOf(new(big.Rat).SetFrac64(cur.Hundredths(), 100), c.pct, 2)
		if f, _ := r.Float64(); math.Abs(f) > maxAmount {
			return overrideError(c.idx, c.o, "percent", "%s%% of %s gives an amount out of range for project %s", strconv.FormatFloat(c.pct, 'f', -1, 64), cur, p.ID)
		}
		h := new(big.Rat).Mul(r, big.NewRat(100, 1))
		v = jixiao.Decimal(h.Num().Int64()) // whole: r has two places
	case actExpr:
		a.setProjectEnv(p)
		a.env["value"] = cur.Float64()
		a.env["has_value"] = ok
		f, err := a.eval(c, p, "")
		if err != nil {
			return err
		}
		if math.Abs(f) > maxAmount {
			return overrideError(c.idx, c.o, "expr", "expr %q gives %g for project %s, out of range", clip(c.o.Expr), f, p.ID)
		}
		v = jixiao.RoundFloat(f)
	}
	setAmount(p, c.o.Field, v)
	return nil
}

// applyIndicators changes the selected indicators of p and reports how
// many it changed. Qualitative indicators have no numbers and are left
// out; naming one is an error.
func (a *applier) applyIndicators(c *compiled, p *jixiao.Project, own *bool) (int, error) {
	n := 0
	for j := range p.Indicators {
		ind := &p.Indicators[j]
		if c.o.Indicator != "" && ind.Name != c.o.Indicator {
			continue
		}
		if ind.Direction == jixiao.Qualitative {
			if c.o.Indicator != "" {
				return 0, overrideError(c.idx, c.o, "indicator", "indicator %q of project %s is qualitative (定性): it has a rating, not a target or actual value", ind.Name, p.ID)
			}
			continue
		}
		ptr := ind.Actual
		if c.o.Field == FieldIndicatorTarget {
			ptr = ind.Target
		}
		var v float64
		switch c.act {
		case actSet:
			v = c.number
		case actPercent:
			if ptr == nil {
				n++ // selected, but empty: nothing to take a percentage of
				continue
			}
			x, _ := new(big.Rat).SetString(strconv.FormatFloat(*ptr, 'g', -1, 64))
			v, _ = percentOf(x, c.pct, 6).Float64()
		case actExpr:
			a.setProjectEnv(p)
			cur := 0.0
			if ptr != nil {
				cur = *ptr
			}
			a.env["value"] = cur
			a.env["has_value"] = ptr != nil
			a.env["target"] = deref(ind.Target)
			a.env["actual"] = deref(ind.Actual)
			f, err := a.eval(c, p, fmt.Sprintf(" indicator %q", ind.Name))
			if err != nil {
				return 0, err
			}
			v = jixiao.RoundPlaces(f, 6)
		}
		if !*own {
			p.Indicators = append([]jixiao.Indicator(nil), p.Indicators...)
			*own = true
			ind = &p.Indicators[j]
		}
		if c.o.Field == FieldIndicatorTarget {
			ind.Target = &v
		} else {
			ind.Actual = &v
		}
		n++
	}
	return n, nil
}

// clip shortens a long expression for a message.
func clip(s string) string {
	const max = 80
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// getAmount returns a money field or execution_rate of p, and whether the
// project gives it.
func getAmount(p *jixiao.Project, field string) (jixiao.Decimal, bool) {
	opt := func(d *jixiao.Decimal) (jixiao.Decimal, bool) {
		if d == nil {
			return 0, false
		}
		return *d, true
	}
	switch field {
	case FieldBudgetInitial:
		return opt(p.BudgetInitial)
	case FieldBudgetAdjusted:
		return p.BudgetAdjusted, true
	case FieldFundsArrived:
		return opt(p.FundsArrived)
	case FieldSpent:
		return p.Spent, true
	case FieldBalance:
		return opt(p.Balance)
	case FieldExecutionRate:
		return opt(p.ExecutionRate)
	}
	return 0, false
}

// setAmount sets a money field or execution_rate of p, always behind a new
// pointer so that the original project is not changed through a shared one.
func setAmount(p *jixiao.Project, field string, v jixiao.Decimal) {
	ptr := func() *jixiao.Decimal { d := v; return &d }
	switch field {
	case FieldBudgetInitial:
		p.BudgetInitial = ptr()
	case FieldBudgetAdjusted:
		p.BudgetAdjusted = v
	case FieldFundsArrived:
		p.FundsArrived = ptr()
	case FieldSpent:
		p.Spent = v
	case FieldBalance:
		p.Balance = ptr()
	case FieldExecutionRate:
		p.ExecutionRate = ptr()
	}
}
