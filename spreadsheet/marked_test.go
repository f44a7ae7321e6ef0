package spreadsheet

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// impMarked marks an upload with the problems Read finds in it and
// reopens the result.
func impMarked(t *testing.T, data []byte, name string) (*excelize.File, []Problem) {
	t.Helper()
	imp := impRead(t, data, name)
	var buf bytes.Buffer
	if err := MarkWorkbook(&buf, data, name, imp.Problems, imp.MoreProblems); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, imp.Problems
}

// impFill reports the fill colour of a cell, "" for none.
func impFillOf(t *testing.T, f *excelize.File, sheet, ref string) (string, *excelize.Style) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil || st == nil {
		return "", &excelize.Style{}
	}
	if st.Fill.Pattern == 1 && len(st.Fill.Color) > 0 {
		return strings.ToUpper(st.Fill.Color[0]), st
	}
	return "", st
}

func impComments(t *testing.T, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	comments, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string)
	for _, c := range comments {
		text := c.Text
		for _, r := range c.Paragraph {
			text += r.Text
		}
		m[c.Cell] = c.Author + "|" + text
	}
	return m
}

func TestMarkWorkbook(t *testing.T) {
	proj, ind := impBaseProjects(), impBaseIndicators()
	impSet(proj, "全年执行数", 2, "约8万")
	impSet(proj, "全年预算数", 2, impStyled{v: 90000.123, numFmt: 4}) // keeps its format
	impSet(proj, "备注", 2, "x")
	impSet(ind, "指标性质", 3, "越高越好")
	impSet(ind, "评价", 3, "好")
	data := impBook(t, impSheet{"项目", proj}, impSheet{"绩效指标", ind})
	f, problems := impMarked(t, data, "t.xlsx")

	want := map[string]map[string][]string{ // sheet → cell → messages
		"项目": {
			"M1": {"无法识别的列标题“备注”：请删除此列，或改用“填写说明”中的列名"},
			"G2": {"全年预算数 最多两位小数（到分），实际为 “90000.123”"},
			"I2": {"全年执行数 必须是数字，实际为 “约8万”"},
		},
		"绩效指标": {
			"E3": {"指标性质 只能是 正向、大于、反向、小于、等于 或 定性（也可写 ≥、>、≤、<、=），实际为 “越高越好”"},
			"I3": {"评价 只能是 达成、部分达成 或 未达成，实际为 “好”"},
		},
	}
	if len(problems) != 5 {
		t.Fatalf("problems: %s", impShow(problems))
	}
	for sheet, cells := range want {
		comments := impComments(t, f, sheet)
		if len(comments) != len(cells) {
			t.Errorf("%s: comments %q", sheet, comments)
		}
		for ref, msgs := range cells {
			if fill, _ := impFillOf(t, f, sheet, ref); fill != markFill {
				t.Errorf("%s!%s: fill %q", sheet, ref, fill)
			}
			want := markAuthor + "|" + markAuthor + "：\n" + strings.Join(msgs, "\n")
			if comments[ref] != want {
				t.Errorf("%s!%s: comment %q, want %q", sheet, ref, comments[ref], want)
			}
		}
	}
	// The marked cell keeps its number format; a cell without a problem
	// is not filled.
	if _, st := impFillOf(t, f, "项目", "G2"); st.NumFmt != 4 {
		t.Errorf("G2 lost its number format: %+v", st)
	}
	if fill, _ := impFillOf(t, f, "项目", "H2"); fill != "" {
		t.Errorf("H2 filled %q", fill)
	}
	// The 问题清单 sheet lists every problem, linked to its cell, and is
	// the one shown.
	rows, err := f.GetRows("问题清单")
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"序号", "工作表", "行", "列", "项目编号", "问题"},
		{"1", "项目", "1", "备注", "", want["项目"]["M1"][0]},
		{"2", "项目", "2", "全年预算数", "P1", want["项目"]["G2"][0]},
		{"3", "项目", "2", "全年执行数", "P1", want["项目"]["I2"][0]},
		{"4", "绩效指标", "3", "指标性质", "P1", want["绩效指标"]["E3"][0]},
		{"5", "绩效指标", "3", "评价", "P1", want["绩效指标"]["I3"][0]},
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("问题清单:\n got %q\nwant %q", rows, wantRows)
	}
	if ok, target, _ := f.GetCellHyperLink("问题清单", "B5"); !ok || target != "'绩效指标'!E3" {
		t.Errorf("link = %v %q", ok, target)
	}
	if list := f.GetSheetList(); f.GetActiveSheetIndex() != len(list)-1 || list[len(list)-1] != "问题清单" {
		t.Errorf("active sheet %d of %q", f.GetActiveSheetIndex(), list)
	}
}

