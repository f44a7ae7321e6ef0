package jixiao

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

const huaihuaFile = "demo/huaihua-2024-projects.json"

// Indicators and a project taken from the Huaihua 2024 self-evaluations.
const (
	quantIndicator = `{"level1": "产出指标", "level2": "数量指标", "name": "适配终端数", "direction": ">=", "target": 3, "actual": 3, "unit": "个"}`
	qualIndicator  = `{"level1": "效益指标", "level2": "社会效益指标", "name": "业务办理便捷度提升", "direction": "qualitative", "rating": "达成"}`
	baseProject    = `{"id": "HH2024-05", "name": "前端适配项目", "department": "怀化市住房公积金管理中心", "year": 2024,
		"budget_initial": 337090, "budget_adjusted": 337090, "funds_arrived": 337090, "spent": 337054.03,
		"balance": 35.97, "execution_rate": 99.99, "compliance": "达成",
		"indicators": [` + quantIndicator + `, ` + qualIndicator + `]}`
)

// with returns the JSON object obj with field key set to the raw JSON
// value, or removed when value is "".
func with(obj, key, value string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		panic(err)
	}
	if value == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(value)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// withRaw appends the raw members to the JSON object obj, so that names
// can be repeated or spelled in another case.
func withRaw(obj, members string) string {
	obj = strings.TrimSpace(obj)
	return obj[:len(obj)-1] + ", " + members + "}"
}

// withIndicators returns baseProject with the given indicators.
func withIndicators(inds ...string) string {
	return with(baseProject, "indicators", "["+strings.Join(inds, ", ")+"]")
}

func decodeString(t *testing.T, s string) *Input {
	t.Helper()
	in, err := DecodeProjectsBytes([]byte(s))
	if err != nil {
		t.Fatalf("DecodeProjectsBytes: unexpected error %v\ninput: %s", err, s)
	}
	return in
}

func ptr[T any](v T) *T { return &v }

func TestDecodeBaseProject(t *testing.T) {
	in := decodeString(t, "["+baseProject+"]")
	if len(in.Rejected) != 0 {
		t.Fatalf("rejected: %+v", in.Rejected)
	}
	want := Project{
		ID:             "HH2024-05",
		Name:           "前端适配项目",
		Department:     "怀化市住房公积金管理中心",
		Year:           2024,
		BudgetInitial:  ptr(Points(337090)),
		BudgetAdjusted: Points(337090),
		FundsArrived:   ptr(Points(337090)),
		Spent:          Cents(33705403),
		Balance:        ptr(Cents(3597)),
		ExecutionRate:  ptr(Cents(9999)),
		Compliance:     Achieved,
		Indicators: []Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "适配终端数", Direction: AtLeast, Target: ptr(3.0), Actual: ptr(3.0), Unit: "个"},
			{Level1: "效益指标", Level2: "社会效益指标", Name: "业务办理便捷度提升", Direction: Qualitative, Rating: Achieved},
		},
	}
	if len(in.Projects) != 1 || !reflect.DeepEqual(in.Projects[0], want) {
		t.Errorf("decoded %+v\nwant    %+v", in.Projects, want)
	}
}

func TestDecodeHuaihua(t *testing.T) {
	data, err := os.ReadFile(huaihuaFile)
	if err != nil {
		t.Fatal(err)
	}
	in, err := DecodeProjects(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("DecodeProjects: %v", err)
	}
	if len(in.Rejected) != 0 {
		t.Errorf("rejected %d projects: %+v", len(in.Rejected), in.Rejected)
	}
	if len(in.Projects) != 26 {
		t.Fatalf("decoded %d projects, want 26", len(in.Projects))
	}
	for i, p := range in.Projects {
		if want := fmt.Sprintf("HH2024-%02d", i+1); p.ID != want {
			t.Errorf("project %d: id %q, want %q (input order)", i, p.ID, want)
		}
		if p.Name == "" || p.Year != 2024 || len(p.Indicators) == 0 {
			t.Errorf("project %s: name %q, year %d, %d indicators", p.ID, p.Name, p.Year, len(p.Indicators))
		}
	}
	p := in.Projects[0]
	if p.Name != "短信费用项目" || p.BudgetAdjusted.String() != "490000.00" || p.Spent.String() != "447438.63" ||
		p.ExecutionRate == nil || p.ExecutionRate.String() != "91.31" || p.Balance == nil || p.Balance.String() != "42600.00" ||
		p.BudgetInitial == nil || p.BudgetInitial.String() != "800000.00" || p.Compliance != Achieved {
		t.Errorf("HH2024-01 decoded as %+v", p)
	}
	if len(p.Indicators) != 3 || p.Indicators[1].Direction != Qualitative || p.Indicators[1].Rating != Achieved ||
		p.Indicators[0].Direction != AtLeast || *p.Indicators[0].Target != 2664531 || p.Indicators[2].Unit != "%" {
		t.Errorf("HH2024-01 indicators decoded as %+v", p.Indicators)
	}
	if got := in.Projects[8].Spent.String(); got != "399598.80" {
		t.Errorf("HH2024-09 spent %s, want 399598.80", got)
	}

	// The same projects as a bare array.
	var doc struct{ Projects []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	arr, _ := json.Marshal(doc.Projects)
	in2 := decodeString(t, string(arr))
	if !reflect.DeepEqual(in2, in) {
		t.Errorf("the bare array decodes differently from the document")
	}
}

// TestDecodeRoundTrip encodes decoded projects with encoding/json and
// decodes them again.
func TestDecodeRoundTrip(t *testing.T) {
	data, err := os.ReadFile(huaihuaFile)
	if err != nil {
		t.Fatal(err)
	}
	in := decodeString(t, string(data))
	checkRoundTrip(t, in)
}

func checkRoundTrip(t *testing.T, in *Input) {
	t.Helper()
	for _, p := range in.Projects {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("json.Marshal(%+v): %v", p, err)
		}
		again, err := DecodeProjectsBytes([]byte("[" + string(b) + "]"))
		if err != nil {
			t.Fatalf("decoding the encoded project %s: %v", b, err)
		}
		if len(again.Rejected) != 0 || len(again.Projects) != 1 {
			t.Fatalf("encoded project %s decodes as %+v", b, again)
		}
		if !reflect.DeepEqual(again.Projects[0], p) {
			t.Fatalf("round trip changed the project\nbefore %+v\nafter  %+v\nJSON   %s", p, again.Projects[0], b)
		}
	}
	b, err := json.Marshal(map[string]any{"projects": in.Projects})
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeProjectsBytes(b)
	if err != nil {
		t.Fatalf("decoding the encoded projects: %v", err)
	}
	if len(again.Rejected) != 0 || !reflect.DeepEqual(again.Projects, in.Projects) {
		t.Fatalf("round trip of the batch changed it: %+v", again)
	}
}

