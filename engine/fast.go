package engine

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
)

// Formulas are parsed and type-checked by expr, then translated into Go
// closures over a typed frame. A formula that uses anything the
// translation does not cover is refused when the rule file loads, so every
// formula runs the same way everywhere.
//
// # Exactness
//
// Every number closure returns its float64 value v with a bound e on the
// distance to the formula's exact value X (see exact.go):
//
//   - e == 0: v is X;
//   - e == canonical: X is the shortest decimal that reads back as v (an
//     input such as 0.1, a literal, or a value rounded to ≤ 6 places), so
//     |X − v| ≤ |v|·2⁻⁵³ and two such values compare as their floats do;
//   - e > 0: |X − v| ≤ e.
//
// The bounds follow the standard model of floating-point arithmetic,
// fl(a ∘ b) = (a ∘ b)(1 + δ) with |δ| ≤ u = 2⁻⁵³: for z = fl(x ∘ y) with
// |X − x| ≤ ex and |Y − y| ≤ ey,
//
//	x ± y: |X ± Y − z| ≤ ex + ey + |z|·2u
//	x × y: |XY − z| ≤ |x|ey + |y|ex + ex·ey + |z|·2u
//	x ÷ y: |X/Y − z| ≤ (|x|ey + |y|ex) / (|y|(|y| − ey)) + |z|·2u, if |y| > ey
//
// where |z|·2u covers the rounding of z and, generously, the rounding of
// the bound's own arithmetic (which is also scaled by 1 + 2⁻⁵⁰). Subnormal
// results add at most 2⁻¹⁰⁷⁴, covered by a constant tiny term.
//
// A comparison is decided in float64 only when the two intervals do not
// overlap, and a rounding only when the interval does not contain a
// rounding boundary (x.xx5 for two places). Otherwise, and whenever a
// division's divisor interval contains 0 or a result overflows, the
// sub-formula is evaluated exactly. So every condition and every rounded
// number is the one exact arithmetic gives; the exact path is taken only
// within about 10⁻¹⁵ of a boundary.

type kind uint8

const (
	kindNum kind = iota + 1
	kindBool
	kindText
)

// canonical marks a value whose exact meaning is the shortest decimal that
// reads back as its float64.
const canonical = -1.0

const (
	twoU     = 0x1p-52 // 2u: rounding of a result
	halfUlp  = 0x1p-53 // u: |X − v| / |v| for a canonical value
	tiny     = 0x1p-1070
	safety   = 1 + 0x1p-50
	maxExact = 0x1p52 // beyond this, float64 has no fractional digits
)

// bound returns the error bound of (v, e) as a number.
func bound(v, e float64) float64 {
	if e < 0 {
		return math.Abs(v) * halfUlp
	}
	return e
}

// slot is where a name's value lives in a frame.
type slot struct {
	kind  kind
	isInt bool // a whole number to expr's checker (year, indicator_count)
	idx   int
}

// layout assigns a slot to every name formulas may read.
type layout struct {
	slots map[string]slot
	names [3][]string // per kind, by index
	// used marks the text slots that some formula reads (by index); the
	// engine skips writing the others.
	used []bool
	// consts are literals kept in number slots, set once per frame.
	consts []constSlot
}

type constSlot struct {
	idx  int
	v, e float64
}

// constant returns the slot holding a literal.
func (l *layout) constant(v, e float64) int {
	for _, c := range l.consts {
		if c.v == v && c.e == e && math.Signbit(c.v) == math.Signbit(v) {
			return c.idx
		}
	}
	idx := len(l.names[kindNum-1])
	l.names[kindNum-1] = append(l.names[kindNum-1], "")
	l.consts = append(l.consts, constSlot{idx, v, e})
	return idx
}

func newLayout() *layout { return &layout{slots: map[string]slot{}} }

func (l *layout) add(name string, sample any) slot {
	if s, ok := l.slots[name]; ok {
		return s
	}
	var k kind
	isInt := false
	switch sample.(type) {
	case bool:
		k = kindBool
	case string:
		k = kindText
	case int:
		k, isInt = kindNum, true
	default:
		k = kindNum
	}
	s := slot{kind: k, isInt: isInt, idx: len(l.names[k-1])}
	l.names[k-1] = append(l.names[k-1], name)
	if k == kindText {
		l.used = append(l.used, false)
	}
	l.slots[name] = s
	return s
}

