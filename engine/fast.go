package engine

import (
	"math"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"jixiao"
)

// Formulas are parsed and type-checked by expr, then translated into Go
// closures over a typed frame: the VM boxes every value in an interface
// and reads names from a map, which costs twenty times more than the
// arithmetic itself. Anything the translation does not cover runs on the
// VM with the same names, so every formula expr accepts still works.

type kind uint8

const (
	kindNum kind = iota + 1
	kindBool
	kindText
)

// slot is where a name's value lives in a frame.
type slot struct {
	kind kind
	idx  int
}

// layout assigns a slot to every name formulas may read.
type layout struct {
	slots map[string]slot
	names [3][]string // per kind, by index
	// used marks the text slots that some formula reads (by index); the
	// engine skips writing the others. A formula on the VM reads them all.
	used []bool
}

func newLayout() *layout { return &layout{slots: map[string]slot{}} }

func (l *layout) add(name string, sample any) slot {
	if s, ok := l.slots[name]; ok {
		return s
	}
	var k kind
	switch sample.(type) {
	case bool:
		k = kindBool
	case string:
		k = kindText
	default:
		k = kindNum
	}
	s := slot{kind: k, idx: len(l.names[k-1])}
	l.names[k-1] = append(l.names[k-1], name)
	if k == kindText {
		l.used = append(l.used, false)
	}
	l.slots[name] = s
	return s
}

func (l *layout) newFrame() *frame {
	return &frame{
		num:  make([]float64, len(l.names[kindNum-1])),
		flag: make([]bool, len(l.names[kindBool-1])),
		text: make([]string, len(l.names[kindText-1])),
	}
}

// frame holds the values of one project (and, while it is scored, one
// of its indicators).
type frame struct {
	num  []float64
	flag []bool
	text []string
	vm   vm.VM // for formulas that run on expr's VM
	env  map[string]any
}

// toMap gives the VM the frame's values.
func (f *frame) toMap(l *layout) map[string]any {
	if f.env == nil {
		f.env = make(map[string]any, len(l.slots))
	}
	for name, s := range l.slots {
		switch s.kind {
		case kindNum:
			f.env[name] = f.num[s.idx]
		case kindBool:
			f.env[name] = f.flag[s.idx]
		case kindText:
			f.env[name] = f.text[s.idx]
		}
	}
	return f.env
}

// formula is a compiled expression: closures for the common cases, the
// expr program for the rest.
type formula struct {
	kind kind
	num  func(*frame) float64
	flag func(*frame) bool
	text func(*frame) string
	prog *vm.Program // nil when translated
}

// value returns the formula's result as num, bool or string.
func (fm *formula) value(f *frame) any {
	switch fm.kind {
	case kindNum:
		return fm.num(f)
	case kindBool:
		return fm.flag(f)
	}
	return fm.text(f)
}

// translate turns a checked expr tree into closures. ok is false when
// the tree uses something not translated.
func translate(n ast.Node, l *layout) (fm formula, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	t := translator{l: l}
	fm = t.node(n)
	return fm, !t.failed && fm.kind != 0
}

type translator struct {
	l      *layout
	failed bool
}

func (t *translator) fail() formula { t.failed = true; return formula{} }

func num(fn func(*frame) float64) formula { return formula{kind: kindNum, num: fn} }
func flag(fn func(*frame) bool) formula   { return formula{kind: kindBool, flag: fn} }
func text(fn func(*frame) string) formula { return formula{kind: kindText, text: fn} }
func constNum(v float64) formula          { return num(func(*frame) float64 { return v }) }
func constFlag(v bool) formula            { return flag(func(*frame) bool { return v }) }
func constText(v string) formula          { return text(func(*frame) string { return v }) }

func (t *translator) node(n ast.Node) formula {
	if t.failed {
		return formula{}
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		s, ok := t.l.slots[n.Value]
		if !ok {
			return t.fail()
		}
		i := s.idx
		switch s.kind {
		case kindNum:
			return num(func(f *frame) float64 { return f.num[i] })
		case kindBool:
			return flag(func(f *frame) bool { return f.flag[i] })
		default:
			t.l.used[i] = true
			return text(func(f *frame) string { return f.text[i] })
		}
	case *ast.IntegerNode:
		return constNum(float64(n.Value))
	case *ast.FloatNode:
		return constNum(n.Value)
	case *ast.BoolNode:
		return constFlag(n.Value)
	case *ast.StringNode:
		return constText(n.Value)
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			return constNum(float64(v))
		case float64:
			return constNum(v)
		case bool:
			return constFlag(v)
		case string:
			return constText(v)
		}
		return t.fail()
	case *ast.UnaryNode:
		x := t.node(n.Node)
		switch {
		case (n.Operator == "!" || n.Operator == "not") && x.kind == kindBool:
			return flag(func(f *frame) bool { return !x.flag(f) })
		case n.Operator == "-" && x.kind == kindNum:
			return num(func(f *frame) float64 { return -x.num(f) })
		case n.Operator == "+" && x.kind == kindNum:
			return x
		}
		return t.fail()
	case *ast.BinaryNode:
		return t.binary(n)
	case *ast.ConditionalNode:
		c, a, b := t.node(n.Cond), t.node(n.Exp1), t.node(n.Exp2)
		if c.kind != kindBool || a.kind != b.kind {
			return t.fail()
		}
		switch a.kind {
		case kindNum:
			return num(func(f *frame) float64 {
				if c.flag(f) {
					return a.num(f)
				}
				return b.num(f)
			})
		case kindBool:
			return flag(func(f *frame) bool {
				if c.flag(f) {
					return a.flag(f)
				}
				return b.flag(f)
			})
		default:
			return text(func(f *frame) string {
				if c.flag(f) {
					return a.text(f)
				}
				return b.text(f)
			})
		}
	case *ast.BuiltinNode:
		return t.builtin(n.Name, n.Arguments)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return t.builtin(id.Value, n.Arguments)
		}
		return t.fail()
	}
	return t.fail()
}

