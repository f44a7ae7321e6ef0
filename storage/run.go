package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"jixiao"
)

// Rows per INSERT. A score has 12 columns: 500 rows bind 6000 values,
// well inside both databases' limits, and statements stay a few MB.
const (
	scoreBatch = 500
	linkBatch  = 1000
)

func validStatus(s string) bool {
	switch s {
	case jixiao.RunRunning, jixiao.RunDone, jixiao.RunFailed, jixiao.RunInterrupted:
		return true
	}
	return false
}

// CreateRun stores a new run and sets its id. A run without a status is
// running; one without a start time starts now.
func (d *DB) CreateRun(ctx context.Context, r *jixiao.Run) error {
	if r.Kind != jixiao.RunOfficial && r.Kind != jixiao.RunSimulation {
		return jixiao.Errorf(jixiao.EINVALID, "unknown run kind %q", r.Kind)
	}
	if r.Status == "" {
		r.Status = jixiao.RunRunning
	}
	if !validStatus(r.Status) {
		return jixiao.Errorf(jixiao.EINVALID, "unknown run status %q", r.Status)
	}
	r.StartedAt = d.orNow(r.StartedAt)
	r.FinishedAt = dbTimePtr(r.FinishedAt)
	row := runRow{
		Kind: r.Kind, RuleSetID: r.RuleSetID, RuleSetHash: r.RuleSetHash, RequestedBy: r.RequestedBy,
		Status: r.Status, Selection: nullJSON(r.Selection), Total: r.Total, Scored: r.Scored, Rejected: r.Rejected,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Error: r.Error, DepartmentCode: scopeDepartment(ctx),
	}
	if err := d.w.WithContext(ctx).Create(&row).Error; err != nil {
		return err
	}
	r.ID = row.ID
	return nil
}

// FindRun returns the run with the given id.
func (d *DB) FindRun(ctx context.Context, id int64) (*jixiao.Run, error) {
	var row runRow
	if err := inScope(ctx, d.r.WithContext(ctx).Where("id = ?", id), "department_code").Take(&row).Error; err != nil {
		return nil, notFound(err, "no run %d", id)
	}
	r := row.run()
	return &r, nil
}

// FindRuns returns runs of the given kind (any kind if empty), the latest
// first, and how many there are in all.
func (d *DB) FindRuns(ctx context.Context, kind string, offset, limit int) ([]jixiao.Run, int, error) {
	var (
		rows  []runRow
		total int64
	)
	err := d.read(ctx, func(tx *gorm.DB) error {
		q := inScope(ctx, tx.Model(&runRow{}), "department_code")
		if kind != "" {
			q = q.Where("kind = ?", kind)
		}
		q = q.Session(&gorm.Session{})
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return page(q.Order("id DESC"), offset, limit).Find(&rows).Error
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]jixiao.Run, len(rows))
	for i := range rows {
		out[i] = rows[i].run()
	}
	return out, int(total), nil
}

// scoreIdentity is what makes a score unique.
type scoreIdentity struct {
	projectKey                int64
	inputHash, ruleSetHash, v string
}

// SaveChunk stores one chunk of run runID in one transaction and returns
// how many projects it newly linked to a score.
//
// A score that exists for the same project, input, rule-set version and
// engine version is not inserted again (ON CONFLICT DO NOTHING); the run
// links to the stored one. Links and rejections are keyed by (run,
// project), so saving a chunk again adds nothing and the run's counts
// grow only by what was new.
//
// This is the hot path of an official run, so scores and links are
// written with plain multi-row statements on the transaction's
// connection rather than through GORM's reflection, and the results are
// encoded on every core before the writer is taken.
func (d *DB) SaveChunk(ctx context.Context, runID int64, scores []jixiao.ScoreRecord, rejected []jixiao.RunRejection) (int, error) {
	return d.saveChunk(ctx, runID, nil, scores, rejected)
}

// SaveClaimedChunk is SaveChunk for claimed chunk c, which it marks done
// in the same transaction: a chunk is done exactly when its scores are
// stored.
func (d *DB) SaveClaimedChunk(ctx context.Context, c *jixiao.RunChunk, scores []jixiao.ScoreRecord, rejected []jixiao.RunRejection) (int, error) {
	return d.saveChunk(ctx, c.RunID, c, scores, rejected)
}

