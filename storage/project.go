package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"jixiao"
)

// InputHash returns the canonical JSON of p (json.Marshal of the
// project) and its hex SHA-256, the key under which the input is stored.
func InputHash(p *jixiao.Project) (hash string, body []byte, err error) {
	body, err = json.Marshal(p)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), body, nil
}

// Batch sizes keep every statement well under the bound-parameter limits
// (32766 in SQLite, 65535 in PostgreSQL).
const (
	keyBatch     = 1000 // keys in one IN (...) list
	maxFilterIDs = 30000
)

type yearID struct {
	year int
	id   string
}

// UpsertProjects stores projects by (year, id) in one transaction: all of
// them or, on any error, none.
func (d *DB) UpsertProjects(ctx context.Context, projects []jixiao.Project) (jixiao.Upserted, error) {
	var up jixiao.Upserted
	if len(projects) == 0 {
		return up, nil
	}

	// Validate and hash outside the transaction: the writer is shared.
	type item struct {
		row     projectRow
		body    string
		deducts bool // it carries a reviewer's deduction
	}
	items := make([]item, len(projects))
	seen := make(map[yearID]int, len(projects))
	var bad []jixiao.FieldError
	for i := range projects {
		p := &projects[i]
		k := yearID{p.Year, p.ID}
		switch {
		case p.ID == "":
			bad = append(bad, jixiao.FieldError{Project: fmt.Sprintf("#%d", i+1), Field: "id", Message: "required"})
			continue
		case p.Year <= 0:
			bad = append(bad, jixiao.FieldError{Project: p.ID, Field: "year", Message: "must be a year"})
			continue
		}
		if first, dup := seen[k]; dup {
			bad = append(bad, jixiao.FieldError{Project: p.ID, Field: "id",
				Message: fmt.Sprintf("duplicate id in year %d (first at position %d)", p.Year, first+1)})
			continue
		}
		seen[k] = i
		hash, body, err := InputHash(p)
		if err != nil {
			return up, err
		}
		items[i] = item{
			row:     projectRow{Year: p.Year, ProjectID: p.ID, Department: p.Department, Name: p.Name, InputHash: hash},
			body:    string(body),
			deducts: p.HasDeductions(),
		}
	}
	if len(bad) > 0 {
		return up, &jixiao.Error{Code: jixiao.EINVALID, Message: fmt.Sprintf("%d of %d projects cannot be stored", len(bad), len(projects)), Details: bad}
	}

	err := d.write(ctx, func(tx *gorm.DB) error {
		now := d.now()

		// Each department name leads to a department, made if new.
		var names []string
		named := map[string]bool{}
		for _, it := range items {
			if n := it.row.Department; n != "" && !named[n] {
				named[n] = true
				names = append(names, n)
			}
		}
		// A scoped account stores projects of its departments only, and
		// makes no department.
		scope := jixiao.ScopeOf(ctx)
		codes, err := departmentCodes(tx, names, now, !scope.Limited())
		if err != nil {
			return err
		}
		var outside []jixiao.FieldError
		for i := range items {
			code, ok := codes[items[i].row.Department]
			if ok {
				items[i].row.DepartmentCode = &code
			}
			if scope.Limited() && !scope.Allows(code) {
				outside = append(outside, jixiao.FieldError{Project: items[i].row.ProjectID, Field: "department",
					Message: fmt.Sprintf("“%s”不是本账户的部门（%s）或其下级单位", items[i].row.Department, scope.Department)})
			}
		}

		// Inputs by content: an input stored before is kept as it is.
		inputs := make([]inputRow, 0, len(items))
		hashes := make(map[string]bool, len(items))
		for _, it := range items {
			if !hashes[it.row.InputHash] {
				hashes[it.row.InputHash] = true
				inputs = append(inputs, inputRow{Hash: it.row.InputHash, Body: it.body, CreatedAt: now})
			}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&inputs, 500).Error; err != nil {
			return err
		}

		// What is stored now decides created, updated or unchanged. The
		// write lock is held, so nothing changes in between.
		// A project whose department now leads elsewhere (a merge, a
		// department made since) is stored again, unchanged as input.
		type stored struct{ hash, department, status string }
		current := make(map[yearID]stored, len(items))
		byYear := make(map[int][]string)
		for _, it := range items {
			byYear[it.row.Year] = append(byYear[it.row.Year], it.row.ProjectID)
		}
		for year, ids := range byYear {
			// year = ? AND project_id IN (...) searches the unique index;
			// a row-value IN list would scan the table in SQLite.
			for lo := 0; lo < len(ids); lo += keyBatch {
				var rows []projectRow
				if err := tx.Select("year", "project_id", "input_hash", "department_code", "status").
					Where("year = ? AND project_id IN ?", year, ids[lo:min(lo+keyBatch, len(ids))]).
					Find(&rows).Error; err != nil {
					return err
				}
				for _, r := range rows {
					current[yearID{r.Year, r.ProjectID}] = stored{r.InputHash, deref(r.DepartmentCode), r.Status}
				}
			}
		}

		if scope.Limited() {
			for _, it := range items {
				old, ok := current[yearID{it.row.Year, it.row.ProjectID}]
				switch {
				case it.deducts && (!ok || old.hash != it.row.InputHash):
					outside = append(outside, jixiao.FieldError{Project: it.row.ProjectID, Field: "indicators.deduction",
						Message: "复核扣分由财政局审核时填写，部门不能填写"})
				case !ok:
				case !scope.Allows(old.department):
					outside = append(outside, jixiao.FieldError{Project: it.row.ProjectID, Field: "id",
						Message: fmt.Sprintf("%d 年的这个项目编号已由其他部门使用", it.row.Year)})
				case old.hash != it.row.InputHash && jixiao.UnderReview(old.status):
					// A department edits its self-evaluation before it
					// submits it, or after the bureau returns it.
					outside = append(outside, jixiao.FieldError{Project: it.row.ProjectID, Field: "id",
						Message: fmt.Sprintf("项目%s，部门不能再修改", jixiao.StatusName(old.status))})
				}
			}
		}
		if len(outside) > 0 {
			return &jixiao.Error{Code: jixiao.EINVALID, Message: fmt.Sprintf("%d 个项目不能由本账户保存，均未保存", len(outside)), Details: outside}
		}

		changed := make([]projectRow, 0, len(items))
		reopened := make(map[int][]string) // by year
		for _, it := range items {
			old, ok := current[yearID{it.row.Year, it.row.ProjectID}]
			switch {
			case !ok:
				up.Created++
			case old.hash != it.row.InputHash:
				up.Updated++
				if jixiao.UnderReview(old.status) {
					// The bureau changed what was submitted or approved:
					// it goes back to the department, to check and submit.
					reopened[it.row.Year] = append(reopened[it.row.Year], it.row.ProjectID)
				}
			case old.department != deref(it.row.DepartmentCode):
				up.Unchanged++ // the input is the same; only its department's code is set
			default:
				up.Unchanged++
				continue
			}
			r := it.row
			r.CreatedAt, r.UpdatedAt = now, now
			changed = append(changed, r)
		}
		if len(changed) == 0 {
			return nil
		}
		// One statement inserts the new projects and updates the changed
		// ones; created_at of an existing project is kept.
		err = tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "year"}, {Name: "project_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"department", "department_code", "name", "input_hash", "updated_at"}),
		}).CreateInBatches(&changed, 500).Error
		if err != nil {
			return err
		}
		for year, ids := range reopened {
			for lo := 0; lo < len(ids); lo += keyBatch {
				err := tx.Table("projects").Where("year = ? AND project_id IN ?", year, ids[lo:min(lo+keyBatch, len(ids))]).
					Update("status", jixiao.StatusDraft).Error
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return jixiao.Upserted{}, err
	}
	return up, nil
}

// MaxProjectKey returns the newest project's key, or 0.
func (d *DB) MaxProjectKey(ctx context.Context) (int64, error) {
	var key int64
	err := d.read(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT COALESCE(MAX(id), 0) FROM projects").Scan(&key).Error
	})
	return key, err
}

