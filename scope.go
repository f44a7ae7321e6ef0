package jixiao

import (
	"context"
	"slices"
)

// Scope is what an account may see and change: everything (bureau-wide,
// the zero Scope), or the projects of one department and its subordinate
// units, and the runs, scores, scenarios and departments that go with
// them. The store reads it from the context of each call, so that every
// read and write of a request is limited alike.
type Scope struct {
	// Department is the account's department; "" is bureau-wide.
	Department string
	// Departments are Department and its subordinate units, at any depth.
	Departments []string
}

// Limited reports whether the scope is one department's.
func (s Scope) Limited() bool { return s.Department != "" }

// Allows reports whether a project of department code is in the scope.
func (s Scope) Allows(code string) bool {
	return !s.Limited() || code != "" && slices.Contains(s.Departments, code)
}

type scopeKey struct{}

// WithScope returns ctx carrying s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeOf returns the scope ctx carries: bureau-wide when none.
func ScopeOf(ctx context.Context) Scope {
	s, _ := ctx.Value(scopeKey{}).(Scope)
	return s
}
