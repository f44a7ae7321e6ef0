package spreadsheet

import (
	"errors"
	"fmt"
	"strings"

	"jixiao"
)

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

	id, name string
	words    [numFields]string // the other text columns: 主管部门, 实施单位, …
	year     int
	unit     string                    // 金额单位 as given, "" when blank
	amount   [numFields]jixiao.Decimal // in yuan, by amount column
	rate     jixiao.Decimal
	rating   jixiao.Rating // 资金使用合规性
}

// projectTexts are the project's free-text columns besides 项目编号 and
// 项目名称.
var projectTexts = []field{fDept, fImplementingUnit, fGoalExpected, fGoalAchieved, fExecutionReason}

// value returns the value of f, for comparing rows of one project.
func (v *projVals) value(f field) any {
	switch f {
	case fID:
		return v.id
	case fName:
		return v.name
	case fYear:
		return v.year
	case fMoneyUnit:
		return v.unit
	case fRate:
		return v.rate
	case fCompliance:
		return v.rating
	}
	if f.isAmount() {
		return v.amount[f]
	}
	return v.words[f]
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

// newProject registers a project read from its first row.
func (im *importer) newProject(v *projVals, bad bool) *proj {
	p := &proj{v: v, bad: bad}
	im.projects = append(im.projects, p)
	if v.id != "" {
		im.byID[v.id] = append(im.byID[v.id], p)
	}
	return p
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
	for _, f := range projectFields {
		if !v.set[f] || v.bad[f] {
			continue
		}
		if !pv.set[f] {
			pv.set[f], pv.row[f], pv.text[f] = true, v.row[f], v.text[f]
			switch {
			case f == fName:
				pv.name = v.name
			case f == fYear:
				pv.year = v.year
			case f == fMoneyUnit:
				pv.unit = v.unit
			case f == fRate:
				pv.rate = v.rate
			case f == fCompliance:
				pv.rating = v.rating
			case f.isAmount():
				pv.amount[f] = v.amount[f]
			default:
				pv.words[f] = v.words[f]
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

// build makes the project of p's values.
func (p *proj) build() jixiao.Project {
	v := p.v
	out := jixiao.Project{
		ID:               v.id,
		Name:             v.name,
		Department:       v.words[fDept],
		ImplementingUnit: v.words[fImplementingUnit],
		Year:             v.year,
		BudgetAdjusted:   v.amount[fBudgetAdjusted],
		Spent:            v.amount[fSpent],
		Compliance:       v.rating,
		GoalExpected:     v.words[fGoalExpected],
		GoalAchieved:     v.words[fGoalAchieved],
		ExecutionReason:  v.words[fExecutionReason],
		Indicators:       make([]jixiao.Indicator, 0, len(p.indicators)),
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
	out.AppropriationBudget = opt(fAppropriationBudget)
	out.AppropriationSpent = opt(fAppropriationSpent)
	out.CarryOverBudget = opt(fCarryOverBudget)
	out.CarryOverSpent = opt(fCarryOverSpent)
	out.OtherBudget = opt(fOtherBudget)
	out.OtherSpent = opt(fOtherSpent)
	if v.set[fRate] {
		r := v.rate
		out.ExecutionRate = &r
	}
	for _, ind := range p.indicators {
		out.Indicators = append(out.Indicators, ind.ind)
	}
	return out
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
	for _, f := range projectTexts {
		v.words[f], st = x.str(f)
		note(f, st)
	}
	v.year, st = x.year(fYear)
	note(fYear, st)

	unit, st := x.moneyUnit()
	note(fMoneyUnit, st)
	v.unit = unit
	rowUnit := unit
	if rowUnit == "" {
		rowUnit = inherit
	}
	for _, f := range amountFields {
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
	for _, f := range amountFields {
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
		n = n.RoundDigits(excelDigits)
	}
	if unit == unitWanYuan {
		n = n.Shift(4)
	}
	d, err := n.Decimal()
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
	if !nc.percent && n.Sign() > 0 && n.Cmp(jixiao.NumeralOf(1)) <= 0 {
		x.fail(fRate, fmt.Sprintf("%s 应填写百分数（如 91.31 或 91.31%%），实际为 “%s”；如果确实是 %s%%，请写成 “%s%%”", x.name(fRate), clip(numberText(c)), n, n))
		return 0, stBad
	}
	d, err := n.RoundPlaces(2).Decimal()
	if err != nil {
		x.fail(fRate, fmt.Sprintf("%s 数值过大，实际为 “%s”", x.name(fRate), clip(numberText(c))))
		return 0, stBad
	}
	return d, stOK
}
