package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"jixiao"
)

const scoreColumns = `s.id, s.project_key, s.project_id, s.year, s.department, s.total_cents, s.grade,
	s.result, s.input_hash, s.ruleset_id, s.ruleset_hash, s.engine_version, s.created_at`

// firstRun is the run that first stored score s. A score is shared by
// every run that computed it; unless a query goes through one run, the
// score is reported under the run that produced it.
const firstRun = `(SELECT MIN(x.run_id) FROM run_scores x WHERE x.score_id = s.id) AS run_id`

// FindScores returns the scores f selects and how many it selects in
// all. With f.RunID, they are the scores that run linked, reported under
// that run, in project key order (the order the projects were stored);
// otherwise they come in the order they were stored.
//
// The page is chosen first, from the narrow columns and indexes, and only
// its rows are read whole: a score's result is kilobytes of JSON, and
// reading it for every row skipped by an offset would make deep pages of
// a large run slow.
func (d *DB) FindScores(ctx context.Context, f jixiao.ScoreFilter) ([]jixiao.ScoreRecord, int, error) {
	var (
		rows  []scoreRow
		total int64
	)
	err := d.read(ctx, func(tx *gorm.DB) error {
		q, from := tx.Table("scores AS s"), "s"
		if f.RunID != 0 {
			q, from = tx.Table("run_scores AS rs").Where("rs.run_id = ?", f.RunID), "rs"
		}
		if jixiao.ScopeOf(ctx).Limited() {
			q = inScope(ctx, q.Joins("JOIN projects p ON p.id = "+from+".project_key"), "p.department_code")
		}
		var where []string
		var args []any
		for _, c := range []struct {
			set  bool
			cond string
			arg  any
		}{
			{f.ProjectID != "", "s.project_id = ?", f.ProjectID},
			{f.Year != 0, "s.year = ?", f.Year},
			{f.Department != "", "s.department = ?", f.Department},
			{f.Grade != "", "s.grade = ?", f.Grade},
			{f.RuleSetID != "", "s.ruleset_id = ?", f.RuleSetID},
		} {
			if c.set {
				where = append(where, c.cond)
				args = append(args, c.arg)
			}
		}
		if len(where) > 0 {
			if f.RunID != 0 {
				q = q.Joins("JOIN scores s ON s.id = rs.score_id")
			}
			q = q.Where(strings.Join(where, " AND "), args...)
		}
		q = q.Session(&gorm.Session{})
		if err := q.Count(&total).Error; err != nil {
			return err
		}

		if f.RunID != 0 {
			ids := page(q.Select("rs.score_id").Order("rs.project_key"), f.Offset, f.Limit)
			return tx.Table("run_scores AS rs").Select(scoreColumns+", rs.run_id").
				Joins("JOIN scores s ON s.id = rs.score_id").
				Where("rs.run_id = ? AND rs.score_id IN (?)", f.RunID, ids).
				Order("rs.project_key").Scan(&rows).Error
		}
		ids := page(q.Select("s.id").Order("s.id"), f.Offset, f.Limit)
		return tx.Table("scores AS s").Select(scoreColumns+", "+firstRun).
			Where("s.id IN (?)", ids).Order("s.id").Scan(&rows).Error
	})
	if err != nil {
		return nil, 0, err
	}
	out, err := records(rows)
	return out, int(total), err
}

// FindScore returns the score with the given id.
func (d *DB) FindScore(ctx context.Context, id int64) (*jixiao.ScoreRecord, error) {
	var row scoreRow
	q := d.r.WithContext(ctx).Table("scores AS s").Select(scoreColumns+", "+firstRun).
		Joins("JOIN projects p ON p.id = s.project_key").Where("s.id = ?", id)
	err := inScope(ctx, q, "p.department_code").Take(&row).Error
	if err != nil {
		return nil, notFound(err, "no score %d", id)
	}
	return record(&row)
}

// LatestScore returns the score the latest official run that scored the
// project gave it.
func (d *DB) LatestScore(ctx context.Context, projectKey int64) (*jixiao.ScoreRecord, error) {
	var row scoreRow
	q := d.r.WithContext(ctx).Table("run_scores AS rs").Select(scoreColumns+", rs.run_id").
		Joins("JOIN runs r ON r.id = rs.run_id").
		Joins("JOIN scores s ON s.id = rs.score_id").
		Joins("JOIN projects p ON p.id = rs.project_key").
		Where("rs.project_key = ? AND r.kind = ?", projectKey, jixiao.RunOfficial)
	err := inScope(ctx, q, "p.department_code").Order("rs.run_id DESC").Take(&row).Error
	if err != nil {
		return nil, notFound(err, "project %d has no official score", projectKey)
	}
	return record(&row)
}

func record(row *scoreRow) (*jixiao.ScoreRecord, error) {
	s, err := row.record()
	if err != nil {
		return nil, fmt.Errorf("score %d: %w", row.ID, err)
	}
	return &s, nil
}

func records(rows []scoreRow) ([]jixiao.ScoreRecord, error) {
	out := make([]jixiao.ScoreRecord, len(rows))
	for i := range rows {
		var err error
		if out[i], err = rows[i].record(); err != nil {
			return nil, fmt.Errorf("score %d: %w", rows[i].ID, err)
		}
	}
	return out, nil
}
