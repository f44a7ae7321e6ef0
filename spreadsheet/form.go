package spreadsheet

import (
	"context"
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
	numFmtPercent = 10 // 0.00%
)

// numFmtWanYuan shows an amount in 万元 with at least two decimals and
// up to the six that a yuan amount with cents needs: 44.743863.
const numFmtWanYuan = "#,##0.00####"

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
//	4       主管部门 | department (B:E) | 实施单位 | implementing unit (G:I)
//	5       项目编号 | id (B:I)
//	6–11    项目资金（万元） (A, merged down) with the headers 年初预算数,
//	        全年预算数, 全年执行数, 分值, 计算执行率, 得分 in D:I, the rate's
//	        header with a note on how it was computed and what the unit
//	        stated; row 7 年度资金总额 holds the amounts, the points of the
//	        execution indicator (the node that read the rate), the result's
//	        execution rate (a fraction shown as 0.00%, — when the result
//	        has none) and its score, with the engine's reason as a note;
//	        rows 8–10 (其中：当年财政拨款, 上年结转资金, 其他资金) the fund
//	        sources' budget and spending, — for points, rate and score;
//	        row 11 偏差原因分析及改进措施, the unit's reason for the
//	        execution rate (D:I)
//	12–13   年度总体目标 (A): 预期目标 (B:E) and 实际完成情况 (F:I)
//	14–     绩效指标 (A, merged down): the header 一级指标, 二级指标,
//	        三级指标, 年度指标值, 实际完成值, 分值, 得分, 偏差原因分析及改进措施
//	        in B:I, then one row per leaf of the result, 一级 and 二级
//	        merged down over their runs of rows; the last column holds the
//	        unit's own reason only, and the engine's reason for a score is
//	        a note on the score; a category that does not apply shows 不适用
//	then    when the total was rescaled, 适用指标合计 (A:F) | applicable
//	        points | sum of scores | the sums in words
//	        总分 (A:F) | points | total | the rescaling step, when rescaled
//	        自评等级 (A:F) | grade (G:I)
//	        数据质量问题 (A, merged down): 级别, 说明 (C:I), one row per
//	        finding, or 无
//	        评分规则 | rule set id, version and the SHA-256 of its file
//
// Money is in 万元, exactly (#,##0.00####); points and scores 0.00. Every
// number is the engine's: the form computes no score and no rate. The
// sheet prints on A4 landscape, one page wide, with rows 1–2 repeated on
// every page.
//
// year is the fiscal year printed under the title; 0 takes the project's.
// A result whose leaves name indicators the project does not have is an
// error: it was not scored from this project.
func WriteForm(w io.Writer, p *jixiao.Project, r *jixiao.Result, year int) error {
	return WriteReviewedForm(w, p, r, nil, year)
}

// VersionScorer scores a project with the stored rule-set version whose
// hash is given.
type VersionScorer func(ctx context.Context, ruleSetHash string, p *jixiao.Project) (*jixiao.Result, error)

// WriteStoredForm writes the 自评表 of the stored score rec, from the
// input it scored (not a later edit), and returns that input. When the
// bureau approved that version with deductions, the form also shows the
// self-score: the version the department submitted, scored by score with
// the same rule-set version.
func WriteStoredForm(ctx context.Context, w io.Writer, store jixiao.Store, rec *jixiao.ScoreRecord, year int, score VersionScorer) (*jixiao.Project, error) {
	input, err := store.FindInput(ctx, rec.InputHash)
	if err != nil {
		return nil, err
	}
	var self *jixiao.Result
	if input.HasDeductions() {
		state, err := store.FindReviews(ctx, rec.Year, rec.ProjectID)
		if err != nil {
			return nil, err
		}
		if submitted := state.SubmittedBefore(rec.InputHash); submitted != "" {
			selfInput, err := store.FindInput(ctx, submitted)
			if err != nil {
				return nil, err
			}
			if self, err = score(ctx, rec.RuleSetHash, selfInput); err != nil {
				return nil, fmt.Errorf("the self-score of %s: %w", rec.ProjectID, err)
			}
		}
	}
	return input, WriteReviewedForm(w, input, &rec.Result, self, year)
}

