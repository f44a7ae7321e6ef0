package spreadsheet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/xuri/excelize/v2"

	"jixiao"
)

// FormSheet is the name of the sheet WriteForm writes.
const FormSheet = "自评表"

// Number formats, as Excel's built-in format ids.
const (
	numFmtScore   = 2  // 0.00
	numFmtMoney   = 4  // #,##0.00
	numFmtPercent = 10 // 0.00%
)

// The form has nine columns, A to I, shared by the funds block and the
// indicator block as on the paper form: 分值 is column G in both.
var formColumns = [...]float64{
	10, // A  row labels: 项目名称, 项目资金, 绩效指标 …
	11, // B  一级指标
	13, // C  二级指标
	26, // D  三级指标 / 年初预算数
	16, // E  年度指标值 / 全年预算数
	16, // F  实际完成值 / 全年执行数
	9,  // G  分值
	11, // H  得分 / 计算执行率
	38, // I  偏差原因分析及改进措施 / 得分
}

// WriteForm writes the 项目支出绩效自评表 of one scored project as .xlsx,
// laid out as the form annexed to 财预〔2020〕10号, on one sheet named
// 自评表 with columns A to I:
//
//	1       title 项目支出绩效自评表 (A:I merged)
//	2       （2024年度） (A:I)
//	3       项目名称 | name (B:I)
//	4       主管部门 | department (B:E) | 实施单位 | department (G:I)
//	5       项目编号 | id (B:I)
//	6–10    项目资金（元） (A, merged down) with the headers 年初预算数,
//	        全年预算数, 全年执行数, 分值, 计算执行率, 得分 in D:I, the rate's
//	        header with a note on how it was computed and what the unit
//	        stated; row 7 年度资金总额 holds the amounts, the execution
//	        indicator's points, the result's execution rate (a fraction
//	        shown as 0.00%, — when the result has none) and its score; rows 8–10
//	        (其中：当年财政拨款, 上年结转资金, 其他资金) are left for the unit
//	11–12   年度总体目标 (A): 预期目标 (B:E) and 实际完成情况 (F:I), blank
//	13–     绩效指标 (A, merged down): the header 一级指标, 二级指标,
//	        三级指标, 年度指标值, 实际完成值, 分值, 得分, 偏差原因分析及改进措施
//	        in B:I, then one row per leaf of the result, 一级 and 二级
//	        merged down over their runs of rows
//	then    总分 (A:F) | points | total | a note when the total was rescaled
//	        自评等级 (A:F) | grade (G:I)
//	        数据质量问题 (A, merged down): 级别, 检查, 说明 (D:I), one row per
//	        finding, or 无
//	        评分规则 | rule set id, version and the SHA-256 of its file
//
// Money is #,##0.00, points and scores 0.00. The sheet prints on A4
// landscape, one page wide, with rows 1–2 repeated on every page.
//
// year is the fiscal year printed under the title; 0 takes the project's.
func WriteForm(w io.Writer, p *jixiao.Project, r *jixiao.Result, year int) error {
	if p == nil || r == nil {
		return errors.New("spreadsheet: WriteForm needs a project and its result")
	}
	if year == 0 {
		year = p.Year
	}
	f := excelize.NewFile()
	defer f.Close()
	fw, err := newFormWriter(f)
	if err != nil {
		return err
	}
	if err := fw.write(p, r, year); err != nil {
		return err
	}
	return f.Write(w)
}

// formStyles are the cell styles of the form.
type formStyles struct {
	title, subtitle           int
	label, header, text, left int
	money, score, percent     int
	grade                     int
}

type formWriter struct {
	f      *excelize.File
	st     formStyles
	row    int   // the last row written
	height []int // lines of text per row, to size the rows
	err    error
}

func newFormWriter(f *excelize.File) (*formWriter, error) {
	fw := &formWriter{f: f}
	if err := f.SetSheetName("Sheet1", FormSheet); err != nil {
		return nil, err
	}
	var err error
	fw.st, err = newFormStyles(f)
	if err != nil {
		return nil, err
	}
	for i, wd := range formColumns {
		col := exportCol(i + 1)
		if err := f.SetColWidth(FormSheet, col, col, wd); err != nil {
			return nil, err
		}
	}
	return fw, nil
}

