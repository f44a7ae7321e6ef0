package spreadsheet

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
	"jixiao/demo"
)

func impTemplate(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteTemplate(t *testing.T) {
	data := impTemplate(t)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"项目", "绩效指标", "填写说明"}) {
		t.Fatalf("sheets = %q", got)
	}
	sheets := []struct {
		name     string
		headers  []string
		dropdown map[string]string // header → list formula
	}{
		{"项目", []string{"项目编号", "项目名称", "主管部门", "实施单位", "年度", "金额单位", "年初预算数", "全年预算数", "实际到位资金", "全年执行数", "结余",
			"当年财政拨款预算数", "当年财政拨款执行数", "上年结转资金预算数", "上年结转资金执行数", "其他资金预算数", "其他资金执行数",
			"执行率", "资金使用合规性", "年度总体目标", "总体目标完成情况", "预算执行偏差原因"},
			map[string]string{"金额单位": `"元,万元"`, "资金使用合规性": `"达成,部分达成,未达成"`}},
		{"绩效指标", []string{"项目编号", "一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "实际完成值", "计量单位", "评价", "分值", "偏差原因",
			"自评得分", "完成情况说明", "复核扣减分", "扣减原因"},
			map[string]string{"指标性质": `"正向,大于,反向,小于,等于,定性"`, "评价": `"达成,部分达成,未达成"`}},
	}
	for _, sh := range sheets {
		rows, err := f.GetRows(sh.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || !reflect.DeepEqual(rows[0], sh.headers) {
			t.Errorf("%s: rows = %q", sh.name, rows)
		}
		panes, err := f.GetPanes(sh.name)
		if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
			t.Errorf("%s: header not frozen: %+v %v", sh.name, panes, err)
		}
		dvs, err := f.GetDataValidations(sh.name)
		if err != nil {
			t.Fatal(err)
		}
		lists := make(map[string]string)
		for _, dv := range dvs {
			col := strings.TrimRight(strings.SplitN(dv.Sqref, ":", 2)[0], "0123456789")
			n, _ := excelize.ColumnNameToNumber(col)
			if dv.Type == "list" {
				lists[sh.headers[n-1]] = dv.Formula1
			}
		}
		if !reflect.DeepEqual(lists, sh.dropdown) {
			t.Errorf("%s: dropdowns = %q, want %q", sh.name, lists, sh.dropdown)
		}
		for i, h := range sh.headers {
			col := colLetter(i)
			w, _ := f.GetColWidth(sh.name, col)
			if w < 8 {
				t.Errorf("%s: column %s (%s) width %v", sh.name, col, h, w)
			}
			id, _ := f.GetCellStyle(sh.name, col+"1")
			st, _ := f.GetStyle(id)
			if st == nil || st.Font == nil || !st.Font.Bold || len(st.Fill.Color) == 0 {
				t.Errorf("%s: header %s is not styled: %+v", sh.name, h, st)
			}
		}
	}
	// The 填写说明 sheet explains every column and names its synonyms.
	rows, _ := f.GetRows("填写说明")
	var all strings.Builder
	for _, r := range rows {
		all.WriteString(strings.Join(r, "|"))
		all.WriteByte('\n')
	}
	help := all.String()
	for fl := fSeq; fl < numFields; fl++ {
		for _, name := range append([]string{specs[fl].header}, specs[fl].synonyms...) {
			if !strings.Contains(help, name) {
				t.Errorf("填写说明 does not mention %q", name)
			}
		}
	}
	for _, phrase := range []string{"CSV", "万元", "GBK", "合计", "#DIV/0!", "20 MiB", "20000 行"} {
		if !strings.Contains(help, phrase) {
			t.Errorf("填写说明 does not explain %q", phrase)
		}
	}
	// An empty template reads as no projects, without problems.
	imp := impRead(t, data, "模板.xlsx")
	if len(imp.Projects)+len(imp.Problems)+len(imp.Invalid) != 0 {
		t.Errorf("empty template: %+v", imp)
	}
}