// WriteReviewedForm writes the 自评表 of a project the bureau approved
// with deductions: p is the approved version and r its (reviewed) result,
// self the result of the version the department submitted. After the
// indicators it shows the self-score, then a 复核扣分 block (A merged
// down): 三级指标 (B:C), 自评得分 (D), 扣分 (E), 复核得分 (F), 扣分理由
// (G:I), one row per deducted indicator, each score the engine's; the
// total and grade rows are then the reviewed ones (复核总分, 复核等级).
// A nil self is WriteForm.
func WriteReviewedForm(w io.Writer, p *jixiao.Project, r, self *jixiao.Result, year int) error {
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
	fw.self = self
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
	// self is the result of the version the department submitted, when
	// the bureau approved another (with deductions).
	self *jixiao.Result
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
	wan := numFmtWanYuan
	add(&st.money, &excelize.Style{Font: font, Border: border, Alignment: right, CustomNumFmt: &wan})
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
	rows, exec, err := formRows(p, r)
	if err != nil {
		return err
	}
	fw.writeHeader(p, r, year)
	fw.writeFunds(p, r, exec)
	fw.writeGoals(p)
	fw.writeIndicators(rows)
	if fw.self != nil {
		fw.writeSelfScore(p, r)
	}
	fw.writeTotal(r)
	fw.writeFindings(r.Findings)
	fw.next()
	fw.cell(1, 1, "评分规则", fw.st.label)
	fw.cell(2, formLast, formRuleSetLine(r.RuleSet), fw.st.left)

	fw.sizeRows()
	if fw.err != nil {
		return fw.err
	}
	return fw.pageSetup()
}

// formLast is the last column of the form, I.
const formLast = len(formColumns)

// writeHeader writes the title and the rows that name the project.
func (fw *formWriter) writeHeader(p *jixiao.Project, r *jixiao.Result, year int) {
	st := fw.st
	fw.next()
	fw.cell(1, formLast, "项目支出绩效自评表", st.title)
	fw.setHeight(fw.row, 32)
	fw.next()
	yearText := "（　　年度）"
	if year > 0 {
		yearText = fmt.Sprintf("（%d年度）", year)
	}
	fw.cell(1, formLast, yearText, st.subtitle)
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
	fw.cell(2, formLast, name, st.left)
	fw.next()
	fw.cell(1, 1, "主管部门", st.label)
	fw.cell(2, 5, p.Department, st.left)
	fw.cell(6, 6, "实施单位", st.label)
	fw.cell(7, formLast, p.ImplementingUnit, st.left)
	fw.next()
	fw.cell(1, 1, "项目编号", st.label)
	fw.cell(2, formLast, id, st.left)
}

// fundSource is one 其中 row of the funds block.
type fundSource struct {
	label          string
	budget, actual *jixiao.Decimal
}

func fundSources(p *jixiao.Project) []fundSource {
	return []fundSource{
		{"其中：当年财政拨款", p.AppropriationBudget, p.AppropriationSpent},
		{"上年结转资金", p.CarryOverBudget, p.CarryOverSpent},
		{"其他资金", p.OtherBudget, p.OtherSpent},
	}
}