func (l *layout) newFrame() *frame {
	n := len(l.names[kindNum-1])
	f := &frame{
		l:      l,
		val:    make([]numVal, n),
		src:    make([]*formula, n),
		xgen:   make([]uint64, n),
		xval:   make([]*xnum, n),
		pinned: make([]*xnum, n),
		flag:   make([]bool, len(l.names[kindBool-1])),
		text:   make([]string, len(l.names[kindText-1])),
		gen:    1,
	}
	for _, c := range l.consts {
		f.val[c.idx] = numVal{c.v, c.e}
	}
	return f
}

// numVal is a number slot: a value and its bound, as closures return them.
type numVal struct{ v, e float64 }

// frame holds the values of one project (and, while it is scored, one
// of its indicators).
type frame struct {
	l    *layout
	val  []numVal   // number slots
	src  []*formula // the formula that computed num[i]; nil for an input
	flag []bool
	text []string

	// Exact values of number slots, computed on demand; valid while
	// xgen[i] == gen. Any write to a number slot moves gen on.
	gen  uint64
	xgen []uint64
	xval []*xnum
	// pinned[i], when set, is the exact value of slot i, computed when it
	// was stored (a default that may read the slot it fills).
	pinned []*xnum

	arena arena // exact numbers of the current project
	fault error // the first error of an evaluation (integer divide by zero…)
	// textBytes counts the bytes the project's formulas joined into
	// texts, against MaxProjectTextBytes.
	textBytes  int
	exactCalls int // how often the exact evaluator was needed, for tests
}

// setInput stores an input value: its exact meaning is the decimal it reads as.
func (f *frame) setInput(i int, v float64) {
	f.val[i], f.src[i], f.pinned[i] = numVal{v, canonical}, nil, nil
	f.gen++
}

// setWhole stores a whole number.
func (f *frame) setWhole(i int, v float64) {
	f.val[i], f.src[i], f.pinned[i] = numVal{v, 0}, nil, nil
	f.gen++
}

// setValue stores a value with its bound; an exact or canonical value
// needs no formula to recover its exact meaning.
func (f *frame) setValue(i int, v, e float64) {
	f.val[i], f.src[i], f.pinned[i] = numVal{v, e}, nil, nil
	f.gen++
}

// setComputed stores a formula's value with its bound; the exact value is
// recomputed from the formula when it is needed.
func (f *frame) setComputed(i int, v, e float64, fm *formula) {
	f.val[i], f.src[i], f.pinned[i] = numVal{v, e}, fm, nil
	f.gen++
}

// setExact stores a value whose exact meaning is x.
func (f *frame) setExact(i int, x *xnum) {
	v, e := fromExact(x)
	f.val[i], f.src[i], f.pinned[i] = numVal{v, e}, nil, x
	f.gen++
}

// exactSlot returns the exact value of number slot i.
func (f *frame) exactSlot(i int, l *layout) (*xnum, error) {
	if x := f.pinned[i]; x != nil {
		return x, nil
	}
	if f.xgen[i] == f.gen {
		return f.xval[i], nil
	}
	var x *xnum
	if fm := f.src[i]; fm == nil {
		if f.val[i].e > 0 {
			return nil, fmt.Errorf("internal error: slot %d has no exact value", i)
		}
		x = f.arena.float(f.val[i].v)
	} else {
		v, err := (&exactEval{f: f, l: l}).eval(fm.node)
		if err != nil {
			return nil, err
		}
		if fm.kind == kindNum {
			x = v.num
		} else {
			x = f.arena.float(f.val[i].v)
		}
	}
	f.xgen[i], f.xval[i] = f.gen, x
	return x, nil
}

// exact evaluates n exactly; an error is kept in f.fault.
func (f *frame) exact(n ast.Node) exactValue {
	f.exactCalls++

	v, err := (&exactEval{f: f, l: f.l}).eval(n)
	if err != nil {
		if f.fault == nil {
			f.fault = err
		}
		if v.num == nil {
			v.num = f.arena.nan()
		}
	}
	return v
}

// exactNum evaluates a number node exactly and returns it as a closure's
// (value, bound) pair.
func (f *frame) exactNum(n ast.Node) (float64, float64) {
	x := f.exact(n).num
	if x == nil {
		return math.NaN(), 0
	}
	return fromExact(x)
}

