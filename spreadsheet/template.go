package spreadsheet

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// WriteTemplate writes the import template (.xlsx): the sheets 项目 (one
// row per project) and 绩效指标 (one row per indicator, keyed by
// 项目编号), and a 填写说明 sheet that explains every column. Headers are
// styled and frozen, required ones marked, and the columns with a fixed
// set of values have dropdowns.
func WriteTemplate(w io.Writer) error {
	return WriteProjects(w, nil)
}

// WriteProjects writes projects in the template's layout, amounts in
// yuan, so that they can be edited in a spreadsheet and read back by
// Read unchanged. The 绩效指标 sheet has a 年度 column only when one
// 项目编号 appears in more than one year.
func WriteProjects(w io.Writer, projects []jixiao.Project) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newTemplateStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", sheetProjects); err != nil {
		return err
	}
	for _, name := range []string{sheetIndicators, sheetHelp} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	indCols := indicatorColumns
	if idInManyYears(projects) {
		indCols = append([]field{fID, fYear}, indicatorColumns[1:]...)
	}

	var projectRows, indicatorRows [][]any
	for i := range projects {
		p := &projects[i]
		projectRows = append(projectRows, projectRow(p))
		for j := range p.Indicators {
			indicatorRows = append(indicatorRows, indicatorRow(p, &p.Indicators[j], indCols))
		}
	}
	if err := writeDataSheet(f, st, sheetProjects, projectColumns, projectRows, requiredColumns[kindProjects]); err != nil {
		return err
	}
	if err := writeDataSheet(f, st, sheetIndicators, indCols, indicatorRows, []field{fID, fLevel1, fIndicator, fDirection}); err != nil {
		return err
	}
	if err := writeHelp(f, st); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// idInManyYears tells whether some 项目编号 has projects in two years, so
// that indicators need 年度 to find their project.
func idInManyYears(projects []jixiao.Project) bool {
	years := make(map[string]int)
	for _, p := range projects {
		if y, ok := years[p.ID]; ok && y != p.Year {
			return true
		}
		years[p.ID] = p.Year
	}
	return false
}

// money is an amount for a cell: a number when a spreadsheet's float
// holds it exactly, else text with thousands separators. Read rounds a
// stored number beyond 15 digits, as noise of a formula; the separators
// make it read such text as text, exactly.
func money(d jixiao.Decimal) any {
	s := d.Trimmed()
	if digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(s), "0"); len(digits) > excelDigits {
		return groupThousands(s)
	}
	return d.Float64()
}