func newFormStyles(f *excelize.File) (formStyles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1},
		{Type: "bottom", Color: "000000", Style: 1},
	}
	font := &excelize.Font{Family: "宋体", Size: 10.5}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	left := &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}
	right := &excelize.Alignment{Horizontal: "right", Vertical: "center"}
	var (
		st  formStyles
		err error
	)
	add := func(dst *int, s *excelize.Style) {
		if err != nil {
			return
		}
		*dst, err = f.NewStyle(s)
	}
	add(&st.title, &excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 18, Bold: true},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	add(&st.subtitle, &excelize.Style{Font: font, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	add(&st.label, &excelize.Style{Font: font, Border: border, Alignment: center})
	add(&st.header, &excelize.Style{Font: &excelize.Font{Family: "宋体", Size: 10.5, Bold: true}, Border: border, Alignment: center})
	add(&st.text, &excelize.Style{Font: font, Border: border, Alignment: center})
	add(&st.left, &excelize.Style{Font: font, Border: border, Alignment: left})
	add(&st.money, &excelize.Style{Font: font, Border: border, Alignment: right, NumFmt: numFmtMoney})
	add(&st.score, &excelize.Style{Font: font, Border: border, Alignment: center, NumFmt: numFmtScore})
	add(&st.percent, &excelize.Style{Font: font, Border: border, Alignment: center, NumFmt: numFmtPercent})
	add(&st.grade, &excelize.Style{Font: &excelize.Font{Family: "宋体", Size: 12, Bold: true}, Border: border, Alignment: center})
	return st, err
}

// cell writes v into one cell, or into the merged range from..to of the
// current row (columns 1-based), with a style over the whole range.
func (fw *formWriter) cell(from, to int, v any, style int) {
	fw.cellAt(fw.row, fw.row, from, to, v, style)
}

// cellAt writes v into the range rows r1..r2, columns c1..c2, merging it
// when it spans more than one cell.
func (fw *formWriter) cellAt(r1, r2, c1, c2 int, v any, style int) {
	if fw.err != nil {
		return
	}
	tl := exportCell(c1, r1)
	br := exportCell(c2, r2)
	if v != nil {
		if fw.err = fw.f.SetCellValue(FormSheet, tl, v); fw.err != nil {
			return
		}
	}
	if fw.err = fw.f.SetCellStyle(FormSheet, tl, br, style); fw.err != nil {
		return
	}
	if tl != br {
		fw.err = fw.f.MergeCell(FormSheet, tl, br)
	}
	if s, ok := v.(string); ok && r1 == r2 {
		var width float64
		for c := c1; c <= c2; c++ {
			width += formColumns[c-1]
		}
		fw.lines(r1, wrappedLines(s, width))
	}
}

// note attaches a comment to a cell, as a note a reader sees on pointing
// at it; it is not printed.
func (fw *formWriter) note(cell, text string) {
	if fw.err != nil {
		return
	}
	lines := strings.Count(text, "\n") + 1 + len([]rune(text))/16
	fw.err = fw.f.AddComment(FormSheet, excelize.Comment{
		Cell:      cell,
		Author:    "说明",
		Paragraph: []excelize.RichTextRun{{Text: text}},
		Width:     260,
		Height:    uint(min(320, 24+16*lines)),
	})
}

// lines records that row needs room for n lines of text.
func (fw *formWriter) lines(row, n int) {
	for len(fw.height) <= row {
		fw.height = append(fw.height, 0)
	}
	fw.height[row] = max(fw.height[row], n)
}

// next starts a new row.
func (fw *formWriter) next() int {
	fw.row++
	return fw.row
}

func (fw *formWriter) write(p *jixiao.Project, r *jixiao.Result, year int) error {
	st := fw.st
	const last = len(formColumns)

	// Header.
	fw.next()
	fw.cell(1, last, "项目支出绩效自评表", st.title)
	fw.setHeight(fw.row, 32)
	fw.next()
	yearText := "（　　年度）"
	if year > 0 {
		yearText = fmt.Sprintf("（%d年度）", year)
	}
	fw.cell(1, last, yearText, st.subtitle)
	fw.setHeight(fw.row, 20)
	name := p.Name
	if name == "" {
		name = r.ProjectName
	}
	id := p.ID
	if id == "" {
		id = r.ProjectID
	}
	fw.next()
	fw.cell(1, 1, "项目名称", st.label)
	fw.cell(2, last, name, st.left)
	fw.next()
	fw.cell(1, 1, "主管部门", st.label)
	fw.cell(2, 5, p.Department, st.left)
	fw.cell(6, 6, "实施单位", st.label)
	fw.cell(7, last, p.Department, st.left)
	fw.next()
	fw.cell(1, 1, "项目编号", st.label)
	fw.cell(2, last, id, st.left)

	// Funds: 年度资金总额 with the execution rate and its score, and the
	// three 其中 rows the unit may fill in by hand.
	exec := formExecutionNode(r)
	top := fw.next()
	fw.cell(2, 3, nil, st.label)
	for i, h := range []string{"年初预算数", "全年预算数", "全年执行数", "分值", formComputedRate, "得分"} {
		fw.cell(4+i, 4+i, h, st.header)
	}
	fw.note(exportCell(8, fw.row), formRateNote(p, r))
	fw.next()
	fw.cell(2, 3, "年度资金总额", st.label)
	if p.BudgetInitial != nil {
		fw.cell(4, 4, p.BudgetInitial.Float64(), st.money)
	} else {
		fw.cell(4, 4, nil, st.money)
	}
	fw.cell(5, 5, p.BudgetAdjusted.Float64(), st.money)
	fw.cell(6, 6, p.Spent.Float64(), st.money)
	if rate, ok := formExecutionRate(r); ok {
		fw.cell(8, 8, rate, st.percent)
	} else {
		fw.cell(8, 8, "—", st.text)
	}
	if exec != nil {
		fw.cell(7, 7, exec.Points.Float64(), st.score)
		fw.cell(9, 9, exec.Score.Float64(), st.score)
	} else {
		fw.cell(7, 7, "—", st.text)
		fw.cell(9, 9, "—", st.text)
	}
	for _, label := range []string{"其中：当年财政拨款", "上年结转资金", "其他资金"} {
		fw.next()
		fw.cell(2, 3, label, st.label)
		for c := 4; c <= 6; c++ {
			fw.cell(c, c, nil, st.money)
		}
		fw.cell(7, 7, "—", st.text)
		fw.cell(8, 8, nil, st.percent)
		fw.cell(9, 9, "—", st.text)
	}
	fw.cellAt(top, fw.row, 1, 1, "项目资金（元）", st.label)

	// 年度总体目标: the project carries no goal text, so the unit fills it in.
	top = fw.next()
	fw.cell(2, 5, "预期目标", st.header)
	fw.cell(6, last, "实际完成情况", st.header)
	fw.next()
	fw.cell(2, 5, "", st.left)
	fw.cell(6, last, "", st.left)
	fw.lines(fw.row, 4)
	fw.cellAt(top, fw.row, 1, 1, "年度总体目标", st.label)

	// Indicators.
	top = fw.next()
	for i, h := range []string{"一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"} {
		fw.cell(2+i, 2+i, h, st.header)
	}
	rows := formRows(p, r, exec)
	first := fw.row + 1
	for _, fr := range rows {
		fw.next()
		fw.cell(2, 2, fr.level1, st.text)
		fw.cell(3, 3, fr.level2, st.text)
		fw.cell(4, 4, fr.level3, st.left)
		fw.cell(5, 5, fr.target, st.text)
		fw.cell(6, 6, fr.actual, st.text)
		fw.cell(7, 7, fr.points.Float64(), st.score)
		fw.cell(8, 8, fr.score.Float64(), st.score)
		fw.cell(9, 9, fr.reason, st.left)
	}
	fw.mergeRuns(rows, first)
	fw.cellAt(top, fw.row, 1, 1, "绩效指标", st.label)

	// Total and grade: the engine's total. The points column adds up the
	// points of the indicators that apply; when some do not, the engine
	// has rescaled the total to 100, as the note says.
	var points jixiao.Decimal
	for _, n := range r.Indicators {
		points += n.Points
	}
	fw.next()
	fw.cell(1, 6, "总分", st.header)
	fw.cell(7, 7, points.Float64(), st.score)
	fw.cell(8, 8, r.Total.Float64(), st.score)
	note := ""
	if points > 0 && points != jixiao.Points(100) {
		note = fmt.Sprintf("适用分值 %s 分，总分按适用分值折算为百分制", points.Trimmed())
	}
	fw.cell(9, 9, note, st.left)
	fw.next()
	fw.cell(1, 6, "自评等级", st.header)
	fw.cell(7, last, r.Grade, st.grade)
	fw.setHeight(fw.row, 22)

	// Findings.
	top = fw.next()
	fw.cell(2, 2, "级别", st.header)
	fw.cell(3, 3, "检查", st.header)
	fw.cell(4, last, "说明", st.header)
	if len(r.Findings) == 0 {
		fw.next()
		fw.cell(2, last, "无", st.left)
	}
	for _, fd := range r.Findings {
		fw.next()
		fw.cell(2, 2, fd.Severity.Label(), st.text)
		fw.cell(3, 3, fd.Check, st.text)
		fw.cell(4, last, fd.Message, st.left)
	}
	fw.cellAt(top, fw.row, 1, 1, "数据质量问题", st.label)

	fw.next()
	fw.cell(1, 1, "评分规则", st.label)
	fw.cell(2, last, formRuleSetLine(r.RuleSet), st.left)

	fw.sizeRows()
	if fw.err != nil {
		return fw.err
	}
	return fw.pageSetup()
}

// mergeRuns merges 一级指标 over each run of rows with the same level 1,
// and 二级指标 over each run with the same level 1 and level 2, as the
// paper form does.
func (fw *formWriter) mergeRuns(rows []formRow, first int) {
	merge := func(col int, key func(formRow) string) {
		start := 0
		for i := 1; i <= len(rows); i++ {
			if i < len(rows) && key(rows[i]) == key(rows[start]) {
				continue
			}
			if i-1 > start && key(rows[start]) != "" {
				if fw.err == nil {
					fw.err = fw.f.MergeCell(FormSheet, exportCell(col, first+start), exportCell(col, first+i-1))
				}
			}
			start = i
		}
	}
	merge(2, func(r formRow) string { return r.level1 })
	merge(3, func(r formRow) string {
		if r.level2 == "" {
			return ""
		}
		return r.level1 + "\x00" + r.level2
	})
}

// sizeRows gives each row the height its wrapped text needs, estimated
// from the column widths: spreadsheet programs do not fit merged cells to
// their text.
func (fw *formWriter) sizeRows() {
	for row, n := range fw.height {
		if n > 1 && fw.err == nil {
			fw.err = fw.f.SetRowHeight(FormSheet, row, math.Min(409, float64(n)*14+6))
		} else if n == 1 && fw.err == nil {
			fw.err = fw.f.SetRowHeight(FormSheet, row, 20)
		}
	}
}

func (fw *formWriter) setHeight(row int, h float64) {
	if fw.err == nil {
		fw.err = fw.f.SetRowHeight(FormSheet, row, h)
	}
	fw.lines(row, 0)
	fw.height[row] = -1 // sized already
}

// pageSetup prints the form on A4 landscape, one page wide, repeating
// the title rows on every page.
func (fw *formWriter) pageSetup() error {
	f := fw.f
	yes := true
	if err := f.SetSheetProps(FormSheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	a4, landscape, one, auto := 9, "landscape", 1, 0
	if err := f.SetPageLayout(FormSheet, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &auto,
	}); err != nil {
		return err
	}
	side, edge, hf := 0.4, 0.6, 0.3
	if err := f.SetPageMargins(FormSheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &hf, Footer: &hf, Horizontally: &yes,
	}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(FormSheet, &excelize.HeaderFooterOptions{
		OddFooter: "&C第 &P 页，共 &N 页",
	}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: "'" + FormSheet + "'!$1:$2",
		Scope:    FormSheet,
	})
}

