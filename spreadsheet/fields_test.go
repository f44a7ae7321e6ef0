package spreadsheet

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// impFullProjects are projects with every field of the national form
// set: the fund sources, 实施单位, the overall goals, the reason for the
// execution rate and, per indicator, the unit's score, description and
// the reviewer's deduction.
func impFullProjects() []jixiao.Project {
	d := func(cents int64) *jixiao.Decimal { v := jixiao.Cents(cents); return &v }
	f := func(v float64) *float64 { return &v }
	rate := jixiao.Cents(9131)
	return []jixiao.Project{
		{
			ID: "HH2024-01", Name: "短信费用项目", Department: "怀化市住房公积金管理中心", ImplementingUnit: "信息科",
			Year: 2024, BudgetInitial: d(80000000), BudgetAdjusted: jixiao.Cents(49000000), FundsArrived: d(49000000),
			Spent: jixiao.Cents(44743863), Balance: d(4256137), ExecutionRate: &rate, Compliance: jixiao.Achieved,
			AppropriationBudget: d(45000000), AppropriationSpent: d(40743863),
			CarryOverBudget: d(3000000), CarryOverSpent: d(3000000),
			OtherBudget: d(1000000), OtherSpent: d(1000001),
			GoalExpected:    "全年发送动账提醒短信，缴存人随时知悉账户资金动态",
			GoalAchieved:    "全年发送短信 2664531 条，目标全部完成",
			ExecutionReason: "部分合同尾款次年支付，\n已督促供应商开票",
			Indicators: []jixiao.Indicator{
				{Level1: "产出指标", Level2: "数量指标", Name: "全年发送动账提醒短信条数", Direction: jixiao.AtLeast,
					Target: f(2664531), Actual: f(2664531), Unit: "条", Weight: d(5000), DeviationReason: "无",
					Description: "按月统计，全年发送 2664531 条", Deduction: d(50), DeductionReason: "统计口径未附说明"},
				{Level1: "效益指标", Level2: "社会效益指标", Name: "缴存人随时知悉账户资金动态", Direction: jixiao.Qualitative,
					Rating: jixiao.PartiallyAchieved, Weight: d(3000), ProposedScore: d(2250),
					Description: "部分缴存人未开通短信提醒", Deduction: d(0)},
			},
		},
		{
			ID: "HH2024-02", Name: "只有资金来源的项目", Year: 2024, BudgetAdjusted: jixiao.Points(100), Spent: jixiao.Points(90),
			AppropriationBudget: d(10000), AppropriationSpent: d(9000),
			Indicators: []jixiao.Indicator{},
		},
	}
}

// TestFullProjectsSetEveryField keeps impFullProjects complete: a field
// added to Project or Indicator must be set there, so that the round
// trip below covers it.
func TestFullProjectsSetEveryField(t *testing.T) {
	p := impFullProjects()[0]
	// CategoryPoints belong to a rule set's categories, not to a column
	// of the template.
	notColumns := map[string]bool{"CategoryPoints": true}
	check := func(v reflect.Value, what string) {
		for i := range v.NumField() {
			if v.Field(i).IsZero() && !notColumns[v.Type().Field(i).Name] {
				t.Errorf("%s.%s is not set in impFullProjects", what, v.Type().Field(i).Name)
			}
		}
	}
	check(reflect.ValueOf(p), "Project")
	inds := make([]jixiao.Indicator, len(p.Indicators))
	copy(inds, p.Indicators)
	// Target and Actual belong to a quantitative indicator, Rating and
	// ProposedScore to a qualitative one: together the two set all.
	merged := inds[0]
	merged.Rating, merged.ProposedScore = inds[1].Rating, inds[1].ProposedScore
	check(reflect.ValueOf(merged), "Indicator")
}

