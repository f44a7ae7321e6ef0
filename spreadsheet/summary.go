package spreadsheet

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// Sheet names of the summary workbook.
const (
	SummarySheet  = "评分汇总"
	GradesSheet   = "等级分布"
	FindingsSheet = "问题清单"
)

// summaryGrades are the grades every built-in rule set uses, listed in
// this order on the distribution sheet even when no project has them;
// any other grade follows in the order first seen.
var summaryGrades = []string{"优", "良", "中", "差"}

// Summary streams a summary workbook: one row per project with its
// scores, grade and findings on 评分汇总, then the grade distribution
// (等级分布) and every finding (问题清单).
//
// A row of 评分汇总 shows the score of each top-level indicator (不适用
// for a category that did not apply), the computed execution rate and
// the score of the indicator that read it, and, when the total was
// rescaled, the applicable points and the score before rescaling; then
// the total, the grade, the number of findings, the rule set, the first
// 12 hex digits of its file's SHA-256 and the whole hash. Every number
// is the engine's.
//
// Both the score rows and the findings are written with excelize stream
// writers, one per sheet. excelize keeps a separate buffer for each
// stream writer and moves it to a temporary file once it passes
// excelize.StreamChunkSize, so the two sheets can be streamed side by
// side and neither grows in memory with the number of projects; only the
// grade counts are kept. The distribution sheet is small and written in
// Close. excelize assembles the compressed file in memory when it is
// written out, so the peak is the size of the .xlsx, not of its rows.
//
// A Summary is not safe for concurrent use.
type Summary struct {
	w        io.Writer
	f        *excelize.File
	scores   *excelize.StreamWriter
	findings *excelize.StreamWriter
	topLevel []string
	header   int // row of the score sheet's header
	row      int // last row written on the score sheet
	issueRow int // last row written on the findings sheet
	count    int
	grades   map[string]int
	order    []string // grades in the order they are listed
	st       summaryStyles
	closed   bool
}

type summaryStyles struct {
	title, header, text, center, score, count, percent int
}

