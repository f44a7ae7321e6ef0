package spreadsheet

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

const (
	// markAuthor signs the comments MarkWorkbook adds, so that marking a
	// workbook that was marked before first removes the old marks.
	markAuthor = "导入检查"
	// markFill is the light red of a problem cell.
	markFill = "FFC7CE"
	// maxComments bounds the comments added: beyond it, problems are
	// still filled and listed, without a comment each.
	maxComments = 5000
	// maxLinks bounds the links of the 问题清单 sheet, under the
	// spreadsheet's limit of 65,530 per sheet.
	maxLinks = 60000
)

// MarkWorkbook writes a copy of an uploaded .xlsx in which each problem
// cell is filled light red and commented with its messages, plus a
// 问题清单 sheet listing all problems, each linked to its cell. For a CSV
// upload it builds a workbook of the CSV's rows and marks that; a JSON
// upload cannot be marked. Marks left by an earlier MarkWorkbook are
// removed first, so that a marked workbook can be fixed, uploaded and
// marked again.
func MarkWorkbook(w io.Writer, upload []byte, name string, problems []Problem, more int) error {
	lim := DefaultLimits()
	// The caller has just read the upload (Read), which leaves as much
	// garbage as the workbook opened whole below takes: collected first,
	// the two do not add up in the process's peak memory.
	runtime.GC()
	if int64(len(upload)) > lim.MaxBytes {
		return jixiao.Errorf(jixiao.ETOOLARGE, "文件超过 %s 的大小上限", formatBytes(lim.MaxBytes))
	}
	var f *excelize.File
	if bytes.HasPrefix(upload, zipMagic) {
		if err := checkZip(upload, lim); err != nil {
			return err
		}
		var err error
		if f, err = openWorkbook(upload, lim); err != nil {
			return err
		}
	} else {
		format, err := detectFormat(upload, name)
		if err != nil {
			return err
		}
		if format != "csv" {
			return jixiao.Errorf(jixiao.EUNSUPPORTED, "只能标注 .xlsx 或 CSV 文件")
		}
		if f, err = csvWorkbook(upload, name, lim); err != nil {
			return err
		}
	}
	defer f.Close()
	m := &marker{f: f, styles: make(map[int]int), cols: make(map[string]*headerMap)}
	if err := m.clearOld(); err != nil {
		return err
	}
	if err := m.mark(problems); err != nil {
		return err
	}
	if err := m.list(problems, more); err != nil {
		return err
	}
	return f.Write(w)
}