func (d *DB) saveChunk(ctx context.Context, runID int64, chunk *jixiao.RunChunk, scores []jixiao.ScoreRecord, rejected []jixiao.RunRejection) (int, error) {
	// Encode before taking the writer: JSON is most of the work.
	inserts, err := scoreInserts(scores, d.now())
	if err != nil {
		return 0, err
	}
	rejections := make([]rejectionRow, len(rejected))
	for i := range rejected {
		r := &rejected[i]
		errs := r.Errors
		if errs == nil {
			errs = []string{}
		}
		b, err := json.Marshal(errs)
		if err != nil {
			return 0, err
		}
		rejections[i] = rejectionRow{RunID: runID, ProjectKey: r.ProjectKey, ProjectID: r.ProjectID, Year: r.Year, Errors: string(b)}
	}

	if d.postgres && len(inserts) > 0 {
		n, err := d.copyChunk(ctx, runID, chunk, inserts, rejections)
		if !errors.Is(err, errScoresStored) {
			return n, err
		}
	}
	if !d.postgres { // PostgreSQL's array statements are prepared by pgx's cache
		if err := d.prepareWriter(ctx, fullScoreInsert, fullLinkInsert); err != nil {
			return 0, err
		}
	}
	var added int
	err = d.write(ctx, func(tx *gorm.DB) error {
		if err := runExists(tx, runID); err != nil {
			return err
		}
		// Errors of the plain statements are translated as GORM's are,
		// so that a foreign-key violation is recognised below.
		w := d.writerTx(tx)
		links, err := saveScores(ctx, tx, w, runID, inserts)
		if err != nil {
			return tx.AddError(err)
		}
		linked, err := insertLinks(ctx, w, links)
		if err != nil {
			return tx.AddError(err)
		}
		rejectedNew, err := insertIgnore(tx, rejections, linkBatch)
		if err != nil {
			return err
		}
		added = int(linked)
		if chunk != nil {
			err := tx.Model(&runChunkRow{}).Where("run_id = ? AND seq = ?", runID, chunk.Seq).
				Updates(map[string]any{"done": true, "owner": "", "lease_until": nil}).Error
			if err != nil {
				return err
			}
		}
		if linked == 0 && rejectedNew == 0 {
			return nil
		}
		return tx.Model(&runRow{}).Where("id = ?", runID).Updates(map[string]any{
			"scored":   gorm.Expr("scored + ?", linked),
			"rejected": gorm.Expr("rejected + ?", rejectedNew),
		}).Error
	})
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return 0, jixiao.Errorf(jixiao.EINVALID, "run %d: a score or rejection names an unknown project or input", runID)
	}
	if err != nil {
		return 0, err
	}
	return added, nil
}

// scoreInserts encodes the scores' results and makes their rows, on up to
// GOMAXPROCS goroutines for a large chunk (the first error of the
// first failing part is returned). A score without a creation time
// gets now.
func scoreInserts(scores []jixiao.ScoreRecord, now time.Time) ([]scoreInsert, error) {
	inserts := make([]scoreInsert, len(scores))
	encode := func(lo, hi int) error {
		var buf []byte // the results of the part, one after the other
		for i := lo; i < hi; i++ {
			s := &scores[i]
			var result string
			var err error
			result, buf, err = encodeResultString(buf, &s.Result)
			if err != nil {
				return fmt.Errorf("score of project %s: %w", s.ProjectID, err)
			}
			createdAt := now
			if !s.CreatedAt.IsZero() {
				createdAt = dbTime(s.CreatedAt)
			}
			inserts[i] = scoreInsert{
				ProjectKey: s.ProjectKey, ProjectID: s.ProjectID, Year: s.Year, Department: s.Department,
				TotalCents: s.Total.Hundredths(), Grade: s.Grade, Result: result, InputHash: s.InputHash,
				RuleSetID: s.RuleSetID, RuleSetHash: s.RuleSetHash, EngineVersion: s.EngineVersion, CreatedAt: createdAt,
			}
		}
		return nil
	}
	if err := inParallel(len(scores), encode); err != nil {
		return nil, err
	}
	return inserts, nil
}

