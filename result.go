package jixiao

import (
	"encoding/json"
	"iter"
)

// RuleSetRef identifies exactly which rule file produced a result.
type RuleSetRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Hash    string `json:"hash"` // sha256 of the rule file's bytes, hex
}

// ShortHash is how a content hash is shown to people: its first 12 hex
// digits, enough to tell versions apart.
func ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Result is the score of one project under one rule set.
type Result struct {
	ProjectID   string  `json:"project_id"`
	ProjectName string  `json:"project_name"`
	Total       Decimal `json:"total"`
	Grade       string  `json:"grade"`
	// ExecutionRate is the computed 预算执行率 in percent, rounded half-up
	// to two places, as the rule set defines it (its execution_rate
	// formula); nil when the rule set names none. Front ends show this
	// value and never compute a rate of their own.
	ExecutionRate *Decimal `json:"execution_rate,omitempty"`
	// Rescale is set when a category did not apply and the total was
	// rescaled to 100 points; nil otherwise.
	Rescale    *Rescale   `json:"rescale,omitempty"`
	RuleSet    RuleSetRef `json:"ruleset"`
	Indicators []Node     `json:"indicators"`
	Findings   []Finding  `json:"findings"`
}

// Rescale is the step from the applicable indicators to the total when
// some do not apply: Total = Sum × 100 ÷ Applicable, rounded half-up to
// two places. Front ends show these numbers, so the rows visibly add up.
type Rescale struct {
	// Sum is the sum of the scores of the indicators that apply.
	Sum Decimal `json:"sum"`
	// Applicable is the sum of their points, under 100.
	Applicable Decimal `json:"applicable"`
}

// Node is one indicator of the scored tree: a fixed indicator of the rule
// set, a group, or one of the project's own indicators.
type Node struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Points Decimal `json:"points"`
	Score  Decimal `json:"score"`
	Reason string  `json:"reason,omitempty"`
	// Indicator is the position, counted from 1, of the project's own
	// indicator (Project.Indicators) that this node scored; 0 for the
	// rule set's fixed indicators and groups.
	Indicator int `json:"indicator,omitempty"`
	// ExecutionRate is the computed 预算执行率 that this node's formulas
	// read, the result's ExecutionRate; nil when they read none.
	ExecutionRate *Decimal `json:"execution_rate,omitempty"`
	Children      []Node   `json:"children,omitempty"`
	// Explain, when set, writes the reason on demand: the engine records
	// a reason's numbers while scoring and its text only when it is read.
	// Read the reason with ReasonText.
	Explain Explainer `json:"-"`
}

// Explainer writes a recorded reason, the same text every time.
type Explainer interface{ Explain() string }

// ReasonText returns the node's reason, writing a recorded one.
func (n *Node) ReasonText() string {
	if n.Reason == "" && n.Explain != nil {
		return n.Explain.Explain()
	}
	return n.Reason
}

// MarshalJSON writes the node with its reason.
func (n Node) MarshalJSON() ([]byte, error) {
	type plain Node // the fields, without this method
	p := plain(n)
	p.Reason = n.ReasonText()
	return json.Marshal(p)
}

// Find returns the node with the given id anywhere in the tree.
func (r *Result) Find(id string) *Node {
	for n := range r.Nodes() {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// Nodes yields every node of the tree, depth first, each before its
// children.
func (r *Result) Nodes() iter.Seq[*Node] {
	return func(yield func(*Node) bool) { yieldNodes(r.Indicators, yield) }
}

func yieldNodes(nodes []Node, yield func(*Node) bool) bool {
	for i := range nodes {
		if !yield(&nodes[i]) || !yieldNodes(nodes[i].Children, yield) {
			return false
		}
	}
	return true
}

// Severity ranks data-quality findings.
type Severity string

const (
	SeverityError   Severity = "error" // the project is rejected
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Label is the severity as finance staff read it: 错误, 警告 or 提示.
func (s Severity) Label() string {
	switch s {
	case SeverityError:
		return "错误"
	case SeverityWarning:
		return "警告"
	case SeverityInfo:
		return "提示"
	}
	return string(s)
}

// Finding is a data-quality observation reported next to a score.
type Finding struct {
	Check     string   `json:"check"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	Indicator string   `json:"indicator,omitempty"` // node id, for per-indicator checks
}

// Rejection lists every reason a project could not be scored.
type Rejection struct {
	ProjectID string   `json:"project_id"`
	Errors    []string `json:"errors"`
}

// Outcome is the result of scoring a batch: the scored projects and the
// rejected ones, each in input order.
type Outcome struct {
	Results  []Result    `json:"results"`
	Rejected []Rejection `json:"rejected"`
}