// NewSummary starts a summary workbook written to w by Close. title heads
// the score sheet; topLevel names the rule set's top-level indicators,
// one score column each, in order.
func NewSummary(w io.Writer, title string, topLevel []string) (*Summary, error) {
	if w == nil {
		return nil, errors.New("spreadsheet: NewSummary needs a writer")
	}
	f := excelize.NewFile()
	s := &Summary{
		w: w, f: f,
		topLevel: append([]string(nil), topLevel...),
		grades:   map[string]int{},
		order:    append([]string(nil), summaryGrades...),
	}
	if err := s.start(title); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *Summary) start(title string) error {
	f := s.f
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return err
	}
	for _, name := range []string{GradesSheet, FindingsSheet} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	if title != "" {
		if err := f.SetDocProps(&excelize.DocProperties{Title: title}); err != nil {
			return err
		}
	}
	var err error
	if s.st, err = newSummaryStyles(f); err != nil {
		return err
	}
	// Page setup goes into each sheet before its stream writer starts:
	// the stream writer copies the sheet's properties when it is made.
	for _, name := range []string{SummarySheet, GradesSheet, FindingsSheet} {
		if err := summaryPageSetup(f, name); err != nil {
			return err
		}
	}

	// 评分汇总
	if s.scores, err = f.NewStreamWriter(SummarySheet); err != nil {
		return err
	}
	header, widths := s.columns()
	for i, wd := range widths {
		if err := s.scores.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	s.header = 1
	if title != "" {
		s.header = 2
	}
	if err := s.scores.SetPanes(&excelize.Panes{
		Freeze: true, XSplit: 2, YSplit: s.header,
		TopLeftCell: exportCell(3, s.header+1), ActivePane: "bottomRight",
	}); err != nil {
		return err
	}
	if title != "" {
		if err := s.scores.SetRow("A1", []any{excelize.Cell{StyleID: s.st.title, Value: title}}, excelize.RowOpts{Height: 28}); err != nil {
			return err
		}
		if err := s.scores.MergeCell("A1", exportCell(len(header), 1)); err != nil {
			return err
		}
	}
	if err := s.scores.SetRow(exportCell(1, s.header), s.headerCells(header), excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	s.row = s.header

	// 问题清单
	if s.findings, err = f.NewStreamWriter(FindingsSheet); err != nil {
		return err
	}
	for i, wd := range []float64{13, 36, 7, 24, 90} {
		if err := s.findings.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := s.findings.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
	}); err != nil {
		return err
	}
	if err := s.findings.SetRow("A1", s.headerCells([]string{"项目编号", "项目名称", "级别", "检查", "说明"}), excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	s.issueRow = 1
	return nil
}

// The columns of 评分汇总 after the top-level indicators.
var summaryTail = []struct {
	name  string
	width float64
}{
	{"计算执行率", 11}, {"执行率得分", 11}, {"适用分值", 9}, {"折算前得分", 11},
	{"总分", 9}, {"等级", 7}, {"问题数", 8}, {"规则集", 18}, {"规则哈希", 15}, {"规则文件 SHA-256", 66},
}

// columns lists the headers of 评分汇总 and their widths.
func (s *Summary) columns() ([]string, []float64) {
	header := []string{"项目编号", "项目名称", "主管部门", "年度"}
	widths := []float64{13, 36, 26, 7}
	for _, name := range s.topLevel {
		header = append(header, name)
		widths = append(widths, max(10, float64(len([]rune(name)))*2+2))
	}
	for _, c := range summaryTail {
		header = append(header, c.name)
		widths = append(widths, c.width)
	}
	return header, widths
}

func (s *Summary) headerCells(names []string) []any {
	row := make([]any, len(names))
	for i, n := range names {
		row[i] = excelize.Cell{StyleID: s.st.header, Value: n}
	}
	return row
}

func newSummaryStyles(f *excelize.File) (summaryStyles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1},
		{Type: "bottom", Color: "000000", Style: 1},
	}
	font := &excelize.Font{Family: "宋体", Size: 10.5}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	var (
		st  summaryStyles
		err error
	)
	add := func(dst *int, style *excelize.Style) {
		if err != nil {
			return
		}
		*dst, err = f.NewStyle(style)
	}
	add(&st.title, &excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 16, Bold: true}, Alignment: center})
	add(&st.header, &excelize.Style{
		Font: &excelize.Font{Family: "宋体", Size: 10.5, Bold: true}, Border: border,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
	})
	add(&st.text, &excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Vertical: "center"}})
	add(&st.center, &excelize.Style{Font: font, Border: border, Alignment: center})
	add(&st.score, &excelize.Style{Font: font, Border: border, Alignment: center, NumFmt: numFmtScore})
	add(&st.count, &excelize.Style{Font: font, Border: border, Alignment: center, NumFmt: 1}) // 0
	add(&st.percent, &excelize.Style{Font: font, Border: border, Alignment: center, NumFmt: numFmtPercent})
	return st, err
}

func summaryPageSetup(f *excelize.File, sheet string) error {
	yes := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	a4, landscape, one, auto := 9, "landscape", 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &auto,
	}); err != nil {
		return err
	}
	return f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&C第 &P 页，共 &N 页",
	})
}

