package spreadsheet

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
	"jixiao/demo"
	"jixiao/engine"
	"jixiao/rules"
)

// The golden files under testdata/export are rewritten by "go test
// -update". The flag is registered only if no other test file of the
// package has registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata")
	}
}

func exUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// scored scores every demo project under a built-in rule set.
func exScored(t testing.TB, ruleSet string) ([]jixiao.Project, []jixiao.Result) {
	t.Helper()
	src, ok := rules.BuiltinByID(ruleSet)
	if !ok {
		t.Fatalf("no built-in rule set %s", ruleSet)
	}
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	projects := demo.Huaihua()
	results := make([]jixiao.Result, len(projects))
	for i := range projects {
		res, rej := rs.NewScorer().Score(&projects[i])
		if rej != nil {
			t.Fatalf("%s rejected: %v", projects[i].ID, rej.Errors)
		}
		results[i] = res
	}
	return projects, results
}

// scoredProject scores one demo project.
func exScoredProject(t testing.TB, ruleSet, id string) (*jixiao.Project, *jixiao.Result) {
	t.Helper()
	projects, results := exScored(t, ruleSet)
	for i := range projects {
		if projects[i].ID == id {
			return &projects[i], &results[i]
		}
	}
	t.Fatalf("no demo project %s", id)
	return nil, nil
}

// writeForm writes a form and opens it again.
func exWriteForm(t testing.TB, p *jixiao.Project, r *jixiao.Result) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteForm(&buf, p, r, 2024); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// findCell returns the first cell of the sheet whose displayed value is v.
func exFindCell(t testing.TB, f *excelize.File, sheet, v string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		for c, got := range row {
			if got == v {
				return exportCell(c+1, r+1)
			}
		}
	}
	t.Fatalf("sheet %s has no cell %q", sheet, v)
	return ""
}

func exShift(t testing.TB, cell string, dc, dr int) string {
	t.Helper()
	c, r, err := excelize.CellNameToCoordinates(cell)
	if err != nil {
		t.Fatal(err)
	}
	return exportCell(c+dc, r+dr)
}

