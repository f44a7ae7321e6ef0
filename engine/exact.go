package engine

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"

	"jixiao"
)

// The exact evaluator gives every formula its mathematical meaning: the
// inputs are the decimals people wrote (a float64 input stands for the
// shortest decimal that reads back as it: 0.1 is one tenth), and +, −, ×,
// ÷ are exact rational arithmetic. Division by zero gives an infinity
// (or NaN for 0/0), as in float64, so that the two evaluations mean the
// same thing everywhere; there is no negative zero.
//
// The fast path (fast.go) evaluates in float64 with an error bound and
// calls back here for one sub-formula whenever the bound cannot decide a
// comparison or a rounding.

// xnum is an exact number: a rational, or one of ±Inf and NaN.
type xnum struct {
	r   big.Rat
	inf int8 // +1 or −1: an infinity
	nan bool
}

// maxExactBits bounds the size of a rational the evaluator will build, so
// that a formula such as x**64**64 fails instead of exhausting memory.
const maxExactBits = 1 << 16

var errTooLarge = errors.New("the formula's exact value has too many digits to compute")

func (x *xnum) finite() bool { return !x.nan && x.inf == 0 }

func xnanv() *xnum         { return &xnum{nan: true} }
func xinfv(sign int) *xnum { return &xnum{inf: int8(sign)} }

func xint(n int64) *xnum {
	x := &xnum{}
	x.r.SetInt64(n)
	return x
}

// xfloat returns the exact value a float64 input stands for: the shortest
// decimal that reads back as f.
func xfloat(f float64) *xnum {
	switch {
	case math.IsNaN(f):
		return xnanv()
	case math.IsInf(f, 1):
		return xinfv(1)
	case math.IsInf(f, -1):
		return xinfv(-1)
	}
	x := &xnum{}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		x.r.SetInt64(int64(f))
		return x
	}
	x.r.SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return x
}

// float returns the float64 nearest to x.
func (x *xnum) float() float64 {
	switch {
	case x.nan:
		return math.NaN()
	case x.inf != 0:
		return math.Inf(int(x.inf))
	}
	f, _ := x.r.Float64()
	return f
}

func (x *xnum) sign() int {
	switch {
	case x.nan:
		return 0
	case x.inf != 0:
		return int(x.inf)
	}
	return x.r.Sign()
}

func (x *xnum) size() int {
	return x.r.Num().BitLen() + x.r.Denom().BitLen()
}

func checked(x *xnum) (*xnum, error) {
	if x.finite() && x.size() > maxExactBits {
		return nil, errTooLarge
	}
	return x, nil
}

func xadd(a, b *xnum) (*xnum, error) {
	switch {
	case a.nan || b.nan:
		return xnanv(), nil
	case a.inf != 0 && b.inf != 0:
		if a.inf != b.inf {
			return xnanv(), nil
		}
		return xinfv(int(a.inf)), nil
	case a.inf != 0:
		return xinfv(int(a.inf)), nil
	case b.inf != 0:
		return xinfv(int(b.inf)), nil
	}
	z := &xnum{}
	z.r.Add(&a.r, &b.r)
	return checked(z)
}

func xneg(a *xnum) *xnum {
	z := &xnum{nan: a.nan, inf: -a.inf}
	z.r.Neg(&a.r)
	return z
}

func xsub(a, b *xnum) (*xnum, error) { return xadd(a, xneg(b)) }

func xmul(a, b *xnum) (*xnum, error) {
	switch {
	case a.nan || b.nan:
		return xnanv(), nil
	case a.inf != 0 || b.inf != 0:
		s := a.sign() * b.sign()
		if s == 0 {
			return xnanv(), nil // ∞ × 0
		}
		return xinfv(s), nil
	}
	z := &xnum{}
	z.r.Mul(&a.r, &b.r)
	return checked(z)
}

