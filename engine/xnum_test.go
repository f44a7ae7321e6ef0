package engine

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The exact numbers keep small rationals in int64s and fall back to
// big.Rat; every operation must give what big.Rat gives, on both sides of
// the int64 limits.
func TestExactArithmeticMatchesBigRat(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	parts := []int64{0, 1, 2, 3, 7, 10, 100, 999, 1 << 30, 1<<31 - 1, 1 << 40, 1<<61 - 1, 1 << 61, 1<<62 - 1, 1 << 62, math.MaxInt64}
	pick := func() int64 {
		if r.IntN(3) == 0 {
			return parts[r.IntN(len(parts))]
		}
		return r.Int64N(1 << uint(1+r.IntN(62)))
	}
	var a arena
	mk := func() (*xnum, *big.Rat) {
		n, d := pick(), pick()
		if d == 0 {
			d = 1
		}
		if r.IntN(2) == 0 {
			n = -n
		}
		ref := new(big.Rat).SetFrac(big.NewInt(n), big.NewInt(d))
		x := a.x()
		x.setRat(ref)
		return x, ref
	}
	for i := 0; i < 200_000; i++ {
		a.reset()
		x, rx := mk()
		y, ry := mk()
		check := func(op string, got *xnum, want *big.Rat) {
			t.Helper()
			if got.rat().Cmp(want) != 0 {
				t.Fatalf("%s %s %s: got %s, want %s", rx.RatString(), op, ry.RatString(), got.rat().RatString(), want.RatString())
			}
		}
		z, _ := a.add(x, y)
		check("+", z, new(big.Rat).Add(rx, ry))
		z, _ = a.sub(x, y)
		check("-", z, new(big.Rat).Sub(rx, ry))
		z, _ = a.mul(x, y)
		check("*", z, new(big.Rat).Mul(rx, ry))
		if ry.Sign() != 0 {
			z, _ = a.div(x, y)
			check("/", z, new(big.Rat).Quo(rx, ry))
		}
		c, _ := xcmp(x, y)
		if c != rx.Cmp(ry) {
			t.Fatalf("cmp %s %s: %d", rx.RatString(), ry.RatString(), c)
		}
		p := r.IntN(7)
		want := new(big.Rat).Abs(rx)
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
		h := new(big.Rat).Mul(want, new(big.Rat).SetInt(scale))
		h.Add(h, big.NewRat(1, 2))
		q := new(big.Int).Quo(h.Num(), h.Denom())
		if rx.Sign() < 0 {
			q.Neg(q)
		}
		check("round", a.round(x, p), new(big.Rat).SetFrac(q, scale))
		fl := new(big.Int).Div(rx.Num(), rx.Denom())
		check("floor", a.floor(x), new(big.Rat).SetInt(fl))
		if f, _ := rx.Float64(); x.float() != f {
			t.Fatalf("float of %s: %v, want %v", rx.RatString(), x.float(), f)
		}
	}
}

// A float64 input stands for the shortest decimal that reads back as it.
func TestExactInputs(t *testing.T) {
	var a arena
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0.1, "1/10"}, {2.675, "107/40"}, {-447438.63, "-44743863/100"}, {1e-7, "1/10000000"},
		{123456789012345.67, "12345678901234567/100"}, {1e22, "10000000000000000000000"},
	} {
		if got := a.float(tc.f).rat().RatString(); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.f, got, tc.want)
		}
	}
}

func TestExactTinyInput(t *testing.T) {
	var a arena
	want, _ := new(big.Rat).SetString("5e-324")
	if got := a.float(5e-324).rat(); got.Cmp(want) != 0 {
		t.Errorf("5e-324: %s", got.RatString())
	}
}
