package spreadsheet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// Problem is one import problem, located for the user: the sheet, the
// row as the spreadsheet numbers it, the column by its header as
// written in the file (or, for a missing column, its name on the
// template; for a column without a header, its letter), the project
// when known, and a message in plain Chinese.
//
// For a JSON upload, Sheet is empty, Row is the project's position in
// the document (1-based) and Column the field, such as
// "indicators[0].target"; the message is the JSON decoder's.
type Problem struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Project string `json:"project,omitempty"`
	Message string `json:"message"`
}

// Import is what an import found. Projects holds only the projects
// without any problem. A problem need not belong to a project (a header,
// an indicator whose project is not in the file), so an upload is clean
// only when Problems is empty.
type Import struct {
	Format   string           // "xlsx", "csv" or "json"
	Projects []jixiao.Project // the valid projects, in order
	Problems []Problem        // every problem, in sheet/row order
	Invalid  []string         // ids (or "第N行") of the projects that have problems
}

// Read parses an upload: an .xlsx workbook, a CSV file or a project
// document in JSON. name is the file's name; its extension chooses the
// format, except that content starting as a zip archive is always read
// as a workbook. A file that cannot be read at all is an error with code
// jixiao.EINVALID, EMALFORMED, EUNSUPPORTED or ETOOLARGE; problems in
// rows are in Import.Problems.
func Read(r io.Reader, name string, limits Limits) (*Import, error) {
	lim := limits.withDefaults()
	data, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	format, err := detectFormat(data, name)
	if err != nil {
		return nil, err
	}
	switch format {
	case "xlsx":
		return readXLSX(data, lim)
	case "csv":
		return readCSV(data, name, lim)
	}
	return readJSON(data)
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// detectFormat tells xlsx, csv or json from the content and the name.
func detectFormat(data []byte, name string) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", jixiao.Errorf(jixiao.EINVALID, "文件是空的")
	}
	if bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, []byte("PK\x05\x06")) {
		return "xlsx", nil
	}
	if bytes.HasPrefix(data, oleMagic) {
		return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "这是旧版 .xls 文件或设置了密码的工作簿，无法读取：请在 Excel 或 WPS 中另存为 .xlsx（不设密码）后再上传")
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		return "", jixiao.Errorf(jixiao.EMALFORMED, "文件名是 %s，但内容不是 Excel 工作簿：请确认文件没有损坏", filepath.Ext(name))
	case ".xls", ".et", ".ods", ".numbers":
		return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "不支持 %s 格式：请在 Excel 或 WPS 中另存为 .xlsx 后再上传", filepath.Ext(name))
	case ".json":
		return "json", nil
	case ".csv", ".txt", ".tsv":
		return "csv", nil
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return "json", nil
	}
	if bytes.HasPrefix(data, utf16LE) || bytes.HasPrefix(data, utf16BE) || bytes.IndexByte(data, 0) < 0 {
		return "csv", nil
	}
	return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "无法识别的文件格式：请上传 .xlsx、.csv 或 .json 文件")
}

// readJSON reads the JSON project format, each rejection becoming
// problems located by project position and field.
func readJSON(data []byte) (*Import, error) {
	in, err := jixiao.DecodeProjectsBytes(data)
	if err != nil {
		return nil, err
	}
	imp := &Import{Format: "json", Projects: in.Projects}
	for pos, e := range in.Order {
		if e.Rejected < 0 {
			continue
		}
		rej := in.Rejected[e.Rejected]
		id := rej.ProjectID
		if strings.HasPrefix(id, "#") {
			id = ""
		}
		for _, msg := range rej.Errors {
			field, text, ok := strings.Cut(msg, ": ")
			if !ok || strings.ContainsAny(field, " \"") {
				field, text = "", msg
			}
			imp.Problems = append(imp.Problems, Problem{Row: pos + 1, Column: field, Project: id, Message: text})
		}
		label := id
		if label == "" {
			label = fmt.Sprintf("第%d个项目", pos+1)
		}
		imp.Invalid = append(imp.Invalid, label)
	}
	return imp, nil
}

// readXLSX reads a workbook, after checkZip has made sure that opening
// it cannot cost more than the limits allow.
func readXLSX(data []byte, lim Limits) (*Import, error) {
	if err := checkZip(data, lim); err != nil {
		return nil, err
	}
	f, err := openWorkbook(data, lim)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := &budget{lim: lim}
	var sheets []*sheet
	for i, name := range f.GetSheetList() {
		if name == sheetHelp || name == sheetProblems {
			continue
		}
		sh, err := readXLSXSheet(f, name, i, b)
		if err != nil {
			return nil, err
		}
		sheets = append(sheets, sh)
	}
	return newImporter("xlsx").run(sheets)
}

// openWorkbook opens an .xlsx already checked by checkZip.
func openWorkbook(data []byte, lim Limits) (*excelize.File, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    lim.MaxUnzipped,
		UnzipXMLSizeLimit: min(lim.MaxUnzipped, excelize.StreamChunkSize),
		CultureInfo:       excelize.CultureNameZhCN,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return nil, jixiao.Errorf(jixiao.EUNSUPPORTED, "工作簿设置了密码或格式不受支持：请另存为不设密码的 .xlsx 后再上传")
		}
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "无法打开工作簿：文件已损坏或不是 .xlsx（%v）", err)
	}
	return f, nil
}

// readXLSXSheet streams one sheet twice in step: once for the stored
// values, which keep every digit whatever the number format, and once
// for the values as displayed, which tell dates, percentages and
// booleans apart. It stops early on a sheet without a header row.
func readXLSXSheet(f *excelize.File, name string, order int, b *budget) (*sheet, error) {
	raws, err := f.Rows(name)
	if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”无法读取：%v", name, err)
	}
	defer raws.Close()
	shown, err := f.Rows(name)
	if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”无法读取：%v", name, err)
	}
	defer shown.Close()
	sh := &sheet{name: name, order: order}
	num, rows := 0, 0
	for raws.Next() {
		shown.Next()
		num++
		rv, err := raws.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”第 %d 行无法读取：%v", name, num, err)
		}
		sv, _ := shown.Columns(excelize.Options{})
		if err := b.grid(name, max(len(rv), len(sv))); err != nil {
			return nil, err
		}
		cells := makeRow(rv, sv)
		if len(cells) == 0 {
			continue
		}
		rows++
		if err := b.row(name, rows, len(cells)); err != nil {
			return nil, err
		}
		if !sh.add(num, cells) {
			break
		}
	}
	if err := raws.Error(); err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”无法读取：%v", name, err)
	}
	return sh, nil
}

// ---- Sheets ----

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

// ---- The import ----

type located struct {
	Problem
	order, col int
}