func TestDecodeForms(t *testing.T) {
	one := "[" + baseProject + "]"
	tests := []struct {
		name  string
		input string
	}{
		{"bare array", one},
		{"document", `{"projects": ` + one + `}`},
		{"BOM before an array", "\xef\xbb\xbf" + one},
		{"BOM before a document", "\xef\xbb\xbf" + `{"projects": ` + one + `}`},
		{"surrounding whitespace", " \r\n\t" + one + "\n\n"},
		{"whitespace inside", "[\n  " + baseProject + "\n]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decodeString(t, tt.input)
			if len(in.Projects) != 1 || len(in.Rejected) != 0 || in.Projects[0].ID != "HH2024-05" {
				t.Errorf("decoded %+v", in)
			}
		})
	}
}

func TestDecodeEmptyLists(t *testing.T) {
	for _, s := range []string{`[]`, `{"projects": []}`, " [ ] "} {
		in := decodeString(t, s)
		if in.Projects == nil || len(in.Projects) != 0 || len(in.Rejected) != 0 {
			t.Errorf("%s decoded as %+v, want no projects and no rejections", s, in)
		}
	}
}

func TestDecodeDocumentErrors(t *testing.T) {
	const (
		wantForm  = `invalid: 内容无效：须为 {"projects": [...]} 或项目数组`
		wantEmpty = `invalid: 内容为空：须为 {"projects": [...]} 或项目数组`
	)
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"empty", ``, wantEmpty},
		{"whitespace", " \n\t\r ", wantEmpty},
		{"BOM only", "\xef\xbb\xbf", wantEmpty},
		{"BOM and whitespace", "\xef\xbb\xbf \n", wantEmpty},
		{"number", `5`, wantForm},
		{"null", `null`, wantForm},
		{"string", `"projects"`, wantForm},
		{"garbage", `projects: []`, wantForm},
		{"two BOMs", "\xef\xbb\xbf\xef\xbb\xbf[]", wantForm},
		{"trailing garbage after an array", `[] x`, `invalid: 项目列表无效：JSON 文档之后还有多余的内容`},
		{"two arrays", `[][]`, `invalid: 项目列表无效：JSON 文档之后还有多余的内容`},
		{"trailing bracket", `[]]`, `invalid: 项目列表无效：JSON 文档之后还有多余的内容`},
		{"trailing garbage after a document", `{"projects": []} {}`, `invalid: 项目文档无效：JSON 文档之后还有多余的内容`},
		{"trailing comma", `{"projects": []},`, `invalid: 项目文档无效：JSON 文档之后还有多余的内容`},
		{"unterminated", `[` + baseProject, `invalid: 项目列表无效：JSON 内容不完整`},
		{"syntax error", "[\n{\"id\": \"a\",\n\"name\": }\n]", `invalid: 项目列表无效：第 3 行：JSON 格式错误：invalid character '}' looking for beginning of value`},
		{"syntax error in a document", "{\"projects\": [\n\n,]}", `invalid: 项目文档无效：第 3 行：JSON 格式错误：invalid character ',' looking for beginning of value`},
		{"unknown top-level field", `{"projects": [], "year": 2024}`, `invalid: 项目文档无效：未知字段 "year"`},
		{"two unknown top-level fields", `{"source": "x", "projects": [], "year": 2024}`, `invalid: 项目文档无效：未知字段 "source"; 未知字段 "year"`},
		{"top-level field in another case", `{"Projects": []}`, `invalid: 项目文档无效：未知字段 "Projects"`},
		{"repeated projects", `{"projects": [` + baseProject + `], "projects": []}`, `invalid: 项目文档无效：字段 "projects" 重复`},
		{"missing projects", `{}`, `invalid: 项目文档无效：缺少字段 "projects"`},
		{"null projects", `{"projects": null}`, `invalid: 项目文档无效：缺少字段 "projects"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := DecodeProjectsBytes([]byte(tt.input))
			if err == nil {
				t.Fatalf("no error; decoded %+v", in)
			}
			if in != nil {
				t.Errorf("got an Input %+v with the error", in)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("error code %q, want %q", ErrorCode(err), EINVALID)
			}
		})
	}
}

func TestDecodeDocumentTypeErrors(t *testing.T) {
	for _, s := range []string{`{"projects": {}}`, `{"projects": 5}`, "{\n\"projects\": \"HH2024-01\"}"} {
		_, err := DecodeProjectsBytes([]byte(s))
		if err == nil {
			t.Errorf("%s: no error", s)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "invalid: 项目文档无效：第 ") || !strings.Contains(msg, "projects") {
			t.Errorf("%s: error %q", s, msg)
		}
		if ErrorCode(err) != EINVALID {
			t.Errorf("%s: error code %q", s, ErrorCode(err))
		}
	}
}

func TestDecodeReaderError(t *testing.T) {
	boom := errors.New("boom")
	_, err := DecodeProjects(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
	in, err := DecodeProjects(iotest.OneByteReader(strings.NewReader("[" + baseProject + "]")))
	if err != nil || len(in.Projects) != 1 {
		t.Errorf("one byte at a time: %+v, %v", in, err)
	}
}

// TestDecodeRejections decodes a single project and checks the exact
// reasons it is rejected for.
func TestDecodeRejections(t *testing.T) {
	longName := strings.Repeat("x", 50)
	tests := []struct {
		name    string
		project string
		label   string // defaults to HH2024-05
		want    []string
	}{
		// Fields.
		{"unknown field", with(with(baseProject, "spent", ""), "spnet", "337054.03"), "",
			[]string{`未知字段 "spnet"`, `spent: 必填`}},
		{"unknown field beside a good one", withRaw(baseProject, `"remark": "无"`), "",
			[]string{`未知字段 "remark"`}},
		{"field in another case", withRaw(with(baseProject, "spent", ""), `"Spent": 337054.03`), "",
			[]string{`未知字段 "Spent"`}},
		{"field with a Unicode case fold", withRaw(with(baseProject, "spent", ""), `"ſpent": 1`), "",
			[]string{`未知字段 "ſpent"`}},
		{"id in another case", withRaw(with(baseProject, "id", ""), `"ID": "HH2024-05"`), "",
			[]string{`未知字段 "ID"`}},
		{"repeated field", withRaw(baseProject, `"spent": 1`), "",
			[]string{`字段 "spent" 重复`}},
		{"repeated field, escaped", withRaw(baseProject, `"sp\u0065nt": 1`), "",
			[]string{`字段 "spent" 重复`}},

		// Texts that name something.
		{"id with a slash", with(baseProject, "id", `"HH/2024"`), "#1", []string{`id: 不能含“/”`}},
		{"id with a NUL", with(baseProject, "id", `"HH\u00002024"`), "#1", []string{`id: 不能含控制字符（发现 U+0000）`}},
		{"id with a bidi override", with(baseProject, "id", `"HH\u202e4202"`), "#1", []string{`id: 不能含改变文字方向的控制字符（发现 U+202E）`}},
		{"name with a newline", with(baseProject, "name", `"前端\n适配"`), "", []string{`name: 不能含控制字符（发现 U+000A）`}},
		{"department with a C1 control", with(baseProject, "department", `"局\u0085办"`), "", []string{`department: 不能含控制字符（发现 U+0085）`}},
		{"indicator name with an isolate", withIndicators(`{"level1": "产出指标", "name": "a\u2066b", "direction": ">=", "target": 1, "actual": 1}`), "",
			[]string{`indicators[0].name: 不能含改变文字方向的控制字符（发现 U+2066）`}},

		// category_points.
		{"category points not an object", with(baseProject, "category_points", "[45]"), "",
			[]string{`category_points: 须为按指标类别给出分值的对象，如 {"产出指标": 45}，收到 [45]`}},
		{"category points as text", with(baseProject, "category_points", `{"产出指标": "45"}`), "",
			[]string{`category_points.产出指标: 须为分值，收到文本 "45"`}},
		{"category points with 3 decimals", with(baseProject, "category_points", `{"产出指标": 45.005}`), "",
			[]string{`category_points.产出指标: 最多两位小数，收到 45.005`}},

		// Required fields.
		{"missing id", with(baseProject, "id", ""), "#1", []string{`id: 必填`}},
		{"null id", with(baseProject, "id", "null"), "#1", []string{`id: 必填`}},
		{"empty id", with(baseProject, "id", `"  "`), "#1", []string{`id: 必填，不能为空`}},
		{"numeric id", with(baseProject, "id", `5`), "#1", []string{`id: 须为文本，收到 5`}},
		{"missing name", with(baseProject, "name", ""), "", []string{`name: 必填`}},
		{"empty name", with(baseProject, "name", `""`), "", []string{`name: 必填，不能为空`}},
		{"missing year", with(baseProject, "year", ""), "", []string{`year: 必填`}},
		{"missing budget_adjusted", with(baseProject, "budget_adjusted", ""), "", []string{`budget_adjusted: 必填`}},
		{"missing spent", with(baseProject, "spent", ""), "", []string{`spent: 必填`}},
		{"null spent", with(baseProject, "spent", "null"), "", []string{`spent: 必填`}},
		{"all missing", `{}`, "#1", []string{
			`id: 必填`, `name: 必填`, `year: 必填`, `budget_adjusted: 必填`, `spent: 必填`}},
		{"null project", `null`, "#1", []string{
			`id: 必填`, `name: 必填`, `year: 必填`, `budget_adjusted: 必填`, `spent: 必填`}},
		{"not an object", `5`, "#1", []string{`须为对象，收到数字`}},
		{"an array", `[]`, "#1", []string{`须为对象，收到数组`}},
		{"a string", `"HH2024-05"`, "#1", []string{`须为对象，收到文本`}},

		// Strings.
		{"numeric name", with(baseProject, "name", `12`), "", []string{`name: 须为文本，收到 12`}},
		{"department object", with(baseProject, "department", `{}`), "", []string{`department: 须为文本，收到 {}`}},

		// Year.
		{"year as a string", with(baseProject, "year", `"2024"`), "", []string{`year: 须为整数年份，如 2024，收到 "2024"`}},
		{"fractional year", with(baseProject, "year", `2024.5`), "", []string{`year: 须为整数年份，如 2024，收到 2024.5`}},
		{"year in exponent form", with(baseProject, "year", `2.024e3`), "", []string{`year: 须为整数年份，如 2024，收到 2.024e3`}},
		{"year too early", with(baseProject, "year", `1899`), "", []string{`year: 须为整数年份，如 2024，收到 1899`}},
		{"year too late", with(baseProject, "year", `2201`), "", []string{`year: 须为整数年份，如 2024，收到 2201`}},
		{"year zero", with(baseProject, "year", `0`), "", []string{`year: 须为整数年份，如 2024，收到 0`}},

		// Money.
		{"spent with 3 decimals", with(baseProject, "spent", `337054.035`), "",
			[]string{`spent: 最多两位小数（精确到分），收到 337054.035`}},
		{"budget with 3 decimals", with(baseProject, "budget_adjusted", `337090.001`), "",
			[]string{`budget_adjusted: 最多两位小数（精确到分），收到 337090.001`}},
		{"optional money with 3 decimals", with(baseProject, "balance", `35.975`), "",
			[]string{`balance: 最多两位小数（精确到分），收到 35.975`}},
		{"money as a string", with(baseProject, "spent", `"337054.03"`), "",
			[]string{`spent: 须为以元为单位的数字，收到文本 "337054.03"`}},
		{"optional money as a string", with(baseProject, "funds_arrived", `"337090"`), "",
			[]string{`funds_arrived: 须为以元为单位的数字，收到文本 "337090"`}},
		{"money as a boolean", with(baseProject, "budget_initial", `true`), "",
			[]string{`budget_initial: 须为以元为单位的数字，收到 true`}},
		{"money too large", with(baseProject, "budget_adjusted", `1e21`), "",
			[]string{`budget_adjusted: 须为以元为单位的数字，收到 1e21`}},
		{"long value clipped", with(baseProject, "spent", `"`+longName+`"`), "",
			[]string{`spent: 须为以元为单位的数字，收到文本 "` + longName[:39] + `…`}},
		// Regression: clipping cut through a character and left invalid UTF-8.
		{"long Chinese value clipped", with(baseProject, "budget_adjusted", `"第1期：三十三万七千零九十元整（含追加预算）"`), "",
			[]string{`budget_adjusted: 须为以元为单位的数字，收到文本 "第1期：三十三万七千零九十…`}},
		{"execution rate with 3 decimals", with(baseProject, "execution_rate", `99.989`), "",
			[]string{`execution_rate: 最多两位小数，收到 99.989`}},
		{"execution rate as a string", with(baseProject, "execution_rate", `"99.99%"`), "",
			[]string{`execution_rate: 须为百分数，收到文本 "99.99%"`}},
		{"several money errors", with(with(baseProject, "spent", `"1"`), "budget_adjusted", `1.001`), "", []string{
			`budget_adjusted: 最多两位小数（精确到分），收到 1.001`,
			`spent: 须为以元为单位的数字，收到文本 "1"`}},

		// Compliance.
		{"invalid compliance", with(baseProject, "compliance", `"好"`), "",
			[]string{`compliance: 须为 达成、部分达成、未达成 之一，收到 "好"`}},
		{"numeric compliance", with(baseProject, "compliance", `1`), "",
			[]string{`compliance: 须为文本，收到 1`}},

		// Indicators.
		{"indicators not an array", with(baseProject, "indicators", `{}`), "",
			[]string{`indicators: 须为指标数组`}},
		{"too many indicators", withIndicators(strings.Split(strings.Repeat(quantIndicator+"\n", MaxIndicatorsPerProject+1), "\n")[:MaxIndicatorsPerProject+1]...), "",
			[]string{`indicators: 有 1001 个指标，最多 1000 个`}},
		{"indicator not an object", withIndicators(quantIndicator, `5`), "",
			[]string{`indicators[1]: 须为对象，收到数字`}},
		{"null indicator", withIndicators(`null`), "", []string{
			`indicators[0].level1: 必填`, `indicators[0].name: 必填`, `indicators[0].direction: 必填`}},
		{"proposed score of a quantitative indicator", withIndicators(withRaw(quantIndicator, `"proposed_score": 5`)), "",
			[]string{`indicators[0].proposed_score: 只有定性指标可填建议得分：定量指标按目标值和实际值计分`}},
		{"negative proposed score", withIndicators(withRaw(qualIndicator, `"proposed_score": -5`)), "",
			[]string{`indicators[0].proposed_score: 不能为负数，收到 -5.00`}},
		{"proposed score with 3 decimals", withIndicators(withRaw(qualIndicator, `"proposed_score": 5.125`)), "",
			[]string{`indicators[0].proposed_score: 最多两位小数，收到 5.125`}},
		{"deduction without a reason", withIndicators(withRaw(quantIndicator, `"deduction": 2`)), "",
			[]string{`indicators[0].deduction_reason: 有扣分（2.00 分）时必填`}},
		{"no direction", withIndicators(with(quantIndicator, "direction", "")), "",
			[]string{`indicators[0].direction: 必填`}},
		{"a cost indicator without a direction or target", withIndicators(with(with(with(quantIndicator, "level1", `"成本指标"`), "direction", ""), "target", "")), "",
			[]string{`indicators[0].target: 定量指标必填`}},
		{"negative deduction", withIndicators(withRaw(quantIndicator, `"deduction": -2, "deduction_reason": "x"`)), "",
			[]string{`indicators[0].deduction: 不能为负数，收到 -2.00`}},
		{"fund source in words", withRaw(baseProject, `"carry_over_budget": "很多"`), "",
			[]string{`carry_over_budget: 须为以元为单位的数字，收到文本 "很多"`}},
		{"unknown indicator field", withIndicators(quantIndicator, withRaw(qualIndicator, `"score": 5`)), "",
			[]string{`indicators[1]: 未知字段 "score"`}},
		{"misspelt target", withIndicators(with(with(quantIndicator, "target", ""), "targte", "3")), "",
			[]string{`indicators[0]: 未知字段 "targte"`, `indicators[0].target: 定量指标必填`}},
		{"indicator field in another case", withIndicators(withRaw(with(quantIndicator, "target", ""), `"Target": 3`)), "",
			[]string{`indicators[0]: 未知字段 "Target"`}},
		{"repeated indicator field", withIndicators(withRaw(quantIndicator, `"actual": 4`)), "",
			[]string{`indicators[0]: 字段 "actual" 重复`}},
		{"indicator without level1 and name", withIndicators(with(with(quantIndicator, "level1", ""), "name", `""`)), "", []string{
			`indicators[0].level1: 必填`, `indicators[0].name: 必填，不能为空`}},
		{"unknown direction", withIndicators(with(quantIndicator, "direction", `"上升"`)), "",
			[]string{`indicators[0].direction: 须为 >=, >, <=, <, =, qualitative (or ≥, ≤, 正向, 大于, 反向, 小于, 等于, 定性) 之一，收到 "上升"`}},
		{"direction in another case", withIndicators(with(qualIndicator, "direction", `"Qualitative"`)), "",
			[]string{`indicators[0].direction: 须为 >=, >, <=, <, =, qualitative (or ≥, ≤, 正向, 大于, 反向, 小于, 等于, 定性) 之一，收到 "Qualitative"`}},
		{"missing direction", withIndicators(with(quantIndicator, "direction", "")), "",
			[]string{`indicators[0].direction: 必填`}},
		{"empty direction", withIndicators(with(quantIndicator, "direction", `""`)), "",
			[]string{`indicators[0].direction: 必填，不能为空`}},
		{"qualitative without rating", withIndicators(with(qualIndicator, "rating", "")), "",
			[]string{`indicators[0].rating: 定性指标必填（达成、部分达成或未达成）`}},
		{"qualitative with a null rating", withIndicators(with(qualIndicator, "rating", "null")), "",
			[]string{`indicators[0].rating: 定性指标必填（达成、部分达成或未达成）`}},
		// Regression: an empty rating used to be accepted, and the project
		// then failed to decode once encoded again.
		{"qualitative with an empty rating", withIndicators(with(qualIndicator, "rating", `""`)), "",
			[]string{`indicators[0].rating: 定性指标必填（达成、部分达成或未达成）`}},
		{"qualitative with a blank rating", withIndicators(with(qualIndicator, "rating", `" "`)), "",
			[]string{`indicators[0].rating: 定性指标必填（达成、部分达成或未达成）`}},
		{"invalid rating", withIndicators(with(qualIndicator, "rating", `"优"`)), "",
			[]string{`indicators[0].rating: 须为 达成、部分达成、未达成 之一，收到 "优"`}},
		{"numeric rating", withIndicators(with(qualIndicator, "rating", `1`)), "",
			[]string{`indicators[0].rating: 须为文本，收到 1`}},
		{"qualitative with target", withIndicators(with(qualIndicator, "target", `100`)), "",
			[]string{`indicators[0]: 定性指标填评价结果（rating），不填目标值或实际值`}},
		{"qualitative with actual", withIndicators(with(qualIndicator, "actual", `100`)), "",
			[]string{`indicators[0]: 定性指标填评价结果（rating），不填目标值或实际值`}},
		{"quantitative without target", withIndicators(quantIndicator, with(quantIndicator, "target", "")), "",
			[]string{`indicators[1].target: 定量指标必填`}},
		{"quantitative with a null target", withIndicators(with(quantIndicator, "target", "null")), "",
			[]string{`indicators[0].target: 定量指标必填`}},
		{"quantitative with a rating", withIndicators(with(quantIndicator, "rating", `"达成"`)), "",
			[]string{`indicators[0].rating: 只有定性指标可填评价结果`}},
		{"target as a string", withIndicators(with(quantIndicator, "target", `"3"`)), "",
			[]string{`indicators[0].target: 须为数字，收到文本 "3"`}},
		{"infinite actual", withIndicators(with(quantIndicator, "actual", `1e400`)), "",
			[]string{`indicators[0].actual: 须为有限的数字，收到 1e400`}},
		{"boolean actual", withIndicators(with(quantIndicator, "actual", `false`)), "",
			[]string{`indicators[0].actual: 须为有限的数字，收到 false`}},
		{"zero weight", withIndicators(with(quantIndicator, "weight", `0`)), "",
			[]string{`indicators[0].weight: 须为正数，收到 0.00`}},
		{"negative weight", withIndicators(with(quantIndicator, "weight", `-5`)), "",
			[]string{`indicators[0].weight: 须为正数，收到 -5.00`}},
		{"weight with 3 decimals", withIndicators(with(quantIndicator, "weight", `3.333`)), "",
			[]string{`indicators[0].weight: 最多两位小数，收到 3.333`}},
		{"weight as a string", withIndicators(with(quantIndicator, "weight", `"5"`)), "",
			[]string{`indicators[0].weight: 须为分值，收到文本 "5"`}},
		{"numeric unit", withIndicators(with(quantIndicator, "unit", `1`)), "",
			[]string{`indicators[0].unit: 须为文本，收到 1`}},
		{"errors in several indicators", withIndicators(with(qualIndicator, "rating", ""), quantIndicator, with(quantIndicator, "direction", `"?"`)), "", []string{
			`indicators[0].rating: 定性指标必填（达成、部分达成或未达成）`,
			`indicators[2].direction: 须为 >=, >, <=, <, =, qualitative (or ≥, ≤, 正向, 大于, 反向, 小于, 等于, 定性) 之一，收到 "?"`}},

		// Every reason at once.
		{"project and indicator errors", withRaw(with(with(withIndicators(qualIndicator, with(quantIndicator, "target", ""), with(qualIndicator, "level1", "")),
			"name", ""), "spent", "1.234"), `"Year": 2024`), "", []string{
			`未知字段 "Year"`,
			`name: 必填`,
			`spent: 最多两位小数（精确到分），收到 1.234`,
			`indicators[1].target: 定量指标必填`,
			`indicators[2].level1: 必填`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decodeString(t, "["+tt.project+"]")
			if len(in.Projects) != 0 {
				t.Errorf("accepted %+v", in.Projects)
			}
			if len(in.Rejected) != 1 {
				t.Fatalf("%d rejections, want 1: %+v", len(in.Rejected), in.Rejected)
			}
			r := in.Rejected[0]
			label := tt.label
			if label == "" {
				label = "HH2024-05"
			}
			if r.ProjectID != label {
				t.Errorf("rejection names %q, want %q", r.ProjectID, label)
			}
			if !reflect.DeepEqual(r.Errors, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", r.Errors, tt.want)
			}
			for _, e := range r.Errors {
				if !utf8.ValidString(e) {
					t.Errorf("error %q is not valid UTF-8", e)
				}
			}
		})
	}
}

