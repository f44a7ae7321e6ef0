package spreadsheet

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
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
		"实施单位": "", // the demo project names none
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
		{"年初预算数", "80.00", "80"},
		{"全年预算数", "49.00", "49"},
		{"全年执行数", "44.743863", "44.743863"},
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
		if _, code := exNumFmt(t, f, FormSheet, col(h)); code != "#,##0.00####" {
			t.Errorf("%s format = %q, want #,##0.00####", h, code)
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
	// The last column is the unit's own reason, blank here; the
	// engine's reason is a note on the score.
	wantRows := [][]string{
		{"产出指标", "数量指标", "全年发送动账提醒短信条数", "≥2664531条", "2664531条", "50.00", "50.00", ""},
		{"效益指标", "社会效益指标", "缴存人随时知悉账户资金动态", "定性", "达成", "30.00", "30.00", ""},
		{"满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "90%", "10.00", "10.00", ""},
	}
	wantNotes := []string{
		"评分说明：实际完成值 2664531 达到年度指标值 2664531，得满分 50",
		"评分说明：定性指标评价为“达成”，得满分 30",
		"评分说明：实际完成值 90 达到年度指标值 90，得满分 10",
	}
	for i, want := range wantRows {
		for j, w := range want {
			if got := exValue(t, f, exShift(t, hdr, j, i+1)); got != w {
				t.Errorf("indicator row %d col %d = %q, want %q", i+1, j, got, w)
			}
		}
		if got := exComment(t, f, exShift(t, hdr, 6, i+1)); got != wantNotes[i] {
			t.Errorf("note on the score of row %d = %q, want %q", i+1, got, wantNotes[i])
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
	if got := exValue(t, f, exShift(t, level, 1, 1)); got != "「缴存人随时知悉账户资金动态」为定性指标，未填写完成情况简要描述" {
		t.Errorf("finding = %q, want the message in Chinese", got)
	}

	// Merges: title, the labels spanning their blocks, 一级指标 per row.
	for _, m := range []string{"A1:I1", "A2:I2", "B3:I3", "A6:A11", "D11:I11", "A12:A13", "A14:A17", "A18:F18", "A19:F19", "G19:I19"} {
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
		if (c1 == 2 || c1 == 3) && c2 == c1 && r1 >= 15 && r1 <= 17 {
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

// exComment returns the text of the note on a cell of the form, "" when
// it has none.
func exComment(t testing.TB, f *excelize.File, cell string) string {
	t.Helper()
	comments, err := f.GetComments(FormSheet)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comments {
		if c.Cell == cell {
			text := c.Text
			for _, r := range c.Paragraph {
				text += r.Text
			}
			return text
		}
	}
	return ""
}

// exHasText tells whether some cell of the form shows s.
func exHasText(t testing.TB, f *excelize.File, s string) bool {
	t.Helper()
	rows, err := f.GetRows(FormSheet)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if slices.Contains(row, s) {
			return true
		}
	}
	return false
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
	// The message, in Chinese; the check's id is not shown.
	msg := exValue(t, f, exShift(t, row, 1, 0))
	if !strings.Contains(msg, "填报的结余 1400.00 元与计算值 14000.00 元") {
		t.Errorf("message = %q", msg)
	}
	_, r1, _ := excelize.CellNameToCoordinates(row)
	if !exHasMerge(t, f, FormSheet, fmt.Sprintf("C%d:I%d", r1, r1)) {
		t.Errorf("message not merged over C:I: %v", exMerges(t, f, FormSheet))
	}
	if exHasText(t, f, "balance_mismatch") {
		t.Error("the form shows the check's id")
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
		{"效益指标", "社会效益指标", "缴存人随时知悉账户资金动态", "定性", "达成", "30.00", "30.00"},
		{"满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", "90%", "10.00", "10.00"},
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
	} {
		if !exHasMerge(t, f, FormSheet, m) {
			t.Errorf("no merged range %s; have %v", m, exMerges(t, f, FormSheet))
		}
	}
	if got := exComment(t, f, exportCell(8, top+4)); got != "评分说明：项目无质量指标，15分按比例转入同级指标" {
		t.Errorf("note on the empty group's score = %q", got)
	}
	if got := exValue(t, f, exportCell(9, top+4)); got != "" {
		t.Errorf("偏差原因 of the empty group = %q, want blank", got)
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
	if got := exValue(t, f, exportCell(9, top+1)); got != "" {
		t.Errorf("偏差原因 of the first leaf = %q, want blank: the engine's reason is a note", got)
	}
	if got := exComment(t, f, exportCell(8, top+1)); !strings.HasPrefix(got, "评分说明：实际完成值 3 达到") {
		t.Errorf("note on the first leaf's score = %q, want the engine's reason", got)
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
	// benefit is rescaled away: it shows 不适用, and the total row shows
	// the step from the engine's sum to its total.
	if got := exValue(t, f, exportCell(8, top+2)); got != "不适用" {
		t.Errorf("score of 效益指标 = %q, want 不适用", got)
	}
	step := fmt.Sprintf("折算总分 = %s × 100 ÷ %s = %s 分", res.Rescale.Sum, res.Rescale.Applicable.Trimmed(), res.Total)
	if note := exValue(t, f, exShift(t, exFindCell(t, f, FormSheet, "总分"), 8, 0)); note != step {
		t.Errorf("total note = %q, want %q", note, step)
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
// value, then the merged ranges and the notes on cells.
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
	comments, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) > 0 {
		b.WriteString("\nnotes:\n")
	}
	sort.Slice(comments, func(i, j int) bool { return exCellLess(comments[i].Cell, comments[j].Cell) })
	for _, c := range comments {
		text := c.Text
		for _, r := range c.Paragraph {
			text += r.Text
		}
		fmt.Fprintf(&b, "%s\t%s\n", c.Cell, strings.ReplaceAll(text, "\n", `\n`))
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
		{"", "hand"}, // exHand: every field of the form, a rescaled total
	} {
		name := "form-" + tc.ruleSet + "-" + tc.project
		if tc.ruleSet == "" {
			name = "form-" + tc.project
		}
		t.Run(name, func(t *testing.T) {
			var p *jixiao.Project
			var r *jixiao.Result
			if tc.ruleSet == "" {
				p, r = exHand()
			} else {
				p, r = exScoredProject(t, tc.ruleSet, tc.project)
			}
			f := exWriteForm(t, p, r)
			// The rule file's hash changes with every edit of its comments;
			// the golden file does not need to.
			got := exDump(t, f, FormSheet, r.RuleSet.Hash)
			exGolden(t, filepath.Join("testdata", "export", name+".txt"), got)
		})
	}
}

// exHand is a project and a result made by hand, so that the form is
// tested apart from any rule set. The leaves name the project's
// indicators by position only, in the other order, under names of their
// own; a fixed leaf has the id "execution" and the name 预算执行率 but did
// not read the rate, and another leaf did; 满意度指标 does not apply. The
// numbers are the result's and need not follow from the project.
func exHand() (*jixiao.Project, *jixiao.Result) {
	d := func(cents int64) *jixiao.Decimal { v := jixiao.Cents(cents); return &v }
	f := func(v float64) *float64 { return &v }
	rate := jixiao.Cents(9131)
	p := &jixiao.Project{
		ID: "S-01", Name: "手工结果项目", Department: "某局", ImplementingUnit: "某中心", Year: 2024,
		BudgetInitial: d(80000000), BudgetAdjusted: jixiao.Cents(49000000), Spent: jixiao.Cents(44743863),
		AppropriationBudget: d(45000000), AppropriationSpent: d(40743863),
		CarryOverBudget: d(3000000), CarryOverSpent: d(3000000),
		OtherBudget: d(1000000), OtherSpent: d(1000000),
		GoalExpected: "全年完成十套设备更新", GoalAchieved: "完成八套，两套次年交付",
		ExecutionReason: "尾款次年支付",
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "设备更新数", Direction: jixiao.AtLeast, Target: f(10), Actual: f(8), Unit: "套", DeviationReason: "供货延迟"},
			{Level1: "产出指标", Level2: "质量指标", Name: "验收合格率", Direction: jixiao.AtLeast, Target: f(95), Actual: f(96), Unit: "%"},
		},
	}
	r := &jixiao.Result{
		ProjectID: "S-01", ProjectName: "手工结果项目", Total: jixiao.Cents(8889), Grade: "良",
		ExecutionRate: &rate,
		Rescale:       &jixiao.Rescale{Sum: jixiao.Points(80), Applicable: jixiao.Points(90)},
		RuleSet:       jixiao.RuleSetRef{ID: "hand", Version: "1"},
		Indicators: []jixiao.Node{
			{ID: "budget", Name: "预算执行", Points: jixiao.Points(20), Score: jixiao.Cents(1913), Children: []jixiao.Node{
				{ID: "rate", Name: "资金执行", Points: jixiao.Points(10), Score: jixiao.Cents(913), ExecutionRate: &rate, Reason: "执行率 91.31%，得 9.13 分"},
				{ID: "execution", Name: "预算执行率", Points: jixiao.Points(10), Score: jixiao.Points(10), Reason: "固定指标，得满分"},
			}},
			{ID: "output", Name: "产出", Points: jixiao.Points(70), Score: jixiao.Cents(6087), Children: []jixiao.Node{
				{ID: "output.1", Name: "节点甲", Points: jixiao.Points(35), Score: jixiao.Points(35), Indicator: 2, Reason: "合格率达标"},
				{ID: "output.2", Name: "节点乙", Points: jixiao.Points(35), Score: jixiao.Cents(2587), Indicator: 1, Reason: "完成 8 套"},
			}},
			{ID: "satisfaction", Name: "满意度指标", Reason: "项目无满意度指标，该项不参与评分，总分按适用分值折算为百分制"},
		},
		Findings: []jixiao.Finding{{Check: "balance_missing", Severity: jixiao.SeverityInfo, Message: "未填报结余"}},
	}
	return p, r
}

// exCells checks cells of the form against what they should show.
func exCells(t *testing.T, f *excelize.File, want map[string]string) {
	t.Helper()
	for _, cell := range slices.Sorted(maps.Keys(want)) {
		if got := exValue(t, f, cell); got != want[cell] {
			t.Errorf("%s = %q, want %q", cell, got, want[cell])
		}
	}
}

// The rows of the indicator block come from the result's nodes: each leaf
// that scored a project indicator takes that indicator (Node.Indicator),
// whatever its name; the funds block scores the leaf that read the rate
// (Node.ExecutionRate), whatever its id.
func TestFormFromNodes(t *testing.T) {
	p, r := exHand()
	f := exWriteForm(t, p, r)
	exCells(t, f, map[string]string{
		// 年度资金总额: the points and score of the leaf that read the rate.
		"G7": "10.00", "H7": "91.31%", "I7": "9.13",
		// The leaf with the id execution is an ordinary fixed indicator.
		"B15": "预算执行", "C15": "预算执行率", "D15": "", "G15": "10.00", "H15": "10.00",
		// output.1 scored the second indicator, output.2 the first.
		"B16": "产出指标", "C16": "质量指标", "D16": "验收合格率", "E16": "≥95%", "F16": "96%", "G16": "35.00", "H16": "35.00", "I16": "",
		"B17": "产出指标", "C17": "数量指标", "D17": "设备更新数", "E17": "≥10套", "F17": "8套", "G17": "35.00", "H17": "25.87", "I17": "供货延迟",
		// 满意度指标 does not apply.
		"B18": "满意度指标", "G18": "—", "H18": "不适用",
	})
	for cell, want := range map[string]string{
		"I7":  "评分说明：执行率 91.31%，得 9.13 分",
		"H15": "评分说明：固定指标，得满分",
		"H17": "评分说明：完成 8 套",
		"H18": "评分说明：项目无满意度指标，该项不参与评分，总分按适用分值折算为百分制",
	} {
		if got := exComment(t, f, cell); got != want {
			t.Errorf("note on %s = %q, want %q", cell, got, want)
		}
	}
	if exHasText(t, f, "节点甲") || exHasText(t, f, "资金执行") {
		t.Error("the form shows a node's name where the project's indicator or the funds block belongs")
	}
}

// A result naming an indicator the project does not have was not scored
// from it: the form refuses it rather than guess.
func TestFormIndicatorOutOfRange(t *testing.T) {
	p, r := exHand()
	r.Indicators[1].Children[0].Indicator = 3
	err := WriteForm(&bytes.Buffer{}, p, r, 2024)
	if err == nil || !strings.Contains(err.Error(), "indicator 3") {
		t.Errorf("err = %v, want one naming indicator 3", err)
	}
}

// When no leaf read the rate, or several did, the funds block shows the
// rate alone and every leaf keeps its row.
func TestFormExecutionNode(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *jixiao.Result)
		rows int
	}{
		{"none read the rate", func(r *jixiao.Result) { r.Indicators[0].Children[0].ExecutionRate = nil }, 5},
		{"two read it", func(r *jixiao.Result) { r.Indicators[0].Children[1].ExecutionRate = r.ExecutionRate }, 5},
		{"a group read it", func(r *jixiao.Result) {
			r.Indicators[0].Children[0].ExecutionRate = nil
			r.Indicators[0].ExecutionRate = r.ExecutionRate
		}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r := exHand()
			tc.edit(r)
			f := exWriteForm(t, p, r)
			exCells(t, f, map[string]string{"G7": "—", "H7": "91.31%", "I7": "—", "B15": "预算执行", "C15": "资金执行"})
			_, top, _ := excelize.CellNameToCoordinates(exFindCell(t, f, FormSheet, "一级指标"))
			if got := exValue(t, f, exportCell(1, top+tc.rows+1)); got != "适用指标合计" {
				t.Errorf("row after %d leaves = %q, want 适用指标合计", tc.rows, got)
			}
		})
	}
}

// Money is shown in 万元, exactly: six decimals hold a yuan amount with
// cents.
func TestFormWanYuan(t *testing.T) {
	for _, tc := range []struct {
		cents int64
		want  string
	}{
		{44743863, "44.743863"},
		{49000000, "49"},
		{80000000, "80"},
		{1, "0.000001"},
		{-50, "-0.00005"},
		{123456789012, "123456.789012"},
		{100000000000000000, "100000000000"}, // the largest Decimal amount
	} {
		if got := strconv.FormatFloat(wanYuan(jixiao.Cents(tc.cents)), 'f', -1, 64); got != tc.want {
			t.Errorf("wanYuan(%d cents) = %s, want %s", tc.cents, got, tc.want)
		}
	}
}

// The fund sources, the goals, 实施单位 and the unit's reason for the
// execution rate fill their places on the form; without them the places
// stay blank, and points, rate and score of a fund source are always —.
func TestFormNationalFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(p *jixiao.Project)
		want map[string]string
	}{
		{"given", nil, map[string]string{
			"A6": "项目资金（万元）", "G4": "某中心",
			"D7": "80.00", "E7": "49.00", "F7": "44.743863",
			"B8": "其中：当年财政拨款", "D8": "", "E8": "45.00", "F8": "40.743863", "G8": "—", "H8": "—", "I8": "—",
			"B9": "上年结转资金", "E9": "3.00", "F9": "3.00", "H9": "—",
			"B10": "其他资金", "E10": "1.00", "F10": "1.00", "I10": "—",
			"B11": "偏差原因分析及改进措施", "D11": "尾款次年支付",
			"A12": "年度总体目标", "B12": "预期目标", "F12": "实际完成情况",
			"B13": "全年完成十套设备更新", "F13": "完成八套，两套次年交付",
		}},
		{"left out", func(p *jixiao.Project) {
			p.ImplementingUnit, p.GoalExpected, p.GoalAchieved, p.ExecutionReason = "", "", "", ""
			p.AppropriationBudget, p.AppropriationSpent, p.CarryOverBudget, p.CarryOverSpent, p.OtherBudget, p.OtherSpent = nil, nil, nil, nil, nil, nil
			p.BudgetInitial = nil
		}, map[string]string{
			"G4": "", "D7": "", "E7": "49.00",
			"E8": "", "F8": "", "G8": "—", "E9": "", "F9": "", "E10": "", "F10": "", "I10": "—",
			"D11": "", "B13": "", "F13": "",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r := exHand()
			if tc.edit != nil {
				tc.edit(p)
			}
			exCells(t, exWriteForm(t, p, r), tc.want)
		})
	}
}

