package spreadsheet

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// sheetKind tells what a sheet's rows are.
type sheetKind int

const (
	kindProjects   sheetKind = iota + 1 // one row per project
	kindIndicators                      // one row per indicator, keyed by 项目编号
	kindCombined                        // one row per indicator, project columns repeated
)

// cell is one cell as read: raw is the stored value, shown the value
// as the spreadsheet displays it. They differ only in a workbook.
type cell struct {
	col        int // index of its column: 0 is A
	raw, shown string
}

func (c cell) blank() bool { return clean(c.raw) == "" && clean(c.shown) == "" }

// text is the cell as the user reads it.
func (c cell) text() string {
	if s := clean(c.shown); s != "" {
		return s
	}
	return clean(c.raw)
}

// rowData is a row: only its non-blank cells are kept, so that a row
// with one value far to the right costs no more than any other.
type rowData struct {
	num   int    // as the spreadsheet numbers it
	cells []cell // non-blank, in column order
}

// makeRow keeps the non-blank cells of a row as read: the stored values
// and, for a workbook, the displayed ones (nil for a CSV file).
func makeRow(raw, shown []string) []cell {
	var cells []cell
	for i := range max(len(raw), len(shown)) {
		c := cell{col: i}
		if i < len(raw) {
			c.raw = raw[i]
		}
		if shown == nil {
			c.shown = c.raw
		} else if i < len(shown) {
			c.shown = shown[i]
		}
		if !c.blank() {
			cells = append(cells, c)
		}
	}
	return cells
}

// at returns the cell of column i, blank when there is none.
func (r rowData) at(i int) cell {
	j := sort.Search(len(r.cells), func(j int) bool { return r.cells[j].col >= i })
	if j < len(r.cells) && r.cells[j].col == i {
		return r.cells[j]
	}
	return cell{col: i}
}

// column is one header cell.
type column struct {
	text  string // as written
	field field
	unit  string // 元 or 万元 from the header
	err   string // a header naming a column in a way that cannot be used
	skip  bool   // already reported: not to be read, nor reported as unknown
}

// sheet is one sheet or CSV file read into memory: the rows after its
// header row.
type sheet struct {
	name      string
	order     int
	header    int // row number of the header row; 0 when not found
	firstRow  int // the first non-empty row
	searched  int // non-empty rows searched for the header
	cols      []column
	col       [numFields]int // column index + 1 of each field; 0 when absent
	kind      sheetKind
	rows      []rowData
	broken    bool // a header problem: none of its rows may be imported
	hasYearIx bool // an indicator sheet with a 年度 column
}

// add takes the next non-empty row. Until the header row is found the
// rows are searched for it; it returns false when the search is over
// without a header, so that the reader may stop.
func (sh *sheet) add(num int, cells []cell) bool {
	if sh.firstRow == 0 {
		sh.firstRow = num
	}
	if sh.header > 0 {
		sh.rows = append(sh.rows, rowData{num: num, cells: cells})
		return true
	}
	sh.searched++
	if isHeaderRow(cells) {
		sh.header = num
		sh.cols = make([]column, cells[len(cells)-1].col+1)
		for _, c := range cells {
			text := c.text()
			h := resolveHeader(text)
			sh.cols[c.col] = column{text: text, field: h.field, unit: h.unit, err: h.err}
		}
		return true
	}
	return sh.searched < headerSearch
}

// isHeaderRow tells the header row: it names 项目编号 and at least one
// other known column.
func isHeaderRow(cells []cell) bool {
	id, other := false, false
	for _, c := range cells {
		switch resolveHeader(c.text()).field {
		case fNone, fSeq:
		case fID:
			id = true
		default:
			other = true
		}
	}
	return id && other
}

// has tells whether the sheet has a column for f.
func (sh *sheet) has(f field) bool { return sh.col[f] > 0 }

// colName is the header of f's column as written, or its template name
// when the sheet lacks it.
func (sh *sheet) colName(f field) string {
	if i := sh.col[f]; i > 0 {
		return sh.cols[i-1].text
	}
	return f.String()
}

// colOrder places a problem of f's column in the sheet's column order;
// missing columns come after the others.
func (sh *sheet) colOrder(f field) int {
	if i := sh.col[f]; i > 0 {
		return i - 1
	}
	return len(sh.cols) + int(f)
}