// fromExact converts an exact value to (value, bound): the nearest float64
// with half an ulp of error, or an exact special.
func fromExact(x *xnum) (float64, float64) {
	v := x.float()
	if !x.finite() {
		return v, 0
	}
	if (x.small && x.d == 1 || !x.small && x.r.IsInt()) && math.Abs(v) < maxExact {
		return v, 0
	}
	return v, math.Abs(v)*halfUlp + tiny
}

type numFn func(*frame) (v, e float64)

// formula is a compiled expression.
type formula struct {
	kind  kind
	isInt bool
	num   numFn
	flag  func(*frame) bool
	text  func(*frame) string
	node  ast.Node // the checked tree, for exact evaluation
	src   string   // as written

	// A name or a literal: operators read it in place instead of calling
	// num, which saves a call per operand on the hot path.
	opMode uint8
	opSlot int
	opV    float64
	opE    float64
	opS    string // a text literal
}

const (
	opCall uint8 = iota
	opSlot
	opConst
)

// operand is one side of an operator: a frame slot (a name, or a literal
// kept in a slot of its own), or a formula to call. The operator closures
// read it with the same few lines each, written out: a method doing it is
// too large for the compiler to inline, and the call costs as much as the
// arithmetic.
type operand struct {
	idx int
	fn  numFn // nil for a slot
}

func (t *translator) operandOf(fm formula) operand {
	switch fm.opMode {
	case opSlot:
		return operand{idx: fm.opSlot}
	case opConst:
		return operand{idx: t.l.constant(fm.opV, fm.opE)}
	}
	return operand{fn: fm.num}
}

// translate turns a checked expr tree into closures. A construct that is
// not covered gives an error naming it.
func translate(n ast.Node, l *layout) (fm formula, err error) {
	t := translator{l: l}
	fm = t.node(n)
	if t.err != nil {
		return formula{}, t.err
	}
	return fm, nil
}

type translator struct {
	l   *layout
	err error
}

func (t *translator) fail(format string, args ...any) formula {
	if t.err == nil {
		t.err = fmt.Errorf(format, args...)
	}
	return formula{}
}

func num(n ast.Node, isInt bool, fn numFn) formula {
	return formula{kind: kindNum, isInt: isInt, num: fn, node: n}
}
func flag(n ast.Node, fn func(*frame) bool) formula {
	return formula{kind: kindBool, flag: fn, node: n}
}
func text(n ast.Node, fn func(*frame) string) formula {
	return formula{kind: kindText, text: fn, node: n}
}

// constant gives a literal's value: whole numbers are exact, other
// literals mean the decimal they were written as.
func constNum(n ast.Node, v float64, isInt bool) formula {
	e := canonical
	if v == math.Trunc(v) && math.Abs(v) < maxExact {
		e = 0
	}
	fm := num(n, isInt, func(*frame) (float64, float64) { return v, e })
	fm.opMode, fm.opV, fm.opE = opConst, v, e
	return fm
}

