package spreadsheet

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"jixiao"
	"jixiao/demo"
)

// impDemo returns the demo projects with the given ids, in that order.
func impDemo(ids ...string) []jixiao.Project {
	var out []jixiao.Project
	for _, id := range ids {
		for _, p := range demo.Huaihua() {
			if p.ID == id {
				out = append(out, p)
			}
		}
	}
	return out
}

// TestCSVFixtures reads the same three Huaihua projects saved as a CSV
// in UTF-8 with a byte order mark, in GBK as a Chinese Excel saves "CSV
// (逗号分隔)", and as tab-separated UTF-16 ("Unicode 文本"). The files
// have a title line, a 序号 column, amounts with thousands separators
// and in 万元, percentages, project columns blank or repeated on later
// rows, empty lines and a 合计 row.
func TestCSVFixtures(t *testing.T) {
	want := impDemo("HH2024-01", "HH2024-03", "HH2024-07")
	for _, name := range []string{"huaihua-3.csv", "huaihua-3-gbk.csv", "huaihua-3-utf16.txt"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "import", name))
			if err != nil {
				t.Fatal(err)
			}
			imp := impRead(t, data, name)
			if imp.Format != "csv" || len(imp.Problems) > 0 {
				t.Fatalf("format %q, problems %s", imp.Format, impShow(imp.Problems))
			}
			impSame(t, imp.Projects, want)
		})
	}
}

func TestCSVProblemsFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "import", "problems.csv"))
	if err != nil {
		t.Fatal(err)
	}
	imp := impRead(t, data, "problems.csv")
	const S = "problems"
	want := []Problem{
		{S, 2, "全年执行数", "A1", "全年执行数 必须是数字，实际为 “约900”"},
		{S, 3, "全年预算数", "A1", "全年预算数 与第 2 行不一致：“1200”与“1000”（同一项目的各行，项目列须相同或留空）"},
		{S, 3, "评价", "A1", "评价 只能是 达成、部分达成 或 未达成，实际为 “很好”"},
		{S, 4, "指标性质", "A1", "指标性质 只能是 正向、大于、反向、小于、等于 或 定性（也可写 ≥、>、≤、<、=），实际为 “上升”"},
		{S, 4, "年度指标值", "A1", "年度指标值 带百分号，但 计量单位 是 “个”"},
		{S, 5, "执行率", "A2", "执行率 应填写百分数（如 91.31 或 91.31%），实际为 “0.9”；如果确实是 0.9%，请写成 “0.9%”"},
	}
	if !reflect.DeepEqual(imp.Problems, want) {
		t.Errorf("got %s\nwant %s", impShow(imp.Problems), impShow(want))
	}
	if !reflect.DeepEqual(imp.Invalid, []string{"A1", "A2"}) || len(imp.Projects) != 0 {
		t.Errorf("invalid %q, %d projects", imp.Invalid, len(imp.Projects))
	}
}

