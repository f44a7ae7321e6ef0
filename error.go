package jixiao

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the api package and to one
// exit status in the command.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"   // well-formed but wrong: a field fails validation
	EMALFORMED    = "malformed" // not decodable: broken JSON, wrong types
	EUNAVAILABLE  = "unavailable"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	EUNSUPPORTED  = "unsupported_media_type"
	EFULL         = "storage_full"      // the disk (or the database's size limit) is full
	ETOOMANY      = "too_many_requests" // too many attempts: wait and try again
)

// Error is the application's error: a code, a message for the user, and
// optional field-level details.
type Error struct {
	Code    string
	Message string
	Details []FieldError
}

// FieldError locates one problem: a project and field, or for an
// uploaded workbook a sheet, row and column.
type FieldError struct {
	Project string `json:"project,omitempty"`
	Field   string `json:"field,omitempty"`
	Sheet   string `json:"sheet,omitempty"`
	Row     int    `json:"row,omitempty"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the application error in err's chain,
// or EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors
// get a generic text so that details do not leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