// formRow is one row of the indicator block.
type formRow struct {
	level1, level2, level3 string
	target, actual         string
	points, score          jixiao.Decimal
	reason                 string
}

// formRows lists the leaves of the result in tree order, except the
// execution indicator, which the funds block shows. A leaf drawn from one
// of the project's own indicators takes its levels, values and deviation
// reason from that indicator; a fixed indicator of the rule set, or a
// group the project left empty, is placed by its position in the tree.
func formRows(p *jixiao.Project, r *jixiao.Result, exec *jixiao.Node) []formRow {
	m := newLeafMatcher(p)
	var rows []formRow
	var walk func(nodes []jixiao.Node, path []*jixiao.Node)
	walk = func(nodes []jixiao.Node, path []*jixiao.Node) {
		for j := range nodes {
			n := &nodes[j]
			if len(n.Children) > 0 {
				walk(n.Children, append(path, n))
				continue
			}
			if n == exec {
				continue
			}
			chain := append(path[:len(path):len(path)], n)
			var ind *jixiao.Indicator
			if len(path) > 0 && isProjectLeaf(path[len(path)-1], n, j) {
				ind = m.match(n.Name, path)
			}
			rows = append(rows, formLeafRow(n, chain, ind))
		}
	}
	walk(r.Indicators, nil)
	return rows
}

