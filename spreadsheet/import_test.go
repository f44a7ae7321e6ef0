package spreadsheet

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// ---- Building workbooks in tests ----

// impSheet is a sheet of a test workbook: rows[0] is row 1.
type impSheet struct {
	name string
	rows [][]any
}

// impStyled is a value with a number format: a built-in id or a custom
// format code.
type impStyled struct {
	v      any
	numFmt int
	custom string
}

// impXML is a cell written as raw XML, for what the library cannot
// write: a formula with its cached value or error. %s is the reference.
type impXML string

// impBook writes a workbook of the sheets, in order.
func impBook(t testing.TB, sheets ...impSheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	type patch struct {
		sheet int
		ref   string
		xml   impXML
	}
	var patches []patch
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sh.rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if x, ok := v.(impXML); ok {
					patches = append(patches, patch{i, ref, x})
					v = "placeholder"
				}
				impSetCell(t, f, sh.name, ref, v)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if len(patches) == 0 {
		return buf.Bytes()
	}
	data := buf.Bytes()
	for _, p := range patches {
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", p.sheet+1)
		data = impPatchZip(t, data, name, func(x []byte) []byte {
			re := regexp.MustCompile(`<c r="` + p.ref + `"[^>]*?(?:/>|>.*?</c>)`)
			if !re.Match(x) {
				t.Fatalf("cell %s not found to patch", p.ref)
			}
			return re.ReplaceAll(x, []byte(fmt.Sprintf(string(p.xml), p.ref)))
		})
	}
	return data
}