// groupThousands puts commas between the groups of three digits of the
// integer part of a plain decimal number: "-1234567.5" → "-1,234,567.5".
func groupThousands(s string) string {
	sign, rest := "", s
	if strings.HasPrefix(rest, "-") {
		sign, rest = "-", rest[1:]
	}
	intPart, frac, hasFrac := strings.Cut(rest, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

func projectRow(p *jixiao.Project) []any {
	opt := func(d *jixiao.Decimal) any {
		if d == nil {
			return nil
		}
		return money(*d)
	}
	row := make([]any, len(projectColumns))
	for i, f := range projectColumns {
		switch f {
		case fID:
			row[i] = p.ID
		case fName:
			row[i] = p.Name
		case fDept:
			row[i] = p.Department
		case fImplementingUnit:
			row[i] = p.ImplementingUnit
		case fYear:
			row[i] = p.Year
		case fMoneyUnit:
			row[i] = unitYuan
		case fBudgetAdjusted:
			row[i] = money(p.BudgetAdjusted)
		case fSpent:
			row[i] = money(p.Spent)
		case fRate:
			row[i] = opt(p.ExecutionRate)
		case fCompliance:
			row[i] = string(p.Compliance)
		case fGoalExpected:
			row[i] = p.GoalExpected
		case fGoalAchieved:
			row[i] = p.GoalAchieved
		case fExecutionReason:
			row[i] = p.ExecutionReason
		default:
			if d, ok := optionalAmount(p, f); ok {
				row[i] = opt(d)
			}
		}
	}
	return row
}

// optionalAmount is the project's optional amount of column f.
func optionalAmount(p *jixiao.Project, f field) (*jixiao.Decimal, bool) {
	switch f {
	case fBudgetInitial:
		return p.BudgetInitial, true
	case fFundsArrived:
		return p.FundsArrived, true
	case fBalance:
		return p.Balance, true
	case fAppropriationBudget:
		return p.AppropriationBudget, true
	case fAppropriationSpent:
		return p.AppropriationSpent, true
	case fCarryOverBudget:
		return p.CarryOverBudget, true
	case fCarryOverSpent:
		return p.CarryOverSpent, true
	case fOtherBudget:
		return p.OtherBudget, true
	case fOtherSpent:
		return p.OtherSpent, true
	}
	return nil, false
}

func indicatorRow(p *jixiao.Project, ind *jixiao.Indicator, cols []field) []any {
	row := make([]any, len(cols))
	for i, f := range cols {
		switch f {
		case fID:
			row[i] = p.ID
		case fYear:
			row[i] = p.Year
		case fLevel1:
			row[i] = ind.Level1
		case fLevel2:
			row[i] = ind.Level2
		case fIndicator:
			row[i] = ind.Name
		case fDirection:
			row[i] = directionWord(ind.Direction)
		case fTarget:
			if ind.Target != nil {
				row[i] = *ind.Target
			}
		case fActual:
			if ind.Actual != nil {
				row[i] = *ind.Actual
			}
		case fUnit:
			row[i] = ind.Unit
		case fRating:
			row[i] = string(ind.Rating)
		case fWeight:
			row[i] = pointsCell(ind.Weight)
		case fReason:
			row[i] = ind.DeviationReason
		case fProposedScore:
			row[i] = pointsCell(ind.ProposedScore)
		case fDescription:
			row[i] = ind.Description
		case fDeduction:
			row[i] = pointsCell(ind.Deduction)
		case fDeductionReason:
			row[i] = ind.DeductionReason
		}
	}
	return row
}

// pointsCell is optional points for a cell: nil leaves it blank.
func pointsCell(d *jixiao.Decimal) any {
	if d == nil {
		return nil
	}
	return money(*d)
}

// templateStyles are the styles of the template's cells.
type templateStyles struct {
	header, required int // header cells, of optional and required columns
	text, amount     int // data columns
	rate, year       int
	title, wrap      int // 填写说明
	tableHeader      int
}

func newTemplateStyles(f *excelize.File) (templateStyles, error) {
	var st templateStyles
	border := []excelize.Border{
		{Type: "left", Color: "9BA8B7", Style: 1}, {Type: "right", Color: "9BA8B7", Style: 1},
		{Type: "top", Color: "9BA8B7", Style: 1}, {Type: "bottom", Color: "9BA8B7", Style: 1},
	}
	headerStyle := func(fill string) *excelize.Style {
		return &excelize.Style{
			Font:      &excelize.Font{Bold: true, Size: 11},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
			Border:    border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		}
	}
	amountFmt := "#,##0.00####"
	styles := []struct {
		id    *int
		style *excelize.Style
	}{
		{&st.header, headerStyle("DDEBF7")},
		{&st.required, headerStyle("F8CBAD")},
		{&st.text, &excelize.Style{NumFmt: 49}},
		{&st.amount, &excelize.Style{CustomNumFmt: &amountFmt}},
		{&st.rate, &excelize.Style{NumFmt: 2}},
		{&st.year, &excelize.Style{NumFmt: 1}},
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&st.wrap, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&st.tableHeader, headerStyle("DDEBF7")},
	}
	for _, s := range styles {
		id, err := f.NewStyle(s.style)
		if err != nil {
			return st, err
		}
		*s.id = id
	}
	return st, nil
}

// columnStyle is the style of a data column, so that what is typed into
// it is kept as meant: 项目编号 as text (001 stays 001), amounts with
// up to six decimals visible.
func (st templateStyles) columnStyle(f field) int {
	switch {
	case f.isAmount():
		return st.amount
	case f == fRate:
		return st.rate
	case f == fYear:
		return st.year
	case f == fTarget || f == fActual || f.isPoints():
		return 0
	}
	return st.text
}

// writeDataSheet writes one data sheet: header, column widths and
// styles, dropdowns, frozen header and filter, and the rows.
func writeDataSheet(f *excelize.File, st templateStyles, sheet string, cols []field, rows [][]any, required []field) error {
	isRequired := make(map[field]bool)
	for _, r := range required {
		isRequired[r] = true
	}
	lastRow := max(2000, len(rows)+1000)
	for i, fl := range cols {
		col := colLetter(i)
		if err := f.SetColWidth(sheet, col, col, specs[fl].width); err != nil {
			return err
		}
		if s := st.columnStyle(fl); s != 0 {
			if err := f.SetColStyle(sheet, col, s); err != nil {
				return err
			}
		}
		hs := st.header
		if isRequired[fl] {
			hs = st.required
		}
		ref := col + "1"
		if err := f.SetCellStr(sheet, ref, specs[fl].header); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, ref, ref, hs); err != nil {
			return err
		}
		if dv := validation(fl); dv != nil {
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, lastRow)
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	if err := f.SetRowHeight(sheet, 1, 30); err != nil {
		return err
	}
	for r, row := range rows {
		for i, v := range row {
			if v == nil || v == "" {
				continue
			}
			ref := colLetter(i) + strconv.Itoa(r+2)
			var err error
			switch v := v.(type) {
			case float64:
				err = f.SetCellFloat(sheet, ref, v, -1, 64)
			case int:
				err = f.SetCellInt(sheet, ref, int64(v))
			case string:
				err = f.SetCellStr(sheet, ref, v)
			}
			if err != nil {
				return err
			}
		}
	}
	last := colLetter(len(cols) - 1)
	if err := f.AutoFilter(sheet, "A1:"+last+"1", nil); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// validation is the dropdown or range check of a column, if it has one.
func validation(f field) *excelize.DataValidation {
	list := func(title, prompt string, style excelize.DataValidationErrorStyle, items ...string) *excelize.DataValidation {
		dv := excelize.NewDataValidation(true)
		if err := dv.SetDropList(items); err != nil {
			return nil
		}
		dv.SetInput(title, prompt)
		dv.SetError(style, title, prompt)
		return dv
	}
	switch f {
	case fMoneyUnit:
		return list("金额单位", "元 或 万元，不填为元。", excelize.DataValidationErrorStyleStop, unitYuan, unitWanYuan)
	case fCompliance:
		return list("资金使用合规性", "达成、部分达成 或 未达成。", excelize.DataValidationErrorStyleStop, "达成", "部分达成", "未达成")
	case fDirection:
		return list("指标性质", "正向（≥）、大于（>）、反向（≤）、小于（<）、等于（=）或 定性；也可以输入 ≥、>、≤、<、=。", excelize.DataValidationErrorStyleInformation, "正向", "大于", "反向", "小于", "等于", "定性")
	case fRating:
		return list("评价", "定性指标填 达成、部分达成 或 未达成；定量指标不填。", excelize.DataValidationErrorStyleStop, "达成", "部分达成", "未达成")
	case fYear:
		dv := excelize.NewDataValidation(true)
		if err := dv.SetRange(1900, 2200, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
			return nil
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "年度", "请填写四位年份，如 2024。")
		return dv
	case fWeight:
		dv := excelize.NewDataValidation(true)
		if err := dv.SetRange(0, 0, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorGreaterThan); err != nil {
			return nil
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "分值", "分值必须大于 0。")
		return dv
	case fProposedScore, fDeduction:
		dv := excelize.NewDataValidation(true)
		if err := dv.SetRange(0, 0, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorGreaterThanOrEqual); err != nil {
			return nil
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, f.String(), f.String()+"不能为负数。")
		return dv
	}
	return nil
}

// helpNotes are the general rules on the 填写说明 sheet.
func helpNotes() []string {
	lim := DefaultLimits()
	return []string{
		"本工作簿有“项目”和“绩效指标”两张表：“项目”表每行一个项目；“绩效指标”表每行一个三级指标，用“项目编号”对应到“项目”表中的项目。",
		"各列按列标题识别：列的顺序可以调整，选填列可以删去；列标题也可以用下表“也可以写作”中的名称，金额列的标题可以带单位，如“全年预算数（万元）”。有内容但无法识别的列会报错（“序号”列除外），此时整张表都不导入。标题行可以不在第一行：前 20 行中同时写有“项目编号”和其他列名的一行即为标题行，它上面的表头文字不导入。",
		"标题为橙色的列必须填写。空行、只有序号的行和“合计”行不导入。",
		"金额：在“金额单位”列选择 元 或 万元，不填为元；万元金额导入时精确换算为元，最多六位小数（到分），元金额最多两位小数。数字可以带千位分隔符（如 1,234.56）、用全角数字，首尾的空格不影响；文字（如“约44万”）和日期格式的单元格会报错。",
		"百分数：执行率和指标值可以写 95 或 95%，也可以把单元格设为百分比格式。",
		"公式：导入公式的计算结果；公式出错（如 #DIV/0!、#N/A）会报错。",
		"CSV 文件：一个 CSV 文件只能放一张表，因此项目列和指标列写在同一行，每行一个指标。同一项目编号（和年度）的各行属于同一个项目：项目列在后面的行可以留空，如填写必须与第一行一致；项目编号留空表示与上一行是同一项目（如合并单元格另存后）。没有指标的项目写一行，指标列留空。编码可以是 UTF-8（建议在 Excel 中另存为“CSV UTF-8（逗号分隔）”）或 GBK（Excel 的“CSV（逗号分隔）”）。一张工作表也可以这样把项目列和指标列写在一起。",
		"导入时检查每个单元格：有问题的项目不导入；“绩效指标”表的列标题有问题，或有对应不到项目的行时，所有项目都不导入（无法确定哪个项目缺了指标）。问题清单指明工作表、行、列和原因，并可下载标出问题单元格（红色底纹和批注）的工作簿。",
		fmt.Sprintf("文件大小不超过 %s，每张表不超过 %d 行。", formatBytes(lim.MaxBytes), lim.MaxRows),
	}
}

// writeHelp writes the 填写说明 sheet: the general rules, then a table
// of every column of both sheets.
func writeHelp(f *excelize.File, st templateStyles) error {
	sh := sheetHelp
	widths := map[string]float64{"A": 10, "B": 16, "C": 13, "D": 60, "E": 34, "F": 20}
	for col, w := range widths {
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	row := 1
	set := func(ref string, v any, style int) error {
		if err := f.SetCellValue(sh, ref, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sh, ref, ref, style)
		}
		return nil
	}
	if err := set("A1", "项目绩效自评导入模板 填写说明", st.title); err != nil {
		return err
	}
	row = 3
	for i, note := range helpNotes() {
		a, fRef := fmt.Sprintf("A%d", row), fmt.Sprintf("F%d", row)
		if err := set(a, fmt.Sprintf("%d. %s", i+1, note), st.wrap); err != nil {
			return err
		}
		if err := f.MergeCell(sh, a, fRef); err != nil {
			return err
		}
		if err := f.SetRowHeight(sh, row, float64(18*(1+len([]rune(note))/75))); err != nil {
			return err
		}
		row++
	}
	row++
	head := []string{"工作表", "列名", "是否必填", "说明", "也可以写作", "示例"}
	for i, h := range head {
		if err := set(fmt.Sprintf("%s%d", colLetter(i), row), h, st.tableHeader); err != nil {
			return err
		}
	}
	row++
	sections := []struct {
		sheet string
		cols  []field
	}{
		{sheetProjects, projectColumns},
		{sheetIndicators, append([]field{fID, fYear, fName}, indicatorColumns[1:]...)},
	}
	for _, sec := range sections {
		for _, fl := range sec.cols {
			s := specs[fl]
			need := s.need
			if sec.sheet == sheetIndicators && (fl == fYear || fl == fName) {
				need = "选填"
			}
			vals := []string{sec.sheet, s.header, need, s.help, strings.Join(s.synonyms, "、"), s.example}
			for i, v := range vals {
				if err := set(fmt.Sprintf("%s%d", colLetter(i), row), v, st.wrap); err != nil {
					return err
				}
			}
			if err := f.SetRowHeight(sh, row, float64(18*(1+len([]rune(s.help))/36))); err != nil {
				return err
			}
			row++
		}
	}
	row++
	if err := set(fmt.Sprintf("A%d", row), "“序号”列（也可以写作 "+strings.Join(specs[fSeq].synonyms, "、")+"）可以放在任何一张表中，导入时忽略。", st.wrap); err != nil {
		return err
	}
	return f.MergeCell(sh, fmt.Sprintf("A%d", row), fmt.Sprintf("F%d", row))
}