// requiredColumns lists the columns a sheet of each kind must have.
var requiredColumns = map[sheetKind][]field{
	kindProjects:   {fID, fName, fYear, fBudgetAdjusted, fSpent},
	kindIndicators: {fID, fLevel1, fIndicator},
	kindCombined:   {fID, fName, fYear, fBudgetAdjusted, fSpent, fLevel1, fIndicator},
}

// header checks a sheet's header row, maps its columns and tells its
// kind. Unknown columns are checked later, when it is known whether
// they hold anything.
func (im *importer) header(sh *sheet) {
	project, indicator := false, false
	for i := range sh.cols {
		c := &sh.cols[i]
		switch {
		case c.field == fNone || c.field == fSeq:
			continue
		case c.err != "":
			im.addAt(sh, sh.header, i, c.text, "列标题“"+c.text+"”"+c.err)
			c.skip, sh.broken = true, true
			continue
		case sh.col[c.field] > 0:
			j := sh.col[c.field] - 1
			im.addAt(sh, sh.header, i, c.text, fmt.Sprintf("列“%s”与 %s 列“%s”重复，都表示“%s”：请删除其中一列", c.text, colLetter(j), sh.cols[j].text, c.field))
			c.skip, sh.broken = true, true
			continue
		}
		sh.col[c.field] = i + 1
		project = project || c.field.isProject()
		indicator = indicator || c.field.isIndicator()
	}
	if indicator && !sh.has(fUnit) {
		// 单位 alone is ambiguous on a project sheet (金额单位? 单位名称?),
		// but next to indicators it is their 计量单位.
		for i := range sh.cols {
			if c := &sh.cols[i]; c.field == fNone && normalizeHeader(c.text) == "单位" {
				c.field, sh.col[fUnit] = fUnit, i+1
				break
			}
		}
	}
	switch {
	case project && indicator:
		sh.kind = kindCombined
	case indicator:
		sh.kind = kindIndicators
	default:
		sh.kind = kindProjects
	}
	sh.hasYearIx = sh.kind == kindIndicators && sh.has(fYear)
	for _, f := range requiredColumns[sh.kind] {
		if !sh.has(f) {
			im.add(sh, sh.header, f, "", "缺少必填列“"+f.String()+"”")
			sh.broken = true
		}
	}
	im.unknownColumns(sh)
}

// unknownColumns reports columns that hold something but have no header
// that is understood. An unknown column with nothing in it is ignored.
func (im *importer) unknownColumns(sh *sheet) {
	used := make(map[int]bool)
	for _, r := range sh.rows {
		for _, c := range r.cells {
			if c.col >= len(sh.cols) || sh.cols[c.col].field == fNone && !sh.cols[c.col].skip {
				used[c.col] = true
			}
		}
	}
	cols := make([]int, 0, len(used))
	for i := range used {
		cols = append(cols, i)
	}
	sort.Ints(cols)
	for _, i := range cols {
		sh.broken = true
		if i < len(sh.cols) && sh.cols[i].text != "" {
			im.addAt(sh, sh.header, i, sh.cols[i].text, "无法识别的列标题“"+sh.cols[i].text+"”：请删除此列，或改用“填写说明”中的列名")
		} else {
			im.addAt(sh, sh.header, i, colLetter(i), colLetter(i)+" 列有内容但没有列标题：请补上列标题或删除此列")
		}
	}
}

// colLetter is the spreadsheet's name of the column of index i: A, B, …
func colLetter(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return strconv.Itoa(i + 1)
	}
	return name
}

// rowEmpty tells a row with nothing but a 序号.
func rowEmpty(sh *sheet, r rowData) bool {
	for _, c := range r.cells {
		if c.col < len(sh.cols) && sh.cols[c.col].field == fSeq {
			continue
		}
		return false
	}
	return true
}

// isTotalRow tells a 合计 row, which is not a project: its 项目编号 reads
// 合计, 总计 or 小计, or is blank and another cell does.
func isTotalRow(sh *sheet, r rowData) bool {
	isTotal := func(c cell) bool {
		switch strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, c.text()) {
		case "合计", "总计", "小计":
			return true
		}
		return false
	}
	if id := r.at(sh.col[fID] - 1); !id.blank() {
		return isTotal(id)
	}
	for _, c := range r.cells {
		if isTotal(c) {
			return true
		}
	}
	return false
}
