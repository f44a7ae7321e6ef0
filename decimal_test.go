package jixiao

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want Decimal
	}{
		{"447438.63", 44743863},
		{"0.1", 10},
		{"0.10", 10},
		{".5", 50},
		{"5.", 500},
		{"1e3", 100000},
		{"1E3", 100000},
		{"1e+3", 100000},
		{"1.5e1", 1500},
		{"12345e-2", 12345},
		{"1230e-3", 123},
		{"-5", -500},
		{"+5", 500},
		{"-0.5", -50},
		{"-0", 0},
		{"0", 0},
		{"0.00", 0},
		{"000123.40", 12340},
		{"90.50", 9050},
		{"90.5", 9050},
		{"100.0", 10000},
		{"1.230", 123},
		{"1.2300000000000000000000", 123},
		{"  42.10 ", 4210},
		{"0e30", 0},
		{"0e99999999999999999999", 0},
		{"0.000e-50", 0},
		{"1000000000000000", 100000000000000000}, // the largest: 10^15 yuan
		{"-1000000000000000.00", -100000000000000000}, // and the smallest
		{"100000000000000000000e-5", 100000000000000000},
		{"490000", 49000000},
		{"2664531", 266453100},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): unexpected error %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDecimal(%q) = %d hundredths, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseDecimalErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"1.234", ErrDecimalPlaces.Error()},
		{"0.001", ErrDecimalPlaces.Error()},
		{"-0.125", ErrDecimalPlaces.Error()},
		{"1e-3", ErrDecimalPlaces.Error()},
		{"123e-5", ErrDecimalPlaces.Error()},
		{"1e-99999999999999999999", ErrDecimalPlaces.Error()},
		{"447438.635", ErrDecimalPlaces.Error()},
		{"", "empty number"},
		{"   ", "empty number"},
		{"-", "not a number"},
		{"+", "not a number"},
		{".", "not a number"},
		{"-.", "not a number"},
		{"e5", "not a number"},
		{".e5", "not a number"},
		{"abc", "not a number"},
		{"1,000", "not a number"},
		{"1_000", "not a number"},
		{"--5", "not a number"},
		{"+-5", "not a number"},
		{"- 5", "not a number"},
		{"1.2.3", "not a number"},
		{"0x10", "not a number"},
		{"NaN", "not a number"},
		{"Inf", "not a number"},
		{"١٢", "not a number"},
		{"true", "not a number"},
		{`"5"`, "not a number"},
		{"1e", "invalid exponent"},
		{"1e+", "invalid exponent"},
		{"1e3.5", "invalid exponent"},
		{"1e5E3", "invalid exponent"},
		{"1ee5", "invalid exponent"},
		{"0e18700000000000000000A", "invalid exponent"}, // an overflow must not hide the letter
		{"1e+-5", "invalid exponent"},
		{"1e21", "number too large"},
		{"1e99999999999999999999", "number too large"},
		{"1000000000000000.01", "number too large"},
		{"9223372036854775807", "number too large"},
		{"99999999999999999999999999", "number too large"},
		{"-99999999999999999999999999", "number too large"},
		{"1" + strings.Repeat("0", 1000), "number too large"},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if err == nil {
			t.Errorf("ParseDecimal(%q) = %v, want error %q", tt.in, got, tt.wantErr)
			continue
		}
		if err.Error() != tt.wantErr {
			t.Errorf("ParseDecimal(%q): error %q, want %q", tt.in, err, tt.wantErr)
		}
		if got != 0 {
			t.Errorf("ParseDecimal(%q) = %v with an error, want 0", tt.in, got)
		}
	}
	if _, err := ParseDecimal("1.234"); !errors.Is(err, ErrDecimalPlaces) {
		t.Errorf("ParseDecimal(1.234): error %v is not ErrDecimalPlaces", err)
	}
}

