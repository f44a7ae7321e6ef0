package spreadsheet

import (
	"strings"
	"unicode"
)

// field is what a column holds.
type field int

const (
	fNone field = iota // an unknown or blank header
	fSeq               // 序号: a row number, ignored

	// Project columns.
	fID
	fName
	fDept
	fImplementingUnit
	fYear
	fMoneyUnit
	fBudgetInitial // the first amount of money
	fBudgetAdjusted
	fFundsArrived
	fSpent
	fBalance
	fAppropriationBudget // 资金来源: 当年财政拨款, 上年结转资金, 其他资金
	fAppropriationSpent
	fCarryOverBudget
	fCarryOverSpent
	fOtherBudget
	fOtherSpent // the last amount of money
	fRate
	fCompliance
	fGoalExpected // 年度总体目标
	fGoalAchieved
	fExecutionReason // the last project column

	// Indicator columns.
	fLevel1
	fLevel2
	fIndicator
	fDirection
	fTarget
	fActual
	fUnit
	fRating
	fWeight
	fReason
	fProposedScore
	fDescription
	fDeduction
	fDeductionReason // the last indicator column

	numFields
)

// Sheet names of the template.
const (
	sheetProjects   = "项目"
	sheetIndicators = "绩效指标"
	sheetHelp       = "填写说明"
	sheetProblems   = "问题清单"
)

// Units of money.
const (
	unitYuan     = "元"
	unitWanYuan  = "万元"
	headerSearch = 20 // the header row is looked for in this many non-empty rows
)

// fieldSpec describes one column: its header on the template, the other
// headers that mean the same, and what the 填写说明 sheet says of it.
type fieldSpec struct {
	header   string
	synonyms []string
	need     string // 必填, 选填, or when it is required
	help     string
	example  string
	width    float64
}

