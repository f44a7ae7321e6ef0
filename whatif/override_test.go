package whatif

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"jixiao"
)

// sample returns three small projects of two departments and two years.
func sample() []jixiao.Project {
	return []jixiao.Project{
		{
			ID: "A1", Name: "甲", Department: "财政局", Year: 2024,
			BudgetInitial: decp("120000"), BudgetAdjusted: dec("100000"), FundsArrived: decp("100000"),
			Spent: dec("80000.50"), Balance: decp("19999.50"), ExecutionRate: decp("80"), Compliance: jixiao.Achieved,
			Indicators: []jixiao.Indicator{
				{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.AtLeast, Target: fp(10), Actual: fp(8), Unit: "个"},
				{Level1: "产出指标", Level2: "时效指标", Name: "响应时间", Direction: jixiao.AtMost, Target: fp(30), Actual: fp(45), Unit: "分钟"},
				{Level1: "效益指标", Level2: "社会效益指标", Name: "效益", Direction: jixiao.Qualitative, Rating: jixiao.PartiallyAchieved},
				{Level1: "满意度指标", Level2: "服务对象满意度指标", Name: "满意度", Direction: jixiao.AtLeast, Target: fp(90), Actual: fp(85), Unit: "%"},
			},
		},
		{
			ID: "A2", Name: "乙", Department: "财政局", Year: 2023,
			BudgetAdjusted: dec("50000"), Spent: dec("50000"),
			Indicators: []jixiao.Indicator{
				{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.AtLeast, Target: fp(5)},
			},
		},
		{
			ID: "B1", Name: "丙", Department: "教育局", Year: 2024,
			BudgetAdjusted: dec("200000"), Spent: dec("150000"), Balance: decp("50000"),
			Indicators: []jixiao.Indicator{
				{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.AtLeast, Target: fp(100), Actual: fp(100)},
			},
		},
	}
}

func amount(d *jixiao.Decimal) string {
	if d == nil {
		return "nil"
	}
	return d.String()
}