func formLeafRow(n *jixiao.Node, chain []*jixiao.Node, ind *jixiao.Indicator) formRow {
	fr := formRow{points: n.Points, score: n.Score, reason: n.ReasonText()}
	if ind == nil {
		// A fixed indicator or an empty group: 一级, 二级 and 三级 are its
		// place in the rule set's tree.
		fr.level1 = chain[0].Name
		if len(chain) >= 2 {
			fr.level2 = chain[1].Name
		}
		if len(chain) >= 3 {
			fr.level3 = chain[len(chain)-1].Name
		}
		return fr
	}
	fr.level1 = ind.Level1
	if fr.level1 == "" {
		fr.level1 = chain[0].Name
	}
	fr.level2 = ind.Level2
	if fr.level2 == "" && len(chain) >= 3 {
		fr.level2 = chain[len(chain)-2].Name
	}
	fr.level3 = n.Name
	fr.target, fr.actual = formTarget(ind), formActual(ind)
	if ind.DeviationReason != "" {
		fr.reason = ind.DeviationReason
	}
	return fr
}

// isProjectLeaf reports whether n, the j-th child of parent, is one of
// the project's own indicators: the engine names those "<group>.<n>".
func isProjectLeaf(parent, n *jixiao.Node, j int) bool {
	return n.ID == parent.ID+"."+strconv.Itoa(j+1)
}