// writeFunds writes the funds block: 年度资金总额 with the execution rate
// and its score, the three fund sources, and the unit's reason for the
// execution rate.
func (fw *formWriter) writeFunds(p *jixiao.Project, r *jixiao.Result, exec *jixiao.Node) {
	st := fw.st
	top := fw.next()
	fw.cell(2, 3, nil, st.label)
	for i, h := range []string{"年初预算数", "全年预算数", "全年执行数", "分值", formComputedRate, "得分"} {
		fw.cell(4+i, 4+i, h, st.header)
	}
	fw.note(exportCell(8, fw.row), formRateNote(p, r))

	fw.next()
	fw.cell(2, 3, "年度资金总额", st.label)
	fw.money(4, p.BudgetInitial)
	fw.money(5, &p.BudgetAdjusted)
	fw.money(6, &p.Spent)
	if r.ExecutionRate != nil {
		fw.cell(8, 8, formFraction(*r.ExecutionRate), st.percent)
	} else {
		fw.cell(8, 8, "—", st.text)
	}
	if exec != nil {
		fw.cell(7, 7, exec.Points.Float64(), st.score)
		fw.cell(9, 9, exec.Score.Float64(), st.score)
		fw.scoreNote(9, exec)
	} else {
		fw.cell(7, 7, "—", st.text)
		fw.cell(9, 9, "—", st.text)
	}
	for _, src := range fundSources(p) {
		fw.next()
		fw.cell(2, 3, src.label, st.label)
		fw.money(4, nil)
		fw.money(5, src.budget)
		fw.money(6, src.actual)
		for c := 7; c <= 9; c++ {
			fw.cell(c, c, "—", st.text)
		}
	}
	fw.next()
	fw.cell(2, 3, formReasonHeader, st.label)
	fw.cell(4, formLast, p.ExecutionReason, st.left)
	fw.cellAt(top, fw.row, 1, 1, "项目资金（万元）", st.label)
}

// formReasonHeader heads the unit's own explanation of a deviation.
const formReasonHeader = "偏差原因分析及改进措施"

// money writes an amount of yuan in 万元 into column c of the current
// row; nil leaves the cell blank.
func (fw *formWriter) money(c int, d *jixiao.Decimal) {
	if d == nil {
		fw.cell(c, c, nil, fw.st.money)
		return
	}
	fw.cell(c, c, wanYuan(*d), fw.st.money)
}

// wanYuan is an amount of yuan in 万元: 447438.63 → 44.743863. The
// decimal is exact, and the float the nearest to it, which a spreadsheet
// writes and shows as that decimal.
func wanYuan(d jixiao.Decimal) float64 {
	f, _ := jixiao.NumeralOf(d.Hundredths()).Shift(-6).Float64()
	return f
}

// scoreNote puts the engine's reason for a node's score as a note on
// the score in column c of the current row.
func (fw *formWriter) scoreNote(c int, n *jixiao.Node) {
	if reason := n.ReasonText(); reason != "" {
		fw.note(exportCell(c, fw.row), "评分说明："+reason)
	}
}

// writeGoals writes 年度总体目标: the expected goals and what was
// achieved, as the unit wrote them.
func (fw *formWriter) writeGoals(p *jixiao.Project) {
	st := fw.st
	top := fw.next()
	fw.cell(2, 5, "预期目标", st.header)
	fw.cell(6, formLast, "实际完成情况", st.header)
	fw.next()
	fw.cell(2, 5, p.GoalExpected, st.left)
	fw.cell(6, formLast, p.GoalAchieved, st.left)
	fw.lines(fw.row, 4)
	fw.cellAt(top, fw.row, 1, 1, "年度总体目标", st.label)
}

// writeIndicators writes the indicator block, one row per leaf.
func (fw *formWriter) writeIndicators(rows []formRow) {
	st := fw.st
	top := fw.next()
	for i, h := range []string{"一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", formReasonHeader} {
		fw.cell(2+i, 2+i, h, st.header)
	}
	first := fw.row + 1
	for _, fr := range rows {
		fw.next()
		fw.cell(2, 2, fr.level1, st.text)
		fw.cell(3, 3, fr.level2, st.text)
		fw.cell(4, 4, fr.level3, st.left)
		fw.cell(5, 5, fr.target, st.text)
		fw.cell(6, 6, fr.actual, st.text)
		if fr.notApplicable {
			fw.cell(7, 7, "—", st.text)
			fw.cell(8, 8, formNotApplicable, st.text)
		} else {
			fw.cell(7, 7, fr.node.Points.Float64(), st.score)
			fw.cell(8, 8, fr.node.Score.Float64(), st.score)
		}
		fw.scoreNote(8, fr.node)
		fw.cell(9, 9, fr.reason, st.left)
	}
	fw.mergeRuns(rows, first)
	fw.cellAt(top, fw.row, 1, 1, "绩效指标", st.label)
}