// Add writes one stored score: a row on the score sheet, a row per
// finding on the findings sheet, and a count towards its grade.
func (s *Summary) Add(rec *jixiao.ScoreRecord) error {
	if s.closed {
		return errors.New("spreadsheet: Add after Close")
	}
	if rec == nil {
		return errors.New("spreadsheet: Add of a nil score")
	}
	res := &rec.Result
	id := rec.ProjectID
	if id == "" {
		id = res.ProjectID
	}
	grade := rec.Grade
	if grade == "" {
		grade = res.Grade
	}
	total := rec.Total
	if total == 0 {
		total = res.Total
	}
	ruleSet := rec.RuleSetID
	if ruleSet == "" {
		ruleSet = res.RuleSet.ID
	}
	hash := rec.RuleSetHash
	if hash == "" {
		hash = res.RuleSet.Hash
	}
	st := s.st

	row := make([]any, 0, 4+len(s.topLevel)+len(summaryTail))
	row = append(row,
		excelize.Cell{StyleID: st.text, Value: id},
		excelize.Cell{StyleID: st.text, Value: res.ProjectName},
		excelize.Cell{StyleID: st.text, Value: rec.Department},
	)
	if rec.Year != 0 {
		row = append(row, excelize.Cell{StyleID: st.center, Value: rec.Year})
	} else {
		row = append(row, excelize.Cell{StyleID: st.center})
	}
	row = append(row, s.categoryCells(res)...)
	row = append(row, s.executionCells(res)...)
	row = append(row, s.rescaleCells(res)...)
	row = append(row,
		excelize.Cell{StyleID: st.score, Value: total.Float64()},
		excelize.Cell{StyleID: st.center, Value: grade},
		excelize.Cell{StyleID: st.count, Value: len(res.Findings)},
		excelize.Cell{StyleID: st.text, Value: ruleSet},
		excelize.Cell{StyleID: st.text, Value: jixiao.ShortHash(hash)},
		excelize.Cell{StyleID: st.text, Value: hash},
	)
	if err := s.scores.SetRow(exportCell(1, s.row+1), row); err != nil {
		return err
	}
	s.row++

	for _, fd := range res.Findings {
		if err := s.findings.SetRow(exportCell(1, s.issueRow+1), []any{
			excelize.Cell{StyleID: st.text, Value: id},
			excelize.Cell{StyleID: st.text, Value: res.ProjectName},
			excelize.Cell{StyleID: st.center, Value: fd.Severity.Label()},
			excelize.Cell{StyleID: st.text, Value: fd.Check},
			excelize.Cell{StyleID: st.text, Value: fd.Message},
		}); err != nil {
			return err
		}
		s.issueRow++
	}

	if _, seen := s.grades[grade]; !seen && !summaryHasGrade(s.order, grade) {
		s.order = append(s.order, grade)
	}
	s.grades[grade]++
	s.count++
	return nil
}

// categoryCells are the scores of the top-level indicators: blank for
// one the result lacks, 不适用 for a category that did not apply.
func (s *Summary) categoryCells(res *jixiao.Result) []any {
	st := s.st
	cells := make([]any, 0, len(s.topLevel))
	for _, name := range s.topLevel {
		n := summaryTopNode(res, name)
		switch {
		case n == nil:
			cells = append(cells, excelize.Cell{StyleID: st.score})
		case notApplicable(res, n):
			cells = append(cells, excelize.Cell{StyleID: st.center, Value: formNotApplicable})
		default:
			cells = append(cells, excelize.Cell{StyleID: st.score, Value: n.Score.Float64()})
		}
	}
	return cells
}

// executionCells are the computed execution rate and the score of the
// indicator that read it, blank when the result has none.
func (s *Summary) executionCells(res *jixiao.Result) []any {
	st := s.st
	rate := excelize.Cell{StyleID: st.percent}
	if res.ExecutionRate != nil {
		rate.Value = formFraction(*res.ExecutionRate)
	}
	score := excelize.Cell{StyleID: st.score}
	if n := formExecutionNode(res); n != nil {
		score.Value = n.Score.Float64()
	}
	return []any{rate, score}
}

// rescaleCells are the applicable points and the score before rescaling,
// blank when the total was not rescaled.
func (s *Summary) rescaleCells(res *jixiao.Result) []any {
	st := s.st
	points, sum := excelize.Cell{StyleID: st.score}, excelize.Cell{StyleID: st.score}
	if rs := res.Rescale; rs != nil {
		points.Value, sum.Value = rs.Applicable.Float64(), rs.Sum.Float64()
	}
	return []any{points, sum}
}

// summaryTopNode finds a top-level indicator of a result by name, or by id.
func summaryTopNode(r *jixiao.Result, name string) *jixiao.Node {
	for i := range r.Indicators {
		if r.Indicators[i].Name == name {
			return &r.Indicators[i]
		}
	}
	for i := range r.Indicators {
		if r.Indicators[i].ID == name {
			return &r.Indicators[i]
		}
	}
	return nil
}

func summaryHasGrade(list []string, g string) bool {
	for _, x := range list {
		if x == g {
			return true
		}
	}
	return false
}

// Rows reports how many scores have been added.
func (s *Summary) Rows() int { return s.count }

// Close writes the grade distribution, finishes the streamed sheets and
// writes the workbook. The Summary cannot be used afterwards.
func (s *Summary) Close() error {
	if s.closed {
		return errors.New("spreadsheet: Summary closed twice")
	}
	s.closed = true
	defer s.f.Close()
	if err := s.finish(); err != nil {
		return err
	}
	return s.f.Write(s.w)
}