// impPatchZip rewrites one part of a zip archive.
func impPatchZip(t testing.TB, data []byte, name string, fn func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		part, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if zf.Name == name {
			part = fn(part)
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(part)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func impSetCell(t testing.TB, f *excelize.File, sheet, ref string, v any) {
	t.Helper()
	var err error
	switch v := v.(type) {
	case nil:
	case string:
		if v != "" {
			err = f.SetCellStr(sheet, ref, v)
		}
	case float64:
		err = f.SetCellFloat(sheet, ref, v, -1, 64)
	case int:
		err = f.SetCellInt(sheet, ref, int64(v))
	case bool:
		err = f.SetCellBool(sheet, ref, v)
	case impStyled:
		impSetCell(t, f, sheet, ref, v.v)
		st := &excelize.Style{NumFmt: v.numFmt}
		if v.custom != "" {
			st.CustomNumFmt = &v.custom
		}
		id, e := f.NewStyle(st)
		if e != nil {
			t.Fatal(e)
		}
		err = f.SetCellStyle(sheet, ref, ref, id)
	default:
		t.Fatalf("cannot write %T", v)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func impRead(t testing.TB, data []byte, name string) *Import {
	t.Helper()
	imp, err := Read(bytes.NewReader(data), name, Limits{})
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return imp
}

// impCSV joins rows of fields into a CSV file.
func impCSV(rows ...[]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		for i, f := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(f, ",\"\n") {
				f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
			}
			b.WriteString(f)
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// ---- A small valid workbook, to break one cell at a time ----

var (
	impProjectHeader   = []any{"项目编号", "项目名称", "主管部门", "年度", "金额单位", "年初预算数", "全年预算数", "实际到位资金", "全年执行数", "结余", "执行率", "资金使用合规性"}
	impIndicatorHeader = []any{"项目编号", "一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "实际完成值", "计量单位", "评价", "分值", "偏差原因"}
)

func impBaseProjects() [][]any {
	return [][]any{
		append([]any(nil), impProjectHeader...),
		{"P1", "项目一", "某部门", 2024, "元", 100000, 90000, 90000, 80000, 10000, 88.89, "达成"},
	}
}

func impBaseIndicators() [][]any {
	return [][]any{
		append([]any(nil), impIndicatorHeader...),
		{"P1", "产出指标", "数量指标", "完成数量", "正向", 10, 10, "个", nil, 20, nil},
		{"P1", "效益指标", "社会效益指标", "社会效果", "定性", nil, nil, nil, "达成", 10, nil},
	}
}

// impBaseProject is the project the base workbook holds.
func impBaseProject() jixiao.Project {
	d := func(yuan int64) *jixiao.Decimal { v := jixiao.Points(yuan); return &v }
	f := func(v float64) *float64 { return &v }
	rate := jixiao.Cents(8889)
	return jixiao.Project{
		ID: "P1", Name: "项目一", Department: "某部门", Year: 2024,
		BudgetInitial: d(100000), BudgetAdjusted: jixiao.Points(90000), FundsArrived: d(90000),
		Spent: jixiao.Points(80000), Balance: d(10000), ExecutionRate: &rate, Compliance: jixiao.Achieved,
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "完成数量", Direction: jixiao.AtLeast, Target: f(10), Actual: f(10), Unit: "个", Weight: d(20)},
			{Level1: "效益指标", Level2: "社会效益指标", Name: "社会效果", Direction: jixiao.Qualitative, Rating: jixiao.Achieved, Weight: d(10)},
		},
	}
}

// impSet sets the cell of a header in row (as numbered in the sheet),
// adding the column when the header is new.
func impSet(rows [][]any, header string, row int, v any) {
	col := -1
	for i, h := range rows[0] {
		if h == header {
			col = i
		}
	}
	if col < 0 {
		rows[0] = append(rows[0], header)
		col = len(rows[0]) - 1
	}
	r := rows[row-1]
	for len(r) <= col {
		r = append(r, nil)
	}
	r[col] = v
	rows[row-1] = r
}

// impDrop removes a column.
func impDrop(rows [][]any, header string) {
	for i, h := range rows[0] {
		if h == header {
			for r := range rows {
				if i < len(rows[r]) {
					rows[r] = append(rows[r][:i:i], rows[r][i+1:]...)
				}
			}
			return
		}
	}
}

func TestBaseWorkbookIsValid(t *testing.T) {
	data := impBook(t, impSheet{"项目", impBaseProjects()}, impSheet{"绩效指标", impBaseIndicators()})
	imp := impRead(t, data, "base.xlsx")
	if len(imp.Problems) != 0 || len(imp.Invalid) != 0 {
		t.Fatalf("problems %v, invalid %v", imp.Problems, imp.Invalid)
	}
	if imp.Format != "xlsx" || len(imp.Projects) != 1 || !reflect.DeepEqual(imp.Projects[0], impBaseProject()) {
		t.Fatalf("got %+v\nwant %+v", imp.Projects, impBaseProject())
	}
}

// TestProblems has one case per message: each breaks the base workbook
// in one way and lists every problem it must cause, located.
func TestProblems(t *testing.T) {
	const P, I = "项目", "绩效指标"
	date := impStyled{v: 45292, numFmt: 14}
	divZero := impXML(`<c r="%s" t="e"><f>1/0</f><v>#DIV/0!</v></c>`)
	tests := []struct {
		name    string
		proj    func(r [][]any) [][]any
		ind     func(r [][]any) [][]any
		more    []impSheet
		want    []Problem
		invalid []string // nil means ["P1"]
	}{
		{name: "id blank", proj: func(r [][]any) [][]any { impSet(r, "项目编号", 2, nil); return r },
			want: []Problem{
				{P, 2, "项目编号", "", "项目编号 必须填写"},
				{I, 2, "项目编号", "P1", "项目编号“P1”在项目表中不存在"},
				{I, 3, "项目编号", "P1", "项目编号“P1”在项目表中不存在"},
			},
			invalid: []string{"第2行"}},
		{name: "name blank", proj: func(r [][]any) [][]any { impSet(r, "项目名称", 2, " "); return r },
			want: []Problem{{P, 2, "项目名称", "P1", "项目名称 必须填写"}}},
		{name: "year blank", proj: func(r [][]any) [][]any { impSet(r, "年度", 2, nil); return r },
			want: []Problem{{P, 2, "年度", "P1", "年度 必须填写"}}},
		{name: "year not a year", proj: func(r [][]any) [][]any { impSet(r, "年度", 2, "二〇二四"); return r },
			want: []Problem{{P, 2, "年度", "P1", "年度 必须是四位年份（如 2024），实际为 “二〇二四”"}}},
		{name: "year a date", proj: func(r [][]any) [][]any { impSet(r, "年度", 2, date); return r },
			want: []Problem{{P, 2, "年度", "P1", "年度 必须是四位年份（如 2024），实际为日期 “01-01-24”：请把单元格格式改为“常规”或“数值”后重新填写"}}},
		{name: "year out of range", proj: func(r [][]any) [][]any { impSet(r, "年度", 2, 24); return r },
			want: []Problem{{P, 2, "年度", "P1", "年度 必须是四位年份（如 2024），实际为 “24”"}}},
		{name: "budget blank", proj: func(r [][]any) [][]any { impSet(r, "全年预算数", 2, nil); return r },
			want: []Problem{{P, 2, "全年预算数", "P1", "全年预算数 必须填写"}}},
		{name: "spent text", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, "约44万"); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 必须是数字，实际为 “约44万”"}}},
		{name: "spent three decimals", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, 447438.631); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 最多两位小数（到分），实际为 “447438.631”"}}},
		{name: "wan yuan seven decimals", proj: func(r [][]any) [][]any {
			impSet(r, "金额单位", 2, "万元")
			impSet(r, "全年执行数", 2, "44.7438631")
			return r
		}, want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 以万元为单位时最多六位小数（到分），实际为 “44.7438631”"}}},
		{name: "amount too large", proj: func(r [][]any) [][]any { impSet(r, "结余", 2, "1e20"); return r },
			want: []Problem{{P, 2, "结余", "P1", "结余 数额过大，实际为 “1e20”"}}},
		{name: "amount a date cell", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, impStyled{v: 45292, numFmt: 31}); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 必须是数字，实际为日期 “2024年1月1日”：请把单元格格式改为“常规”或“数值”后重新填写"}}},
		{name: "amount a date as text", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, "2024-01-05"); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 必须是数字，实际为日期 “2024-01-05”"}}},
		{name: "amount a boolean", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, true); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 必须是数字，实际为逻辑值 TRUE"}}},
		{name: "amount a formula error", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, divZero); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 公式计算出错（#DIV/0!）：请修正公式或直接填写数值"}}},
		{name: "name a formula error", proj: func(r [][]any) [][]any {
			impSet(r, "项目名称", 2, impXML(`<c r="%s" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c>`))
			return r
		}, want: []Problem{{P, 2, "项目名称", "P1", "项目名称 公式计算出错（#N/A）：请修正公式或直接填写数值"}}},
		{name: "amount a percentage", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, "95%"); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 必须是数字，实际为 “95%”"}}},
		{name: "money unit unknown", proj: func(r [][]any) [][]any { impSet(r, "金额单位", 2, "千元"); return r },
			want: []Problem{{P, 2, "金额单位", "P1", "金额单位 只能是 元 或 万元，实际为 “千元”"}}},
		{name: "money unit against header", proj: func(r [][]any) [][]any { r[0][6] = "全年预算数（万元）"; return r },
			want: []Problem{{P, 2, "金额单位", "P1", "金额单位 为 元，与列标题“全年预算数（万元）”写明的 万元 不一致"}}},
		{name: "unit written in the cell", proj: func(r [][]any) [][]any { impSet(r, "全年执行数", 2, "8万元"); return r },
			want: []Problem{{P, 2, "全年执行数", "P1", "全年执行数 写的是 “8万元”，但金额单位是 元"}}},
		{name: "rate as a fraction", proj: func(r [][]any) [][]any { impSet(r, "执行率", 2, 0.8889); return r },
			want: []Problem{{P, 2, "执行率", "P1", "执行率 应填写百分数（如 91.31 或 91.31%），实际为 “0.8889”；如果确实是 0.8889%，请写成 “0.8889%”"}}},
		{name: "rate text", proj: func(r [][]any) [][]any { impSet(r, "执行率", 2, "高"); return r },
			want: []Problem{{P, 2, "执行率", "P1", "执行率 必须是数字，实际为 “高”"}}},
		{name: "compliance unknown", proj: func(r [][]any) [][]any { impSet(r, "资金使用合规性", 2, "良好"); return r },
			want: []Problem{{P, 2, "资金使用合规性", "P1", "资金使用合规性 只能是 达成、部分达成 或 未达成（也可写 合规、基本合规、不合规），实际为 “良好”"}}},
		{name: "duplicate id", proj: func(r [][]any) [][]any {
			return append(r, append([]any(nil), r[1]...))
		}, want: []Problem{{P, 3, "项目编号", "P1", "项目编号“P1”重复：第 2 行已有 2024 年度的同一编号"}}},
		{name: "unknown column with data", proj: func(r [][]any) [][]any { impSet(r, "备注", 2, "无"); return r },
			want: []Problem{{P, 1, "备注", "", "无法识别的列标题“备注”：请删除此列，或改用“填写说明”中的列名"}}},
		{name: "data without a header", proj: func(r [][]any) [][]any { impSet(r, "", 2, "无"); return r },
			want: []Problem{{P, 1, "M", "", "M 列有内容但没有列标题：请补上列标题或删除此列"}}},
		{name: "duplicate column", proj: func(r [][]any) [][]any { impSet(r, "调整后预算数", 2, 90000); return r },
			want: []Problem{{P, 1, "调整后预算数", "", "列“调整后预算数”与 G 列“全年预算数”重复，都表示“全年预算数”：请删除其中一列"}}},
		{name: "missing column", proj: func(r [][]any) [][]any { impDrop(r, "全年执行数"); return r },
			want: []Problem{{P, 1, "全年执行数", "", "缺少必填列“全年执行数”"}}},
		{name: "unit in header unknown", proj: func(r [][]any) [][]any { r[0][6] = "全年预算数（千元）"; return r },
			want: []Problem{
				{P, 1, "全年预算数（千元）", "", "列标题“全年预算数（千元）”中的单位“千元”无法识别：金额只能以 元 或 万元 为单位"},
				{P, 1, "全年预算数", "", "缺少必填列“全年预算数”"},
			}},
		{name: "sheet without a header", more: []impSheet{{"备用", [][]any{{"说明文字"}, {"1", "2"}}}},
			want:    []Problem{{"备用", 1, "", "", "找不到列标题行：前 20 行中没有同时写有“项目编号”和其他列标题的一行，此表没有导入"}},
			invalid: []string{}},
		{name: "indicator of no project", ind: func(r [][]any) [][]any { impSet(r, "项目编号", 3, "P9"); return r },
			want: []Problem{{I, 3, "项目编号", "P9", "项目编号“P9”在项目表中不存在"}}},
		{name: "indicator id blank", ind: func(r [][]any) [][]any {
			impSet(r, "项目编号", 2, nil)
			impSet(r, "项目编号", 3, nil)
			return r
		},
			want: []Problem{{I, 2, "项目编号", "", "项目编号 必须填写"}, {I, 3, "项目编号", "", "项目编号 必须填写"}}},
		{name: "level1 blank", ind: func(r [][]any) [][]any { impSet(r, "一级指标", 2, nil); return r },
			want: []Problem{{I, 2, "一级指标", "P1", "一级指标 必须填写"}}},
		{name: "name blank", ind: func(r [][]any) [][]any { impSet(r, "三级指标", 3, nil); return r },
			want: []Problem{{I, 3, "三级指标", "P1", "三级指标 必须填写"}}},
		{name: "direction blank", ind: func(r [][]any) [][]any { impSet(r, "指标性质", 2, nil); return r },
			want: []Problem{{I, 2, "指标性质", "P1", "指标性质 必须填写：正向、反向、等于 或 定性"}}},
		{name: "direction unknown", ind: func(r [][]any) [][]any { impSet(r, "指标性质", 2, "越高越好"); return r },
			want: []Problem{{I, 2, "指标性质", "P1", "指标性质 只能是 正向、大于、反向、小于、等于 或 定性（也可写 ≥、>、≤、<、=），实际为 “越高越好”"}}},
		{name: "target blank", ind: func(r [][]any) [][]any { impSet(r, "年度指标值", 2, nil); return r },
			want: []Problem{{I, 2, "年度指标值", "P1", "年度指标值 必须填写：定量指标须有年度指标值"}}},
		{name: "target text", ind: func(r [][]any) [][]any { impSet(r, "年度指标值", 2, "较上年提高"); return r },
			want: []Problem{{I, 2, "年度指标值", "P1", "年度指标值 必须是数字，实际为 “较上年提高”"}}},
		{name: "target sign against direction", ind: func(r [][]any) [][]any { impSet(r, "年度指标值", 2, "≤10"); return r },
			want: []Problem{{I, 2, "年度指标值", "P1", "年度指标值 中的 “≤”与 指标性质 “正向”不一致"}}},
		{name: "actual text", ind: func(r [][]any) [][]any { impSet(r, "实际完成值", 2, "完成"); return r },
			want: []Problem{{I, 2, "实际完成值", "P1", "实际完成值 必须是数字，实际为 “完成”"}}},
		{name: "qualitative with a target", ind: func(r [][]any) [][]any { impSet(r, "年度指标值", 3, "有效提升"); return r },
			want: []Problem{{I, 3, "年度指标值", "P1", "定性指标的 年度指标值 应留空（实际为 “有效提升”）：请在 评价 列填写 达成、部分达成 或 未达成"}}},
		{name: "qualitative actual not a rating", ind: func(r [][]any) [][]any { impSet(r, "实际完成值", 3, "很好"); return r },
			want: []Problem{{I, 3, "实际完成值", "P1", "定性指标的 实际完成值 只能留空或填写 达成、部分达成、未达成，实际为 “很好”"}}},
		{name: "qualitative actual against rating", ind: func(r [][]any) [][]any { impSet(r, "实际完成值", 3, "未达成"); return r },
			want: []Problem{{I, 3, "实际完成值", "P1", "实际完成值 “未达成”与 评价 “达成”不一致"}}},
		{name: "qualitative without rating", ind: func(r [][]any) [][]any { impSet(r, "评价", 3, nil); return r },
			want: []Problem{{I, 3, "评价", "P1", "评价 必须填写：定性指标填 达成、部分达成 或 未达成"}}},
		{name: "rating unknown", ind: func(r [][]any) [][]any { impSet(r, "评价", 3, "好"); return r },
			want: []Problem{{I, 3, "评价", "P1", "评价 只能是 达成、部分达成 或 未达成，实际为 “好”"}}},
		{name: "rating of a quantitative indicator", ind: func(r [][]any) [][]any { impSet(r, "评价", 2, "达成"); return r },
			want: []Problem{{I, 2, "评价", "P1", "只有定性指标填写 评价（本行 指标性质 为 “正向”）"}}},
		{name: "percent against unit", ind: func(r [][]any) [][]any { impSet(r, "年度指标值", 2, "95%"); return r },
			want: []Problem{{I, 2, "年度指标值", "P1", "年度指标值 带百分号，但 计量单位 是 “个”"}}},
		{name: "weight zero", ind: func(r [][]any) [][]any { impSet(r, "分值", 2, 0); return r },
			want: []Problem{{I, 2, "分值", "P1", "分值 必须大于 0，实际为 “0”"}}},
		{name: "weight three decimals", ind: func(r [][]any) [][]any { impSet(r, "分值", 2, 1.234); return r },
			want: []Problem{{I, 2, "分值", "P1", "分值 最多两位小数，实际为 “1.234”"}}},
		{name: "weight text", ind: func(r [][]any) [][]any { impSet(r, "分值", 2, "十"); return r },
			want: []Problem{{I, 2, "分值", "P1", "分值 必须是数字，实际为 “十”"}}},
		{name: "fund source in wan yuan, seven decimals", proj: func(r [][]any) [][]any {
			impSet(r, "金额单位", 2, "万元")
			impSet(r, "当年财政拨款执行数", 2, "44.7438631")
			return r
		}, want: []Problem{{P, 2, "当年财政拨款执行数", "P1", "当年财政拨款执行数 以万元为单位时最多六位小数（到分），实际为 “44.7438631”"}}},
		{name: "fund source text", proj: func(r [][]any) [][]any { impSet(r, "其他资金预算数", 2, "约1万"); return r },
			want: []Problem{{P, 2, "其他资金预算数", "P1", "其他资金预算数 必须是数字，实际为 “约1万”"}}},
		{name: "fund source against the header's unit", proj: func(r [][]any) [][]any {
			impSet(r, "上年结转资金预算数（万元）", 2, 1)
			return r
		}, want: []Problem{{P, 2, "金额单位", "P1", "金额单位 为 元，与列标题“上年结转资金预算数（万元）”写明的 万元 不一致"}}},
		{name: "deduction without a reason", ind: func(r [][]any) [][]any { impSet(r, "复核扣减分", 2, 2); return r },
			want: []Problem{{I, 2, "扣减原因", "P1", "扣减原因 必须填写：复核扣减分 为 2 分"}}},
		{name: "deduction negative", ind: func(r [][]any) [][]any { impSet(r, "扣分", 3, -1); return r },
			want: []Problem{{I, 3, "扣分", "P1", "扣分 不能为负数，实际为 “-1”"}}},
		{name: "proposed score of a quantitative indicator", ind: func(r [][]any) [][]any { impSet(r, "自评得分", 2, 8); return r },
			want: []Problem{{I, 2, "自评得分", "P1", "只有定性指标填写 自评得分：定量指标按年度指标值和实际完成值评分"}}},
		{name: "proposed score three decimals", ind: func(r [][]any) [][]any { impSet(r, "单位自评得分", 3, 8.125); return r },
			want: []Problem{{I, 3, "单位自评得分", "P1", "单位自评得分 最多两位小数，实际为 “8.125”"}}},
		{name: "proposed score a percentage", ind: func(r [][]any) [][]any { impSet(r, "自评得分", 3, "80%"); return r },
			want: []Problem{{I, 3, "自评得分", "P1", "自评得分 必须是数字，实际为 “80%”"}}},
		{name: "project name against project sheet", ind: func(r [][]any) [][]any {
			impSet(r, "项目名称", 2, "项目一")
			impSet(r, "项目名称", 3, "别的项目")
			return r
		}, want: []Problem{{I, 3, "项目名称", "P1", "项目名称“别的项目”与“项目”表中该项目的名称“项目一”不一致"}}},
		{name: "indicator year of no project", ind: func(r [][]any) [][]any { impSet(r, "年度", 2, 2023); return r },
			want: []Problem{{I, 2, "项目编号", "P1", "项目编号“P1”在项目表中没有 2023 年度的项目"}}},
		{name: "indicator year not a year", ind: func(r [][]any) [][]any { impSet(r, "年度", 2, "去年"); return r },
			want: []Problem{{I, 2, "年度", "P1", "年度 必须是四位年份（如 2024），实际为 “去年”"}}},
		{name: "id in two years, no year column", proj: func(r [][]any) [][]any {
			r = append(r, append([]any(nil), r[1]...))
			impSet(r, "年度", 3, 2023)
			return r
		}, want: []Problem{
			{I, 2, "项目编号", "P1", "项目编号“P1”在项目表中有多个年度（2024、2023），请在本表增加“年度”列并填写"},
			{I, 3, "项目编号", "P1", "项目编号“P1”在项目表中有多个年度（2024、2023），请在本表增加“年度”列并填写"},
		}},
		{name: "indicator sheet missing a column", ind: func(r [][]any) [][]any { impDrop(r, "三级指标"); return r },
			want: []Problem{{I, 1, "三级指标", "", "缺少必填列“三级指标”"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proj, ind := impBaseProjects(), impBaseIndicators()
			if tc.proj != nil {
				proj = tc.proj(proj)
			}
			if tc.ind != nil {
				ind = tc.ind(ind)
			}
			sheets := append([]impSheet{{P, proj}, {I, ind}}, tc.more...)
			imp := impRead(t, impBook(t, sheets...), "t.xlsx")
			if !reflect.DeepEqual(imp.Problems, tc.want) {
				t.Errorf("problems:\n got %s\nwant %s", impShow(imp.Problems), impShow(tc.want))
			}
			wantInvalid := tc.invalid
			if wantInvalid == nil {
				wantInvalid = []string{"P1"}
			}
			if len(imp.Invalid) != len(wantInvalid) || len(wantInvalid) > 0 && !reflect.DeepEqual(imp.Invalid, wantInvalid) {
				t.Errorf("invalid = %q, want %q", imp.Invalid, wantInvalid)
			}
			if len(wantInvalid) > 0 && len(imp.Projects) != 0 {
				t.Errorf("%d projects returned valid", len(imp.Projects))
			}
		})
	}
}

func impShow(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n\t{%q, %d, %q, %q, %q}", p.Sheet, p.Row, p.Column, p.Project, p.Message)
	}
	return b.String()
}

// TestValues reads values written in the many ways people write them;
// each case changes one cell (or two) and says how the project changes.
func TestValues(t *testing.T) {
	d := func(cents int64) *jixiao.Decimal { v := jixiao.Cents(cents); return &v }
	f := func(v float64) *float64 { return &v }
	spent := func(p *jixiao.Project) { p.Spent = jixiao.Cents(44743863) }
	tests := []struct {
		name string
		proj func(r [][]any)
		ind  func(r [][]any)
		want func(p *jixiao.Project)
	}{
		{"full-width digits", func(r [][]any) { impSet(r, "全年执行数", 2, "４４７，４３８．６３") }, nil, spent},
		{"spaces and NBSP", func(r [][]any) { impSet(r, "全年执行数", 2, "\u00a0447,438.63\u3000") }, nil, spent},
		{"space as thousands separator", func(r [][]any) { impSet(r, "全年执行数", 2, "447 438.63") }, nil, spent},
		{"yuan sign", func(r [][]any) { impSet(r, "全年执行数", 2, "¥447,438.63") }, nil, spent},
		{"number format does not round", func(r [][]any) { impSet(r, "全年执行数", 2, impStyled{v: 447438.63, numFmt: 3}) }, nil, spent},
		{"formula noise", func(r [][]any) {
			impSet(r, "结余", 2, impXML(`<c r="%s"><f>G2-I2</f><v>42561.369999999995</v></c>`))
		}, nil, func(p *jixiao.Project) { p.Balance = d(4256137) }},
		{"formula cached value", func(r [][]any) {
			impSet(r, "全年执行数", 2, impXML(`<c r="%s"><f>SUM(X1:X9)</f><v>447438.63</v></c>`))
		}, nil, spent},
		{"wan yuan by row", func(r [][]any) {
			impSet(r, "金额单位", 2, "万元")
			for _, h := range []string{"年初预算数", "全年预算数", "实际到位资金", "结余"} {
				impSet(r, h, 2, nil)
			}
			impSet(r, "全年预算数", 2, 44.7438)
			impSet(r, "全年执行数", 2, "44.743863")
		}, nil, func(p *jixiao.Project) {
			p.BudgetInitial, p.FundsArrived, p.Balance = nil, nil, nil
			p.BudgetAdjusted, p.Spent = jixiao.Points(447438), jixiao.Cents(44743863)
		}},
		{"wan yuan by header", func(r [][]any) {
			impSet(r, "金额单位", 2, nil)
			r[0][8] = "全年执行数（万元）"
			impSet(r, "全年执行数（万元）", 2, 44.743863)
		}, nil, spent},
		{"wan yuan in the cell", func(r [][]any) {
			impSet(r, "金额单位", 2, nil)
			impSet(r, "全年执行数", 2, "44.743863万元")
		}, nil, spent},
		{"rate as a percent cell", func(r [][]any) { impSet(r, "执行率", 2, impStyled{v: 0.8889, numFmt: 10}) }, nil, nil},
		{"rate with percent sign", func(r [][]any) { impSet(r, "执行率", 2, "88.89%") }, nil, nil},
		{"rate full-width", func(r [][]any) { impSet(r, "执行率", 2, "８８．８９％") }, nil, nil},
		{"rate from a formula", func(r [][]any) {
			impSet(r, "执行率", 2, impXML(`<c r="%s"><f>I2/G2*100</f><v>88.888888888888886</v></c>`))
		}, nil, nil},
		{"year with 年", func(r [][]any) { impSet(r, "年度", 2, "2024年") }, nil, nil},
		{"year full-width", func(r [][]any) { impSet(r, "年度", 2, "２０２４") }, nil, nil},
		{"year with a 年 format", func(r [][]any) { impSet(r, "年度", 2, impStyled{v: 2024, custom: `0"年"`}) }, nil, nil},
		{"compliance 合规", func(r [][]any) { impSet(r, "资金使用合规性", 2, "合规") }, nil, nil},
		{"compliance 基本合规", func(r [][]any) { impSet(r, "资金使用合规性", 2, "基本合规") }, nil,
			func(p *jixiao.Project) { p.Compliance = jixiao.PartiallyAchieved }},
		{"target with sign sets direction", nil, func(r [][]any) {
			impSet(r, "指标性质", 2, nil)
			impSet(r, "计量单位", 2, nil)
			impSet(r, "年度指标值", 2, "≥95%")
			impSet(r, "实际完成值", 2, "96.5%")
		}, func(p *jixiao.Project) {
			p.Indicators[0].Target, p.Indicators[0].Actual, p.Indicators[0].Unit = f(95), f(96.5), "%"
		}},
		{"target as a percent cell", nil, func(r [][]any) {
			impSet(r, "计量单位", 2, "%")
			impSet(r, "年度指标值", 2, impStyled{v: 0.95, numFmt: 9})
			impSet(r, "实际完成值", 2, impStyled{v: 0.96, numFmt: 9})
		}, func(p *jixiao.Project) {
			p.Indicators[0].Target, p.Indicators[0].Actual, p.Indicators[0].Unit = f(95), f(96), "%"
		}},
		{"direction as a sign", nil, func(r [][]any) { impSet(r, "指标性质", 2, "≤") },
			func(p *jixiao.Project) { p.Indicators[0].Direction = jixiao.AtMost }},
		{"direction 等于", nil, func(r [][]any) { impSet(r, "指标性质", 2, "等于") },
			func(p *jixiao.Project) { p.Indicators[0].Direction = jixiao.Exactly }},
		{"rating in 实际完成值", nil, func(r [][]any) {
			impSet(r, "评价", 3, nil)
			impSet(r, "实际完成值", 3, "达成")
		}, nil},
		{"exponent", nil, func(r [][]any) { impSet(r, "实际完成值", 2, "1.5E+3") },
			func(p *jixiao.Project) { p.Indicators[0].Actual = f(1500) }},
		{"weight with decimals", nil, func(r [][]any) { impSet(r, "分值", 2, 12.5) },
			func(p *jixiao.Project) { p.Indicators[0].Weight = d(1250) }},
		{"fund sources in wan yuan by header and cell", func(r [][]any) {
			impSet(r, "金额单位", 2, nil)
			impSet(r, "当年财政拨款预算数（万元）", 2, 9)
			impSet(r, "财政拨款执行数", 2, "44.743863万元")
			impSet(r, "上年结转资金", 2, "1,000")
			impSet(r, "其他资金执行数", 2, impXML(`<c r="%s"><f>X1-X2</f><v>42561.369999999995</v></c>`))
		}, nil, func(p *jixiao.Project) {
			p.AppropriationBudget, p.AppropriationSpent = d(9000000), d(44743863)
			p.CarryOverBudget, p.OtherSpent = d(100000), d(4256137)
		}},
		{"texts of the national form under other names", func(r [][]any) {
			impSet(r, "项目实施单位", 2, " 信息科 ")
			impSet(r, "预期目标", 2, "按时完成")
			impSet(r, "实际完成情况", 2, "已完成")
			impSet(r, "预算执行偏差原因及改进措施", 2, "尾款次年支付")
		}, nil, func(p *jixiao.Project) {
			p.ImplementingUnit, p.GoalExpected, p.GoalAchieved, p.ExecutionReason = "信息科", "按时完成", "已完成", "尾款次年支付"
		}},
		{"proposed score, description and deduction", nil, func(r [][]any) {
			impSet(r, "自评得分（分）", 3, 7.5)
			impSet(r, "完成情况简要描述", 3, "大部分达成")
			impSet(r, "扣减分", 3, "0.5")
			impSet(r, "扣分原因", 3, "佐证不足")
			impSet(r, "扣减分", 2, 0) // zero needs no reason
		}, func(p *jixiao.Project) {
			p.Indicators[1].ProposedScore, p.Indicators[1].Description = d(750), "大部分达成"
			p.Indicators[1].Deduction, p.Indicators[1].DeductionReason = d(50), "佐证不足"
			p.Indicators[0].Deduction = d(0)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proj, ind := impBaseProjects(), impBaseIndicators()
			if tc.proj != nil {
				tc.proj(proj)
			}
			if tc.ind != nil {
				tc.ind(ind)
			}
			imp := impRead(t, impBook(t, impSheet{"项目", proj}, impSheet{"绩效指标", ind}), "t.xlsx")
			if len(imp.Problems) > 0 {
				t.Fatalf("problems: %s", impShow(imp.Problems))
			}
			want := impBaseProject()
			if tc.want != nil {
				tc.want(&want)
			}
			if len(imp.Projects) != 1 || !reflect.DeepEqual(imp.Projects[0], want) {
				t.Errorf("got  %s\nwant %s", impJSON(imp.Projects), impJSON([]jixiao.Project{want}))
			}
		})
	}
}

// TestLayoutFreedom reads a workbook laid out as a department might:
// a title above the header, columns in another order under other
// names, units in headers, a 序号 column, a 合计 row, indicator rows
// under a merged 项目编号, sheets with other names.
func TestLayoutFreedom(t *testing.T) {
	data := impBook(t,
		impSheet{"汇总", [][]any{
			{"2024年度项目支出绩效自评汇总表"},
			{},
			{"序号", "项目名称", "项目代码", "预算年度", "调整后预算数（万元）", "执行数\n（万元）", "年初预算(单位:万元)", "预算执行率", "合规性", "部门"},
			{1, "项目一", "P1", "2024年", 9, "8", "10", "88.89%", "合规", "某部门"},
			{2, "项目二", "P2", 2024, "1.5", 1.234567, nil, nil, nil, nil},
			{nil, "合计", nil, nil, 10.5, 9.234567},
		}},
		impSheet{"指标", [][]any{
			{"序号", "项目编号", "三级指标名称", "一级指标", "二级指标", "方向", "指标值", "完成值", "单位", "完成情况", "权重"},
			{1, "P1", "完成数量", "产出指标", "数量指标", "正向", 10, 10, "个", nil, 20},
			{2, nil, "社会效果", "效益指标", "社会效益指标", "定性", nil, nil, nil, "达成", 10},
			{3, "P2", "满意度", "满意度指标", nil, "≥", "90%", "95%"},
			{4},
		}},
	)
	imp := impRead(t, data, "layout.xlsx")
	if len(imp.Problems) > 0 {
		t.Fatalf("problems: %s", impShow(imp.Problems))
	}
	p1 := impBaseProject()
	p1.FundsArrived, p1.Balance = nil, nil
	f := func(v float64) *float64 { return &v }
	p2 := jixiao.Project{ID: "P2", Name: "项目二", Year: 2024, BudgetAdjusted: jixiao.Points(15000), Spent: jixiao.Cents(1234567),
		Indicators: []jixiao.Indicator{{Level1: "满意度指标", Name: "满意度", Direction: jixiao.AtLeast, Target: f(90), Actual: f(95), Unit: "%"}}}
	want := []jixiao.Project{p1, p2}
	if !reflect.DeepEqual(imp.Projects, want) {
		t.Errorf("got  %s\nwant %s", impJSON(imp.Projects), impJSON(want))
	}
}

func impJSON(ps []jixiao.Project) string {
	var b strings.Builder
	for _, p := range ps {
		data, _ := json.Marshal(p)
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestCrossCheckMapsDecoderFields places the JSON decoder's messages on
// the cells of the fields they name. The spreadsheet's own checks come
// first, so the decoder finds nothing in a file they pass; its messages
// are placed by field all the same.
func TestCrossCheckMapsDecoderFields(t *testing.T) {
	data := impBook(t, impSheet{"项目", impBaseProjects()}, impSheet{"绩效指标", impBaseIndicators()})
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := &budget{lim: DefaultLimits()}
	var sheets []*sheet
	for i, name := range f.GetSheetList() {
		sh, err := readXLSXSheet(f, name, i, b)
		if err != nil {
			t.Fatal(err)
		}
		sheets = append(sheets, sh)
	}
	im := newImporter("xlsx")
	if _, err := im.run(sheets); err != nil {
		t.Fatal(err)
	}
	p := im.projects[0]
	for _, msg := range []string{
		"spent: 须为以元为单位的数字，收到 x",
		"indicators[1].weight: 须为正数，收到 -1.00",
		"indicators[0]: 定性指标填评价结果（rating），不填目标值或实际值",
		"indicators: 有 1001 个指标，最多 1000 个",
		"something else entirely",
	} {
		im.decoderProblem(p, msg)
	}
	want := []Problem{
		{"项目", 2, "全年执行数", "P1", "不符合项目数据规则：须为以元为单位的数字，收到 x"},
		{"绩效指标", 3, "分值", "P1", "不符合项目数据规则：须为正数，收到 -1.00"},
		{"绩效指标", 2, "三级指标", "P1", "不符合项目数据规则：定性指标填评价结果（rating），不填目标值或实际值"},
		{"项目", 2, "项目编号", "P1", "不符合项目数据规则：有 1001 个指标，最多 1000 个"},
		{"项目", 2, "项目编号", "P1", "不符合项目数据规则：something else entirely"},
	}
	var got []Problem
	for _, l := range im.problems {
		got = append(got, l.Problem)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s\nwant %s", impShow(got), impShow(want))
	}
}

func TestTooManyIndicators(t *testing.T) {
	ind := [][]any{impIndicatorHeader}
	for i := range jixiao.MaxIndicatorsPerProject + 1 {
		ind = append(ind, []any{"P1", "产出指标", nil, fmt.Sprintf("指标%d", i), "正向", 1})
	}
	imp := impRead(t, impBook(t, impSheet{"项目", impBaseProjects()}, impSheet{"绩效指标", ind}), "t.xlsx")
	want := []Problem{{"绩效指标", jixiao.MaxIndicatorsPerProject + 2, "三级指标", "P1", "项目“P1”的指标超过 1000 个的上限"}}
	if !reflect.DeepEqual(imp.Problems, want) || !reflect.DeepEqual(imp.Invalid, []string{"P1"}) {
		t.Errorf("problems %s, invalid %q", impShow(imp.Problems), imp.Invalid)
	}
}

func TestReadJSON(t *testing.T) {
	doc := `{"projects": [
	 {"id": "A", "name": "a", "year": 2024, "budget_adjusted": 1, "spent": 1, "indicators": []},
	 {"id": "B", "name": "b", "year": 2024, "budget_adjusted": 1.234, "spent": 1, "indicators": [{"level1": "x", "name": "y", "direction": "up"}]},
	 {"name": "c", "year": 2024, "budget_adjusted": 1, "spent": 1}
	]}`
	imp := impRead(t, []byte(doc), "projects.json")
	want := []Problem{
		{"", 2, "budget_adjusted", "B", "最多两位小数（精确到分），收到 1.234"},
		{"", 2, "indicators[0].direction", "B", `须为 >=, >, <=, <, =, qualitative (or ≥, ≤, 正向, 大于, 反向, 小于, 等于, 定性) 之一，收到 "up"`},
		{"", 3, "id", "", "必填"},
	}
	if imp.Format != "json" || len(imp.Projects) != 1 || imp.Projects[0].ID != "A" {
		t.Errorf("format %q, projects %+v", imp.Format, imp.Projects)
	}
	if !reflect.DeepEqual(imp.Problems, want) {
		t.Errorf("got %s\nwant %s", impShow(imp.Problems), impShow(want))
	}
	if !reflect.DeepEqual(imp.Invalid, []string{"B", "第3个项目"}) {
		t.Errorf("invalid = %q", imp.Invalid)
	}
	// A name without the extension is sniffed.
	if imp := impRead(t, []byte(doc), "upload"); imp.Format != "json" {
		t.Errorf("sniffed %q", imp.Format)
	}
	if _, err := Read(strings.NewReader(`{"projects": [}`), "p.json", Limits{}); jixiao.ErrorCode(err) != jixiao.EINVALID {
		t.Errorf("broken JSON: %v", err)
	}
}

func TestUnreadableFiles(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		code       string
		msg        string
	}{
		{"empty", "a.csv", nil, jixiao.EINVALID, "文件是空的"},
		{"old xls", "a.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), jixiao.EUNSUPPORTED, "旧版 .xls"},
		{"xls by name", "a.xls", []byte("text"), jixiao.EUNSUPPORTED, "不支持 .xls 格式"},
		{"xlsx that is not", "a.xlsx", []byte("hello"), jixiao.EMALFORMED, "内容不是 Excel 工作簿"},
		{"broken zip", "a.xlsx", []byte("PK\x03\x04broken"), jixiao.EMALFORMED, "不是有效的 .xlsx 文件"},
		{"binary", "a.bin", []byte("\x00\x01\x02"), jixiao.EUNSUPPORTED, "无法识别的文件格式"},
		{"no project sheet", "a.xlsx", impBook(t, impSheet{"绩效指标", impBaseIndicators()}), jixiao.EINVALID, "找不到项目表"},
		{"csv without header", "a.csv", []byte("a,b\n1,2\n"), jixiao.EINVALID, "找不到列标题行"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data), tc.file, Limits{})
			if jixiao.ErrorCode(err) != tc.code || !strings.Contains(jixiao.ErrorMessage(err), tc.msg) {
				t.Errorf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
		})
	}
}

// TestDepartmentFixture reads testdata/import/department.xlsx, two
// Huaihua projects as a department laid them out: a title and a note
// above the header, its own column names with 万元 in the headers, 执行率
// as a formula shown as a percentage (its stored value carries many
// digits), a 合计 row of SUM formulas, indicators under merged-style
// blank 项目编号, signs and percentages in the values.
func TestDepartmentFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "import", "department.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	imp := impRead(t, data, "department.xlsx")
	if len(imp.Problems) > 0 {
		t.Fatalf("problems: %s", impShow(imp.Problems))
	}
	impSame(t, imp.Projects, impDemo("HH2024-01", "HH2024-02"))
}