// scoreInsertColumns are the columns of a scoreInsert, in the order
// appendArgs gives their values.
const scoreInsertColumns = "project_key, project_id, year, department, total_cents, grade, result, input_hash, ruleset_id, ruleset_hash, engine_version, created_at"

const scoreInsertArity = 12

func (s *scoreInsert) appendArgs(args []any) []any {
	return append(args, s.ProjectKey, s.ProjectID, s.Year, s.Department, s.TotalCents, s.Grade, s.Result,
		s.InputHash, s.RuleSetID, s.RuleSetHash, s.EngineVersion, s.CreatedAt)
}

// valuesSQL returns " VALUES (?,…),(?,…)…": rows groups of arity
// placeholders.
func valuesSQL(rows, arity int) string {
	group := "(" + strings.Repeat("?,", arity-1) + "?)"
	var b strings.Builder
	b.Grow(len(" VALUES ") + rows*(len(group)+1))
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}

// scoreInsertSQL inserts n scores, skipping those stored before, and
// returns the id and identity of each it inserted.
func scoreInsertSQL(n int) string {
	if n == scoreBatch {
		return fullScoreInsert
	}
	return buildScoreInsert(n)
}

func buildScoreInsert(n int) string {
	return "INSERT INTO scores (" + scoreInsertColumns + ")" + valuesSQL(n, scoreInsertArity) +
		" ON CONFLICT DO NOTHING RETURNING id, project_key, input_hash, ruleset_hash, engine_version"
}

// linkInsertSQL inserts n links of a run, skipping those stored before.
func linkInsertSQL(n int) string {
	if n == linkBatch {
		return fullLinkInsert
	}
	return buildLinkInsert(n)
}

func buildLinkInsert(n int) string {
	return "INSERT INTO run_scores (run_id, score_id, project_key)" + valuesSQL(n, 3) + " ON CONFLICT DO NOTHING"
}

// The statements of whole batches, which the writer connection keeps
// prepared (see prepareWriter): parsing their thousands of placeholders
// for every chunk cost about a tenth of SaveChunk.
var (
	fullScoreInsert = buildScoreInsert(scoreBatch)
	fullLinkInsert  = buildLinkInsert(linkBatch)
)

// postgresScoreInsert is scoreInsertSQL on PostgreSQL: the rows come as
// one array per column (scoreColumnArrays), so that a whole chunk is one
// small statement with twelve parameters instead of thousands. pgx sends
// the arrays in binary; binding 6,000 single values copied each one
// through a growing buffer, a fifth of a run's CPU time.
const postgresScoreInsert = "INSERT INTO scores (" + scoreInsertColumns + ")" +
	" SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::bigint[], $6::text[]," +
	" $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamp[])" +
	" ON CONFLICT DO NOTHING RETURNING id, project_key, input_hash, ruleset_hash, engine_version"

// scoreColumnArrays returns the columns of rows as the parameters of
// postgresScoreInsert.
func scoreColumnArrays(rows []scoreInsert) []any {
	n := len(rows)
	var (
		keys                                = make([]int64, n)
		projectIDs, departments, grades     = make([]string, n), make([]string, n), make([]string, n)
		years                               = make([]int32, n)
		totals                              = make([]int64, n)
		results, inputs                     = make([]string, n), make([]string, n)
		ruleSetIDs, ruleSetHashes, versions = make([]string, n), make([]string, n), make([]string, n)
		createdAt                           = make([]time.Time, n)
	)
	for i := range rows {
		r := &rows[i]
		keys[i], projectIDs[i], years[i], departments[i] = r.ProjectKey, r.ProjectID, int32(r.Year), r.Department
		totals[i], grades[i], results[i], inputs[i] = r.TotalCents, r.Grade, r.Result, r.InputHash
		ruleSetIDs[i], ruleSetHashes[i], versions[i], createdAt[i] = r.RuleSetID, r.RuleSetHash, r.EngineVersion, r.CreatedAt
	}
	return []any{keys, projectIDs, years, departments, totals, grades, results, inputs, ruleSetIDs, ruleSetHashes, versions, createdAt}
}