func (t *translator) node(n ast.Node) formula {
	if t.err != nil {
		return formula{}
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		s, ok := t.l.slots[n.Value]
		if !ok {
			return t.fail("unknown name %s", n.Value)
		}
		i := s.idx
		switch s.kind {
		case kindNum:
			fm := num(n, s.isInt, func(f *frame) (float64, float64) { p := &f.val[i]; return p.v, p.e })
			fm.opMode, fm.opSlot = opSlot, i
			return fm
		case kindBool:
			fm := flag(n, func(f *frame) bool { return f.flag[i] })
			fm.opMode, fm.opSlot = opSlot, i
			return fm
		default:
			t.l.used[i] = true
			fm := text(n, func(f *frame) string { return f.text[i] })
			fm.opMode, fm.opSlot = opSlot, i
			return fm
		}
	case *ast.IntegerNode:
		return constNum(n, float64(n.Value), true)
	case *ast.FloatNode:
		return constNum(n, n.Value, false)
	case *ast.BoolNode:
		v := n.Value
		return flag(n, func(*frame) bool { return v })
	case *ast.StringNode:
		v := n.Value
		fm := text(n, func(*frame) string { return v })
		fm.opMode, fm.opS = opConst, v
		return fm
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			return constNum(n, float64(v), true)
		case float64:
			return constNum(n, v, false)
		case bool:
			return flag(n, func(*frame) bool { return v })
		case string:
			return text(n, func(*frame) string { return v })
		}
	case *ast.UnaryNode:
		x := t.node(n.Node)
		switch {
		case t.err != nil:
			return formula{}
		case (n.Operator == "!" || n.Operator == "not") && x.kind == kindBool:
			if x.opMode == opSlot {
				i := x.opSlot
				return flag(n, func(f *frame) bool { return !f.flag[i] })
			}
			a := x.flag
			return flag(n, func(f *frame) bool { return !a(f) })
		case n.Operator == "-" && x.kind == kindNum:
			a := x.num
			return num(n, x.isInt, func(f *frame) (float64, float64) {
				v, e := a(f)
				return 0 - v, e // 0 − v: no negative zero
			})
		case n.Operator == "+" && x.kind == kindNum:
			return x
		}
	case *ast.BinaryNode:
		return t.binary(n)
	case *ast.ConditionalNode:
		c, a, b := t.node(n.Cond), t.node(n.Exp1), t.node(n.Exp2)
		if t.err != nil {
			return formula{}
		}
		if c.kind != kindBool || a.kind != b.kind {
			return t.fail("both branches of ?: must give the same kind of value")
		}
		cf := c.flag
		switch a.kind {
		case kindNum:
			x, y := a.num, b.num
			return num(n, a.isInt && b.isInt, func(f *frame) (float64, float64) {
				if cf(f) {
					return x(f)
				}
				return y(f)
			})
		case kindBool:
			x, y := a.flag, b.flag
			return flag(n, func(f *frame) bool {
				if cf(f) {
					return x(f)
				}
				return y(f)
			})
		default:
			x, y := a.text, b.text
			return text(n, func(f *frame) string {
				if cf(f) {
					return x(f)
				}
				return y(f)
			})
		}
	case *ast.BuiltinNode:
		return t.builtin(n, n.Name, n.Arguments)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return t.builtin(n, id.Value, n.Arguments)
		}
	}
	if t.err != nil {
		return formula{}
	}
	return t.fail("%s is not available in rule files", describe(n))
}

// describe names a construct for a message.
func describe(n ast.Node) string {
	switch n := n.(type) {
	case *ast.BinaryNode:
		return "the operator " + n.Operator
	case *ast.UnaryNode:
		return "the operator " + n.Operator
	case *ast.BuiltinNode:
		return "the function " + n.Name
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return "the function " + id.Value
		}
		return "this call"
	case *ast.ArrayNode:
		return "a list"
	case *ast.MapNode:
		return "a map"
	case *ast.MemberNode:
		return "member access (.)"
	case *ast.SliceNode:
		return "slicing ([:])"
	case *ast.PredicateNode, *ast.PointerNode:
		return "a predicate (#)"
	case *ast.VariableDeclaratorNode:
		return "let"
	case *ast.SequenceNode:
		return "a sequence (;)"
	case *ast.ChainNode:
		return "optional chaining (?.)"
	case *ast.NilNode:
		return "nil"
	}
	return fmt.Sprintf("%T", n)
}

func (t *translator) args(list []ast.Node) []formula {
	out := make([]formula, len(list))
	for i, a := range list {
		out[i] = t.node(a)
	}
	return out
}

