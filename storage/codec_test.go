package storage

import (
	"encoding/json"
	"fmt"
	jsonv2 "github.com/go-json-experiment/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"jixiao"
)

// TestCodecShapes fails when jixiao.Project, jixiao.Result or a type
// inside them changed: the hand-written codec then switches itself off
// (and encoding/json does the work, correctly but slowly) until codec.go
// is updated to the new fields.
func TestCodecShapes(t *testing.T) {
	if msg := shapeMismatch(projectShape, false); msg != "" {
		t.Errorf("the project decoder is off: %s; update codec.go", msg)
	}
	if msg := shapeMismatch(resultShape, true); msg != "" {
		t.Errorf("the result encoder is off: %s; update codec.go", msg)
	}
	if !decimalAppends() {
		t.Error("the result encoder is off: Decimal.MarshalJSON no longer writes what AppendTo appends; update codec.go")
	}
}

// awkward are strings that encoding/json escapes or repairs.
var awkward = []string{
	"", "plain", "中文名称（含全角括号）", `quote " and backslash \`, "line\nbreak\ttab\r", "<b>&amp;</b>",
	"\u2028\u2029", "bad utf-8 \xff\xfe", "control \x01\x1f", "del \x7f", "emoji 😀", "slash / and \\/",
}

// codecProject makes a random project that exercises every field.
func codecProject(r *rand.Rand, n int) jixiao.Project {
	str := func() string {
		if r.IntN(4) == 0 {
			return awkward[r.IntN(len(awkward))]
		}
		return fmt.Sprintf("项目%d", r.IntN(1000))
	}
	optDec := func() *jixiao.Decimal {
		if r.IntN(2) == 0 {
			return nil
		}
		d := jixiao.Cents(r.Int64N(1e12) - 1e11)
		return &d
	}
	optFloat := func() *float64 {
		var f float64
		switch r.IntN(8) {
		case 0:
			return nil
		case 1:
			f = math.Copysign(0, -1)
		case 2:
			f = 1e21 * r.Float64()
		case 3:
			f = 1e-7 * r.Float64()
		case 4:
			f = float64(r.IntN(1000))
		default:
			f = math.Round(r.NormFloat64()*1e6) / 100
		}
		return &f
	}
	p := jixiao.Project{
		ID: fmt.Sprintf("P%d", n), Name: str(), Department: str(), Year: 2000 + r.IntN(40),
		BudgetInitial: optDec(), BudgetAdjusted: jixiao.Cents(r.Int64N(1e12)), FundsArrived: optDec(),
		Spent: jixiao.Cents(r.Int64N(1e12) - 1e6), Balance: optDec(), ExecutionRate: optDec(),
		Compliance:       []jixiao.Rating{"", jixiao.Achieved, jixiao.PartiallyAchieved, "odd"}[r.IntN(4)],
		ImplementingUnit: []string{"", str()}[r.IntN(2)], AppropriationBudget: optDec(), AppropriationSpent: optDec(),
		CarryOverBudget: optDec(), CarryOverSpent: optDec(), OtherBudget: optDec(), OtherSpent: optDec(),
		GoalExpected: []string{"", str()}[r.IntN(2)], GoalAchieved: []string{"", str()}[r.IntN(2)],
		ExecutionReason: []string{"", str()}[r.IntN(2)],
	}
	switch k := r.IntN(14); k {
	case 0: // nil: "indicators": null
	case 1:
		p.Indicators = []jixiao.Indicator{}
	default:
		for range k {
			p.Indicators = append(p.Indicators, jixiao.Indicator{
				Level1: str(), Level2: str(), Name: str(),
				Direction: []jixiao.Direction{jixiao.AtLeast, jixiao.AtMost, jixiao.Exactly, jixiao.Qualitative, "", "≥", jixiao.Greater, jixiao.Less}[r.IntN(8)],
				Target:    optFloat(), Actual: optFloat(),
				Rating: []jixiao.Rating{"", jixiao.Achieved, jixiao.NotAchieved}[r.IntN(3)],
				Unit:   []string{"", "%", "人次", "元"}[r.IntN(4)], Weight: optDec(),
				DeviationReason: []string{"", str()}[r.IntN(2)],
				ProposedScore:   optDec(), Description: []string{"", str()}[r.IntN(2)],
				Deduction: optDec(), DeductionReason: []string{"", str()}[r.IntN(2)],
			})
		}
	}
	if r.IntN(3) == 0 {
		p.CategoryPoints = map[string]jixiao.Decimal{}
		for range r.IntN(4) {
			// Canonical keys: the fast path leaves escaped keys to encoding/json.
			p.CategoryPoints[[]string{"产出指标", "效益指标", "output", "满意度指标"}[r.IntN(4)]] = jixiao.Cents(r.Int64N(10000))
		}
	}
	return p
}

// sameAsEncodingJSON decodes body both ways and reports a difference.
func sameAsEncodingJSON(t *testing.T, body string) {
	t.Helper()
	var want, got jixiao.Project
	wantErr := json.Unmarshal([]byte(body), &want)
	gotErr := decodeProject(body, &got)
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("%s\nerror %v, want %v", body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\ndecoded %+v\nwant    %+v", body, got, want)
	}
}

func TestDecodeProject(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for n := range 5000 {
		p := codecProject(r, n)
		body, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		sameAsEncodingJSON(t, string(body))
		var q jixiao.Project
		if rd := (jsonReader{s: string(body), slabs: &decodeSlabs{}}); rd.project(&q) {
			fast++
		}
	}
	// Canonical bodies never need the fallback.
	if fast != 5000 {
		t.Errorf("the fast path read %d of 5000 canonical bodies", fast)
	}

	for _, body := range []string{
		`{}`, `null`, ` { "id" : "a" , "year" : 2024 } `, `{"ID":"upper case key"}`, `{"id":"a","extra":1}`,
		`{"id":"a","id":"b"}`, `{"indicators":[{"name":"a"}],"indicators":[{"unit":"b"}]}`,
		`{"indicators":[{"name":"a","name":"b"}]}`, `{"indicators":[null]}`, `{"indicators":null}`, `{"indicators":[]}`,
		`{"year":2024.0}`, `{"year":1e3}`, `{"year":"2024"}`, `{"year":99999999999999999999}`, `{"year":-0}`,
		`{"spent":"12.5"}`, `{"spent":12.345}`, `{"spent":null}`, `{"budget_initial":null}`, `{"spent":01}`,
		`{"indicators":[{"target":1e400}]}`, `{"indicators":[{"target":-0.0}]}`, `{"indicators":[{"target":"1"}]}`,
		`{"name":"\u4e2d\u6587"}`, `{"name":"\ud83d\ude00"}`, `{"name":"\ud800"}`, `{"name":"bad \x"}`, "{\"name\":\"raw\x01\"}",
		"{\"name\":\"\xff\"}", `{"na\u006de":"escaped key"}`, `{"name":1}`, `{"id":"a"} trailing`, `{"id":"a",}`, `{"id":"a"`,
		`[]`, `"text"`, ``, `{"compliance":null,"department":null}`,
		`{"category_points":{"产出指标":45,"产出指标":50}}`, `{"category_points":{}}`, `{"category_points":null}`,
		`{"category_points":[45]}`, `{"category_points":{"a":"45"}}`, `{"category_points":{"a":45.001}}`,
	} {
		sameAsEncodingJSON(t, body)
	}
}

func FuzzDecodeProject(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 20 {
		p := codecProject(r, n)
		body, _ := json.Marshal(&p)
		f.Add(string(body))
	}
	f.Add(`{"indicators":[{"name":"a"}],"indicators":[{"unit":"b"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		sameAsEncodingJSON(t, body)
	})
}

// codecResult makes a random result that exercises every field.
func codecResult(r *rand.Rand) jixiao.Result {
	str := func() string {
		if r.IntN(3) == 0 {
			return awkward[r.IntN(len(awkward))]
		}
		return fmt.Sprintf("得分 = 10 × %d%%", r.IntN(100))
	}
	var nodes func(depth int) []jixiao.Node
	nodes = func(depth int) []jixiao.Node {
		switch k := r.IntN(5); {
		case depth > 2 || k == 0:
			return nil
		case k == 1:
			return []jixiao.Node{}
		default:
			out := make([]jixiao.Node, k)
			for i := range out {
				out[i] = jixiao.Node{ID: fmt.Sprintf("n%d", i), Name: str(), Points: jixiao.Cents(r.Int64N(10000)),
					Score: jixiao.Cents(r.Int64N(20000) - 5000), Reason: []string{"", str()}[r.IntN(2)], Children: nodes(depth + 1)}
			}
			return out
		}
	}
	res := jixiao.Result{
		ProjectID: str(), ProjectName: str(), Total: jixiao.Cents(r.Int64N(10001)), Grade: "优",
		RuleSet:    jixiao.RuleSetRef{ID: "cn-mof-2020-self", Version: "2024.1", Hash: ruleHash},
		Indicators: nodes(0),
	}
	switch k := r.IntN(4); k {
	case 0:
	case 1:
		res.Findings = []jixiao.Finding{}
	default:
		for range k {
			res.Findings = append(res.Findings, jixiao.Finding{Check: "c", Severity: jixiao.SeverityWarning, Message: str(), Indicator: []string{"", "n1"}[r.IntN(2)]})
		}
	}
	return res
}

func sameEncoding(t *testing.T, res *jixiao.Result) {
	t.Helper()
	want, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("encoded\n%s\nwant\n%s", got, want)
	}
}

func TestEncodeResult(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		res := codecResult(r)
		sameEncoding(t, &res)
	}
	p := testProject(2024, "P1", "住建局")
	res := testResult(&p, 9321, "优")
	sameEncoding(t, &res)
	sameEncoding(t, &jixiao.Result{})
}

