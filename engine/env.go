package engine

import (
	"jixiao"
)

// The names formulas may use. Project names are valid everywhere; leaf
// names only in leaf_rules, leaves.where and leaf checks; W in any scored
// case. They are listed in the README's rule-file reference.
var projectVars = map[string]any{
	"project_id":         "",
	"project_name":       "",
	"department":         "",
	"year":               0,
	"budget_initial":     0.0,
	"budget_adjusted":    0.0,
	"funds_arrived":      0.0,
	"spent":              0.0,
	"balance":            0.0,
	"execution_rate":     0.0,
	"compliance":         "",
	"has_budget_initial": false,
	"has_funds_arrived":  false,
	"has_balance":        false,
	"has_execution_rate": false,
	"has_compliance":     false,
	"indicator_count":    0,

	"implementing_unit":        "",
	"goal_expected":            "",
	"goal_achieved":            "",
	"execution_reason":         "",
	"appropriation_budget":     0.0,
	"appropriation_spent":      0.0,
	"carry_over_budget":        0.0,
	"carry_over_spent":         0.0,
	"other_budget":             0.0,
	"other_spent":              0.0,
	"has_appropriation_budget": false,
	"has_appropriation_spent":  false,
	"has_carry_over_budget":    false,
	"has_carry_over_spent":     false,
	"has_other_budget":         false,
	"has_other_spent":          false,
}

var leafVars = map[string]any{
	"name":             "",
	"level1":           "",
	"level2":           "",
	"direction":        "",
	"unit":             "",
	"rating":           "",
	"deviation_reason": "",
	"target":           0.0,
	"actual":           0.0,
	"weight":           0.0,
	"has_target":       false,
	"has_actual":       false,
	"has_weight":       false,
	"T":                0.0, // target
	"A":                0.0, // max(actual, 0)

	"description":        "",
	"deduction_reason":   "",
	"proposed_score":     0.0,
	"deduction":          0.0,
	"has_proposed_score": false,
	"has_deduction":      false,
}

// leafCheckVars are set for leaf checks, which run after the leaf is
// scored.
var leafCheckVars = map[string]any{
	"score": 0.0, // the leaf's score by its rules, before a reviewer deduction
}

// scoredVars are set while a case is scored.
var scoredVars = map[string]any{
	"W": 0.0, // the indicator's points for this project
}

// optionalFields are the project fields with a missing-data policy, with
// the type a default must have.
var optionalFields = map[string]any{
	"budget_initial": 0.0,
	"funds_arrived":  0.0,
	"balance":        0.0,
	"execution_rate": 0.0,
	"compliance":     "",
	"actual":         0.0,
}

type scope int

const (
	scopeProject   scope = iota // project fields and derived values
	scopeCase                   // + W
	scopeLeaf                   // + leaf fields
	scopeLeafCase               // + leaf fields and W
	scopeTemplate               // + score, for messages of cases
	scopeLeafCheck              // + leaf fields, W and score
)

func optFloat(d *jixiao.Decimal) (float64, bool) {
	if d == nil {
		return 0, false
	}
	return d.Float64(), true
}

// knownSlots are the frame slots of the names the engine itself sets.
type knownSlots struct {
	projectID, projectName, department, compliance                   slot
	year, budgetInitial, budgetAdjusted, fundsArrived, spent         slot
	balance, executionRate, indicatorCount                           slot
	hasBudgetInitial, hasFundsArrived, hasBalance, hasExecutionRate  slot
	hasCompliance                                                    slot
	name, level1, level2, direction, unit, rating, deviationReason   slot
	target, actual, weight, hasTarget, hasActual, hasWeight, T, A, W slot

	implementingUnit, goalExpected, goalAchieved, executionReason slot
	funds                                                         [6]fundSlots
	description, deductionReason, proposedScore, deduction        slot
	hasProposedScore, hasDeduction, score                         slot
}

// fundSlots are one amount of the fund sources and whether it was given.
type fundSlots struct{ value, has slot }

// fundNames are the fund-source amounts, in the order of fundAmounts.
var fundNames = [6]string{"appropriation_budget", "appropriation_spent", "carry_over_budget", "carry_over_spent", "other_budget", "other_spent"}

// fundAmounts are the project's fund-source amounts, in the order of
// fundNames.
func fundAmounts(p *jixiao.Project) [6]*jixiao.Decimal {
	return [6]*jixiao.Decimal{p.AppropriationBudget, p.AppropriationSpent, p.CarryOverBudget, p.CarryOverSpent, p.OtherBudget, p.OtherSpent}
}

// newKnownSlots gives every engine-set name a slot, in a fixed order.
func newKnownSlots(l *layout) knownSlots {
	add := func(name string, sample any) slot { return l.add(name, sample) }
	k := knownSlots{
		projectID: add("project_id", ""), projectName: add("project_name", ""), department: add("department", ""),
		compliance: add("compliance", ""), year: add("year", 0), budgetInitial: add("budget_initial", 0.0),
		budgetAdjusted: add("budget_adjusted", 0.0), fundsArrived: add("funds_arrived", 0.0), spent: add("spent", 0.0),
		balance: add("balance", 0.0), executionRate: add("execution_rate", 0.0), indicatorCount: add("indicator_count", 0),
		hasBudgetInitial: add("has_budget_initial", false), hasFundsArrived: add("has_funds_arrived", false),
		hasBalance: add("has_balance", false), hasExecutionRate: add("has_execution_rate", false),
		hasCompliance: add("has_compliance", false),
		name:          add("name", ""), level1: add("level1", ""), level2: add("level2", ""), direction: add("direction", ""),
		unit: add("unit", ""), rating: add("rating", ""), deviationReason: add("deviation_reason", ""),
		target: add("target", 0.0), actual: add("actual", 0.0), weight: add("weight", 0.0),
		hasTarget: add("has_target", false), hasActual: add("has_actual", false), hasWeight: add("has_weight", false),
		T: add("T", 0.0), A: add("A", 0.0), W: add("W", 0.0),
	}
	k.implementingUnit, k.goalExpected = add("implementing_unit", ""), add("goal_expected", "")
	k.goalAchieved, k.executionReason = add("goal_achieved", ""), add("execution_reason", "")
	for i, name := range fundNames {
		k.funds[i] = fundSlots{add(name, 0.0), add("has_"+name, false)}
	}
	k.description, k.deductionReason = add("description", ""), add("deduction_reason", "")
	k.proposedScore, k.deduction = add("proposed_score", 0.0), add("deduction", 0.0)
	k.hasProposedScore, k.hasDeduction = add("has_proposed_score", false), add("has_deduction", false)
	k.score = add("score", 0.0)
	return k
}

// slotFor returns the slot of an optional field with a missing-data policy.
func (k *knownSlots) slotFor(field string) slot {
	switch field {
	case "budget_initial":
		return k.budgetInitial
	case "funds_arrived":
		return k.fundsArrived
	case "balance":
		return k.balance
	case "execution_rate":
		return k.executionRate
	case "compliance":
		return k.compliance
	}
	return k.actual
}