func exValue(t testing.TB, f *excelize.File, cell string, opts ...excelize.Options) string {
	t.Helper()
	v, err := f.GetCellValue(FormSheet, cell, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func exRaw(t testing.TB, f *excelize.File, sheet, cell string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func exCellType(t testing.TB, f *excelize.File, sheet, cell string) excelize.CellType {
	t.Helper()
	ct, err := f.GetCellType(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// numFmt returns the number format of a cell: the built-in id and the
// custom code, if any.
func exNumFmt(t testing.TB, f *excelize.File, sheet, cell string) (int, string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	if st.CustomNumFmt != nil {
		code = *st.CustomNumFmt
	}
	return st.NumFmt, code
}

func exMerges(t testing.TB, f *excelize.File, sheet string) []string {
	t.Helper()
	mc, err := f.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range mc {
		out = append(out, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	sort.Slice(out, func(i, j int) bool { return exCellLess(out[i], out[j]) })
	return out
}

// cellLess orders ranges by their first cell, row first.
func exCellLess(a, b string) bool {
	ac, ar, _ := excelize.CellNameToCoordinates(strings.Split(a, ":")[0])
	bc, br, _ := excelize.CellNameToCoordinates(strings.Split(b, ":")[0])
	if ar != br {
		return ar < br
	}
	return ac < bc
}

func exHasMerge(t testing.TB, f *excelize.File, sheet, ref string) bool {
	t.Helper()
	for _, m := range exMerges(t, f, sheet) {
		if m == ref {
			return true
		}
	}
	return false
}

func TestFormHH202401(t *testing.T) {
	p, r := exScoredProject(t, "cn-mof-2020-self", "HH2024-01")
	f := exWriteForm(t, p, r)

	if got := f.GetSheetList(); len(got) != 1 || got[0] != FormSheet {
		t.Fatalf("sheets = %v, want [%s]", got, FormSheet)
	}
	if got := exValue(t, f, "A1"); got != "项目支出绩效自评表" {
		t.Errorf("A1 = %q", got)
	}
	if got := exValue(t, f, "A2"); got != "（2024年度）" {
		t.Errorf("A2 = %q", got)
	}
	for label, want := range map[string]string{
		"项目名称": "短信费用项目",
		"主管部门": "怀化市住房公积金管理中心",
		"实施单位": "怀化市住房公积金管理中心",
		"项目编号": "HH2024-01",
	} {
		if got := exValue(t, f, exShift(t, exFindCell(t, f, FormSheet, label), 1, 0)); got != want {
			t.Errorf("%s = %q, want %q", label, got, want)
		}
	}

	// The funds block: headers in one row, 年度资金总额 below them.
	head := exFindCell(t, f, FormSheet, "年初预算数")
	total := exFindCell(t, f, FormSheet, "年度资金总额")
	_, headRow, _ := excelize.CellNameToCoordinates(head)
	_, totalRow, _ := excelize.CellNameToCoordinates(total)
	if totalRow != headRow+1 {
		t.Fatalf("年度资金总额 in row %d, headers in row %d", totalRow, headRow)
	}
	col := func(header string) string {
		c, _, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, header))
		return exportCell(c, totalRow)
	}
	for _, tc := range []struct {
		header, shown, raw string
	}{
		{"年初预算数", "800,000.00", "800000"},
		{"全年预算数", "490,000.00", "490000"},
		{"全年执行数", "447,438.63", "447438.63"},
		{"分值", "10.00", "10"},
		{"计算执行率", "91.31%", "0.9131"},
		{"得分", "9.13", "9.13"},
	} {
		cell := col(tc.header)
		if got := exValue(t, f, cell); got != tc.shown {
			t.Errorf("%s %s shows %q, want %q", tc.header, cell, got, tc.shown)
		}
		if got := exRaw(t, f, FormSheet, cell); got != tc.raw {
			t.Errorf("%s %s holds %q, want %q", tc.header, cell, got, tc.raw)
		}
		if ct := exCellType(t, f, FormSheet, cell); ct != excelize.CellTypeNumber && ct != excelize.CellTypeUnset {
			t.Errorf("%s %s has type %v, want a number", tc.header, cell, ct)
		}
	}
	for _, h := range []string{"年初预算数", "全年预算数", "全年执行数"} {
		if id, code := exNumFmt(t, f, FormSheet, col(h)); id != 4 && code != "#,##0.00" {
			t.Errorf("%s format = %d %q, want #,##0.00", h, id, code)
		}
	}
	if id, _ := exNumFmt(t, f, FormSheet, col("计算执行率")); id != 10 {
		t.Errorf("计算执行率 format = %d, want 10 (0.00%%)", id)
	}
	if id, _ := exNumFmt(t, f, FormSheet, col("得分")); id != 2 {
		t.Errorf("得分 format = %d, want 2 (0.00)", id)
	}

	// The indicator block: one row per leaf.
	hdr := exFindCell(t, f, FormSheet, "一级指标")
	for i, want := range []string{"一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"} {
		if got := exValue(t, f, exShift(t, hdr, i, 0)); got != want {
			t.Errorf("indicator header %d = %q, want %q", i, got, want)
		}
	}
	wantRows := [][]string{
		{"产出指标", "数量指标", "全年发送动账提醒短信条数", "≥2664531条", "2664531条", "50.00", "50.00", "实际完成值 2664531 达到年度指标值 2664531，得满分 50"},
		{"效益指标", "社会效益指标", "缴存人随时知悉账户资金动态", "定性", "达成", "30.00", "30.00", "定性指标评价为“达成”，得满分 30"},
		{"满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "90%", "10.00", "10.00", "实际完成值 90 达到年度指标值 90，得满分 10"},
	}
	for i, want := range wantRows {
		for j, w := range want {
			if got := exValue(t, f, exShift(t, hdr, j, i+1)); got != w {
				t.Errorf("indicator row %d col %d = %q, want %q", i+1, j, got, w)
			}
		}
	}
	if got := exValue(t, f, exShift(t, hdr, 0, len(wantRows)+1)); got != "总分" {
		t.Errorf("row after the indicators = %q, want 总分", got)
	}

	totalCell := exShift(t, exFindCell(t, f, FormSheet, "总分"), 7, 0)
	if got := exValue(t, f, totalCell); got != "99.13" {
		t.Errorf("总分 = %q, want 99.13", got)
	}
	if got := exRaw(t, f, FormSheet, totalCell); got != "99.13" {
		t.Errorf("总分 holds %q, want 99.13", got)
	}
	if got := exValue(t, f, exShift(t, exFindCell(t, f, FormSheet, "自评等级"), 6, 0)); got != "优" {
		t.Errorf("自评等级 = %q, want 优", got)
	}
	// The one finding: the qualitative benefit indicator has no description.
	level := exFindCell(t, f, FormSheet, "级别")
	if got := exValue(t, f, exShift(t, level, 0, 1)); got != "警告" {
		t.Errorf("finding level = %q, want 警告", got)
	}
	if got := exValue(t, f, exShift(t, level, 1, 1)); got != "description_missing" {
		t.Errorf("finding = %q, want description_missing", got)
	}

	// Merges: title, the labels spanning their blocks, 一级指标 per row.
	for _, m := range []string{"A1:I1", "A2:I2", "B3:I3", "A6:A10", "A11:A12", "A13:A16", "A17:F17", "A18:F18", "G18:I18"} {
		if !exHasMerge(t, f, FormSheet, m) {
			t.Errorf("no merged range %s; have %v", m, exMerges(t, f, FormSheet))
		}
	}
	// Each 一级指标 has one row here, so nothing is merged in column B or
	// C of the indicator block.
	for _, m := range exMerges(t, f, FormSheet) {
		ends := strings.Split(m, ":")
		c1, r1, _ := excelize.CellNameToCoordinates(ends[0])
		c2, _, _ := excelize.CellNameToCoordinates(ends[1])
		if (c1 == 2 || c1 == 3) && c2 == c1 && r1 >= 14 && r1 <= 16 {
			t.Errorf("unexpected merge %s", m)
		}
	}

	exCheckPageSetup(t, f)
}

func exCheckPageSetup(t *testing.T, f *excelize.File) {
	t.Helper()
	pl, err := f.GetPageLayout(FormSheet)
	if err != nil {
		t.Fatal(err)
	}
	if *pl.Size != 9 {
		t.Errorf("paper size = %d, want 9 (A4)", *pl.Size)
	}
	if *pl.Orientation != "landscape" {
		t.Errorf("orientation = %s, want landscape", *pl.Orientation)
	}
	if *pl.FitToWidth != 1 || *pl.FitToHeight != 0 {
		t.Errorf("fit to %d wide × %d tall, want 1 × 0", *pl.FitToWidth, *pl.FitToHeight)
	}
	props, err := f.GetSheetProps(FormSheet)
	if err != nil {
		t.Fatal(err)
	}
	if props.FitToPage == nil || !*props.FitToPage {
		t.Error("fit to page is off")
	}
	found := false
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			found = true
			if dn.RefersTo != "'自评表'!$1:$2" || dn.Scope != FormSheet {
				t.Errorf("print titles = %q scope %q", dn.RefersTo, dn.Scope)
			}
		}
	}
	if !found {
		t.Error("no print titles")
	}
	for _, c := range []string{"D", "I"} {
		w, err := f.GetColWidth(FormSheet, c)
		if err != nil {
			t.Fatal(err)
		}
		if w < 20 {
			t.Errorf("column %s width %v, want a wide column", c, w)
		}
	}
}

// HH2024-13 has three 数量指标 and two more 产出指标: 一级 merges over the
// five rows, 二级 over the three.
func TestFormMergesGroups(t *testing.T) {
	p, r := exScoredProject(t, "cn-mof-2020-self", "HH2024-13")
	f := exWriteForm(t, p, r)
	hdr := exFindCell(t, f, FormSheet, "一级指标")
	_, top, _ := excelize.CellNameToCoordinates(hdr)
	first := top + 1
	want := []string{
		fmt.Sprintf("B%d:B%d", first, first+4), // 产出指标 × 5
		fmt.Sprintf("C%d:C%d", first, first+2), // 数量指标 × 3
	}
	for _, m := range want {
		if !exHasMerge(t, f, FormSheet, m) {
			t.Errorf("no merged range %s; have %v", m, exMerges(t, f, FormSheet))
		}
	}
	for _, m := range exMerges(t, f, FormSheet) {
		ends := strings.Split(m, ":")
		c, r, _ := excelize.CellNameToCoordinates(ends[0])
		c2, _, _ := excelize.CellNameToCoordinates(ends[1])
		if (c == 2 || c == 3) && c2 == c && r >= first && !exHasString(want, m) {
			t.Errorf("unexpected merge %s", m)
		}
	}
	for i, name := range []string{"2023年升级修复系统数", "2024年采购U盾数", "2024年升级修复安全运维系统数", "漏洞修复率", "漏洞修复及时率", "未出现重大网络安全隐患", "服务对象满意度"} {
		if got := exValue(t, f, fmt.Sprintf("D%d", first+i)); got != name {
			t.Errorf("D%d = %q, want %q", first+i, got, name)
		}
	}
	if got := exValue(t, f, fmt.Sprintf("C%d", first+3)); got != "质量指标" {
		t.Errorf("C%d = %q, want 质量指标", first+3, got)
	}
	if got := exValue(t, f, fmt.Sprintf("G%d", first+1)); got != "10.00" {
		t.Errorf("分值 of the second leaf = %q, want 10.00", got)
	}
	if got := exValue(t, f, fmt.Sprintf("A%d", top)); got != "绩效指标" || !exHasMerge(t, f, FormSheet, fmt.Sprintf("A%d:A%d", top, first+6)) {
		t.Errorf("绩效指标 label not merged over the block: %v", exMerges(t, f, FormSheet))
	}
}

func exHasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestFormFindings(t *testing.T) {
	p, r := exScoredProject(t, "cn-mof-2020-self", "HH2024-23")
	f := exWriteForm(t, p, r)
	lvl := exFindCell(t, f, FormSheet, "级别")
	row := exShift(t, lvl, 0, 1)
	if got := exValue(t, f, row); got != "警告" {
		t.Errorf("severity = %q, want 警告", got)
	}
	if got := exValue(t, f, exShift(t, row, 1, 0)); got != "balance_mismatch" {
		t.Errorf("check = %q, want balance_mismatch", got)
	}
	msg := exValue(t, f, exShift(t, row, 2, 0))
	if !strings.Contains(msg, "填报的结余 1400.00 元与计算值 14000.00 元") {
		t.Errorf("message = %q", msg)
	}
	_, r1, _ := excelize.CellNameToCoordinates(row)
	if !exHasMerge(t, f, FormSheet, fmt.Sprintf("D%d:I%d", r1, r1)) {
		t.Errorf("message not merged over D:I: %v", exMerges(t, f, FormSheet))
	}
	// The budget at the start of the year was 0: shown, not left blank.
	c, _, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "年初预算数"))
	_, tr, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "年度资金总额"))
	if got := exValue(t, f, exportCell(c, tr)); got != "0.00" {
		t.Errorf("年初预算数 = %q, want 0.00", got)
	}
}