// formNotApplicable marks a category that does not apply to the project.
const formNotApplicable = "不适用"

// writeTotal writes the total and the grade, the engine's. When a
// category did not apply, a row before the total adds up the points and
// scores of those that did, and the total row shows the step to the
// total, all in the engine's numbers.
func (fw *formWriter) writeTotal(r *jixiao.Result) {
	st := fw.st
	points := jixiao.Points(100)
	if rs := r.Rescale; rs != nil {
		fw.next()
		fw.cell(1, 6, "适用指标合计", st.header)
		fw.cell(7, 7, rs.Applicable.Float64(), st.score)
		fw.cell(8, 8, rs.Sum.Float64(), st.score)
		fw.cell(9, 9, fmt.Sprintf("适用分值合计 %s 分，得分合计 %s 分", rs.Applicable.Trimmed(), rs.Sum), st.left)
	} else {
		points = 0
		for _, n := range r.Indicators {
			points += n.Points
		}
	}
	total, grade := "总分", "自评等级"
	if fw.self != nil {
		total, grade = "复核总分", "复核等级"
	}
	fw.next()
	fw.cell(1, 6, total, st.header)
	fw.cell(7, 7, points.Float64(), st.score)
	fw.cell(8, 8, r.Total.Float64(), st.score)
	fw.cell(9, 9, formRescaleText(r), st.left)
	fw.next()
	fw.cell(1, 6, grade, st.header)
	fw.cell(7, formLast, r.Grade, st.grade)
	fw.setHeight(fw.row, 22)
}

// writeSelfScore writes the department's self-score and grade, then the
// reviewer's deductions: for each deducted indicator its self-score, the
// deduction, the reviewed score and the reason.
func (fw *formWriter) writeSelfScore(p *jixiao.Project, r *jixiao.Result) {
	st, self := fw.st, fw.self
	fw.next()
	fw.cell(1, 6, "自评总分", st.header)
	fw.cell(7, 7, "", st.score)
	fw.cell(8, 8, self.Total.Float64(), st.score)
	fw.cell(9, 9, "自评等级 "+self.Grade, st.left)
	top := fw.next()
	fw.cell(2, 3, "三级指标", st.header)
	fw.cell(4, 4, "自评得分", st.header)
	fw.cell(5, 5, "扣分", st.header)
	fw.cell(6, 6, "复核得分", st.header)
	fw.cell(7, formLast, "扣分理由", st.header)
	leaves := func(res *jixiao.Result) map[int]*jixiao.Node {
		out := map[int]*jixiao.Node{}
		for n := range res.Nodes() {
			if n.Indicator > 0 {
				out[n.Indicator] = n
			}
		}
		return out
	}
	selfLeaves, reviewed := leaves(self), leaves(r)
	listed := false
	for i, ind := range p.Indicators {
		if ind.Deduction == nil || reviewed[i+1] == nil || selfLeaves[i+1] == nil {
			continue
		}
		listed = true
		fw.next()
		fw.cell(2, 3, ind.Name, st.left)
		fw.cell(4, 4, selfLeaves[i+1].Score.Float64(), st.score)
		fw.cell(5, 5, ind.Deduction.Float64(), st.score)
		fw.cell(6, 6, reviewed[i+1].Score.Float64(), st.score)
		fw.cell(7, formLast, ind.DeductionReason, st.left)
	}
	if !listed {
		fw.next()
		fw.cell(2, formLast, "无", st.left)
	}
	fw.cellAt(top, fw.row, 1, 1, "复核扣分", st.label)
}

// formRescaleText is the step from the applicable indicators to the
// total, or "" when the total was not rescaled.
func formRescaleText(r *jixiao.Result) string {
	rs := r.Rescale
	if rs == nil {
		return ""
	}
	return fmt.Sprintf("折算总分 = %s × 100 ÷ %s = %s 分", rs.Sum, rs.Applicable.Trimmed(), r.Total)
}