func (t *translator) builtin(n ast.Node, name string, list []ast.Node) formula {
	args := t.args(list)
	if t.err != nil {
		return formula{}
	}
	kinds := func(want ...kind) bool {
		if len(args) != len(want) {
			return false
		}
		for i, k := range want {
			if args[i].kind != k {
				return false
			}
		}
		return true
	}
	var arg ast.Node
	if len(list) > 0 {
		arg = list[0]
	}
	switch {
	case name == "abs" && kinds(kindNum):
		a := args[0].num
		return num(n, args[0].isInt, func(f *frame) (float64, float64) {
			v, e := a(f)
			return math.Abs(v), e
		})
	case name == "float" && kinds(kindNum):
		return num(n, false, args[0].num)
	case name == "round2" && kinds(kindNum) || name == "roundTo" && kinds(kindNum, kindNum):
		a := args[0].num
		places := func(*frame) int { return 2 }
		if name == "roundTo" {
			if !args[1].isInt {
				return t.fail("roundTo takes a whole number of places")
			}
			p := args[1].num
			places = func(f *frame) int {
				v, _ := p(f)
				return int(max(0, min(v, 6)))
			}
		}
		return num(n, false, func(f *frame) (float64, float64) {
			v, e := a(f)
			p := places(f)
			if r, ok := roundDecided(v, e, p); ok {
				return decimalValue(r, p)
			}
			x := f.exact(arg).num
			return fromRounded(f.arena.roundTo(x, p), p)
		})
	case (name == "round" || name == "floor" || name == "ceil" || name == "int") && kinds(kindNum):
		a := args[0].num
		var fast func(float64) float64
		var slow func(*arena, *xnum) *xnum
		switch name {
		case "round":
			return num(n, false, func(f *frame) (float64, float64) {
				v, e := a(f)
				if r, ok := roundDecided(v, e, 0); ok {
					return r, 0
				}
				return fromExact(f.arena.round(f.exact(arg).num, 0))
			})
		case "floor":
			fast, slow = math.Floor, (*arena).floor
		case "ceil":
			fast, slow = math.Ceil, (*arena).ceil
		default:
			fast, slow = math.Trunc, (*arena).trunc
		}
		return num(n, name == "int", func(f *frame) (float64, float64) {
			v, e := a(f)
			if r, ok := wholeDecided(v, e, fast); ok {
				return r, 0
			}
			return fromExact(slow(&f.arena, f.exact(arg).num))
		})
	case (name == "min" || name == "max") && len(args) >= 1:
		fns := make([]numFn, len(args))
		allInt := true
		for i, a := range args {
			if a.kind != kindNum {
				return t.fail("%s takes numbers", name)
			}
			fns[i] = a.num
			allInt = allInt && a.isInt
		}
		isMin := name == "min"
		return num(n, allInt, func(f *frame) (float64, float64) {
			v, e := fns[0](f)
			for i := 1; i < len(fns); i++ {
				w, we := fns[i](f)
				c, ok := cmpDecided(v, e, w, we)
				if !ok {
					// Within their bounds of each other: the exact result,
					// one of the two, is within this bound of v.
					e = max(bound(v, e), math.Abs(w-v)+bound(w, we))*safety + tiny
					continue
				}
				if isMin && c > 0 || !isMin && c < 0 {
					v, e = w, we
				}
			}
			return v, e
		})
	case name == "len" && kinds(kindText):
		a := args[0].text
		return num(n, true, func(f *frame) (float64, float64) {
			return float64(utf8.RuneCountInString(a(f))), 0
		})
	case name == "trim" && (kinds(kindText) || kinds(kindText, kindText)):
		a := args[0].text
		if len(args) == 2 {
			b := args[1].text
			return text(n, func(f *frame) string { return strings.Trim(a(f), b(f)) })
		}
		return text(n, func(f *frame) string { return strings.TrimSpace(a(f)) })
	case name == "upper" && kinds(kindText):
		a := args[0].text
		return text(n, func(f *frame) string { return strings.ToUpper(a(f)) })
	case name == "lower" && kinds(kindText):
		a := args[0].text
		return text(n, func(f *frame) string { return strings.ToLower(a(f)) })
	case name == "hasPrefix" && kinds(kindText, kindText):
		a, b := args[0].text, args[1].text
		return flag(n, func(f *frame) bool { return strings.HasPrefix(a(f), b(f)) })
	case name == "hasSuffix" && kinds(kindText, kindText):
		a, b := args[0].text, args[1].text
		return flag(n, func(f *frame) bool { return strings.HasSuffix(a(f), b(f)) })
	}
	return t.fail("the function %s is not available in rule files with these arguments", name)
}

// decimalValue returns n / 10^p as a closure's value: canonical while the
// decimal has at most 15 significant digits (then its float64 reads back
// as it).
func decimalValue(n float64, p int) (float64, float64) {
	v := n / pow10[p]
	if math.Abs(n) < 1e15 {
		return v, canonical
	}
	return v, math.Abs(v)*halfUlp + tiny
}

// fromRounded converts an exactly rounded value with p places.
func fromRounded(x *xnum, p int) (float64, float64) {
	if !x.finite() {
		return x.float(), 0
	}
	v := x.float()
	if math.Abs(v)*pow10[p] < 1e15 {
		return v, canonical
	}
	return v, math.Abs(v)*halfUlp + tiny
}

var pow10 = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

// roundDecided rounds (v, e) half away from zero at p places (0 ≤ p ≤ 6)
// when the bound allows: it returns the rounded value scaled by 10^p.
func roundDecided(v, e float64, p int) (float64, bool) {
	if v != v || math.IsInf(v, 0) {
		return v, e == 0
	}
	scale := pow10[p]
	s := v * scale
	bs := bound(v, e)*scale*safety + math.Abs(s)*twoU + tiny
	a := math.Abs(s)
	if a >= maxExact {
		return 0, false
	}
	whole := math.Floor(a)
	frac := a - whole // exact below 2^52
	if math.Abs(frac-0.5) <= bs {
		return 0, false
	}
	if frac > 0.5 {
		whole++
	}
	if s < 0 {
		return -whole, true
	}
	return whole, true
}

