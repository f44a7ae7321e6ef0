package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"jixiao"
	"jixiao/demo"
	"jixiao/rules"
)

// The fast path (float64 with error bounds, exact only near a boundary)
// must give exactly what evaluating every formula exactly gives: the same
// totals, grades, leaf scores, reasons and findings, byte for byte.

// referenceScorer evaluates every formula with the exact evaluator.
func (rs *RuleSet) referenceScorer() *Scorer {
	s := rs.NewScorer()
	s.reference = true
	return s
}

// boundaryGen perturbs projects so that their numbers sit on, or a cent
// beside, the places where a score rounds (x.xx5) or a condition flips.
type boundaryGen struct {
	r *rand.Rand
}

func (g *boundaryGen) cents(lo, hi int64) int64 { return lo + g.r.Int64N(hi-lo) }

// near returns v, or v moved by a cent or two either way.
func (g *boundaryGen) near(v *big.Rat) float64 {
	c := new(big.Rat).Mul(v, big.NewRat(100, 1))
	n := new(big.Int).Quo(c.Num(), c.Denom()).Int64() + g.r.Int64N(5) - 2
	return float64(n) / 100
}

// halfCentPoint returns an actual value A for which W × A / T lies at a
// rounding boundary k + 0.005, to the cent nearest it.
func (g *boundaryGen) halfCentPoint(w jixiao.Decimal, t float64) float64 {
	// score = k.kk5 → A = score × T / W
	score := new(big.Rat).SetFrac64(g.r.Int64N(w.Hundredths()+1)*10+5, 1000)
	tr, _ := new(big.Rat).SetString(strconv.FormatFloat(t, 'f', -1, 64))
	a := new(big.Rat).Mul(score, tr)
	a.Quo(a, new(big.Rat).SetFrac64(w.Hundredths(), 100))
	return g.near(a)
}

// money returns a budget: small, ordinary or in the hundreds of millions.
func (g *boundaryGen) money() jixiao.Decimal {
	switch g.r.IntN(3) {
	case 0:
		return jixiao.Cents(g.cents(100, 1_000_000))
	case 1:
		return jixiao.Cents(g.cents(1_000_000, 10_000_000_000))
	}
	return jixiao.Cents(g.cents(10_000_000_000, 100_000_000_000_00))
}

func (g *boundaryGen) perturb(p *jixiao.Project) {
	r := g.r
	budget := g.money()
	p.BudgetAdjusted = budget
	b := new(big.Rat).SetFrac64(budget.Hundredths(), 100)
	switch r.IntN(6) {
	case 0: // spent equal to the budget, or a cent off
		p.Spent = budget + jixiao.Cents(r.Int64N(3)-1)
	case 1: // a rate of xx.xx5 %: the execution score rounds at a half cent
		rate := new(big.Rat).SetFrac64(r.Int64N(10000)*10+5, 1000*100)
		p.Spent = jixiao.Cents(int64(g.near(new(big.Rat).Mul(b, rate)) * 100))
	case 2: // a rate near 90 %
		p.Spent = jixiao.Cents(int64(g.near(new(big.Rat).Mul(b, big.NewRat(9, 10))) * 100))
	default:
		p.Spent = jixiao.Cents(r.Int64N(budget.Hundredths() + 2))
	}
	if p.Spent < 0 {
		p.Spent = 0
	}
	if r.IntN(2) == 0 { // a stated balance near the 100-yuan tolerance
		bal := budget - p.Spent + jixiao.Cents((r.Int64N(3)-1)*10000+r.Int64N(3)-1)
		p.Balance = &bal
	}
	if r.IntN(2) == 0 { // a stated rate near 0.01 points off
		exact := new(big.Rat).SetFrac64(p.Spent.Hundredths()*100, max(budget.Hundredths(), 1))
		off := new(big.Rat).SetFrac64(r.Int64N(3)-1, 100)
		rate := jixiao.Cents(int64(g.near(new(big.Rat).Add(exact, off)) * 100))
		p.ExecutionRate = &rate
	}
	for i := range p.Indicators {
		ind := &p.Indicators[i]
		if ind.Direction == jixiao.Qualitative {
			continue
		}
		t := float64(g.cents(1, 10_000_000_000)) / 100
		if r.IntN(4) == 0 {
			t = float64(r.IntN(200)) // small whole targets, and 0
		}
		ind.Target = &t
		tr, _ := new(big.Rat).SetString(strconv.FormatFloat(t, 'f', -1, 64))
		var a float64
		switch r.IntN(7) {
		case 0:
			a = t
		case 1: // where W × A / T rounds at a half cent, for a typical W
			w := []jixiao.Decimal{5000, 1667, 1666, 1250, 1000, 833, 3000, 714}[r.IntN(8)]
			a = g.halfCentPoint(w, t)
		case 2: // 1.2 × T: target_too_low
			a = g.near(new(big.Rat).Mul(tr, big.NewRat(6, 5)))
		case 3: // 2 × T: the <= rule's zero line
			a = g.near(new(big.Rat).Mul(tr, big.NewRat(2, 1)))
		case 4:
			a = g.near(tr)
		case 5:
			ind.Actual = nil
			continue
		default:
			a = float64(g.cents(0, 2*int64(t*100)+2)) / 100
		}
		ind.Actual = &a
	}
}

