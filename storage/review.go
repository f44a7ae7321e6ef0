package storage

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"jixiao"
)

type reviewRow struct {
	ID                int64     `gorm:"column:id;primaryKey"`
	ProjectKey        int64     `gorm:"column:project_key"`
	Action            string    `gorm:"column:action"`
	InputHash         string    `gorm:"column:input_hash"`
	Actor             string    `gorm:"column:actor"`
	Comment           string    `gorm:"column:comment"`
	IndicatorComments string    `gorm:"column:indicator_comments"`
	At                time.Time `gorm:"column:at"`
}

func (reviewRow) TableName() string { return "project_reviews" }

// reviewedProject is what a review reads of its project.
type reviewedProject struct {
	ID        int64  `gorm:"column:id"`
	Status    string `gorm:"column:status"`
	InputHash string `gorm:"column:input_hash"`
}

// transitions: the statuses an action may start from, and where it leads.
var transitions = map[string]struct {
	from []string
	to   string
}{
	jixiao.ReviewSubmit:  {[]string{jixiao.StatusDraft, jixiao.StatusReturned}, jixiao.StatusSubmitted},
	jixiao.ReviewApprove: {[]string{jixiao.StatusSubmitted}, jixiao.StatusApproved},
	jixiao.ReviewReturn:  {[]string{jixiao.StatusSubmitted}, jixiao.StatusReturned},
}

// findReviewed reads the project (in the scope of ctx), locked for the
// transaction on PostgreSQL (SQLite's one writer serialises anyway).
func (d *DB) findReviewed(ctx context.Context, tx *gorm.DB, year int, id string, lock bool) (reviewedProject, error) {
	var p reviewedProject
	q := tx.Table("projects AS p").Select("p.id, p.status, p.input_hash").Where("p.year = ? AND p.project_id = ?", year, id)
	if lock && d.postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := inScope(ctx, q, "p.department_code").Take(&p).Error
	return p, notFound(err, "no project %q in %d", id, year)
}

// Review records one step of a project's review.
func (d *DB) Review(ctx context.Context, year int, id string, r jixiao.Review) (jixiao.ReviewState, error) {
	t, ok := transitions[r.Action]
	if !ok {
		return jixiao.ReviewState{}, jixiao.Errorf(jixiao.EINVALID, "unknown review action %q", r.Action)
	}
	if r.Action == jixiao.ReviewReturn && r.Comment == "" {
		return jixiao.ReviewState{}, jixiao.Errorf(jixiao.EINVALID, "退回须填写意见")
	}
	comments, err := json.Marshal(r.IndicatorComments)
	if err != nil || r.IndicatorComments == nil {
		comments = []byte("{}")
	}
	err = d.write(ctx, func(tx *gorm.DB) error {
		p, err := d.findReviewed(ctx, tx, year, id, true)
		if err != nil {
			return err
		}
		if !slices.Contains(t.from, p.Status) {
			return jixiao.Errorf(jixiao.ECONFLICT, "项目 %s 当前为“%s”，不能%s", id, jixiao.StatusName(p.Status), actionName[r.Action])
		}
		if r.InputHash != "" && r.InputHash != p.InputHash {
			return jixiao.Errorf(jixiao.ECONFLICT, "项目 %s 已有新版本（%.12s），不是所审核的版本 %.12s：请刷新后重新审核", id, p.InputHash, r.InputHash)
		}
		if r.Action != jixiao.ReviewSubmit {
			var last reviewRow
			err := tx.Where("project_key = ? AND action = ?", p.ID, jixiao.ReviewSubmit).Order("id DESC").Take(&last).Error
			if err != nil {
				return err
			}
			if last.InputHash != p.InputHash {
				return jixiao.Errorf(jixiao.ECONFLICT, "项目 %s 提交后又被修改，须由部门重新提交", id)
			}
			if last.Actor == r.Actor {
				return jixiao.Errorf(jixiao.EFORBIDDEN, "不能审核自己提交的项目 %s", id)
			}
		}
		approved := p.InputHash
		if r.Action == jixiao.ReviewApprove && len(r.Deductions) > 0 {
			if approved, err = d.deduct(tx, p, r.Deductions); err != nil {
				return err
			}
		}
		row := reviewRow{ProjectKey: p.ID, Action: r.Action, InputHash: approved, Actor: r.Actor, Comment: r.Comment,
			IndicatorComments: string(comments), At: d.orNow(r.At)}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Table("projects").Where("id = ?", p.ID).Update("status", t.to).Error
	})
	if err != nil {
		return jixiao.ReviewState{}, err
	}
	return d.FindReviews(ctx, year, id)
}