// postgresLinkInsert is linkInsertSQL on PostgreSQL, with arrays of
// score ids and project keys, as postgresScoreInsert.
const postgresLinkInsert = "INSERT INTO run_scores (run_id, score_id, project_key)" +
	" SELECT $1, * FROM unnest($2::bigint[], $3::bigint[]) ON CONFLICT DO NOTHING"

// saveScores inserts the scores not stored yet and returns the run's
// links to all of them, new or not. The ids of the new ones come back
// from the INSERT itself (RETURNING, which gives only the rows it
// inserted); only the scores that were stored before are looked up.
func saveScores(ctx context.Context, tx *gorm.DB, w writerTx, runID int64, inserts []scoreInsert) ([]runScoreRow, error) {
	if len(inserts) == 0 {
		return nil, nil
	}
	ids := make(map[scoreIdentity]int64, len(inserts))
	var args []any
	batch := scoreBatch
	if w.d.postgres {
		batch = len(inserts) // one statement of arrays
	}
	for lo := 0; lo < len(inserts); lo += batch {
		part := inserts[lo:min(lo+batch, len(inserts))]
		query := ""
		if w.d.postgres {
			query, args = postgresScoreInsert, scoreColumnArrays(part)
		} else {
			query, args = scoreInsertSQL(len(part)), args[:0]
			for i := range part {
				args = part[i].appendArgs(args)
			}
		}
		rows, err := w.query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var k scoreIdentity
			if err := rows.Scan(&id, &k.projectKey, &k.inputHash, &k.ruleSetHash, &k.v); err != nil {
				rows.Close()
				return nil, err
			}
			ids[k] = id
		}
		// A constraint is checked when the statement ends: its error
		// comes from the last step, as the iteration's error.
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, err
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}

	// Scores that were stored before (a resumed or repeated run): looked
	// up through the unique index, project_key IN (...) narrowed by the
	// few rule-set and engine versions of the chunk.
	var keys []int64
	var ruleSets, versions []string
	seen, seenRS, seenV := map[scoreIdentity]bool{}, map[string]bool{}, map[string]bool{}
	for i := range inserts {
		s := &inserts[i]
		id := scoreIdentity{s.ProjectKey, s.InputHash, s.RuleSetHash, s.EngineVersion}
		if _, ok := ids[id]; ok || seen[id] {
			continue
		}
		seen[id] = true
		keys = append(keys, s.ProjectKey)
		if !seenRS[s.RuleSetHash] {
			seenRS[s.RuleSetHash] = true
			ruleSets = append(ruleSets, s.RuleSetHash)
		}
		if !seenV[s.EngineVersion] {
			seenV[s.EngineVersion] = true
			versions = append(versions, s.EngineVersion)
		}
	}
	if len(keys) > 0 {
		type found struct {
			ID            int64  `gorm:"column:id"`
			ProjectKey    int64  `gorm:"column:project_key"`
			InputHash     string `gorm:"column:input_hash"`
			RuleSetHash   string `gorm:"column:ruleset_hash"`
			EngineVersion string `gorm:"column:engine_version"`
		}
		var rows []found
		for lo := 0; lo < len(keys); lo += keyBatch {
			rows = rows[:0]
			err := tx.Table("scores").Select("id, project_key, input_hash, ruleset_hash, engine_version").
				Where("project_key IN ? AND ruleset_hash IN ? AND engine_version IN ?", keys[lo:min(lo+keyBatch, len(keys))], ruleSets, versions).
				Scan(&rows).Error
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				id := scoreIdentity{r.ProjectKey, r.InputHash, r.RuleSetHash, r.EngineVersion}
				if seen[id] {
					ids[id] = r.ID
					delete(seen, id)
				}
			}
		}
		if len(seen) > 0 {
			return nil, fmt.Errorf("run %d: %d scores were neither inserted nor found", runID, len(seen))
		}
	}

	// One link per distinct score, in the chunk's order.
	links := make([]runScoreRow, 0, len(ids))
	for i := range inserts {
		s := &inserts[i]
		id := scoreIdentity{s.ProjectKey, s.InputHash, s.RuleSetHash, s.EngineVersion}
		if scoreID, ok := ids[id]; ok {
			links = append(links, runScoreRow{RunID: runID, ScoreID: scoreID, ProjectKey: s.ProjectKey})
			delete(ids, id)
		}
	}
	return links, nil
}

