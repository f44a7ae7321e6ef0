package jixiao

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Decimal is an exact quantity with two decimal places: yuan with cents, or
// points. It is stored as a count of hundredths so that sums of money and
// scores never pick up binary floating-point noise.
type Decimal int64

// Cents returns the Decimal worth n hundredths.
func Cents(n int64) Decimal { return Decimal(n) }

// Points returns the whole number n as a Decimal.
func Points(n int64) Decimal { return Decimal(n * 100) }

// ErrDecimalPlaces is returned for a number with more than two decimals.
var ErrDecimalPlaces = errors.New("more than 2 decimal places")

// maxDecimal bounds parsed values well inside int64 so that sums of a
// batch cannot overflow: 10^15 yuan is far beyond any budget.
const maxDecimal = 1e17

// maxExponent bounds the exponent of a parsed number. Any larger
// exponent gives a number that is zero, too large or has too many
// decimals, and the bound keeps the arithmetic on it from overflowing.
const maxExponent = 1 << 30

// ParseDecimal reads a plain decimal number such as "447438.63", "-5",
// "1e3" or "90.5" exactly. It refuses more than two significant decimal
// places rather than rounding money silently.
func ParseDecimal(s string) (Decimal, error) {
	w, err := scanNumber(s)
	if err != nil {
		return 0, err
	}
	return w.hundredths()
}

// written is a decimal number as scanned from text, its digits read in
// place: the value is ±(intPart followed by frac) × 10^(exp − len(frac)).
// Scanning allocates nothing, so neither does ParseDecimal.
type written struct {
	neg           bool
	intPart, frac string // digits only
	exp           int    // within ±maxExponent
}

// scanNumber is the one reader of decimal text: an optional sign, digits
// with an optional point (".5" and "5." are numbers, "." is not), and an
// optional exponent after e or E. Spaces around it are ignored.
func scanNumber(s string) (written, error) {
	var w written
	s = strings.TrimSpace(s)
	if s == "" {
		return w, errors.New("empty number")
	}
	switch s[0] {
	case '-':
		w.neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	expPart, hasExp := "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s, expPart, hasExp = s[:i], s[i+1:], true
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return w, errors.New("not a number")
	}
	if !allDigits(intPart) || !allDigits(frac) {
		return w, errors.New("not a number")
	}
	w.intPart, w.frac = intPart, frac
	if hasExp {
		// strconv.Atoi reports an overflow before it looks at the rest,
		// so the exponent's digits are checked first.
		if digits := strings.TrimLeft(expPart, "+-"); digits == "" || len(expPart)-len(digits) > 1 || !allDigits(digits) {
			return w, errors.New("invalid exponent")
		}
		e, err := strconv.Atoi(expPart)
		if err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return w, errors.New("invalid exponent")
			}
			// Beyond the range of int: only the sign matters below.
			e = maxExponent
			if expPart[0] == '-' {
				e = -maxExponent
			}
		}
		w.exp = max(-maxExponent, min(e, maxExponent))
	}
	return w, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digitAt is the i-th digit of intPart then frac.
func (w *written) digitAt(i int) byte {
	if i < len(w.intPart) {
		return w.intPart[i]
	}
	return w.frac[i-len(w.intPart)]
}

// hundredths converts the number to a Decimal, refusing more than two
// significant decimals and values beyond maxDecimal.
func (w *written) hundredths() (Decimal, error) {
	total := len(w.intPart) + len(w.frac)
	first := 0 // the first significant digit
	for first < total && w.digitAt(first) == '0' {
		first++
	}
	if first == total {
		return 0, nil // zero, whatever the exponent
	}
	// The value is digits × 10^(exp − len(frac)); we want hundredths.
	shift := w.exp - len(w.frac) + 2
	end := total
	if shift < 0 {
		end = first + max(total-first+shift, 0)
		for i := end; i < total; i++ {
			if w.digitAt(i) != '0' {
				return 0, ErrDecimalPlaces
			}
		}
		shift = 0
	} else if total-first+shift > 18 {
		return 0, errors.New("number too large")
	}
	if end == first {
		return 0, nil
	}
	if end-first > 18 {
		return 0, errors.New("number too large")
	}
	var n int64 // at most 18 digits: no overflow
	for i := first; i < end; i++ {
		n = n*10 + int64(w.digitAt(i)-'0')
	}
	for range shift {
		n *= 10
	}
	if n > maxDecimal {
		return 0, errors.New("number too large")
	}
	if w.neg {
		n = -n
	}
	return Decimal(n), nil
}

// Numeral is a decimal number read exactly, with any number of digits
// and decimals: ±digits × 10^exp. Readers of spreadsheets keep a cell's
// number as a Numeral to scale and round it in decimal (万元 to yuan, a
// formula's binary noise away) before it becomes a Decimal or a float.
type Numeral struct {
	neg    bool
	digits string // no leading or trailing zeros; "" is zero
	exp    int
}