// TestEncodeResultString encodes many results into shared blocks: each is
// what json.Marshal writes, and stays so while later ones are written
// after it, including results larger than a block and results that
// json.Marshal writes (awkward strings).
func TestEncodeResultString(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var (
		buf  []byte
		got  []string
		want []string
	)
	for i := range 3000 {
		res := codecResult(r)
		switch i % 500 {
		case 17: // larger than the room kept free
			res.ProjectName = strings.Repeat("项目名称很长", resultRoom/12)
		case 99: // larger than a block
			res.Indicators = []jixiao.Node{{ID: "x", Name: strings.Repeat("指标", resultBlock/3), Reason: "得分 = 10"}}
		}
		w, err := json.Marshal(&res)
		if err != nil {
			t.Fatal(err)
		}
		var s string
		s, buf, err = encodeResultString(buf, &res)
		if err != nil {
			t.Fatal(err)
		}
		if s != string(w) {
			t.Fatalf("#%d: encoded\n%s\nwant\n%s", i, s, w)
		}
		got, want = append(got, s), append(want, string(w))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("#%d changed after later results were encoded:\n%s\nwant\n%s", i, got[i], want[i])
		}
	}
}

// TestAppendStringLineSeparators checks the strings appendString must hand
// to json.Marshal for U+2028 and U+2029 and the ones it need not.
func TestAppendStringLineSeparators(t *testing.T) {
	for _, s := range []string{"\u2028", "a\u2029", "得分\u2028", "\u2027\u202a\u2028", "\u2027", "\u202a", "…—“”", "\xe2", "a\xe2\x80", "\xe2\x80\xa8"[:2]} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
	}
}