// writeFindings lists the findings as finance staff read them: the
// severity's label and the message, in Chinese.
func (fw *formWriter) writeFindings(findings []jixiao.Finding) {
	st := fw.st
	top := fw.next()
	fw.cell(2, 2, "级别", st.header)
	fw.cell(3, formLast, "说明", st.header)
	if len(findings) == 0 {
		fw.next()
		fw.cell(2, formLast, "无", st.left)
	}
	for _, fd := range findings {
		fw.next()
		fw.cell(2, 2, fd.Severity.Label(), st.text)
		fw.cell(3, formLast, fd.Message, st.left)
	}
	fw.cellAt(top, fw.row, 1, 1, "数据质量问题", st.label)
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

// formRow is one row of the indicator block: a leaf of the result.
type formRow struct {
	node                   *jixiao.Node
	level1, level2, level3 string
	target, actual         string
	reason                 string // the unit's own, never the engine's
	notApplicable          bool   // a category that does not apply
}

// formRows lists the leaves of the result in tree order, except the
// execution indicator, which the funds block shows. A leaf that scored
// one of the project's own indicators (Node.Indicator) takes its levels,
// values and deviation reason from that indicator; a fixed indicator of
// the rule set, or a group the project left empty, is placed by its
// position in the tree. The execution indicator is the node that read
// the computed rate (Node.ExecutionRate); when several did, each keeps
// its own row and the funds block shows no points or score.
func formRows(p *jixiao.Project, r *jixiao.Result) ([]formRow, *jixiao.Node, error) {
	exec := formExecutionNode(r)
	var rows []formRow
	var walk func(nodes []jixiao.Node, path []*jixiao.Node) error
	walk = func(nodes []jixiao.Node, path []*jixiao.Node) error {
		for j := range nodes {
			n := &nodes[j]
			if len(n.Children) > 0 {
				if err := walk(n.Children, append(path, n)); err != nil {
					return err
				}
				continue
			}
			if n == exec {
				continue
			}
			chain := append(path[:len(path):len(path)], n)
			var ind *jixiao.Indicator
			if n.Indicator > 0 {
				if n.Indicator > len(p.Indicators) {
					return fmt.Errorf("spreadsheet: the result's indicator %s scored the project's indicator %d, but project %s has %d", n.ID, n.Indicator, p.ID, len(p.Indicators))
				}
				ind = &p.Indicators[n.Indicator-1]
			}
			row := formLeafRow(n, chain, ind)
			row.notApplicable = len(path) == 0 && notApplicable(r, n)
			rows = append(rows, row)
		}
		return nil
	}
	if err := walk(r.Indicators, nil); err != nil {
		return nil, nil, err
	}
	return rows, exec, nil
}

func formLeafRow(n *jixiao.Node, chain []*jixiao.Node, ind *jixiao.Indicator) formRow {
	fr := formRow{node: n}
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
	fr.level3 = ind.Name
	fr.target, fr.actual = formTarget(ind), formActual(ind)
	fr.reason = ind.DeviationReason
	return fr
}

// notApplicable tells a top-level node of a category that does not apply
// to the project: the engine left it without points and rescaled the
// total, and its reason says that the project has no such indicators.
func notApplicable(r *jixiao.Result, n *jixiao.Node) bool {
	return r.Rescale != nil && n.Points == 0 && len(n.Children) == 0 && strings.HasPrefix(n.ReasonText(), "项目无")
}

// formExecutionNode is the leaf whose formulas read the computed
// execution rate, when exactly one did.
func formExecutionNode(r *jixiao.Result) *jixiao.Node {
	var found []*jixiao.Node
	for n := range r.Nodes() {
		if n.ExecutionRate != nil && len(n.Children) == 0 {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

// formComputedRate heads the execution rate of the funds block: the rate
// the engine computed, told apart from the rate the unit stated.
const formComputedRate = "计算执行率"

// formFraction is a percentage as a fraction for a 0.00% format: 91.31%
// is 0.9131, read from the decimal exactly.
func formFraction(pct jixiao.Decimal) float64 {
	f, _ := jixiao.NumeralOf(pct.Hundredths()).Shift(-4).Float64()
	return f
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