func (t *translator) nums(args []ast.Node) []func(*frame) float64 {
	out := make([]func(*frame) float64, len(args))
	for i, a := range args {
		x := t.node(a)
		if x.kind != kindNum {
			t.failed = true
			return nil
		}
		out[i] = x.num
	}
	return out
}

func (t *translator) builtin(name string, args []ast.Node) formula {
	xs := t.nums(args)
	if t.failed {
		return formula{}
	}
	switch {
	case name == "abs" && len(xs) == 1:
		a := xs[0]
		return num(func(f *frame) float64 { return math.Abs(a(f)) })
	case name == "round2" && len(xs) == 1:
		a := xs[0]
		return num(func(f *frame) float64 { return jixiao.Round2(a(f)) })
	case name == "roundTo" && len(xs) == 2:
		a, p := xs[0], xs[1]
		return num(func(f *frame) float64 { return jixiao.RoundPlaces(a(f), int(p(f))) })
	case name == "round" && len(xs) == 1:
		a := xs[0]
		return num(func(f *frame) float64 { return math.Round(a(f)) })
	case name == "floor" && len(xs) == 1:
		a := xs[0]
		return num(func(f *frame) float64 { return math.Floor(a(f)) })
	case name == "ceil" && len(xs) == 1:
		a := xs[0]
		return num(func(f *frame) float64 { return math.Ceil(a(f)) })
	case name == "float" && len(xs) == 1:
		return num(xs[0])
	case name == "int" && len(xs) == 1:
		a := xs[0]
		return num(func(f *frame) float64 { return math.Trunc(a(f)) })
	case (name == "min" || name == "max") && len(xs) == 2:
		a, b := xs[0], xs[1]
		if name == "min" {
			return num(func(f *frame) float64 {
				x, y := a(f), b(f)
				if y < x {
					return y
				}
				return x
			})
		}
		return num(func(f *frame) float64 {
			x, y := a(f), b(f)
			if y > x {
				return y
			}
			return x
		})
	}
	return t.fail()
}

func (t *translator) binary(n *ast.BinaryNode) formula {
	a, b := t.node(n.Left), t.node(n.Right)
	if t.failed {
		return formula{}
	}
	op := n.Operator
	switch {
	case a.kind == kindNum && b.kind == kindNum:
		x, y := a.num, b.num
		switch op {
		case "+":
			return num(func(f *frame) float64 { return x(f) + y(f) })
		case "-":
			return num(func(f *frame) float64 { return x(f) - y(f) })
		case "*":
			return num(func(f *frame) float64 { return x(f) * y(f) })
		case "/":
			return num(func(f *frame) float64 { return x(f) / y(f) })
		case "**", "^":
			return num(func(f *frame) float64 { return math.Pow(x(f), y(f)) })
		case "<":
			return flag(func(f *frame) bool { return x(f) < y(f) })
		case "<=":
			return flag(func(f *frame) bool { return x(f) <= y(f) })
		case ">":
			return flag(func(f *frame) bool { return x(f) > y(f) })
		case ">=":
			return flag(func(f *frame) bool { return x(f) >= y(f) })
		case "==":
			return flag(func(f *frame) bool { return x(f) == y(f) })
		case "!=":
			return flag(func(f *frame) bool { return x(f) != y(f) })
		}
	case a.kind == kindBool && b.kind == kindBool:
		x, y := a.flag, b.flag
		switch op {
		case "&&", "and":
			return flag(func(f *frame) bool { return x(f) && y(f) })
		case "||", "or":
			return flag(func(f *frame) bool { return x(f) || y(f) })
		case "==":
			return flag(func(f *frame) bool { return x(f) == y(f) })
		case "!=":
			return flag(func(f *frame) bool { return x(f) != y(f) })
		}
	case a.kind == kindText && b.kind == kindText:
		x, y := a.text, b.text
		switch op {
		case "==":
			return flag(func(f *frame) bool { return x(f) == y(f) })
		case "!=":
			return flag(func(f *frame) bool { return x(f) != y(f) })
		case "+":
			return text(func(f *frame) string { return x(f) + y(f) })
		case "contains":
			return flag(func(f *frame) bool { return strings.Contains(x(f), y(f)) })
		case "startsWith":
			return flag(func(f *frame) bool { return strings.HasPrefix(x(f), y(f)) })
		case "endsWith":
			return flag(func(f *frame) bool { return strings.HasSuffix(x(f), y(f)) })
		}
	}
	return t.fail()
}
