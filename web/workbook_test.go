package web_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// importedID is the project the import scenario adds.
const importedID = "WEB-2024-01"

// badCell is where the import scenario puts a wrong value.
type badCell struct {
	cell   string // such as F3
	header string // the column's header
}

// workbook fills the import template with one project and one indicator,
// its 全年执行数 set to spent, and says where that value is. The columns
// are found by their headers, as the importer finds them.
func workbook(t *testing.T, template []byte, spent string) ([]byte, badCell) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(template))
	if err != nil {
		t.Fatalf("the import template: %v", err)
	}
	defer f.Close()
	var where badCell
	fill(t, f, "项目", "项目名称", func(header string) any {
		switch {
		case has(header, "编号", "代码"):
			return importedID
		case has(header, "名称"):
			return "网页导入测试项目"
		case has(header, "金额单位"):
			return "元"
		case has(header, "部门", "单位"):
			return "怀化市财政局"
		case has(header, "年初"):
			return 100000
		case has(header, "预算"):
			return 100000
		case has(header, "到位"):
			return 100000
		case has(header, "执行率"):
			return 95
		case has(header, "执行数", "支出"):
			return spent
		case has(header, "结余"):
			return 5000
		case has(header, "合规"):
			return "达成"
		case has(header, "年度"):
			return 2024
		}
		return nil
	}, func(header, cell string) {
		if has(header, "执行数", "支出") && !has(header, "执行率") {
			where = badCell{cell: cell, header: header}
		}
	})
	fill(t, f, "绩效指标", "三级指标", func(header string) any {
		switch {
		case has(header, "编号", "代码"):
			return importedID
		case has(header, "项目名称"):
			return "网页导入测试项目"
		case has(header, "一级"):
			return "产出指标"
		case has(header, "二级"):
			return "数量指标"
		case has(header, "三级"):
			return "培训人次"
		case has(header, "方向", "性质", "类型"):
			return "正向"
		case has(header, "指标值", "目标"):
			return 100
		case has(header, "完成值", "实际"):
			return 100
		case has(header, "单位"):
			return "人次"
		case has(header, "年度"):
			return 2024
		}
		return nil
	}, nil)
	if where.cell == "" {
		t.Fatal("the import template has no 全年执行数 column in its sheet 项目")
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), where
}

// fill finds the header row of sheet (the first with a cell containing
// marker), removes the rows below it and writes one row of values.
func fill(t *testing.T, f *excelize.File, sheet, marker string, value func(header string) any, seen func(header, cell string)) {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("the import template has no sheet %s: %v", sheet, err)
	}
	head := -1
	for i, row := range rows {
		for _, c := range row {
			if strings.Contains(c, marker) {
				head = i
				break
			}
		}
		if head >= 0 {
			break
		}
	}
	if head < 0 {
		t.Fatalf("the sheet %s of the import template has no header %s", sheet, marker)
	}
	for r := len(rows); r > head+1; r-- {
		if err := f.RemoveRow(sheet, r); err != nil {
			t.Fatal(err)
		}
	}
	for col, header := range rows[head] {
		v := value(strings.TrimSpace(header))
		if v == nil {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(col+1, head+2)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
		if seen != nil {
			seen(header, cell)
		}
	}
}

func has(s string, parts ...string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