func (s *Summary) finish() error {
	f := s.f
	last := 4 + len(s.topLevel) + len(summaryTail)
	if err := f.AutoFilter(SummarySheet, exportCell(1, s.header)+":"+exportCell(last, max(s.row, s.header+1)), nil); err != nil {
		return err
	}
	if err := f.AutoFilter(FindingsSheet, "A1:"+exportCell(5, max(s.issueRow, 2)), nil); err != nil {
		return err
	}
	if err := s.scores.Flush(); err != nil {
		return err
	}
	if err := s.findings.Flush(); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: SummarySheet,
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", SummarySheet, s.header, s.header),
	}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: FindingsSheet,
		RefersTo: fmt.Sprintf("'%s'!$1:$1", FindingsSheet),
	}); err != nil {
		return err
	}
	return s.writeGrades()
}

// writeGrades fills 等级分布: one row per grade with its count and share,
// a total row, and a column chart of the counts.
func (s *Summary) writeGrades() error {
	f, st, sheet := s.f, s.st, GradesSheet
	set := func(cell string, v any, style int) error {
		if v != nil {
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
		}
		return f.SetCellStyle(sheet, cell, cell, style)
	}
	for i, h := range []string{"等级", "项目数", "占比"} {
		if err := set(exportCell(i+1, 1), h, st.header); err != nil {
			return err
		}
	}
	for i, g := range s.order {
		r := i + 2
		label := g
		if label == "" {
			label = "（无等级）"
		}
		n := s.grades[g]
		var share any
		if s.count > 0 {
			share = float64(n) / float64(s.count)
		}
		if err := set(exportCell(1, r), label, st.center); err != nil {
			return err
		}
		if err := set(exportCell(2, r), n, st.count); err != nil {
			return err
		}
		if err := set(exportCell(3, r), share, st.percent); err != nil {
			return err
		}
	}
	totalRow := len(s.order) + 2
	var share any
	if s.count > 0 {
		share = 1.0
	}
	if err := set(exportCell(1, totalRow), "合计", st.center); err != nil {
		return err
	}
	if err := set(exportCell(2, totalRow), s.count, st.count); err != nil {
		return err
	}
	if err := set(exportCell(3, totalRow), share, st.percent); err != nil {
		return err
	}
	for col, wd := range map[string]float64{"A": 12, "B": 10, "C": 10} {
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	lastGrade := totalRow - 1
	return f.AddChart(sheet, "E2", &excelize.Chart{
		Type: excelize.Col,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("'%s'!$B$1", sheet),
			Categories: fmt.Sprintf("'%s'!$A$2:$A$%d", sheet, lastGrade),
			Values:     fmt.Sprintf("'%s'!$B$2:$B$%d", sheet, lastGrade),
		}},
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "自评等级分布"}}},
		Legend: excelize.ChartLegend{Position: "none"},
		PlotArea: excelize.ChartPlotArea{
			ShowVal: true,
		},
		Dimension: excelize.ChartDimension{Width: 480, Height: 290},
	})
}

// WriteScoreSummary writes the summary workbook of every score that store
// holds for f, reading them a page of f.Limit at a time. first is the
// first page for f, which the caller has read already to know that some
// score matches; its first record gives the indicator columns.
func WriteScoreSummary(ctx context.Context, w io.Writer, title string, store jixiao.Store, f jixiao.ScoreFilter, first []jixiao.ScoreRecord) error {
	if len(first) == 0 {
		return jixiao.Errorf(jixiao.ENOTFOUND, "no scores match the filter")
	}
	var topLevel []string
	for _, n := range first[0].Result.Indicators {
		topLevel = append(topLevel, n.Name)
	}
	sum, err := NewSummary(w, title, topLevel)
	if err != nil {
		return err
	}
	for page := first; ; {
		for i := range page {
			if err := sum.Add(&page[i]); err != nil {
				return err
			}
		}
		if f.Limit <= 0 || len(page) < f.Limit {
			break
		}
		f.Offset += f.Limit
		if page, _, err = store.FindScores(ctx, f); err != nil {
			return err
		}
	}
	return sum.Close()
}