func xdiv(a, b *xnum) (*xnum, error) {
	switch {
	case a.nan || b.nan:
		return xnanv(), nil
	case a.inf != 0 && b.inf != 0:
		return xnanv(), nil
	case a.inf != 0:
		s := a.sign()
		if b.sign() < 0 {
			s = -s
		}
		return xinfv(s), nil
	case b.inf != 0:
		return &xnum{}, nil
	case b.r.Sign() == 0:
		if a.r.Sign() == 0 {
			return xnanv(), nil
		}
		return xinfv(a.r.Sign()), nil
	}
	z := &xnum{}
	z.r.Quo(&a.r, &b.r)
	return checked(z)
}

// xpow raises a to a whole-number power.
func xpow(a *xnum, n int64) (*xnum, error) {
	if n == 0 {
		return xint(1), nil // as math.Pow: anything to the 0th is 1
	}
	if !a.finite() {
		return xfloat(math.Pow(a.float(), float64(n))), nil
	}
	if a.r.Sign() == 0 {
		if n < 0 {
			return xinfv(1), nil
		}
		return &xnum{}, nil
	}
	if int64(a.size())*abs(n) > maxExactBits {
		return nil, errTooLarge
	}
	z := xint(1)
	for i := int64(0); i < abs(n); i++ {
		z.r.Mul(&z.r, &a.r)
	}
	if n < 0 {
		z.r.Inv(&z.r)
	}
	return z, nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// xcmp compares as float64 does: ok is false when either is NaN.
func xcmp(a, b *xnum) (c int, ok bool) {
	if a.nan || b.nan {
		return 0, false
	}
	if a.inf != 0 || b.inf != 0 {
		x, y := int(a.inf), int(b.inf)
		switch {
		case x == y:
			return 0, true
		case x < y:
			return -1, true
		}
		return 1, true
	}
	return a.r.Cmp(&b.r), true
}

// xround rounds a half away from zero to places decimals (places may be
// negative for tens, hundreds…). NaN and infinities are returned as they are.
func xround(a *xnum, places int) *xnum {
	if !a.finite() {
		return a
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(places, 0))), nil)
	// n = floor(|a| × scale + 1/2)
	num := new(big.Int).Abs(a.r.Num())
	num.Mul(num, scale)
	num.Mul(num, big.NewInt(2))
	num.Add(num, a.r.Denom())
	den := new(big.Int).Mul(a.r.Denom(), big.NewInt(2))
	num.Quo(num, den)
	if a.r.Sign() < 0 {
		num.Neg(num)
	}
	z := &xnum{}
	z.r.SetFrac(num, scale)
	return z
}

// xfloor, xceil and xtrunc give whole numbers.
func xfloor(a *xnum) *xnum {
	if !a.finite() {
		return a
	}
	q, m := new(big.Int).DivMod(a.r.Num(), a.r.Denom(), new(big.Int)) // Euclidean: m ≥ 0
	_ = m
	z := &xnum{}
	z.r.SetInt(q)
	return z
}

func xceil(a *xnum) *xnum { return xneg(xfloor(xneg(a))) }

func xtrunc(a *xnum) *xnum {
	if a.sign() < 0 {
		return xceil(a)
	}
	return xfloor(a)
}

// xroundTo is roundTo and round2: half-up (away from zero), places clamped
// to 0–6; NaN and infinities stay what they are.
func xroundTo(a *xnum, places int) *xnum {
	return xround(a, max(0, min(places, 6)))
}

// exactValue is a formula's exact result: num, a bool or a string.
type exactValue struct {
	num  *xnum
	flag bool
	text string
}

// exactEval evaluates a checked formula tree exactly over a frame.
type exactEval struct {
	f *frame
	l *layout
}