var specs = [numFields]fieldSpec{
	fSeq: {header: "序号", synonyms: []string{"行号"}},
	fID: {
		header:   "项目编号",
		synonyms: []string{"项目代码", "项目编码", "项目ID", "编号"},
		need:     "必填",
		help:     "项目的编号，同一年度内不能重复。“绩效指标”表用它把每个指标对应到项目。“绩效指标”表中留空（例如合并单元格）表示与上一行相同。",
		example:  "HH2024-01",
		width:    14,
	},
	fName: {
		header:   "项目名称",
		synonyms: []string{"项目名"},
		need:     "必填",
		help:     "项目的全称。“绩效指标”表中也可以有此列，仅供核对：填写时必须与“项目”表一致。",
		example:  "短信费用项目",
		width:    34,
	},
	fDept: {
		header:   "主管部门",
		synonyms: []string{"部门", "主管单位", "主管部门（单位）", "部门名称"},
		need:     "选填",
		help:     "项目的主管部门。",
		example:  "怀化市住房公积金管理中心",
		width:    26,
	},
	fImplementingUnit: {
		header:   "实施单位",
		synonyms: []string{"项目实施单位", "实施部门", "实施单位名称", "执行单位"},
		need:     "选填",
		help:     "具体实施项目的单位，自评表“实施单位”栏填写此项。",
		example:  "怀化市住房公积金管理中心",
		width:    26,
	},
	fYear: {
		header:   "年度",
		synonyms: []string{"年份", "预算年度", "资金年度"},
		need:     "必填",
		help:     "四位年份，可写 2024 或 2024年。“绩效指标”表中可以有此列：只有同一项目编号在“项目”表中有多个年度时才需要填写。",
		example:  "2024",
		width:    8,
	},
	fMoneyUnit: {
		header:   "金额单位",
		synonyms: []string{"货币单位", "资金单位"},
		need:     "选填",
		help:     "元 或 万元，不填为元。本行的各金额列（预算数、执行数、结余和资金来源）都按这个单位读取，万元精确换算为元（最多六位小数，即到分）。列标题也可以带单位，如“全年预算数（万元）”，此时该列按标题的单位读取。",
		example:  "元",
		width:    10,
	},
	fBudgetInitial: {
		header:   "年初预算数",
		synonyms: []string{"年初预算", "年初预算金额", "年初批复预算", "年初预算资金"},
		need:     "选填",
		help:     "年初批复的预算数。",
		example:  "800000",
		width:    15,
	},
	fBudgetAdjusted: {
		header:   "全年预算数",
		synonyms: []string{"年度预算数", "调整后预算数", "全年预算", "调整后预算", "全年预算金额", "预算数"},
		need:     "必填",
		help:     "调整后的全年预算数。",
		example:  "490000",
		width:    15,
	},
	fFundsArrived: {
		header:   "实际到位资金",
		synonyms: []string{"到位资金", "资金到位数", "实际到位数", "到位数", "实际到位"},
		need:     "选填",
		help:     "实际到位的资金。",
		example:  "490000",
		width:    15,
	},
	fSpent: {
		header:   "全年执行数",
		synonyms: []string{"执行数", "实际执行数", "全年执行", "实际支出", "支出数", "全年支出数"},
		need:     "必填",
		help:     "全年实际支出。",
		example:  "447438.63",
		width:    15,
	},
	fBalance: {
		header:   "结余",
		synonyms: []string{"结余资金", "结余数", "结余金额", "结转结余"},
		need:     "选填",
		help:     "自评表上填报的结余。",
		example:  "42600",
		width:    13,
	},
	fAppropriationBudget: {
		header:   "当年财政拨款预算数",
		synonyms: []string{"财政拨款预算数", "当年财政拨款全年预算数", "财政拨款全年预算数", "当年财政拨款（全年预算数）", "当年财政拨款"},
		need:     "选填",
		help:     "资金来源之一：当年财政拨款的全年预算数。与“全年预算数”一样按金额单位读取。",
		example:  "490000",
		width:    15,
	},
	fAppropriationSpent: {
		header:   "当年财政拨款执行数",
		synonyms: []string{"财政拨款执行数", "当年财政拨款全年执行数", "财政拨款全年执行数", "当年财政拨款（全年执行数）"},
		need:     "选填",
		help:     "当年财政拨款的全年执行数。",
		example:  "447438.63",
		width:    15,
	},
	fCarryOverBudget: {
		header:   "上年结转资金预算数",
		synonyms: []string{"上年结转预算数", "上年结转资金全年预算数", "结转资金预算数", "上年结转资金（全年预算数）", "上年结转资金"},
		need:     "选填",
		help:     "资金来源之一：上年结转资金的全年预算数。",
		example:  "0",
		width:    15,
	},
	fCarryOverSpent: {
		header:   "上年结转资金执行数",
		synonyms: []string{"上年结转执行数", "上年结转资金全年执行数", "结转资金执行数", "上年结转资金（全年执行数）"},
		need:     "选填",
		help:     "上年结转资金的全年执行数。",
		example:  "0",
		width:    15,
	},
	fOtherBudget: {
		header:   "其他资金预算数",
		synonyms: []string{"其他资金全年预算数", "其他资金（全年预算数）", "其他资金"},
		need:     "选填",
		help:     "资金来源之一：其他资金的全年预算数。",
		example:  "0",
		width:    15,
	},
	fOtherSpent: {
		header:   "其他资金执行数",
		synonyms: []string{"其他资金全年执行数", "其他资金（全年执行数）"},
		need:     "选填",
		help:     "其他资金的全年执行数。",
		example:  "0",
		width:    15,
	},
	fRate: {
		header:   "执行率",
		synonyms: []string{"预算执行率", "全年执行率", "资金执行率"},
		need:     "选填",
		help:     "百分数：填 91.31 或 91.31%，单元格设为百分比格式也可以。可以用公式计算，导入时四舍五入到两位小数。写成 0.9131 这样的小数会被当作错误（请写成 91.31%）。",
		example:  "91.31",
		width:    10,
	},
	fCompliance: {
		header:   "资金使用合规性",
		synonyms: []string{"合规性", "资金合规性", "资金使用合规", "资金管理合规性"},
		need:     "选填",
		help:     "达成、部分达成 或 未达成；也可写 合规、基本合规、不合规。",
		example:  "达成",
		width:    14,
	},
	fGoalExpected: {
		header:   "年度总体目标",
		synonyms: []string{"预期目标", "总体目标", "年度总体目标预期目标", "年度总体目标（预期目标）", "年度绩效目标"},
		need:     "选填",
		help:     "自评表“年度总体目标”的预期目标。",
		example:  "全年发送动账提醒短信，缴存人随时知悉账户资金动态",
		width:    34,
	},
	fGoalAchieved: {
		header:   "总体目标完成情况",
		synonyms: []string{"实际完成情况", "年度总体目标完成情况", "年度总体目标实际完成情况", "年度总体目标（实际完成情况）", "目标完成情况"},
		need:     "选填",
		help:     "自评表“年度总体目标”的实际完成情况。",
		example:  "全年发送短信 2664531 条，目标全部完成",
		width:    34,
	},
	fExecutionReason: {
		header:   "预算执行偏差原因",
		synonyms: []string{"执行偏差原因", "预算执行偏差原因及改进措施", "执行率偏差原因", "预算执行率偏差原因", "资金执行偏差原因"},
		need:     "选填",
		help:     "预算执行率未达到要求的原因及改进措施，填入自评表预算执行率一行的“偏差原因分析及改进措施”。",
		example:  "部分合同尾款次年支付",
		width:    34,
	},
	fLevel1: {
		header:  "一级指标",
		need:    "必填",
		help:    "如 产出指标、效益指标、满意度指标。",
		example: "产出指标",
		width:   12,
	},
	fLevel2: {
		header:  "二级指标",
		need:    "选填",
		help:    "如 数量指标、质量指标、社会效益指标。",
		example: "数量指标",
		width:   18,
	},
	fIndicator: {
		header:   "三级指标",
		synonyms: []string{"三级指标名称", "指标名称", "指标内容", "绩效指标"},
		need:     "必填",
		help:     "指标的名称。",
		example:  "全年发送动账提醒短信条数",
		width:    34,
	},
	fDirection: {
		header:   "指标性质",
		synonyms: []string{"指标方向", "指标类型", "比较方式", "方向"},
		need:     "必填",
		help:     "正向（≥，越大越好）、大于（>）、反向（≤，越小越好）、小于（<）、等于（=）或 定性（用“评价”列）；也可写 ≥、>、≤、<、=。大于、小于按正向、反向评分，实际值等于指标值时视为达到。年度指标值写成“≥90”这样带符号时，此列可以不填。",
		example:  "正向",
		width:    10,
	},
	fTarget: {
		header:   "年度指标值",
		synonyms: []string{"指标值", "目标值", "年度目标值", "年度目标", "预期指标值", "年度指标"},
		need:     "定量指标必填",
		help:     "数字，可带 ≥、≤、= 前缀（如 ≥90），百分数可写 95%。定性指标留空。",
		example:  "2664531",
		width:    13,
	},
	fActual: {
		header:   "实际完成值",
		synonyms: []string{"完成值", "实际值", "全年实际值", "实际完成", "全年完成值"},
		need:     "选填",
		help:     "数字，百分数可写 95%。定性指标留空，或直接写评价（达成、部分达成、未达成）。",
		example:  "2664531",
		width:    13,
	},
	fUnit: {
		header:   "计量单位",
		synonyms: []string{"指标单位", "度量单位"},
		need:     "选填",
		help:     "如 条、个、%、人次。指标值写成 95% 时不填则按 % 处理。在有指标列的表中，列标题也可以只写“单位”。",
		example:  "条",
		width:    10,
	},
	fRating: {
		header:   "评价",
		synonyms: []string{"完成情况", "定性评价", "评价结果", "达成情况"},
		need:     "定性指标必填",
		help:     "达成、部分达成 或 未达成。只有定性指标填写。",
		example:  "达成",
		width:    10,
	},
	fWeight: {
		header:   "分值",
		synonyms: []string{"权重", "指标分值", "指标权重"},
		need:     "选填",
		help:     "单位为该指标设定的分值：正数，最多两位小数。",
		example:  "10",
		width:    8,
	},
	fReason: {
		header:   "偏差原因",
		synonyms: []string{"偏差原因分析", "偏差原因及改进措施", "原因分析", "未完成原因"},
		need:     "选填",
		help:     "未完成目标的原因。",
		example:  "",
		width:    34,
	},
	fProposedScore: {
		header:   "自评得分",
		synonyms: []string{"单位自评得分", "单位自评分", "自评分", "自评分值"},
		need:     "选填",
		help:     "单位对定性指标自评的得分：0 或正数，最多两位小数，由规则集限制在评价对应的分数段内。只有定性指标填写。",
		example:  "",
		width:    10,
	},
	fDescription: {
		header:   "完成情况说明",
		synonyms: []string{"完成情况简要描述", "完成情况描述", "简要描述", "完成情况简述"},
		need:     "选填",
		help:     "指标完成情况的简要描述，定性指标尤其需要。",
		example:  "",
		width:    34,
	},
	fDeduction: {
		header:   "复核扣减分",
		synonyms: []string{"扣减分", "扣减分值", "复核扣分", "扣分"},
		need:     "选填",
		help:     "复核时扣减的分数：0 或正数，最多两位小数。大于 0 时须填写扣减原因。",
		example:  "",
		width:    10,
	},
	fDeductionReason: {
		header:   "扣减原因",
		synonyms: []string{"扣分原因", "复核扣减原因", "扣减分原因"},
		need:     "扣减分大于 0 时必填",
		help:     "复核扣减分数的原因。",
		example:  "",
		width:    26,
	},
}