func value(f *float64) string {
	if f == nil {
		return "nil"
	}
	return jixiao.RoundFloat(*f).String() + "|" + strings.TrimRight(strings.TrimRight(jsonFloat(*f), "0"), ".")
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	s := string(b)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// fieldOf reads a field of p as text, for comparisons.
func fieldOf(p *jixiao.Project, field, indicator string) string {
	switch field {
	case FieldBudgetInitial:
		return amount(p.BudgetInitial)
	case FieldBudgetAdjusted:
		return p.BudgetAdjusted.String()
	case FieldFundsArrived:
		return amount(p.FundsArrived)
	case FieldSpent:
		return p.Spent.String()
	case FieldBalance:
		return amount(p.Balance)
	case FieldExecutionRate:
		return amount(p.ExecutionRate)
	case FieldCompliance:
		return string(p.Compliance)
	}
	var parts []string
	for _, ind := range p.Indicators {
		if indicator != "" && ind.Name != indicator {
			continue
		}
		v := ind.Actual
		if field == FieldIndicatorTarget {
			v = ind.Target
		}
		parts = append(parts, ind.Name+"="+value(v))
	}
	return strings.Join(parts, " ")
}

func TestApplyFields(t *testing.T) {
	tests := []struct {
		name      string
		o         Override
		project   string // the project to look at
		indicator string // for indicator fields: "" shows all
		want      string
	}{
		{"budget_initial set", Override{Field: "budget_initial", Set: num("130000.5")}, "A1", "", "130000.50"},
		{"budget_adjusted percent", Override{Field: "budget_adjusted", Percent: fp(10)}, "A1", "", "110000.00"},
		{"funds_arrived expr rounds half-up", Override{Field: "funds_arrived", Expr: "value - 1000.005"}, "A1", "", "99000.00"},
		{"spent percent -15 rounds half-up", Override{Field: "spent", Percent: fp(-15)}, "A1", "", "68000.43"}, // 68000.425
		{"spent expr with min", Override{Field: "spent", Expr: "min(spent * 1.5, budget_adjusted)"}, "A1", "", "100000.00"},
		{"spent set", Override{Field: "spent", Set: num("1e4")}, "A1", "", "10000.00"},
		{"balance expr", Override{Field: "balance", Expr: "budget_adjusted - spent"}, "B1", "", "50000.00"},
		{"execution_rate expr", Override{Field: "execution_rate", Expr: "round(spent / budget_adjusted * 10000) / 100"}, "A1", "", "80.00"},
		{"execution_rate percent", Override{Field: "execution_rate", Percent: fp(12.5)}, "A1", "", "90.00"},
		{"compliance set", Override{Field: "compliance", Set: num("未达成")}, "A1", "", "未达成"},
		{"compliance set on an empty one", Override{Field: "compliance", Set: num("达成")}, "B1", "", "达成"},

		// Fields the project leaves empty.
		{"empty balance: percent leaves it empty", Override{Field: "balance", Percent: fp(10)}, "A2", "", "nil"},
		{"empty balance: set fills it", Override{Field: "balance", Set: num("0")}, "A2", "", "0.00"},
		{"empty balance: expr fills it", Override{Field: "balance", Expr: "has_value ? value : budget_adjusted - spent + 1"}, "A2", "", "1.00"},
		{"empty funds read as 0", Override{Field: "spent", Expr: "funds_arrived + 7"}, "A2", "", "7.00"},

		// Indicators.
		{"actual of one indicator", Override{Field: "indicator.actual", Indicator: "数量", Set: num("9.5")}, "A1", "", "数量=9.50|9.5 响应时间=45.00|45 效益=nil 满意度=85.00|85"},
		{"target of every indicator", Override{Field: "indicator.target", Percent: fp(10)}, "A1", "", "数量=11.00|11 响应时间=33.00|33 效益=nil 满意度=99.00|99"},
		{"actual from target", Override{Field: "indicator.actual", Expr: "target * 0.8"}, "A1", "", "数量=8.00|8 响应时间=24.00|24 效益=nil 满意度=72.00|72"},
		{"actual percent keeps decimals", Override{Field: "indicator.actual", Indicator: "满意度", Percent: fp(-0.1)}, "A1", "满意度", "满意度=84.92|84.915"},
		{"empty actual: percent leaves it", Override{Field: "indicator.actual", Percent: fp(50)}, "A2", "", "数量=nil"},
		{"empty actual: expr fills it", Override{Field: "indicator.actual", Expr: "has_value ? value : target / 2"}, "A2", "", "数量=2.50|2.5"},
		{"indicator reads project fields", Override{Field: "indicator.actual", Indicator: "数量", Expr: "spent / budget_adjusted * target"}, "B1", "", "数量=75.00|75"},

		// Negative results are allowed here; the rule set's checks reject them.
		{"negative spent is allowed", Override{Field: "spent", Percent: fp(-150)}, "A1", "", "-40000.25"},
		{"negative actual is allowed", Override{Field: "indicator.actual", Indicator: "数量", Set: num("-3")}, "A1", "数量", "数量=-3.00|-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sample()
			before := snapshot(t, in)
			out, err := Apply(in, []Override{tt.o})
			if err != nil {
				t.Fatal(err)
			}
			if got := snapshot(t, in); got != before {
				t.Fatalf("Apply changed its input:\n%s\n%s", before, got)
			}
			p := byID(t, out, tt.project)
			if got := fieldOf(&p, tt.o.Field, tt.indicator); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.o.Field, got, tt.want)
			}
		})
	}
}

func TestApplySelection(t *testing.T) {
	tests := []struct {
		name string
		o    Override
		want map[string]string // spent by project
	}{
		{"all", Override{Field: "spent", Set: num("1")}, map[string]string{"A1": "1.00", "A2": "1.00", "B1": "1.00"}},
		{"department", Override{Department: "财政局", Field: "spent", Set: num("1")}, map[string]string{"A1": "1.00", "A2": "1.00", "B1": "150000.00"}},
		{"year", Override{Year: 2024, Field: "spent", Set: num("1")}, map[string]string{"A1": "1.00", "A2": "50000.00", "B1": "1.00"}},
		{"department and year", Override{Department: "财政局", Year: 2024, Field: "spent", Set: num("1")}, map[string]string{"A1": "1.00", "A2": "50000.00", "B1": "150000.00"}},
		{"ids", Override{ProjectIDs: []string{"B1", "A2"}, Field: "spent", Set: num("1")}, map[string]string{"A1": "80000.50", "A2": "1.00", "B1": "1.00"}},
		{"ids and department", Override{ProjectIDs: []string{"B1", "A2"}, Department: "教育局", Field: "spent", Set: num("1")}, map[string]string{"A1": "80000.50", "A2": "50000.00", "B1": "1.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Apply(sample(), []Override{tt.o})
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tt.want {
				p := byID(t, out, id)
				if got := p.Spent.String(); got != want {
					t.Errorf("%s: spent = %s, want %s", id, got, want)
				}
			}
		})
	}
}