// When a category did not apply, the rows add up to the engine's sums
// and the total row shows the step to its total, in its numbers: a
// total the sums do not give is shown as it is, not worked out again.
func TestFormRescale(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *jixiao.Result)
		want map[string]string
	}{
		{"rescaled", nil, map[string]string{
			"A19": "适用指标合计", "G19": "90.00", "H19": "80.00", "I19": "适用分值合计 90 分，得分合计 80.00 分",
			"A20": "总分", "G20": "100.00", "H20": "88.89", "I20": "折算总分 = 80.00 × 100 ÷ 90 = 88.89 分",
			"A21": "自评等级", "G21": "良",
		}},
		{"the engine's total as it is", func(r *jixiao.Result) { r.Total = jixiao.Cents(7777) }, map[string]string{
			"H20": "77.77", "I20": "折算总分 = 80.00 × 100 ÷ 90 = 77.77 分",
		}},
		{"not rescaled", func(r *jixiao.Result) {
			r.Rescale = nil
			r.Indicators = r.Indicators[:2]
			r.Total = jixiao.Cents(8000)
		}, map[string]string{
			"A18": "总分", "G18": "90.00", "H18": "80.00", "I18": "",
			"A19": "自评等级",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r := exHand()
			if tc.edit != nil {
				tc.edit(r)
			}
			exCells(t, exWriteForm(t, p, r), tc.want)
		})
	}
}