// impWan writes an amount of yuan in 万元, exactly: 447438.63 → "44.743863".
func impWan(d jixiao.Decimal) string {
	s := strconv.FormatInt(d.Hundredths(), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) < 7 {
		s = "0" + s
	}
	s = strings.TrimRight(s[:len(s)-6]+"."+s[len(s)-6:], "0")
	s = strings.TrimSuffix(s, ".")
	if neg {
		s = "-" + s
	}
	return s
}

// impFill fills the template with projects the way a person would, by
// finding each column by its header. unit is 元 or 万元; with
// headerUnit the unit goes into the amount headers instead of the
// 金额单位 column.
func impFill(t testing.TB, template []byte, projects []jixiao.Project, unit string, headerUnit bool) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(template))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols := func(sheet string) map[string]string {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		m := make(map[string]string)
		for i, h := range rows[0] {
			m[h] = colLetter(i)
		}
		return m
	}
	pc, ic := cols("项目"), cols("绩效指标")
	if headerUnit {
		for _, h := range []string{"年初预算数", "全年预算数", "实际到位资金", "全年执行数", "结余"} {
			if err := f.SetCellStr("项目", pc[h]+"1", h+"（"+unit+"）"); err != nil {
				t.Fatal(err)
			}
		}
	}
	amount := func(d jixiao.Decimal) any {
		if unit == "万元" {
			v, _ := strconv.ParseFloat(impWan(d), 64)
			return v
		}
		return d.Float64()
	}
	set := func(sheet string, cols map[string]string, header string, row int, v any) {
		if v == nil {
			return
		}
		impSetCell(t, f, sheet, fmt.Sprintf("%s%d", cols[header], row), v)
	}
	opt := func(d *jixiao.Decimal) any {
		if d == nil {
			return nil
		}
		return amount(*d)
	}
	ir := 2
	for i, p := range projects {
		r := i + 2
		set("项目", pc, "项目编号", r, p.ID)
		set("项目", pc, "项目名称", r, p.Name)
		set("项目", pc, "主管部门", r, p.Department)
		set("项目", pc, "年度", r, p.Year)
		if !headerUnit {
			set("项目", pc, "金额单位", r, unit)
		}
		set("项目", pc, "年初预算数", r, opt(p.BudgetInitial))
		set("项目", pc, "全年预算数", r, amount(p.BudgetAdjusted))
		set("项目", pc, "实际到位资金", r, opt(p.FundsArrived))
		set("项目", pc, "全年执行数", r, amount(p.Spent))
		set("项目", pc, "结余", r, opt(p.Balance))
		if p.ExecutionRate != nil {
			set("项目", pc, "执行率", r, p.ExecutionRate.Float64())
		}
		set("项目", pc, "资金使用合规性", r, string(p.Compliance))
		for _, ind := range p.Indicators {
			set("绩效指标", ic, "项目编号", ir, p.ID)
			set("绩效指标", ic, "一级指标", ir, ind.Level1)
			set("绩效指标", ic, "二级指标", ir, ind.Level2)
			set("绩效指标", ic, "三级指标", ir, ind.Name)
			set("绩效指标", ic, "指标性质", ir, map[jixiao.Direction]string{jixiao.AtLeast: "≥", jixiao.AtMost: "反向", jixiao.Exactly: "=", jixiao.Qualitative: "定性"}[ind.Direction])
			if ind.Target != nil {
				set("绩效指标", ic, "年度指标值", ir, *ind.Target)
			}
			if ind.Actual != nil {
				set("绩效指标", ic, "实际完成值", ir, *ind.Actual)
			}
			set("绩效指标", ic, "计量单位", ir, ind.Unit)
			set("绩效指标", ic, "评价", ir, string(ind.Rating))
			if ind.Weight != nil {
				set("绩效指标", ic, "分值", ir, ind.Weight.Float64())
			}
			set("绩效指标", ic, "偏差原因", ir, ind.DeviationReason)
			ir++
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// impSame reports the first project that differs.
func impSame(t *testing.T, got, want []jixiao.Project) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d projects, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("project %d differs:\n got  %s want %s", i+1, impJSON(got[i:i+1]), impJSON(want[i:i+1]))
		}
	}
}