// Under huaihua-2024 the execution rate sits under 成本指标 beside two
// other fixed indicators, and empty groups hand their points on.
func TestFormDeeperTree(t *testing.T) {
	p, r := exScoredProject(t, "huaihua-2024", "HH2024-01")
	f := exWriteForm(t, p, r)
	_, tr, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "年度资金总额"))
	for header, want := range map[string]string{"分值": "10.00", "计算执行率": "91.31%", "得分": "9.13"} {
		c, _, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, header))
		if got := exValue(t, f, exportCell(c, tr)); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	hdr := exFindCell(t, f, FormSheet, "一级指标")
	_, top, _ := excelize.CellNameToCoordinates(hdr)
	want := [][]string{
		{"成本指标", "资金到位率", "", "", "", "5.00", "5.00"},
		{"成本指标", "资金使用合规性", "", "", "", "5.00", "5.00"},
		{"产出指标", "数量指标", "全年发送动账提醒短信条数", "≥2664531条", "2664531条", "40.00", "40.00"},
		{"产出指标", "质量指标", "", "", "", "0.00", "0.00"},
		{"产出指标", "时效指标", "", "", "", "0.00", "0.00"},
		{"效益指标", "社会效益指标", "缴存人随时知悉账户资金动态", "定性", "达成", "26.67", "26.67"},
		{"效益指标", "可持续影响", "", "", "", "0.00", "0.00"},
		{"满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "90%", "13.33", "13.33"},
	}
	for i, row := range want {
		for j, w := range row {
			cell := exportCell(2+j, top+1+i)
			if got := exValue(t, f, cell); got != w {
				t.Errorf("%s = %q, want %q", cell, got, w)
			}
		}
	}
	if got := exValue(t, f, exportCell(1, top+len(want)+1)); got != "总分" {
		t.Errorf("row after the indicators = %q, want 总分", got)
	}
	for _, m := range []string{
		fmt.Sprintf("B%d:B%d", top+1, top+2), // 成本指标
		fmt.Sprintf("B%d:B%d", top+3, top+5), // 产出指标
		fmt.Sprintf("B%d:B%d", top+6, top+7), // 效益指标
	} {
		if !exHasMerge(t, f, FormSheet, m) {
			t.Errorf("no merged range %s; have %v", m, exMerges(t, f, FormSheet))
		}
	}
	if got := exValue(t, f, exportCell(9, top+4)); got != "项目无质量指标，15分按比例转入同级指标" {
		t.Errorf("reason of the empty group = %q", got)
	}
	exCheckPageSetup(t, f)
}