// boundaryProjects returns count projects, built on the generator of the
// hand-scorer tests and on the Huaihua projects.
func boundaryProjects(seed uint64, count int) []jixiao.Project {
	g := &boundaryGen{r: rand.New(rand.NewPCG(seed, 7))}
	gen := newProjectGen(seed)
	huaihua := demo.Huaihua()
	out := make([]jixiao.Project, count)
	for i := range out {
		if i%3 == 0 {
			p := huaihua[i%len(huaihua)]
			p.Indicators = append([]jixiao.Indicator(nil), p.Indicators...)
			out[i] = p
		} else {
			out[i] = gen.project(i, 0)
		}
		g.perturb(&out[i])
	}
	return out
}

func builtinRuleSets(t testing.TB) []*RuleSet {
	t.Helper()
	var out []*RuleSet
	for _, src := range rules.Builtin() {
		rs, err := Load(src.Path, src.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs)
	}
	return out
}

// sameOutcome compares the fast and the reference scorer on one project
// and describes the first difference.
func sameOutcome(fast, ref *Scorer, p *jixiao.Project) string {
	r1, j1 := fast.Score(p)
	r2, j2 := ref.Score(p)
	a, _ := json.Marshal(struct {
		R jixiao.Result
		J *jixiao.Rejection
	}{r1, j1})
	b, _ := json.Marshal(struct {
		R jixiao.Result
		J *jixiao.Rejection
	}{r2, j2})
	if !bytes.Equal(a, b) {
		return fmt.Sprintf("fast:\n%s\nexact:\n%s", a, b)
	}
	return ""
}

func TestFastPathIsExact(t *testing.T) {
	count := 25_000
	if testing.Short() {
		count = 2_000
	}
	projects := boundaryProjects(1, count)
	for _, rs := range builtinRuleSets(t) {
		t.Run(rs.Ref().ID, func(t *testing.T) {
			fast, ref := rs.NewScorer(), rs.referenceScorer()
			formulas := 0
			for i := range projects {
				if d := sameOutcome(fast, ref, &projects[i]); d != "" {
					in, _ := json.Marshal(projects[i])
					t.Fatalf("project %d differs\ninput: %s\n%s", i, in, d)
				}
				formulas += ref.f.exactCalls
				ref.f.exactCalls = 0
			}
			// The generator must reach the boundaries, or this test proves
			// nothing: the fast path needs the exact evaluator now and then.
			if fast.f.exactCalls < count/100 {
				t.Errorf("the fast path needed exact arithmetic %d times in %d projects; the generator misses the boundaries", fast.f.exactCalls, count)
			}
			t.Logf("%d projects, %d formula evaluations, %d of them exact on the fast path", count, formulas, fast.f.exactCalls)
		})
	}
}

func FuzzFastPathIsExact(f *testing.F) {
	f.Add(uint64(1), int64(100_000), int64(91_350), 1_234_567.89, 987_530.65)
	f.Add(uint64(2), int64(49_000_000), int64(44_743_863), 10.0, 8.0)
	rss := builtinRuleSets(f)
	f.Fuzz(func(t *testing.T, seed uint64, budget, spent int64, target, actual float64) {
		ps := boundaryProjects(seed, 3)
		// the fuzzer's own numbers on top of the generated ones
		ps[1].BudgetAdjusted, ps[1].Spent = jixiao.Cents(budget%1e15), jixiao.Cents(spent%1e15)
		for i := range ps[2].Indicators {
			if ps[2].Indicators[i].Direction != jixiao.Qualitative {
				tt, aa := target, actual
				ps[2].Indicators[i].Target, ps[2].Indicators[i].Actual = &tt, &aa
			}
		}
		for _, rs := range rss {
			fast, ref := rs.NewScorer(), rs.referenceScorer()
			for i := range ps {
				if d := sameOutcome(fast, ref, &ps[i]); d != "" {
					t.Fatalf("%s, project %d differs\n%s", rs.Ref().ID, i, d)
				}
			}
		}
	})
}