// Overrides apply in order: the second sees the spent the first set.
func TestApplyInOrder(t *testing.T) {
	out, err := Apply(sample(), []Override{
		{Field: "spent", Percent: fp(-15)},
		{Field: "balance", Expr: "budget_adjusted - spent"},
		{Field: "execution_rate", Expr: "round(spent / budget_adjusted * 10000) / 100"},
		{ProjectIDs: []string{"A1"}, Field: "spent", Percent: fp(10)},
	})
	if err != nil {
		t.Fatal(err)
	}
	a1 := byID(t, out, "A1")
	if got := [3]string{a1.Spent.String(), amount(a1.Balance), amount(a1.ExecutionRate)}; got != [3]string{"74800.47", "31999.57", "68.00"} {
		t.Errorf("A1: spent, balance, execution_rate = %v", got)
	}
}

// Apply copies what it changes: writing through the result's pointers and
// indicator lists leaves the input as it was, and unchanged projects are
// equal to the input.
func TestApplyDoesNotShare(t *testing.T) {
	in := sample()
	before := snapshot(t, in)
	out, err := Apply(in, []Override{
		{ProjectIDs: []string{"A1"}, Field: "balance", Percent: fp(1)},
		{ProjectIDs: []string{"A1"}, Field: "indicator.actual", Indicator: "数量", Percent: fp(1)},
		{ProjectIDs: []string{"A1"}, Field: "indicator.target", Indicator: "满意度", Set: num("95")},
	})
	if err != nil {
		t.Fatal(err)
	}
	*out[0].Balance = 1
	*out[0].Indicators[0].Actual = 1
	*out[0].Indicators[3].Target = 1
	out[0].Indicators[1].Name = "changed"
	if got := snapshot(t, in); got != before {
		t.Fatalf("writing to the result changed the input")
	}
	if snapshot(t, out[1:]) != snapshot(t, in[1:]) {
		t.Errorf("untouched projects differ")
	}
	if out[0].BudgetInitial != in[0].BudgetInitial {
		t.Errorf("an untouched pointer field was copied needlessly")
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		o    []Override
		want []string // all in the message
	}{
		{"unknown field", []Override{{Field: "spnt", Set: num("1")}}, []string{"overrides[0] (spnt)", "unknown field", "budget_initial"}},
		{"missing field", []Override{{Set: num("1")}}, []string{"overrides[0]", "missing field"}},
		{"set and percent", []Override{{Field: "spent", Percent: fp(1)}, {Field: "spent", Set: num("1"), Percent: fp(1)}}, []string{"overrides[1] (spent)", "only one of set, percent or expr, not set and percent"}},
		{"set and expr", []Override{{Field: "spent", Set: num("1"), Expr: "1"}}, []string{"overrides[0] (spent)", "not set and expr"}},
		{"none", []Override{{Field: "spent"}}, []string{"overrides[0] (spent)", "give one of set, percent or expr"}},
		{"bad expr", []Override{{Field: "spent", Expr: "spent *"}}, []string{"overrides[0] (spent)", `expr "spent *"`}},
		{"unknown name in expr", []Override{{Field: "spent", Percent: fp(1)}, {Field: "balance", Set: num("1")}, {Field: "spent", Expr: "spnt * 0.9"}}, []string{"overrides[2] (spent)", "unknown name spnt"}},
		{"indicator names in a project expr", []Override{{Field: "spent", Expr: "target"}}, []string{"overrides[0] (spent)", "unknown name target"}},
		{"builtin not allowed", []Override{{Field: "spent", Expr: "len([spent])"}}, []string{"overrides[0] (spent)", "lists and maps are not allowed"}},
		{"function not allowed", []Override{{Field: "spent", Expr: "int(spent)"}}, []string{"overrides[0] (spent)", "unknown name int"}},
		{"clock not allowed", []Override{{Field: "spent", Expr: "now()"}}, []string{"overrides[0] (spent)", "unknown name now"}},
		{"range not allowed", []Override{{Field: "spent", Expr: "max(1..1000000000)"}}, []string{"overrides[0] (spent)", `"..`}},
		{"string not allowed", []Override{{Field: "spent", Expr: `"1"`}}, []string{"overrides[0] (spent)", "strings are not allowed"}},
		{"text result", []Override{{Field: "spent", Expr: "spent > 1"}}, []string{"overrides[0] (spent)", "bool"}},
		{"too large", []Override{{Field: "spent", Expr: strings.Repeat("spent + ", 300) + "1"}}, []string{"overrides[0] (spent)", "exceeds maximum allowed nodes"}},
		{"division by zero", []Override{{Field: "spent", Expr: "spent / (budget_adjusted - budget_adjusted)"}}, []string{"overrides[0] (spent)", "gives no number for project A1"}},
		{"out of range", []Override{{Field: "spent", Expr: "spent * 1e20"}}, []string{"overrides[0] (spent)", "out of range"}},
		{"set with 3 decimals", []Override{{Field: "spent", Set: num("1.005")}}, []string{"overrides[0] (spent)", "more than 2 decimal places"}},
		{"set not a number", []Override{{Field: "spent", Set: num("达成")}}, []string{"overrides[0] (spent)"}},
		{"set not a number for an indicator", []Override{{Field: "indicator.actual", Set: num("x")}}, []string{"overrides[0] (indicator.actual)", "finite number"}},
		{"bad rating", []Override{{Field: "compliance", Set: num("好")}}, []string{"overrides[0] (compliance)", "达成, 部分达成, 未达成"}},
		{"percent on compliance", []Override{{Field: "compliance", Percent: fp(5)}}, []string{"overrides[0] (compliance)", "rating"}},
		{"indicator on a project field", []Override{{Field: "spent", Indicator: "数量", Set: num("1")}}, []string{"overrides[0] (spent)", "only for indicator.actual"}},
		{"unknown indicator", []Override{{Field: "indicator.actual", Indicator: "数星", Set: num("1")}}, []string{"overrides[0] (indicator.actual)", `quantitative indicator named "数星"`}},
		{"qualitative indicator", []Override{{Field: "indicator.actual", Indicator: "效益", Set: num("1")}}, []string{"overrides[0] (indicator.actual)", "qualitative"}},
		{"unknown project id", []Override{{ProjectIDs: []string{"A1", "Z9"}, Field: "spent", Set: num("1")}}, []string{"overrides[0] (spent)", `no project has id "Z9"`}},
		{"selects nothing", []Override{{Department: "财政局", Year: 2022, Field: "spent", Set: num("1")}}, []string{"overrides[0] (spent)", "selects no project", "财政局", "2022"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sample()
			before := snapshot(t, in)
			_, err := Apply(in, tt.o)
			if err == nil {
				t.Fatal("no error")
			}
			if jixiao.ErrorCode(err) != jixiao.EINVALID {
				t.Errorf("code %s, want %s", jixiao.ErrorCode(err), jixiao.EINVALID)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if snapshot(t, in) != before {
				t.Errorf("a failed Apply changed its input")
			}
		})
	}
}

func TestApplyErrorDetails(t *testing.T) {
	_, err := Apply(sample(), []Override{{Field: "spent", Percent: fp(1)}, {Field: "spent", Expr: "spnt"}})
	var e *jixiao.Error
	if !asError(err, &e) || len(e.Details) != 1 || e.Details[0].Field != "overrides[1].expr" {
		t.Fatalf("details of %v: %+v", err, e)
	}
}

func asError(err error, target **jixiao.Error) bool {
	e, ok := err.(*jixiao.Error)
	*target = e
	return ok
}

func TestApplyNothing(t *testing.T) {
	in := sample()
	out, err := Apply(in, nil)
	if err != nil || snapshot(t, out) != snapshot(t, in) {
		t.Fatalf("no overrides: %v", err)
	}
	if out, err := Apply(nil, nil); err != nil || len(out) != 0 {
		t.Fatalf("no projects: %v %v", out, err)
	}
}

func TestOverrideJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    string // the override as Go syntax, roughly
		wantErr string
	}{
		{in: `{"field":"compliance","set":"部分达成"}`, want: "compliance set 部分达成"},
		{in: `{"field":"spent","set":447438.63}`, want: "spent set 447438.63"},
		{in: `{"field":"spent","set":"447438.63"}`, want: "spent set 447438.63"},
		{in: `{"field":"spent","percent":-15,"department":"d","year":2024,"project_ids":["a","b"]}`, want: "spent percent -15 d 2024 [a b]"},
		{in: `{"field":"indicator.actual","indicator":"满意度","expr":"target"}`, want: "indicator.actual 满意度 expr target"},
		{in: `{"field":"spent","set":null}`, want: "spent"},
		{in: `{"field":"spent","sets":1}`, wantErr: `未知字段 "sets"`},
		{in: `{"Field":"spent","set":1}`, wantErr: `未知字段 "Field"`},
		{in: `{"field":"spent","field":"balance","set":1}`, wantErr: `字段 "field" 重复`},
		{in: `{"field":"spent","set":true}`, wantErr: "must be a number or a rating"},
		{in: `{"field":"spent","percent":"x"}`, wantErr: "percent"},
	}
	for _, tt := range tests {
		var o Override
		err := json.Unmarshal([]byte(tt.in), &o)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got := describe(o); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.in, got, tt.want)
		}
		// And back.
		b, err := json.Marshal(o)
		if err != nil {
			t.Errorf("%s: marshal: %v", tt.in, err)
			continue
		}
		var again Override
		if err := json.Unmarshal(b, &again); err != nil || describe(again) != tt.want {
			t.Errorf("%s: round trip through %s gives %q, %v", tt.in, b, describe(again), err)
		}
	}
}

