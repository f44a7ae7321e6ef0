package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"jixiao"
)

type departmentRow struct {
	Code       string    `gorm:"column:code;primaryKey"`
	Name       string    `gorm:"column:name"`
	ParentCode *string   `gorm:"column:parent_code"`
	MergedInto *string   `gorm:"column:merged_into"`
	CreatedAt  time.Time `gorm:"column:created_at"`
}

func (departmentRow) TableName() string { return "departments" }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// autoDepartmentCode is the code of a department an import creates: "D"
// and the first 8 hex digits of the SHA-256 of its name, the same on
// every instance, so that two imports creating it at once agree.
func autoDepartmentCode(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "D" + hex.EncodeToString(sum[:4])
}

// departmentCodes returns the code each name leads to, following merges,
// and creating (if create) the departments of names not known yet; it
// leaves those out otherwise. It runs in the caller's write transaction.
func departmentCodes(tx *gorm.DB, names []string, now time.Time, create bool) (map[string]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	found := func() (map[string]departmentRow, error) {
		out := make(map[string]departmentRow, len(names))
		for lo := 0; lo < len(names); lo += keyBatch {
			var rows []departmentRow
			if err := tx.Where("name IN ?", names[lo:min(lo+keyBatch, len(names))]).Find(&rows).Error; err != nil {
				return nil, err
			}
			for _, r := range rows {
				out[r.Name] = r
			}
		}
		return out, nil
	}
	known, err := found()
	if err != nil {
		return nil, err
	}
	var missing []departmentRow
	for _, n := range names {
		if _, ok := known[n]; !ok {
			missing = append(missing, departmentRow{Code: autoDepartmentCode(n), Name: n, CreatedAt: now})
		}
	}
	if len(missing) > 0 && create {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&missing, 500).Error; err != nil {
			return nil, err
		}
		if known, err = found(); err != nil {
			return nil, err
		}
	}
	codes := make(map[string]string, len(names))
	for _, n := range names {
		r, ok := known[n]
		if !ok && !create {
			continue // the caller refuses it
		}
		if !ok {
			// Another department has the code made from this name.
			return nil, jixiao.Errorf(jixiao.ECONFLICT, "部门“%s”的编码 %s 已被其他部门使用，请先在部门管理中建立该部门", n, autoDepartmentCode(n))
		}
		code, err := finalDepartment(tx, r)
		if err != nil {
			return nil, err
		}
		codes[n] = code
	}
	return codes, nil
}

// finalDepartment follows r's merges to the department that is not
// merged.
func finalDepartment(tx *gorm.DB, r departmentRow) (string, error) {
	for hops := 0; r.MergedInto != nil; hops++ {
		if hops > 32 {
			return "", jixiao.Errorf(jixiao.EINTERNAL, "department %s: merges go round in a circle", r.Code)
		}
		var next departmentRow // a fresh row: GORM would add r's key to the query
		if err := tx.Where("code = ?", *r.MergedInto).Take(&next).Error; err != nil {
			return "", err
		}
		r = next
	}
	return r.Code, nil
}

// FindDepartments returns every department, merged ones included, by
// code, with the number of projects of each.
func (d *DB) FindDepartments(ctx context.Context) ([]jixiao.Department, error) {
	var rows []departmentRow
	if err := inScope(ctx, d.r.WithContext(ctx), "code").Order("code").Find(&rows).Error; err != nil {
		return nil, unavailable(err)
	}
	type count struct {
		Code string `gorm:"column:department_code"`
		N    int    `gorm:"column:n"`
	}
	var counts []count
	if err := d.r.WithContext(ctx).Raw("SELECT department_code, COUNT(*) AS n FROM projects WHERE department_code IS NOT NULL GROUP BY department_code").
		Scan(&counts).Error; err != nil {
		return nil, unavailable(err)
	}
	n := make(map[string]int, len(counts))
	for _, c := range counts {
		n[c.Code] = c.N
	}
	out := make([]jixiao.Department, len(rows))
	for i, r := range rows {
		out[i] = jixiao.Department{Code: r.Code, Name: r.Name, ParentCode: deref(r.ParentCode), MergedInto: deref(r.MergedInto),
			CreatedAt: r.CreatedAt, Projects: n[r.Code]}
	}
	return out, nil
}