// wholeDecided applies floor, ceil or trunc when no whole number lies
// within the bound, or v is exactly whole.
func wholeDecided(v, e float64, fn func(float64) float64) (float64, bool) {
	if v != v || math.IsInf(v, 0) {
		return v, e == 0
	}
	if math.Abs(v) >= maxExact {
		return 0, false
	}
	if v == math.Trunc(v) {
		if e <= 0 {
			return v, true // exact, or the whole decimal it reads as
		}
		return 0, false
	}
	b := bound(v, e)*safety + tiny
	if v-math.Floor(v) <= b || math.Ceil(v)-v <= b {
		return 0, false
	}
	return fn(v), true
}

// cmpDecided compares (x, ex) with (y, ey) when the bounds allow. ok is
// false when they do not, or when a NaN that may not be exact takes part.
func cmpDecided(x, ex, y, ey float64) (c int, ok bool) {
	if ex <= 0 && ey <= 0 {
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		case x == y && (ex == ey || x == math.Trunc(x) && math.Abs(x) < maxExact):
			return 0, true // the same decimal, or the same whole number
		}
		// equal floats standing for possibly different values, or NaN
		if x != x || y != y {
			return 0, false
		}
	}
	d := x - y
	m := (bound(x, ex)+bound(y, ey))*safety + math.Abs(d)*twoU + tiny
	switch {
	case d > m:
		return 1, true
	case d < -m:
		return -1, true
	}
	return 0, false
}

func (t *translator) binary(n *ast.BinaryNode) formula {
	if n.Operator == "in" {
		return t.in(n)
	}
	a, b := t.node(n.Left), t.node(n.Right)
	if t.err != nil {
		return formula{}
	}
	op := n.Operator
	switch {
	case a.kind == kindNum && b.kind == kindNum:
		return t.arith(n, a, b)
	case a.kind == kindBool && b.kind == kindBool:
		x, y := a.flag, b.flag
		switch op {
		case "&&", "and":
			return flag(n, func(f *frame) bool { return x(f) && y(f) })
		case "||", "or":
			return flag(n, func(f *frame) bool { return x(f) || y(f) })
		case "==":
			return flag(n, func(f *frame) bool { return x(f) == y(f) })
		case "!=":
			return flag(n, func(f *frame) bool { return x(f) != y(f) })
		}
	case a.kind == kindText && b.kind == kindText:
		x, y := a.text, b.text
		if (op == "==" || op == "!=") && (a.opMode == opSlot && b.opMode == opConst || a.opMode == opConst && b.opMode == opSlot) {
			// a name against a literal: rating == "达成"
			i, c := a.opSlot, b.opS
			if a.opMode == opConst {
				i, c = b.opSlot, a.opS
			}
			if op == "==" {
				return flag(n, func(f *frame) bool { return f.text[i] == c })
			}
			return flag(n, func(f *frame) bool { return f.text[i] != c })
		}
		switch op {
		case "==":
			return flag(n, func(f *frame) bool { return x(f) == y(f) })
		case "!=":
			return flag(n, func(f *frame) bool { return x(f) != y(f) })
		case "+":
			return text(n, func(f *frame) string {
				a, b := x(f), y(f)
				f.textBytes += len(a) + len(b)
				if len(a)+len(b) > MaxTextBytes || f.textBytes > MaxProjectTextBytes {
					if f.fault == nil {
						f.fault = errTextTooLong
					}
					return ""
				}
				return a + b
			})
		case "contains":
			return flag(n, func(f *frame) bool { return strings.Contains(x(f), y(f)) })
		case "startsWith":
			return flag(n, func(f *frame) bool { return strings.HasPrefix(x(f), y(f)) })
		case "endsWith":
			return flag(n, func(f *frame) bool { return strings.HasSuffix(x(f), y(f)) })
		}
	}
	return t.fail("the operator %s is not available in rule files for these values", op)
}

