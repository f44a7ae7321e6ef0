package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PlainPostgres is PlainInsert on PostgreSQL, through pgx's own
// connection (no database/sql, no ORM), one transaction per chunk of
// 1000 rows. With useCopy false, each chunk is two 500-row INSERTs into
// scores (RETURNING id) and one 1000-row INSERT into run_scores, the
// statements prepared once by pgx's statement cache. With useCopy true,
// it takes the chunk's 1000 ids from the scores sequence and writes both
// tables with COPY: PostgreSQL's fastest way in, the floor of floors.
func PlainPostgres(ctx context.Context, url string, scores []ScoreRow, useCopy bool) (Timing, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return Timing{}, err
	}
	defer conn.Close(context.Background())
	if len(scores) == 0 {
		return Timing{}, nil
	}
	s0 := &scores[0]
	var runID int64
	err = conn.QueryRow(ctx, `INSERT INTO runs (kind, ruleset_id, ruleset_hash, status, total, started_at)
		VALUES ('official', $1, $2, 'running', $3, $4) RETURNING id`, s0.RuleSetID, s0.RuleSetHash, len(scores), time.Now().UTC()).Scan(&runID)
	if err != nil {
		return Timing{}, err
	}
	chunk := plainInsertChunk
	if useCopy {
		chunk = plainCopyChunk
	}
	wall0, cpu0 := time.Now(), CPUTime()
	for lo := 0; lo < len(scores); lo += plainChunk {
		part := scores[lo:min(lo+plainChunk, len(scores))]
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return chunk(ctx, tx, runID, part) })
		if err != nil {
			return Timing{}, err
		}
	}
	return since(wall0, cpu0), nil
}

func plainInsertChunk(ctx context.Context, tx pgx.Tx, runID int64, scores []ScoreRow) error {
	ids := make([]int64, 0, len(scores))
	args := make([]any, 0, plainBatch*12)
	for lo := 0; lo < len(scores); lo += plainBatch {
		part := scores[lo:min(lo+plainBatch, len(scores))]
		args = args[:0]
		for i := range part {
			args = part[i].appendInsertArgs(args)
		}
		rows, err := tx.Query(ctx, `INSERT INTO scores (project_key, project_id, year, department, total_cents, grade, result,
			input_hash, ruleset_id, ruleset_hash, engine_version, created_at) VALUES `+numberedPlaceholders(len(part), 12)+" RETURNING id", args...)
		if err != nil {
			return err
		}
		partIDs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		ids = append(ids, partIDs...)
	}
	if len(ids) != len(scores) {
		return fmt.Errorf("%d ids for %d scores", len(ids), len(scores))
	}
	args = make([]any, 0, len(scores)*3)
	for i := range scores {
		args = append(args, runID, ids[i], scores[i].ProjectKey)
	}
	_, err := tx.Exec(ctx, "INSERT INTO run_scores (run_id, score_id, project_key) VALUES "+numberedPlaceholders(len(scores), 3), args...)
	return err
}

func plainCopyChunk(ctx context.Context, tx pgx.Tx, runID int64, scores []ScoreRow) error {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('scores', 'id')) FROM generate_series(1, $1)`, len(scores))
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"scores"},
		[]string{"id", "project_key", "project_id", "year", "department", "total_cents", "grade", "result",
			"input_hash", "ruleset_id", "ruleset_hash", "engine_version", "created_at"},
		pgx.CopyFromSlice(len(scores), func(i int) ([]any, error) {
			s := &scores[i]
			return []any{ids[i], s.ProjectKey, s.ProjectID, s.Year, s.Department, s.TotalCents, s.Grade,
				s.Result, s.InputHash, s.RuleSetID, s.RuleSetHash, s.EngineVersion, s.CreatedAt}, nil
		}))
	if err != nil {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"run_scores"}, []string{"run_id", "score_id", "project_key"},
		pgx.CopyFromSlice(len(scores), func(i int) ([]any, error) {
			return []any{runID, ids[i], scores[i].ProjectKey}, nil
		}))
	return err
}

// numberedPlaceholders returns rows groups of arity placeholders, $1 on.
func numberedPlaceholders(rows, arity int) string {
	b := make([]byte, 0, rows*arity*6)
	n := 0
	for r := range rows {
		if r > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		for c := range arity {
			if c > 0 {
				b = append(b, ',')
			}
			n++
			b = fmt.Appendf(b, "$%d", n)
		}
		b = append(b, ')')
	}
	return string(b)
}

// ClearRuns empties the tables an official run writes (runs, their
// chunks, scores, links and rejections) of the PostgreSQL database at
// url, and checkpoints, so that the next measurement starts as on a
// freshly seeded database and does not pay for the last one's writes.
func ClearRuns(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "TRUNCATE run_scores, run_rejections, run_chunks, scores, runs RESTART IDENTITY"); err != nil {
		return err
	}
	// CHECKPOINT needs a superuser or pg_checkpoint; without either the
	// measurements only get noisier.
	conn.Exec(ctx, "CHECKPOINT")
	return nil
}
