package jixiao

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a person who logs in with a name and a password (API keys are
// for machines). Only the password's argon2id hash is kept.
type User struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"` // the login name, lower case
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	// Department scopes the user to one department (and its subordinate
	// units); "" is bureau-wide.
	Department   string `json:"department_code,omitempty"`
	PasswordHash string `json:"-"`
	// MustChangePassword is set by an admin's reset (and for new users):
	// until the user sets a password of their own, their session serves
	// nothing but the session and the password change.
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	DisabledAt         *time.Time `json:"disabled_at,omitempty"`
}

// Session is a logged-in user's server-side session. The browser holds a
// random token in a cookie; the store keeps only its SHA-256 (TokenHash),
// with the token every state-changing request must repeat in a header
// (CSRFToken).
type Session struct {
	TokenHash string
	UserID    int64
	CSRFToken string
	CreatedAt time.Time
	SeenAt    time.Time // the last request, within a minute
	ExpiresAt time.Time // the absolute end, whatever the activity
}

// UserActorPrefix begins the audit log's name of a person, before their
// login name; an API key's name may not begin so.
const UserActorPrefix = "user:"

// LoginThrottle is what the store remembers of failed logins under one
// login name, known or not, so that guessing is slowed down alike for
// names that exist and names that do not.
type LoginThrottle struct {
	Failures    int
	LockedUntil time.Time
}

// NormalizeUserName returns the login name as stored: trimmed, lower case.
func NormalizeUserName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// ValidUserName reports why a normalized login name is refused, or "":
// 2 to 64 characters, letters, digits and . _ - only.
func ValidUserName(name string) string {
	if n := utf8.RuneCountInString(name); n < 2 || n > 64 {
		return "用户名须为 2 至 64 个字符"
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' {
			return "用户名只能包含字母、数字和 . _ -"
		}
	}
	return ""
}

// NewSecretToken returns a random token of n bytes, URL-safe base64.
func NewSecretToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Department is a 主管部门 or 预算单位. Projects belong to one by code;
// importing matches departments by name and creates those it does not
// know. A merged department's name still leads to the one it was merged
// into.
type Department struct {
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	ParentCode string    `json:"parent_code,omitempty"` // a subordinate unit's department
	MergedInto string    `json:"merged_into,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Projects   int       `json:"projects"` // how many projects belong to it
}

// ValidDepartmentCode reports why a department code is refused, or "":
// 1 to 32 letters, digits, . _ -.
func ValidDepartmentCode(code string) string {
	if n := utf8.RuneCountInString(code); n < 1 || n > 32 {
		return "部门编码须为 1 至 32 个字符"
	}
	for _, r := range code {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' {
			return "部门编码只能包含英文字母、数字和 . _ -"
		}
	}
	return ""
}

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
		if r.Action == ReviewApprove && r.InputHash == hash && i > 0 && s.Reviews[i-1].InputHash != hash {
			return s.Reviews[i-1].InputHash
		}
	}
	return ""
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
