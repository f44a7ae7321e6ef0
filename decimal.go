package jixiao

import (
	"errors"
	"math"
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
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 20 || e < -20 {
			return 0, errors.New("invalid exponent")
		}
		exp = e
		s = s[:i]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, errors.New("not a number")
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, errors.New("not a number")
		}
	}
	// The value is digits × 10^(exp − len(frac)); we want hundredths.
	shift := exp - len(frac) + 2
	digits = strings.TrimLeft(digits, "0")
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			cut = 0
		}
		if strings.Trim(digits[cut:], "0") != "" {
			return 0, ErrDecimalPlaces
		}
		digits = digits[:cut]
	} else {
		if digits != "" {
			digits += strings.Repeat("0", shift)
		}
	}
	if digits == "" {
		return 0, nil
	}
	if len(digits) > 18 {
		return 0, errors.New("number too large")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > maxDecimal {
		return 0, errors.New("number too large")
	}
	if neg {
		n = -n
	}
	return Decimal(n), nil
}

// RoundFloat rounds f half-up (away from zero) to two decimal places.
// Results of formulas carry binary noise: 2.675 is stored as
// 2.67499999999999982…, and a naive round gives 2.67. Rounding first to
// millionths removes that noise, since every quantity here is computed
// from inputs with at most two decimals and noise is far below 10^-6.
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
	micro := int64(math.Round(f * 1e6))
	if micro >= 0 {
		return Decimal((micro + 5000) / 10000)
	}
	return -Decimal((-micro + 5000) / 10000)
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
	n := int64(d)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/100, 10)
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

// UnmarshalJSON reads a JSON number (or a numeric string) exactly.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MulDiv returns d × num / den rounded half-up, computed in integers.
// It is used to share points in proportion without float noise.
func (d Decimal) MulDiv(num, den int64) Decimal {
	if den == 0 {
		return 0
	}
	p := int64(d) * num
	neg := (p < 0) != (den < 0)
	if p < 0 {
		p = -p
	}
	if den < 0 {
		den = -den
	}
	q := (p + den/2) / den
	if neg {
		q = -q
	}
	return Decimal(q)
}