// ParseNumeral reads decimal text with the grammar of ParseDecimal, but
// neither rounds nor bounds it: "-1234.5", ".5", "1.5E+3".
func ParseNumeral(s string) (Numeral, error) {
	w, err := scanNumber(s)
	if err != nil {
		return Numeral{}, err
	}
	return Numeral{neg: w.neg, digits: w.intPart + w.frac, exp: w.exp - len(w.frac)}.norm(), nil
}

// NumeralOf returns the whole number i.
func NumeralOf(i int64) Numeral {
	n := Numeral{neg: i < 0, digits: strconv.FormatUint(abs64(i), 10)}
	return n.norm()
}

func (n Numeral) norm() Numeral {
	d := strings.TrimLeft(n.digits, "0")
	t := strings.TrimRight(d, "0")
	if t == "" {
		return Numeral{}
	}
	n.exp += len(d) - len(t)
	n.digits = t
	return n
}

// Sign returns -1, 0 or +1.
func (n Numeral) Sign() int {
	switch {
	case n.digits == "":
		return 0
	case n.neg:
		return -1
	}
	return 1
}

// Cmp compares n and m: -1 when n < m, 0 when equal, +1 when n > m.
func (n Numeral) Cmp(m Numeral) int {
	if sn, sm := n.Sign(), m.Sign(); sn != sm || sn == 0 {
		return cmpInt(sn, sm)
	}
	c := n.cmpAbs(m)
	if n.neg {
		return -c
	}
	return c
}