// impFieldValue is what a person types in the column of f for the
// project and, in an indicator column, its indicator: amounts in unit.
// A column the test does not know fails it, so that every column of
// the template is read back.
func impFieldValue(t testing.TB, p *jixiao.Project, ind *jixiao.Indicator, f field, unit string) any {
	t.Helper()
	amount := func(d *jixiao.Decimal) any {
		if d == nil {
			return nil
		}
		if unit == unitWanYuan {
			return impWan(*d)
		}
		return d.Trimmed()
	}
	points := func(d *jixiao.Decimal) any {
		if d == nil {
			return nil
		}
		return d.Trimmed()
	}
	number := func(v *float64) any {
		if v == nil {
			return nil
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	switch f {
	case fID:
		return p.ID
	case fName:
		return p.Name
	case fDept:
		return p.Department
	case fImplementingUnit:
		return p.ImplementingUnit
	case fYear:
		return strconv.Itoa(p.Year)
	case fMoneyUnit:
		return unit
	case fBudgetInitial:
		return amount(p.BudgetInitial)
	case fBudgetAdjusted:
		return amount(&p.BudgetAdjusted)
	case fFundsArrived:
		return amount(p.FundsArrived)
	case fSpent:
		return amount(&p.Spent)
	case fBalance:
		return amount(p.Balance)
	case fAppropriationBudget:
		return amount(p.AppropriationBudget)
	case fAppropriationSpent:
		return amount(p.AppropriationSpent)
	case fCarryOverBudget:
		return amount(p.CarryOverBudget)
	case fCarryOverSpent:
		return amount(p.CarryOverSpent)
	case fOtherBudget:
		return amount(p.OtherBudget)
	case fOtherSpent:
		return amount(p.OtherSpent)
	case fRate:
		return points(p.ExecutionRate)
	case fCompliance:
		return string(p.Compliance)
	case fGoalExpected:
		return p.GoalExpected
	case fGoalAchieved:
		return p.GoalAchieved
	case fExecutionReason:
		return p.ExecutionReason
	}
	if ind == nil {
		return nil
	}
	switch f {
	case fLevel1:
		return ind.Level1
	case fLevel2:
		return ind.Level2
	case fIndicator:
		return ind.Name
	case fDirection:
		return directionWord(ind.Direction)
	case fTarget:
		return number(ind.Target)
	case fActual:
		return number(ind.Actual)
	case fUnit:
		return ind.Unit
	case fRating:
		return string(ind.Rating)
	case fWeight:
		return points(ind.Weight)
	case fReason:
		return ind.DeviationReason
	case fProposedScore:
		return points(ind.ProposedScore)
	case fDescription:
		return ind.Description
	case fDeduction:
		return points(ind.Deduction)
	case fDeductionReason:
		return ind.DeductionReason
	}
	t.Fatalf("the test does not fill the column %s", f)
	return nil
}

// impFillTemplate fills the template's two sheets, finding each column
// by its header and typing numbers as a person would.
func impFillTemplate(t testing.TB, projects []jixiao.Project, unit string) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(impTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fill := func(sheet string, row int, p *jixiao.Project, ind *jixiao.Indicator) {
		headers, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range headers[0] {
			fl := resolveHeader(h).field
			v := impFieldValue(t, p, ind, fl, unit)
			if v == nil || v == "" {
				continue
			}
			s := v.(string)
			var cv any = s
			if n, err := strconv.ParseFloat(s, 64); err == nil && fl != fID && strconv.FormatFloat(n, 'f', -1, 64) == s {
				cv = n // a number the float holds as written
			}
			impSetCell(t, f, sheet, fmt.Sprintf("%s%d", colLetter(i), row), cv)
		}
	}
	ir := 2
	for i := range projects {
		p := &projects[i]
		fill(sheetProjects, i+2, p, nil)
		for j := range p.Indicators {
			fill(sheetIndicators, ir, p, &p.Indicators[j])
			ir++
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// impCSVAllColumns writes projects as a CSV with every column of the
// template: the project columns, then the indicator columns.
func impCSVAllColumns(t testing.TB, projects []jixiao.Project, unit string) []byte {
	t.Helper()
	cols := append(append([]field(nil), projectColumns...), indicatorColumns[1:]...)
	header := make([]string, len(cols))
	for i, f := range cols {
		header[i] = f.String()
	}
	rows := [][]string{header}
	line := func(p *jixiao.Project, ind *jixiao.Indicator) {
		row := make([]string, len(cols))
		for i, f := range cols {
			if v := impFieldValue(t, p, ind, f, unit); v != nil {
				row[i] = v.(string)
			}
		}
		rows = append(rows, row)
	}
	for i := range projects {
		p := &projects[i]
		if len(p.Indicators) == 0 {
			line(p, nil)
		}
		for j := range p.Indicators {
			line(p, &p.Indicators[j])
		}
	}
	return impCSV(rows...)
}

// TestNewFieldsRoundTrip fills every column of the template, in a
// workbook and in a CSV file, in 元 and in 万元, and reads the projects
// back equal to the originals, every field of the national form
// included.
func TestNewFieldsRoundTrip(t *testing.T) {
	want := impFullProjects()
	for _, unit := range []string{unitYuan, unitWanYuan} {
		for name, data := range map[string][]byte{
			"filled.xlsx": impFillTemplate(t, want, unit),
			"filled.csv":  impCSVAllColumns(t, want, unit),
		} {
			t.Run(unit+" "+name, func(t *testing.T) {
				imp := impRead(t, data, name)
				if len(imp.Problems) > 0 {
					t.Fatalf("problems: %s", impShow(imp.Problems))
				}
				impSame(t, imp.Projects, want)
			})
		}
	}
	// WriteProjects writes them in the same layout.
	var buf bytes.Buffer
	if err := WriteProjects(&buf, want); err != nil {
		t.Fatal(err)
	}
	imp := impRead(t, buf.Bytes(), "projects.xlsx")
	if len(imp.Problems) > 0 {
		t.Fatalf("WriteProjects: problems: %s", impShow(imp.Problems))
	}
	impSame(t, imp.Projects, want)
}

// TestHeadersAreDistinct makes sure no header or synonym names two
// columns: each would silently take the other's place.
func TestHeadersAreDistinct(t *testing.T) {
	seen := make(map[string]field)
	for f := fSeq; f < numFields; f++ {
		for _, h := range append([]string{specs[f].header}, specs[f].synonyms...) {
			n := normalizeHeader(h)
			if g, dup := seen[n]; dup && g != f {
				t.Errorf("header %q names both %s and %s", h, g, f)
			}
			seen[n] = f
			if got := resolveHeader(h).field; got != f {
				t.Errorf("header %q reads as %s, want %s", h, got, f)
			}
		}
	}
}

// TestJSONFieldsHaveColumns makes sure that every field of the JSON
// format has a column on which the decoder's messages about it land.
func TestJSONFieldsHaveColumns(t *testing.T) {
	check := func(typ reflect.Type, columns map[string]field, skip ...string) {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if slices.Contains(skip, name) {
				continue
			}
			if _, ok := columns[name]; !ok {
				t.Errorf("%s field %q has no column in the decoder's map", typ.Name(), name)
			}
		}
	}
	// category_points are set per rule set, not in a column.
	check(reflect.TypeFor[jixiao.Project](), jsonFields, "category_points")
	check(reflect.TypeFor[jixiao.Indicator](), jsonIndicatorFields)
}

// On later rows of a CSV project the new project columns, like the old,
// may be blank and must otherwise agree with the first row.
func TestCSVNewColumnsMustAgree(t *testing.T) {
	header := []string{"项目编号", "项目名称", "年度", "全年预算数", "全年执行数", "实施单位", "年度总体目标", "当年财政拨款预算数", "一级指标", "三级指标", "指标性质", "年度指标值"}
	data := impCSV(header,
		[]string{"P1", "项目一", "2024", "100", "90", "信息科", "按时完成", "100", "产出指标", "数量", "正向", "1"},
		[]string{"P1", "", "", "", "", "", "", "100", "产出指标", "质量", "正向", "1"},
		[]string{"P1", "", "", "", "", "信息中心", "提前完成", "", "产出指标", "时效", "正向", "1"},
	)
	imp := impRead(t, data, "agree.csv")
	want := []Problem{
		{"agree", 4, "实施单位", "P1", "实施单位 与第 2 行不一致：“信息中心”与“信息科”（同一项目的各行，项目列须相同或留空）"},
		{"agree", 4, "年度总体目标", "P1", "年度总体目标 与第 2 行不一致：“提前完成”与“按时完成”（同一项目的各行，项目列须相同或留空）"},
	}
	if !reflect.DeepEqual(imp.Problems, want) {
		t.Errorf("got %s\nwant %s", impShow(imp.Problems), impShow(want))
	}
}