// projectColumns are what a StoredProject is read from.
const projectColumns = "p.id, p.input_hash, p.created_at, p.updated_at, p.status, p.department_code, i.body"

// FindProjects returns the projects f selects and how many it selects in
// all, ignoring f.Offset and f.Limit. They come in (year, id) order, or in
// key order after f.AfterKey when it is not zero. Keys start at 1, so a
// batch reader starts with AfterKey -1 to have the first batch in key
// order too; starting with 0 would give a first batch in (year, id) order,
// and continuing after its last key would skip projects.
func (d *DB) FindProjects(ctx context.Context, f jixiao.ProjectFilter) ([]jixiao.StoredProject, int, error) {
	if len(f.IDs) > maxFilterIDs || len(f.Refs) > maxFilterIDs {
		return nil, 0, jixiao.Errorf(jixiao.EINVALID, "at most %d project ids in one selection, got %d", maxFilterIDs, max(len(f.IDs), len(f.Refs)))
	}
	f = scopeFilter(ctx, f)
	var (
		rows  []storedProjectRow
		total int64
	)
	err := d.read(ctx, func(tx *gorm.DB) error {
		q := tx.Table("projects AS p")
		if len(f.DepartmentCodes) > 0 {
			q = q.Where("p.department_code IN ?", f.DepartmentCodes)
		}
		if len(f.Statuses) > 0 {
			q = q.Where("p.status IN ?", f.Statuses)
		}
		if f.Year != 0 {
			q = q.Where("p.year = ?", f.Year)
		}
		if f.Department != "" {
			q = q.Where("p.department = ?", f.Department)
		}
		if len(f.IDs) > 0 {
			q = q.Where("p.project_id IN ?", f.IDs)
		}
		if len(f.Refs) > 0 {
			cond, args := refsWhere(f.Refs)
			q = q.Where(cond, args...)
		}
		if f.Grade != "" {
			q = q.Where("("+latestOfficialGrade+") = ?", jixiao.RunOfficial, f.Grade)
		}
		if f.AfterKey != 0 {
			q = q.Where("p.id > ?", f.AfterKey)
		}
		if f.MaxKey != 0 {
			q = q.Where("p.id <= ?", f.MaxKey)
		}
		q = q.Session(&gorm.Session{}) // shared by the count and the page
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		order := "p.year, p.project_id"
		if f.AfterKey != 0 {
			order = "p.id"
		}
		// The page is chosen from the projects table and its indexes
		// alone; only its rows are joined to their input bodies.
		keys := page(q.Select("p.id").Order(order), f.Offset, f.Limit)
		res, err := tx.Table("projects AS p").Select(projectColumns).
			Joins("JOIN project_inputs i ON i.hash = p.input_hash").
			Where("p.id IN (?)", keys).Order(order).Rows()
		if err != nil {
			return err
		}
		defer res.Close()
		// Scanned by hand: a batch reader reads every project, and GORM's
		// reflection per row costs more than the query.
		for res.Next() {
			var r storedProjectRow
			if err := res.Scan(&r.ID, &r.InputHash, &r.CreatedAt, &r.UpdatedAt, &r.Status, &r.DepartmentCode, &r.Body); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return res.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	out, err := storedProjects(rows)
	if err != nil {
		return nil, 0, err
	}
	return out, int(total), nil
}

// storedProjects decodes the rows' bodies, on every core for a large
// page: decoding JSON is most of the cost of reading projects.
func storedProjects(rows []storedProjectRow) ([]jixiao.StoredProject, error) {
	out := make([]jixiao.StoredProject, len(rows))
	decode := func(lo, hi int) error {
		slabs := decodeSlabs{block: chunkSlabBlock}
		if hi-lo < parallelMin {
			slabs.block = 0
		}
		for i := lo; i < hi; i++ {
			var err error
			if out[i], err = rows[i].stored(&slabs); err != nil {
				return fmt.Errorf("project %d: %w", rows[i].ID, err)
			}
		}
		return nil
	}
	if err := inParallel(len(rows), decode); err != nil {
		return nil, err
	}
	return out, nil
}

// latestOfficialGrade is the grade a project p got in the latest official
// run that scored it. A run that repeats an earlier one links to the
// earlier score, so "latest" is by run, not by score id.
const latestOfficialGrade = `SELECT s.grade FROM run_scores rs
	JOIN runs r ON r.id = rs.run_id
	JOIN scores s ON s.id = rs.score_id
	WHERE rs.project_key = p.id AND r.kind = ?
	ORDER BY rs.run_id DESC LIMIT 1`

// FindProject returns the project with the given year and id.
func (d *DB) FindProject(ctx context.Context, year int, id string) (*jixiao.StoredProject, error) {
	var row storedProjectRow
	q := d.r.WithContext(ctx).Table("projects AS p").Select(projectColumns).
		Joins("JOIN project_inputs i ON i.hash = p.input_hash").
		Where("p.year = ? AND p.project_id = ?", year, id)
	err := inScope(ctx, q, "p.department_code").Take(&row).Error
	if err != nil {
		return nil, notFound(err, "no project %q in %d", id, year)
	}
	sp, err := row.stored(&decodeSlabs{})
	if err != nil {
		return nil, fmt.Errorf("project %d: %w", row.ID, err)
	}
	return &sp, nil
}

// FindInput returns the project input stored under hash.
func (d *DB) FindInput(ctx context.Context, hash string) (*jixiao.Project, error) {
	var row inputRow
	if err := d.r.WithContext(ctx).Where("hash = ?", hash).Take(&row).Error; err != nil {
		return nil, notFound(err, "no project input %q", hash)
	}
	var p jixiao.Project
	if err := decodeProject(row.Body, &p); err != nil {
		return nil, fmt.Errorf("project input %s: %w", hash, err)
	}
	return &p, nil
}