// FindDepartment returns the department with this code, with its number
// of projects.
func (d *DB) FindDepartment(ctx context.Context, code string) (*jixiao.Department, error) {
	var r departmentRow
	if err := inScope(ctx, d.r.WithContext(ctx).Where("code = ?", code), "code").Take(&r).Error; err != nil {
		return nil, unavailable(notFound(err, "no department %q", code))
	}
	var n int64
	if err := d.r.WithContext(ctx).Model(&projectRow{}).Where("department_code = ?", code).Count(&n).Error; err != nil {
		return nil, unavailable(err)
	}
	return &jixiao.Department{Code: r.Code, Name: r.Name, ParentCode: deref(r.ParentCode), MergedInto: deref(r.MergedInto),
		CreatedAt: r.CreatedAt, Projects: int(n)}, nil
}

func checkDepartment(tx *gorm.DB, dep *jixiao.Department) error {
	if msg := jixiao.ValidDepartmentCode(dep.Code); msg != "" {
		return jixiao.Errorf(jixiao.EINVALID, "部门编码 %q 无效：%s", dep.Code, msg)
	}
	if dep.Name == "" || jixiao.LabelProblem(dep.Name) != "" {
		return jixiao.Errorf(jixiao.EINVALID, "部门名称 %q 无效：%s", dep.Name, jixiao.LabelProblem(dep.Name))
	}
	// A parent must exist, not be merged, and not be the department or
	// one of its own subordinate units.
	for code, hops := dep.ParentCode, 0; code != ""; hops++ {
		if code == dep.Code || hops > 32 {
			return jixiao.Errorf(jixiao.EINVALID, "部门 %s 的上级部门不能是它自己或它的下级单位", dep.Code)
		}
		var p departmentRow
		if err := tx.Where("code = ?", code).Take(&p).Error; err != nil {
			return notFound(err, "上级部门 %s 不存在", code)
		}
		if hops == 0 && p.MergedInto != nil {
			return jixiao.Errorf(jixiao.EINVALID, "上级部门 %s 已合并到 %s", code, *p.MergedInto)
		}
		code = deref(p.ParentCode)
	}
	return nil
}

