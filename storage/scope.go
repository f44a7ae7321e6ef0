package storage

import (
	"context"

	"gorm.io/gorm"

	"jixiao"
)

// noDepartment is a department code no department has: a filter on it
// selects nothing.
const noDepartment = "\x00"

// scopeFilter limits f to the departments of ctx's scope: a scoped
// account's selection never reaches past them, whatever it names.
func scopeFilter(ctx context.Context, f jixiao.ProjectFilter) jixiao.ProjectFilter {
	s := jixiao.ScopeOf(ctx)
	if !s.Limited() {
		return f
	}
	if len(f.DepartmentCodes) == 0 {
		f.DepartmentCodes = s.Departments
		return f
	}
	var both []string
	for _, c := range f.DepartmentCodes {
		if s.Allows(c) {
			both = append(both, c)
		}
	}
	if len(both) == 0 {
		both = []string{noDepartment}
	}
	f.DepartmentCodes = both
	return f
}

// inScope limits q to rows whose department column col is in ctx's
// scope; bureau-wide, it changes nothing.
func inScope(ctx context.Context, q *gorm.DB, col string) *gorm.DB {
	s := jixiao.ScopeOf(ctx)
	if !s.Limited() {
		return q
	}
	codes := s.Departments
	if len(codes) == 0 {
		codes = []string{noDepartment}
	}
	return q.Where(col+" IN ?", codes)
}

// scopeDepartment is the department a run or scenario made under ctx
// belongs to: the scoped account's, or none (the bureau's).
func scopeDepartment(ctx context.Context) *string {
	return optional(jixiao.ScopeOf(ctx).Department)
}