func describe(o Override) string {
	parts := []string{o.Field}
	if o.Indicator != "" {
		parts = append(parts, o.Indicator)
	}
	if o.Set != nil {
		parts = append(parts, "set", string(*o.Set))
	}
	if o.Percent != nil {
		parts = append(parts, "percent", strings.TrimSuffix(jsonFloat(*o.Percent), ".0"))
	}
	if o.Expr != "" {
		parts = append(parts, "expr", o.Expr)
	}
	if o.Department != "" {
		parts = append(parts, o.Department)
	}
	if o.Year != 0 {
		parts = append(parts, jsonFloat(float64(o.Year))[:4])
	}
	if o.ProjectIDs != nil {
		parts = append(parts, "["+strings.Join(o.ProjectIDs, " ")+"]")
	}
	return strings.Join(parts, " ")
}

// An override decoded from JSON works in Apply: compliance needs its
// rating as a string.
func TestOverrideJSONApply(t *testing.T) {
	var list []Override
	if err := json.Unmarshal([]byte(`[{"field":"compliance","set":"未达成","project_ids":["A1"]},{"field":"spent","percent":-15}]`), &list); err != nil {
		t.Fatal(err)
	}
	out, err := Apply(sample(), list)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Compliance != jixiao.NotAchieved || out[0].Spent != dec("68000.43") {
		t.Errorf("got %s, %s", out[0].Compliance, out[0].Spent)
	}
}