// The unit's own deviation reason is shown in place of the engine's.
func TestFormDeviationReason(t *testing.T) {
	p, r := exScoredProject(t, "cn-mof-2020-self", "HH2024-13")
	p.Indicators[1].DeviationReason = "年底集中采购，已于次年 1 月到货"
	f := exWriteForm(t, p, r)
	_, top, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "一级指标"))
	if got := exValue(t, f, exportCell(9, top+2)); got != "年底集中采购，已于次年 1 月到货" {
		t.Errorf("偏差原因 = %q", got)
	}
	if got := exValue(t, f, exportCell(9, top+1)); !strings.HasPrefix(got, "实际完成值 3 达到") {
		t.Errorf("偏差原因 of the first leaf = %q, want the engine's reason", got)
	}
}

// A project whose indicators share a name across groups keeps each on
// its own row.
func TestFormSameNameInTwoGroups(t *testing.T) {
	src, _ := rules.BuiltinByID("cn-mof-2020-self")
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(f float64) *float64 { return &f }
	p := jixiao.Project{
		ID: "T-01", Name: "测试项目", Year: 2024,
		BudgetAdjusted: jixiao.Points(100), Spent: jixiao.Points(100),
		Indicators: []jixiao.Indicator{
			{Level1: "满意度指标", Level2: "服务对象满意度指标", Name: "满意度", Direction: jixiao.AtLeast, Target: ptr(90), Actual: ptr(80), Unit: "%"},
			{Level1: "产出指标", Level2: "质量指标", Name: "满意度", Direction: jixiao.AtLeast, Target: ptr(95), Actual: ptr(95), Unit: "%"},
		},
	}
	res, rej := rs.NewScorer().Score(&p)
	if rej != nil {
		t.Fatal(rej.Errors)
	}
	f := exWriteForm(t, &p, &res)
	_, top, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "一级指标"))
	want := [][]string{
		{"产出指标", "质量指标", "满意度", "≥95%", "95%"},
		{"效益指标", "", "", "", ""},
		{"满意度指标", "服务对象满意度指标", "满意度", "≥90%", "80%"},
	}
	for i, row := range want {
		for j, w := range row {
			cell := exportCell(2+j, top+1+i)
			if got := exValue(t, f, cell); got != w {
				t.Errorf("%s = %q, want %q", cell, got, w)
			}
		}
	}
	// benefit is rescaled away: the total row explains the rescaling.
	note := exValue(t, f, exShift(t, exFindCell(t, f, FormSheet, "总分"), 8, 0))
	if !strings.Contains(note, "折算为百分制") {
		t.Errorf("total note = %q", note)
	}
}

