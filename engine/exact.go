package engine

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"sync"
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

// xnum is an exact number: a rational, or one of ±Inf and NaN. A rational
// whose numerator and denominator are below 2^62 is kept as n/d in int64s
// (small), which covers nearly every value a rule formula meets and costs
// no allocation; others live in r.
type xnum struct {
	small bool
	n, d  int64 // when small: n/d, d > 0, lowest terms
	r     big.Rat
	inf   int8 // +1 or −1: an infinity
	nan   bool
}

// smallLimit bounds the parts of a small rational, so that sums and
// differences of two such parts cannot overflow.
const smallLimit = 1 << 62

func gcd64(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func abs64(n int64) uint64 {
	if n < 0 {
		return uint64(-n)
	}
	return uint64(n)
}

// setSmall sets z to the fraction sign·num/den (den > 0) in lowest terms,
// as a small rational when it fits, else in r.
func (z *xnum) setSmall(neg bool, num, den uint64) {
	if g := gcd64(num, den); g > 1 {
		num, den = num/g, den/g
	}
	if num < smallLimit && den < smallLimit {
		z.small, z.n, z.d = true, int64(num), int64(den)
		if neg {
			z.n = -z.n
		}
		return
	}
	z.small = false
	z.r.SetFrac(new(big.Int).SetUint64(num), new(big.Int).SetUint64(den))
	if neg {
		z.r.Neg(&z.r)
	}
}

// setRat sets z from r, small when it fits.
func (z *xnum) setRat(r *big.Rat) {
	num, den := r.Num(), r.Denom()
	if num.IsInt64() && den.IsInt64() && abs64(num.Int64()) < smallLimit && den.Int64() < smallLimit {
		z.small, z.n, z.d = true, num.Int64(), den.Int64()
		return
	}
	z.small = false
	if &z.r != r {
		z.r.Set(r)
	}
}

// rat returns x as a big.Rat (for a small x, in x.r).
func (x *xnum) rat() *big.Rat {
	if x.small {
		x.r.SetFrac64(x.n, x.d)
	}
	return &x.r
}

// maxExactBits bounds the size of a rational the evaluator will build, so
// that a formula such as x**64**64 fails instead of exhausting memory.
const maxExactBits = 1 << 16

var errTooLarge = errors.New("the formula's exact value has too many digits to compute")

func (x *xnum) finite() bool { return !x.nan && x.inf == 0 }

// arenaBlock is how many numbers an arena allocates at a time.
const arenaBlock = 64

// arena hands out the exact numbers of one project. It is reset when the
// next project starts; the numbers keep their big.Rat memory, so after the
// first projects the exact path reuses it instead of allocating.
type arena struct {
	blocks [][]xnum
	next   int
	t1, t2 big.Int // scratch
}

func (a *arena) reset() { a.next = 0 }

// x returns a number to overwrite.
func (a *arena) x() *xnum {
	b, i := a.next/arenaBlock, a.next%arenaBlock
	if b == len(a.blocks) {
		a.blocks = append(a.blocks, make([]xnum, arenaBlock))
	}
	a.next++
	z := &a.blocks[b][i]
	z.inf, z.nan, z.small, z.n, z.d = 0, false, true, 0, 1
	return z
}

func (a *arena) nan() *xnum {
	z := a.x()
	z.nan = true
	return z
}

func (a *arena) inf(sign int) *xnum {
	z := a.x()
	z.inf = int8(sign)
	return z
}

func (a *arena) int(n int64) *xnum {
	z := a.x()
	z.setSmall(n < 0, abs64(n), 1)
	return z
}

// pow10u holds 10^0 … 10^18.
var pow10u = func() (p [19]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

var (
	pow10Once sync.Once
	pow10Big  []big.Int // 10^0 … 10^399
)

func bigPow10(n int) *big.Int {
	pow10Once.Do(func() {
		pow10Big = make([]big.Int, 400)
		pow10Big[0].SetInt64(1)
		ten := big.NewInt(10)
		for i := 1; i < len(pow10Big); i++ {
			pow10Big[i].Mul(&pow10Big[i-1], ten)
		}
	})
	return &pow10Big[n]
}

// float returns the exact value a float64 input stands for: the shortest
// decimal that reads back as f.
func (a *arena) float(f float64) *xnum {
	switch {
	case math.IsNaN(f):
		return a.nan()
	case math.IsInf(f, 1):
		return a.inf(1)
	case math.IsInf(f, -1):
		return a.inf(-1)
	}
	z := a.x()
	if f == math.Trunc(f) && math.Abs(f) < maxExact {
		z.setSmall(f < 0, uint64(math.Abs(f)), 1)
		return z
	}
	// d.ddddde±XX: at most 17 digits, which fit in an int64
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var m int64
	point, after, i := false, 0, 0
	for ; i < len(s) && s[i] != 'e'; i++ {
		if s[i] == '.' {
			point = true
			continue
		}
		m = m*10 + int64(s[i]-'0')
		if point {
			after++
		}
	}
	e := 0
	for _, c := range s[i+2:] {
		e = e*10 + int(c-'0')
	}
	if s[i+1] == '-' {
		e = -e
	}
	exp := e - after
	if exp < 0 && exp >= -18 {
		z.setSmall(neg, uint64(m), pow10u[-exp])
		return z
	}
	if neg {
		m = -m
	}
	a.t1.SetInt64(m)
	if exp >= 0 {
		a.t1.Mul(&a.t1, bigPow10(exp))
		z.r.SetInt(&a.t1)
	} else {
		z.r.SetFrac(&a.t1, bigPow10(-exp))
	}
	z.setRat(&z.r)
	return z
}

// float returns the float64 nearest to x.
func (x *xnum) float() float64 {
	switch {
	case x.nan:
		return math.NaN()
	case x.inf != 0:
		return math.Inf(int(x.inf))
	case x.small && abs64(x.n) <= 1<<53 && x.d <= 1<<53:
		return float64(x.n) / float64(x.d) // both exact: one rounding
	}
	f, _ := x.rat().Float64()
	return f
}

func (x *xnum) sign() int {
	switch {
	case x.nan:
		return 0
	case x.inf != 0:
		return int(x.inf)
	case x.small:
		switch {
		case x.n < 0:
			return -1
		case x.n > 0:
			return 1
		}
		return 0
	}
	return x.r.Sign()
}

func (x *xnum) size() int {
	if x.small {
		return bits.Len64(abs64(x.n)) + bits.Len64(uint64(x.d))
	}
	return x.r.Num().BitLen() + x.r.Denom().BitLen()
}

func checked(x *xnum) (*xnum, error) {
	if x.finite() && x.size() > maxExactBits {
		return nil, errTooLarge
	}
	return x, nil
}

func (a *arena) add(x, y *xnum) (*xnum, error) {
	switch {
	case x.nan || y.nan:
		return a.nan(), nil
	case x.inf != 0 && y.inf != 0:
		if x.inf != y.inf {
			return a.nan(), nil
		}
		return a.inf(int(x.inf)), nil
	case x.inf != 0:
		return a.inf(int(x.inf)), nil
	case y.inf != 0:
		return a.inf(int(y.inf)), nil
	}
	z := a.x()
	if x.small && y.small && addSmall(z, x, y) {
		return z, nil
	}
	z.r.Add(x.rat(), y.rat())
	z.setRat(&z.r)
	return checked(z)
}

// mulSmall returns |p| × |q| when it is below 2^63.
func mulU(p, q uint64) (uint64, bool) {
	hi, lo := bits.Mul64(p, q)
	return lo, hi == 0 && lo < 1<<63
}

// addSmall sets z = x + y in int64s, reporting false on overflow.
func addSmall(z, x, y *xnum) bool {
	g := gcd64(uint64(x.d), uint64(y.d))
	dx, dy := uint64(x.d)/g, uint64(y.d)/g
	p, ok1 := mulU(abs64(x.n), dy)
	q, ok2 := mulU(abs64(y.n), dx)
	den, ok3 := mulU(uint64(x.d), dy)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	a, b := int64(p), int64(q)
	if x.n < 0 {
		a = -a
	}
	if y.n < 0 {
		b = -b
	}
	sum := a + b // |a|, |b| < 2^63 … but may overflow
	if (a > 0 && b > 0 && sum < 0) || (a < 0 && b < 0 && sum >= 0) {
		return false
	}
	if sum == math.MinInt64 {
		return false
	}
	z.setSmall(sum < 0, abs64(sum), den)
	return z.small
}

func (a *arena) neg(x *xnum) *xnum {
	z := a.x()
	z.nan, z.inf = x.nan, -x.inf
	if x.small {
		z.n, z.d = -x.n, x.d
		return z
	}
	z.small = false
	z.r.Neg(&x.r)
	return z
}

func (a *arena) sub(x, y *xnum) (*xnum, error) { return a.add(x, a.neg(y)) }

func (a *arena) mul(x, y *xnum) (*xnum, error) {
	switch {
	case x.nan || y.nan:
		return a.nan(), nil
	case x.inf != 0 || y.inf != 0:
		s := x.sign() * y.sign()
		if s == 0 {
			return a.nan(), nil // ∞ × 0
		}
		return a.inf(s), nil
	}
	z := a.x()
	if x.small && y.small && mulSmall(z, x.n, x.d, y.n, y.d) {
		return z, nil
	}
	z.r.Mul(x.rat(), y.rat())
	z.setRat(&z.r)
	return checked(z)
}

// mulSmall sets z = (n1/d1)(n2/d2) in int64s, reporting false on overflow.
func mulSmall(z *xnum, n1, d1, n2, d2 int64) bool {
	a, b := abs64(n1), abs64(n2)
	c, d := uint64(d1), uint64(d2)
	if g := gcd64(a, d); g > 1 {
		a, d = a/g, d/g
	}
	if g := gcd64(b, c); g > 1 {
		b, c = b/g, c/g
	}
	num, ok1 := mulU(a, b)
	den, ok2 := mulU(c, d)
	if !ok1 || !ok2 {
		return false
	}
	z.setSmall((n1 < 0) != (n2 < 0) && num != 0, num, den)
	return z.small
}

func (a *arena) div(x, y *xnum) (*xnum, error) {
	switch {
	case x.nan || y.nan:
		return a.nan(), nil
	case x.inf != 0 && y.inf != 0:
		return a.nan(), nil
	case x.inf != 0:
		s := x.sign()
		if y.sign() < 0 {
			s = -s
		}
		return a.inf(s), nil
	case y.inf != 0:
		return a.int(0), nil
	case y.sign() == 0:
		if x.sign() == 0 {
			return a.nan(), nil
		}
		return a.inf(x.sign()), nil
	}
	z := a.x()
	if x.small && y.small {
		dn, dd := y.d, y.n // 1/y
		if dd < 0 {
			dn, dd = -dn, -dd
		}
		if mulSmall(z, x.n, x.d, dn, dd) {
			return z, nil
		}
	}
	z.r.Quo(x.rat(), y.rat())
	z.setRat(&z.r)
	return checked(z)
}

// pow raises x to a whole-number power.
func (a *arena) pow(x *xnum, n int64) (*xnum, error) {
	if n == 0 {
		return a.int(1), nil // as math.Pow: anything to the 0th is 1
	}
	if !x.finite() {
		return a.float(math.Pow(x.float(), float64(n))), nil
	}
	if x.sign() == 0 {
		if n < 0 {
			return a.inf(1), nil
		}
		return a.int(0), nil
	}
	if int64(x.size())*abs(n) > maxExactBits {
		return nil, errTooLarge
	}
	z := a.int(1)
	for i := int64(0); i < abs(n); i++ {
		var err error
		if z, err = a.mul(z, x); err != nil {
			return nil, err
		}
	}
	if n < 0 {
		return a.div(a.int(1), z)
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
func xcmp(x, y *xnum) (c int, ok bool) {
	if x.nan || y.nan {
		return 0, false
	}
	if x.inf != 0 || y.inf != 0 {
		p, q := int(x.inf), int(y.inf)
		switch {
		case p == q:
			return 0, true
		case p < q:
			return -1, true
		}
		return 1, true
	}
	if x.small && y.small {
		// compare x.n·y.d with y.n·x.d
		sx, sy := x.sign(), y.sign()
		if sx != sy {
			if sx < sy {
				return -1, true
			}
			return 1, true
		}
		h1, l1 := bits.Mul64(abs64(x.n), uint64(y.d))
		h2, l2 := bits.Mul64(abs64(y.n), uint64(x.d))
		c := 0
		switch {
		case h1 < h2 || h1 == h2 && l1 < l2:
			c = -1
		case h1 > h2 || h1 == h2 && l1 > l2:
			c = 1
		}
		return c * sx, true
	}
	return x.rat().Cmp(y.rat()), true
}

// round rounds x half away from zero to places decimals (0 to 6 for the
// formulas; more for printing). NaN and infinities stay what they are.
func (a *arena) round(x *xnum, places int) *xnum {
	if !x.finite() {
		return x
	}
	places = max(places, 0)
	if x.small && places <= 18 {
		// n = floor((2·|num|·scale + den) / (2·den)) in 128 bits
		hi, lo := bits.Mul64(abs64(x.n), pow10u[places])
		hi, lo = hi<<1|lo>>63, lo<<1
		var carry uint64
		lo, carry = bits.Add64(lo, uint64(x.d), 0)
		hi += carry
		den := uint64(x.d) << 1
		if hi < den {
			q, _ := bits.Div64(hi, lo, den)
			z := a.x()
			z.setSmall(x.n < 0 && q != 0, q, pow10u[places])
			if z.small {
				return z
			}
		}
	}
	x.rat()
	scale := bigPow10(places)
	num, den := &a.t1, &a.t2
	num.Abs(x.r.Num())
	num.Mul(num, scale)
	num.Lsh(num, 1)
	num.Add(num, x.r.Denom())
	den.Lsh(x.r.Denom(), 1)
	num.Quo(num, den)
	if x.r.Sign() < 0 {
		num.Neg(num)
	}
	z := a.x()
	z.r.SetFrac(num, scale)
	z.setRat(&z.r)
	return z
}

// floor, ceil and trunc give whole numbers.
func (a *arena) floor(x *xnum) *xnum {
	if !x.finite() {
		return x
	}
	z := a.x()
	if x.small {
		q := x.n / x.d
		if x.n%x.d != 0 && x.n < 0 {
			q--
		}
		z.setSmall(q < 0, abs64(q), 1)
		return z
	}
	a.t1.Div(x.r.Num(), x.r.Denom()) // Euclidean: rounds toward −∞ for a positive divisor
	z.r.SetInt(&a.t1)
	z.setRat(&z.r)
	return z
}

func (a *arena) ceil(x *xnum) *xnum { return a.neg(a.floor(a.neg(x))) }

func (a *arena) trunc(x *xnum) *xnum {
	if x.sign() < 0 {
		return a.ceil(x)
	}
	return a.floor(x)
}

// roundTo is roundTo and round2: half-up (away from zero), places clamped
// to 0–6; NaN and infinities stay what they are.
func (a *arena) roundTo(x *xnum, places int) *xnum {
	return a.round(x, max(0, min(places, 6)))
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

func (x *exactEval) a() *arena { return &x.f.arena }

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
		return exactValue{num: x.a().int(int64(n.Value))}, nil
	case *ast.FloatNode:
		return exactValue{num: x.a().float(n.Value)}, nil
	case *ast.BoolNode:
		return exactValue{flag: n.Value}, nil
	case *ast.StringNode:
		return exactValue{text: n.Value}, nil
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			return exactValue{num: x.a().int(int64(v))}, nil
		case float64:
			return exactValue{num: x.a().float(v)}, nil
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
			return exactValue{num: x.a().neg(a.num)}, nil
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
			if len(a.text)+len(b.text) > MaxTextBytes {
				return exactValue{}, errTextTooLong
			}
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
	ar := x.a()
	switch n.Operator {
	case "+":
		z, err = ar.add(a.num, b.num)
	case "-":
		z, err = ar.sub(a.num, b.num)
	case "*":
		z, err = ar.mul(a.num, b.num)
	case "/":
		z, err = ar.div(a.num, b.num)
	case "%":
		if b.num.sign() == 0 {
			return exactValue{}, errIntegerDivide
		}
		q, _ := ar.div(a.num, b.num)
		qb, _ := ar.mul(ar.trunc(q), b.num)
		z, err = ar.sub(a.num, qb)
	case "**", "^":
		z, err = ar.pow(a.num, int64(b.num.float()))
	case "<", "<=", ">", ">=", "==", "!=":
		c, ok := xcmp(a.num, b.num)
		return exactValue{flag: compareResult(n.Operator, c, ok)}, nil
	default:
		return exactValue{}, fmt.Errorf("cannot evaluate %s exactly", n.Operator)
	}
	return exactValue{num: z}, err
}

var errIntegerDivide = errors.New("integer divide by zero")

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
	ar := x.a()
	switch name {
	case "abs":
		if num(0).sign() < 0 {
			return exactValue{num: ar.neg(num(0))}, nil
		}
		return vals[0], nil
	case "round2":
		return exactValue{num: ar.roundTo(num(0), 2)}, nil
	case "roundTo":
		return exactValue{num: ar.roundTo(num(0), int(num(1).float()))}, nil
	case "round":
		return exactValue{num: ar.round(num(0), 0)}, nil
	case "floor":
		return exactValue{num: ar.floor(num(0))}, nil
	case "ceil":
		return exactValue{num: ar.ceil(num(0))}, nil
	case "int":
		return exactValue{num: ar.trunc(num(0))}, nil
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
		return exactValue{num: ar.int(int64(utf8.RuneCountInString(vals[0].text)))}, nil
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
	// x has at most two decimals: num × 100 / den is whole.
	if x.small {
		if h, ok := mulU(abs64(x.n), 100); ok {
			h /= uint64(x.d)
			if h > maxHundredths {
				h = maxHundredths
			}
			if x.n < 0 {
				return -jixiao.Decimal(h), true
			}
			return jixiao.Decimal(h), true
		}
	}
	var q big.Int
	q.Mul(x.rat().Num(), bigPow10(2))
	q.Quo(&q, x.r.Denom())
	switch {
	case !q.IsInt64() || q.Int64() > maxHundredths:
		if q.Sign() < 0 {
			return -maxHundredths, true
		}
		return maxHundredths, true
	case q.Int64() < -maxHundredths:
		return -maxHundredths, true
	}
	return jixiao.Decimal(q.Int64()), true
}

// roundFloat is round2 and roundTo on expr's VM, which the tests run as
// the reference of float64 semantics: the decimal a float64 reads as,
// rounded half away from zero.
func roundFloat(v float64, places int) float64 {
	var a arena
	return a.roundTo(a.float(v), places).float()
}