// insertLinks inserts the run's links that are not stored yet and returns
// how many it inserted.
func insertLinks(ctx context.Context, w writerTx, links []runScoreRow) (int64, error) {
	if w.d.postgres && len(links) > 0 {
		scoreIDs, keys := make([]int64, len(links)), make([]int64, len(links))
		for i, l := range links {
			scoreIDs[i], keys[i] = l.ScoreID, l.ProjectKey
		}
		res, err := w.exec(ctx, postgresLinkInsert, links[0].RunID, scoreIDs, keys)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	var (
		n    int64
		args []any
	)
	for lo := 0; lo < len(links); lo += linkBatch {
		part := links[lo:min(lo+linkBatch, len(links))]
		args = args[:0]
		for _, l := range part {
			args = append(args, l.RunID, l.ScoreID, l.ProjectKey)
		}
		res, err := w.exec(ctx, linkInsertSQL(len(part)), args...)
		if err != nil {
			return 0, err
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		n += affected
	}
	return n, nil
}

// insertIgnore inserts rows in batches, skipping those that conflict with
// stored ones, and returns how many it inserted.
func insertIgnore[T any](tx *gorm.DB, rows []T, batch int) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, batch)
	return res.RowsAffected, res.Error
}

// FinishRun records the end of a run.
func (d *DB) FinishRun(ctx context.Context, id int64, status, errMsg string, at time.Time) error {
	if !validStatus(status) {
		return jixiao.Errorf(jixiao.EINVALID, "unknown run status %q", status)
	}
	res := d.w.WithContext(ctx).Model(&runRow{}).Where("id = ?", id).Updates(map[string]any{
		"status": status, "error": errMsg, "finished_at": dbTime(at),
	})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return jixiao.Errorf(jixiao.ENOTFOUND, "no run %d", id)
	}
	return nil
}

// ReopenRun sets an interrupted or failed run running again, for
// resuming it. The status is checked in the same statement that changes
// it, so two concurrent resumes cannot both reopen a run.
func (d *DB) ReopenRun(ctx context.Context, id int64) error {
	return d.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&runRow{}).
			Where("id = ? AND status IN ?", id, []string{jixiao.RunInterrupted, jixiao.RunFailed}).
			Updates(map[string]any{"status": jixiao.RunRunning, "error": "", "finished_at": nil})
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		var row runRow
		if err := tx.Select("status").Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err, "no run %d", id)
		}
		return jixiao.Errorf(jixiao.ECONFLICT, "run %d is %s; only an interrupted or failed run can be reopened", id, row.Status)
	})
}

// InterruptRunningRuns marks every running run interrupted and ends the
// leases of their chunks. At the start of the one process of an SQLite
// database, a run still marked running was cut short by a crash.
func (d *DB) InterruptRunningRuns(ctx context.Context, at time.Time) (int, error) {
	var n int64
	err := d.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&runRow{}).Where("status = ?", jixiao.RunRunning).Updates(map[string]any{
			"status": jixiao.RunInterrupted, "finished_at": dbTime(at),
		})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return tx.Model(&runChunkRow{}).Where("NOT done AND owner <> ''").
			Updates(map[string]any{"owner": "", "lease_until": nil}).Error
	})
	return int(n), err
}

