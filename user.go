package jixiao

import (
	"crypto/rand"
	"encoding/base64"
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
