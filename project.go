// Package jixiao holds the domain of project-expenditure performance
// evaluation: projects with their funds and performance targets, the
// results of scoring them, and the errors the rest of the program speaks.
package jixiao

// Project is one funded project of one fiscal year, as a department
// reports it in its self-evaluation. Money is in yuan.
type Project struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Department     string      `json:"department,omitempty"`
	Year           int         `json:"year"`
	BudgetInitial  *Decimal    `json:"budget_initial,omitempty"` // 年初预算数
	BudgetAdjusted Decimal     `json:"budget_adjusted"`          // 全年（调整后）预算数
	FundsArrived   *Decimal    `json:"funds_arrived,omitempty"`  // 实际到位资金
	Spent          Decimal     `json:"spent"`                    // 全年执行数
	Balance        *Decimal    `json:"balance,omitempty"`        // stated 结余
	ExecutionRate  *Decimal    `json:"execution_rate,omitempty"` // stated 执行率, percent
	Compliance     Rating      `json:"compliance,omitempty"`     // 资金使用合规性
	Indicators     []Indicator `json:"indicators"`

	// The rest of the national 自评表, all optional.
	ImplementingUnit    string   `json:"implementing_unit,omitempty"`    // 实施单位
	AppropriationBudget *Decimal `json:"appropriation_budget,omitempty"` // 当年财政拨款：全年预算数
	AppropriationSpent  *Decimal `json:"appropriation_spent,omitempty"`  // 当年财政拨款：全年执行数
	CarryOverBudget     *Decimal `json:"carry_over_budget,omitempty"`    // 上年结转资金：全年预算数
	CarryOverSpent      *Decimal `json:"carry_over_spent,omitempty"`     // 上年结转资金：全年执行数
	OtherBudget         *Decimal `json:"other_budget,omitempty"`         // 其他资金：全年预算数
	OtherSpent          *Decimal `json:"other_spent,omitempty"`          // 其他资金：全年执行数
	GoalExpected        string   `json:"goal_expected,omitempty"`        // 年度总体目标：预期目标
	GoalAchieved        string   `json:"goal_achieved,omitempty"`        // 年度总体目标：实际完成情况
	ExecutionReason     string   `json:"execution_reason,omitempty"`     // 预算执行偏差的原因及改进措施

	// CategoryPoints are the points the unit set for categories (一级
	// 指标) of the rule set, by indicator id or name, where the rule set
	// lets it and within its bounds (unit_points); nil keeps the rule
	// set's points.
	CategoryPoints map[string]Decimal `json:"category_points,omitempty"`
}

// Indicator is one of the project's own third-level (三级) performance
// targets, with what was achieved.
type Indicator struct {
	Level1          string    `json:"level1"` // 一级指标, e.g. 产出指标
	Level2          string    `json:"level2"` // 二级指标, e.g. 数量指标
	Name            string    `json:"name"`   // 三级指标
	Direction       Direction `json:"direction"`
	Target          *float64  `json:"target,omitempty"` // 年度指标值
	Actual          *float64  `json:"actual,omitempty"` // 实际完成值
	Rating          Rating    `json:"rating,omitempty"` // qualitative only
	Unit            string    `json:"unit,omitempty"`
	Weight          *Decimal  `json:"weight,omitempty"` // 分值 set by the unit
	DeviationReason string    `json:"deviation_reason,omitempty"`
	// ProposedScore is the unit's own score of a qualitative indicator,
	// in points; the rule set keeps it inside the rating's band.
	ProposedScore   *Decimal `json:"proposed_score,omitempty"`
	Description     string   `json:"description,omitempty"`      // 完成情况简要描述
	Deduction       *Decimal `json:"deduction,omitempty"`        // the reviewer's deduction, points
	DeductionReason string   `json:"deduction_reason,omitempty"` // why, required with a deduction
}

// CostLevel1 is the 一级指标 of cost targets (成本指标). Such an indicator
// may leave its direction out: the rule set gives it (less is better, in
// the built-in sets).
const CostLevel1 = "成本指标"

// Direction says how an indicator's actual value is judged against its target.
type Direction string

const (
	AtLeast     Direction = ">="          // 正向: more is better
	Greater     Direction = ">"           // 大于: scored as AtLeast
	AtMost      Direction = "<="          // 反向: less is better
	Less        Direction = "<"           // 小于: scored as AtMost
	Exactly     Direction = "="           // must equal the target
	Qualitative Direction = "qualitative" // 定性: judged by a rating
)

// directionWords is the one vocabulary of directions: every reader (JSON,
// CSV, workbooks, 自评表 targets such as "≥90") accepts these words.
var directionWords = map[string]Direction{
	">=": AtLeast, "≥": AtLeast, "正向": AtLeast, "正向指标": AtLeast, "大于等于": AtLeast, "越大越好": AtLeast,
	">": Greater, "大于": Greater,
	"<=": AtMost, "≤": AtMost, "反向": AtMost, "反向指标": AtMost, "小于等于": AtMost, "越小越好": AtMost,
	"<": Less, "小于": Less,
	"=": Exactly, "==": Exactly, "等于": Exactly, "等于指标": Exactly,
	"qualitative": Qualitative, "定性": Qualitative, "定性指标": Qualitative,
}

// DirectionWords names the main words ParseDirection accepts, for messages.
const DirectionWords = ">=, >, <=, <, =, qualitative (or ≥, ≤, 正向, 大于, 反向, 小于, 等于, 定性)"

// ParseDirection accepts the canonical forms and the words used on
// Chinese forms.
func ParseDirection(s string) (Direction, bool) {
	d, ok := directionWords[s]
	return d, ok
}

// Scored is the direction whose scoring rules apply: the strict > and <
// are scored as ≥ and ≤, as the national forms' software does.
func (d Direction) Scored() Direction {
	switch d {
	case Greater:
		return AtLeast
	case Less:
		return AtMost
	}
	return d
}

// Label is the direction as printed on a 自评表.
func (d Direction) Label() string {
	switch d {
	case AtLeast:
		return "≥"
	case Greater:
		return ">"
	case AtMost:
		return "≤"
	case Less:
		return "<"
	case Exactly:
		return "="
	case Qualitative:
		return "定性"
	}
	return string(d)
}

// Rating is a qualitative judgement.
type Rating string

const (
	Achieved          Rating = "达成"
	PartiallyAchieved Rating = "部分达成"
	NotAchieved       Rating = "未达成"
)

// Valid reports whether r is one of the three ratings.
func (r Rating) Valid() bool {
	return r == Achieved || r == PartiallyAchieved || r == NotAchieved
}
