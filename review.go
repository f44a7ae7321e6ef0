package jixiao

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Statuses of a project's self-evaluation.
const (
	StatusDraft     = "draft"     // 草稿
	StatusSubmitted = "submitted" // 已提交
	StatusApproved  = "approved"  // 已审核
	StatusReturned  = "returned"  // 已退回
)

// StatusName is how messages and forms name a status: 草稿, 已提交…
func StatusName(status string) string {
	switch status {
	case StatusDraft:
		return "草稿"
	case StatusSubmitted:
		return "已提交"
	case StatusApproved:
		return "已审核"
	case StatusReturned:
		return "已退回"
	}
	return status
}

// UnderReview reports a status whose version the bureau judges or has
// judged: submitted or approved. Its department may not change it, and a
// bureau edit hands it back as a draft.
func UnderReview(status string) bool {
	return status == StatusSubmitted || status == StatusApproved
}

// Review actions.
const (
	ReviewSubmit  = "submit"
	ReviewApprove = "approve"
	ReviewReturn  = "return"
)

// Review is one step of a project's review: a submission by its
// department, or an approval or return by the bureau, about one input
// version of the project.
type Review struct {
	ID                int64             `json:"id"`
	Action            string            `json:"action"`
	InputHash         string            `json:"input_hash"`
	Actor             string            `json:"actor"`
	Comment           string            `json:"comment,omitempty"`
	IndicatorComments map[string]string `json:"indicator_comments,omitempty"` // by indicator name
	// Deductions are the reviewer's deductions an approval made: the
	// version it approved (InputHash) is the submitted one with them.
	Deductions []Deduction `json:"deductions,omitempty"`
	At         time.Time   `json:"at"`
}

// SubmittedBefore returns the version its department submitted before an
// approval with deductions made version hash, or "" when no approval did
// (the version is one the department submitted, or the bureau entered).
func (s ReviewState) SubmittedBefore(hash string) string {
	for i, r := range s.Reviews {
		if r.InputHash == hash && s.ApprovedWithDeductions(i) {
			return s.Reviews[i-1].InputHash
		}
	}
	return ""
}

// ApprovedWithDeductions reports whether review i is an approval with
// deductions: one that approved another version than the one submitted
// before it.
func (s ReviewState) ApprovedWithDeductions(i int) bool {
	return s.Reviews[i].Action == ReviewApprove && i > 0 && s.Reviews[i-1].InputHash != s.Reviews[i].InputHash
}

// Deduction is a reviewer's deduction from one of a project's
// third-level indicators, with the reason; the engine takes it off the
// indicator's score (not below 0) and says so in the reason.
type Deduction struct {
	Indicator string  `json:"indicator"` // the indicator's name (三级指标)
	Points    Decimal `json:"points"`
	Reason    string  `json:"reason"`
}

// ApplyDeductions writes ds into the project's indicators, named by
// their third-level names, replacing what those indicators carried.
func (p *Project) ApplyDeductions(ds []Deduction) error {
	var bad []FieldError
	for i, d := range ds {
		field := fmt.Sprintf("deductions[%d]", i)
		var found []int
		for j := range p.Indicators {
			if p.Indicators[j].Name == d.Indicator {
				found = append(found, j)
			}
		}
		switch {
		case len(found) == 0:
			bad = append(bad, FieldError{Project: p.ID, Field: field + ".indicator", Message: fmt.Sprintf("项目没有三级指标“%s”", d.Indicator)})
		case len(found) > 1:
			bad = append(bad, FieldError{Project: p.ID, Field: field + ".indicator", Message: fmt.Sprintf("项目有 %d 个名为“%s”的三级指标，无法确定扣哪一个", len(found), d.Indicator)})
		case d.Points <= 0 || d.Points > Points(100):
			bad = append(bad, FieldError{Project: p.ID, Field: field + ".points", Message: "扣分须大于 0 且不超过 100 分"})
		case strings.TrimSpace(d.Reason) == "":
			bad = append(bad, FieldError{Project: p.ID, Field: field + ".reason", Message: "须写明扣分理由"})
		case utf8.RuneCountInString(d.Reason) > 500:
			bad = append(bad, FieldError{Project: p.ID, Field: field + ".reason", Message: "扣分理由至多 500 个字符"})
		default:
			points := d.Points
			p.Indicators[found[0]].Deduction = &points
			p.Indicators[found[0]].DeductionReason = strings.TrimSpace(d.Reason)
		}
	}
	if len(bad) > 0 {
		return &Error{Code: EINVALID, Message: fmt.Sprintf("项目 %s 的复核扣分有 %d 处错误", p.ID, len(bad)), Details: bad}
	}
	return nil
}

// HasDeductions reports whether any indicator carries a reviewer's
// deduction.
func (p *Project) HasDeductions() bool {
	for i := range p.Indicators {
		if p.Indicators[i].Deduction != nil || p.Indicators[i].DeductionReason != "" {
			return true
		}
	}
	return false
}

// Deductions lists the reviewer's deductions the project carries.
func (p *Project) Deductions() []Deduction {
	var out []Deduction
	for _, ind := range p.Indicators {
		if ind.Deduction != nil {
			out = append(out, Deduction{Indicator: ind.Name, Points: *ind.Deduction, Reason: ind.DeductionReason})
		}
	}
	return out
}

// ReviewState is a project's status and its reviews, oldest first.
type ReviewState struct {
	Status    string   `json:"status"`
	InputHash string   `json:"input_hash"` // the version stored now
	Reviews   []Review `json:"reviews"`
}