// Column layouts of the template.
var (
	projectColumns = []field{
		fID, fName, fDept, fImplementingUnit, fYear, fMoneyUnit,
		fBudgetInitial, fBudgetAdjusted, fFundsArrived, fSpent, fBalance,
		fAppropriationBudget, fAppropriationSpent, fCarryOverBudget, fCarryOverSpent, fOtherBudget, fOtherSpent,
		fRate, fCompliance, fGoalExpected, fGoalAchieved, fExecutionReason,
	}
	indicatorColumns = []field{
		fID, fLevel1, fLevel2, fIndicator, fDirection, fTarget, fActual, fUnit, fRating, fWeight, fReason,
		fProposedScore, fDescription, fDeduction, fDeductionReason,
	}
)

func (f field) String() string {
	if f > fNone && f < numFields {
		return specs[f].header
	}
	return ""
}

// isAmount tells the columns of money, read in 元 or 万元.
func (f field) isAmount() bool { return f >= fBudgetInitial && f <= fOtherSpent }

// isPoints tells the columns of points.
func (f field) isPoints() bool { return f == fWeight || f == fProposedScore || f == fDeduction }

// isProject tells the columns that only a project sheet has. 项目编号,
// 年度 and 项目名称 may appear on an indicator sheet too.
func (f field) isProject() bool { return f >= fDept && f <= fExecutionReason && f != fYear }