func TestRoundFloat(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"2.675 is stored below the half", 2.675, "2.68"},
		{"1.005 is stored below the half", 1.005, "1.01"},
		{"0.125 is exact", 0.125, "0.13"},
		{"negative half rounds away from zero", -2.675, "-2.68"},
		{"negative 1.005", -1.005, "-1.01"},
		{"negative 0.125", -0.125, "-0.13"},
		{"carry into the units", 89.995, "90.00"},
		{"just below the half", 89.994999, "89.99"},
		{"whole", 8.0, "8.00"},
		{"zero", 0, "0.00"},
		{"negative zero", math.Copysign(0, -1), "0.00"},
		{"tiny negative", -0.004, "0.00"},
		{"negative half cent", -0.005, "-0.01"},
		{"below half cent", 0.0049, "0.00"},
		{"half cent", 0.005, "0.01"},
		{"execution rate", 447438.63 / 490000 * 100, "91.31"},
		{"execution rate weighted", 91.31 / 10, "9.13"},
		{"execution rate 2", 492538.08 / 494570 * 100, "99.59"},
		{"execution rate 3", 337054.03 / 337090 * 100, "99.99"},
		{"sum with noise", 0.1 + 0.2, "0.30"},
		{"product with noise", 1.15 * 100, "115.00"},
		{"third", 50.0 / 3, "16.67"},
		{"two thirds", 100.0 / 3 * 2, "66.67"},
		{"1.45 by 3 by 3", 1.45 / 3 * 3, "1.45"},
		{"money", 447438.63, "447438.63"},
		{"large money", 123456789012.34, "123456789012.34"},
		{"beyond micro precision", 1e13, "10000000000000.00"},
		{"beyond micro precision, negative", -1e13, "-10000000000000.00"},
		{"beyond micro precision, cents", 9.5e12 + 0.25, "9500000000000.25"},
		{"limit", 1e15, "1000000000000000.00"},
		{"negative limit", -1e15, "-1000000000000000.00"},
		{"clamped", 1e16, "1000000000000000.00"},
		{"clamped negative", -1e300, "-1000000000000000.00"},
		{"infinity", math.Inf(1), "1000000000000000.00"},
		{"negative infinity", math.Inf(-1), "-1000000000000000.00"},
		{"NaN", math.NaN(), "0.00"},
	}
	for _, tt := range tests {
		if got := RoundFloat(tt.in).String(); got != tt.want {
			t.Errorf("%s: RoundFloat(%v) = %s, want %s", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestRoundFloatMonotonic checks that rounding never decreases as the
// input grows, including around the switch to plain rounding.
func TestRoundFloatMonotonic(t *testing.T) {
	for _, start := range []float64{-1e15, -microLimit, -1000, -0.02, 0, 89.99, microLimit, 1e15} {
		f := start
		prev := RoundFloat(f)
		for i := 0; i < 200; i++ {
			f = math.Nextafter(f, math.Inf(1))
			if i%7 == 0 {
				f += 0.001
			}
			got := RoundFloat(f)
			if got < prev {
				t.Fatalf("RoundFloat(%v) = %v < RoundFloat of a smaller value = %v", f, got, prev)
			}
			prev = got
		}
	}
}

func TestRoundPlaces(t *testing.T) {
	tests := []struct {
		f      float64
		places int
		want   float64
	}{
		{2.675, 2, 2.68},
		{1.005, 2, 1.01},
		{-2.675, 2, -2.68},
		{89.995, 2, 90},
		{89.994999, 2, 89.99},
		{447438.63 / 490000 * 100, 2, 91.31},
		{447438.63 / 490000 * 100, 1, 91.3},
		{447438.63 / 490000 * 100, 4, 91.314},
		{447438.63 / 490000 * 100, 6, 91.314006},
		{91.35, 1, 91.4},
		{-91.35, 1, -91.4},
		{0.5, 0, 1},
		{-0.5, 0, -1},
		{2.5, 0, 3},
		{1.0005, 3, 1.001},
		{1.0000005, 6, 1.000001},
		{1.23456789, 6, 1.234568},
		{1.5, -1, 2},             // places below 0 count as 0
		{1.2345678, 9, 1.234568}, // and above 6 as 6
		{8, 2, 8},
		{0, 3, 0},
		{1e20, 2, 1e20},
	}
	for _, tt := range tests {
		if got := RoundPlaces(tt.f, tt.places); got != tt.want {
			t.Errorf("RoundPlaces(%v, %d) = %v, want %v", tt.f, tt.places, got, tt.want)
		}
	}
	// Regression: a small negative value rounded to zero gave -0, which
	// strconv prints as "-0.0".
	for _, f := range []float64{-0.001, -0.04, math.Copysign(0, -1)} {
		got := RoundPlaces(f, 1)
		if s := strconv.FormatFloat(got, 'f', 1, 64); s != "0.0" {
			t.Errorf("RoundPlaces(%v, 1) = %v, printed %q, want \"0.0\"", f, got, s)
		}
	}
	if got := RoundPlaces(math.NaN(), 2); !math.IsNaN(got) {
		t.Errorf("RoundPlaces(NaN, 2) = %v", got)
	}
	if got := RoundPlaces(math.Inf(-1), 2); !math.IsInf(got, -1) {
		t.Errorf("RoundPlaces(-Inf, 2) = %v", got)
	}
}

// TestRoundPlacesAgreesWithRoundFloat compares the two roundings to two
// places on shares and rates computed from two-decimal amounts.
func TestRoundPlacesAgreesWithRoundFloat(t *testing.T) {
	amounts := []float64{447438.63, 490000, 492538.08, 494570, 337054.03, 337090, 399598.8, 0.01, 1.45, 2.675, 89.995, 1000}
	for _, a := range amounts {
		for _, b := range amounts {
			for _, f := range []float64{a / b * 100, a * b / 1000, a / 3, a - b, (a - b) / 7} {
				if got, want := RoundPlaces(f, 2), RoundFloat(f).Float64(); got != want {
					t.Errorf("RoundPlaces(%v, 2) = %v, RoundFloat gives %v", f, got, want)
				}
			}
		}
	}
}

func TestRound2(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{2.675, 2.68},
		{1.005, 1.01},
		{-2.675, -2.68},
		{91.31400612244898, 91.31},
		{8, 8},
	}
	for _, tt := range tests {
		if got := Round2(tt.in); got != tt.want {
			t.Errorf("Round2(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDecimalFormat(t *testing.T) {
	tests := []struct {
		d       Decimal
		str     string
		trimmed string
	}{
		{0, "0.00", "0"},
		{1, "0.01", "0.01"},
		{-1, "-0.01", "-0.01"},
		{10, "0.10", "0.1"},
		{-50, "-0.50", "-0.5"},
		{268, "2.68", "2.68"},
		{800, "8.00", "8"},
		{1000, "10.00", "10"},
		{9050, "90.50", "90.5"},
		{9130, "91.30", "91.3"},
		{9131, "91.31", "91.31"},
		{10000, "100.00", "100"},
		{-10000, "-100.00", "-100"},
		{44743863, "447438.63", "447438.63"},
		{100000000000000000, "1000000000000000.00", "1000000000000000"},
		{math.MaxInt64, "92233720368547758.07", "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08", "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.str {
			t.Errorf("Decimal(%d).String() = %q, want %q", int64(tt.d), got, tt.str)
		}
		if got := tt.d.Trimmed(); got != tt.trimmed {
			t.Errorf("Decimal(%d).Trimmed() = %q, want %q", int64(tt.d), got, tt.trimmed)
		}
		if got := string(tt.d.AppendTo([]byte("x="))); got != "x="+tt.str {
			t.Errorf("Decimal(%d).AppendTo = %q, want %q", int64(tt.d), got, "x="+tt.str)
		}
	}
}

func TestDecimalConstructors(t *testing.T) {
	if got := Cents(1667).String(); got != "16.67" {
		t.Errorf("Cents(1667) = %s", got)
	}
	if got := Points(50).String(); got != "50.00" {
		t.Errorf("Points(50) = %s", got)
	}
	if got := Points(-3).Hundredths(); got != -300 {
		t.Errorf("Points(-3).Hundredths() = %d", got)
	}
	if got := Cents(9131).Float64(); got != 91.31 {
		t.Errorf("Cents(9131).Float64() = %v", got)
	}
}

func TestDecimalMarshalJSON(t *testing.T) {
	v := struct {
		Total  Decimal   `json:"total"`
		Score  Decimal   `json:"score"`
		Points *Decimal  `json:"points,omitempty"`
		List   []Decimal `json:"list"`
	}{
		Total: RoundFloat(2.675),
		Score: RoundFloat(89.995),
		List:  []Decimal{0, -50, 44743863},
	}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"total":2.68,"score":90.00,"list":[0.00,-0.50,447438.63]}`
	if string(got) != want {
		t.Errorf("json.Marshal = %s, want %s", got, want)
	}
	if !json.Valid(got) {
		t.Errorf("json.Marshal produced invalid JSON %s", got)
	}
}

func TestDecimalUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Decimal
		wantErr string
	}{
		{in: `2.68`, want: 268},
		{in: `90.00`, want: 9000},
		{in: `-0.5`, want: -50},
		{in: `1e3`, want: 100000},
		{in: `"447438.63"`, want: 44743863},
		{in: `" 8 "`, want: 800},
		{in: `null`, want: 777}, // unchanged
		{in: `1.234`, wantErr: ErrDecimalPlaces.Error()},
		{in: `"1.234"`, wantErr: ErrDecimalPlaces.Error()},
		{in: `""`, wantErr: "empty number"},
		{in: `"abc"`, wantErr: "not a number"},
		{in: `true`, wantErr: "not a number"},
	}
	for _, tt := range tests {
		d := Decimal(777)
		err := d.UnmarshalJSON([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("UnmarshalJSON(%s): error %v, want %q", tt.in, err, tt.wantErr)
			}
			if d != 777 {
				t.Errorf("UnmarshalJSON(%s) changed the value to %v on error", tt.in, d)
			}
			continue
		}
		if err != nil {
			t.Errorf("UnmarshalJSON(%s): unexpected error %v", tt.in, err)
			continue
		}
		if d != tt.want {
			t.Errorf("UnmarshalJSON(%s) = %d hundredths, want %d", tt.in, d, tt.want)
		}
	}
}

// TestDecimalJSONNull is a regression test: null in a Decimal field used to
// fail with "not a number" instead of leaving the field alone.
func TestDecimalJSONNull(t *testing.T) {
	var p Project
	err := json.Unmarshal([]byte(`{"id":"a","budget_adjusted":null,"spent":1.5,"balance":null}`), &p)
	if err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	if p.BudgetAdjusted != 0 || p.Spent != 150 || p.Balance != nil {
		t.Errorf("got budget_adjusted %v, spent %v, balance %v", p.BudgetAdjusted, p.Spent, p.Balance)
	}
}

func TestDecimalJSONRoundTrip(t *testing.T) {
	for _, d := range []Decimal{0, 1, -1, 99, 268, 9000, -44743863, 100000000000000000, -100000000000000000} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Decimal
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("json.Unmarshal(%s): %v", b, err)
		} else if back != d {
			t.Errorf("round trip of %d through %s gave %d", d, b, back)
		}
	}
}

func TestMulDiv(t *testing.T) {
	tests := []struct {
		name     string
		d        Decimal
		num, den int64
		want     Decimal
	}{
		{"50 points shared 3 ways", Points(50), 1, 3, 1667},
		{"two thirds of 50", Points(50), 2, 3, 3333},
		{"exact", Points(10), 1, 2, 500},
		{"half a cent rounds up", Cents(1), 1, 2, 1},
		{"below half a cent", Cents(1), 1, 3, 0},
		{"2/3 of a cent", Cents(1), 2, 3, 1},
		{"1.5 cents", Cents(3), 1, 2, 2},
		{"2.5 cents", Cents(5), 1, 2, 3},
		{"negative half rounds away from zero", Cents(-5), 1, 2, -3},
		{"negative num", Cents(5), -1, 2, -3},
		{"negative den", Cents(5), 1, -2, -3},
		{"negative times negative", Cents(-5), -1, 2, 3},
		{"all negative", Cents(-5), -1, -2, -3},
		{"negative third", Points(-50), 1, 3, -1667},
		{"identity", Cents(44743863), 7, 7, 44743863},
		{"zero", 0, 5, 3, 0},
		{"zero num", Points(20), 0, 3, 0},
		{"zero den", Points(20), 1, 0, 0},
		{"weight of spent in budget", Points(20), 44743863, 49000000, 1826}, // 18.262801…
		{"large product", Points(100), 9e17, 1e18, 9000},
		{"large product, exact", 100000000000000000, 100000000000000000, 100000000000000000, 100000000000000000},
		{"large product, rounded", 100000000000000000, 1e18 - 1, 3e18, 33333333333333333},
		{"smallest num", Points(1), math.MinInt64, math.MinInt64, 100},
		{"smallest den", Decimal(math.MinInt64), 1, math.MinInt64, 1},
		{"saturates", Decimal(math.MaxInt64), 2, 1, math.MaxInt64},
		{"saturates negative", Decimal(math.MaxInt64), -3, 1, -math.MaxInt64},
		{"quotient beyond 64 bits", Decimal(math.MaxInt64), math.MaxInt64, 1, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := tt.d.MulDiv(tt.num, tt.den); got != tt.want {
			t.Errorf("%s: %v.MulDiv(%d, %d) = %d hundredths, want %d", tt.name, tt.d, tt.num, tt.den, got, tt.want)
		}
	}
}

// TestMulDivAllocation shares 50 points three ways: two shares from
// MulDiv and the remainder, so that the parts add up to the whole.
func TestMulDivAllocation(t *testing.T) {
	total := Points(50)
	a := total.MulDiv(1, 3)
	b := total.MulDiv(1, 3)
	c := total - a - b
	got := []string{a.String(), b.String(), c.String()}
	want := []string{"16.67", "16.67", "16.66"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("shares = %v, want %v", got, want)
		}
	}
	if a+b+c != total {
		t.Errorf("shares add up to %v, want %v", a+b+c, total)
	}
}

// TestMulDivAgainstFloat compares MulDiv with RoundFloat on values small
// enough for float64 to be exact in its decisions.
func TestMulDivAgainstFloat(t *testing.T) {
	for d := Decimal(-2000); d <= 2000; d += 37 {
		for num := int64(-7); num <= 7; num++ {
			for den := int64(1); den <= 9; den++ {
				want := RoundFloat(float64(d) * float64(num) / float64(den) / 100)
				if got := d.MulDiv(num, den); got != want {
					t.Fatalf("%v.MulDiv(%d, %d) = %v, want %v", d, num, den, got, want)
				}
			}
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{
		"447438.63", "0.1", "1e3", "-5", "90.50", "1.234", "1.230", "0", "-0",
		"490000", "91.31", "100.0", "2664531", "1e-2", "12345e-2", "abc", "",
		"1000000000000000", "1e21", "0e30", ".5", "5.", "+7.5", " 3 ",
		"99999999999999999999", "1e99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if want, wantErr := parseDecimalByStrings(s); d != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("ParseDecimal(%q) = %v, %v; the string-building parser gives %v, %v", s, d, err, want, wantErr)
		}
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDecimal(%q) = %v with error %v", s, d, err)
			}
			return
		}
		if d > maxDecimal || d < -maxDecimal {
			t.Fatalf("ParseDecimal(%q) = %v, beyond the bound", s, d)
		}
		str := d.String()
		back, err := ParseDecimal(str)
		if err != nil {
			t.Fatalf("ParseDecimal(%q) = %s, which does not parse: %v", s, str, err)
		}
		if back != d {
			t.Fatalf("ParseDecimal(%q) = %s, which parses as %s", s, str, back)
		}
		if tr, err := ParseDecimal(d.Trimmed()); err != nil || tr != d {
			t.Fatalf("Trimmed form %q of %s parses as %v, %v", d.Trimmed(), str, tr, err)
		}
		var u Decimal
		b, _ := d.MarshalJSON()
		if err := json.Unmarshal(b, &u); err != nil || u != d {
			t.Fatalf("JSON form %s of %s unmarshals as %v, %v", b, str, u, err)
		}
	})
}

// parseDecimalByStrings is ParseDecimal as first written, building the
// digits as strings: the reference the allocation-free parser is fuzzed
// against.
func parseDecimalByStrings(s string) (Decimal, error) {
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
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, errors.New("not a number")
		}
	}
	exp := 0
	if hasExp {
		if digits := strings.TrimLeft(expPart, "+-"); digits == "" || len(expPart)-len(digits) > 1 || strings.Trim(digits, "0123456789") != "" {
			return 0, errors.New("invalid exponent")
		}
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
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return 0, nil // zero, whatever the exponent
	}
	// The value is digits × 10^(exp − len(frac)); we want hundredths.
	shift := exp - len(frac) + 2
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
		if len(digits)+shift > 18 {
			return 0, errors.New("number too large")
		}
		digits += strings.Repeat("0", shift)
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

// ParseDecimal reads the digits in place: reading a number allocates
// nothing, which the JSON decoder relies on for large batches.
func TestParseDecimalAllocatesNothing(t *testing.T) {
	var sink Decimal
	allocs := testing.AllocsPerRun(100, func() {
		for _, s := range []string{"447438.63", "-5", "1e3", "90.50"} {
			d, _ := ParseDecimal(s)
			sink += d
		}
	})
	if allocs != 0 {
		t.Errorf("ParseDecimal allocates %v times a run, want 0", allocs)
	}
	_ = sink
}

func TestParseNumeral(t *testing.T) {
	tests := []struct {
		in, want string // want is String()
		sign     int
	}{
		{"447438.63", "447438.63", 1},
		{"-1234.5", "-1234.5", -1},
		{"+7.50", "7.5", 1},
		{".5", "0.5", 1},
		{"5.", "5", 1},
		{"1.5E+3", "1500", 1},
		{"12345e-2", "123.45", 1},
		{"000.000", "0", 0},
		{"-0", "0", 0},
		{"0e99999999999999999999", "0", 0},
		{"42561.369999999995", "42561.369999999995", 1},
		{"0.00012", "0.00012", 1},
		{"1e-40", "1e-40", 1},
		{"-25e31", "-25e31", -1},
		{" 3 ", "3", 1},
	}
	for _, tt := range tests {
		n, err := ParseNumeral(tt.in)
		if err != nil {
			t.Errorf("ParseNumeral(%q): %v", tt.in, err)
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("ParseNumeral(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if got := n.Sign(); got != tt.sign {
			t.Errorf("ParseNumeral(%q).Sign() = %d, want %d", tt.in, got, tt.sign)
		}
	}
	for _, in := range []string{"", "abc", ".", "1,000", "1e", "--5", "1.2.3"} {
		if n, err := ParseNumeral(in); err == nil {
			t.Errorf("ParseNumeral(%q) = %s, want an error", in, n)
		}
	}
}

func TestNumeralArithmetic(t *testing.T) {
	num := func(s string) Numeral {
		t.Helper()
		n, err := ParseNumeral(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		name string
		got  Numeral
		want string
	}{
		{"万元 to yuan", num("44.743863").Shift(4), "447438.63"},
		{"percent", num("0.9131").Shift(2), "91.31"},
		{"shift of zero", num("0").Shift(9), "0"},
		{"15 digits remove a formula's noise", num("42561.369999999995").RoundDigits(15), "42561.37"},
		{"15 digits keep a clean value", num("447438.63").RoundDigits(15), "447438.63"},
		{"rounding carries", num("9.9999999999999999").RoundDigits(15), "10"},
		{"half away from zero", num("-2.675").RoundPlaces(2), "-2.68"},
		{"below half", num("2.674999").RoundPlaces(2), "2.67"},
		{"to nothing", num("0.004").RoundPlaces(2), "0"},
		{"up from nothing", num("0.005").RoundPlaces(2), "0.01"},
		{"negative up from nothing", num("-0.005").RoundPlaces(2), "-0.01"},
		{"far below", num("1e-9").RoundPlaces(2), "0"},
		{"already short", num("91.3").RoundPlaces(2), "91.3"},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	one := NumeralOf(1)
	for _, tt := range []struct {
		a    string
		want int
	}{{"0.9131", -1}, {"1", 0}, {"1.000", 0}, {"1.0001", 1}, {"10", 1}, {"-5", -1}, {"0", -1}} {
		if got := num(tt.a).Cmp(one); got != tt.want {
			t.Errorf("%s cmp 1 = %d, want %d", tt.a, got, tt.want)
		}
	}
	if got := num("-5").Cmp(num("-10")); got != 1 {
		t.Errorf("-5 cmp -10 = %d, want 1", got)
	}
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{{"2024", 2024, true}, {"2024.0", 2024, true}, {"2.024e3", 2024, true}, {"-7", -7, true}, {"2024.5", 0, false}, {"1e30", 0, false}, {"0", 0, true}} {
		got, ok := num(tt.in).Int()
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s.Int() = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := NumeralOf(math.MinInt64).String(); got != "-9223372036854775808" {
		t.Errorf("NumeralOf(MinInt64) = %s", got)
	}
	if f, err := num("1e400").Float64(); err == nil {
		t.Errorf("1e400 as float64 = %v, want a range error", f)
	}
	if f, err := num("0.1").Shift(1).Float64(); err != nil || f != 1 {
		t.Errorf("0.1 × 10 as float64 = %v, %v", f, err)
	}
}

// FuzzParseNumeral checks the exact reader that ParseDecimal and the
// spreadsheet importer share: a Numeral converts to the Decimal that
// ParseDecimal reads from the same text, prints as a number that reads
// back to itself, and is the float64 that strconv reads.
func FuzzParseNumeral(f *testing.F) {
	for _, s := range []string{
		"447438.63", "0.1", "1e3", "-5", "1.234", "000.000", ".5", "5.", "+7.5",
		"42561.369999999995", "1e-40", "-25e31", "abc", "", "1e99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumeral(s)
		d, derr := ParseDecimal(s)
		if (err == nil) != (derr == nil || errors.Is(derr, ErrDecimalPlaces) || derr.Error() == "number too large") {
			t.Fatalf("ParseNumeral(%q) error %v, ParseDecimal error %v", s, err, derr)
		}
		if err != nil {
			return
		}
		if nd, nerr := n.Decimal(); nd != d || fmt.Sprint(nerr) != fmt.Sprint(derr) {
			t.Fatalf("ParseNumeral(%q).Decimal() = %v, %v; ParseDecimal gives %v, %v", s, nd, nerr, d, derr)
		}
		// An exponent at the bound was clamped, and reads back clamped.
		if n.exp > -maxExponent/2 && n.exp < maxExponent/2 {
			back, err := ParseNumeral(n.String())
			if err != nil || back.Cmp(n) != 0 || back != n {
				t.Fatalf("ParseNumeral(%q) = %s, which reads back as %v, %v", s, n, back, err)
			}
		}
		want, werr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		got, gerr := n.Float64()
		if (werr == nil) != (gerr == nil) || werr == nil && got != want && !(got == 0 && want == 0) {
			t.Fatalf("ParseNumeral(%q).Float64() = %v, %v; strconv gives %v, %v", s, got, gerr, want, werr)
		}
	})
}

// A mantissa of more than 800 digits: strconv.ParseFloat misreads it in
// the exponent form Float64 builds (a fuzzed "1000…0.444…4" gave 1e22
// for 1e23), so Float64 keeps 780 digits and a sticky one. Compared with
// strconv on the same number written with a decimal point.
func TestNumeralFloat64LongMantissa(t *testing.T) {
	tests := []string{
		"100000000000000000000000." + strings.Repeat("4", 3000),
		"100000000000000000000000." + strings.Repeat("4", 781),
		"1." + strings.Repeat("0", 900) + "1",
		// Just above the halfway point between two float64s, decided by
		// the last digit: it must round up.
		"9007199254740993" + strings.Repeat("0", 900) + "1." + "5",
		"9007199254740993" + strings.Repeat("0", 900) + ".",
		"-0." + strings.Repeat("0", 300) + strings.Repeat("7", 1200),
	}
	for _, s := range tests {
		n, err := ParseNumeral(s)
		if err != nil {
			t.Fatalf("%.40s…: %v", s, err)
		}
		got, err := n.Float64()
		want, werr := strconv.ParseFloat(s, 64)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%.40s… (%d bytes): Float64 %v, %v; strconv %v, %v", s, len(s), got, err, want, werr)
		}
	}
}