// The funds block shows the execution rate of the result, as the engine
// computed it, never one worked out again from the amounts: 57,000.00 of
// 800,000.00 is 7.125%, which the rule set rounds half-up to 7.13%.
func TestFormExecutionRateFromResult(t *testing.T) {
	src, _ := rules.BuiltinByID("cn-mof-2020-self")
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(f float64) *float64 { return &f }
	stated := jixiao.Decimal(712)
	p := jixiao.Project{
		ID: "RATE-01", Name: "执行率测试项目", Year: 2024,
		BudgetAdjusted: jixiao.Points(800000), Spent: jixiao.Points(57000), ExecutionRate: &stated,
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.AtLeast, Target: ptr(10), Actual: ptr(10)},
		},
	}
	res, rej := rs.NewScorer().Score(&p)
	if rej != nil {
		t.Fatal(rej.Errors)
	}
	if res.ExecutionRate == nil || res.ExecutionRate.String() != "7.13" {
		t.Fatalf("the engine's rate is %v, want 7.13", res.ExecutionRate)
	}

	rateCell := func(f *excelize.File) string {
		t.Helper()
		c, _, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "计算执行率"))
		_, r, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "年度资金总额"))
		return exportCell(c, r)
	}
	f := exWriteForm(t, &p, &res)
	cell := rateCell(f)
	if got := exValue(t, f, cell); got != "7.13%" {
		t.Errorf("计算执行率 %s shows %q, want 7.13%%", cell, got)
	}
	if got := exRaw(t, f, FormSheet, cell); got != "0.0713" {
		t.Errorf("计算执行率 %s holds %q, want 0.0713", cell, got)
	}
	// The header's note tells the computed rate from the stated one.
	comments, err := f.GetComments(FormSheet)
	if err != nil {
		t.Fatal(err)
	}
	head := exFindCell(t, f, FormSheet, "计算执行率")
	var note string
	for _, c := range comments {
		if c.Cell == head {
			note = c.Text
			for _, r := range c.Paragraph {
				note += r.Text
			}
		}
	}
	for _, want := range []string{"评分引擎", "cn-mof-2020-self", "7.13%", "填报执行率：7.12%"} {
		if !strings.Contains(note, want) {
			t.Errorf("note on %s = %q, lacks %q", head, note, want)
		}
	}

	// The cell follows the result, whatever the amounts say: a result
	// that records another rate shows that one, and one without a rate
	// shows —.
	other := res
	r := jixiao.Decimal(4200)
	other.ExecutionRate = &r
	f = exWriteForm(t, &p, &other)
	if got := exRaw(t, f, FormSheet, rateCell(f)); got != "0.42" {
		t.Errorf("with the result's rate 42.00: cell holds %q, want 0.42", got)
	}
	other.ExecutionRate = nil
	f = exWriteForm(t, &p, &other)
	if got := exValue(t, f, rateCell(f)); got != "—" {
		t.Errorf("without a rate in the result: cell shows %q, want —", got)
	}
}