// cmpAbs compares the magnitudes of two non-zero numerals.
func (n Numeral) cmpAbs(m Numeral) int {
	// The position of the leading digit decides, then the digits.
	if ln, lm := len(n.digits)+n.exp, len(m.digits)+m.exp; ln != lm {
		return cmpInt(ln, lm)
	}
	return strings.Compare(n.digits, m.digits)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Shift returns n × 10^k: a percentage's or 万元's scale, exactly.
func (n Numeral) Shift(k int) Numeral {
	if n.digits == "" {
		return n
	}
	n.exp += k
	return n
}

// RoundDigits rounds n half away from zero to at most k significant
// digits.
func (n Numeral) RoundDigits(k int) Numeral {
	if len(n.digits) <= k {
		return n
	}
	keep, up := n.digits[:k], n.digits[k] >= '5'
	n.exp += len(n.digits) - k
	if up {
		keep = incDigits(keep)
	}
	n.digits = keep
	return n.norm()
}

// RoundPlaces rounds n half away from zero to at most p decimals.
func (n Numeral) RoundPlaces(p int) Numeral {
	if n.digits == "" || n.exp >= -p {
		return n
	}
	k := len(n.digits) + n.exp + p // the digits that are kept
	switch {
	case k < 0:
		return Numeral{}
	case k == 0:
		if n.digits[0] >= '5' {
			return Numeral{neg: n.neg, digits: "1", exp: -p}
		}
		return Numeral{}
	}
	return n.RoundDigits(k)
}

// incDigits adds one to a string of digits.
func incDigits(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// Decimal converts n as ParseDecimal converts its text: with
// ErrDecimalPlaces beyond two significant decimals and an error for a
// number too large.
func (n Numeral) Decimal() (Decimal, error) {
	w := written{neg: n.neg, intPart: n.digits, exp: n.exp}
	return w.hundredths()
}

// Float64 is the float64 nearest to n; an error when n is beyond its
// range.
func (n Numeral) Float64() (float64, error) {
	// strconv.ParseFloat misplaces the exponent of a mantissa of more than
	// 800 digits written with an exponent ("1000…0444…4e-900" reads as
	// 1e-21). 780 digits decide the rounding of a float64: the rest
	// stands as one sticky digit 1 when it is not all zeros.
	const keep = 780
	if len(n.digits) > keep {
		rest := n.digits[keep:]
		m := n
		m.digits, m.exp = n.digits[:keep], n.exp+len(rest)
		if strings.Trim(rest, "0") != "" {
			m.digits, m.exp = m.digits+"1", m.exp-1
		}
		n = m
	}
	return strconv.ParseFloat(n.scientific(), 64)
}

// Int returns n when it is a whole number within int64.
func (n Numeral) Int() (int64, bool) {
	if n.digits == "" {
		return 0, true
	}
	if n.exp < 0 || len(n.digits)+n.exp > 18 {
		return 0, false
	}
	v, err := strconv.ParseInt(n.digits+strings.Repeat("0", n.exp), 10, 64)
	if err != nil {
		return 0, false
	}
	if n.neg {
		v = -v
	}
	return v, true
}

// String writes n without an exponent, "0.000123" or "-1500", as a
// message quotes it; a number too long to write so keeps its exponent,
// "1e-40".
func (n Numeral) String() string {
	if n.digits == "" {
		return "0"
	}
	if n.exp > 30 || n.exp < -30 || len(n.digits) > 40 {
		return n.scientific()
	}
	var s string
	switch {
	case n.exp >= 0:
		s = n.digits + strings.Repeat("0", n.exp)
	case -n.exp >= len(n.digits):
		s = "0." + strings.Repeat("0", -n.exp-len(n.digits)) + n.digits
	default:
		k := len(n.digits) + n.exp
		s = n.digits[:k] + "." + n.digits[k:]
	}
	if n.neg {
		s = "-" + s
	}
	return s
}

// scientific writes n as its digits and an exponent: "-15e2".
func (n Numeral) scientific() string {
	if n.digits == "" {
		return "0"
	}
	s := n.digits
	if n.exp != 0 {
		s += "e" + strconv.Itoa(n.exp)
	}
	if n.neg {
		s = "-" + s
	}
	return s
}

// microLimit is the magnitude below which f × 10^6 fits in an int64.
const microLimit = 9e12

// RoundFloat rounds f half-up (away from zero) to two decimal places.
// Results of formulas carry binary noise: 2.675 is stored as
// 2.67499999999999982…, and a naive round gives 2.67. Rounding first to
// millionths removes that noise, since every quantity here is computed
// from inputs with at most two decimals and noise is far below 10^-6.
// Values beyond ±10^15 are clamped there; NaN gives 0.
func RoundFloat(f float64) Decimal {
	if math.IsNaN(f) {
		return 0
	}
	if f > maxDecimal/100 {
		return Decimal(maxDecimal)
	}
	if f < -maxDecimal/100 {
		return Decimal(-maxDecimal)
	}
	if math.Abs(f) >= microLimit {
		// A float64 this large has no digits left below 10^-3, so there is
		// no noise to remove, and f × 10^6 would overflow an int64.
		return Decimal(math.Round(f * 100))
	}
	micro := int64(math.Round(f * 1e6))
	if micro >= 0 {
		return Decimal((micro + 5000) / 10000)
	}
	return -Decimal((-micro + 5000) / 10000)
}

// RoundPlaces rounds f half-up (away from zero) to places decimals, 0 to
// 6, removing binary noise as RoundFloat does.
func RoundPlaces(f float64, places int) float64 {
	places = max(0, min(places, 6))
	scale := math.Pow10(places)
	x := math.Abs(f) * scale
	n := math.Floor(math.Round(x*1e6)/1e6 + 0.5)
	if n == 0 {
		return 0 // not -0, which would print as "-0.0"
	}
	if f < 0 {
		n = -n
	}
	return n / scale
}

// Round2 is RoundFloat as a float64, for use inside formulas.
func Round2(f float64) float64 { return RoundFloat(f).Float64() }

// Float64 converts d for use in formulas.
func (d Decimal) Float64() float64 { return float64(d) / 100 }

// Hundredths returns the raw count of hundredths.
func (d Decimal) Hundredths() int64 { return int64(d) }

// String formats d with exactly two decimals: "2.68", "-0.50", "100.00".
func (d Decimal) String() string { return string(d.AppendTo(nil)) }

// AppendTo appends the String form of d to b.
func (d Decimal) AppendTo(b []byte) []byte {
	n := uint64(d)
	if d < 0 {
		b = append(b, '-')
		n = -n // in uint64, so that the smallest int64 is negated too
	}
	b = strconv.AppendUint(b, n/100, 10)
	frac := n % 100
	return append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
}

// Trimmed formats d without trailing zero decimals: "8", "91.3", "2.68".
func (d Decimal) Trimmed() string {
	s := d.String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes d as a JSON number with two decimals, so that the
// printed total is exactly the total that was graded.
func (d Decimal) MarshalJSON() ([]byte, error) { return d.AppendTo(nil), nil }

// UnmarshalJSON reads a JSON number (or a numeric string) exactly. As
// with the standard types, null leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MulDiv returns d × num / den rounded half-up (away from zero),
// computed exactly in integers. It is used to share points in proportion
// without float noise. The product d × num may exceed int64 without
// harm; only a quotient beyond the range of Decimal saturates. A zero
// den gives 0.
func (d Decimal) MulDiv(num, den int64) Decimal {
	if den == 0 {
		return 0
	}
	neg := (d < 0) != (num < 0) != (den < 0)
	hi, lo := bits.Mul64(abs64(int64(d)), abs64(num))
	ud := abs64(den)
	var carry uint64
	lo, carry = bits.Add64(lo, ud/2, 0)
	hi += carry
	q := uint64(math.MaxInt64)
	if hi < ud { // otherwise the quotient needs more than 64 bits
		if qq, _ := bits.Div64(hi, lo, ud); qq < q {
			q = qq
		}
	}
	if neg {
		return -Decimal(q)
	}
	return Decimal(q)
}

// abs64 returns |n| as a uint64, exact even for the smallest int64.
func abs64(n int64) uint64 {
	if n < 0 {
		return -uint64(n)
	}
	return uint64(n)
}