// in tests membership in a written list: level2 in ["数量指标", "质量指标"].
func (t *translator) in(n *ast.BinaryNode) formula {
	arr, ok := n.Right.(*ast.ArrayNode)
	if !ok {
		return t.fail("in needs a written list such as [\"a\", \"b\"]")
	}
	x := t.node(n.Left)
	items := t.args(arr.Nodes)
	if t.err != nil {
		return formula{}
	}
	for _, it := range items {
		if it.kind != x.kind || x.kind == kindBool {
			return t.fail("in needs a list of numbers or texts of the same kind as the value")
		}
	}
	if x.kind == kindText {
		a := x.text
		vals := make([]func(*frame) string, len(items))
		for i, it := range items {
			vals[i] = it.text
		}
		return flag(n, func(f *frame) bool {
			s := a(f)
			for _, v := range vals {
				if v(f) == s {
					return true
				}
			}
			return false
		})
	}
	a := x.num
	vals := make([]numFn, len(items))
	for i, it := range items {
		vals[i] = it.num
	}
	left := n.Left
	return flag(n, func(f *frame) bool {
		v, e := a(f)
		for i, item := range vals {
			w, we := item(f)
			c, ok := cmpDecided(v, e, w, we)
			if !ok {
				c, ok = xcmp(f.exact(left).num, f.exact(arr.Nodes[i]).num)
			}
			if ok && c == 0 {
				return true
			}
		}
		return false
	})
}

func (t *translator) arith(n *ast.BinaryNode, a, b formula) formula {
	xo, yo := t.operandOf(a), t.operandOf(b)
	left, right := n.Left, n.Right
	bothInt := a.isInt && b.isInt
	switch op := n.Operator; op {
	case "+", "-":
		sub := op == "-"
		return num(n, bothInt, func(f *frame) (float64, float64) {
			var xv, xe float64
			if xo.fn == nil { // a name or a literal, read in place
				p := &f.val[xo.idx]
				xv, xe = p.v, p.e
			} else {
				xv, xe = xo.fn(f)
			}
			var yv, ye float64
			if yo.fn == nil { // a name or a literal, read in place
				p := &f.val[yo.idx]
				yv, ye = p.v, p.e
			} else {
				yv, ye = yo.fn(f)
			}
			var z float64
			if sub {
				z = xv - yv
			} else {
				z = xv + yv
			}
			if bothInt {
				return whole(f, z)
			}
			if xe == 0 && ye == 0 && z-z != 0 {
				return z, 0 // from exact infinities
			}
			return z, (bound(xv, xe)+bound(yv, ye))*safety + math.Abs(z)*twoU + tiny
		})
	case "*":
		return num(n, bothInt, func(f *frame) (float64, float64) {
			var xv, xe float64
			if xo.fn == nil { // a name or a literal, read in place
				p := &f.val[xo.idx]
				xv, xe = p.v, p.e
			} else {
				xv, xe = xo.fn(f)
			}
			var yv, ye float64
			if yo.fn == nil { // a name or a literal, read in place
				p := &f.val[yo.idx]
				yv, ye = p.v, p.e
			} else {
				yv, ye = yo.fn(f)
			}
			z := xv*yv + 0 // + 0: no negative zero
			if bothInt {
				return whole(f, z)
			}
			if z-z != 0 { // an infinity or NaN
				if xe == 0 && ye == 0 {
					return z, 0
				}
				return f.exactNum(n)
			}
			bx, by := bound(xv, xe), bound(yv, ye)
			return z, (math.Abs(xv)*by+math.Abs(yv)*bx+bx*by)*safety + math.Abs(z)*twoU + tiny
		})
	case "/":
		return num(n, false, func(f *frame) (float64, float64) {
			var xv, xe float64
			if xo.fn == nil { // a name or a literal, read in place
				p := &f.val[xo.idx]
				xv, xe = p.v, p.e
			} else {
				xv, xe = xo.fn(f)
			}
			var yv, ye float64
			if yo.fn == nil { // a name or a literal, read in place
				p := &f.val[yo.idx]
				yv, ye = p.v, p.e
			} else {
				yv, ye = yo.fn(f)
			}
			by := bound(yv, ye)
			if yv == 0 || math.Abs(yv) <= by*safety || xv-xv != 0 || yv-yv != 0 {
				if yv == 0 && ye == 0 && xe == 0 || xe == 0 && ye == 0 && (xv-xv != 0 || yv-yv != 0) {
					q, _ := f.arena.div(f.arena.float(xv), f.arena.float(yv)) // exact operands
					return fromExact(q)
				}
				return f.exactNum(n)
			}
			z := xv/yv + 0
			ay := math.Abs(yv)
			e := (math.Abs(xv)*by+ay*bound(xv, xe))/(ay*(ay-by))*safety + math.Abs(z)*twoU + tiny
			return z, e
		})
	case "%":
		if !bothInt {
			return t.fail("%% takes whole numbers")
		}
		return num(n, true, func(f *frame) (float64, float64) {
			var xv float64
			if xo.fn == nil {
				xv = f.val[xo.idx].v
			} else {
				xv, _ = xo.fn(f)
			}
			var yv float64
			if yo.fn == nil {
				yv = f.val[yo.idx].v
			} else {
				yv, _ = yo.fn(f)
			}
			if yv == 0 {
				if f.fault == nil {
					f.fault = errIntegerDivide
				}
				return 0, 0
			}
			return math.Mod(xv, yv) + 0, 0
		})
	case "**", "^":
		ic, ok := right.(*ast.IntegerNode)
		if !ok || ic.Value < -64 || ic.Value > 64 {
			if u, isU := right.(*ast.UnaryNode); isU && u.Operator == "-" {
				if c, isC := u.Node.(*ast.IntegerNode); isC && c.Value <= 64 {
					return t.pow(n, a.num, -c.Value)
				}
			}
			return t.fail("%s needs a written whole-number exponent between -64 and 64", op)
		}
		return t.pow(n, a.num, ic.Value)
	case "<", "<=", ">", ">=", "==", "!=":
		code := cmpCodes[op]
		return flag(n, func(f *frame) bool {
			var xv, xe float64
			if xo.fn == nil { // a name or a literal, read in place
				p := &f.val[xo.idx]
				xv, xe = p.v, p.e
			} else {
				xv, xe = xo.fn(f)
			}
			var yv, ye float64
			if yo.fn == nil { // a name or a literal, read in place
				p := &f.val[yo.idx]
				yv, ye = p.v, p.e
			} else {
				yv, ye = yo.fn(f)
			}
			var c int
			if xe <= 0 && ye <= 0 && xv != yv && xv == xv && yv == yv {
				// Two decimals (or whole numbers) with different floats:
				// the floats order them.
				c = 1
				if xv < yv {
					c = -1
				}
			} else {
				var ok bool
				if c, ok = cmpDecided(xv, xe, yv, ye); !ok {
					if xe == 0 && ye == 0 { // exact NaN
						return code == cmpNE
					}
					if c, ok = xcmp(f.exact(left).num, f.exact(right).num); !ok {
						return code == cmpNE
					}
				}
			}
			switch code {
			case cmpLT:
				return c < 0
			case cmpLE:
				return c <= 0
			case cmpGT:
				return c > 0
			case cmpGE:
				return c >= 0
			case cmpEQ:
				return c == 0
			}
			return c != 0
		})
	}
	return t.fail("the operator %s is not available in rule files", n.Operator)
}