type importer struct {
	format   string
	problems []located
	projects []*proj
	byID     map[string][]*proj
	// taint is set when an indicator sheet has a header problem, or an
	// indicator row names no project that can be found: then no project
	// can be known to have all its indicators.
	taint bool
}

func newImporter(format string) *importer {
	return &importer{format: format, byID: make(map[string][]*proj)}
}

// add records a problem in a field's column.
func (im *importer) add(sh *sheet, row int, f field, project, msg string) {
	im.problems = append(im.problems, located{
		Problem: Problem{Sheet: sh.name, Row: row, Column: sh.colName(f), Project: project, Message: msg},
		order:   sh.order, col: sh.colOrder(f),
	})
}

// addAt records a problem in the column of index i.
func (im *importer) addAt(sh *sheet, row, i int, column, msg string) {
	im.problems = append(im.problems, located{
		Problem: Problem{Sheet: sh.name, Row: row, Column: column, Message: msg},
		order:   sh.order, col: i,
	})
}

// run turns the sheets into projects and problems.
func (im *importer) run(sheets []*sheet) (*Import, error) {
	var projectSheets, indicatorSheets []*sheet
	for _, sh := range sheets {
		if sh.header == 0 {
			if sh.firstRow > 0 {
				im.addAt(sh, sh.firstRow, 0, "", fmt.Sprintf("找不到列标题行：前 %d 行中没有同时写有“项目编号”和其他列标题的一行，此表没有导入", headerSearch))
			}
			continue
		}
		im.header(sh)
		switch sh.kind {
		case kindProjects:
			projectSheets = append(projectSheets, sh)
		case kindIndicators:
			indicatorSheets = append(indicatorSheets, sh)
		case kindCombined:
			projectSheets = append(projectSheets, sh)
			indicatorSheets = append(indicatorSheets, sh)
		}
	}
	if len(projectSheets) == 0 {
		return nil, jixiao.Errorf(jixiao.EINVALID, "找不到项目表：没有一张工作表的标题行同时写有“项目编号”和项目的列（如“项目名称”“全年预算数”）；请使用导入模板")
	}
	for _, sh := range indicatorSheets {
		if sh.broken {
			im.taint = true
		}
	}
	for _, sh := range projectSheets {
		if sh.kind == kindCombined {
			im.readCombined(sh)
		} else {
			im.readProjects(sh)
		}
	}
	im.dedupe()
	for _, sh := range indicatorSheets {
		if sh.kind == kindIndicators {
			im.readIndicators(sh)
		}
	}
	return im.finish(), nil
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

// ---- Projects ----

// proj is a project being built from one or more rows.
type proj struct {
	v          *projVals
	indicators []*indVals
	bad        bool
	dupOf      *proj
	tooMany    bool
}

func (p *proj) label() string {
	if p.v.id != "" {
		return p.v.id
	}
	return fmt.Sprintf("第%d行", p.v.first)
}

// projVals holds the project columns read from rows.
type projVals struct {
	sh    *sheet
	first int               // the project's first row
	set   [numFields]bool   // a value was given
	bad   [numFields]bool   // the value given has a problem, reported
	row   [numFields]int    // the row each value came from
	text  [numFields]string // each value as written, for messages

	id, name, dept string
	year           int
	unit           string                    // 金额单位 as given, "" when blank
	amount         [numFields]jixiao.Decimal // in yuan, by amount column
	rate           jixiao.Decimal
	rating         jixiao.Rating // 资金使用合规性
}

// value returns the value of f, for comparing rows of one project.
func (v *projVals) value(f field) any {
	switch f {
	case fID:
		return v.id
	case fName:
		return v.name
	case fDept:
		return v.dept
	case fYear:
		return v.year
	case fMoneyUnit:
		return v.unit
	case fRate:
		return v.rate
	case fCompliance:
		return v.rating
	}
	return v.amount[f]
}

// readProjects reads a sheet of one row per project.
func (im *importer) readProjects(sh *sheet) {
	for _, r := range sh.rows {
		if rowEmpty(sh, r) || isTotalRow(sh, r) {
			continue
		}
		x := im.rowCtx(sh, r, "")
		v := x.projectCells("", false)
		im.newProject(v, x.bad)
	}
}

// dedupe reports projects with the same 项目编号 and 年度 as an earlier
// one. Both are invalid: indicators keyed by 项目编号 could belong to
// either.
func (im *importer) dedupe() {
	type key struct {
		id   string
		year int
	}
	seen := make(map[key]*proj)
	for _, p := range im.projects {
		v := p.v
		if v.id == "" || !v.set[fYear] || v.bad[fYear] {
			continue
		}
		k := key{v.id, v.year}
		first, dup := seen[k]
		if !dup {
			seen[k] = p
			continue
		}
		where := fmt.Sprintf("第 %d 行", first.v.first)
		if first.v.sh != v.sh {
			where = fmt.Sprintf("工作表“%s”第 %d 行", first.v.sh.name, first.v.first)
		}
		im.add(v.sh, v.row[fID], fID, v.id, fmt.Sprintf("项目编号“%s”重复：%s已有 %d 年度的同一编号", v.id, where, v.year))
		p.bad, first.bad, p.dupOf = true, true, first
	}
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

// newProject registers a project read from its first row.
func (im *importer) newProject(v *projVals, bad bool) *proj {
	p := &proj{v: v, bad: bad}
	im.projects = append(im.projects, p)
	if v.id != "" {
		im.byID[v.id] = append(im.byID[v.id], p)
	}
	return p
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

// readCombined reads a sheet of one row per indicator with the project
// columns on each row: rows with the same 项目编号 (and 年度) are one
// project; on its later rows the project columns may be left blank and
// must otherwise agree with its first row. A row with a blank 项目编号
// continues the project of the row above (as under a merged cell).
func (im *importer) readCombined(sh *sheet) {
	var last *proj
	for _, r := range sh.rows {
		if rowEmpty(sh, r) || isTotalRow(sh, r) && !hasIndicator(sh, r) {
			continue
		}
		id := r.at(sh.col[fID] - 1).text()
		var p *proj
		switch {
		case id == "" && last != nil:
			p = last
		case id != "":
			p = im.combinedGroup(sh, id, r)
		}
		if p == nil {
			x := im.rowCtx(sh, r, "")
			v := x.projectCells("", false)
			p = im.newProject(v, x.bad)
		} else {
			x := im.rowCtx(sh, r, p.v.id)
			v := x.projectCells(p.v.unit, true)
			p.bad = p.bad || x.bad
			im.merge(p, v)
		}
		last = p
		if hasIndicator(sh, r) {
			im.addIndicator(p, im.indicatorRow(sh, r, p.v.id))
		}
	}
}

// combinedGroup finds the project that a row with 项目编号 id belongs
// to: the one of that id and the row's 年度, or, when the row's 年度 is
// blank, the latest of that id. It returns nil for a new project.
func (im *importer) combinedGroup(sh *sheet, id string, r rowData) *proj {
	var cands []*proj
	for _, p := range im.byID[id] {
		if p.v.sh == sh {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	yc := r.at(sh.col[fYear] - 1)
	if !sh.has(fYear) || yc.blank() {
		return cands[len(cands)-1]
	}
	year, ok := quietYear(yc)
	for _, p := range cands {
		switch {
		case ok && p.v.set[fYear] && !p.v.bad[fYear] && p.v.year == year:
			return p
		case !ok && p.v.bad[fYear] && p.v.text[fYear] == yc.text():
			return p
		}
	}
	for _, p := range cands {
		if !p.v.set[fYear] {
			return p
		}
	}
	return nil
}

// merge adds a later row's project columns to p: blank ones are taken
// from the project, given ones must agree with it.
func (im *importer) merge(p *proj, v *projVals) {
	pv := p.v
	for f := fID; f <= fCompliance; f++ {
		if !v.set[f] || v.bad[f] {
			continue
		}
		if !pv.set[f] {
			pv.set[f], pv.row[f], pv.text[f] = true, v.row[f], v.text[f]
			switch f {
			case fName:
				pv.name = v.name
			case fDept:
				pv.dept = v.dept
			case fYear:
				pv.year = v.year
			case fMoneyUnit:
				pv.unit = v.unit
			case fRate:
				pv.rate = v.rate
			case fCompliance:
				pv.rating = v.rating
			default:
				pv.amount[f] = v.amount[f]
			}
			continue
		}
		if pv.bad[f] || pv.value(f) == v.value(f) {
			continue
		}
		im.add(v.sh, v.first, f, pv.id, fmt.Sprintf("%s 与第 %d 行不一致：“%s”与“%s”（同一项目的各行，项目列须相同或留空）", v.sh.colName(f), pv.row[f], v.text[f], pv.text[f]))
		p.bad = true
	}
}

// hasIndicator tells whether a row of a combined sheet has anything in
// an indicator column.
func hasIndicator(sh *sheet, r rowData) bool {
	for f := fLevel1; f <= fReason; f++ {
		if sh.has(f) && !r.at(sh.col[f]-1).blank() {
			return true
		}
	}
	return false
}

// readIndicators reads a sheet of one row per indicator.
func (im *importer) readIndicators(sh *sheet) {
	var last *proj
	lastID := ""
	for _, r := range sh.rows {
		if rowEmpty(sh, r) || isTotalRow(sh, r) {
			continue
		}
		id := r.at(sh.col[fID] - 1).text()
		x := im.rowCtx(sh, r, id)
		var p *proj
		switch {
		case id == "" && lastID == "":
			x.fail(fID, x.name(fID)+" 必须填写")
		case id == "":
			p, id = last, lastID
			x.project = id
		default:
			var related []*proj
			p, related = im.findProject(x, id)
			if p == nil {
				// The row's project cannot be told: every project it
				// could belong to may lack an indicator.
				for _, q := range related {
					q.bad = true
				}
				im.taint = im.taint || len(related) == 0
			}
		}
		if id == "" && lastID == "" {
			im.taint = true
		}
		if id != "" {
			last, lastID = p, id
		}
		ind := x.indicator()
		if p == nil {
			continue
		}
		if sh.has(fName) {
			if name, st := x.str(fName); st == stOK && !p.v.bad[fName] && p.v.set[fName] && name != p.v.name {
				x.fail(fName, fmt.Sprintf("项目名称“%s”与“%s”表中该项目的名称“%s”不一致", name, p.v.sh.name, p.v.name))
			}
		}
		ind.bad = ind.bad || x.bad
		im.addIndicator(p, ind)
	}
}

// findProject finds the project of an indicator row by 项目编号, and by
// 年度 when the sheet has that column and the row fills it. When it
// cannot, it reports why and returns the projects of that 项目编号.
func (im *importer) findProject(x *rowCtx, id string) (*proj, []*proj) {
	var cands []*proj
	for _, p := range im.byID[id] {
		if p.dupOf == nil {
			cands = append(cands, p)
		}
	}
	if x.sh.hasYearIx {
		if yc := x.cell(fYear); !yc.blank() {
			year, ok := quietYear(yc)
			if !ok {
				x.fail(fYear, fmt.Sprintf("%s 必须是四位年份（如 2024），实际为 “%s”", x.name(fYear), clip(yc.text())))
				return nil, cands
			}
			for _, p := range cands {
				if p.v.year == year {
					return p, nil
				}
			}
			if len(cands) > 0 {
				x.fail(fID, fmt.Sprintf("项目编号“%s”在项目表中没有 %d 年度的项目", id, year))
				return nil, cands
			}
		}
	}
	switch {
	case len(cands) == 0:
		x.fail(fID, fmt.Sprintf("项目编号“%s”在项目表中不存在", id))
		return nil, nil
	case len(cands) > 1:
		years := make([]string, len(cands))
		for i, p := range cands {
			years[i] = strconv.Itoa(p.v.year)
		}
		if x.sh.hasYearIx {
			x.fail(fYear, fmt.Sprintf("项目编号“%s”在项目表中有多个年度（%s），请填写 年度", id, strings.Join(years, "、")))
		} else {
			x.fail(fID, fmt.Sprintf("项目编号“%s”在项目表中有多个年度（%s），请在本表增加“年度”列并填写", id, strings.Join(years, "、")))
		}
		return nil, cands
	}
	return cands[0], nil
}

// addIndicator attaches an indicator to its project.
func (im *importer) addIndicator(p *proj, ind *indVals) {
	if len(p.indicators) == jixiao.MaxIndicatorsPerProject {
		if !p.tooMany {
			im.add(ind.sh, ind.row, fIndicator, p.v.id, fmt.Sprintf("项目“%s”的指标超过 %d 个的上限", p.label(), jixiao.MaxIndicatorsPerProject))
			p.tooMany = true
		}
		p.bad = true
		return
	}
	p.indicators = append(p.indicators, ind)
	if ind.bad {
		p.bad = true
	}
}

// finish checks what can only be checked once all rows are read, runs
// each project through the JSON decoder and orders the result.
func (im *importer) finish() *Import {
	imp := &Import{Format: im.format}
	listed := make(map[string]bool)
	for _, p := range im.projects {
		v := p.v
		for _, f := range []field{fName, fYear, fBudgetAdjusted, fSpent} {
			if !v.set[f] && !v.bad[f] && v.sh.has(f) {
				im.add(v.sh, v.first, f, v.id, v.sh.colName(f)+" 必须填写")
				p.bad = true
			}
		}
		if !v.set[fID] {
			p.bad = true // reported with the row
		}
		if !p.bad && !v.sh.broken && !im.taint {
			if out, ok := im.crossCheck(p); ok {
				imp.Projects = append(imp.Projects, out)
				continue
			}
		}
		if l := p.label(); !listed[l] {
			listed[l] = true
			imp.Invalid = append(imp.Invalid, l)
		}
	}
	sort.SliceStable(im.problems, func(i, j int) bool {
		a, b := im.problems[i], im.problems[j]
		if a.order != b.order {
			return a.order < b.order
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.col < b.col
	})
	for _, p := range im.problems {
		imp.Problems = append(imp.Problems, p.Problem)
	}
	return imp
}

// build makes the project of p's values.
func (p *proj) build() jixiao.Project {
	v := p.v
	out := jixiao.Project{
		ID:             v.id,
		Name:           v.name,
		Department:     v.dept,
		Year:           v.year,
		BudgetAdjusted: v.amount[fBudgetAdjusted],
		Spent:          v.amount[fSpent],
		Compliance:     v.rating,
		Indicators:     make([]jixiao.Indicator, 0, len(p.indicators)),
	}
	opt := func(f field) *jixiao.Decimal {
		if !v.set[f] {
			return nil
		}
		d := v.amount[f]
		return &d
	}
	out.BudgetInitial = opt(fBudgetInitial)
	out.FundsArrived = opt(fFundsArrived)
	out.Balance = opt(fBalance)
	if v.set[fRate] {
		r := v.rate
		out.ExecutionRate = &r
	}
	for _, ind := range p.indicators {
		out.Indicators = append(out.Indicators, ind.ind)
	}
	return out
}

// jsonFields maps the JSON decoder's field names to columns.
var jsonFields = map[string]field{
	"id": fID, "name": fName, "department": fDept, "year": fYear,
	"budget_initial": fBudgetInitial, "budget_adjusted": fBudgetAdjusted,
	"funds_arrived": fFundsArrived, "spent": fSpent, "balance": fBalance,
	"execution_rate": fRate, "compliance": fCompliance, "indicators": fID,
}

var jsonIndicatorFields = map[string]field{
	"level1": fLevel1, "level2": fLevel2, "name": fIndicator, "direction": fDirection,
	"target": fTarget, "actual": fActual, "rating": fRating, "unit": fUnit,
	"weight": fWeight, "deviation_reason": fReason,
}

var indicatorPath = regexp.MustCompile(`^indicators\[(\d+)\](?:\.(\w+))?$`)

// crossCheck runs a built project through the JSON project decoder, so
// that a spreadsheet can never let through what a JSON upload could
// not. It returns the decoded project; its rejections become problems
// on the cells they concern.
func (im *importer) crossCheck(p *proj) (jixiao.Project, bool) {
	built := p.build()
	doc, err := json.Marshal([]jixiao.Project{built})
	if err != nil {
		im.add(p.v.sh, p.v.first, fID, p.v.id, "不符合项目数据规则："+err.Error())
		return built, false
	}
	in, err := jixiao.DecodeProjectsBytes(doc)
	if err != nil {
		im.add(p.v.sh, p.v.first, fID, p.v.id, "不符合项目数据规则："+jixiao.ErrorMessage(err))
		return built, false
	}
	if len(in.Rejected) == 0 && len(in.Projects) == 1 {
		return in.Projects[0], true
	}
	for _, rej := range in.Rejected {
		for _, msg := range rej.Errors {
			im.decoderProblem(p, msg)
		}
	}
	return built, false
}

// decoderProblem places one of the JSON decoder's messages, "field:
// message", on the cell of that field.
func (im *importer) decoderProblem(p *proj, msg string) {
	path, text, ok := strings.Cut(msg, ": ")
	if !ok {
		path, text = "", msg
	}
	text = "不符合项目数据规则：" + text
	if m := indicatorPath.FindStringSubmatch(path); m != nil {
		i, _ := strconv.Atoi(m[1])
		if i < len(p.indicators) {
			ind := p.indicators[i]
			f, known := jsonIndicatorFields[m[2]]
			if !known {
				f = fIndicator
			}
			im.add(ind.sh, ind.row, f, p.v.id, text)
			return
		}
	}
	f, known := jsonFields[path]
	if !known {
		f = fID
	}
	row := p.v.first
	if p.v.row[f] > 0 {
		row = p.v.row[f]
	}
	im.add(p.v.sh, row, f, p.v.id, text)
}

// ---- Rows ----

// rowCtx reads the cells of one row, recording its problems.
type rowCtx struct {
	im      *importer
	sh      *sheet
	r       rowData
	project string
	bad     bool
}

func (im *importer) rowCtx(sh *sheet, r rowData, project string) *rowCtx {
	return &rowCtx{im: im, sh: sh, r: r, project: project}
}

func (x *rowCtx) cell(f field) cell {
	if !x.sh.has(f) {
		return cell{}
	}
	return x.r.at(x.sh.col[f] - 1)
}

func (x *rowCtx) name(f field) string { return x.sh.colName(f) }

func (x *rowCtx) fail(f field, msg string) {
	x.im.add(x.sh, x.r.num, f, x.project, msg)
	x.bad = true
}

// state of a cell read.
type state int

const (
	stBlank state = iota
	stOK
	stBad // the problem is reported
)

// str reads a text cell.
func (x *rowCtx) str(f field) (string, state) {
	c := x.cell(f)
	if c.blank() {
		return "", stBlank
	}
	if code, ok := excelError(c.raw); ok {
		x.fail(f, x.name(f)+" "+formulaMessage(code))
		return "", stBad
	}
	return c.text(), stOK
}

// projectCells reads the project columns of a row. continued tells a later
// row of a project of a combined sheet, and inherit is that project's
// 金额单位.
func (x *rowCtx) projectCells(inherit string, continued bool) *projVals {
	v := &projVals{sh: x.sh, first: x.r.num}
	note := func(f field, st state) bool {
		switch st {
		case stOK:
			v.set[f], v.row[f], v.text[f] = true, x.r.num, x.cell(f).text()
			return true
		case stBad:
			v.bad[f], v.row[f], v.text[f] = true, x.r.num, x.cell(f).text()
		}
		return false
	}
	var st state
	v.id, st = x.str(fID)
	if note(fID, st) {
		x.project = v.id
	} else if st == stBlank && !continued {
		x.fail(fID, x.name(fID)+" 必须填写")
		v.bad[fID] = true
	}
	v.name, st = x.str(fName)
	note(fName, st)
	v.dept, st = x.str(fDept)
	note(fDept, st)
	v.year, st = x.year(fYear)
	note(fYear, st)

	unit, st := x.moneyUnit()
	note(fMoneyUnit, st)
	v.unit = unit
	rowUnit := unit
	if rowUnit == "" {
		rowUnit = inherit
	}
	for f := fBudgetInitial; f <= fBalance; f++ {
		if st == stBad {
			// Amounts cannot be read without their unit; the unit's
			// problem is reported.
			if !x.cell(f).blank() {
				v.bad[f] = true
			}
			continue
		}
		var s state
		v.amount[f], s = x.amount(f, rowUnit)
		note(f, s)
	}
	v.rate, st = x.rate()
	note(fRate, st)
	v.rating, st = x.rating(fCompliance)
	note(fCompliance, st)
	return v
}

// moneyUnit reads 金额单位: 元 or 万元, blank for the default.
func (x *rowCtx) moneyUnit() (string, state) {
	s, st := x.str(fMoneyUnit)
	if st != stOK {
		return "", st
	}
	u := strings.TrimPrefix(strings.ReplaceAll(s, " ", ""), "人民币")
	if u != unitYuan && u != unitWanYuan {
		x.fail(fMoneyUnit, fmt.Sprintf("%s 只能是 元 或 万元，实际为 “%s”", x.name(fMoneyUnit), clip(s)))
		return "", stBad
	}
	for f := fBudgetInitial; f <= fBalance; f++ {
		if i := x.sh.col[f]; i > 0 {
			if hu := x.sh.cols[i-1].unit; hu != "" && hu != u && !x.cell(f).blank() {
				x.fail(fMoneyUnit, fmt.Sprintf("%s 为 %s，与列标题“%s”写明的 %s 不一致", x.name(fMoneyUnit), u, x.sh.cols[i-1].text, hu))
				return "", stBad
			}
		}
	}
	return u, stOK
}

// amount reads an amount of money in the column's unit: the unit in its
// header, else the row's 金额单位, else the unit written in the cell
// ("44.7438万元"), else 元. 万元 are converted to yuan exactly.
func (x *rowCtx) amount(f field, rowUnit string) (jixiao.Decimal, state) {
	c := x.cell(f)
	if c.blank() {
		return 0, stBlank
	}
	unit := x.sh.cols[x.sh.col[f]-1].unit
	if unit == "" {
		unit = rowUnit
	}
	nc, msg := readNumber(c, x.im.format == "xlsx", false)
	if msg == "" && nc.percent {
		msg = notNumber(c)
	}
	if msg != "" {
		x.fail(f, x.name(f)+" "+msg)
		return 0, stBad
	}
	switch {
	case unit == "" && nc.unit != "":
		unit = nc.unit
	case unit == "":
		unit = unitYuan
	case nc.unit != "" && nc.unit != unit:
		x.fail(f, fmt.Sprintf("%s 写的是 “%s”，但金额单位是 %s", x.name(f), clip(c.text()), unit))
		return 0, stBad
	}
	n := nc.n
	if nc.noisy {
		n = n.roundDigits(excelDigits)
	}
	if unit == unitWanYuan {
		n = n.shift(4)
	}
	d, err := jixiao.ParseDecimal(n.String())
	switch {
	case errors.Is(err, jixiao.ErrDecimalPlaces) && unit == unitWanYuan:
		x.fail(f, fmt.Sprintf("%s 以万元为单位时最多六位小数（到分），实际为 “%s”", x.name(f), clip(numberText(c))))
		return 0, stBad
	case errors.Is(err, jixiao.ErrDecimalPlaces):
		x.fail(f, fmt.Sprintf("%s 最多两位小数（到分），实际为 “%s”", x.name(f), clip(numberText(c))))
		return 0, stBad
	case err != nil:
		x.fail(f, fmt.Sprintf("%s 数额过大，实际为 “%s”", x.name(f), clip(numberText(c))))
		return 0, stBad
	}
	return d, stOK
}

// rate reads 执行率, a percentage: 91.31, 91.31% or a cell formatted as
// a percentage. It is rounded to two decimals, since it is often a
// formula's result; a fraction such as 0.9131 written without a percent
// sign is refused as ambiguous.
func (x *rowCtx) rate() (jixiao.Decimal, state) {
	c := x.cell(fRate)
	if c.blank() {
		return 0, stBlank
	}
	nc, msg := readNumber(c, x.im.format == "xlsx", false)
	if msg == "" && nc.unit != "" {
		msg = notNumber(c)
	}
	if msg != "" {
		x.fail(fRate, x.name(fRate)+" "+msg)
		return 0, stBad
	}
	n := nc.n
	if !nc.percent && !n.neg && n.digits != "" && n.cmp(num{digits: "1"}) <= 0 {
		x.fail(fRate, fmt.Sprintf("%s 应填写百分数（如 91.31 或 91.31%%），实际为 “%s”；如果确实是 %s%%，请写成 “%s%%”", x.name(fRate), clip(numberText(c)), n.plain(), n.plain()))
		return 0, stBad
	}
	d, err := jixiao.ParseDecimal(n.roundPlaces(2).String())
	if err != nil {
		x.fail(fRate, fmt.Sprintf("%s 数值过大，实际为 “%s”", x.name(fRate), clip(numberText(c))))
		return 0, stBad
	}
	return d, stOK
}

// year reads a four-digit year: 2024, 2024年 or 2024年度.
func (x *rowCtx) year(f field) (int, state) {
	c := x.cell(f)
	if c.blank() {
		return 0, stBlank
	}
	if code, ok := excelError(c.raw); ok {
		x.fail(f, x.name(f)+" "+formulaMessage(code))
		return 0, stBad
	}
	y, ok := quietYear(c)
	if !ok {
		_, msg := readNumber(yearCell(c), x.im.format == "xlsx", false)
		if strings.Contains(msg, "日期") || strings.Contains(msg, "逻辑值") {
			x.fail(f, fmt.Sprintf("%s 必须是四位年份（如 2024），%s", x.name(f), strings.TrimPrefix(msg, "必须是数字，")))
		} else {
			x.fail(f, fmt.Sprintf("%s 必须是四位年份（如 2024），实际为 “%s”", x.name(f), clip(c.text())))
		}
		return 0, stBad
	}
	return y, stOK
}

// yearCell strips a 年 or 年度 after a year written as text.
func yearCell(c cell) cell {
	strip := func(s string) string {
		s = clean(s)
		for _, suffix := range []string{"年度", "年"} {
			if t, ok := strings.CutSuffix(s, suffix); ok {
				return clean(t)
			}
		}
		return s
	}
	return cell{col: c.col, raw: strip(c.raw), shown: strip(c.shown)}
}

// quietYear reads a year without reporting anything.
func quietYear(c cell) (int, bool) {
	nc, msg := readNumber(yearCell(c), true, false)
	if msg != "" || nc.percent || nc.unit != "" || nc.n.neg || nc.n.exp < 0 || len(nc.n.digits)+nc.n.exp > 4 {
		return 0, false
	}
	y, err := strconv.Atoi(nc.n.digits + strings.Repeat("0", nc.n.exp))
	if err != nil || y < 1900 || y > 2200 {
		return 0, false
	}
	return y, true
}

// rating reads 达成, 部分达成 or 未达成; for 资金使用合规性 also 合规,
// 基本合规 and 不合规.
func (x *rowCtx) rating(f field) (jixiao.Rating, state) {
	s, st := x.str(f)
	if st != stOK {
		return "", st
	}
	if r, ok := parseRating(s, f == fCompliance); ok {
		return r, stOK
	}
	if f == fCompliance {
		x.fail(f, fmt.Sprintf("%s 只能是 达成、部分达成 或 未达成（也可写 合规、基本合规、不合规），实际为 “%s”", x.name(f), clip(s)))
	} else {
		x.fail(f, fmt.Sprintf("%s 只能是 达成、部分达成 或 未达成，实际为 “%s”", x.name(f), clip(s)))
	}
	return "", stBad
}

func parseRating(s string, compliance bool) (jixiao.Rating, bool) {
	s = strings.ReplaceAll(s, " ", "")
	switch r := jixiao.Rating(s); {
	case r.Valid():
		return r, true
	case !compliance:
		return "", false
	}
	switch s {
	case "合规", "是":
		return jixiao.Achieved, true
	case "基本合规":
		return jixiao.PartiallyAchieved, true
	case "不合规", "否":
		return jixiao.NotAchieved, true
	}
	return "", false
}

// ---- Indicators ----

// indVals is an indicator read from a row.
type indVals struct {
	sh  *sheet
	row int
	ind jixiao.Indicator
	bad bool
}

// indicatorRow reads the indicator columns of a row of a combined sheet.
func (im *importer) indicatorRow(sh *sheet, r rowData, project string) *indVals {
	x := im.rowCtx(sh, r, project)
	ind := x.indicator()
	ind.bad = ind.bad || x.bad
	return ind
}

// indicator reads the indicator columns of a row, with the JSON
// decoder's rules: a quantitative indicator has a target and no rating,
// a qualitative one a rating and no target or actual.
func (x *rowCtx) indicator() *indVals {
	iv := &indVals{sh: x.sh, row: x.r.num}
	ind := &iv.ind
	required := func(f field) string {
		s, st := x.str(f)
		if st == stBlank && x.sh.has(f) {
			x.fail(f, x.name(f)+" 必须填写")
		}
		return s
	}
	ind.Level1 = required(fLevel1)
	ind.Level2, _ = x.str(fLevel2)
	ind.Name = required(fIndicator)
	ind.Unit, _ = x.str(fUnit)
	ind.Unit = strings.ReplaceAll(ind.Unit, "％", "%")
	ind.DeviationReason, _ = x.str(fReason)

	dirText, dirState := x.str(fDirection)
	if dirState == stOK {
		d, ok := parseDirection(dirText)
		if !ok {
			x.fail(fDirection, fmt.Sprintf("%s 只能是 正向、大于、反向、小于、等于 或 定性（也可写 ≥、>、≤、<、=），实际为 “%s”", x.name(fDirection), clip(dirText)))
			dirState = stBad
		}
		ind.Direction = d
	}

	ratingText, ratingState := x.str(fRating)
	rating := func() jixiao.Rating {
		r, ok := parseRating(ratingText, false)
		if !ok {
			x.fail(fRating, fmt.Sprintf("%s 只能是 达成、部分达成 或 未达成，实际为 “%s”", x.name(fRating), clip(ratingText)))
			ratingState = stBad
		}
		return r
	}

	tc, ac := x.cell(fTarget), x.cell(fActual)
	var tpct, apct bool
	if ind.Direction == jixiao.Qualitative {
		if ratingState == stOK {
			ind.Rating = rating()
		}
		if !tc.blank() {
			x.fail(fTarget, fmt.Sprintf("定性指标的 %s 应留空（实际为 “%s”）：请在 %s 列填写 达成、部分达成 或 未达成", x.name(fTarget), clip(tc.text()), x.name(fRating)))
		}
		if !ac.blank() {
			r, ok := parseRating(ac.text(), false)
			switch {
			case !ok:
				x.fail(fActual, fmt.Sprintf("定性指标的 %s 只能留空或填写 达成、部分达成、未达成，实际为 “%s”", x.name(fActual), clip(ac.text())))
			case ratingState == stBlank:
				ind.Rating, ratingState = r, stOK
			case ratingState == stOK && r != ind.Rating:
				x.fail(fActual, fmt.Sprintf("%s “%s”与 %s “%s”不一致", x.name(fActual), r, x.name(fRating), ind.Rating))
			}
		}
		if ratingState == stBlank {
			x.fail(fRating, x.name(fRating)+" 必须填写：定性指标填 达成、部分达成 或 未达成")
		}
	} else {
		var cmp string
		var tst state
		ind.Target, tpct, cmp, tst = x.indicatorValue(fTarget, true)
		if cmp != "" {
			d, _ := parseDirection(cmp)
			switch {
			case dirState == stBlank:
				ind.Direction, dirState = d, stOK
			case dirState == stOK && d != ind.Direction:
				x.fail(fTarget, fmt.Sprintf("%s 中的 “%s”与 %s “%s”不一致", x.name(fTarget), cmp, x.name(fDirection), dirText))
			}
		}
		ind.Actual, apct, _, _ = x.indicatorValue(fActual, false)
		if dirState == stBlank && ind.Level1 != jixiao.CostLevel1 { // a cost indicator's comes from the rule set
			x.fail(fDirection, x.name(fDirection)+" 必须填写：正向、反向、等于 或 定性")
		}
		switch {
		case dirState != stOK && ratingState == stOK:
			// Whether the indicator takes a rating is not known; the
			// rating itself must still be one.
			rating()
		case dirState == stOK && ratingState == stOK:
			x.fail(fRating, fmt.Sprintf("只有定性指标填写 %s（本行 %s 为 “%s”）", x.name(fRating), x.name(fDirection), directionWord(ind.Direction)))
		}
		if tst == stBlank && (dirState == stOK || dirState == stBlank && ind.Level1 == jixiao.CostLevel1) {
			x.fail(fTarget, x.name(fTarget)+" 必须填写：定量指标须有年度指标值")
		}
	}
	if tpct || apct {
		switch ind.Unit {
		case "":
			ind.Unit = "%"
		case "%":
		default:
			f := fActual
			if tpct {
				f = fTarget
			}
			x.fail(f, fmt.Sprintf("%s 带百分号，但 %s 是 “%s”", x.name(f), x.name(fUnit), ind.Unit))
		}
	}
	if c := x.cell(fWeight); !c.blank() {
		ind.Weight = x.weight(c)
	}
	iv.bad = x.bad
	return iv
}

// indicatorValue reads 年度指标值 or 实际完成值: a number, perhaps in
// percent, and for a target perhaps after ≥, ≤ or =.
func (x *rowCtx) indicatorValue(f field, target bool) (v *float64, percent bool, cmp string, st state) {
	c := x.cell(f)
	if c.blank() {
		return nil, false, "", stBlank
	}
	nc, msg := readNumber(c, x.im.format == "xlsx", target)
	if msg == "" && nc.unit != "" {
		msg = notNumber(c)
	}
	if msg != "" {
		x.fail(f, x.name(f)+" "+msg)
		return nil, false, "", stBad
	}
	fv, err := strconv.ParseFloat(nc.n.String(), 64)
	if err != nil {
		x.fail(f, fmt.Sprintf("%s 超出数值范围，实际为 “%s”", x.name(f), clip(numberText(c))))
		return nil, false, "", stBad
	}
	return &fv, nc.percent, nc.cmp, stOK
}

// weight reads 分值: positive points with at most two decimals.
func (x *rowCtx) weight(c cell) *jixiao.Decimal {
	nc, msg := readNumber(c, x.im.format == "xlsx", false)
	if msg == "" && (nc.percent || nc.unit != "") {
		msg = notNumber(c)
	}
	if msg != "" {
		x.fail(fWeight, x.name(fWeight)+" "+msg)
		return nil
	}
	n := nc.n
	if nc.noisy {
		n = n.roundDigits(excelDigits)
	}
	d, err := jixiao.ParseDecimal(n.String())
	switch {
	case errors.Is(err, jixiao.ErrDecimalPlaces):
		x.fail(fWeight, fmt.Sprintf("%s 最多两位小数，实际为 “%s”", x.name(fWeight), clip(numberText(c))))
		return nil
	case err != nil:
		x.fail(fWeight, fmt.Sprintf("%s 数值过大，实际为 “%s”", x.name(fWeight), clip(numberText(c))))
		return nil
	case d <= 0:
		x.fail(fWeight, fmt.Sprintf("%s 必须大于 0，实际为 “%s”", x.name(fWeight), clip(numberText(c))))
		return nil
	}
	return &d
}

// parseDirection reads 指标性质.
func parseDirection(s string) (jixiao.Direction, bool) {
	return jixiao.ParseDirection(strings.ReplaceAll(halfWidth(s), " ", ""))
}

// directionWord names a direction as the template's dropdown does.
func directionWord(d jixiao.Direction) string {
	switch d {
	case jixiao.AtLeast:
		return "正向"
	case jixiao.Greater:
		return "大于"
	case jixiao.AtMost:
		return "反向"
	case jixiao.Less:
		return "小于"
	case jixiao.Exactly:
		return "等于"
	case jixiao.Qualitative:
		return "定性"
	}
	return string(d)
}

// ---- Values ----

// clean trims spaces of every kind, line breaks and invisible characters.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) })
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// excelErrors are the error values a formula can give.
var excelErrors = map[string]bool{
	"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true,
	"#NUM!": true, "#N/A": true, "#GETTING_DATA": true, "#SPILL!": true, "#CALC!": true,
	"#FIELD!": true, "#BLOCKED!": true, "#CONNECT!": true, "#BUSY!": true, "#UNKNOWN!": true,
	"#PYTHON!": true,
}

func excelError(raw string) (string, bool) {
	s := strings.ToUpper(clean(raw))
	return s, strings.HasPrefix(s, "#") && excelErrors[s]
}

func formulaMessage(code string) string {
	return "公式计算出错（" + code + "）：请修正公式或直接填写数值"
}

// excelDigits is the precision of a spreadsheet's numbers. A stored value
// with more significant digits carries binary noise from a formula
// (490000-447438.63 is stored as 42561.369999999995), and the
// spreadsheet itself shows it rounded to this many digits.
const excelDigits = 15

// num is a decimal number, exactly: digits × 10^exp.
type num struct {
	neg    bool
	digits string // no leading or trailing zeros; "" is zero
	exp    int
}

// maxExp bounds exponents so that arithmetic on them cannot overflow.
const maxExp = 1 << 20

// parsePlain reads an ASCII decimal number such as "-1234.5" or "1.5E+3".
func parsePlain(s string) (num, bool) {
	var n num
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		n.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart, frac := s[start:i], ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return n, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		es := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ds := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if ds == i {
			return n, false
		}
		e, err := strconv.Atoi(s[es:i])
		if err != nil || e > maxExp || e < -maxExp {
			e = maxExp
			if s[es] == '-' {
				e = -maxExp
			}
		}
		exp = e
	}
	if i != len(s) || len(frac) > maxExp {
		return n, false
	}
	n.digits, n.exp = intPart+frac, exp-len(frac)
	return n.norm(), true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func (n num) norm() num {
	d := strings.TrimLeft(n.digits, "0")
	t := strings.TrimRight(d, "0")
	n.exp += len(d) - len(t)
	n.digits = t
	if t == "" {
		return num{}
	}
	return n
}

// String writes n for jixiao.ParseDecimal and strconv.ParseFloat.
func (n num) String() string {
	if n.digits == "" {
		return "0"
	}
	s := n.digits
	if n.exp != 0 {
		s += "e" + strconv.Itoa(n.exp)
	}
	if n.neg {
		s = "-" + s
	}
	return s
}

// plain writes n without an exponent, for a message.
func (n num) plain() string {
	if n.digits == "" {
		return "0"
	}
	if n.exp > 30 || n.exp < -30 || len(n.digits) > 40 {
		return n.String()
	}
	var s string
	switch {
	case n.exp >= 0:
		s = n.digits + strings.Repeat("0", n.exp)
	case -n.exp >= len(n.digits):
		s = "0." + strings.Repeat("0", -n.exp-len(n.digits)) + n.digits
	default:
		k := len(n.digits) + n.exp
		s = n.digits[:k] + "." + n.digits[k:]
	}
	if n.neg {
		s = "-" + s
	}
	return s
}

// shift multiplies n by 10^k.
func (n num) shift(k int) num {
	if n.digits == "" {
		return n
	}
	n.exp += k
	return n
}

// cmp compares the magnitudes of n and m.
func (n num) cmp(m num) int {
	if n.digits == "" || m.digits == "" {
		return strings.Compare(n.digits, m.digits) // "" sorts first
	}
	ln, lm := len(n.digits)+n.exp, len(m.digits)+m.exp
	if ln != lm {
		if ln < lm {
			return -1
		}
		return 1
	}
	return strings.Compare(n.digits, m.digits)
}

// roundDigits rounds n half away from zero to at most k significant
// digits.
func (n num) roundDigits(k int) num {
	if len(n.digits) <= k {
		return n
	}
	keep, up := n.digits[:k], n.digits[k] >= '5'
	n.exp += len(n.digits) - k
	if up {
		keep = incDigits(keep)
	}
	n.digits = keep
	return n.norm()
}

// roundPlaces rounds n half away from zero to at most p decimals.
func (n num) roundPlaces(p int) num {
	if n.digits == "" || n.exp >= -p {
		return n
	}
	k := len(n.digits) + n.exp + p
	switch {
	case k < 0:
		return num{}
	case k == 0:
		if n.digits[0] >= '5' {
			return num{neg: n.neg, digits: "1", exp: -p}
		}
		return num{}
	}
	return n.roundDigits(k)
}

func incDigits(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// numberCell is a number read from a cell.
type numberCell struct {
	n       num    // in the units written: 95% is 95
	percent bool   // written with a percent sign, or shown as a percentage
	unit    string // 元 or 万元 written after the number
	cmp     string // ≥, >, ≤, < or = written before it (targets only)
	noisy   bool   // a workbook's stored number, which may carry binary noise
}

// readNumber reads a cell that must hold a number. A workbook's stored
// number is taken as stored, its display telling only a date, a boolean
// or a percentage; text is read leniently: full-width digits, thousands
// separators, a percent sign, 元 or 万元 after it, ≥ > ≤ < = before it when
// cmpOK. On failure it returns the end of a message: "必须是数字，实际为
// “约44万”".
func readNumber(c cell, xlsx, cmpOK bool) (numberCell, string) {
	var nc numberCell
	raw := clean(c.raw)
	if code, ok := excelError(raw); ok {
		return nc, formulaMessage(code)
	}
	if n, ok := parsePlain(raw); ok {
		nc.n = n
		shown := halfWidth(clean(c.shown))
		if xlsx && shown != "" && shown != raw {
			switch {
			case (raw == "1" || raw == "0") && (shown == "TRUE" || shown == "FALSE"):
				return nc, "必须是数字，实际为逻辑值 " + shown
			case shownAsDate.MatchString(shown):
				return nc, "必须是数字，实际为日期 “" + clip(shown) + "”：请把单元格格式改为“常规”或“数值”后重新填写"
			case strings.HasSuffix(shown, "%"):
				nc.n, nc.percent = n.shift(2), true
			case strings.HasSuffix(shown, unitWanYuan):
				nc.unit = unitWanYuan
			case strings.HasSuffix(shown, unitYuan):
				nc.unit = unitYuan
			}
		}
		nc.noisy = xlsx
		return nc, ""
	}
	t := halfWidth(raw)
	if cmpOK {
		for _, p := range [...]struct{ prefix, cmp string }{{">=", "≥"}, {"≥", "≥"}, {"<=", "≤"}, {"≤", "≤"}, {"==", "="}, {"=", "="}, {">", ">"}, {"<", "<"}} {
			if rest, ok := strings.CutPrefix(t, p.prefix); ok {
				nc.cmp, t = p.cmp, clean(rest)
				break
			}
		}
	}
	t = clean(strings.TrimPrefix(t, "¥"))
	switch {
	case strings.HasSuffix(t, "%"):
		nc.percent, t = true, clean(strings.TrimSuffix(t, "%"))
	case strings.HasSuffix(t, unitWanYuan):
		nc.unit, t = unitWanYuan, clean(strings.TrimSuffix(t, unitWanYuan))
	case strings.HasSuffix(t, unitYuan):
		nc.unit, t = unitYuan, clean(strings.TrimSuffix(t, unitYuan))
	}
	if t, ok := removeGroups(t); ok {
		if n, ok := parsePlain(t); ok {
			nc.n = n
			return nc, ""
		}
	}
	if writtenAsDate.MatchString(halfWidth(raw)) {
		return nc, "必须是数字，实际为日期 “" + clip(raw) + "”"
	}
	return nc, "必须是数字，实际为 “" + clip(raw) + "”"
}

// notNumber is readNumber's message for a number that the column does
// not take in that form (a percentage of money, an amount of points).
func notNumber(c cell) string {
	return "必须是数字，实际为 “" + clip(c.text()) + "”"
}

// numberText is a number cell as quoted in a message: the stored value
// of a workbook's number, which its display may round.
func numberText(c cell) string {
	if _, ok := parsePlain(clean(c.raw)); ok {
		return clean(c.raw)
	}
	return c.text()
}

var (
	// shownAsDate tells a number displayed as a date or a time.
	shownAsDate = regexp.MustCompile(`\d\s*[年月时]\s*\d|\d\s*[-/]\s*\d|\d\s*:\s*\d|[上下]午|(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)`)
	// writtenAsDate tells a date typed as text.
	writtenAsDate = regexp.MustCompile(`^\d{4}\s*[-/.年]\s*\d{1,2}(\s*[-/.月]\s*\d{1,2}\s*日?)?$|^\d{1,2}\s*月\s*\d{1,2}\s*日$`)
)

// removeGroups removes thousands separators (commas or spaces between
// groups of three digits) from the integer part of a number. It fails
// on separators anywhere else.
func removeGroups(t string) (string, bool) {
	isSep := func(r rune) bool { return r == ',' || unicode.IsSpace(r) }
	if strings.IndexFunc(t, isSep) < 0 {
		return t, true
	}
	sign := ""
	if t != "" && (t[0] == '-' || t[0] == '+') {
		sign, t = t[:1], t[1:]
	}
	end := strings.IndexAny(t, ".eE")
	if end < 0 {
		end = len(t)
	}
	intPart, rest := t[:end], t[end:]
	if strings.IndexFunc(rest, isSep) >= 0 {
		return "", false
	}
	groups := strings.FieldsFunc(intPart, isSep)
	if len(groups) < 2 || len(groups[0]) > 3 {
		return "", false
	}
	var b strings.Builder
	for i, g := range groups {
		if (i > 0 && len(g) != 3) || len(g) == 0 {
			return "", false
		}
		for j := 0; j < len(g); j++ {
			if !isDigit(g[j]) {
				return "", false
			}
		}
		b.WriteString(g)
	}
	// Every separator must sit between two groups: no doubled ones.
	if sepRuns(intPart) != len(groups)-1 {
		return "", false
	}
	return sign + b.String() + rest, true
}

// sepRuns counts the separator characters of s, so that "1,,234" or
// "1, 234" is refused.
func sepRuns(s string) int {
	n := 0
	for _, r := range s {
		if r == ',' || unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// halfWidth turns full-width digits and signs into ASCII, and the
// variants of ≥ and ≤ into those.
func halfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		}
		switch r {
		case '．':
			return '.'
		case '，':
			return ','
		case '－', '−', '﹣', '—':
			return '-'
		case '＋':
			return '+'
		case '％':
			return '%'
		case '＝':
			return '='
		case '＞':
			return '>'
		case '＜':
			return '<'
		case '≧':
			return '≥'
		case '≦':
			return '≤'
		case '￥':
			return '¥'
		case 'Ｅ', 'ｅ':
			return 'E'
		}
		return r
	}, s)
}