// A percentage is applied exactly: 1,236,301.27 × (1 − 12.34567%) is
// 1,083,671.594999991, a hair below the half cent, so 1,083,671.59.
func TestPercentIsExact(t *testing.T) {
	got := percentOf(new(big.Rat).SetFrac64(123630127, 100), -12.34567, 2)
	if want := big.NewRat(108367159, 100); got.Cmp(want) != 0 {
		t.Errorf("got %s, want %s", got.FloatString(2), want.FloatString(2))
	}
	// half a cent exactly rounds up, away from zero
	if got := percentOf(big.NewRat(10010, 100), -15, 2); got.Cmp(big.NewRat(8509, 100)) != 0 {
		t.Errorf("100.10 − 15%%: got %s, want 85.09", got.FloatString(2))
	}
	if got := percentOf(big.NewRat(-10010, 100), -15, 2); got.Cmp(big.NewRat(-8509, 100)) != 0 {
		t.Errorf("−100.10 − 15%%: got %s, want −85.09", got.FloatString(2))
	}
}

// Money is scaled by a percentage in 64-bit integers when the factor's
// fraction fits: the result is percentOf's, half cents and signs included.
func TestScaleHundredthsAgreesWithPercentOf(t *testing.T) {
	pcts := []float64{-15, -12.34567, 0.5, 7, -100, -250, 33.333333333333336, 1e-7, 99.99, -0.005, 12.5}
	amounts := []int64{0, 1, -1, 10010, -10010, 123630127, 99999999999999, -5, 7, 1_000_000_000_000_00}
	r := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		amounts = append(amounts, r.Int64N(2_000_000_000_000)-1_000_000_000_000)
	}
	for _, pct := range pcts {
		num, den, neg, ok := exactFactor(pct)
		if !ok {
			t.Errorf("pct %v: factor does not fit", pct)
			continue
		}
		for _, h := range amounts {
			want := percentOf(new(big.Rat).SetFrac64(h, 100), pct, 2)
			wantH := new(big.Rat).Mul(want, big.NewRat(100, 1))
			got, fits := scaleHundredths(h, num, den, neg)
			if !fits {
				if wantH.Num().IsInt64() {
					t.Errorf("%d × (100%+v%%): did not fit, want %s", h, pct, wantH.FloatString(0))
				}
				continue
			}
			if !wantH.IsInt() || wantH.Num().Int64() != got {
				t.Errorf("%d hundredths × (100%+v%%) = %d, want %s", h, pct, got, wantH.FloatString(0))
			}
		}
	}
}