func (f field) isIndicator() bool { return f >= fLevel1 && f <= fDeductionReason }

// projectFields and amountFields list the project's columns, and those of
// money, in order.
var projectFields, amountFields = func() (all, amounts []field) {
	for f := fID; f <= fExecutionReason; f++ {
		all = append(all, f)
		if f.isAmount() {
			amounts = append(amounts, f)
		}
	}
	return all, amounts
}()

// headerIndex maps a normalised header to its field.
var headerIndex = func() map[string]field {
	m := make(map[string]field)
	for f := fSeq; f < numFields; f++ {
		m[normalizeHeader(specs[f].header)] = f
		for _, s := range specs[f].synonyms {
			m[normalizeHeader(s)] = f
		}
	}
	return m
}()

// normalizeHeader removes what does not change a header's meaning: all
// spaces and line breaks, a star marking a required column, the width
// of brackets and of Latin letters, and case.
func normalizeHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || isInvisible(r):
			continue
		case r == '*' || r == '＊' || r == '※':
			continue
		case r == '（' || r == '【' || r == '[' || r == '［':
			r = '('
		case r == '）' || r == '】' || r == ']' || r == '］':
			r = ')'
		case r == '：':
			r = ':'
		case r == '／':
			r = '/'
		case r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r = r - 'Ａ' + 'A'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// headerInfo is what a header says.
type headerInfo struct {
	field field
	unit  string // 元 or 万元, for an amount column whose header names it
	err   string // why a header that names a known column is not usable
}

// resolveHeader reads a header: a known name, or a known name followed
// by a unit, as in "全年预算数（万元）", "全年预算数(单位：元)",
// "全年预算数/万元" or "全年预算数万元".
func resolveHeader(text string) headerInfo {
	norm := normalizeHeader(text)
	if norm == "" {
		return headerInfo{}
	}
	if f, ok := headerIndex[norm]; ok {
		return headerInfo{field: f}
	}
	base, inner, ok := splitHeaderUnit(norm)
	if !ok {
		return headerInfo{}
	}
	f, known := headerIndex[base]
	if !known {
		return headerInfo{}
	}
	inner = strings.TrimPrefix(inner, "单位:")
	inner = strings.TrimPrefix(inner, "金额单位:")
	switch {
	case f.isAmount() && (inner == unitYuan || inner == unitWanYuan):
		return headerInfo{field: f, unit: inner}
	case f.isAmount():
		return headerInfo{field: f, err: "中的单位“" + inner + "”无法识别：金额只能以 元 或 万元 为单位"}
	case f == fRate && (inner == "%" || inner == "％"):
		return headerInfo{field: f}
	case f.isPoints() && inner == "分":
		return headerInfo{field: f}
	}
	return headerInfo{field: f, err: "中的“" + inner + "”无法识别：此列标题不带单位"}
}

// splitHeaderUnit splits a normalised header into a name and what
// follows it in brackets, after a slash, or as a bare 元/万元 suffix.
func splitHeaderUnit(norm string) (base, inner string, ok bool) {
	if strings.HasSuffix(norm, ")") {
		if i := strings.LastIndex(norm, "("); i > 0 {
			return norm[:i], norm[i+1 : len(norm)-1], true
		}
		return "", "", false
	}
	if i := strings.LastIndex(norm, "/"); i > 0 {
		return norm[:i], norm[i+1:], true
	}
	for _, u := range []string{unitWanYuan, unitYuan} {
		if b, found := strings.CutSuffix(norm, u); found && b != "" {
			if f, known := headerIndex[b]; known && f.isAmount() {
				return b, u, true
			}
		}
	}
	return "", "", false
}

// isInvisible tells characters that print as nothing and that Excel,
// WPS or a web page leave around text: zero-width spaces and joiners,
// the byte order mark, soft hyphens.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad':
		return true
	}
	return false
}