func FuzzEncodeResult(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, int64(12345))
	}
	f.Fuzz(func(t *testing.T, s string, cents int64) {
		res := jixiao.Result{ProjectID: s, ProjectName: s, Total: jixiao.Cents(cents), Grade: s,
			Indicators: []jixiao.Node{{ID: s, Name: s, Points: jixiao.Cents(-cents), Reason: s}},
			Findings:   []jixiao.Finding{{Check: s, Message: s, Indicator: s}}}
		sameEncoding(t, &res)
	})
}

// BenchmarkCodec compares the hand-written codec with encoding/json and
// with github.com/go-json-experiment/json (the basis of encoding/json/v2)
// on a canonical project body and on a result of the engine's size.
func BenchmarkCodec(b *testing.B) {
	bodies := make([]string, 256)
	for i := range bodies {
		p := testProject(2024, fmt.Sprintf("P%05d", i), "市住房和城乡建设局")
		body, _ := json.Marshal(&p)
		bodies[i] = string(body)
	}
	p := testProject(2024, "P1", "住建局")
	res := testResult(&p, 9321, "优")
	b.Run("decode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var p jixiao.Project
			if err := json.Unmarshal([]byte(bodies[i%len(bodies)]), &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/json-v2", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var p jixiao.Project
			if err := jsonv2.Unmarshal([]byte(bodies[i%len(bodies)]), &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/codec", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var p jixiao.Project
			if err := decodeProject(bodies[i%len(bodies)], &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/codec-chunk", func(b *testing.B) {
		// as a stream decodes: the values of a chunk's projects from shared blocks
		b.ReportAllocs()
		slabs := decodeSlabs{block: chunkSlabBlock}
		for i := 0; b.Loop(); i++ {
			var p jixiao.Project
			if err := slabs.decode(bodies[i%len(bodies)], &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/json-v2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonv2.Marshal(&res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeResult(&res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/codec-blocks", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if _, buf, err = encodeResultString(buf, &res); err != nil {
				b.Fatal(err)
			}
		}
	})
}