// A category with no points is 不适用 only when the total was rescaled:
// otherwise its 0.00 is a score like any other.
func TestFormNotApplicable(t *testing.T) {
	p, r := exHand()
	r.Rescale = nil
	f := exWriteForm(t, p, r)
	exCells(t, f, map[string]string{"B18": "满意度指标", "G18": "0.00", "H18": "0.00"})
}

// Findings are listed by their Chinese label and message, never by the
// check's id.
func TestFormFindingsInChinese(t *testing.T) {
	p, r := exHand()
	r.Findings = append(r.Findings, jixiao.Finding{Check: "execution_low", Severity: jixiao.SeverityWarning, Message: "预算执行率低于 90%"})
	f := exWriteForm(t, p, r)
	exCells(t, f, map[string]string{
		"A22": "数据质量问题", "B22": "级别", "C22": "说明",
		"B23": "提示", "C23": "未填报结余",
		"B24": "警告", "C24": "预算执行率低于 90%",
	})
	for _, id := range []string{"balance_missing", "execution_low"} {
		if exHasText(t, f, id) {
			t.Errorf("the form shows the check id %s", id)
		}
	}
}

// exGolden compares got with the golden file at path, or rewrites the
// file under -update.
func exGolden(t *testing.T, path, got string) {
	t.Helper()
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
		t.Errorf("%s differs from what was written; run go test -update and review the diff\ngot:\n%s", path, got)
	}
}

