package storage

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"jixiao"
)

type userRow struct {
	ID                 int64      `gorm:"column:id;primaryKey"`
	Name               string     `gorm:"column:name"`
	DisplayName        string     `gorm:"column:display_name"`
	Role               string     `gorm:"column:role"`
	DepartmentCode     *string    `gorm:"column:department_code"`
	PasswordHash       string     `gorm:"column:password_hash"`
	MustChangePassword bool       `gorm:"column:must_change_password"`
	CreatedAt          time.Time  `gorm:"column:created_at"`
	UpdatedAt          time.Time  `gorm:"column:updated_at"`
	DisabledAt         *time.Time `gorm:"column:disabled_at"`
}

func (userRow) TableName() string { return "users" }

func (r *userRow) user() jixiao.User {
	return jixiao.User{ID: r.ID, Name: r.Name, DisplayName: r.DisplayName, Role: r.Role, Department: deref(r.DepartmentCode), PasswordHash: r.PasswordHash,
		MustChangePassword: r.MustChangePassword, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DisabledAt: r.DisabledAt}
}

type sessionRow struct {
	TokenHash string    `gorm:"column:token_hash;primaryKey"`
	UserID    int64     `gorm:"column:user_id"`
	CSRFToken string    `gorm:"column:csrf_token"`
	CreatedAt time.Time `gorm:"column:created_at"`
	SeenAt    time.Time `gorm:"column:seen_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (sessionRow) TableName() string { return "sessions" }

type loginFailureRow struct {
	Name        string     `gorm:"column:name;primaryKey"`
	Failures    int        `gorm:"column:failures"`
	LockedUntil *time.Time `gorm:"column:locked_until"`
	LastAt      time.Time  `gorm:"column:last_at"`
}

func (loginFailureRow) TableName() string { return "login_failures" }

func checkUser(u *jixiao.User) error {
	if msg := jixiao.ValidUserName(u.Name); msg != "" || u.Name != jixiao.NormalizeUserName(u.Name) {
		return jixiao.Errorf(jixiao.EINVALID, "用户名 %q 无效：%s", u.Name, msg)
	}
	if jixiao.RoleRank(u.Role) == 0 {
		return jixiao.Errorf(jixiao.EINVALID, "unknown role %q", u.Role)
	}
	if u.PasswordHash == "" {
		return jixiao.Errorf(jixiao.EINVALID, "a user needs a password hash")
	}
	return nil
}

// CreateUser stores a new user and sets its id and times. A second user
// of the same name is a conflict.
func (d *DB) CreateUser(ctx context.Context, u *jixiao.User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	u.CreatedAt = d.orNow(u.CreatedAt)
	u.UpdatedAt = u.CreatedAt
	u.DisabledAt = dbTimePtr(u.DisabledAt)
	row := userRow{Name: u.Name, DisplayName: u.DisplayName, Role: u.Role, DepartmentCode: optional(u.Department), PasswordHash: u.PasswordHash,
		MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, DisabledAt: u.DisabledAt}
	err := d.write(ctx, func(tx *gorm.DB) error {
		if err := checkAccountDepartment(tx, u.Department, u.Role); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return jixiao.Errorf(jixiao.ECONFLICT, "用户名 %s 已存在", u.Name)
		}
		return err
	}
	u.ID = row.ID
	return nil
}

// FindUser returns the user with this id.
func (d *DB) FindUser(ctx context.Context, id int64) (*jixiao.User, error) {
	var row userRow
	if err := d.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, unavailable(notFound(err, "no user %d", id))
	}
	u := row.user()
	return &u, nil
}

// FindUserByName returns the user with this (normalized) login name.
func (d *DB) FindUserByName(ctx context.Context, name string) (*jixiao.User, error) {
	var row userRow
	if err := d.r.WithContext(ctx).Where("name = ?", jixiao.NormalizeUserName(name)).Take(&row).Error; err != nil {
		return nil, unavailable(notFound(err, "no user %q", name))
	}
	u := row.user()
	return &u, nil
}

// FindUsers returns every user, disabled ones included, by name.
func (d *DB) FindUsers(ctx context.Context) ([]jixiao.User, error) {
	var rows []userRow
	if err := d.r.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, unavailable(err)
	}
	out := make([]jixiao.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, nil
}

// CountUsers counts the users, disabled ones included.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int64
	err := d.r.WithContext(ctx).Model(&userRow{}).Count(&n).Error
	return int(n), unavailable(err)
}

// UpdateUser stores u's display name, role, password hash, must-change
// flag and disabled time, and sets its UpdatedAt. A new password hash or
// a disabling ends the user's sessions in the same transaction.
func (d *DB) UpdateUser(ctx context.Context, u *jixiao.User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	u.UpdatedAt = d.now()
	u.DisabledAt = dbTimePtr(u.DisabledAt)
	return d.write(ctx, func(tx *gorm.DB) error {
		var old userRow
		if err := tx.Where("id = ?", u.ID).Take(&old).Error; err != nil {
			return notFound(err, "no user %d", u.ID)
		}
		if err := checkAccountDepartment(tx, u.Department, u.Role); err != nil {
			return err
		}
		err := tx.Model(&userRow{}).Where("id = ?", u.ID).Updates(map[string]any{
			"display_name": u.DisplayName, "role": u.Role, "department_code": optional(u.Department), "password_hash": u.PasswordHash,
			"must_change_password": u.MustChangePassword, "updated_at": u.UpdatedAt, "disabled_at": u.DisabledAt,
		}).Error
		if err != nil {
			return err
		}
		if old.PasswordHash != u.PasswordHash || u.DisabledAt != nil || deref(old.DepartmentCode) != u.Department {
			return tx.Where("user_id = ?", u.ID).Delete(&sessionRow{}).Error
		}
		return nil
	})
}

// CreateSession stores a session.
func (d *DB) CreateSession(ctx context.Context, s *jixiao.Session) error {
	s.CreatedAt = d.orNow(s.CreatedAt)
	s.SeenAt = d.orNow(s.SeenAt)
	s.ExpiresAt = dbTime(s.ExpiresAt)
	row := sessionRow{TokenHash: s.TokenHash, UserID: s.UserID, CSRFToken: s.CSRFToken, CreatedAt: s.CreatedAt, SeenAt: s.SeenAt, ExpiresAt: s.ExpiresAt}
	return d.write(ctx, func(tx *gorm.DB) error { return tx.Create(&row).Error })
}

// FindSession returns the session whose token has this hash, with its
// user, or ENOTFOUND.
func (d *DB) FindSession(ctx context.Context, tokenHash string) (*jixiao.Session, *jixiao.User, error) {
	var row sessionRow
	if err := d.r.WithContext(ctx).Where("token_hash = ?", tokenHash).Take(&row).Error; err != nil {
		return nil, nil, unavailable(notFound(err, "no such session"))
	}
	u, err := d.FindUser(ctx, row.UserID)
	if err != nil {
		return nil, nil, err
	}
	return &jixiao.Session{TokenHash: row.TokenHash, UserID: row.UserID, CSRFToken: row.CSRFToken,
		CreatedAt: row.CreatedAt, SeenAt: row.SeenAt, ExpiresAt: row.ExpiresAt}, u, nil
}

// TouchSession records a request of the session at at.
func (d *DB) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	return d.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&sessionRow{}).Where("token_hash = ?", tokenHash).Update("seen_at", dbTime(at)).Error
	})
}

// DeleteSession ends a session; ending one that is gone is no error.
func (d *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return d.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("token_hash = ?", tokenHash).Delete(&sessionRow{}).Error
	})
}

// FailedLogin counts a failed login under name and locks the name for
// lockFor(failures) from at.
func (d *DB) FailedLogin(ctx context.Context, name string, at time.Time, lockFor func(failures int) time.Duration) (jixiao.LoginThrottle, error) {
	name = jixiao.NormalizeUserName(name)
	at = dbTime(at)
	var out jixiao.LoginThrottle
	err := d.write(ctx, func(tx *gorm.DB) error {
		var row loginFailureRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("name = ?", name).Take(&row).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			row = loginFailureRow{Name: name}
		case err != nil:
			return err
		}
		row.Failures++
		row.LastAt = at
		if lock := lockFor(row.Failures); lock > 0 {
			until := at.Add(lock)
			row.LockedUntil = &until
		}
		out = jixiao.LoginThrottle{Failures: row.Failures}
		if row.LockedUntil != nil {
			out.LockedUntil = *row.LockedUntil
		}
		return tx.Save(&row).Error
	})
	return out, err
}

// FindLoginThrottle returns the failed logins under name.
func (d *DB) FindLoginThrottle(ctx context.Context, name string) (jixiao.LoginThrottle, error) {
	var row loginFailureRow
	err := d.r.WithContext(ctx).Where("name = ?", jixiao.NormalizeUserName(name)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return jixiao.LoginThrottle{}, nil
	}
	if err != nil {
		return jixiao.LoginThrottle{}, unavailable(err)
	}
	out := jixiao.LoginThrottle{Failures: row.Failures}
	if row.LockedUntil != nil {
		out.LockedUntil = *row.LockedUntil
	}
	return out, nil
}

// ClearLoginThrottle forgets the failed logins under name (after a
// successful one).
func (d *DB) ClearLoginThrottle(ctx context.Context, name string) error {
	return d.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("name = ?", jixiao.NormalizeUserName(name)).Delete(&loginFailureRow{}).Error
	})
}