// csvWorkbook builds a workbook of a CSV file's rows, numbered as Read
// numbers them, in a sheet named as Read names it. Numbers that a
// spreadsheet keeps exactly are written as numbers, except in the
// columns of text such as 项目编号; everything else as text.
func csvWorkbook(data []byte, name string, lim Limits) (*excelize.File, error) {
	text, _, err := decodeCSV(data)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	sheet := csvSheetName(name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		f.Close()
		return nil, err
	}
	header, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	b := &budget{lim: lim}
	var textCol map[int]bool
	rows, searched := 0, 0
	err = readCSVRecords(text, func(row int, rec []string) error {
		if err := b.grid(sheet, len(rec)); err != nil {
			return err
		}
		cells := makeRow(rec, nil)
		if len(cells) == 0 {
			return nil
		}
		rows++
		if err := b.row(sheet, rows, len(cells)); err != nil {
			return err
		}
		isHeader := false
		if textCol == nil && searched < headerSearch {
			searched++
			if isHeaderRow(cells) {
				isHeader, textCol = true, make(map[int]bool)
				for _, c := range cells {
					fl := resolveHeader(c.text()).field
					textCol[c.col] = fl != fNone && isTextField(fl)
				}
			}
		}
		for _, c := range cells {
			i, s := c.col, c.raw
			ref, err := excelize.CoordinatesToCellName(i+1, row)
			if err != nil {
				return jixiao.Errorf(jixiao.ETOOLARGE, "CSV 文件第 %d 行的列数超过工作表的上限", row)
			}
			v, verr := strconv.ParseFloat(s, 64)
			if !textCol[i] && verr == nil && strconv.FormatFloat(v, 'f', -1, 64) == s {
				err = f.SetCellFloat(sheet, ref, v, -1, 64)
			} else {
				err = f.SetCellStr(sheet, ref, s)
			}
			if err != nil {
				return err
			}
		}
		if isHeader {
			last, _ := excelize.CoordinatesToCellName(len(rec), row)
			if err := f.SetCellStyle(sheet, "A"+strconv.Itoa(row), last, header); err != nil {
				return err
			}
			if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: row, TopLeftCell: "A" + strconv.Itoa(row+1), ActivePane: "bottomLeft"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	_ = f.SetColWidth(sheet, "A", "Z", 14)
	return f, nil
}

// isTextField tells the columns of text, whose values are never numbers.
func isTextField(f field) bool {
	switch f {
	case fTarget, fActual, fWeight, fProposedScore, fDeduction, fYear, fRate:
		return false
	}
	return !f.isAmount()
}

// marker marks problems in a workbook.
type marker struct {
	f      *excelize.File
	styles map[int]int // a cell's style → the same with the red fill
	cols   map[string]*headerMap
}

// headerMap finds the columns of a sheet by their header.
type headerMap struct {
	byText  map[string]int // header as written → column, 1-based
	byField map[field]int
}

// clearOld removes the marks of an earlier MarkWorkbook: its comments,
// the red fill of the cells they were on, and its 问题清单 sheet.
func (m *marker) clearOld() error {
	for _, sheet := range m.f.GetSheetList() {
		if sheet == sheetProblems {
			continue
		}
		comments, err := m.f.GetComments(sheet)
		if err != nil {
			continue
		}
		for _, c := range comments {
			if c.Author != markAuthor {
				continue
			}
			if err := m.f.DeleteComment(sheet, c.Cell); err != nil {
				return err
			}
			if err := m.unfill(sheet, c.Cell); err != nil {
				return err
			}
		}
	}
	if idx, _ := m.f.GetSheetIndex(sheetProblems); idx >= 0 && len(m.f.GetSheetList()) > 1 {
		return m.f.DeleteSheet(sheetProblems)
	}
	return nil
}

// unfill removes the red fill from a cell that has it.
func (m *marker) unfill(sheet, ref string) error {
	id, err := m.f.GetCellStyle(sheet, ref)
	if err != nil {
		return nil
	}
	style, err := m.f.GetStyle(id)
	if err != nil || style.Fill.Pattern != 1 || len(style.Fill.Color) == 0 || !strings.EqualFold(strings.TrimPrefix(style.Fill.Color[0], "FF"), markFill) && !strings.EqualFold(style.Fill.Color[0], markFill) {
		return nil
	}
	style.Fill = excelize.Fill{}
	plain, err := m.f.NewStyle(style)
	if err != nil {
		return nil
	}
	return m.f.SetCellStyle(sheet, ref, ref, plain)
}

// header reads the header row of a sheet as Read finds it.
func (m *marker) header(sheet string) *headerMap {
	if h, ok := m.cols[sheet]; ok {
		return h
	}
	h := &headerMap{byText: make(map[string]int), byField: make(map[field]int)}
	m.cols[sheet] = h
	rows, err := m.f.Rows(sheet)
	if err != nil {
		return h
	}
	defer rows.Close()
	for searched := 0; searched < headerSearch && rows.Next(); {
		vals, err := rows.Columns()
		if err != nil {
			break
		}
		cells := makeRow(vals, nil)
		if len(cells) == 0 {
			continue
		}
		searched++
		if !isHeaderRow(cells) {
			continue
		}
		for _, c := range cells {
			t := c.text()
			if _, dup := h.byText[t]; !dup {
				h.byText[t] = c.col + 1
			}
			if fl := resolveHeader(t).field; fl != fNone {
				if _, dup := h.byField[fl]; !dup {
					h.byField[fl] = c.col + 1
				}
			}
		}
		break
	}
	return h
}

// column finds the column of a problem: by its header as written, by
// the column it names, or by its letter; else the first column.
func (h *headerMap) column(name string) int {
	name = clean(name)
	if c, ok := h.byText[name]; ok {
		return c
	}
	if fl := resolveHeader(name).field; fl != fNone {
		if c, ok := h.byField[fl]; ok {
			return c
		}
	}
	if name != "" && len(name) <= 3 && strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		if c, err := excelize.ColumnNameToNumber(name); err == nil {
			return c
		}
	}
	return 1
}

// mark fills and comments each problem's cell, gathering the messages
// of one cell into one comment.
func (m *marker) mark(problems []Problem) error {
	type spot struct{ sheet, ref string }
	var order []spot
	msgs := make(map[spot][]string)
	for _, p := range problems {
		if p.Sheet == "" || p.Sheet == sheetProblems {
			continue
		}
		if idx, err := m.f.GetSheetIndex(p.Sheet); err != nil || idx < 0 {
			continue
		}
		ref, err := excelize.CoordinatesToCellName(m.header(p.Sheet).column(p.Column), max(1, p.Row))
		if err != nil {
			continue
		}
		s := spot{p.Sheet, ref}
		if _, seen := msgs[s]; !seen {
			order = append(order, s)
		}
		msgs[s] = append(msgs[s], p.Message)
	}
	existing := make(map[spot]excelize.Comment)
	read := make(map[string]bool)
	for _, s := range order {
		if read[s.sheet] {
			continue
		}
		read[s.sheet] = true
		comments, _ := m.f.GetComments(s.sheet)
		for _, c := range comments {
			existing[spot{s.sheet, c.Cell}] = c
		}
	}
	for i, s := range order {
		if err := m.fill(s.sheet, s.ref); err != nil {
			return err
		}
		if i >= maxComments {
			continue
		}
		text := strings.Join(msgs[s], "\n")
		if old, ok := existing[s]; ok {
			// Keep the user's own comment, with ours after it.
			oldText := old.Text
			for _, r := range old.Paragraph {
				oldText += r.Text
			}
			if err := m.f.DeleteComment(s.sheet, s.ref); err != nil {
				return err
			}
			text = oldText + "\n\n" + text
		}
		lines := strings.Count(text, "\n") + 1 + len([]rune(text))/16
		if err := m.f.AddComment(s.sheet, excelize.Comment{
			Cell:      s.ref,
			Author:    markAuthor,
			Paragraph: []excelize.RichTextRun{{Text: markAuthor + "：\n", Font: &excelize.Font{Bold: true}}, {Text: text}},
			Width:     260,
			Height:    uint(min(320, 24+16*lines)),
		}); err != nil {
			return err
		}
	}
	return nil
}

// fill gives a cell the red fill, keeping the rest of its style.
func (m *marker) fill(sheet, ref string) error {
	id, err := m.f.GetCellStyle(sheet, ref)
	if err != nil {
		return err
	}
	red, ok := m.styles[id]
	if !ok {
		style, err := m.f.GetStyle(id)
		if err != nil || style == nil {
			style = &excelize.Style{}
		}
		style.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{markFill}}
		if red, err = m.f.NewStyle(style); err != nil {
			red, err = m.f.NewStyle(&excelize.Style{Fill: style.Fill})
			if err != nil {
				return err
			}
		}
		m.styles[id] = red
	}
	return m.f.SetCellStyle(sheet, ref, ref, red)
}

// list adds the 问题清单 sheet and makes it the active one.
func (m *marker) list(problems []Problem, more int) error {
	f, sh := m.f, sheetProblems
	idx, err := f.NewSheet(sh)
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C00000"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	link, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}, Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 6, "B": 14, "C": 8, "D": 16, "E": 14, "F": 70} {
		if err := f.SetColWidth(sh, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetSheetRow(sh, "A1", &[]any{"序号", "工作表", "行", "列", "项目编号", "问题"}); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", "F1", head); err != nil {
		return err
	}
	for i, p := range problems {
		r := i + 2
		row := []any{i + 1, p.Sheet, p.Row, p.Column, p.Project, p.Message}
		if err := f.SetSheetRow(sh, "A"+strconv.Itoa(r), &row); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, "A"+strconv.Itoa(r), "F"+strconv.Itoa(r), wrap); err != nil {
			return err
		}
		if i >= maxLinks || p.Sheet == "" {
			continue
		}
		if i, err := f.GetSheetIndex(p.Sheet); err != nil || i < 0 {
			continue
		}
		ref, err := excelize.CoordinatesToCellName(m.header(p.Sheet).column(p.Column), max(1, p.Row))
		if err != nil {
			continue
		}
		target := fmt.Sprintf("'%s'!%s", strings.ReplaceAll(p.Sheet, "'", "''"), ref)
		cellRef := "B" + strconv.Itoa(r)
		if err := f.SetCellHyperLink(sh, cellRef, target, "Location"); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cellRef, cellRef, link); err != nil {
			return err
		}
	}
	if len(problems) == 0 {
		if err := f.SetCellStr(sh, "F2", "没有发现问题。"); err != nil {
			return err
		}
	}
	if more > 0 {
		r := "F" + strconv.Itoa(len(problems)+2)
		if err := f.SetCellStr(sh, r, fmt.Sprintf("另有 %d 个问题未列出：请先改正以上问题，再上传检查。", more)); err != nil {
			return err
		}
	}
	if err := f.AutoFilter(sh, "A1:F1", nil); err != nil {
		return err
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	f.SetActiveSheet(idx)
	return nil
}
