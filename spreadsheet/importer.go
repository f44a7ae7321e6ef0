package spreadsheet

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"jixiao"
)

type located struct {
	Problem
	order, col int
}

type importer struct {
	format   string
	problems []located
	found    int // problems found, listed or not
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
	im.keep(located{
		Problem: Problem{Sheet: sh.name, Row: row, Column: sh.colName(f), Project: project, Message: msg},
		order:   sh.order, col: sh.colOrder(f),
	})
}

// keep records a problem, holding at most about 2 × MaxProblems of them:
// a file of a million bad cells lists its first MaxProblems and counts
// the rest, in bounded memory.
func (im *importer) keep(p located) {
	im.found++
	im.problems = append(im.problems, p)
	if len(im.problems) >= 2*MaxProblems {
		im.sortProblems()
		im.problems = im.problems[:MaxProblems]
	}
}

// sortProblems puts the problems in sheet, row and column order.
func (im *importer) sortProblems() {
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
}

// addAt records a problem in the column of index i.
func (im *importer) addAt(sh *sheet, row, i int, column, msg string) {
	im.keep(located{
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
	im.sortProblems()
	if len(im.problems) > MaxProblems {
		im.problems = im.problems[:MaxProblems]
	}
	for _, p := range im.problems {
		imp.Problems = append(imp.Problems, p.Problem)
	}
	imp.MoreProblems = im.found - len(imp.Problems)
	return imp
}

// jsonFields maps the JSON decoder's field names to columns.
var jsonFields = map[string]field{
	"id": fID, "name": fName, "department": fDept, "year": fYear,
	"budget_initial": fBudgetInitial, "budget_adjusted": fBudgetAdjusted,
	"funds_arrived": fFundsArrived, "spent": fSpent, "balance": fBalance,
	"execution_rate": fRate, "compliance": fCompliance, "indicators": fID,
	"implementing_unit": fImplementingUnit, "appropriation_budget": fAppropriationBudget,
	"appropriation_spent": fAppropriationSpent, "carry_over_budget": fCarryOverBudget,
	"carry_over_spent": fCarryOverSpent, "other_budget": fOtherBudget, "other_spent": fOtherSpent,
	"goal_expected": fGoalExpected, "goal_achieved": fGoalAchieved, "execution_reason": fExecutionReason,
}

var jsonIndicatorFields = map[string]field{
	"level1": fLevel1, "level2": fLevel2, "name": fIndicator, "direction": fDirection,
	"target": fTarget, "actual": fActual, "rating": fRating, "unit": fUnit,
	"weight": fWeight, "deviation_reason": fReason, "proposed_score": fProposedScore,
	"description": fDescription, "deduction": fDeduction, "deduction_reason": fDeductionReason,
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
