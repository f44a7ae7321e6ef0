package storage

import (
	"context"

	"gorm.io/gorm"

	"jixiao"
)

// AddAudit appends an entry to the audit log; an entry without a time
// happened now.
func (d *DB) AddAudit(ctx context.Context, e jixiao.AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return jixiao.Errorf(jixiao.EINVALID, "an audit entry needs an actor and an action")
	}
	row := auditRow{At: d.orNow(e.At), Actor: e.Actor, Action: e.Action, Subject: e.Subject, Detail: nullJSON(e.Detail)}
	return d.w.WithContext(ctx).Create(&row).Error
}

// FindAudit returns audit entries, the latest first, and how many there
// are in all.
func (d *DB) FindAudit(ctx context.Context, offset, limit int) ([]jixiao.AuditEntry, int, error) {
	var (
		rows  []auditRow
		total int64
	)
	err := d.read(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&auditRow{}).Count(&total).Error; err != nil {
			return err
		}
		return page(tx.Order("id DESC"), offset, limit).Find(&rows).Error
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]jixiao.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = jixiao.AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Action: r.Action, Subject: r.Subject, Detail: rawJSON(r.Detail)}
	}
	return out, int(total), nil
}