// TestMarkAgain fixes a marked workbook and marks it again: the old
// marks go, the new ones come, a user's own comment stays.
func TestMarkAgain(t *testing.T) {
	proj := impBaseProjects()
	impSet(proj, "全年执行数", 2, "约8万")
	impSet(proj, "结余", 2, "很多")
	data := impBook(t, impSheet{"项目", proj}, impSheet{"绩效指标", impBaseIndicators()})
	f, _ := impMarked(t, data, "t.xlsx")

	// The user fixes 全年执行数, breaks 执行率, and comments 执行率.
	if err := f.SetCellFloat("项目", "I2", 80000, -1, 64); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStr("项目", "K2", "高"); err != nil {
		t.Fatal(err)
	}
	if err := f.AddComment("项目", excelize.Comment{Cell: "K2", Author: "张三", Text: "待核实"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	g, problems := impMarked(t, buf.Bytes(), "t.xlsx")
	if len(problems) != 2 {
		t.Fatalf("problems: %s", impShow(problems))
	}
	if fill, _ := impFillOf(t, g, "项目", "I2"); fill != "" {
		t.Errorf("fixed cell still filled %q", fill)
	}
	comments := impComments(t, g, "项目")
	if _, ok := comments["I2"]; ok || len(comments) != 2 {
		t.Errorf("comments %q", comments)
	}
	if !strings.HasPrefix(comments["J2"], markAuthor+"|") || !strings.Contains(comments["J2"], "结余 必须是数字") {
		t.Errorf("J2: %q", comments["J2"])
	}
	if c := comments["K2"]; !strings.Contains(c, "待核实") || !strings.Contains(c, "执行率 必须是数字") {
		t.Errorf("K2: %q", c)
	}
	rows, _ := g.GetRows("问题清单")
	if len(rows) != 3 || strings.Count(strings.Join(g.GetSheetList(), ","), "问题清单") != 1 {
		t.Errorf("问题清单 %q in %q", rows, g.GetSheetList())
	}
}

// TestMarkCSV builds a workbook of a CSV upload, rows numbered as Read
// numbers them, and marks it.
func TestMarkCSV(t *testing.T) {
	csv := []byte("项目编号,项目名称,年度,全年预算数,全年执行数,一级指标,三级指标,指标性质,年度指标值\r\n" +
		"\r\n" +
		"007,甲,2024,10,9,产出指标,\"两行\n名称\",正向,1\r\n" +
		"007,,,,,产出指标,二,正向,x\r\n")
	f, problems := impMarked(t, csv, "上报.csv")
	want := []Problem{{"上报", 4, "年度指标值", "007", "年度指标值 必须是数字，实际为 “x”"}}
	if !reflect.DeepEqual(problems, want) {
		t.Fatalf("problems %s", impShow(problems))
	}
	if fill, _ := impFillOf(t, f, "上报", "I4"); fill != markFill {
		t.Errorf("I4 fill %q", fill)
	}
	if c := impComments(t, f, "上报")["I4"]; !strings.Contains(c, want[0].Message) {
		t.Errorf("I4 comment %q", c)
	}
	// Values as uploaded: 007 stays text, numbers are numbers.
	for ref, want := range map[string]string{"A3": "007", "D3": "10", "G3": "两行\n名称", "I4": "x"} {
		if got, _ := f.GetCellValue("上报", ref); got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}
	if typ, _ := f.GetCellType("上报", "D3"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("D3 type %v", typ)
	}
	if typ, _ := f.GetCellType("上报", "A3"); typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber {
		t.Errorf("A3 type %v", typ)
	}
}

func TestMarkRefuses(t *testing.T) {
	err := MarkWorkbook(&bytes.Buffer{}, []byte(`{"projects": []}`), "p.json", nil, 0)
	if jixiao.ErrorCode(err) != jixiao.EUNSUPPORTED {
		t.Errorf("JSON: %v", err)
	}
	err = MarkWorkbook(&bytes.Buffer{}, []byte("PK\x03\x04junk"), "p.xlsx", nil, 0)
	if jixiao.ErrorCode(err) != jixiao.EMALFORMED {
		t.Errorf("broken zip: %v", err)
	}
}
