package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"jixiao"
)

// DefaultStreamChunk is how many projects StreamProjects reads at a time
// when the caller does not say.
const DefaultStreamChunk = 2000

// StreamProjects calls fn with the projects f selects, in key order, a
// chunk of at most chunk projects at a time, reading and decoding the
// next chunk while fn works on the current one. f.AfterKey (when
// positive) and f.MaxKey bound the keys; Offset and Limit are ignored,
// and nothing is counted. The chunk passed to fn is fn's to keep. It
// stops at the first error, fn's or ctx's.
//
// Each chunk is its own read transaction: a project stored while the
// stream runs may or may not be in it, unless f.MaxKey excludes it.
func (d *DB) StreamProjects(ctx context.Context, f jixiao.ProjectFilter, chunk int, fn func([]jixiao.StoredProject) error) error {
	f = scopeFilter(ctx, f)
	if len(f.IDs) > maxFilterIDs || len(f.Refs) > maxFilterIDs {
		return jixiao.Errorf(jixiao.EINVALID, "at most %d project ids in one selection, got %d", maxFilterIDs, max(len(f.IDs), len(f.Refs)))
	}
	if chunk <= 0 {
		chunk = DefaultStreamChunk
	}
	if f.MaxKey < 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		projects []jixiao.StoredProject
		err      error
	}
	// One chunk ahead: the reader works on the next chunk while fn
	// works on this one.
	next := make(chan result, 1)
	go func() {
		defer close(next)
		after := max(f.AfterKey, 0)
		var hint int64 // where in project_inputs the next chunk's bodies may be
		for {
			projects, err := d.projectChunk(ctx, f, after, chunk, &hint)
			select {
			case next <- result{projects, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(projects) < chunk {
				return
			}
			after = projects[len(projects)-1].Key
		}
	}()
	for r := range next {
		// Cancelled, the reader's query may fail otherwise first (its
		// transaction rolled back under it): the cancellation is the
		// cause, and the caller's answer (a 499, an interrupted run)
		// depends on seeing it.
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
		if len(r.projects) > 0 {
			if err := fn(r.projects); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// projectChunk reads up to limit projects with keys after after, in key
// order. The year and department filters use the (year, id) and
// (department, id) indexes, which give key order without sorting.
//
// Bodies are looked up by input hash, one index search per project in
// hash order: at 1,000,000 projects nearly every search reads another
// index page, most of the cost of the read. Inputs are mostly stored in
// the order of their projects, so the bodies of a chunk are first looked
// for in a window of project_inputs read in rowid order from where the
// previous chunk's were found (*hint); only those not found there are
// searched for by hash.
func (d *DB) projectChunk(ctx context.Context, f jixiao.ProjectFilter, after int64, limit int, hint *int64) ([]jixiao.StoredProject, error) {
	where, args := projectWhere(f, after)
	args = append(args, limit)
	query := "SELECT p.id, p.input_hash FROM projects AS p WHERE " + where + " ORDER BY p.id LIMIT ?"

	rows := make([]storedProjectRow, 0, limit)
	err := d.read(ctx, func(tx *gorm.DB) error {
		res, err := tx.Raw(query, args...).Rows()
		if err != nil {
			return err
		}
		for res.Next() {
			var r storedProjectRow
			if err := res.Scan(&r.ID, &r.InputHash); err != nil {
				res.Close()
				return err
			}
			rows = append(rows, r)
		}
		res.Close()
		if err := res.Err(); err != nil || len(rows) == 0 {
			return err
		}
		return d.inputBodies(tx, rows, hint)
	})
	if err != nil {
		return nil, err
	}
	out := make([]jixiao.StoredProject, len(rows))
	err = inParallel(len(rows), func(lo, hi int) error {
		slabs := decodeSlabs{block: chunkSlabBlock}
		for i := lo; i < hi; i++ {
			r := &rows[i]
			out[i] = jixiao.StoredProject{Key: r.ID, InputHash: r.InputHash}
			if err := slabs.decode(r.Body, &out[i].Project); err != nil {
				return fmt.Errorf("project %d: %w", r.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inputOrder is the column that numbers project_inputs in the order they
// were stored: SQLite's rowid, PostgreSQL's seq identity.
func (d *DB) inputOrder() string {
	if d.postgres {
		return "seq"
	}
	return "rowid"
}

// inputBodies fills in the bodies of rows: from a window of
// project_inputs in rowid order starting at *hint, then by hash for the
// rest. It leaves *hint after the last input found in the window.
func (d *DB) inputBodies(tx *gorm.DB, rows []storedProjectRow, hint *int64) error {
	// want maps an input hash to the first row that needs it; next links
	// rows sharing an input (projects with the same content).
	want := make(map[string]int, len(rows))
	next := make([]int, len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		next[i] = -1
		if j, dup := want[rows[i].InputHash]; dup {
			next[i] = j
		}
		want[rows[i].InputHash] = i
	}
	fill := func(first int, body string) {
		for i := first; i >= 0; i = next[i] {
			rows[i].Body = body
		}
	}
	order := d.inputOrder()
	if *hint == 0 {
		// Where the first project's input is.
		if err := tx.Raw("SELECT "+order+" FROM project_inputs WHERE hash = ?", rows[0].InputHash).Scan(hint).Error; err != nil {
			return err
		}
	}
	if *hint > 0 {
		// A little wider than the chunk: inputs of updated projects'
		// earlier versions lie in between.
		window := len(rows) + len(rows)/8 + 16
		res, err := tx.Raw("SELECT "+order+", hash, body FROM project_inputs WHERE "+order+" >= ? ORDER BY "+order+" LIMIT ?", *hint, window).Rows()
		if err != nil {
			return err
		}
		found, last := 0, int64(0)
		var (
			rowid      int64
			hash, body sql.RawBytes
		)
		for res.Next() {
			if err := res.Scan(&rowid, &hash, &body); err != nil {
				res.Close()
				return err
			}
			first, ok := want[string(hash)]
			if !ok {
				continue
			}
			fill(first, string(body))
			delete(want, string(hash))
			found++
			last = rowid
		}
		res.Close()
		if err := res.Err(); err != nil {
			return err
		}
		if found*2 >= len(rows) {
			*hint = last + 1
		} else {
			*hint = -1 // inputs are not in project order: search by hash from now on
		}
	}
	if len(want) == 0 {
		return nil
	}
	hashes := make([]string, 0, len(want))
	for h := range want {
		hashes = append(hashes, h)
	}
	for lo := 0; lo < len(hashes); lo += keyBatch {
		res, err := tx.Raw("SELECT hash, body FROM project_inputs WHERE hash IN ?", hashes[lo:min(lo+keyBatch, len(hashes))]).Rows()
		if err != nil {
			return err
		}
		var hash, body string
		for res.Next() {
			if err := res.Scan(&hash, &body); err != nil {
				res.Close()
				return err
			}
			if first, ok := want[hash]; ok {
				fill(first, body)
				delete(want, hash)
			}
		}
		res.Close()
		if err := res.Err(); err != nil {
			return err
		}
	}
	for h, first := range want {
		return fmt.Errorf("project %d: no stored input %s", rows[first].ID, h)
	}
	return nil
}

// projectWhere is the condition selecting the projects of f with keys
// after after (and up to f.MaxKey), with its arguments, for a query on
// projects AS p.
func projectWhere(f jixiao.ProjectFilter, after int64) (string, []any) {
	var where strings.Builder
	args := []any{after}
	where.WriteString("p.id > ?")
	if f.MaxKey != 0 { // negative: a selection known to be empty
		where.WriteString(" AND p.id <= ?")
		args = append(args, f.MaxKey)
	}
	if f.Year != 0 {
		where.WriteString(" AND p.year = ?")
		args = append(args, f.Year)
	}
	in := func(column string, values []string) {
		where.WriteString(" AND " + column + " IN (")
		for i, v := range values {
			if i > 0 {
				where.WriteByte(',')
			}
			where.WriteByte('?')
			args = append(args, v)
		}
		where.WriteByte(')')
	}
	if len(f.DepartmentCodes) > 0 {
		in("p.department_code", f.DepartmentCodes)
	}
	if len(f.Statuses) > 0 {
		in("p.status", f.Statuses)
	}
	if f.Department != "" {
		where.WriteString(" AND p.department = ?")
		args = append(args, f.Department)
	}
	if len(f.IDs) > 0 {
		in("p.project_id", f.IDs)
	}
	if len(f.Refs) > 0 {
		cond, refArgs := refsWhere(f.Refs)
		where.WriteString(" AND " + cond)
		args = append(args, refArgs...)
	}
	if f.Grade != "" {
		where.WriteString(" AND (" + latestOfficialGrade + ") = ?")
		args = append(args, jixiao.RunOfficial, f.Grade)
	}
	return where.String(), args
}

// refsWhere is the condition that selects the projects named by year and
// id.
func refsWhere(refs []jixiao.ProjectRef) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(refs))
	b.WriteByte('(')
	for i, r := range refs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(p.year = ? AND p.project_id = ?)")
		args = append(args, r.Year, r.ID)
	}
	b.WriteByte(')')
	return b.String(), args
}
