package storage

import (
	"context"

	"gorm.io/gorm"

	"jixiao"
)

// SaveScenario stores a new scenario (ID 0) and sets its id, or replaces
// the name, request and summary of a stored one.
func (d *DB) SaveScenario(ctx context.Context, s *jixiao.Scenario) error {
	if s.Name == "" {
		return jixiao.Errorf(jixiao.EINVALID, "a scenario needs a name")
	}
	if s.ID == 0 {
		s.CreatedAt = d.orNow(s.CreatedAt)
		row := scenarioRow{Name: s.Name, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt, Request: string(s.Request), Summary: string(s.Summary),
			DepartmentCode: scopeDepartment(ctx)}
		if err := d.w.WithContext(ctx).Create(&row).Error; err != nil {
			return err
		}
		s.ID = row.ID
		return nil
	}
	res := inScope(ctx, d.w.WithContext(ctx).Model(&scenarioRow{}).Where("id = ?", s.ID), "department_code").Updates(map[string]any{
		"name": s.Name, "request": string(s.Request), "summary": string(s.Summary),
	})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return jixiao.Errorf(jixiao.ENOTFOUND, "no scenario %d", s.ID)
	}
	return nil
}

// FindScenario returns the scenario with the given id.
func (d *DB) FindScenario(ctx context.Context, id int64) (*jixiao.Scenario, error) {
	var row scenarioRow
	if err := inScope(ctx, d.r.WithContext(ctx).Where("id = ?", id), "department_code").Take(&row).Error; err != nil {
		return nil, notFound(err, "no scenario %d", id)
	}
	s := row.scenario()
	return &s, nil
}

// FindScenarios returns scenarios, the latest first, and how many there
// are in all.
func (d *DB) FindScenarios(ctx context.Context, offset, limit int) ([]jixiao.Scenario, int, error) {
	var (
		rows  []scenarioRow
		total int64
	)
	err := d.read(ctx, func(tx *gorm.DB) error {
		q := inScope(ctx, tx.Model(&scenarioRow{}), "department_code").Session(&gorm.Session{})
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return page(q.Order("id DESC"), offset, limit).Find(&rows).Error
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]jixiao.Scenario, len(rows))
	for i := range rows {
		out[i] = rows[i].scenario()
	}
	return out, int(total), nil
}