const (
	cmpLT uint8 = iota
	cmpLE
	cmpGT
	cmpGE
	cmpEQ
	cmpNE
)

var cmpCodes = map[string]uint8{"<": cmpLT, "<=": cmpLE, ">": cmpGT, ">=": cmpGE, "==": cmpEQ, "!=": cmpNE}

func (t *translator) pow(n *ast.BinaryNode, x numFn, p int) formula {
	fp := float64(p)
	ap := math.Abs(fp)
	return num(n, false, func(f *frame) (float64, float64) {
		xv, xe := x(f)
		z := math.Pow(xv, fp)
		bx := bound(xv, xe)
		if z-z != 0 || xv == 0 {
			if xe == 0 {
				return z, 0
			}
			return f.exactNum(n)
		}
		rx := bx / math.Abs(xv)
		if rx*ap > 1e-6 {
			return f.exactNum(n)
		}
		// (1 + rx)^p − 1 ≤ 1.01·|p|·rx for |p|·rx ≤ 10⁻⁶, plus math.Pow's
		// own error, well below |p| + 2 ulps.
		return z, math.Abs(z)*(1.01*ap*rx+(ap+2)*twoU) + tiny
	})
}

// whole returns an exact whole-number result; beyond 2^53 a whole number
// is no longer exact, which rule formulas never need.
func whole(f *frame, z float64) (float64, float64) {
	if math.Abs(z) >= maxExact && f.fault == nil {
		f.fault = fmt.Errorf("whole number %g is too large", z)
	}
	return z, 0
}