// TestReviewedFormGolden: the 自评表 of a project the bureau approved with
// deductions, from real scores: the submitted version's result as the
// self-score, the approved version's as the reviewed one; the golden
// file shows the 自评总分 row, the 复核扣分 block and 复核总分/复核等级.
func TestReviewedFormGolden(t *testing.T) {
	src, _ := rules.BuiltinByID("cn-mof-2020-self")
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := exScoredProject(t, "cn-mof-2020-self", "HH2024-01")
	reviewed := *self
	reviewed.Indicators = slices.Clone(self.Indicators)
	err = reviewed.ApplyDeductions([]jixiao.Deduction{
		{Indicator: self.Indicators[0].Name, Points: jixiao.Cents(150), Reason: "佐证材料不全"},
		{Indicator: self.Indicators[1].Name, Points: jixiao.Points(100), Reason: "与年报不符，不得分"},
	})
	if err != nil {
		t.Fatal(err)
	}
	selfRes, rej := rs.NewScorer().Score(self)
	if rej != nil {
		t.Fatal(rej.Errors)
	}
	res, rej := rs.NewScorer().Score(&reviewed)
	if rej != nil {
		t.Fatal(rej.Errors)
	}
	if res.Total >= selfRes.Total {
		t.Fatalf("the deductions took nothing off: %s, self %s", res.Total, selfRes.Total)
	}
	var buf bytes.Buffer
	if err := WriteReviewedForm(&buf, &reviewed, &res, &selfRes, 2024); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := exDump(t, f, FormSheet, res.RuleSet.Hash)
	for _, want := range []string{"自评总分", "复核扣分", "复核总分", "复核等级", "佐证材料不全"} {
		if !strings.Contains(got, want) {
			t.Errorf("the reviewed form has no %s", want)
		}
	}
	exGolden(t, filepath.Join("testdata", "export", "form-reviewed-HH2024-01.txt"), got)
}