func (x *exactEval) eval(n ast.Node) (exactValue, error) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		s, ok := x.l.slots[n.Value]
		if !ok {
			return exactValue{}, fmt.Errorf("unknown name %s", n.Value)
		}
		switch s.kind {
		case kindBool:
			return exactValue{flag: x.f.flag[s.idx]}, nil
		case kindText:
			return exactValue{text: x.f.text[s.idx]}, nil
		}
		v, err := x.f.exactSlot(s.idx, x.l)
		return exactValue{num: v}, err
	case *ast.IntegerNode:
		return exactValue{num: xint(int64(n.Value))}, nil
	case *ast.FloatNode:
		return exactValue{num: xfloat(n.Value)}, nil
	case *ast.BoolNode:
		return exactValue{flag: n.Value}, nil
	case *ast.StringNode:
		return exactValue{text: n.Value}, nil
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			return exactValue{num: xint(int64(v))}, nil
		case float64:
			return exactValue{num: xfloat(v)}, nil
		case bool:
			return exactValue{flag: v}, nil
		case string:
			return exactValue{text: v}, nil
		}
	case *ast.UnaryNode:
		a, err := x.eval(n.Node)
		if err != nil {
			return a, err
		}
		switch n.Operator {
		case "!", "not":
			return exactValue{flag: !a.flag}, nil
		case "-":
			return exactValue{num: xneg(a.num)}, nil
		case "+":
			return a, nil
		}
	case *ast.ConditionalNode:
		c, err := x.eval(n.Cond)
		if err != nil {
			return c, err
		}
		if c.flag {
			return x.eval(n.Exp1)
		}
		return x.eval(n.Exp2)
	case *ast.BinaryNode:
		return x.binary(n)
	case *ast.BuiltinNode:
		return x.call(n.Name, n.Arguments)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return x.call(id.Value, n.Arguments)
		}
	}
	return exactValue{}, fmt.Errorf("cannot evaluate %s exactly", describe(n))
}

func (x *exactEval) binary(n *ast.BinaryNode) (exactValue, error) {
	switch n.Operator {
	case "&&", "and", "||", "or":
		a, err := x.eval(n.Left)
		if err != nil {
			return a, err
		}
		and := n.Operator == "&&" || n.Operator == "and"
		if a.flag != and { // false && …, true || …
			return a, nil
		}
		return x.eval(n.Right)
	}
	a, err := x.eval(n.Left)
	if err != nil {
		return a, err
	}
	if n.Operator == "in" {
		arr, ok := n.Right.(*ast.ArrayNode)
		if !ok {
			return exactValue{}, fmt.Errorf("in needs a list of values")
		}
		for _, item := range arr.Nodes {
			b, err := x.eval(item)
			if err != nil {
				return b, err
			}
			if a.num == nil && a.text == b.text {
				return exactValue{flag: true}, nil
			}
			if a.num != nil {
				if c, ok := xcmp(a.num, b.num); ok && c == 0 {
					return exactValue{flag: true}, nil
				}
			}
		}
		return exactValue{flag: false}, nil
	}
	b, err := x.eval(n.Right)
	if err != nil {
		return b, err
	}
	if a.num == nil || b.num == nil {
		switch n.Operator {
		case "==":
			return exactValue{flag: a.text == b.text && a.flag == b.flag}, nil
		case "!=":
			return exactValue{flag: a.text != b.text || a.flag != b.flag}, nil
		case "+":
			return exactValue{text: a.text + b.text}, nil
		case "contains":
			return exactValue{flag: strings.Contains(a.text, b.text)}, nil
		case "startsWith":
			return exactValue{flag: strings.HasPrefix(a.text, b.text)}, nil
		case "endsWith":
			return exactValue{flag: strings.HasSuffix(a.text, b.text)}, nil
		}
		return exactValue{}, fmt.Errorf("cannot evaluate %s exactly", n.Operator)
	}
	var z *xnum
	switch n.Operator {
	case "+":
		z, err = xadd(a.num, b.num)
	case "-":
		z, err = xsub(a.num, b.num)
	case "*":
		z, err = xmul(a.num, b.num)
	case "/":
		z, err = xdiv(a.num, b.num)
	case "%":
		if b.num.sign() == 0 {
			return exactValue{}, errIntegerDivide
		}
		q := xtrunc(mustDiv(a.num, b.num))
		qb, _ := xmul(q, b.num)
		z, err = xsub(a.num, qb)
	case "**", "^":
		e, _ := b.num.r.Float64()
		z, err = xpow(a.num, int64(e))
	case "<", "<=", ">", ">=", "==", "!=":
		c, ok := xcmp(a.num, b.num)
		return exactValue{flag: compareResult(n.Operator, c, ok)}, nil
	default:
		return exactValue{}, fmt.Errorf("cannot evaluate %s exactly", n.Operator)
	}
	return exactValue{num: z}, err
}