// TestTemplateRoundTripHuaihua fills the template with the 26 Huaihua
// projects, in yuan, in 万元 by the 金额单位 column and in 万元 by the
// headers: each reads back as the demo's projects, so 万元 and 元 give
// the same amounts.
func TestTemplateRoundTripHuaihua(t *testing.T) {
	want := demo.Huaihua()
	template := impTemplate(t)
	for _, tc := range []struct {
		unit       string
		headerUnit bool
	}{{"元", false}, {"万元", false}, {"万元", true}, {"元", true}} {
		t.Run(fmt.Sprintf("%s header=%v", tc.unit, tc.headerUnit), func(t *testing.T) {
			data := impFill(t, template, want, tc.unit, tc.headerUnit)
			imp := impRead(t, data, "filled.xlsx")
			if len(imp.Problems) > 0 {
				t.Fatalf("problems: %s", impShow(imp.Problems))
			}
			impSame(t, imp.Projects, want)
		})
	}
}

// TestWriteProjectsRoundTrip writes projects in the template's layout
// and reads them back identical: the 26 Huaihua projects, and projects
// that stretch the layout (one 项目编号 in two years, amounts beyond a
// spreadsheet's 15 digits, no indicators, every optional field).
func TestWriteProjectsRoundTrip(t *testing.T) {
	d := func(c int64) *jixiao.Decimal { v := jixiao.Cents(c); return &v }
	f := func(v float64) *float64 { return &v }
	stretch := []jixiao.Project{
		{ID: "X-1", Name: "二〇二三年的项目", Year: 2023, BudgetAdjusted: jixiao.Cents(12345678901234567), Spent: jixiao.Cents(1),
			Balance: d(-50), ExecutionRate: d(0), Indicators: []jixiao.Indicator{}},
		{ID: "X-1", Name: "同一编号 2024", Department: "部门", Year: 2024, BudgetInitial: d(0), BudgetAdjusted: jixiao.Points(1), FundsArrived: d(99),
			Spent: jixiao.Points(1), Compliance: jixiao.NotAchieved,
			Indicators: []jixiao.Indicator{
				{Level1: "产出指标", Name: "精度", Direction: jixiao.Exactly, Target: f(0.1 + 0.2), Actual: f(1e-7), Unit: "%", Weight: d(1), DeviationReason: "原因，\n两行"},
				{Level1: "效益指标", Name: "定性", Direction: jixiao.Qualitative, Rating: jixiao.PartiallyAchieved},
				{Level1: "成本指标", Name: "成本", Direction: jixiao.AtMost, Target: f(-3), Actual: f(123456789.125)},
			}},
		{ID: "007", Name: "编号以零开头", Year: 2024, BudgetAdjusted: jixiao.Points(5), Spent: jixiao.Points(5), Indicators: []jixiao.Indicator{}},
	}
	for _, tc := range []struct {
		name     string
		projects []jixiao.Project
	}{{"huaihua", demo.Huaihua()}, {"stretch", stretch}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteProjects(&buf, tc.projects); err != nil {
				t.Fatal(err)
			}
			imp := impRead(t, buf.Bytes(), "projects.xlsx")
			if len(imp.Problems) > 0 {
				t.Fatalf("problems: %s", impShow(imp.Problems))
			}
			impSame(t, imp.Projects, tc.projects)
		})
	}
}

func TestImpWan(t *testing.T) {
	for cents, want := range map[int64]string{44743863: "44.743863", 100: "0.0001", 1: "0.000001", 0: "0", -5000000: "-5", -50: "-0.00005", 490000000: "490"} {
		if got := impWan(jixiao.Cents(cents)); got != want {
			t.Errorf("impWan(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestGroupThousands(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "123": "123", "1234": "1,234", "-1234567.5": "-1,234,567.5", "123456789012345.67": "123,456,789,012,345.67"} {
		if got := groupThousands(in); got != want {
			t.Errorf("groupThousands(%q) = %q, want %q", in, got, want)
		}
	}
}