// CreateDepartment stores a new department. A code or a name in use is a
// conflict.
func (d *DB) CreateDepartment(ctx context.Context, dep *jixiao.Department) error {
	dep.CreatedAt = d.orNow(dep.CreatedAt)
	err := d.write(ctx, func(tx *gorm.DB) error {
		if err := checkDepartment(tx, dep); err != nil {
			return err
		}
		return tx.Create(&departmentRow{Code: dep.Code, Name: dep.Name, ParentCode: optional(dep.ParentCode), CreatedAt: dep.CreatedAt}).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return jixiao.Errorf(jixiao.ECONFLICT, "部门编码 %s 或名称“%s”已存在", dep.Code, dep.Name)
	}
	return err
}

// UpdateDepartment changes a department's name and parent.
func (d *DB) UpdateDepartment(ctx context.Context, dep *jixiao.Department) error {
	err := d.write(ctx, func(tx *gorm.DB) error {
		var old departmentRow
		if err := tx.Where("code = ?", dep.Code).Take(&old).Error; err != nil {
			return notFound(err, "no department %s", dep.Code)
		}
		if err := checkDepartment(tx, dep); err != nil {
			return err
		}
		dep.CreatedAt, dep.MergedInto = old.CreatedAt, deref(old.MergedInto)
		return tx.Model(&departmentRow{}).Where("code = ?", dep.Code).
			Updates(map[string]any{"name": dep.Name, "parent_code": optional(dep.ParentCode)}).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return jixiao.Errorf(jixiao.ECONFLICT, "部门名称“%s”已存在", dep.Name)
	}
	return err
}

// MergeDepartment moves from's projects and subordinate units to into
// and marks from merged into it, in one transaction.
func (d *DB) MergeDepartment(ctx context.Context, from, into string) (int, error) {
	if from == into {
		return 0, jixiao.Errorf(jixiao.EINVALID, "部门不能合并到它自己")
	}
	var moved int64
	err := d.write(ctx, func(tx *gorm.DB) error {
		var src, dst departmentRow
		if err := tx.Where("code = ?", from).Take(&src).Error; err != nil {
			return notFound(err, "no department %s", from)
		}
		if err := tx.Where("code = ?", into).Take(&dst).Error; err != nil {
			return notFound(err, "目标部门 %s 不存在", into)
		}
		if src.MergedInto != nil {
			return jixiao.Errorf(jixiao.ECONFLICT, "部门 %s 已合并到 %s", from, *src.MergedInto)
		}
		if dst.MergedInto != nil {
			return jixiao.Errorf(jixiao.EINVALID, "目标部门 %s 已合并到 %s", into, *dst.MergedInto)
		}
		// into may not be one of from's subordinate units.
		for code, hops := deref(dst.ParentCode), 0; code != ""; hops++ {
			if code == from || hops > 32 {
				return jixiao.Errorf(jixiao.EINVALID, "部门 %s 不能合并到它的下级单位 %s", from, into)
			}
			var p departmentRow
			if err := tx.Where("code = ?", code).Take(&p).Error; err != nil {
				return err
			}
			code = deref(p.ParentCode)
		}
		res := tx.Model(&projectRow{}).Where("department_code = ?", from).Update("department_code", into)
		if res.Error != nil {
			return res.Error
		}
		moved = res.RowsAffected
		if err := tx.Model(&departmentRow{}).Where("parent_code = ?", from).Update("parent_code", into).Error; err != nil {
			return err
		}
		return tx.Model(&departmentRow{}).Where("code = ?", from).Updates(map[string]any{"merged_into": into, "parent_code": nil}).Error
	})
	return int(moved), err
}

// DepartmentScope returns the scope of an account of department code:
// the department and its subordinate units at any depth. A merged or
// unknown department has an empty scope: the account sees nothing.
func (d *DB) DepartmentScope(ctx context.Context, code string) (jixiao.Scope, error) {
	s := jixiao.Scope{Department: code}
	if code == "" {
		return jixiao.Scope{}, nil
	}
	// Every scoped request asks: the database walks down from code and
	// answers those rows only, not the whole table. UNION stops at a row
	// met before.
	err := d.r.WithContext(ctx).Raw(`WITH RECURSIVE sub(code) AS (
		SELECT code FROM departments WHERE code = ? AND merged_into IS NULL
		UNION
		SELECT d.code FROM departments d JOIN sub ON d.parent_code = sub.code WHERE d.merged_into IS NULL
	) SELECT code FROM sub`, code).Scan(&s.Departments).Error
	if err != nil {
		return s, unavailable(err)
	}
	return s, nil
}

// checkAccountDepartment refuses a scoped account of a department that
// does not exist or was merged, or with the admin role (rule sets, users
// and keys are the bureau's).
func checkAccountDepartment(tx *gorm.DB, code, role string) error {
	if code == "" {
		return nil
	}
	if jixiao.BureauRole(role) {
		return jixiao.Errorf(jixiao.EINVALID, "%s 账户须为全局账户，不能限于部门 %s", role, code)
	}
	var r departmentRow
	if err := tx.Where("code = ?", code).Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return jixiao.Errorf(jixiao.EINVALID, "部门 %s 不存在", code)
	} else if err != nil {
		return err
	}
	if r.MergedInto != nil {
		return jixiao.Errorf(jixiao.EINVALID, "部门 %s 已合并到 %s", code, *r.MergedInto)
	}
	return nil
}