// deduct stores the project's submitted version with the reviewer's
// deductions as its current version, and returns that version's hash.
func (d *DB) deduct(tx *gorm.DB, p reviewedProject, ds []jixiao.Deduction) (string, error) {
	proj, err := readInput(tx, p.InputHash)
	if err != nil {
		return "", err
	}
	if err := proj.ApplyDeductions(ds); err != nil {
		return "", err
	}
	hash, body, err := InputHash(&proj)
	if err != nil {
		return "", err
	}
	now := d.now()
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&inputRow{Hash: hash, Body: string(body), CreatedAt: now}).Error; err != nil {
		return "", err
	}
	return hash, tx.Table("projects").Where("id = ?", p.ID).Updates(map[string]any{"input_hash": hash, "updated_at": now}).Error
}

var actionName = map[string]string{jixiao.ReviewSubmit: "提交", jixiao.ReviewApprove: "审核通过", jixiao.ReviewReturn: "退回"}

// FindReviews returns a project's status and reviews.
func (d *DB) FindReviews(ctx context.Context, year int, id string) (jixiao.ReviewState, error) {
	var out jixiao.ReviewState
	err := d.read(ctx, func(tx *gorm.DB) error {
		p, err := d.findReviewed(ctx, tx, year, id, false)
		if err != nil {
			return err
		}
		var rows []reviewRow
		if err := tx.Where("project_key = ?", p.ID).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		out = jixiao.ReviewState{Status: p.Status, InputHash: p.InputHash, Reviews: make([]jixiao.Review, len(rows))}
		for i, r := range rows {
			out.Reviews[i] = jixiao.Review{ID: r.ID, Action: r.Action, InputHash: r.InputHash, Actor: r.Actor, Comment: r.Comment, At: r.At}
			if err := json.Unmarshal([]byte(r.IndicatorComments), &out.Reviews[i].IndicatorComments); err != nil {
				return err
			}
			if len(out.Reviews[i].IndicatorComments) == 0 {
				out.Reviews[i].IndicatorComments = nil
			}
		}
		for i := range out.Reviews {
			if out.ApprovedWithDeductions(i) {
				// The deductions are in the version it approved.
				proj, err := readInput(tx, out.Reviews[i].InputHash)
				if err != nil {
					return err
				}
				out.Reviews[i].Deductions = proj.Deductions()
			}
		}
		return nil
	})
	return out, err
}

// FindProjectVersion returns a version of a project that its review
// history names, or its current one.
func (d *DB) FindProjectVersion(ctx context.Context, year int, id, hash string) (*jixiao.Project, error) {
	var out jixiao.Project
	err := d.read(ctx, func(tx *gorm.DB) error {
		p, err := d.findReviewed(ctx, tx, year, id, false)
		if err != nil {
			return err
		}
		if hash != p.InputHash {
			var n int64
			if err := tx.Model(&reviewRow{}).Where("project_key = ? AND input_hash = ?", p.ID, hash).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return jixiao.Errorf(jixiao.ENOTFOUND, "项目 %s 没有版本 %.12s", id, hash)
			}
		}
		out, err = readInput(tx, hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// readInput reads and decodes the project input stored under hash.
func readInput(tx *gorm.DB, hash string) (jixiao.Project, error) {
	var in inputRow
	var p jixiao.Project
	if err := tx.Where("hash = ?", hash).Take(&in).Error; err != nil {
		return p, notFound(err, "no project input %q", hash)
	}
	err := decodeProject(in.Body, &p)
	return p, err
}
