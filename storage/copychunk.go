package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"jixiao"
)

// errScoresStored says that copyChunk met a score stored before; the
// chunk is then saved by the general path, which links to it.
var errScoresStored = errors.New("storage: some of the chunk's scores are stored already")

// Columns copyChunk writes, in the order of copyScoreRow.
var copyScoreColumns = []string{"id", "project_key", "project_id", "year", "department", "total_cents", "grade",
	"result", "input_hash", "ruleset_id", "ruleset_hash", "engine_version", "created_at"}

// copyChunk is saveChunk on PostgreSQL for a chunk whose scores are all
// new, the usual case of a run: it takes ids for them from the scores'
// sequence and writes them with COPY, PostgreSQL's fastest way in, on
// pgx's own connection (binding thousands of values in INSERTs cost the
// client more than scoring them). A score stored before makes COPY fail
// on the unique key: the transaction is rolled back and copyChunk returns
// errScoresStored, for the general path. Everything else is as in
// saveChunk, in one transaction.
func (d *DB) copyChunk(ctx context.Context, runID int64, chunk *jixiao.RunChunk, inserts []scoreInsert, rejections []rejectionRow) (int, error) {
	conn, err := d.wsql.Conn(ctx)
	if err != nil {
		return 0, unavailable(err)
	}
	defer conn.Close()
	var linked int64
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		return pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			var one int
			if err := tx.QueryRow(ctx, "SELECT 1 FROM runs WHERE id = $1", runID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
				return jixiao.Errorf(jixiao.ENOTFOUND, "no run %d", runID)
			} else if err != nil {
				return err
			}
			rows, err := tx.Query(ctx, "SELECT nextval(pg_get_serial_sequence('scores', 'id')) FROM generate_series(1, $1)", len(inserts))
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			if len(ids) != len(inserts) {
				return fmt.Errorf("storage: %d ids for %d scores", len(ids), len(inserts))
			}
			row := make([]any, len(copyScoreColumns))
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"scores"}, copyScoreColumns, pgx.CopyFromSlice(len(inserts), func(i int) ([]any, error) {
				s := &inserts[i]
				row[0], row[1], row[2], row[3], row[4], row[5], row[6] = ids[i], s.ProjectKey, s.ProjectID, int32(s.Year), s.Department, s.TotalCents, s.Grade
				row[7], row[8], row[9], row[10], row[11], row[12] = s.Result, s.InputHash, s.RuleSetID, s.RuleSetHash, s.EngineVersion, s.CreatedAt
				return row, nil
			}))
			if isUniqueViolation(err, "scores") {
				return errScoresStored
			}
			if err != nil {
				return err
			}
			keys := make([]int64, len(inserts))
			for i := range inserts {
				keys[i] = inserts[i].ProjectKey
			}
			tag, err := tx.Exec(ctx, postgresLinkInsert, runID, ids, keys)
			if err != nil {
				return err
			}
			linked = tag.RowsAffected()
			var rejectedNew int64
			if len(rejections) > 0 {
				projectKeys, projectIDs, years, errs := make([]int64, len(rejections)), make([]string, len(rejections)), make([]int32, len(rejections)), make([]string, len(rejections))
				for i, r := range rejections {
					projectKeys[i], projectIDs[i], years[i], errs[i] = r.ProjectKey, r.ProjectID, int32(r.Year), r.Errors
				}
				tag, err := tx.Exec(ctx, `INSERT INTO run_rejections (run_id, project_key, project_id, year, errors)
					SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::integer[], $5::text[]) ON CONFLICT DO NOTHING`,
					runID, projectKeys, projectIDs, years, errs)
				if err != nil {
					return err
				}
				rejectedNew = tag.RowsAffected()
			}
			if chunk != nil {
				if _, err := tx.Exec(ctx, "UPDATE run_chunks SET done = true, owner = '', lease_until = NULL WHERE run_id = $1 AND seq = $2", runID, chunk.Seq); err != nil {
					return err
				}
			}
			if linked == 0 && rejectedNew == 0 {
				return nil
			}
			_, err = tx.Exec(ctx, "UPDATE runs SET scored = scored + $1, rejected = rejected + $2 WHERE id = $3", linked, rejectedNew, runID)
			return err
		})
	})
	if errors.Is(err, errScoresStored) {
		return 0, err
	}
	if isForeignKeyViolation(err) {
		return 0, jixiao.Errorf(jixiao.EINVALID, "run %d: a score or rejection names an unknown project or input", runID)
	}
	if err != nil {
		return 0, unavailable(storageFull(err))
	}
	return int(linked), nil
}

// PostgreSQL's error codes for a unique and a foreign-key violation.
const (
	postgresUniqueViolation     = "23505"
	postgresForeignKeyViolation = "23503"
)

func isUniqueViolation(err error, table string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == postgresUniqueViolation && pe.TableName == table
}

func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == postgresForeignKeyViolation
}