// DoneKeys returns the keys of the projects run runID has scored or
// rejected.
func (d *DB) DoneKeys(ctx context.Context, runID int64) (map[int64]bool, error) {
	var keys []int64
	err := d.read(ctx, func(tx *gorm.DB) error {
		if err := runExists(tx, runID); err != nil {
			return err
		}
		return tx.Raw(`SELECT project_key FROM run_scores WHERE run_id = ?
			UNION SELECT project_key FROM run_rejections WHERE run_id = ?`, runID, runID).Scan(&keys).Error
	})
	if err != nil {
		return nil, err
	}
	done := make(map[int64]bool, len(keys))
	for _, k := range keys {
		done[k] = true
	}
	return done, nil
}

// ProjectsAfter reads a batch: the projects f selects after f.AfterKey
// (-1 for the first batch), in key order, at most f.Limit of them (0: no
// limit), as FindProjects returns them, but without counting every
// project left after the batch, which a batch reader does not need and
// which costs a scan of the rest of the range for every batch. It is one
// statement on a reader connection, without GORM: a run reads every
// project through it. A Grade filter is left to FindProjects.
func (d *DB) ProjectsAfter(ctx context.Context, f jixiao.ProjectFilter) ([]jixiao.StoredProject, error) {
	if f.Grade != "" || f.AfterKey == 0 {
		out, _, err := d.FindProjects(ctx, f)
		return out, err
	}
	f = scopeFilter(ctx, f)
	if len(f.IDs) > maxFilterIDs || len(f.Refs) > maxFilterIDs {
		return nil, jixiao.Errorf(jixiao.EINVALID, "at most %d project ids in one selection, got %d", maxFilterIDs, max(len(f.IDs), len(f.Refs)))
	}
	where, args := projectWhere(f, f.AfterKey)
	var q strings.Builder
	q.WriteString("SELECT " + projectColumns + " FROM projects AS p JOIN project_inputs i ON i.hash = p.input_hash WHERE " + where)
	q.WriteString(" ORDER BY p.id")
	if f.Limit > 0 || f.Offset > 0 {
		var limit any = int64(f.Limit)
		switch {
		case f.Limit > 0:
		case d.postgres:
			limit = nil // LIMIT NULL: none
		default:
			limit = -1 // SQLite: none
		}
		q.WriteString(" LIMIT ? OFFSET ?")
		args = append(args, limit, max(f.Offset, 0))
	}
	res, err := d.rsql.QueryContext(ctx, d.rebind(q.String()), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer res.Close()
	var rows []storedProjectRow
	if f.Limit > 0 {
		rows = make([]storedProjectRow, 0, f.Limit)
	}
	for res.Next() {
		var r storedProjectRow
		if err := res.Scan(&r.ID, &r.InputHash, &r.CreatedAt, &r.UpdatedAt, &r.Status, &r.DepartmentCode, &r.Body); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if err := res.Close(); err != nil {
		return nil, err
	}
	return storedProjects(rows)
}

// FindRunRejections returns the projects run runID rejected, in (year,
// id) order.
func (d *DB) FindRunRejections(ctx context.Context, runID int64) ([]jixiao.RunRejection, error) {
	if _, err := d.FindRun(ctx, runID); err != nil { // in the scope, too
		return nil, err
	}
	var rows []rejectionRow
	err := d.read(ctx, func(tx *gorm.DB) error {
		q := tx.Table("run_rejections AS rr").Select("rr.*").Joins("JOIN projects p ON p.id = rr.project_key").Where("rr.run_id = ?", runID)
		return inScope(ctx, q, "p.department_code").Order("rr.year, rr.project_id").Find(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]jixiao.RunRejection, len(rows))
	for i, r := range rows {
		out[i] = jixiao.RunRejection{RunID: r.RunID, ProjectKey: r.ProjectKey, ProjectID: r.ProjectID, Year: r.Year}
		if err := json.Unmarshal([]byte(r.Errors), &out[i].Errors); err != nil {
			return nil, fmt.Errorf("run %d, project %s: %w", runID, r.ProjectID, err)
		}
	}
	return out, nil
}

// runExists returns ENOTFOUND for an unknown run.
func runExists(tx *gorm.DB, runID int64) error {
	var n int64
	if err := tx.Model(&runRow{}).Where("id = ?", runID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return jixiao.Errorf(jixiao.ENOTFOUND, "no run %d", runID)
	}
	return nil
}
