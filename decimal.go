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
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty number")
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
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
		return 0, errors.New("not a number")
	}
	// The digits are intPart then frac, read in place: parsing a number
	// allocates nothing.
	total := len(intPart) + len(frac)
	digitAt := func(i int) byte {
		if i < len(intPart) {
			return intPart[i]
		}
		return frac[i-len(intPart)]
	}
	for i := range total {
		if c := digitAt(i); c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expPart)
		if err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return 0, errors.New("invalid exponent")
			}
			// Beyond the range of int: only the sign matters below.
			e = maxExponent
			if expPart[0] == '-' {
				e = -maxExponent
			}
		}
		exp = max(-maxExponent, min(e, maxExponent))
	}
	first := 0 // the first significant digit
	for first < total && digitAt(first) == '0' {
		first++
	}
	if first == total {
		return 0, nil // zero, whatever the exponent
	}
	// The value is digits × 10^(exp − len(frac)); we want hundredths.
	shift := exp - len(frac) + 2
	end := total
	if shift < 0 {
		end = first + max(total-first+shift, 0)
		for i := end; i < total; i++ {
			if digitAt(i) != '0' {
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
		n = n*10 + int64(digitAt(i)-'0')
	}
	for range shift {
		n *= 10
	}
	if n > maxDecimal {
		return 0, errors.New("number too large")
	}
	if neg {
		n = -n
	}
	return Decimal(n), nil
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
