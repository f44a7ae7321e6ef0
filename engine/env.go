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
	scopeProject  scope = iota // project fields and derived values
	scopeCase                  // + W
	scopeLeaf                  // + leaf fields
	scopeLeafCase              // + leaf fields and W
	scopeTemplate              // + score, for messages of cases
)

func optFloat(d *jixiao.Decimal) (float64, bool) {
	if d == nil {
		return 0, false
	}
	return d.Float64(), true
}
