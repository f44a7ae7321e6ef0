package storage

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"jixiao"
)

// SaveRuleSetVersion stores a rule-set version once: saving the same id
// and hash again changes nothing, and the first loaded_at stays.
func (d *DB) SaveRuleSetVersion(ctx context.Context, v jixiao.RuleSetVersion) error {
	if v.RuleSetID == "" || v.Hash == "" {
		return jixiao.Errorf(jixiao.EINVALID, "a rule-set version needs an id and a hash")
	}
	switch v.Source {
	case jixiao.SourceBuiltin, jixiao.SourceFile, jixiao.SourceAPI:
	default:
		return jixiao.Errorf(jixiao.EINVALID, "unknown rule-set source %q", v.Source)
	}
	row := ruleSetRow{
		RuleSetID: v.RuleSetID, Version: v.Version, Hash: v.Hash, Name: v.Name, Body: v.Body, Source: v.Source,
		Path: v.Path, LoadedBy: v.LoadedBy, LoadedAt: d.orNow(v.LoadedAt), ActivatedAt: dbTimePtr(v.ActivatedAt),
	}
	return d.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "ruleset_id"}, {Name: "hash"}},
		DoNothing: true,
	}).Create(&row).Error
}

// RuleSetsChannel is the PostgreSQL notification channel of activations:
// its payload is the rule-set id.
const RuleSetsChannel = "jixiao_rulesets"

// MarkRuleSetActivated records when a stored version was last activated,
// and makes it the active version of its rule set for every instance of
// the database; on PostgreSQL the others are notified when it commits.
func (d *DB) MarkRuleSetActivated(ctx context.Context, id, hash string, at time.Time) error {
	return d.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&ruleSetRow{}).Where("ruleset_id = ? AND hash = ?", id, hash).Update("activated_at", dbTime(at))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return jixiao.Errorf(jixiao.ENOTFOUND, "no version %s of rule set %q", hash, id)
		}
		err := tx.Exec(`INSERT INTO ruleset_active (ruleset_id, hash, generation, activated_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (ruleset_id) DO UPDATE SET hash = excluded.hash,
			generation = ruleset_active.generation + 1, activated_at = excluded.activated_at`, id, hash, dbTime(at)).Error
		if err != nil || !d.postgres {
			return err
		}
		return tx.Exec("SELECT pg_notify(?, ?)", RuleSetsChannel, id).Error
	})
}

// ActiveRuleSets returns the active version of every rule set, as the
// last activation on any instance of the database left it.
func (d *DB) ActiveRuleSets(ctx context.Context) ([]jixiao.RuleSetVersion, error) {
	var rows []ruleSetRow
	err := d.r.WithContext(ctx).Table("ruleset_active AS a").
		Joins("JOIN ruleset_versions v ON v.ruleset_id = a.ruleset_id AND v.hash = a.hash").
		Select("v.*").Order("a.ruleset_id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]jixiao.RuleSetVersion, len(rows))
	for i := range rows {
		out[i] = rows[i].version()
	}
	return out, nil
}

// FindRuleSetVersions returns the stored versions of rule set id, the
// latest loaded first; all rule sets' versions when id is empty.
func (d *DB) FindRuleSetVersions(ctx context.Context, id string) ([]jixiao.RuleSetVersion, error) {
	q := d.r.WithContext(ctx)
	if id != "" {
		q = q.Where("ruleset_id = ?", id)
	}
	var rows []ruleSetRow
	if err := q.Order("loaded_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]jixiao.RuleSetVersion, len(rows))
	for i := range rows {
		out[i] = rows[i].version()
	}
	return out, nil
}

// FindRuleSetVersion returns the version with the given content hash.
func (d *DB) FindRuleSetVersion(ctx context.Context, hash string) (*jixiao.RuleSetVersion, error) {
	var row ruleSetRow
	if err := d.r.WithContext(ctx).Where("hash = ?", hash).Order("id").Take(&row).Error; err != nil {
		return nil, notFound(err, "no rule-set version %q", hash)
	}
	v := row.version()
	return &v, nil
}