// TestDecodeUnknownFieldNamed is the case reported by users: the
// rejection of a project with a misspelt field names both.
func TestDecodeUnknownFieldNamed(t *testing.T) {
	data, err := os.ReadFile(huaihuaFile)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(data, []byte(`"spent": 337054.03`), []byte(`"spnet": 337054.03`), 1)
	if bytes.Equal(bad, data) {
		t.Fatal("HH2024-05 not found in the test data")
	}
	in := decodeString(t, string(bad))
	if len(in.Projects) != 25 || len(in.Rejected) != 1 {
		t.Fatalf("%d projects and %d rejections, want 25 and 1", len(in.Projects), len(in.Rejected))
	}
	b, _ := json.Marshal(in.Rejected[0])
	if s := string(b); !strings.Contains(s, `HH2024-05`) || !strings.Contains(s, `未知字段 \"spnet\"`) {
		t.Errorf("rejection %s does not name the project and the field", s)
	}
}

func TestDecodeDirections(t *testing.T) {
	tests := []struct {
		in   string
		want Direction
	}{
		{">=", AtLeast},
		{"≥", AtLeast},
		{"正向", AtLeast},
		{"正向指标", AtLeast},
		{" ≥ ", AtLeast},
		{"<=", AtMost},
		{"≤", AtMost},
		{"反向", AtMost},
		{"反向指标", AtMost},
		{"=", Exactly},
		{"==", Exactly},
	}
	for _, tt := range tests {
		dir, _ := json.Marshal(tt.in)
		in := decodeString(t, "["+withIndicators(with(quantIndicator, "direction", string(dir)))+"]")
		if len(in.Rejected) != 0 || len(in.Projects) != 1 {
			t.Errorf("direction %q: rejected %+v", tt.in, in.Rejected)
			continue
		}
		if got := in.Projects[0].Indicators[0].Direction; got != tt.want {
			t.Errorf("direction %q decoded as %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, q := range []string{"qualitative", "定性", "定性指标"} {
		dir, _ := json.Marshal(q)
		in := decodeString(t, "["+withIndicators(with(qualIndicator, "direction", string(dir)))+"]")
		if len(in.Rejected) != 0 || len(in.Projects) != 1 {
			t.Errorf("direction %q: rejected %+v", q, in.Rejected)
			continue
		}
		if got := in.Projects[0].Indicators[0]; got.Direction != Qualitative || got.Rating != Achieved {
			t.Errorf("direction %q decoded as %q with rating %q", q, got.Direction, got.Rating)
		}
	}
}

func TestDecodeOptionalFields(t *testing.T) {
	minimal := `{"id": " HH2024-99 ", "name": " 最小项目 ", "year": 2024, "budget_adjusted": 100, "spent": 0}`
	in := decodeString(t, "["+minimal+"]")
	want := Project{ID: "HH2024-99", Name: "最小项目", Year: 2024, BudgetAdjusted: Points(100)}
	if len(in.Rejected) != 0 || len(in.Projects) != 1 || !reflect.DeepEqual(in.Projects[0], want) {
		t.Fatalf("decoded %+v, want %+v", in, want)
	}

	nulls := with(with(with(with(minimal, "budget_initial", "null"), "department", "null"), "compliance", "null"), "indicators", "null")
	in = decodeString(t, "["+nulls+"]")
	if len(in.Rejected) != 0 || len(in.Projects) != 1 || !reflect.DeepEqual(in.Projects[0], want) {
		t.Errorf("nulls decoded as %+v, want %+v", in, want)
	}

	in = decodeString(t, "["+with(minimal, "category_points", `{"产出指标": 45, "benefit": 35.5}`)+"]")
	if len(in.Rejected) != 0 || len(in.Projects) != 1 ||
		!reflect.DeepEqual(in.Projects[0].CategoryPoints, map[string]Decimal{"产出指标": Points(45), "benefit": Cents(3550)}) {
		t.Errorf("category_points decoded as %+v", in)
	}

	in = decodeString(t, "["+with(minimal, "indicators", "[]")+"]")
	if len(in.Projects) != 1 || in.Projects[0].Indicators == nil || len(in.Projects[0].Indicators) != 0 {
		t.Errorf("empty indicators decoded as %+v", in)
	}

	ind := `{"level1": "产出指标", "name": "完成率", "direction": "<=", "target": 5, "weight": 12.5, "deviation_reason": "无"}`
	in = decodeString(t, "["+with(minimal, "indicators", "["+ind+"]")+"]")
	if len(in.Rejected) != 0 || len(in.Projects) != 1 {
		t.Fatalf("rejected %+v", in.Rejected)
	}
	got := in.Projects[0].Indicators[0]
	wantInd := Indicator{Level1: "产出指标", Name: "完成率", Direction: AtMost, Target: ptr(5.0), Weight: ptr(Cents(1250)), DeviationReason: "无"}
	if !reflect.DeepEqual(got, wantInd) {
		t.Errorf("indicator decoded as %+v, want %+v", got, wantInd)
	}

	// The rest of the national form.
	full := withRaw(minimal, `"implementing_unit": "信息科", "appropriation_budget": 80, "appropriation_spent": 79.5,
		"carry_over_budget": 20, "carry_over_spent": 20, "other_budget": 0, "other_spent": 0,
		"goal_expected": "完成系统升级", "goal_achieved": "已完成", "execution_reason": "采购节约",
		"indicators": [{"level1": "效益指标", "name": "便捷度", "direction": "qualitative", "rating": "部分达成",
			"proposed_score": 19.5, "description": "部分窗口已上线", "deduction": 1, "deduction_reason": "佐证材料不全"}]`)
	in = decodeString(t, "["+full+"]")
	if len(in.Rejected) != 0 || len(in.Projects) != 1 {
		t.Fatalf("rejected %+v", in.Rejected)
	}
	wantFull := Project{ID: "HH2024-99", Name: "最小项目", Year: 2024, BudgetAdjusted: Points(100),
		ImplementingUnit: "信息科", AppropriationBudget: ptr(Points(80)), AppropriationSpent: ptr(Cents(7950)),
		CarryOverBudget: ptr(Points(20)), CarryOverSpent: ptr(Points(20)), OtherBudget: ptr(Points(0)), OtherSpent: ptr(Points(0)),
		GoalExpected: "完成系统升级", GoalAchieved: "已完成", ExecutionReason: "采购节约",
		Indicators: []Indicator{{Level1: "效益指标", Name: "便捷度", Direction: Qualitative, Rating: PartiallyAchieved,
			ProposedScore: ptr(Cents(1950)), Description: "部分窗口已上线", Deduction: ptr(Points(1)), DeductionReason: "佐证材料不全"}}}
	if !reflect.DeepEqual(in.Projects[0], wantFull) {
		t.Errorf("decoded %+v\nwant    %+v", in.Projects[0], wantFull)
	}

	// A cost indicator may leave its direction to the rule set.
	cost := `{"level1": "成本指标", "name": "单位成本", "target": 100, "actual": 90}`
	in = decodeString(t, "["+with(minimal, "indicators", "["+cost+"]")+"]")
	if len(in.Rejected) != 0 || len(in.Projects) != 1 || in.Projects[0].Indicators[0].Direction != "" {
		t.Errorf("cost indicator without a direction: %+v", in)
	}

	in = decodeString(t, "["+with(minimal, "spent", "-1.5")+"]")
	if len(in.Projects) != 1 || in.Projects[0].Spent != -150 {
		t.Errorf("negative spent decoded as %+v", in)
	}
	in = decodeString(t, "["+with(minimal, "spent", "1.500")+"]")
	if len(in.Projects) != 1 || in.Projects[0].Spent != 150 {
		t.Errorf("spent 1.500 decoded as %+v", in)
	}
}

// TestDecodeKeepsGoing checks that bad projects do not stop the good ones
// from being decoded, and that both keep their input order.
func TestDecodeKeepsGoing(t *testing.T) {
	p := func(id string) string { return with(baseProject, "id", `"`+id+`"`) }
	input := "[" + strings.Join([]string{
		p("A"),
		withRaw(p("B"), `"spnet": 1`),
		p("C"),
		with(baseProject, "id", ""),
		`5`,
		with(p("F"), "spent", `"1"`),
		p("G"),
		with(p("H"), "year", `"2024"`),
	}, ",\n") + "]"
	in := decodeString(t, input)
	var ids []string
	for _, p := range in.Projects {
		ids = append(ids, p.ID)
	}
	if want := []string{"A", "C", "G"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("decoded %q, want %q", ids, want)
	}
	want := []Rejection{
		{ProjectID: "B", Errors: []string{`未知字段 "spnet"`}},
		{ProjectID: "#4", Errors: []string{`id: 必填`}},
		{ProjectID: "#5", Errors: []string{`须为对象，收到数字`}},
		{ProjectID: "F", Errors: []string{`spent: 须为以元为单位的数字，收到文本 "1"`}},
		{ProjectID: "H", Errors: []string{`year: 须为整数年份，如 2024，收到 "2024"`}},
	}
	if !reflect.DeepEqual(in.Rejected, want) {
		t.Errorf("rejections\n got %q\nwant %q", in.Rejected, want)
	}
}

func TestDecodeDuplicateIDs(t *testing.T) {
	p := func(id string, year int) string {
		return with(with(baseProject, "id", `"`+id+`"`), "year", fmt.Sprint(year))
	}
	tests := []struct {
		name     string
		projects []string
		ids      []string
		rejected []Rejection
	}{
		{
			name:     "same id, same year",
			projects: []string{p("A", 2024), p("B", 2024), p("A", 2024)},
			ids:      []string{"A", "B"},
			rejected: []Rejection{{"A", []string{`id: 2024 年的项目编号 "A" 重复（首次出现在第 1 个项目）`}}},
		},
		{
			name:     "same id after trimming",
			projects: []string{p("A", 2024), p(" A ", 2024)},
			ids:      []string{"A"},
			rejected: []Rejection{{"A", []string{`id: 2024 年的项目编号 "A" 重复（首次出现在第 1 个项目）`}}},
		},
		{
			name:     "three times",
			projects: []string{p("B", 2024), p("A", 2024), p("A", 2024), p("A", 2024)},
			ids:      []string{"B", "A"},
			rejected: []Rejection{
				{"A", []string{`id: 2024 年的项目编号 "A" 重复（首次出现在第 2 个项目）`}},
				{"A", []string{`id: 2024 年的项目编号 "A" 重复（首次出现在第 2 个项目）`}},
			},
		},
		{
			name:     "same id, other years",
			projects: []string{p("A", 2023), p("A", 2024), p("A", 2025)},
			ids:      []string{"A", "A", "A"},
		},
		{
			name:     "ids differ in case",
			projects: []string{p("hh2024-01", 2024), p("HH2024-01", 2024)},
			ids:      []string{"hh2024-01", "HH2024-01"},
		},
		{
			name:     "the first is rejected too",
			projects: []string{with(p("A", 2024), "spent", ""), p("A", 2024)},
			rejected: []Rejection{
				{"A", []string{`spent: 必填`}},
				{"A", []string{`id: 2024 年的项目编号 "A" 重复（首次出现在第 1 个项目）`}},
			},
		},
		{
			name:     "duplicate with other errors",
			projects: []string{p("A", 2024), with(p("A", 2024), "name", "")},
			ids:      []string{"A"},
			rejected: []Rejection{{"A", []string{`name: 必填`, `id: 2024 年的项目编号 "A" 重复（首次出现在第 1 个项目）`}}},
		},
		// Regression: projects whose year could not be read were all
		// counted as year 0, and reported as duplicates "in year 0".
		{
			name:     "unreadable years",
			projects: []string{with(p("A", 2024), "year", `"2023"`), with(p("A", 2024), "year", `"2024"`)},
			rejected: []Rejection{
				{"A", []string{`year: 须为整数年份，如 2024，收到 "2023"`}},
				{"A", []string{`year: 须为整数年份，如 2024，收到 "2024"`}},
			},
		},
		{
			name:     "missing ids are not duplicates",
			projects: []string{with(baseProject, "id", ""), with(baseProject, "id", `""`)},
			rejected: []Rejection{
				{"#1", []string{`id: 必填`}},
				{"#2", []string{`id: 必填，不能为空`}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decodeString(t, `{"projects": [`+strings.Join(tt.projects, ",")+`]}`)
			var ids []string
			for _, p := range in.Projects {
				ids = append(ids, p.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("decoded %q, want %q", ids, tt.ids)
			}
			if !reflect.DeepEqual(in.Rejected, tt.rejected) {
				t.Errorf("rejections\n got %q\nwant %q", in.Rejected, tt.rejected)
			}
		})
	}
}

func TestSortRejections(t *testing.T) {
	r := []Rejection{
		{ProjectID: "HH2024-10", Errors: []string{"b"}},
		{ProjectID: "#2", Errors: []string{"x"}},
		{ProjectID: "HH2024-02"},
		{ProjectID: "HH2024-10", Errors: []string{"a"}},
	}
	SortRejections(r)
	want := []Rejection{
		{ProjectID: "#2", Errors: []string{"x"}},
		{ProjectID: "HH2024-02"},
		{ProjectID: "HH2024-10", Errors: []string{"b"}},
		{ProjectID: "HH2024-10", Errors: []string{"a"}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("sorted %v, want %v (stable)", r, want)
	}
}

func TestCheckFields(t *testing.T) {
	fields := map[string]bool{"a": true, "b": true}
	tests := []struct {
		in   string
		want []string
	}{
		{`{}`, nil},
		{`{"a": 1, "b": {"a": 1, "a": 2, "c": 3}}`, nil},
		{`{"a": [1, {"x": 2}], "c": null, "A": 1, "a": 2}`, []string{`未知字段 "c"`, `未知字段 "A"`, `字段 "a" 重复`}},
		{`{"": 1}`, []string{`未知字段 ""`}},
		{`[{"c": 1}]`, nil},
		{`5`, nil},
	}
	for _, tt := range tests {
		if got := checkFields([]byte(tt.in), fields); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("checkFields(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDecodeProjects(f *testing.F) {
	// A few real projects: the whole file is a slow seed to mutate.
	if data, err := os.ReadFile(huaihuaFile); err == nil {
		var doc struct{ Projects []json.RawMessage }
		if json.Unmarshal(data, &doc) == nil && len(doc.Projects) >= 9 {
			for _, i := range []int{0, 5, 8} {
				f.Add([]byte(`{"projects": [` + string(doc.Projects[i]) + `]}`))
			}
		}
	}
	for _, s := range []string{
		"[" + baseProject + "]",
		`{"projects": [` + baseProject + `]}`,
		`{"projects": [` + baseProject + `, ` + with(baseProject, "year", "2023") + `]}`,
		"\xef\xbb\xbf[" + baseProject + "]",
		"[" + withIndicators(with(qualIndicator, "rating", `""`)) + "]",
		"[" + withIndicators(with(quantIndicator, "direction", `"≤"`), with(qualIndicator, "direction", `"定性"`)) + "]",
		"[" + withIndicators(with(quantIndicator, "weight", "12.5"), with(quantIndicator, "target", "-0")) + "]",
		"[" + withRaw(baseProject, `"Spent": 1`) + "]",
		"[" + withRaw(baseProject, `"spent": 1`) + "]",
		`[{"id": "a", "name": "b", "year": 2024, "budget_adjusted": 1e3, "spent": 0.5, "indicators": null}]`,
		`[{"id": "a", "name": "b", "year": 2024, "budget_adjusted": 1, "spent": 1, "indicators": [{"level1": "x", "name": "y", "direction": "=", "target": 1e-7, "actual": 1e21}]}]`,
		`[{"id": "\u00a0a\u0085", "name": "\ud800", "year": 2200, "budget_adjusted": -1, "spent": 0}]`,
		`[{"id": "怀化", "name": "项目", "year": 2024, "budget_adjusted": "第1期：三十三万七千零九十元整", "spent": 0}]`,
		`[null, 5, "x", [], {}]`,
		`{"projects": []}`,
		`[]`,
		``,
		`{"projects": [], "x": 1}`,
		`[] []`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeProjectsBytes(data)
		if err != nil {
			if in != nil {
				t.Fatalf("an Input with the error %v", err)
			}
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v has code %q", err, ErrorCode(err))
			}
			return
		}
		if in == nil {
			t.Fatal("no Input and no error")
		}
		for _, p := range in.Projects {
			if p.ID == "" || p.Name == "" {
				t.Fatalf("project with an empty id or name: %+v", p)
			}
			if p.Year < 1900 || p.Year > 2200 {
				t.Fatalf("project %s has year %d", p.ID, p.Year)
			}
			for _, ind := range p.Indicators {
				if ind.Level1 == "" || ind.Name == "" || ind.Direction == "" {
					t.Fatalf("project %s has an incomplete indicator %+v", p.ID, ind)
				}
				if (ind.Direction == Qualitative) != (ind.Rating != "") {
					t.Fatalf("project %s: indicator %+v", p.ID, ind)
				}
				if ind.Direction != Qualitative && ind.Target == nil {
					t.Fatalf("project %s: quantitative indicator without target %+v", p.ID, ind)
				}
			}
		}
		for _, r := range in.Rejected {
			if r.ProjectID == "" || len(r.Errors) == 0 {
				t.Fatalf("incomplete rejection %+v", r)
			}
			for _, e := range r.Errors {
				if utf8.Valid(data) && !utf8.ValidString(e) {
					t.Fatalf("error %q is not valid UTF-8", e)
				}
			}
		}
		// Every project is either decoded or rejected.
		var list []json.RawMessage
		body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if json.Unmarshal(body, &list) != nil {
			var doc struct {
				Projects []json.RawMessage `json:"projects"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("accepted input that encoding/json refuses: %v", err)
			}
			list = doc.Projects
		}
		if len(in.Projects)+len(in.Rejected) != len(list) {
			t.Fatalf("%d projects in, %d decoded and %d rejected", len(list), len(in.Projects), len(in.Rejected))
		}
		checkRoundTrip(t, in)
	})
}

func TestDecodeProjectsOrder(t *testing.T) {
	doc := `[{"id":"A","name":"a","year":2024,"budget_adjusted":1,"spent":1},
		{"id":"B","name":"b","year":2024,"budget_adjusted":1},
		{"id":"C","name":"c","year":2024,"budget_adjusted":1,"spent":1}]`
	in, err := DecodeProjectsBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []InputEntry{{Project: 0, Rejected: -1}, {Project: -1, Rejected: 0}, {Project: 1, Rejected: -1}}
	if fmt.Sprint(in.Order) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", in.Order, want)
	}
}
