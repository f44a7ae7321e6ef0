package spreadsheet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"jixiao"
)

// hasIndicator tells whether a row of a combined sheet has anything in
// an indicator column.
func hasIndicator(sh *sheet, r rowData) bool {
	for f := fLevel1; f <= fDeductionReason; f++ {
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
	ind.Description, _ = x.str(fDescription)
	ind.DeductionReason, _ = x.str(fDeductionReason)
	ind.ProposedScore = x.points(fProposedScore, false)
	ind.Deduction = x.points(fDeduction, false)
	if d := ind.Deduction; d != nil && *d > 0 && ind.DeductionReason == "" {
		x.fail(fDeductionReason, fmt.Sprintf("%s 必须填写：%s 为 %s 分", x.name(fDeductionReason), x.name(fDeduction), d.Trimmed()))
	}

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
		quantitative := dirState == stOK || dirState == stBlank && ind.Level1 == jixiao.CostLevel1
		if tst == stBlank && quantitative {
			x.fail(fTarget, x.name(fTarget)+" 必须填写：定量指标须有年度指标值")
		}
		if ind.ProposedScore != nil && quantitative {
			x.fail(fProposedScore, fmt.Sprintf("只有定性指标填写 %s：定量指标按年度指标值和实际完成值评分", x.name(fProposedScore)))
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
	ind.Weight = x.points(fWeight, true)
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
	fv, err := nc.n.Float64()
	if err != nil {
		x.fail(f, fmt.Sprintf("%s 超出数值范围，实际为 “%s”", x.name(f), clip(numberText(c))))
		return nil, false, "", stBad
	}
	return &fv, nc.percent, nc.cmp, stOK
}

// points reads points with at most two decimals: 分值, which must be
// positive, or 自评得分 and 复核扣减分, which must not be negative. It
// returns nil for a blank cell or a problem.
func (x *rowCtx) points(f field, positive bool) *jixiao.Decimal {
	c := x.cell(f)
	if c.blank() {
		return nil
	}
	nc, msg := readNumber(c, x.im.format == "xlsx", false)
	if msg == "" && (nc.percent || nc.unit != "") {
		msg = notNumber(c)
	}
	if msg != "" {
		x.fail(f, x.name(f)+" "+msg)
		return nil
	}
	n := nc.n
	if nc.noisy {
		n = n.RoundDigits(excelDigits)
	}
	d, err := n.Decimal()
	switch {
	case errors.Is(err, jixiao.ErrDecimalPlaces):
		x.fail(f, fmt.Sprintf("%s 最多两位小数，实际为 “%s”", x.name(f), clip(numberText(c))))
		return nil
	case err != nil:
		x.fail(f, fmt.Sprintf("%s 数值过大，实际为 “%s”", x.name(f), clip(numberText(c))))
		return nil
	case positive && d <= 0:
		x.fail(f, fmt.Sprintf("%s 必须大于 0，实际为 “%s”", x.name(f), clip(numberText(c))))
		return nil
	case d < 0:
		x.fail(f, fmt.Sprintf("%s 不能为负数，实际为 “%s”", x.name(f), clip(numberText(c))))
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