// leafMatcher finds the project indicator behind each leaf. Within a
// group the leaves keep the project's order, so each leaf takes the next
// unused indicator of the same name; where indicators of one name sit in
// several groups, the one whose level 1 and level 2 fit the leaf's
// ancestors is preferred.
type leafMatcher struct {
	inds []jixiao.Indicator
	used []bool
	last int // index of the last match, to keep the project's order
}

func newLeafMatcher(p *jixiao.Project) *leafMatcher {
	return &leafMatcher{inds: p.Indicators, used: make([]bool, len(p.Indicators)), last: -1}
}

func (m *leafMatcher) match(name string, path []*jixiao.Node) *jixiao.Indicator {
	best, bestFit := -1, -1
	// Search from just after the previous match, wrapping around, so that
	// ties keep the project's order.
	n := len(m.inds)
	for k := 0; k < n; k++ {
		i := (m.last + 1 + k) % n
		if m.used[i] || m.inds[i].Name != name {
			continue
		}
		if fit := levelFitness(&m.inds[i], path); fit > bestFit {
			best, bestFit = i, fit
		}
	}
	if best < 0 {
		return nil
	}
	m.used[best] = true
	m.last = best
	return &m.inds[best]
}

// levelFitness scores how well an indicator's levels fit a leaf's ancestors.
func levelFitness(ind *jixiao.Indicator, path []*jixiao.Node) int {
	fit := 0
	for d, a := range path {
		if levelLike(ind.Level1, a.Name) && d == 0 {
			fit += 2
		}
		if levelLike(ind.Level2, a.Name) && d > 0 {
			fit += 2
		}
		if levelLike(ind.Level1, a.Name) || levelLike(ind.Level2, a.Name) {
			fit++
		}
	}
	return fit
}

