package storage

import (
	"context"
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
	if len(f.IDs) > maxFilterIDs {
		return jixiao.Errorf(jixiao.EINVALID, "at most %d project ids in one selection, got %d", maxFilterIDs, len(f.IDs))
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
		for {
			projects, err := d.projectChunk(ctx, f, after, chunk)
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
		if r.err != nil {
			return r.err
		}
		if err := ctx.Err(); err != nil {
			return err
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
// order. Filters on year and department are kept off their indexes (the
// unary +): walking the table in key order from after finds the next
// chunk without sorting, so that a whole stream reads each row once.
func (d *DB) projectChunk(ctx context.Context, f jixiao.ProjectFilter, after int64, limit int) ([]jixiao.StoredProject, error) {
	var (
		where strings.Builder
		args  []any
	)
	where.WriteString("p.id > ?")
	args = append(args, after)
	if f.Year != 0 {
		where.WriteString(" AND +p.year = ?")
		args = append(args, f.Year)
	}
	if f.Department != "" {
		where.WriteString(" AND +p.department = ?")
		args = append(args, f.Department)
	}
	if len(f.IDs) > 0 {
		where.WriteString(" AND p.project_id IN ?")
		args = append(args, f.IDs)
	}
	if f.Grade != "" {
		where.WriteString(" AND (" + latestOfficialGrade + ") = ?")
		args = append(args, jixiao.RunOfficial, f.Grade)
	}
	if f.MaxKey > 0 {
		where.WriteString(" AND p.id <= ?")
		args = append(args, f.MaxKey)
	}
	args = append(args, limit)
	query := "SELECT p.id, p.input_hash, i.body FROM projects AS p JOIN project_inputs AS i ON i.hash = p.input_hash WHERE " +
		where.String() + " ORDER BY p.id LIMIT ?"

	rows := make([]storedProjectRow, 0, limit)
	err := d.read(ctx, func(tx *gorm.DB) error {
		res, err := tx.Raw(query, args...).Rows()
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			var r storedProjectRow
			if err := res.Scan(&r.ID, &r.InputHash, &r.Body); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return res.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]jixiao.StoredProject, len(rows))
	err = inParallel(len(rows), func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			r := &rows[i]
			out[i] = jixiao.StoredProject{Key: r.ID, InputHash: r.InputHash}
			if err := decodeProject(r.Body, &out[i].Project); err != nil {
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