// impCSVProjects writes projects as a CSV of the combined layout, the
// project columns on each project's first row only.
func impCSVProjects(projects []jixiao.Project) []byte {
	rows := [][]string{{"项目编号", "项目名称", "主管部门", "年度", "年初预算数", "全年预算数", "实际到位资金", "全年执行数", "结余", "执行率", "资金使用合规性",
		"一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "实际完成值", "计量单位", "评价", "分值", "偏差原因"}}
	dec := func(d *jixiao.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	flt := func(v *float64) string {
		if v == nil {
			return ""
		}
		data, _ := json.Marshal(*v)
		return string(data)
	}
	for _, p := range projects {
		proj := []string{p.ID, p.Name, p.Department, strconv.Itoa(p.Year), dec(p.BudgetInitial), p.BudgetAdjusted.String(), dec(p.FundsArrived),
			p.Spent.String(), dec(p.Balance), dec(p.ExecutionRate), string(p.Compliance)}
		blank := make([]string, len(proj))
		if len(p.Indicators) == 0 {
			rows = append(rows, append(proj, make([]string, 10)...))
		}
		for i, ind := range p.Indicators {
			cols := proj
			if i > 0 {
				cols = blank
			}
			rows = append(rows, append(append([]string(nil), cols...), ind.Level1, ind.Level2, ind.Name, ind.Direction.Label(), flt(ind.Target), flt(ind.Actual),
				ind.Unit, string(ind.Rating), dec(ind.Weight), ind.DeviationReason))
		}
	}
	return impCSV(rows...)
}

// TestCSVRoundTripHuaihua reads all 26 Huaihua projects from a CSV in
// UTF-8 and the same file in GBK.
func TestCSVRoundTripHuaihua(t *testing.T) {
	want := demo.Huaihua()
	data := impCSVProjects(want)
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string][]byte{"utf8.csv": data, "gbk.csv": gbk} {
		t.Run(name, func(t *testing.T) {
			imp := impRead(t, file, name)
			if len(imp.Problems) > 0 {
				t.Fatalf("problems: %s", impShow(imp.Problems))
			}
			impSame(t, imp.Projects, want)
		})
	}
}

// TestCSVUndecodable refuses files whose encoding cannot be told: bytes
// that are neither UTF-8 nor GBK, and Big5 (traditional Chinese), which
// decodes as GBK into nonsense without a header.
func TestCSVUndecodable(t *testing.T) {
	big5, err := traditionalchinese.Big5.NewEncoder().Bytes([]byte("項目編號,項目名稱,年度,全年預算數,全年執行數\nA,簡訊費用項目,2024,1,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"latin1":    []byte("caf\xe9,\xe9t\xe9\n1,2\n"),
		"big5":      big5,
		"bad utf8":  append([]byte("\xef\xbb\xbf项目编号,项目名称\n"), 0xff, 0xfe, '\n'),
		"odd utf16": []byte("\xff\xfe\x79"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(data), name+".csv", Limits{})
			if jixiao.ErrorCode(err) != jixiao.EINVALID || !strings.Contains(jixiao.ErrorMessage(err), "UTF-8") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestCSVCombinedRules checks how rows of the combined layout make
// projects, and how rows are numbered.
func TestCSVCombinedRules(t *testing.T) {
	header := []string{"项目编号", "项目名称", "年度", "金额单位", "全年预算数", "全年执行数", "一级指标", "三级指标", "指标性质", "年度指标值", "评价"}
	tests := []struct {
		name    string
		rows    [][]string
		raw     string // used instead of rows when set
		want    []Problem
		invalid []string
		check   func(t *testing.T, ps []jixiao.Project)
	}{
		{name: "later rows may repeat or leave blank", rows: [][]string{header,
			{"A", "甲", "2024", "", "10", "9", "产出指标", "一", "正向", "1", ""},
			{"A", "甲", "2024", "元", "10.00", "", "产出指标", "二", "正向", "2", ""},
			{"", "", "", "", "", "", "效益指标", "三", "定性", "", "达成"},
		}, check: func(t *testing.T, ps []jixiao.Project) {
			if len(ps) != 1 || len(ps[0].Indicators) != 3 {
				t.Errorf("projects %+v", ps)
			}
		}},
		{name: "unit disagrees", rows: [][]string{header,
			{"A", "甲", "2024", "万元", "10", "9", "产出指标", "一", "正向", "1", ""},
			{"A", "", "", "元", "", "", "产出指标", "二", "正向", "2", ""},
		}, want: []Problem{{"t", 3, "金额单位", "A", "金额单位 与第 2 行不一致：“元”与“万元”（同一项目的各行，项目列须相同或留空）"}}, invalid: []string{"A"}},
		{name: "later row in the project's unit", rows: [][]string{header,
			{"A", "甲", "2024", "万元", "10", "9", "产出指标", "一", "正向", "1", ""},
			{"A", "", "", "", "100000", "", "产出指标", "二", "正向", "2", ""},
		}, check: func(t *testing.T, ps []jixiao.Project) {
			if len(ps) != 0 {
				t.Errorf("projects %+v", ps)
			}
		}, want: []Problem{{"t", 3, "全年预算数", "A", "全年预算数 与第 2 行不一致：“100000”与“10”（同一项目的各行，项目列须相同或留空）"}}, invalid: []string{"A"}},
		{name: "same id, two years", rows: [][]string{header,
			{"A", "甲", "2023", "", "10", "9", "产出指标", "一", "正向", "1", ""},
			{"A", "甲", "2024", "", "20", "19", "产出指标", "一", "正向", "1", ""},
			{"A", "", "", "", "", "", "产出指标", "二", "正向", "2", ""},
		}, check: func(t *testing.T, ps []jixiao.Project) {
			if len(ps) != 2 || ps[0].Year != 2023 || len(ps[0].Indicators) != 1 || ps[1].Year != 2024 || len(ps[1].Indicators) != 2 {
				t.Errorf("projects %+v", ps)
			}
		}},
		{name: "project without indicators", rows: [][]string{header,
			{"A", "甲", "2024", "", "10", "9", "", "", "", "", ""},
		}, check: func(t *testing.T, ps []jixiao.Project) {
			if len(ps) != 1 || ps[0].Indicators == nil || len(ps[0].Indicators) != 0 {
				t.Errorf("projects %+v", ps)
			}
		}},
		{name: "bad year on every row", rows: [][]string{header,
			{"A", "甲", "去年", "", "10", "9", "产出指标", "一", "正向", "1", ""},
			{"A", "甲", "去年", "", "", "", "产出指标", "二", "正向", "2", ""},
		}, want: []Problem{
			{"t", 2, "年度", "A", "年度 必须是四位年份（如 2024），实际为 “去年”"},
			{"t", 3, "年度", "A", "年度 必须是四位年份（如 2024），实际为 “去年”"},
		}, invalid: []string{"A"}},
		{name: "first row without id", rows: [][]string{header,
			{"", "甲", "2024", "", "10", "9", "产出指标", "一", "正向", "1", ""},
			{"", "", "", "", "", "", "产出指标", "二", "正向", "2", ""},
		}, want: []Problem{{"t", 2, "项目编号", "", "项目编号 必须填写"}}, invalid: []string{"第2行"}},
		{name: "rows numbered as a spreadsheet shows them",
			raw: strings.Join(header, ",") + "\n\n" +
				"A,甲,2024,,10,9,产出指标,\"多行\n的名称\",正向,1,\n" +
				"A,,,,,,产出指标,二,正向,x,\n",
			want:    []Problem{{"t", 4, "年度指标值", "A", "年度指标值 必须是数字，实际为 “x”"}},
			invalid: []string{"A"}},
		{name: "tab separated", raw: strings.Join(header, "\t") + "\nA\t甲\t2024\t\t10\t9\t产出指标\t一\t正向\t1\t\n",
			check: func(t *testing.T, ps []jixiao.Project) {
				if len(ps) != 1 {
					t.Errorf("projects %+v", ps)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.raw)
			if tc.raw == "" {
				data = impCSV(tc.rows...)
			}
			imp := impRead(t, data, "t.csv")
			if !reflect.DeepEqual(imp.Problems, tc.want) {
				t.Errorf("got %s\nwant %s", impShow(imp.Problems), impShow(tc.want))
			}
			if !reflect.DeepEqual(imp.Invalid, tc.invalid) {
				t.Errorf("invalid = %q, want %q", imp.Invalid, tc.invalid)
			}
			if tc.check != nil {
				tc.check(t, imp.Projects)
			}
		})
	}
}

func TestCSVSheetName(t *testing.T) {
	for in, want := range map[string]string{
		"huaihua-2024.csv":               "huaihua-2024",
		`C:\Users\财务\项目[2024].csv`:       "项目2024",
		"":                               "Sheet1",
		".csv":                           "Sheet1",
		"问题清单.csv":                       "Sheet1",
		strings.Repeat("长", 40) + ".csv": strings.Repeat("长", 31),
	} {
		if got := csvSheetName(in); got != want {
			t.Errorf("csvSheetName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzReadCSV reads arbitrary bytes as a CSV upload: it must never
// panic; every problem must be located; every project it returns must
// pass the JSON decoder.
func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"huaihua-3.csv", "huaihua-3-gbk.csv", "huaihua-3-utf16.txt", "problems.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", "import", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(impCSVProjects(impDemo("HH2024-02")))
	f.Add([]byte("项目编号,项目名称,年度,全年预算数,全年执行数\nA,甲,2024,1e5,\"1,234\"\n,,,,\n"))
	f.Add([]byte("项目编号,三级指标,项目名称\n\"A\n\",x,y\n"))
	lim := Limits{MaxBytes: 1 << 20, MaxRows: 2000, MaxCells: 20000}
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := Read(bytes.NewReader(data), "fuzz.csv", lim)
		if err != nil {
			var e *jixiao.Error
			if code := jixiao.ErrorCode(err); code == jixiao.EINTERNAL || !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, p := range imp.Problems {
			if p.Sheet == "" || p.Row < 1 || p.Message == "" {
				t.Fatalf("problem not located: %+v", p)
			}
		}
		if len(imp.Projects) > 0 {
			doc, err := json.Marshal(imp.Projects)
			if err != nil {
				t.Fatal(err)
			}
			in, err := jixiao.DecodeProjectsBytes(doc)
			if err != nil || len(in.Rejected) > 0 {
				t.Fatalf("a valid project fails the decoder: %v %+v", err, in)
			}
		}
	})
}

func TestCSVText(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"短信费用项目":                   "短信费用项目",
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+1":                       "'+1",
		"-1+2":                     "'-1+2",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\tx":                      "'\tx",
		"\rx":                      "'\rx",
		"a=b":                      "a=b",
	} {
		if got := CSVText(in); got != want {
			t.Errorf("CSVText(%q) = %q, want %q", in, got, want)
		}
	}
}