// levelLike reports whether a level name and a tree name name the same thing:
// "社会效益指标" and "社会效益".
func levelLike(level, name string) bool {
	if level == "" || name == "" {
		return false
	}
	return strings.HasPrefix(level, name) || strings.HasPrefix(name, level)
}

// formExecutionNode is the indicator the funds block scores: "execution", or
// failing that the one named 预算执行率.
func formExecutionNode(r *jixiao.Result) *jixiao.Node {
	if n := r.Find("execution"); n != nil && len(n.Children) == 0 {
		return n
	}
	var find func([]jixiao.Node) *jixiao.Node
	find = func(nodes []jixiao.Node) *jixiao.Node {
		for i := range nodes {
			if nodes[i].Name == "预算执行率" && len(nodes[i].Children) == 0 {
				return &nodes[i]
			}
			if n := find(nodes[i].Children); n != nil {
				return n
			}
		}
		return nil
	}
	return find(r.Indicators)
}

// formComputedRate heads the execution rate of the funds block: the rate
// the engine computed, told apart from the rate the unit stated.
const formComputedRate = "计算执行率"

// formExecutionRate is the result's execution rate, computed by the engine
// as the rule set defines it, returned as a fraction for a 0.00% format:
// 91.31% is 0.9131. It is false when the result records no rate.
func formExecutionRate(r *jixiao.Result) (float64, bool) {
	if r.ExecutionRate == nil {
		return 0, false
	}
	return float64(r.ExecutionRate.Hundredths()) / 10000, true
}

// formRateNote explains the computed execution rate, with the stated one
// beside it.
func formRateNote(p *jixiao.Project, r *jixiao.Result) string {
	var b strings.Builder
	rs := r.RuleSet.ID
	if r.RuleSet.Version != "" {
		rs += "（" + r.RuleSet.Version + "）"
	}
	if r.ExecutionRate != nil {
		fmt.Fprintf(&b, "计算执行率：评分引擎按规则集 %s 定义的公式计算，四舍五入保留两位小数，为 %s%%。", rs, r.ExecutionRate)
	} else {
		fmt.Fprintf(&b, "计算执行率：规则集 %s 未定义执行率公式，评分结果中没有计算执行率。", rs)
	}
	if p.ExecutionRate != nil {
		fmt.Fprintf(&b, "\n填报执行率：%s%%（单位填报，未用于此格）。", p.ExecutionRate)
	} else {
		b.WriteString("\n填报执行率：未填报。")
	}
	return b.String()
}

// formTarget is the 年度指标值 as printed: direction, value and unit,
// "≥90%"; a qualitative indicator shows 定性.
func formTarget(ind *jixiao.Indicator) string {
	if ind.Direction == jixiao.Qualitative {
		return ind.Direction.Label()
	}
	if ind.Target == nil {
		return ""
	}
	return ind.Direction.Label() + formNumber(*ind.Target) + ind.Unit
}

// formActual is the 实际完成值: the value with its unit, or the rating of
// a qualitative indicator.
func formActual(ind *jixiao.Indicator) string {
	if ind.Direction == jixiao.Qualitative {
		return string(ind.Rating)
	}
	if ind.Actual == nil {
		return ""
	}
	return formNumber(*ind.Actual) + ind.Unit
}

func formNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func formRuleSetLine(ref jixiao.RuleSetRef) string {
	s := ref.ID
	if ref.Version != "" {
		s += "，版本 " + ref.Version
	}
	if ref.Hash != "" {
		s += "，规则文件 SHA-256 " + ref.Hash
	}
	return s
}

// wrappedLines estimates how many lines s wraps to in a column width wide:
// a CJK character takes two units of width.
func wrappedLines(s string, width float64) int {
	if s == "" {
		return 1
	}
	usable := max(1, int(width*0.95))
	lines := 0
	for _, part := range strings.Split(s, "\n") {
		w := runewidth.StringWidth(part)
		lines += max(1, (w+usable-1)/usable)
	}
	return lines
}

func exportCol(c int) string {
	name, _ := excelize.ColumnNumberToName(c)
	return name
}

func exportCell(c, r int) string {
	name, _ := excelize.CoordinatesToCellName(c, r)
	return name
}