func TestFormNeedsResult(t *testing.T) {
	if err := WriteForm(&bytes.Buffer{}, &jixiao.Project{}, nil, 2024); err == nil {
		t.Error("WriteForm without a result succeeded")
	}
}

// dump renders a sheet as text: each non-empty cell with its displayed
// value, then the merged ranges.
func exDump(t testing.TB, f *excelize.File, sheet string, hide ...string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for r, row := range rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			for _, h := range hide {
				if h != "" {
					v = strings.ReplaceAll(v, h, "<hash>")
				}
			}
			fmt.Fprintf(&b, "%s\t%s\n", exportCell(c+1, r+1), strings.ReplaceAll(v, "\n", `\n`))
		}
	}
	b.WriteString("\nmerged:\n")
	for _, m := range exMerges(t, f, sheet) {
		b.WriteString(m + "\n")
	}
	return b.String()
}

func TestFormGolden(t *testing.T) {
	for _, tc := range []struct{ ruleSet, project string }{
		{"cn-mof-2020-self", "HH2024-01"},
		{"cn-mof-2020-self", "HH2024-13"},
		{"cn-mof-2020-self", "HH2024-23"},
		{"huaihua-2024", "HH2024-01"},
		{"huaihua-2024", "HH2024-13"},
	} {
		name := "form-" + tc.ruleSet + "-" + tc.project
		t.Run(name, func(t *testing.T) {
			p, r := exScoredProject(t, tc.ruleSet, tc.project)
			f := exWriteForm(t, p, r)
			// The rule file's hash changes with every edit of its comments;
			// the golden file does not need to.
			got := exDump(t, f, FormSheet, r.RuleSet.Hash)
			path := filepath.Join("testdata", "export", name+".txt")
			if exUpdating() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the form written; run go test -update and review the diff\ngot:\n%s", path, got)
			}
		})
	}
}