var errIntegerDivide = errors.New("integer divide by zero")

func mustDiv(a, b *xnum) *xnum {
	z, _ := xdiv(a, b)
	return z
}

// compareResult applies a comparison operator to a three-way result; ok
// is false when NaN took part (then only != holds).
func compareResult(op string, c int, ok bool) bool {
	if !ok {
		return op == "!="
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "==":
		return c == 0
	}
	return c != 0
}

func (x *exactEval) call(name string, args []ast.Node) (exactValue, error) {
	vals := make([]exactValue, len(args))
	for i, a := range args {
		v, err := x.eval(a)
		if err != nil {
			return v, err
		}
		vals[i] = v
	}
	num := func(i int) *xnum { return vals[i].num }
	switch name {
	case "abs":
		if num(0).sign() < 0 {
			return exactValue{num: xneg(num(0))}, nil
		}
		return vals[0], nil
	case "round2":
		return exactValue{num: xroundTo(num(0), 2)}, nil
	case "roundTo":
		p, _ := num(1).r.Float64()
		return exactValue{num: xroundTo(num(0), int(p))}, nil
	case "round":
		return exactValue{num: xround(num(0), 0)}, nil
	case "floor":
		return exactValue{num: xfloor(num(0))}, nil
	case "ceil":
		return exactValue{num: xceil(num(0))}, nil
	case "int":
		return exactValue{num: xtrunc(num(0))}, nil
	case "float":
		return vals[0], nil
	case "min", "max":
		best := num(0)
		for _, v := range vals[1:] {
			c, ok := xcmp(best, v.num)
			if ok && (name == "min" && c > 0 || name == "max" && c < 0) {
				best = v.num
			}
		}
		return exactValue{num: best}, nil
	case "len":
		return exactValue{num: xint(int64(utf8.RuneCountInString(vals[0].text)))}, nil
	case "trim":
		if len(vals) == 2 {
			return exactValue{text: strings.Trim(vals[0].text, vals[1].text)}, nil
		}
		return exactValue{text: strings.TrimSpace(vals[0].text)}, nil
	case "upper":
		return exactValue{text: strings.ToUpper(vals[0].text)}, nil
	case "lower":
		return exactValue{text: strings.ToLower(vals[0].text)}, nil
	case "hasPrefix":
		return exactValue{flag: strings.HasPrefix(vals[0].text, vals[1].text)}, nil
	case "hasSuffix":
		return exactValue{flag: strings.HasSuffix(vals[0].text, vals[1].text)}, nil
	}
	return exactValue{}, fmt.Errorf("cannot evaluate %s exactly", name)
}

// maxHundredths bounds a Decimal made from a formula's value, as
// jixiao.RoundFloat does: ±10^15.
const maxHundredths = 1e17

// toDecimal turns roundNum's result at two places into a Decimal. ok is
// false for NaN and infinities; values beyond ±10^15 saturate.
func toDecimal(n float64, x *xnum) (jixiao.Decimal, bool) {
	if x == nil {
		return jixiao.Decimal(n), true
	}
	if !x.finite() {
		return 0, false
	}
	h := new(big.Rat).Mul(&x.r, big.NewRat(100, 1))
	q := new(big.Int).Quo(h.Num(), h.Denom())
	switch {
	case q.Cmp(big.NewInt(maxHundredths)) > 0:
		return maxHundredths, true
	case q.Cmp(big.NewInt(-maxHundredths)) < 0:
		return -maxHundredths, true
	}
	return jixiao.Decimal(q.Int64()), true
}

// roundFloat is round2 and roundTo on expr's VM, which the tests run as
// the reference of float64 semantics: the decimal a float64 reads as,
// rounded half away from zero.
func roundFloat(v float64, places int) float64 {
	return xroundTo(xfloat(v), places).float()
}
